"""J. J. Bird's raw Muse recordings (mental state: relaxed / neutral / concentrating)."""

from __future__ import annotations

import dataclasses
import os
import pathlib
import re

import numpy as np
import tensorflow_datasets as tfds
from etils import epath

from amigos_emo._logging import logger
from amigos_emo.constants import muse as muse_constants
from amigos_emo.io.errors import CorpusFormatError, describe_cell
from amigos_emo.io.integrity import check_codes, finite_float32
from amigos_emo.signal.windows import sliding_windows
from amigos_emo.tfds_builders.corpus import (
    FEATURE_VECTOR_AXES,
    SIGNAL_NORMALISATION_AXES,
    CorpusBuilderMixin,
    index_features,
)

_DESCRIPTION = """\
J. J. Bird's raw Muse headband recordings (TP9, AF7, AF8, TP10; about 256 Hz), one muse-lsl CSV
per subject, mental state (relaxed, neutral, concentrating) and repetition. Each recording is cut
into sliding windows; one split per subject (subject a -> subject_01, ...). Label codes:
relaxed 0, neutral 1, concentrating 2 (amigos_emo.constants.muse). `session_id` is the
repetition number n of the file name, `trial_id` the file's rank within the subject (states in
label order, then n). Recordings with timestamp gaps longer than 0.1 s are windowed per contiguous
segment, so no window straddles a gap.
"""

_MANUAL_DOWNLOAD_INSTRUCTIONS = """\
Download the raw recordings `subject<letter>-<state>-<n>.csv` (folder `dataset/original_data/` of
the public repository jordan-bird/eeg-feature-generation on GitHub, which accompanies Bird et al.
2018, "A Study on Mental State Classification using EEG-based Brain-Machine Interface"; check the
repository's licence terms before redistributing) and point `manual_dir` at any folder that
contains them (searched recursively). Other CSVs in that folder are ignored.
"""


@dataclasses.dataclass(eq=False)
class MuseConfig(tfds.core.BuilderConfig):
    """What is written per window.

    Attributes:
        representation: ``"raw"`` (``eeg`` (n_times, 4) float32 microvolts) or ``"features"``
            (``features`` (n_features,) float32 from
            :func:`amigos_emo.signal.muse_features.muse_features`).
        window_s: window length in seconds (at the nominal 256 Hz).
        step_s: hop between window starts in seconds.
        n_fft_bins: FFT bins per channel in the ``features`` representation.
    """

    representation: str = "raw"
    window_s: float = 1.0
    step_s: float = 0.5
    n_fft_bins: int = 50

    @property
    def window_samples(self):
        return int(round(self.window_s * muse_constants.SFREQ_HZ))

    @property
    def step_samples(self):
        return int(round(self.step_s * muse_constants.SFREQ_HZ))


@dataclasses.dataclass(frozen=True)
class MuseFile:
    """One CSV file, identified by its name."""

    path: pathlib.Path
    subject_letter: str
    state: str
    repetition: int


def find_recordings(manual_dir, warn=True):
    """All ``subject<x>-<state>-<n>.csv`` files under ``manual_dir``, grouped by subject number.

    Returns:
        dict ``subject_number -> list[MuseFile]`` sorted by subject number, each list sorted by
        (label code, repetition) numerically.

    Raises:
        CorpusFormatError: no recording found, an unknown state or a duplicated recording.
    """
    # pathlib, not epath: epath refuses recursive globs. manual_dir is a local folder.
    manual_dir = pathlib.Path(os.fspath(manual_dir))
    by_subject = {}
    seen = {}
    for path in sorted(manual_dir.rglob(muse_constants.FILE_PATTERN)):
        match = re.match(muse_constants.FILE_REGEX, path.name)
        if match is None:
            continue
        letter, state, repetition = match.group(1), match.group(2).lower(), int(match.group(3))
        if state not in muse_constants.LABEL_CODES:
            raise CorpusFormatError(
                path,
                "unknown mental state in the file name",
                expected="one of " + ", ".join(muse_constants.LABEL_NAMES),
                found=repr(match.group(2)),
            )
        key = (letter, state, repetition)
        if key in seen:
            raise CorpusFormatError(
                path, "duplicate recording", found=f"the same recording also at {seen[key]}"
            )
        seen[key] = path
        number = muse_constants.SUBJECT_NUMBERS[letter]
        by_subject.setdefault(number, []).append(MuseFile(path, letter, state, repetition))
    if not by_subject:
        raise CorpusFormatError(
            manual_dir,
            "no Muse recording found (searched recursively)",
            expected="files named like subjecta-relaxed-1.csv",
            found="none",
            hint="Point manual_dir at the folder holding the raw muse-lsl CSVs.",
        )
    for recordings in by_subject.values():
        recordings.sort(key=lambda r: (muse_constants.LABEL_CODES[r.state], r.repetition))
        missing = set(muse_constants.LABEL_NAMES) - {r.state for r in recordings}
        if missing and warn:
            logger.warning(
                "Muse subject %s has no recording for state(s) %s",
                recordings[0].subject_letter,
                sorted(missing),
            )
    return dict(sorted(by_subject.items()))


