"""DEAP (preprocessed release) as a TFDS builder: 1 s raw windows or STFT windows per subject.

Reads ``data_preprocessed_python/sNN.dat`` (Python-2 pickles, through the restricted unpickler
only) and falls back to ``data_preprocessed_matlab/sNN.mat`` for subjects without a ``.dat``.
See ``README.md`` beside this file for label codes, windowing and protocols.
"""

from __future__ import annotations

import dataclasses
import os
import pathlib
import re

import numpy as np
import tensorflow_datasets as tfds
from etils import epath

from amigos_emo._logging import logger
from amigos_emo.constants import deap as deap_constants
from amigos_emo.io.errors import CorpusFormatError
from amigos_emo.io.integrity import check_scale, finite_float32
from amigos_emo.tfds_builders.corpus import (
    SIGNAL_AXES,
    SIGNAL_NORMALISATION_AXES,
    STFT_AXES,
    CorpusBuilderMixin,
    index_features,
)

_DESCRIPTION = """
DEAP: 32 participants watched 40 one-minute music videos while 32-channel EEG and 8 peripheral
channels were recorded (preprocessed release: 128 Hz, EOG removed, 4-45 Hz band-pass, average
reference, trials in video order). Ratings: valence, arousal, dominance, liking (1-9). Label: the
valence/arousal quadrant 2 * (arousal >= 5) + (valence >= 5). One split per subject.
"""

_MANUAL_DOWNLOAD_INSTRUCTIONS = """
DEAP is distributed under an End User License Agreement (academic research only).
1. Request access at https://www.eecs.qmul.ac.uk/mmv/datasets/deap/ (sign and return the EULA).
2. Download `data_preprocessed_python.zip` (and/or `data_preprocessed_matlab.zip`) and unzip it.
3. Point `manual_dir` at the folder that contains `data_preprocessed_python/` (any depth below
   it is searched): files `s01.dat` ... `s32.dat` (or `s01.mat` ... `s32.mat`).
"""


@dataclasses.dataclass(eq=False)
class DeapConfig(tfds.core.BuilderConfig):
    """What is written per example.

    Attributes:
        representation: ``"raw"`` (time-major windows) or ``"stft"`` (EEG spectrograms).
        window_s: window length in seconds.
        step_s: hop between window starts in seconds (``window_s`` means no overlap).
        nperseg: STFT segment length in samples (``stft`` only).
        noverlap: STFT segment overlap in samples (``stft`` only).
        max_freq_hz: STFT frequencies above this are cropped (``stft`` only).
    """

    representation: str = "raw"
    window_s: float = 1.0
    step_s: float = 1.0
    nperseg: int | None = None
    noverlap: int | None = None
    max_freq_hz: float | None = None

    @property
    def window_samples(self) -> int:
        return int(round(self.window_s * deap_constants.SFREQ_HZ))

    @property
    def step_samples(self) -> int:
        return int(round(self.step_s * deap_constants.SFREQ_HZ))


RAW_CONFIG = DeapConfig(
    name="raw",
    description=(
        "1 s windows (128 samples), no overlap, over the 60 s stimulus; EEG minus the 3 s "
        "pre-trial baseline template; peripheral channels as recorded."
    ),
    representation="raw",
    window_s=1.0,
    step_s=1.0,
)
STFT_CONFIG = DeapConfig(
    name="stft",
    description=(
        "GRU-XNet input: 4 s windows every 2 s over the 60 s stimulus (29 per trial); per window "
        "the log-magnitude STFT of the 32 EEG channels, nperseg 64 (0.5 s), noverlap 48, "
        "frequencies up to 45 Hz (2 Hz bins)."
    ),
    representation="stft",
    window_s=4.0,
    step_s=2.0,
    nperseg=64,
    noverlap=48,
    max_freq_hz=45.0,
)


