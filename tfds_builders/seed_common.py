"""Shared parsing and example building for the SEED family (SEED, SEED-IV, SEED-V, SEED-VII).

The four corpora differ in where their files sit and how trials and labels are keyed, but share
the 62-channel order, the 200 Hz preprocessed EEG and the official ``de_LDS`` features. Each
corpus builder subclasses :class:`SeedFamilyBuilder` and implements three hooks:

- ``_find_recordings(manual_dir, source)`` -> ``{subject: [SessionFile, ...]}``, one
  :class:`SessionFile` per file (or per session inside a file);
- ``_raw_trials(recording)`` -> yields ``(trial_id, label, eeg)`` with ``eeg`` float array
  ``(n_times, 62)``, time-major, microvolts, 200 Hz;
- ``_feature_trials(recording)`` -> yields ``(trial_id, label, de)`` with the official
  features ``de`` float array ``(n_windows, 62, 5)`` (windows, channels, bands).

The base class turns trials into examples for each representation (``raw`` windows, package
``de`` sequences, official ``de_lds`` sequences, ``stft`` spectrograms) and writes one split per
subject. It never holds more than one recording (one subject-session file) in memory.
"""

from __future__ import annotations

import dataclasses
import os
import re

import numpy as np
import tensorflow_datasets as tfds

from amigos_emo._logging import logger
from amigos_emo.constants.seed import N_BANDS, N_CHANS, N_DE_FEATURES
from amigos_emo.io.errors import CorpusFormatError
from amigos_emo.io.integrity import SkipCounter, check_codes, finite_float32
from amigos_emo.signal.windows import sliding_windows
from amigos_emo.tfds_builders.corpus import (
    SIGNAL_NORMALISATION_AXES,
    STFT_AXES,
    CorpusBuilderMixin,
    index_features,
)

REPRESENTATIONS = ("raw", "de", "de_lds", "stft")


@dataclasses.dataclass(eq=False)
class SeedConfig(tfds.core.BuilderConfig):
    """What one SEED-family config writes.

    Attributes:
        representation: ``"raw"`` (EEG windows ``eeg`` ``(window_samples, 62)``), ``"de"``
            (trial-level ``de`` ``(n_steps, 310)`` computed by the package from the
            preprocessed EEG), ``"de_lds"`` (the official ``de_LDS`` features shipped with the
            corpus, as the same ``(n_steps, 310)`` sequences) or ``"stft"`` (``stft``
            ``(62, n_frames, n_freqs)`` per EEG window).
        window_s: EEG window length in seconds (``raw``/``stft``), or the DE window (``de``).
        step_s: hop between window starts in seconds; ``None`` means ``window_s`` (no overlap).
        n_steps: length of ``de``/``de_lds`` sequences (truncated or zero-padded).
        feature_source: for ``de_lds``, which official feature folder to read (corpus specific,
            e.g. ``"1s"`` or ``"4s"`` for SEED).
        stft_nperseg, stft_noverlap: STFT segment length and overlap in samples (``stft``).
        stft_max_freq_hz: highest STFT frequency kept (``stft``).
    """

    representation: str = "raw"
    window_s: float = 1.0
    step_s: float | None = None
    n_steps: int = 60
    feature_source: str | None = None
    stft_nperseg: int = 200
    stft_noverlap: int = 100
    stft_max_freq_hz: float = 50.0


