"""AMIGOS (preprocessed release) as a TFDS builder: 4 s EEG/ECG/GSR windows per participant.

Reads ``Data_Preprocessed_PXX.mat`` (searched recursively under ``manual_dir``), checks every
trial, and emits non-overlapping 4 s windows after the 5 s baseline. The ``synthetic`` config
writes a SYNTHETIC corpus in the same format first and reads it through the same parser. See
``README.md`` beside this file for label codes, windowing, the transition label and the
skipped-trial policy.
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
from amigos_emo.constants import amigos as amigos_constants
from amigos_emo.io.errors import CorpusFormatError
from amigos_emo.io.integrity import NonFiniteError, SkipCounter, check_scale, finite_float32
from amigos_emo.tfds_builders.beam import BeamSplitsMixin
from amigos_emo.tfds_builders.corpus import (
    CorpusBuilderMixin,
    index_features,
)

_DESCRIPTION = """
AMIGOS: 40 participants watched 16 short (51-150 s) and 4 long (14-24 min) videos while 14-channel
Emotiv EEG, 2 ECG leads and GSR were recorded (preprocessed release: 128 Hz, one matrix of 17
columns per video). Self-assessed arousal, valence, dominance, liking (1-9) per video. Examples
are non-overlapping 4 s windows after the 5 s baseline; EEG has the baseline template removed.
One split per participant (subject_XX). The `synthetic` config holds SYNTHETIC data only.
"""

_MANUAL_DOWNLOAD_INSTRUCTIONS = """
AMIGOS is distributed under an End User License Agreement (academic research only).
1. Go to the AMIGOS website (http://www.eecs.qmul.ac.uk/mmv/datasets/amigos/), read and sign the
   EULA, and send it as the site describes to receive the download credentials.
2. From "Download" -> "Preprocessed data", download the per-participant zips
   (Data_Preprocessed_P01.zip ... Data_Preprocessed_P40.zip) and unzip them, flat or one
   sub-folder per participant; each holds Data_Preprocessed_PXX.mat.
3. Point `--manual-dir` (or DownloadConfig(manual_dir=...)) at the folder that contains them,
   e.g. `data_preprocessed/`; every Data_Preprocessed_P*.mat below it is found (any depth).
No file is fetched from the network.
"""

_SKIP_REASONS = (
    "empty joined_data",
    "empty labels_selfassessment",
    "non-finite joined_data",
    "NaN in ratings",
    "shorter than baseline + one window",
)
_RATINGS = ("valence", "arousal", "dominance", "liking")


@dataclasses.dataclass(eq=False)
class AmigosConfig(tfds.core.BuilderConfig):
    """What is written, and from which files.

    Attributes:
        window_s: window length in seconds (4 s = 512 samples at 128 Hz).
        step_s: hop between window starts in seconds (``window_s``: no overlap).
        synthetic: write and read the SYNTHETIC corpus instead of ``manual_dir``.
        n_participants: synthetic participants (``synthetic`` only).
        seed: synthetic corpus seed (``synthetic`` only).
        video_s: nominal short-video duration of the synthetic corpus, seconds.
        long_video_s: nominal long-video duration of the synthetic corpus, seconds.
    """

    window_s: float = 4.0
    step_s: float = 4.0
    synthetic: bool = False
    n_participants: int = 12
    seed: int = 0
    video_s: float = 60.0
    long_video_s: float = 90.0

    @property
    def window_samples(self) -> int:
        return int(round(self.window_s * amigos_constants.SFREQ_HZ))

    @property
    def step_samples(self) -> int:
        return int(round(self.step_s * amigos_constants.SFREQ_HZ))


PREPROCESSED_CONFIG = AmigosConfig(
    name="preprocessed",
    description=(
        "The real preprocessed release read from manual_dir: 4 s windows (512 samples), no "
        "overlap, after the 5 s baseline; EEG minus the baseline template."
    ),
)
SYNTHETIC_CONFIG = AmigosConfig(
    name="synthetic",
    description=(
        "SYNTHETIC data (not recorded from anyone): 12 participants written by "
        "amigos_emo.synthetic.write_synthetic_amigos(seed=0) in the AMIGOS file format, then "
        "read exactly like `preprocessed`. For pipeline tests and demos only."
    ),
    synthetic=True,
    n_participants=12,
    seed=0,
)


def find_participant_files(manual_dir):
    """Map participant number -> ``Data_Preprocessed_PXX.mat`` path, searching recursively.

    Args:
        manual_dir: folder holding the preprocessed release (flat or per-participant folders).

    Returns:
        dict ``{participant: pathlib.Path}`` sorted by participant.

    Raises:
        CorpusFormatError: no matching file, or two files for the same participant.
    """
    manual_dir = pathlib.Path(os.fspath(manual_dir))
    pattern = re.compile(amigos_constants.FILE_REGEX)
    files = {}
    if manual_dir.is_dir():
        for path in sorted(manual_dir.rglob(amigos_constants.FILE_PATTERN)):
            match = pattern.search(path.name)
            if not match or not path.is_file():
                continue
            participant = int(match.group(1))
            if participant in files:
                raise CorpusFormatError(
                    path,
                    f"two files for participant {participant}",
                    expected="one Data_Preprocessed_PXX.mat per participant",
                    found=f"{files[participant]} and {path}",
                    hint="Keep one copy of the corpus under manual_dir.",
                )
            files[participant] = path
    if not files:
        raise CorpusFormatError(
            manual_dir,
            "no AMIGOS file found (searched recursively)"
            + ("" if manual_dir.is_dir() else "; the folder does not exist"),
            expected="Data_Preprocessed_P01.mat ... Data_Preprocessed_P40.mat",
            hint=_MANUAL_DOWNLOAD_INSTRUCTIONS.strip(),
        )
    return dict(sorted(files.items()))


def _describe(value):
    if isinstance(value, np.ndarray):
        return f"{value.dtype} array of shape {value.shape}"
    return type(value).__name__


def _cell(contents, path, name):
    """The 20 elements of a 1x20 cell variable, or a CorpusFormatError naming what is wrong."""
    from amigos_emo.io.matlab import cell_items

    items = cell_items(contents[name], path, name)
    if len(items) != amigos_constants.N_TRIALS:
        raise CorpusFormatError(
            path,
            "the cell array has the wrong number of trials",
            field=name,
            expected=f"a 1x{amigos_constants.N_TRIALS} cell (16 short + 4 long videos)",
            found=f"{len(items)} cells (shape {contents[name].shape})",
        )
    return items


def _video_id(item):
    value = np.asarray(item)
    if value.size == 0:
        return ""
    if value.dtype.kind in "US":
        return str(value.ravel()[0]).strip()
    return str(value.ravel()[0])


def load_participant(path):
    """Read and structurally check one ``Data_Preprocessed_PXX.mat``.

    Args:
        path: the participant's file.

    Returns:
        list of 20 ``(joined_data, labels, video_id)`` tuples in trial order: ``joined_data``
        ``(T, 17)`` float64 or ``None`` when the cell is empty, ``labels`` ``(12,)`` float64 or
        ``None`` when empty, ``video_id`` a string (the trial number when ``VideoIDs`` is absent).

    Raises:
        CorpusFormatError: unreadable file, missing ``joined_data``/``labels_selfassessment``, a
            cell array of the wrong length, a trial without 17 columns, labels not 12 values.
    """
    from amigos_emo.io.matlab import load_mat

    path = os.fspath(path)
    contents = load_mat(path)
    required = ("joined_data", "labels_selfassessment")
    missing = [name for name in required if name not in contents]
    if missing:
        raise CorpusFormatError(
            path,
            f"missing variable(s) {', '.join(missing)}",
            expected="variables joined_data, labels_selfassessment (and VideoIDs)",
            found=f"variables {', '.join(sorted(contents)) or '(none)'}",
        )
    data_cells = _cell(contents, path, "joined_data")
    label_cells = _cell(contents, path, "labels_selfassessment")
    if "VideoIDs" in contents:
        ids = [_video_id(item) for item in _cell(contents, path, "VideoIDs")]
    else:
        ids = [str(trial) for trial in range(1, amigos_constants.N_TRIALS + 1)]
    trials = []
    for index, (data, labels) in enumerate(zip(data_cells, label_cells, strict=True)):
        trial = index + 1
        data = np.asarray(data)
        labels = np.asarray(labels)
        if data.size == 0:
            data = None
        elif (
            data.ndim != 2
            or data.shape[1] != amigos_constants.N_COLUMNS
            or data.dtype.kind not in "fiu"
        ):
            raise CorpusFormatError(
                path,
                f"trial {trial} does not have {amigos_constants.N_COLUMNS} numeric columns",
                field=f"joined_data{{{trial}}}",
                expected=f"a numeric (n_samples, {amigos_constants.N_COLUMNS}) matrix "
                "(14 EEG, 2 ECG, 1 GSR)",
                found=_describe(data),
            )
        if labels.size == 0:
            labels = None
        elif (
            labels.size != len(amigos_constants.SELF_ASSESSMENT_COLUMNS)
            or labels.dtype.kind not in "fiu"
        ):
            raise CorpusFormatError(
                path,
                f"trial {trial} does not have 12 self-assessment values",
                field=f"labels_selfassessment{{{trial}}}",
                expected="12 numbers: " + ", ".join(amigos_constants.SELF_ASSESSMENT_COLUMNS),
                found=_describe(labels),
            )
        else:
            labels = labels.astype(np.float64).ravel()
        trials.append((data, labels, ids[index]))
    return trials


def binary_state(valence, arousal):
    """The (valence >= 5, arousal >= 5) state used by the transition label."""
    threshold = amigos_constants.STATE_THRESHOLD
    return (bool(valence >= threshold), bool(arousal >= threshold))


def _skip_reason(data, labels, minimum_samples):
    if data is None:
        return "empty joined_data"
    if labels is None:
        return "empty labels_selfassessment"
    used = [labels[amigos_constants.RATING_INDEX[name]] for name in _RATINGS]
    if np.isnan(used).any():
        return "NaN in ratings"
    if data.shape[0] < minimum_samples:
        return "shorter than baseline + one window"
    return None


def warn_missing_participants(files, manual_dir):
    """Warn (once per build) when participants of the release have no file below ``manual_dir``."""
    absent = sorted(set(range(1, amigos_constants.N_PARTICIPANTS + 1)) - set(files))
    if absent:
        logger.warning(
            "AMIGOS: no file for participant(s) %s below %s (the release has P01-P%02d); building the %d found.",
            absent,
            manual_dir,
            amigos_constants.N_PARTICIPANTS,
            len(files),
        )
    return absent


def checked_modalities(data, path, trial):
    """The float32 EEG, ECG and GSR columns of one trial, each refused if not finite.

    Args:
        data: ``joined_data{trial}``, float array ``(n_samples, 17)``.
        path: the participant's file (named in errors).
        trial: 1-based trial number (named in errors).

    Returns:
        ``(eeg, ecg, gsr)`` float32 arrays ``(n_samples, 14)``, ``(n_samples, 2)``, ``(n_samples, 1)``.

    Raises:
        NonFiniteError: a modality holds NaN, +/-inf or values beyond float32.
    """
    field = f"joined_data{{{trial}}}"
    return tuple(
        finite_float32(data[:, columns], path, field=field, modality=modality)
        for columns, modality in (
            (amigos_constants.EEG_COLUMNS, "EEG"),
            (amigos_constants.ECG_COLUMNS, "ECG"),
            (amigos_constants.GSR_COLUMNS, "GSR"),
        )
    )


class Builder(CorpusBuilderMixin, BeamSplitsMixin, tfds.core.GeneratorBasedBuilder):
    """AMIGOS, preprocessed release; config ``synthetic`` is SYNTHETIC."""

    pkg_dir_path = epath.Path(__file__).parent
    VERSION = tfds.core.Version("1.1.0")
    RELEASE_NOTES = {
        "1.0.0": "Initial release: 4 s EEG/ECG/GSR windows, transition label.",
        "1.1.0": "Trials with +/-inf or float32-overflowing samples in any modality are skipped (only "
        "NaN was before); ratings outside 1-9 stop the build with an error naming file and trial.",
    }
    MANUAL_DOWNLOAD_INSTRUCTIONS = _MANUAL_DOWNLOAD_INSTRUCTIONS
    BUILDER_CONFIGS = [PREPROCESSED_CONFIG, SYNTHETIC_CONFIG]
    DEFAULT_BUILDER_CONFIG_NAME = "preprocessed"  # --dataset amigos: the real download
    DEFAULT_MODEL = "multimodal_lstm"
    SOURCE_FILES = "Data_Preprocessed_P01.mat ... Data_Preprocessed_P40.mat (any depth)"

    def source_files(self, manual_dir):
        """The ``Data_Preprocessed_PXX.mat`` files below ``manual_dir`` (sorted by participant)."""
        return list(find_participant_files(manual_dir).values())

    def preprocessing_spec(self):
        """EEG/ECG/GSR windows at 128 Hz, time-major; EEG minus a 1 s template of the 5 s baseline."""
        from amigos_emo.preprocessing_spec import PreprocessingSpec, SignalSpec

        config = self.builder_config
        rate = amigos_constants.SFREQ_HZ
        signals = {
            "eeg": SignalSpec("eeg", amigos_constants.EEG_CHANNELS, rate, "uV"),
            "ecg": SignalSpec("ecg", amigos_constants.ECG_CHANNELS, rate, None),
            "gsr": SignalSpec("gsr", amigos_constants.GSR_CHANNELS, rate, "ohm"),
        }
        return PreprocessingSpec(
            dataset=f"{self.name}/{config.name}",
            builder_version=str(self.version),
            window_s=config.window_s,
            step_s=config.step_s,
            signals=signals,
            representation="raw",
            baseline={
                "seconds": amigos_constants.BASELINE_S,
                "template_s": 1.0,
                "applies_to": ["eeg"],
                "kind": "subtract_template",
            },
            extra={
                "synthetic": bool(config.synthetic),
                "rating_scale": list(amigos_constants.RATING_SCALE),
            },
            normalisation_axes=self.normalisation_axes(),
        )

    def _info(self) -> tfds.core.DatasetInfo:
        n_times = self.builder_config.window_samples
        features = {
            "eeg": tfds.features.Tensor(
                shape=(n_times, len(amigos_constants.EEG_CHANNELS)), dtype=np.float32
            ),
            "ecg": tfds.features.Tensor(
                shape=(n_times, len(amigos_constants.ECG_CHANNELS)), dtype=np.float32
            ),
            "gsr": tfds.features.Tensor(
                shape=(n_times, len(amigos_constants.GSR_CHANNELS)), dtype=np.float32
            ),
            "transition": tfds.features.ClassLabel(names=amigos_constants.TRANSITION_NAMES),
            **index_features(),
            "video_id": tfds.features.Text(),
        }
        for rating in ("valence", "arousal", "dominance", "liking"):
            features[rating] = tfds.features.Scalar(np.float32)
        return self.dataset_info_from_configs(
            description=_DESCRIPTION,
            features=tfds.features.FeaturesDict(features),
            supervised_keys=None,
            homepage="http://www.eecs.qmul.ac.uk/mmv/datasets/amigos/",
        )

    def _split_generators(self, dl_manager: tfds.download.DownloadManager):
        config = self.builder_config
        if config.synthetic:
            from amigos_emo.synthetic import write_synthetic_amigos

            directory = pathlib.Path(os.fspath(dl_manager.download_dir)) / (
                f"synthetic_amigos_n{config.n_participants}_seed{config.seed}"
                f"_video{config.video_s:g}s_long{config.long_video_s:g}s"
            )
            logger.info("Writing the SYNTHETIC AMIGOS-format corpus into %s", directory)
            write_synthetic_amigos(
                directory,
                n_participants=config.n_participants,
                seed=config.seed,
                video_s=config.video_s,
                long_video_s=config.long_video_s,
            )
            files = find_participant_files(directory)
        else:
            manual_dir = dl_manager.manual_dir  # checked by CorpusBuilderMixin.download_and_prepare
            files = find_participant_files(manual_dir)
            warn_missing_participants(files, manual_dir)
        logger.info(
            "AMIGOS%s: %d participant files", " (synthetic)" if config.synthetic else "", len(files)
        )
        return {
            f"subject_{participant:02d}": self._generate_examples(path, participant)
            for participant, path in files.items()
        }

    def _generate_examples(self, path, participant):
        """Yields the windows of one participant, trial by trial (one file in memory)."""
        from amigos_emo.signal.windows import remove_baseline, sliding_windows

        config = self.builder_config
        n_baseline = int(round(amigos_constants.BASELINE_S * amigos_constants.SFREQ_HZ))
        second = int(amigos_constants.SFREQ_HZ)
        window, step = config.window_samples, config.step_samples
        trials = load_participant(path)
        where = f"{path}{' (synthetic)' if config.synthetic else ''}"
        skips = SkipCounter(where)
        previous_state = None
        for index, (data, labels, video_id) in enumerate(trials):
            trial_id = index + 1
            reason = _skip_reason(data, labels, n_baseline + window)
            if reason:
                skips.skip(reason, where=trial_id)
                continue
            try:
                # AMIGOS is known to hold NaN trials: skip them (counted), never write them.
                _, ecg_all, gsr_all = checked_modalities(data, path, trial_id)
            except NonFiniteError as error:
                skips.skip("non-finite joined_data", detail=error, where=trial_id)
                continue
            ratings = {
                name: float(labels[amigos_constants.RATING_INDEX[name]]) for name in _RATINGS
            }
            check_scale(
                [ratings[name] for name in _RATINGS],
                amigos_constants.RATING_SCALE,
                path,
                field=f"labels_selfassessment{{{trial_id}}}",
                names=_RATINGS,
            )
            eeg = sliding_windows(data[n_baseline:, amigos_constants.EEG_COLUMNS], window, step)
            # Baseline: the five 1 s segments of the first 5 s averaged into a 1 s template,
            # subtracted from every second of every window (in float64, then cast).
            n_windows = eeg.shape[0]
            per_second = np.asarray(eeg).reshape(
                n_windows * (window // second), second, eeg.shape[2]
            )
            eeg = remove_baseline(
                per_second, data[:n_baseline, amigos_constants.EEG_COLUMNS], second
            )
            eeg = eeg.reshape(n_windows, window, -1).astype(np.float32)
            ecg = sliding_windows(ecg_all[n_baseline:], window, step)
            gsr = sliding_windows(gsr_all[n_baseline:], window, step)

            state = binary_state(ratings["valence"], ratings["arousal"])
            transition = int(previous_state is not None and state != previous_state)
            previous_state = state
            common = {
                "subject_id": participant,
                "session_id": 1,
                "trial_id": trial_id,
                "video_id": video_id,
                "transition": transition,
                **{name: np.float32(value) for name, value in ratings.items()},
            }
            for window_index in range(n_windows):
                yield (
                    f"{participant:02d}_{trial_id:02d}_{window_index:04d}",
                    {
                        **common,
                        "window_index": window_index,
                        "eeg": eeg[window_index],
                        "ecg": ecg[window_index],
                        "gsr": gsr[window_index],
                    },
                )
        skips.report()