def find_subject_files(manual_dir, warn=True):
    """Map subject number -> (path, ``"python"`` or ``"matlab"``), searching ``manual_dir`` recursively.

    A subject's ``sNN.dat`` is preferred; its ``sNN.mat`` is used only when no ``.dat`` exists.

    Raises:
        CorpusFormatError: no DEAP file at all, or two files for the same subject and format.
    """
    manual_dir = pathlib.Path(os.fspath(manual_dir))
    found = {"python": {}, "matlab": {}}
    patterns = {
        "python": re.compile(deap_constants.PYTHON_FILE_REGEX, re.IGNORECASE),
        "matlab": re.compile(deap_constants.MATLAB_FILE_REGEX, re.IGNORECASE),
    }
    for path in sorted(manual_dir.rglob("*")):
        for kind, pattern in patterns.items():
            match = pattern.match(path.name)
            if match and path.is_file():
                subject = int(match.group(1))
                if subject in found[kind]:
                    raise CorpusFormatError(
                        path,
                        f"two files for subject {subject}",
                        expected="one file per subject",
                        found=f"{found[kind][subject]} and {path}",
                        hint="Keep one copy of the corpus under manual_dir.",
                    )
                found[kind][subject] = path
    subjects = sorted(set(found["python"]) | set(found["matlab"]))
    if not subjects:
        raise CorpusFormatError(
            manual_dir,
            "no DEAP files found (searched recursively)",
            expected="data_preprocessed_python/s01.dat ... s32.dat or data_preprocessed_matlab/s01.mat ...",
            hint=_MANUAL_DOWNLOAD_INSTRUCTIONS.strip(),
        )
    absent = sorted(set(range(1, deap_constants.N_SUBJECTS + 1)) - set(subjects))
    if absent and warn:
        logger.warning(
            "DEAP: no file for subject(s) %s below %s (the release has s01-s%02d); building the %d found.",
            absent,
            manual_dir,
            deap_constants.N_SUBJECTS,
            len(subjects),
        )
    files = {}
    for subject in subjects:
        if subject in found["python"]:
            files[subject] = (found["python"][subject], "python")
        else:
            files[subject] = (found["matlab"][subject], "matlab")
    n_matlab = sum(kind == "matlab" for _, kind in files.values())
    logger.info(
        "DEAP: %d subjects; %d read from Python pickles (.dat), %d from MATLAB files (.mat)%s",
        len(files),
        len(files) - n_matlab,
        n_matlab,
        f": subjects {[s for s, (_, k) in files.items() if k == 'matlab']}" if n_matlab else "",
    )
    return files


def load_subject(path, kind):
    """Read and check one subject file.

    Args:
        path: ``sNN.dat`` or ``sNN.mat``.
        kind: ``"python"`` (restricted unpickler, latin-1) or ``"matlab"``.

    Returns:
        ``(data, labels)``: ``data`` (n_trials, 40, n_samples) as stored (float64 in the real
        release), ``labels`` (n_trials, 4) float64: valence, arousal, dominance, liking.

    Raises:
        CorpusFormatError: unreadable file, missing keys, or wrong shapes.
    """
    path = os.fspath(path)
    if kind == "python":
        from amigos_emo.io.safe_pickle import restricted_load

        contents = restricted_load(path, encoding="latin1")
        if not isinstance(contents, dict):
            raise CorpusFormatError(
                path,
                "the pickle is not a dict",
                expected="a dict with keys 'data' and 'labels'",
                found=type(contents).__name__,
            )
        contents = {
            (k.decode("latin1") if isinstance(k, bytes) else k): v for k, v in contents.items()
        }
        missing = [key for key in ("data", "labels") if key not in contents]
        if missing:
            raise CorpusFormatError(
                path,
                f"missing key(s) {', '.join(missing)}",
                expected="keys 'data' and 'labels'",
                found=f"keys {sorted(map(str, contents))}",
            )
    else:
        from amigos_emo.io.matlab import load_mat

        contents = load_mat(path, variables=["data", "labels"])
    data, labels = contents["data"], contents["labels"]
    min_samples = deap_constants.BASELINE_SAMPLES + 1
    if (
        not isinstance(data, np.ndarray)
        or data.dtype.kind not in "fiu"
        or data.ndim != 3
        or data.shape[1] != deap_constants.N_CHANNELS
        or data.shape[2] < min_samples
    ):
        raise CorpusFormatError(
            path,
            "unexpected 'data' array",
            field="data",
            expected=f"a numeric array (n_trials, {deap_constants.N_CHANNELS}, n_samples) with "
            f"n_samples > {deap_constants.BASELINE_SAMPLES} (real files: (40, 40, 8064))",
            found=_describe(data),
        )
    if (
        not isinstance(labels, np.ndarray)
        or labels.dtype.kind not in "fiu"
        or labels.shape != (data.shape[0], len(deap_constants.RATING_COLUMNS))
    ):
        raise CorpusFormatError(
            path,
            "unexpected 'labels' array",
            field="labels",
            expected=f"a numeric array ({data.shape[0]}, 4): valence, arousal, dominance, liking",
            found=_describe(labels),
        )
    if data.shape != (deap_constants.N_TRIALS, deap_constants.N_CHANNELS, deap_constants.N_SAMPLES):
        logger.warning(
            "%s: data has shape %s, not the release's (40, 40, 8064); using it as it is.",
            path,
            data.shape,
        )
    return data, labels.astype(np.float64)