class SeedFamilyBuilder(
    CorpusBuilderMixin, tfds.core.GeneratorBasedBuilder, skip_registration=True
):
    """Base builder: subclasses set the class attributes below and implement the three hooks."""

    # --- set by subclasses ---
    SFREQ_HZ = 200.0
    LABEL_NAMES: tuple = ()
    BINARY_LABEL_NAMES: tuple | None = None  # with BINARY_MAPPING: adds ``label_binary`` (stft)
    BINARY_MAPPING: dict | None = None
    CORPUS_NAME = "SEED"
    DEFAULT_BUILDER_CONFIG_NAME = "de"
    DEFAULT_MODEL = "res_attention_net"
    NORMALISATION_AXES = {
        **SIGNAL_NORMALISATION_AXES,
        "de": (0,),  # (n_steps, n_features): per feature
        "stft": STFT_AXES,
    }

    # --- hooks ---
    def _find_recordings(self, manual_dir, source):  # pragma: no cover - abstract
        raise NotImplementedError

    def _extra_source_files(self, manual_dir):
        """Files read besides the recordings (label files); none by default."""
        return []

    @property
    def _source(self):
        return "features" if self.builder_config.representation == "de_lds" else "eeg"

    def source_files(self, manual_dir):
        """The recordings the current config reads, plus its label files (sorted, unique)."""
        recordings = self._find_recordings(manual_dir, self._source)
        paths = {r.path for group in recordings.values() for r in group}
        paths.update(os.fspath(p) for p in self._extra_source_files(manual_dir))
        return sorted(paths)

    def preprocessing_spec(self):
        """The EEG (62 channels, 200 Hz) windows, or the DE/STFT features computed from them."""
        from amigos_emo.constants.seed import EEG_CHANNELS
        from amigos_emo.preprocessing_spec import PreprocessingSpec, SignalSpec

        config = self.builder_config
        step_s = config.step_s or config.window_s
        extra = {"n_classes": len(self.LABEL_NAMES), "label_names": list(self.LABEL_NAMES)}
        if config.representation in ("de", "de_lds"):
            extra.update(
                n_steps=config.n_steps, bands=N_BANDS, feature_layout="channel-major (c * 5 + b)"
            )
            if config.representation == "de_lds":
                extra["feature_source"] = config.feature_source or "official de_LDS"
        if config.representation == "stft":
            extra["stft"] = {
                "nperseg": config.stft_nperseg,
                "noverlap": config.stft_noverlap,
                "max_freq_hz": config.stft_max_freq_hz,
            }
        return PreprocessingSpec(
            dataset=f"{self.name}/{config.name}",
            builder_version=str(self.version),
            window_s=config.window_s,
            step_s=step_s,
            signals={"eeg": SignalSpec("eeg", EEG_CHANNELS, self.SFREQ_HZ, "uV")},
            representation=config.representation,
            baseline=None,
            extra=extra,
            normalisation_axes=self.normalisation_axes(),
        )

    def _raw_trials(self, recording):  # pragma: no cover - abstract
        raise NotImplementedError

    def _feature_trials(self, recording):  # pragma: no cover - abstract
        raise NotImplementedError

    # --- TFDS ---
    @property
    def _window_samples(self):
        return int(round(self.builder_config.window_s * self.SFREQ_HZ))

    @property
    def _step_samples(self):
        step_s = self.builder_config.step_s or self.builder_config.window_s
        return int(round(step_s * self.SFREQ_HZ))

    def _stft_shape(self):
        from amigos_emo.signal.spectral import stft_spectrogram

        config = self.builder_config
        probe = stft_spectrogram(
            np.zeros((self._window_samples, N_CHANS), np.float32),
            self.SFREQ_HZ,
            nperseg=config.stft_nperseg,
            noverlap=config.stft_noverlap,
            max_freq_hz=config.stft_max_freq_hz,
        )
        return tuple(probe.shape)

    def _info(self) -> tfds.core.DatasetInfo:
        config = self.builder_config
        features = index_features()
        features["label"] = tfds.features.ClassLabel(names=list(self.LABEL_NAMES))
        if config.representation == "raw":
            features["eeg"] = tfds.features.Tensor(
                shape=(self._window_samples, N_CHANS),
                dtype=np.float32,
                doc="EEG window, time-major (n_times, 62), microvolts",
            )
            supervised = ("eeg", "label")
        elif config.representation in ("de", "de_lds"):
            features["de"] = tfds.features.Tensor(
                shape=(config.n_steps, N_DE_FEATURES),
                dtype=np.float32,
                doc="DE sequence (n_steps, 62 * 5), channel-major, zero-padded past n_steps",
            )
            features["n_steps"] = tfds.features.Scalar(np.int32, doc="valid (unpadded) steps")
            supervised = ("de", "label")
        elif config.representation == "stft":
            features["stft"] = tfds.features.Tensor(
                shape=self._stft_shape(),
                dtype=np.float32,
                doc="log-power STFT (n_chans, n_frames, n_freqs) of one EEG window",
            )
            supervised = ("stft", "label")
        else:  # pragma: no cover - configs are defined in code
            raise ValueError(
                f"representation must be one of {REPRESENTATIONS}. Received: {config.representation!r}"
            )
        if self.BINARY_LABEL_NAMES and config.representation == "stft":
            features["label_binary"] = tfds.features.ClassLabel(names=list(self.BINARY_LABEL_NAMES))
        return self.dataset_info_from_configs(
            features=tfds.features.FeaturesDict(features),
            supervised_keys=supervised,
            homepage="https://bcmi.sjtu.edu.cn/home/seed/",
        )

    def _split_generators(self, dl_manager: tfds.download.DownloadManager):
        manual_dir = dl_manager.manual_dir  # checked by CorpusBuilderMixin.download_and_prepare
        recordings = self._find_recordings(manual_dir, self._source)
        return {
            f"subject_{subject:02d}": self._generate_examples(subject, recordings[subject])
            for subject in sorted(recordings)
        }

    def _generate_examples(self, subject, recordings):
        config = self.builder_config
        skips = SkipCounter(f"{self.CORPUS_NAME} subject {subject}")
        for recording in recordings:
            trials = (
                self._feature_trials(recording)
                if config.representation == "de_lds"
                else self._raw_trials(recording)
            )
            for trial_id, label, data in trials:
                field = f"session {recording.session_id}, trial {trial_id}"
                check_codes(
                    label,
                    range(len(self.LABEL_NAMES)),
                    recording.path,
                    field=field,
                    names=self.LABEL_NAMES,
                )
                ids = {
                    "subject_id": subject,
                    "session_id": recording.session_id,
                    "trial_id": trial_id,
                    "label": int(label),
                }
                where = f"{recording.path}: trial {trial_id}"
                if data.size == 0:
                    skips.skip("empty", detail=where, where=f"{recording.session_id}/{trial_id}")
                    continue
                # The corpus has no known holes: a non-finite sample means a corrupt file.
                finite_float32(
                    data,
                    recording.path,
                    field=field,
                    modality="DE features" if config.representation == "de_lds" else "EEG",
                )
                if config.representation == "de" and data.shape[0] < self._window_samples:
                    skips.skip(
                        f"shorter than one {config.window_s:g} s DE window",
                        detail=where,
                        where=f"{recording.session_id}/{trial_id}",
                    )
                    continue
                key = f"{subject:02d}_{recording.session_id}_{trial_id:02d}"
                if config.representation == "raw":
                    windows = sliding_windows(
                        data, self._window_samples, self._step_samples, axis=0
                    )
                    windows = windows.astype(np.float32)
                    for index in range(windows.shape[0]):
                        yield (
                            f"{key}_{index:05d}",
                            {**ids, "window_index": index, "eeg": windows[index]},
                        )
                elif config.representation == "de":
                    from amigos_emo.signal.features import de_sequence

                    sequence, n_valid = de_sequence(
                        data,
                        self.SFREQ_HZ,
                        window_s=config.window_s,
                        n_steps=config.n_steps,
                        smooth=True,
                    )
                    yield key, {**ids, "window_index": 0, "de": sequence, "n_steps": n_valid}
                elif config.representation == "de_lds":
                    sequence, n_valid = official_de_sequence(data, config.n_steps)
                    yield key, {**ids, "window_index": 0, "de": sequence, "n_steps": n_valid}
                else:  # stft
                    from amigos_emo.signal.spectral import stft_spectrogram

                    windows = sliding_windows(
                        data, self._window_samples, self._step_samples, axis=0
                    )
                    if windows.shape[0] == 0:
                        continue
                    # One call for all windows of the trial: (n_windows, n_chans, n_frames, n_freqs).
                    spectrograms = stft_spectrogram(
                        windows,
                        self.SFREQ_HZ,
                        nperseg=config.stft_nperseg,
                        noverlap=config.stft_noverlap,
                        axis=1,
                        max_freq_hz=config.stft_max_freq_hz,
                    ).astype(np.float32)
                    for index in range(spectrograms.shape[0]):
                        example = {**ids, "window_index": index, "stft": spectrograms[index]}
                        if self.BINARY_LABEL_NAMES:
                            example["label_binary"] = self.BINARY_MAPPING[int(label)]
                        yield f"{key}_{index:05d}", example
        skips.report()


