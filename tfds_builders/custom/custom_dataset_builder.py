"""Bring your own data: per-subject EDF/CSV/NPZ/E4 recordings (per trial or per session) plus a labels CSV.

The recordings are described by a small ``amigos_emo_dataset.json`` (schema and a full example
in ``README.md`` beside this file). TFDS computes a builder's features in ``__init__``, before
``download_and_prepare`` hands over a ``manual_dir``, and the features depend on the JSON; so
the JSON is given through the builder config::

    from amigos_emo.tfds_builders.custom import Builder, CustomConfig

    config = CustomConfig.from_json("/data/my_study/amigos_emo_dataset.json")
    builder = Builder(config=config, data_dir="~/tensorflow_datasets")
    builder.download_and_prepare()
    train = builder.as_dataset(split="subject_01+subject_02")

Recordings and the labels CSV are found relative to the JSON's folder; ``manual_dir`` is not
used. Examples follow the package conventions: ``subject_XX`` splits, int32 ids, one
time-major float32 feature per declared signal type (``eeg``, ``ecg``, ``gsr``, ...), ``label``.
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections import defaultdict

import numpy as np
import tensorflow_datasets as tfds
from etils import epath

from amigos_emo._logging import logger
from amigos_emo.io import recordings
from amigos_emo.io.errors import CorpusFormatError
from amigos_emo.io.integrity import NonFiniteError, SkipCounter
from amigos_emo.tfds_builders.corpus import FEATURE_VECTOR_AXES, SIGNAL_AXES, index_features
from amigos_emo.tfds_builders.custom import custom_spec

_MANUAL_DOWNLOAD_INSTRUCTIONS = """
Your own recordings: put them in one folder with an `amigos_emo_dataset.json` describing them
(file pattern, channels and their types, sampling rates, labels CSV, windowing; see
tfds_builders/custom/README.md) and build with
`Builder(config=CustomConfig.from_json("<folder>/amigos_emo_dataset.json"))`. `manual_dir` is
not used: paths are relative to the JSON file.
"""


@dataclasses.dataclass(eq=False)
class CustomConfig(tfds.core.BuilderConfig):
    """A builder config that points at the user's ``amigos_emo_dataset.json``.

    Attributes:
        config_path: the JSON file (or the folder that holds ``amigos_emo_dataset.json``).
    """

    config_path: str = ""

    @classmethod
    def from_json(cls, path, name=None):
        """A config named after the JSON's ``name`` (or ``name``), checked on the way."""
        spec = custom_spec.load_spec(path)
        return cls(
            name=name or spec.name,
            description=spec.description or f"Recordings described by {spec.path}",
            config_path=os.fspath(spec.path),
        )


def _read_file(path, spec, key):
    file_format = spec.file_formats.get(key, spec.file_format)
    csv = {
        "separator": spec.csv_separator,
        "header": spec.csv_column_names is None,
        "column_names": list(spec.csv_column_names) if spec.csv_column_names is not None else None,
        "time_column": spec.csv_time_column,
    }
    npz = {
        "data_key": spec.npz_data_key,
        "channels_key": spec.npz_channels_key,
        "sfreq_key": spec.npz_sfreq_key,
    }
    return recordings.read_recording(path, file_format=file_format, csv=csv, npz=npz)