def read_muse_csv(path):
    """Read one muse-lsl CSV.

    Args:
        path: the CSV file.

    Returns:
        ``(timestamps, eeg)``: float64 ``(n_times,)`` seconds and float32 ``(n_times, 4)``
        microvolts in the order of ``constants.muse.EEG_CHANNELS``.

    Raises:
        CorpusFormatError: unreadable/empty file, missing column, non-numeric or missing value,
            timestamps that go backwards.
    """
    import pandas as pd

    try:
        frame = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise CorpusFormatError(
            path,
            "cannot parse as a muse-lsl CSV",
            expected="header " + ",".join(muse_constants.CSV_COLUMNS),
            found=str(error).strip(),
        ) from error
    frame.columns = [str(c).strip() for c in frame.columns]
    wanted = (muse_constants.TIMESTAMP_COLUMN,) + muse_constants.EEG_CHANNELS
    for column in wanted:
        if column not in frame.columns:
            raise CorpusFormatError(
                path,
                "column missing",
                field=column,
                expected="columns " + ", ".join(wanted),
                found="columns " + ", ".join(frame.columns),
            )
    values = frame.loc[:, list(wanted)].apply(pd.to_numeric, errors="coerce").to_numpy(np.float64)
    bad_rows, bad_cols = np.nonzero(~np.isfinite(values))
    if bad_rows.size:
        row, column = bad_rows[0], wanted[bad_cols[0]]
        raw_value = frame.loc[frame.index[row], column]
        raise CorpusFormatError(
            path,
            f"missing or non-numeric value at data row {row + 1} (line {row + 2}); {bad_rows.size} such cell(s) in all",
            field=column,
            expected="a finite number (a truncated or corrupt file?)",
            found=describe_cell(raw_value),
        )
    timestamps = values[:, 0]
    if timestamps.size and np.any(np.diff(timestamps) < 0):
        row = int(np.argmax(np.diff(timestamps) < 0)) + 1
        raise CorpusFormatError(
            path,
            f"timestamps go backwards at data row {row + 1}",
            field=muse_constants.TIMESTAMP_COLUMN,
            expected="non-decreasing seconds",
        )
    # Checked again after the cast: a value beyond float32's range would be written as inf.
    return timestamps, finite_float32(values[:, 1:], path, field="EEG columns", modality="EEG")


def contiguous_segments(timestamps, max_gap_s=muse_constants.MAX_GAP_S):
    """Split sample indices at timestamp gaps longer than ``max_gap_s``.

    Returns:
        list of ``(start, stop)`` sample-index pairs covering ``range(len(timestamps))``.
    """
    breaks = np.flatnonzero(np.diff(timestamps) > max_gap_s) + 1
    edges = np.concatenate([[0], breaks, [timestamps.size]]).astype(int)
    return [(int(a), int(b)) for a, b in zip(edges[:-1], edges[1:], strict=False) if b > a]


def estimate_sfreq(path, timestamps, segments):
    """Sampling rate pooled over contiguous segments; error when far from 256 Hz."""
    intervals = sum(stop - start - 1 for start, stop in segments)
    duration = sum(timestamps[stop - 1] - timestamps[start] for start, stop in segments)
    if intervals < 1 or duration <= 0:
        raise CorpusFormatError(
            path,
            "too few samples to estimate the sampling rate",
            field=muse_constants.TIMESTAMP_COLUMN,
            expected="at least two distinct timestamps",
            found=f"{timestamps.size} rows",
        )
    sfreq = intervals / duration
    nominal, tolerance = muse_constants.SFREQ_HZ, muse_constants.SFREQ_TOLERANCE
    if abs(sfreq / nominal - 1) > tolerance:
        raise CorpusFormatError(
            path,
            "sampling rate estimated from the timestamps is not the Muse's",
            field=muse_constants.TIMESTAMP_COLUMN,
            expected=f"{nominal:g} Hz +- {tolerance:.0%}",
            found=f"{sfreq:.2f} Hz",
        )
    return sfreq


def recording_windows(path, window_samples, step_samples):
    """Windows of one recording, never straddling a timestamp gap.

    Returns:
        float32 ``(n_windows, window_samples, 4)`` (possibly ``n_windows == 0``).
    """
    timestamps, eeg = read_muse_csv(path)
    segments = contiguous_segments(timestamps)
    estimate_sfreq(path, timestamps, segments)
    if len(segments) > 1:
        logger.info(
            "%s: %d timestamp gaps > %g s; windowing %d contiguous segments separately",
            path.name,
            len(segments) - 1,
            muse_constants.MAX_GAP_S,
            len(segments),
        )
    pieces = [
        sliding_windows(eeg[start:stop], window_samples, step_samples, axis=0)
        for start, stop in segments
    ]
    return np.concatenate(pieces, axis=0).astype(np.float32, copy=False)