@dataclasses.dataclass(frozen=True)
class SessionFile:
    """One file (or one session of a multi-session file) of one subject.

    Attributes:
        subject: corpus subject number.
        session_id: 1-based session as the builder defines it (see each README).
        path: the file.
        extra: corpus-specific details (e.g. the date, a second file).
    """

    subject: int
    session_id: int
    path: str
    extra: tuple = ()


# --------------------------------------------------------------------------- file discovery


def find_files(manual_dir, file_regex, folder_names=None, levels_up=1):
    """Files under ``manual_dir`` (recursive) whose name matches ``file_regex``.

    Args:
        manual_dir: the folder to search (recursively).
        file_regex: regular expression the file NAME must match (``re.fullmatch``).
        folder_names: if given, keep only files whose ancestor ``levels_up`` levels up has one of
            these names (``levels_up=1``: the parent folder).
        levels_up: which ancestor ``folder_names`` refers to.

    Returns:
        list of ``(path, match)`` sorted by path (callers sort numerically by the match groups).
    """
    manual_dir = os.fspath(manual_dir)
    if not os.path.isdir(manual_dir):
        raise FileNotFoundError(
            f"manual_dir {manual_dir} does not exist or is not a folder. Point "
            "download_config=tfds.download.DownloadConfig(manual_dir=...) at the extracted corpus."
        )
    pattern = re.compile(file_regex)
    found = []
    for root, _dirs, files in os.walk(manual_dir):
        for name in files:
            match = pattern.fullmatch(name)
            if match is None:
                continue
            path = os.path.join(root, name)
            if folder_names is not None:
                ancestor = path
                for _ in range(levels_up):
                    ancestor = os.path.dirname(ancestor)
                if os.path.basename(ancestor) not in folder_names:
                    continue
            found.append((path, match))
    return sorted(found, key=lambda item: item[0])