def read_trial_signals(path, spec, trial=None):
    """Read one trial's recording(s) and return each signal type at the rate the JSON asks for.

    Args:
        path: the recording file, or a tuple of files (one per ``file_pattern`` key).
        spec: the :class:`custom_spec.DatasetSpec`.
        trial: how the trial is named in errors (e.g. ``"subject 1, session 1, trial 2"``).

    Returns:
        dict ``type -> float64 (n_times, n_chans_of_type)`` at ``spec.sfreq[type]``, channels in
        the JSON's order (:func:`amigos_emo.io.recordings.signals_at`). EDF voltage channels are in
        microvolts; all other values as stored.

    Raises:
        CorpusFormatError: unreadable file, a missing channel, or a file whose own sampling rate
            (EDF header, NPZ ``sfreq``, CSV time column) differs from the declared one.
        NonFiniteError: NaN/inf samples (naming file, trial and type).
    """
    paths = path if isinstance(path, tuple) else (path,)
    keys = list(spec.file_patterns) if len(paths) > 1 else [next(iter(spec.file_patterns), "main")]
    recording = recordings.merge(
        _read_file(p, spec, key) for p, key in zip(paths, keys, strict=True)
    )
    formats = set(spec.file_formats.values()) or {spec.file_format}
    csv_only = formats == {"csv"}
    npz_only = formats == {"npz"}
    return recordings.signals_at(
        recording,
        spec.channels_by_type,
        spec.sfreq,
        declared_sfreq=spec.native_sfreq,
        allow_resample=spec.resample,
        what="column(s)" if csv_only else "channel(s)",
        field=spec.npz_channels_key if npz_only else "channels",
        trial=trial,
    )


def _segment(signals, spec, row, where, name):
    """The ``[start_s, end_s)`` seconds of a trial's signals (labels-CSV columns), every type
    cut at its own rate so the types stay aligned in time."""
    start_s, end_s = row["start_s"], row["end_s"]
    length_s = recordings.duration_s(signals, spec.sfreq)
    # One sample of the slowest type is rounding, not a mistake.
    if end_s > length_s + 1.0 / min(spec.sfreq.values()):
        raise CorpusFormatError(
            spec.labels_file,
            f"{where}: the segment ends after its recording",
            field="end_s",
            expected=f"at most {length_s:.3f} s (the length of {name})",
            found=f"{end_s:g}",
        )
    return recordings.cut_segment(signals, spec.sfreq, start_s, end_s)


def _name(path):
    return " + ".join(p.name for p in path) if isinstance(path, tuple) else path.name


