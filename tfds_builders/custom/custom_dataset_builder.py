"""Bring your own data: per-subject, per-trial EDF/CSV/NPZ recordings plus a labels CSV.

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
from amigos_emo.io.errors import CorpusFormatError
from amigos_emo.tfds_builders.custom import custom_spec

# EDF physical dimensions MNE converts to volts (read back as microvolts here).
_VOLTAGE_UNITS = frozenset({"v", "mv", "uv", "µv", "μv", "nv"})

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


def _read_edf(path, spec):
    import mne

    try:
        raw = mne.io.read_raw_edf(os.fspath(path), preload=False, verbose="error")
    except Exception as error:
        raise CorpusFormatError(
            path, "could not be read as EDF (truncated or corrupt?)", found=f"{type(error).__name__}: {error}"
        ) from error
    names = [name for name, _ in spec.channels]
    missing = [name for name in names if name not in raw.ch_names]
    if missing:
        raise CorpusFormatError(
            path, f"channel(s) {', '.join(missing)} missing", field="channels",
            expected=f"channels {', '.join(names)}", found=f"channels {', '.join(raw.ch_names)}",
        )
    data = raw.get_data(picks=names).T  # MNE scales voltages to volts
    orig_units = getattr(raw, "_orig_units", {}) or {}
    voltage = np.array([str(orig_units.get(n, "")).lower() in _VOLTAGE_UNITS for n in names])
    data = np.where(voltage, data * 1e6, data)  # volts -> microvolts; other units as stored
    return data, float(raw.info["sfreq"])


def _read_csv(path, spec):
    import pandas as pd

    try:
        if spec.csv_column_names is None:
            table = pd.read_csv(path, sep=spec.csv_separator)
        else:
            table = pd.read_csv(path, sep=spec.csv_separator, header=None)
            if table.shape[1] != len(spec.csv_column_names):
                raise CorpusFormatError(
                    path, "unexpected number of columns", field="csv.column_names",
                    expected=f"{len(spec.csv_column_names)} columns ({', '.join(spec.csv_column_names)})",
                    found=f"{table.shape[1]} columns",
                )
            table.columns = list(spec.csv_column_names)
    except CorpusFormatError:
        raise
    except Exception as error:
        raise CorpusFormatError(
            path, "could not be read as CSV (truncated or corrupt?)", found=f"{type(error).__name__}: {error}"
        ) from error
    table.columns = [str(c).strip() for c in table.columns]
    names = [name for name, _ in spec.channels]
    wanted = names + ([spec.csv_time_column] if spec.csv_time_column else [])
    missing = [name for name in wanted if name not in table.columns]
    if missing:
        raise CorpusFormatError(
            path, f"column(s) {', '.join(missing)} missing", field="channels",
            expected=f"columns {', '.join(wanted)}", found=f"columns {', '.join(table.columns)}",
        )
    columns = {}
    for name in wanted:
        values = pd.to_numeric(table[name], errors="coerce").to_numpy(dtype=np.float64)
        bad = np.isnan(values) & table[name].notna().to_numpy()
        if bad.any():
            row = int(np.flatnonzero(bad)[0]) + 2
            raise CorpusFormatError(
                path, f"non-numeric value in row {row}", field=name, expected="numbers",
                found=repr(table[name].iloc[row - 2]),
            )
        columns[name] = values
    file_sfreq = None
    if spec.csv_time_column:
        steps = np.diff(columns[spec.csv_time_column])
        if steps.size and np.all(np.isfinite(steps)) and np.median(steps) > 0:
            file_sfreq = 1.0 / float(np.median(steps))
    return np.stack([columns[name] for name in names], axis=1), file_sfreq


def _read_npz(path, spec):
    try:
        with np.load(path, allow_pickle=False) as archive:
            keys = list(archive.keys())
            for key in (spec.npz_data_key, spec.npz_channels_key):
                if key not in keys:
                    raise CorpusFormatError(
                        path, f"missing array {key!r}", field=key,
                        expected=f"arrays {spec.npz_data_key!r} (n_times, n_chans) and {spec.npz_channels_key!r} (n_chans,)",
                        found=f"arrays {keys}",
                    )
            data = archive[spec.npz_data_key]
            ch_names = [str(name) for name in archive[spec.npz_channels_key].ravel()]
            file_sfreq = float(archive[spec.npz_sfreq_key]) if spec.npz_sfreq_key in keys else None
    except CorpusFormatError:
        raise
    except ValueError as error:
        if "allow_pickle" in str(error) or "Object arrays" in str(error):
            raise CorpusFormatError(
                path, "holds a pickled (object) array, which is not loaded", found=str(error),
                hint="Save channel names as a string array: np.array(names, dtype=str).",
            ) from error
        raise CorpusFormatError(path, "could not be read as NPZ (truncated or corrupt?)", found=str(error)) from error
    except Exception as error:
        raise CorpusFormatError(
            path, "could not be read as NPZ (truncated or corrupt?)", found=f"{type(error).__name__}: {error}"
        ) from error
    if data.ndim != 2 or data.shape[1] != len(ch_names) or data.dtype.kind not in "fiu":
        raise CorpusFormatError(
            path, "unexpected data array", field=spec.npz_data_key,
            expected=f"a numeric time-major (n_times, {len(ch_names)}) array matching {spec.npz_channels_key!r}",
            found=f"{data.dtype} array of shape {data.shape}",
        )
    names = [name for name, _ in spec.channels]
    missing = [name for name in names if name not in ch_names]
    if missing:
        raise CorpusFormatError(
            path, f"channel(s) {', '.join(missing)} missing", field=spec.npz_channels_key,
            expected=f"channels {', '.join(names)}", found=f"channels {', '.join(ch_names)}",
        )
    return data[:, [ch_names.index(name) for name in names]].astype(np.float64), file_sfreq


_READERS = {"edf": _read_edf, "csv": _read_csv, "npz": _read_npz}


def read_recording(path, spec):
    """Read one recording and split it by signal type at the declared rates.

    Args:
        path: the recording file.
        spec: the :class:`custom_spec.DatasetSpec`.

    Returns:
        dict ``type -> (n_times, n_chans_of_type)`` float64, channels in the JSON's order.
        EDF voltage channels are in microvolts; all other values as stored.

    Raises:
        CorpusFormatError: unreadable file, a missing channel, or a file whose own sampling rate
            (EDF header, NPZ ``sfreq``, CSV time column) differs from ``file_sfreq``.
    """
    data, file_sfreq = _READERS[spec.file_format](path, spec)
    if file_sfreq is not None and not math.isclose(file_sfreq, spec.file_sfreq, rel_tol=0.01):
        raise CorpusFormatError(
            path, "sampling-rate mismatch", field="sfreq",
            expected=f"{spec.file_sfreq:g} Hz (as declared in {spec.path.name})",
            found=f"{file_sfreq:g} Hz in the file",
        )
    signals = {}
    for kind in spec.types:
        columns = [index for index, (_, channel_kind) in enumerate(spec.channels) if channel_kind == kind]
        signal = data[:, columns]
        if spec.sfreq[kind] != spec.file_sfreq:
            from amigos_emo.signal.filters import resample

            signal = resample(signal, spec.file_sfreq, spec.sfreq[kind], axis=0)
        signals[kind] = signal
    return signals


class Builder(tfds.core.GeneratorBasedBuilder):
    """The user's own recordings, described by ``amigos_emo_dataset.json`` (see README.md)."""

    pkg_dir_path = epath.Path(__file__).parent
    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "Initial release: EDF, CSV and NPZ recordings, windowed."}
    MANUAL_DOWNLOAD_INSTRUCTIONS = _MANUAL_DOWNLOAD_INSTRUCTIONS

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

    def _info(self) -> tfds.core.DatasetInfo:
        spec = self.spec
        features = {
            "subject_id": tfds.features.Scalar(np.int32),
            "session_id": tfds.features.Scalar(np.int32),
            "trial_id": tfds.features.Scalar(np.int32),
            "window_index": tfds.features.Scalar(np.int32),
        }
        for kind in spec.types:
            features[kind] = tfds.features.Tensor(
                shape=(spec.window_samples(kind), len(spec.channels_of(kind))), dtype=np.float32
            )
        for column in spec.label_columns:
            if column.categorical:
                features[column.name] = tfds.features.ClassLabel(names=column.classes)
            else:
                features[column.name] = tfds.features.Scalar(np.float32)
        if spec.label is not None:
            classes = next(c.classes for c in spec.label_columns if c.name == spec.label)
            features["label"] = tfds.features.ClassLabel(names=classes)
        first = spec.types[0]
        return self.dataset_info_from_configs(
            description=spec.description or f"Recordings described by {spec.path}",
            features=tfds.features.FeaturesDict(features),
            supervised_keys=(first, "label") if spec.label is not None else None,
        )

    def _split_generators(self, dl_manager: tfds.download.DownloadManager):
        spec = self.spec
        recordings = custom_spec.find_recordings(spec)
        labels = custom_spec.load_labels(spec)
        unlabelled = [ids for ids in recordings if ids not in labels]
        if unlabelled:
            subject, session, trial = unlabelled[0]
            raise CorpusFormatError(
                spec.labels_file, f"no label row for {len(unlabelled)} recording(s)", field="subject/session/trial",
                expected="one row per recording",
                found=f"none for subject {subject}, session {session}, trial {trial} ({recordings[unlabelled[0]]})"
                + (f" and {len(unlabelled) - 1} more" if len(unlabelled) > 1 else ""),
            )
        orphans = sorted(ids for ids in labels if ids not in recordings)
        if orphans:
            logger.warning(
                "%s: %d label row(s) have no recording and are ignored, e.g. (subject, session, trial) %s",
                spec.labels_file, len(orphans), orphans[:5],
            )
        by_subject = defaultdict(list)
        for ids, path in recordings.items():
            by_subject[ids[0]].append((ids, path, labels[ids]))
        logger.info("custom dataset %r: %d recordings of %d subjects", spec.name, len(recordings), len(by_subject))
        return {
            f"subject_{subject:02d}": self._generate_examples(items)
            for subject, items in sorted(by_subject.items())
        }

    def _generate_examples(self, items):
        from amigos_emo.signal.windows import sliding_windows

        spec = self.spec
        skipped = defaultdict(list)
        for (subject, session, trial), path, row in items:
            if any(v is None or (isinstance(v, float) and math.isnan(v)) for v in row.values()):
                skipped["an empty label"].append(path.name)
                continue
            signals = read_recording(path, spec)
            if not all(np.all(np.isfinite(signal)) for signal in signals.values()):
                skipped["NaN/inf samples"].append(path.name)
                continue
            windows = {
                kind: sliding_windows(signal, spec.window_samples(kind), spec.step_samples(kind))
                for kind, signal in signals.items()
            }
            count = min(w.shape[0] for w in windows.values())
            if count == 0:
                skipped[f"less than one {spec.window_s:g} s window"].append(path.name)
                continue
            common = {"subject_id": subject, "session_id": session, "trial_id": trial}
            for column in spec.label_columns:
                common[column.name] = row[column.name] if column.categorical else np.float32(row[column.name])
            if spec.label is not None:
                common["label"] = row[spec.label]
            windows = {kind: w[:count].astype(np.float32) for kind, w in windows.items()}
            for window_index in range(count):
                yield f"{subject:03d}_{session:02d}_{trial:03d}_{window_index:05d}", {
                    **common,
                    "window_index": window_index,
                    **{kind: w[window_index] for kind, w in windows.items()},
                }
        for reason, names in skipped.items():
            logger.warning("custom dataset: skipped %d trial(s) with %s: %s", len(names), reason, names)