def no_files_error(manual_dir, what, folder_names, example):
    """The error for a manual_dir in which no corpus file was found."""
    return CorpusFormatError(
        manual_dir,
        f"no {what} found (searched recursively)",
        expected=f"files such as {example} inside a folder named {' or '.join(folder_names)}",
        found="none",
        hint="Point manual_dir at the extracted corpus folder (see MANUAL_DOWNLOAD_INSTRUCTIONS).",
    )


# --------------------------------------------------------------------------- MATLAB contents


def mat_variable_names(path):
    """Names of the variables in a MATLAB v5 file without loading their data.

    Raises:
        CorpusFormatError: the file is empty, truncated or not a MATLAB file.
    """
    import scipy.io

    path = os.fspath(path)
    if os.path.getsize(path) == 0:
        raise CorpusFormatError(path, "the file is empty (0 bytes)", hint="Download it again.")
    try:
        return [name for name, _shape, _cls in scipy.io.whosmat(path)]
    except Exception as error:
        raise CorpusFormatError(
            path,
            "could not be read as a MATLAB file (truncated or corrupt?)",
            found=f"{type(error).__name__}: {error}",
            hint="Download the file again; a partial download is the usual cause.",
        ) from error


def numbered_keys(names, key_regex, path, n_trials, what, first=1):
    """Select the trial keys of a file by regex and sort them NUMERICALLY.

    Args:
        names: all key names in the file.
        key_regex: regular expression with one group, the trial number (``re.search``).
        path: the file (for messages).
        n_trials: trials per session in this corpus; numbers must lie in
            ``first..first + n_trials - 1``.
        what: description for messages, e.g. ``"EEG keys <initials>_eeg<k>"``.
        first: the first valid number (1, or 0 for SEED-V npz keys).

    Returns:
        list of ``(number, key)`` sorted by number.

    Raises:
        CorpusFormatError: no key matches, a number is out of range, or a number appears twice.
    """
    pattern = re.compile(key_regex)
    numbered = []
    for name in names:
        match = pattern.search(str(name))
        if match:
            numbered.append((int(match.group(1)), name))
    numbered.sort()
    last = first + n_trials - 1
    if not numbered:
        raise CorpusFormatError(
            path,
            f"no {what}",
            expected=f"{n_trials} keys matching {key_regex}",
            found=f"keys {sorted(map(str, names))[:20]}",
        )
    numbers = [number for number, _ in numbered]
    bad = [key for number, key in numbered if not first <= number <= last]
    if bad:
        raise CorpusFormatError(
            path,
            f"unexpected {what}",
            expected=f"trial numbers {first}..{last}",
            found=f"keys {bad}",
        )
    duplicates = sorted({n for n in numbers if numbers.count(n) > 1})
    if duplicates:
        raise CorpusFormatError(
            path,
            f"two keys for the same trial among the {what}",
            expected="one key per trial",
            found=f"keys {[key for number, key in numbered if number in duplicates]}",
        )
    if len(numbered) < n_trials:
        missing = sorted(set(range(first, last + 1)) - set(numbers))
        shown = missing if len(missing) <= 12 else missing[:10] + ["..."]
        logger.warning(
            "%s: holds %d of %d trials; %d missing trial(s) %s are not written.",
            path,
            len(numbered),
            n_trials,
            len(missing),
            shown,
        )
    return numbered