def _describe(value):
    if isinstance(value, np.ndarray):
        return f"{value.dtype} array of shape {value.shape}"
    return f"{type(value).__name__}"


class Builder(CorpusBuilderMixin, tfds.core.GeneratorBasedBuilder):
    """DEAP, preprocessed release."""

    pkg_dir_path = epath.Path(__file__).parent
    VERSION = tfds.core.Version("1.1.0")
    RELEASE_NOTES = {
        "1.0.0": "Initial release: raw 1 s windows and STFT windows.",
        "1.1.0": "A trial with NaN/inf (or float32-overflowing) samples, or a rating outside 1-9, stops "
        "the build with an error naming file and trial (the release has none; such a file is corrupt).",
    }
    MANUAL_DOWNLOAD_INSTRUCTIONS = _MANUAL_DOWNLOAD_INSTRUCTIONS
    BUILDER_CONFIGS = [RAW_CONFIG, STFT_CONFIG]
    DEFAULT_BUILDER_CONFIG_NAME = "stft"
    DEFAULT_MODEL = "gru_xnet"
    NORMALISATION_AXES = {
        **SIGNAL_NORMALISATION_AXES,
        "peripheral": SIGNAL_AXES,
        "stft": STFT_AXES,
    }
    SOURCE_FILES = (
        "data_preprocessed_python/s01.dat ... s32.dat (or data_preprocessed_matlab/sNN.mat)"
    )

    def source_files(self, manual_dir):
        """The ``sNN.dat`` (or ``sNN.mat``) files the build reads, one per subject."""
        return [path for path, _kind in find_subject_files(manual_dir, warn=False).values()]

    def preprocessing_spec(self):
        """Raw: EEG minus the 3 s baseline template plus peripheral channels; stft: EEG spectrograms."""
        from amigos_emo.preprocessing_spec import PreprocessingSpec, SignalSpec

        config = self.builder_config
        rate = deap_constants.SFREQ_HZ
        signals = {"eeg": SignalSpec("eeg", deap_constants.EEG_CHANNELS, rate, "uV")}
        if config.representation == "raw":
            signals["peripheral"] = SignalSpec(
                "peripheral", deap_constants.PERIPHERAL_CHANNELS, rate
            )
            signals["gsr"] = SignalSpec("gsr", ("GSR",), rate, "ohm")
        return PreprocessingSpec(
            dataset=f"{self.name}/{config.name}",
            builder_version=str(self.version),
            window_s=config.window_s,
            step_s=config.step_s,
            signals=signals,
            representation=config.representation,
            baseline=(
                {
                    "seconds": deap_constants.BASELINE_S,
                    "template_s": config.window_s,
                    "applies_to": ["eeg"],
                    "kind": "subtract_template",
                }
                if config.representation == "raw"
                else None
            ),
            extra={
                "stft": {
                    "nperseg": config.nperseg,
                    "noverlap": config.noverlap,
                    "max_freq_hz": config.max_freq_hz,
                    "log": True,
                }
            }
            if config.representation == "stft"
            else {},
            normalisation_axes=self.normalisation_axes(),
        )

    def _info(self) -> tfds.core.DatasetInfo:
        config = self.builder_config
        features = {
            **index_features(),
            "label": tfds.features.ClassLabel(names=deap_constants.QUADRANT_NAMES),
        }
        for rating in deap_constants.RATING_COLUMNS:
            features[rating] = tfds.features.Scalar(np.float32)
        n_eeg = len(deap_constants.EEG_CHANNELS)
        if config.representation == "raw":
            n_times = config.window_samples
            features["eeg"] = tfds.features.Tensor(shape=(n_times, n_eeg), dtype=np.float32)
            features["peripheral"] = tfds.features.Tensor(
                shape=(n_times, len(deap_constants.PERIPHERAL_CHANNELS)), dtype=np.float32
            )
            features["gsr"] = tfds.features.Tensor(shape=(n_times, 1), dtype=np.float32)
            supervised = ("eeg", "label")
        else:
            features["stft"] = tfds.features.Tensor(shape=self._stft_shape(), dtype=np.float32)
            supervised = ("stft", "label")
        return self.dataset_info_from_configs(
            description=_DESCRIPTION,
            features=tfds.features.FeaturesDict(features),
            supervised_keys=supervised,
            homepage="https://www.eecs.qmul.ac.uk/mmv/datasets/deap/",
        )

    def _stft_shape(self):
        config = self.builder_config
        probe = np.zeros((config.window_samples, len(deap_constants.EEG_CHANNELS)), np.float32)
        return tuple(int(n) for n in self._stft(probe[np.newaxis]).shape[1:])

    def _stft(self, windows):
        """(n_windows, n_times, n_chans) -> (n_windows, n_chans, n_frames, n_freqs) float32."""
        from amigos_emo.signal.spectral import stft_spectrogram

        config = self.builder_config
        return np.asarray(
            stft_spectrogram(
                windows,
                deap_constants.SFREQ_HZ,
                nperseg=config.nperseg,
                noverlap=config.noverlap,
                axis=1,
                log=True,
                max_freq_hz=config.max_freq_hz,
            ),
            dtype=np.float32,
        )

    def _split_generators(self, dl_manager: tfds.download.DownloadManager):
        files = find_subject_files(dl_manager.manual_dir)
        return {
            f"subject_{subject:02d}": self._generate_examples(path, kind, subject)
            for subject, (path, kind) in files.items()
        }

    def _generate_examples(self, path, kind, subject):
        from amigos_emo.signal.windows import remove_baseline, sliding_windows

        config = self.builder_config
        data, labels = load_subject(path, kind)
        baseline_samples = deap_constants.BASELINE_SAMPLES
        for trial_index in range(data.shape[0]):
            trial_id = trial_index + 1
            ratings = check_scale(
                labels[trial_index],
                deap_constants.RATING_SCALE,
                path,
                field=f"labels[{trial_index}] (trial {trial_id})",
                names=deap_constants.RATING_COLUMNS,
            )
            signal = data[trial_index].T  # time-major (n_samples, 40)
            # The release has no holes: a non-finite sample means a corrupt file, so it stops the build.
            finite_float32(
                signal[:, deap_constants.EEG_ROWS],
                path,
                field=f"data[{trial_index}] (trial {trial_id})",
                modality="EEG",
            )
            finite_float32(
                signal[:, deap_constants.PERIPHERAL_ROWS],
                path,
                field=f"data[{trial_index}] (trial {trial_id})",
                modality="peripheral",
            )
            baseline = signal[:baseline_samples, deap_constants.EEG_ROWS]
            stimulus = signal[baseline_samples:]
            eeg = sliding_windows(
                stimulus[:, deap_constants.EEG_ROWS], config.window_samples, config.step_samples
            )
            if eeg.shape[0] == 0:
                raise CorpusFormatError(
                    path,
                    f"trial {trial_id} is too short for one window",
                    field="data",
                    expected=f"at least {baseline_samples + config.window_samples} samples",
                    found=f"{signal.shape[0]} samples",
                )
            common = {
                "subject_id": subject,
                "session_id": 1,
                "trial_id": trial_id,
                "label": int(deap_constants.quadrant_label(ratings[0], ratings[1])),
                **{
                    name: np.float32(value)
                    for name, value in zip(deap_constants.RATING_COLUMNS, ratings, strict=True)
                },
            }
            if config.representation == "raw":
                eeg = remove_baseline(eeg, baseline).astype(np.float32)
                peripheral = sliding_windows(
                    stimulus[:, deap_constants.PERIPHERAL_ROWS],
                    config.window_samples,
                    config.step_samples,
                ).astype(np.float32)
                gsr_column = deap_constants.GSR_ROW - deap_constants.PERIPHERAL_ROWS.start
                for window_index in range(eeg.shape[0]):
                    yield (
                        f"{subject:02d}_{trial_id:02d}_{window_index:03d}",
                        {
                            **common,
                            "window_index": window_index,
                            "eeg": eeg[window_index],
                            "peripheral": peripheral[window_index],
                            "gsr": peripheral[window_index, :, gsr_column : gsr_column + 1],
                        },
                    )
            else:
                spectrograms = self._stft(np.asarray(eeg, dtype=np.float32))
                for window_index in range(spectrograms.shape[0]):
                    yield (
                        f"{subject:02d}_{trial_id:02d}_{window_index:03d}",
                        {
                            **common,
                            "window_index": window_index,
                            "stft": spectrograms[window_index],
                        },
                    )