class Builder(CorpusBuilderMixin, tfds.core.GeneratorBasedBuilder):
    """DatasetBuilder for J. J. Bird's raw Muse mental-state recordings."""

    pkg_dir_path = epath.Path(__file__).parent
    VERSION = tfds.core.Version("1.0.1")
    RELEASE_NOTES = {
        "1.0.0": "Initial release: raw 1 s windows and Bird-style feature vectors.",
        "1.0.1": "Samples beyond float32's range are refused like NaN (nothing else written changes).",
    }
    DEFAULT_BUILDER_CONFIG_NAME = "features"
    DEFAULT_MODEL = "gru_classifier"
    NORMALISATION_AXES = {**SIGNAL_NORMALISATION_AXES, "features": FEATURE_VECTOR_AXES}
    SOURCE_FILES = "subject<letter>-<state>-<n>.csv muse-lsl recordings (any depth)"

    def source_files(self, manual_dir):
        """Every ``subject<x>-<state>-<n>.csv`` below ``manual_dir``."""
        recordings = find_recordings(manual_dir, warn=False)
        return sorted(r.path for items in recordings.values() for r in items)

    def preprocessing_spec(self):
        """The 4 Muse electrodes at the nominal 256 Hz, 1 s windows every 0.5 s; raw or Bird features."""
        from amigos_emo.preprocessing_spec import PreprocessingSpec, SignalSpec

        config = self.builder_config
        extra = {"windows_never_straddle_gaps_longer_than_s": muse_constants.MAX_GAP_S}
        if config.representation == "features":
            extra["features"] = {
                "function": "amigos_emo.signal.muse_features.muse_features",
                "n_fft_bins": config.n_fft_bins,
            }
        return PreprocessingSpec(
            dataset=f"{self.name}/{config.name}",
            builder_version=str(self.version),
            window_s=config.window_s,
            step_s=config.step_s,
            signals={
                "eeg": SignalSpec("eeg", muse_constants.EEG_CHANNELS, muse_constants.SFREQ_HZ, "uV")
            },
            representation=config.representation,
            baseline=None,
            extra=extra,
            normalisation_axes=self.normalisation_axes(),
        )

    MANUAL_DOWNLOAD_INSTRUCTIONS = _MANUAL_DOWNLOAD_INSTRUCTIONS
    BUILDER_CONFIGS = [
        MuseConfig(
            name="raw",
            description="1 s windows (256 samples), 0.5 s step: eeg (256, 4) float32 microvolts.",
            representation="raw",
        ),
        MuseConfig(
            name="features",
            description="Bird-style feature vector (286 float32) per 1 s window, 0.5 s step (amigos_emo.signal.muse_features).",
            representation="features",
        ),
    ]

    def _info(self):
        config = self.builder_config
        if config.representation == "raw":
            signal = {
                "eeg": tfds.features.Tensor(
                    shape=(config.window_samples, len(muse_constants.EEG_CHANNELS)),
                    dtype=np.float32,
                )
            }
        else:
            from amigos_emo.signal.muse_features import n_muse_features

            n_features = n_muse_features(len(muse_constants.EEG_CHANNELS), config.n_fft_bins)
            signal = {"features": tfds.features.Tensor(shape=(n_features,), dtype=np.float32)}
        return self.dataset_info_from_configs(
            description=_DESCRIPTION,
            features=tfds.features.FeaturesDict(
                {
                    **signal,
                    "label": tfds.features.ClassLabel(names=muse_constants.LABEL_NAMES),
                    **index_features(),
                    "subject_name": tfds.features.Text(),
                }
            ),
            supervised_keys=(next(iter(signal)), "label"),
            homepage="https://github.com/jordan-bird/eeg-feature-generation",
        )

    def _split_generators(self, dl_manager):
        recordings = find_recordings(dl_manager.manual_dir)
        return {
            f"subject_{number:02d}": self._generate_examples(number, items)
            for number, items in recordings.items()
        }

    def _generate_examples(self, subject_number, recordings):
        config = self.builder_config
        for trial_id, recording in enumerate(recordings, start=1):
            windows = recording_windows(recording.path, config.window_samples, config.step_samples)
            if windows.shape[0] == 0:
                logger.warning(
                    "%s is shorter than one %g s window; skipped", recording.path, config.window_s
                )
                continue
            if config.representation == "raw":
                values = windows
                key = "eeg"
            else:
                from amigos_emo.signal.muse_features import muse_features

                values = muse_features(windows, n_fft_bins=config.n_fft_bins)
                key = "features"
            label = int(
                check_codes(
                    muse_constants.LABEL_CODES[recording.state],
                    range(len(muse_constants.LABEL_NAMES)),
                    recording.path,
                    field="state in the file name",
                    names=muse_constants.LABEL_NAMES,
                )[0]
            )
            for window_index, value in enumerate(values):
                yield (
                    f"{recording.subject_letter}-{recording.state}-{recording.repetition}-{window_index}",
                    {
                        key: value,
                        "label": label,
                        "subject_id": subject_number,
                        "session_id": recording.repetition,
                        "trial_id": trial_id,
                        "window_index": window_index,
                        "subject_name": recording.subject_letter,
                    },
                )