def channel_major_eeg(array, path, field, n_chans=N_CHANS):
    """Check a ``(62, n_times)`` EEG array and return it time-major ``(n_times, 62)``.

    Raises:
        CorpusFormatError: the array is not 2-D with 62 rows.
    """
    array = np.asarray(array)
    if array.ndim != 2 or array.shape[0] != n_chans or array.dtype.kind not in "fiu":
        hint = None
        if array.ndim == 2 and array.shape[1] == n_chans:
            hint = "The array looks transposed (time x channel); the corpus stores channel x time."
        raise CorpusFormatError(
            path,
            "has an unexpected EEG array",
            field=field,
            expected=f"a numeric ({n_chans}, n_times) array (channel x time)",
            found=f"dtype {array.dtype}, shape {array.shape}",
            hint=hint,
        )
    return array.T


def check_official_de(array, path, field, layout):
    """Check an official DE array and return it as ``(n_windows, 62, 5)``.

    Args:
        array: the array as stored.
        layout: ``"cwb"`` for (62, W, 5) (SEED, SEED-IV), ``"wbc"`` for (W, 5, 62) (SEED-VII),
            ``"wf"`` for (W, 310) channel-major (SEED-V).
    """
    array = np.asarray(array)
    expected = {
        "cwb": f"({N_CHANS}, n_windows, {N_BANDS})",
        "wbc": f"(n_windows, {N_BANDS}, {N_CHANS})",
        "wf": f"(n_windows, {N_DE_FEATURES})",
    }[layout]
    ok = array.dtype.kind in "fiu" and (
        (
            layout == "cwb"
            and array.ndim == 3
            and array.shape[0] == N_CHANS
            and array.shape[2] == N_BANDS
        )
        or (layout == "wbc" and array.ndim == 3 and array.shape[1:] == (N_BANDS, N_CHANS))
        or (layout == "wf" and array.ndim == 2 and array.shape[1] == N_DE_FEATURES)
    )
    if not ok:
        raise CorpusFormatError(
            path,
            "has an unexpected DE feature array",
            field=field,
            expected=f"a numeric {expected} array",
            found=f"dtype {array.dtype}, shape {array.shape}",
        )
    if layout == "cwb":
        return array.transpose(1, 0, 2)
    if layout == "wbc":
        return array.transpose(0, 2, 1)
    return array.reshape(array.shape[0], N_CHANS, N_BANDS)


def official_de_sequence(de, n_steps):
    """Official DE features ``(n_windows, 62, 5)`` -> one trial-level sequence.

    Args:
        de: float array ``(n_windows, n_chans, n_bands)``.
        n_steps: output length; the first ``n_steps`` windows are kept, shorter trials are
            zero-padded at the end.

    Returns:
        ``(sequence, n_valid)``: float32 ``(n_steps, n_chans * n_bands)`` channel-major
        (feature ``c * n_bands + b``), and the number of valid (unpadded) steps as int.
    """
    de = np.asarray(de)
    n_valid = min(de.shape[0], n_steps)
    sequence = np.zeros((n_steps, de.shape[1] * de.shape[2]), np.float32)
    sequence[:n_valid] = de[:n_valid].reshape(n_valid, -1)
    return sequence, n_valid


def check_label_vector(labels, path, field, n_trials, allowed):
    """Flatten a label vector and check its length and values.

    Raises:
        CorpusFormatError: wrong length or a value outside ``allowed``.
    """
    labels = np.asarray(labels)
    flat = labels.ravel()
    if (
        flat.size != n_trials
        or labels.dtype.kind not in "fiu"
        or not np.all(np.isin(flat, list(allowed)))
    ):
        raise CorpusFormatError(
            path,
            "has unexpected labels",
            field=field,
            expected=f"{n_trials} values from {sorted(allowed)}",
            found=f"dtype {labels.dtype}, shape {labels.shape}, values {np.unique(flat)[:10].tolist() if flat.size else []}",
        )
    return flat.astype(int)