class Builder(tfds.core.GeneratorBasedBuilder):
    """The user's own recordings, described by ``amigos_emo_dataset.json`` (see README.md)."""

    pkg_dir_path = epath.Path(__file__).parent
    VERSION = tfds.core.Version("1.3.0")
    RELEASE_NOTES = {
        "1.0.0": "Initial release: EDF, CSV and NPZ recordings, windowed.",
        "1.1.0": "Native per-channel rates, one file per modality, bvp/acc types, time-aligned windows, "
        '"representation": "features", paths kept inside the study folder, NaN trials are errors.',
        "1.2.0": '"representation": "raw+features": the signal windows and their feature vector together; '
        "SCRs below 0.01 uS are not counted, a flat EDA trace has features (no SCRs), missed and "
        "extra beats are corrected (Kubios) before heart rate and HRV.",
        "1.3.0": "Continuous recordings: a file pattern without {trial} is one file per subject (and "
        "session), and the labels CSV's start_s/end_s cut each trial out of it; per-trial files "
        'may be cropped the same way. "format": "e4" reads Empatica E4 CSV exports.',
    }
    MANUAL_DOWNLOAD_INSTRUCTIONS = _MANUAL_DOWNLOAD_INSTRUCTIONS
    # Any signal set: one branch per signal feature (models/signal_fusion), and one for the
    # ``features`` vector of "raw+features". For ``"representation": "features"`` a
    # feature-vector model (e.g. gru_classifier, logreg) fits.
    DEFAULT_MODEL = "signal_fusion"

    @property
    def spec(self):
        """The checked :class:`custom_spec.DatasetSpec` of this builder's config."""
        if getattr(self, "_spec", None) is None:
            config = self.builder_config
            if not isinstance(config, CustomConfig) or not config.config_path:
                raise ValueError(
                    "The custom builder needs the dataset description: build it with "
                    "Builder(config=CustomConfig.from_json('<folder>/amigos_emo_dataset.json')). "
                    f"Received: config={config!r}"
                )
            self._spec = custom_spec.load_spec(config.config_path)
        return self._spec

    def normalisation_axes(self):
        """Per-example axes the trainer pools for each input: every signal window
        ``(n_times, n_chans)`` per channel, the ``features`` vector per feature."""
        axes = {kind: SIGNAL_AXES for kind in self.spec.types} if self.spec.writes_signals else {}
        if self.spec.writes_features:
            axes["features"] = FEATURE_VECTOR_AXES
        return axes

    def preprocessing_spec(self):
        """How a recording becomes this dataset's examples (:mod:`amigos_emo.preprocessing_spec`).

        Signals are listed per type at the rate they are written (``features``: the rate the
        features are computed at), time-major, in the JSON's units; no baseline handling.
        """
        from amigos_emo.preprocessing_spec import PreprocessingSpec, SignalSpec

        spec = self.spec
        signals = {
            kind: SignalSpec(
                type=kind,
                channels=list(spec.channels_of(kind)),
                sfreq_hz=spec.sfreq[kind],
                unit=spec.units.get(kind),
                layout="time_channels",
            )
            for kind in spec.types
        }
        extra = {"json": spec.path.name}
        if spec.file_format in recordings.NAMED_FORMATS:
            # predict reads new files of this study the same way (the extension cannot say "e4").
            extra["file_format"] = spec.file_format
        if spec.writes_features:
            extra["features"] = {
                "input": "features",
                "function": "amigos_emo.signal.physio.window_features",
                "names": spec.feature_names(),
            }
        return PreprocessingSpec(
            dataset=f"custom/{self.builder_config.name}",
            builder_version=str(self.version),
            window_s=spec.window_s,
            step_s=spec.step_s,
            signals=signals,
            representation=spec.representation,
            baseline=None,
            normalisation_axes=self.normalisation_axes(),
            extra=extra,
        )

    def _info(self) -> tfds.core.DatasetInfo:
        spec = self.spec
        features = index_features()
        metadata = {"representation": spec.representation}
        if spec.writes_signals:
            for kind in spec.types:
                features[kind] = tfds.features.Tensor(
                    shape=(spec.window_samples(kind), len(spec.channels_of(kind))), dtype=np.float32
                )
        if spec.writes_features:
            names = spec.feature_names()
            features["features"] = tfds.features.Tensor(shape=(len(names),), dtype=np.float32)
            metadata["feature_names"] = names
        first = spec.types[0] if spec.writes_signals else "features"
        for column in spec.label_columns:
            if column.categorical:
                features[column.name] = tfds.features.ClassLabel(names=column.classes)
            else:
                features[column.name] = tfds.features.Scalar(np.float32)
        if spec.label is not None:
            classes = next(c.classes for c in spec.label_columns if c.name == spec.label)
            features["label"] = tfds.features.ClassLabel(names=classes)
        return self.dataset_info_from_configs(
            description=spec.description or f"Recordings described by {spec.path}",
            features=tfds.features.FeaturesDict(features),
            supervised_keys=(first, "label") if spec.label is not None else None,
            metadata=tfds.core.MetadataDict(metadata),
        )

    def _split_generators(self, dl_manager: tfds.download.DownloadManager):
        spec = self.spec
        recordings_found = custom_spec.find_recordings(spec)
        labels = custom_spec.load_labels(spec)

        def recording_of(ids):
            # A continuous recording holds every trial of its subject and session.
            return (*ids[:2], None) if spec.continuous else ids

        labelled = {recording_of(ids) for ids in labels}
        unlabelled = [ids for ids in recordings_found if ids not in labelled]
        if unlabelled:
            raise CorpusFormatError(
                spec.labels_file,
                f"no label row for {len(unlabelled)} recording(s)",
                field="subject/session" if spec.continuous else "subject/session/trial",
                expected="at least one row (trial) per recording"
                if spec.continuous
                else "one row per recording",
                found=f"none for {custom_spec.describe_ids(unlabelled[0])} "
                f"({_name(recordings_found[unlabelled[0]])})"
                + (f" and {len(unlabelled) - 1} more" if len(unlabelled) > 1 else ""),
            )
        orphans = sorted(ids for ids in labels if recording_of(ids) not in recordings_found)
        if orphans:
            logger.warning(
                "%s: %d label row(s) have no recording and are ignored, e.g. (subject, session, trial) %s",
                spec.labels_file,
                len(orphans),
                orphans[:5],
            )
        by_subject = defaultdict(list)
        for ids, row in sorted(labels.items()):
            if recording_of(ids) in recordings_found:
                by_subject[ids[0]].append((ids, recordings_found[recording_of(ids)], row))
        logger.info(
            "custom dataset %r: %d trials in %d recordings of %d subjects",
            spec.name,
            sum(len(items) for items in by_subject.values()),
            len(recordings_found),
            len(by_subject),
        )
        return {
            f"subject_{subject:02d}": self._generate_examples(items)
            for subject, items in sorted(by_subject.items())
        }

    def _generate_examples(self, items):
        from amigos_emo.signal.physio import window_features

        spec = self.spec
        skips = SkipCounter(f"custom dataset {spec.name!r}")
        dropped_windows = 0
        read = (None, None)  # the last recording read: a continuous one serves several trials
        for (subject, session, trial), path, row in items:
            name = _name(path)
            if any(v is None or (isinstance(v, float) and math.isnan(v)) for v in row.values()):
                skips.skip("an empty label", name)
                continue
            where = f"subject {subject}, session {session}, trial {trial}"
            if read[0] != path:
                recording = f"subject {subject}, session {session}" if spec.continuous else where
                try:
                    read = (path, read_trial_signals(path, spec, trial=recording))
                except NonFiniteError as error:
                    if not spec.skip_nonfinite_trials:
                        raise
                    read = (path, error)
            if isinstance(read[1], NonFiniteError):
                skips.skip("NaN/inf samples", read[1])
                continue
            signals = read[1]
            if "start_s" in row:
                signals = _segment(signals, spec, row, where, name)
            windows, starts_s = recordings.cut_windows(
                signals, spec.sfreq, spec.window_s, spec.step_s, path=name
            )
            count = len(starts_s)
            if count == 0:
                skips.skip(f"less than one {spec.window_s:g} s window", name)
                continue
            common = {"subject_id": subject, "session_id": session, "trial_id": trial}
            for column in spec.label_columns:
                common[column.name] = (
                    row[column.name] if column.categorical else np.float32(row[column.name])
                )
            if spec.label is not None:
                common["label"] = row[spec.label]
            finite = np.ones(count, bool)
            vectors = {}
            if spec.writes_features:
                values = window_features(
                    signals, spec.sfreq, starts_s, spec.window_s, spec.channels_by_type
                )
                with np.errstate(over="ignore", invalid="ignore"):
                    vectors["features"] = values.astype(np.float32)
                finite = np.all(np.isfinite(vectors["features"]), axis=1)
                dropped_windows += int((~finite).sum())
            if spec.writes_signals:
                vectors.update({kind: w.astype(np.float32) for kind, w in windows.items()})
            for window_index in np.flatnonzero(finite):
                yield (
                    f"{subject:03d}_{session:02d}_{trial:03d}_{window_index:05d}",
                    {
                        **common,
                        "window_index": int(window_index),
                        **{key: v[window_index] for key, v in vectors.items()},
                    },
                )
        skips.report()
        if dropped_windows:
            logger.warning(
                "custom dataset %r: dropped %d window(s) whose features are not finite (fewer than 3 beats, "
                "a failed detector, ...)",
                spec.name,
                dropped_windows,
            )
