"""GAMEEMO: 14-channel Emotiv EEG of 28 subjects playing four emotion-eliciting games."""

from __future__ import annotations

import dataclasses
import os
import pathlib
import re

import numpy as np
import tensorflow_datasets as tfds
from etils import epath

from amigos_emo._logging import logger
from amigos_emo.constants import gameemo as constants
from amigos_emo.io.errors import CorpusFormatError, describe_cell
from amigos_emo.io.integrity import check_codes, finite_float32
from amigos_emo.signal.windows import sliding_windows
from amigos_emo.tfds_builders.corpus import (
    SIGNAL_NORMALISATION_AXES,
    STFT_AXES,
    CorpusBuilderMixin,
    index_features,
)

_DESCRIPTION = """\
GAMEEMO (Alakus et al. 2020): Emotiv EPOC+ EEG (14 channels, 128 Hz) of 28 subjects, about 5 min
per game for four games. Label = game: G1 boring 0, G2 calm 1, G3 horror 2, G4 funny 3
(amigos_emo.constants.gameemo). One split per subject (`subject_01` ... `subject_28`),
`session_id` 1, `trial_id` = game number, `window_index` 0-based within the recording. Channels
are selected by name and written in the Emotiv order AF3, F7, F3, FC5, T7, P7, O1, O2, P8, T8,
FC6, F4, F8, AF4. Configs `raw` and `stft` read `Preprocessed EEG Data/`; `raw_eeg_data` reads
`Raw EEG Data/`.
"""

_MANUAL_DOWNLOAD_INSTRUCTIONS = """\
Download GAMEEMO (the authors' data repository linked from Alakus et al. 2020,
doi:10.1016/j.bspc.2020.101951, or its Kaggle mirror "Database for Emotion Recognition System -
GAMEEMO"; use it under the terms stated there) and unzip it. Point `manual_dir` at the
folder holding the subject folders `(S01)` ... `(S28)` (searched recursively). The builder reads
`<subject>/Preprocessed EEG Data/.csv format/S01G1AllChannels.csv` ... (configs `raw`, `stft`)
or `<subject>/Raw EEG Data/.csv format/S01G1AllRawChannels.csv` or `S01G1AllChannels.csv`
(config `raw_eeg_data`).
"""


@dataclasses.dataclass(eq=False)
class GameemoConfig(tfds.core.BuilderConfig):
    """What is written per window.

    Attributes:
        source: ``"preprocessed"`` (``Preprocessed EEG Data``) or ``"raw"`` (``Raw EEG Data``).
        representation: ``"raw"`` (``eeg`` (n_times, 14)) or ``"stft"`` (``stft``
            (14, n_frames, n_freqs), :func:`amigos_emo.signal.spectral.stft_spectrogram`).
        window_s: window length in seconds; step_s: hop between windows in seconds.
        stft_nperseg, stft_noverlap: STFT segment and overlap in samples (Hann window, scipy
            zero-padded boundaries), stft_max_freq_hz: highest bin kept; magnitudes as
            ``ln(1 + |Z|)``.
    """

    source: str = "preprocessed"
    representation: str = "raw"
    window_s: float = 2.0
    step_s: float = 1.0
    stft_nperseg: int = 64
    stft_noverlap: int = 32
    stft_max_freq_hz: float = 45.0

    @property
    def window_samples(self):
        return int(round(self.window_s * constants.SFREQ_HZ))

    @property
    def step_samples(self):
        return int(round(self.step_s * constants.SFREQ_HZ))


def _source_of(path):
    """``"preprocessed"``/``"raw"`` from the ancestor folders, else from the file-name variant."""
    parents = {p.name.strip().lower() for p in path.parents}
    if constants.PREPROCESSED_FOLDER.lower() in parents:
        return "preprocessed"
    if constants.RAW_FOLDER.lower() in parents:
        return "raw"
    if "allrawchannels" in path.name.lower():
        return "raw"
    raise CorpusFormatError(
        path,
        "cannot tell whether this recording is preprocessed or raw",
        expected=f"the file under a '{constants.PREPROCESSED_FOLDER}' or '{constants.RAW_FOLDER}' folder",
        found=f"parent folder {path.parent}",
        hint="Keep the release's folder layout ((S01)/Preprocessed EEG Data/.csv format/...).",
    )


def find_recordings(manual_dir, source):
    """Recordings of one source under ``manual_dir``, as ``{subject: {game: path}}``.

    Subjects and games come from the file names (``S01G1...``), sorted numerically.

    Raises:
        CorpusFormatError: nothing found, duplicate recordings, or a subject missing games.
    """
    manual_dir = pathlib.Path(os.fspath(manual_dir))
    recordings = {}
    for path in sorted(manual_dir.rglob("*.csv")):
        match = re.match(constants.FILE_REGEX, path.name, flags=re.IGNORECASE)
        if match is None or _source_of(path) != source:
            continue
        subject, game = int(match.group(1)), int(match.group(2))
        if game not in constants.GAMES:
            raise CorpusFormatError(
                path, "unknown game number in the file name", expected="G1..G4", found=f"G{game}"
            )
        games = recordings.setdefault(subject, {})
        if game in games:
            raise CorpusFormatError(
                path, "duplicate recording", found=f"S{subject:02d}G{game} also at {games[game]}"
            )
        games[game] = path
    if not recordings:
        folder = constants.PREPROCESSED_FOLDER if source == "preprocessed" else constants.RAW_FOLDER
        raise CorpusFormatError(
            manual_dir,
            f"no GAMEEMO {source} recording found (searched recursively)",
            expected=f"files such as (S01)/{folder}/.csv format/S01G1AllChannels.csv",
            found="none",
            hint="Point manual_dir at the unzipped GAMEEMO folder.",
        )
    for subject, games in recordings.items():
        missing = [g for g in constants.GAMES if g not in games]
        if missing:
            some = next(iter(games.values()))
            raise CorpusFormatError(
                some.parent,
                f"subject S{subject:02d} is missing {source} recordings (incomplete download?)",
                expected="games G1, G2, G3, G4",
                found="missing " + ", ".join(f"G{g}" for g in missing),
            )
    return {s: dict(sorted(g.items())) for s, g in sorted(recordings.items())}


def read_gameemo_csv(path):
    """Read one GAMEEMO CSV: 14 channels selected by name, all-NaN trailing columns dropped.

    Returns:
        float32 ``(n_times, 14)`` in the order of ``constants.gameemo.EEG_CHANNELS``.

    Raises:
        CorpusFormatError: unparsable/empty file, a missing channel column, or a missing or
            non-numeric value in a channel column.
    """
    import pandas as pd

    try:
        frame = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise CorpusFormatError(
            path,
            "cannot parse as a GAMEEMO CSV",
            expected="a header of channel names and one row per sample",
            found=str(error).strip(),
        ) from error
    frame = frame.dropna(axis=1, how="all")
    by_name = {str(c).strip().upper(): c for c in frame.columns}
    for channel in constants.EEG_CHANNELS:
        if channel not in by_name:
            raise CorpusFormatError(
                path,
                "channel column missing",
                field=channel,
                expected="columns " + ", ".join(constants.CSV_CHANNELS),
                found="columns " + ", ".join(str(c) for c in frame.columns),
            )
    columns = [by_name[channel] for channel in constants.EEG_CHANNELS]
    values = frame.loc[:, columns].apply(pd.to_numeric, errors="coerce").to_numpy(np.float64)
    bad_rows, bad_cols = np.nonzero(~np.isfinite(values))
    if bad_rows.size:
        row, col = int(bad_rows[0]), int(bad_cols[0])
        raise CorpusFormatError(
            path,
            f"missing or non-numeric value at data row {row + 1} (line {row + 2}); {bad_rows.size} such cell(s) in all",
            field=constants.EEG_CHANNELS[col],
            expected="a finite number (a truncated or corrupt file?)",
            found=describe_cell(frame[columns[col]].iloc[row]),
        )
    # Checked again after the cast: a value beyond float32's range would be written as inf.
    return finite_float32(values, path, field="EEG columns", modality="EEG")


def stft_shape(config):
    """``(14, n_frames, n_freqs)`` of one window's STFT under ``config``."""
    from amigos_emo.signal.spectral import stft_grids

    freqs_hz, times_s = stft_grids(
        config.window_samples,
        constants.SFREQ_HZ,
        config.stft_nperseg,
        config.stft_noverlap,
        max_freq_hz=config.stft_max_freq_hz,
    )
    return (len(constants.EEG_CHANNELS), len(times_s), len(freqs_hz))


class Builder(CorpusBuilderMixin, tfds.core.GeneratorBasedBuilder):
    """DatasetBuilder for GAMEEMO."""

    pkg_dir_path = epath.Path(__file__).parent
    VERSION = tfds.core.Version("1.0.1")
    RELEASE_NOTES = {
        "1.0.0": "Initial release: raw 2 s windows and STFT windows.",
        "1.0.1": "Samples beyond float32's range are refused like NaN (nothing else written changes).",
    }
    DEFAULT_BUILDER_CONFIG_NAME = "stft"
    DEFAULT_MODEL = "gru_xnet"
    NORMALISATION_AXES = {**SIGNAL_NORMALISATION_AXES, "stft": STFT_AXES}
    SOURCE_FILES = (
        "(S01)/ ... (S28)/ with 'Preprocessed EEG Data' (or 'Raw EEG Data') CSVs, one per game"
    )

    def source_files(self, manual_dir):
        """The CSV of every subject and game of the config's source (preprocessed or raw)."""
        recordings = find_recordings(manual_dir, self.builder_config.source)
        return sorted(path for games in recordings.values() for path in games.values())

    def preprocessing_spec(self):
        """14 Emotiv channels at 128 Hz in 2 s windows (1 s step); raw windows or their STFT."""
        from amigos_emo.preprocessing_spec import PreprocessingSpec, SignalSpec

        config = self.builder_config
        extra = {"source": config.source}
        if config.representation == "stft":
            extra["stft"] = {
                "nperseg": config.stft_nperseg,
                "noverlap": config.stft_noverlap,
                "max_freq_hz": config.stft_max_freq_hz,
                "log": "ln(1 + |Z|)",
            }
        return PreprocessingSpec(
            dataset=f"{self.name}/{config.name}",
            builder_version=str(self.version),
            window_s=config.window_s,
            step_s=config.step_s,
            signals={"eeg": SignalSpec("eeg", constants.EEG_CHANNELS, constants.SFREQ_HZ, "uV")},
            representation=config.representation,
            baseline=None,
            extra=extra,
            normalisation_axes=self.normalisation_axes(),
        )

    MANUAL_DOWNLOAD_INSTRUCTIONS = _MANUAL_DOWNLOAD_INSTRUCTIONS
    BUILDER_CONFIGS = [
        GameemoConfig(
            name="raw",
            description="Preprocessed EEG Data, 2 s windows (256 samples), 1 s step: eeg (256, 14) float32.",
        ),
        GameemoConfig(
            name="stft",
            description=(
                "Preprocessed EEG Data, 2 s windows, 1 s step: stft (14, 9, 23) float32 = ln(1 + |STFT|), "
                "Hann nperseg 64 (0.5 s), noverlap 32, 2 Hz bins 0-44 Hz (GRU-XNet input)."
            ),
            representation="stft",
        ),
        GameemoConfig(
            name="raw_eeg_data",
            description="Raw EEG Data (unprocessed recordings), 2 s windows, 1 s step: eeg (256, 14) float32.",
            source="raw",
        ),
    ]

    def _info(self):
        config = self.builder_config
        if config.representation == "raw":
            signal = {
                "eeg": tfds.features.Tensor(
                    shape=(config.window_samples, len(constants.EEG_CHANNELS)), dtype=np.float32
                )
            }
        else:
            signal = {"stft": tfds.features.Tensor(shape=stft_shape(config), dtype=np.float32)}
        return self.dataset_info_from_configs(
            description=_DESCRIPTION,
            features=tfds.features.FeaturesDict(
                {
                    **signal,
                    "label": tfds.features.ClassLabel(names=constants.LABEL_NAMES),
                    **index_features(),
                }
            ),
            supervised_keys=(next(iter(signal)), "label"),
            homepage="https://doi.org/10.1016/j.bspc.2020.101951",
        )

    def _split_generators(self, dl_manager):
        recordings = find_recordings(dl_manager.manual_dir, self.builder_config.source)
        return {
            f"subject_{subject:02d}": self._generate_examples(subject, games)
            for subject, games in recordings.items()
        }

    def _generate_examples(self, subject, games):
        config = self.builder_config
        for game, path in games.items():
            label = int(
                check_codes(
                    constants.GAME_TO_LABEL[game],
                    range(len(constants.LABEL_NAMES)),
                    path,
                    field=f"game G{game}",
                    names=constants.LABEL_NAMES,
                )[0]
            )
            windows = sliding_windows(
                read_gameemo_csv(path), config.window_samples, config.step_samples, axis=0
            )
            if windows.shape[0] == 0:
                logger.warning("%s is shorter than one %g s window; skipped", path, config.window_s)
                continue
            if config.representation == "raw":
                key, values = "eeg", windows
            else:
                from amigos_emo.signal.spectral import stft_spectrogram

                key = "stft"
                values = stft_spectrogram(
                    windows,
                    constants.SFREQ_HZ,
                    config.stft_nperseg,
                    config.stft_noverlap,
                    axis=1,
                    log=True,
                    max_freq_hz=config.stft_max_freq_hz,
                )
            for window_index, value in enumerate(values):
                yield (
                    f"S{subject:02d}G{game}-{window_index}",
                    {
                        key: np.ascontiguousarray(value, dtype=np.float32),
                        "label": label,
                        "subject_id": subject,
                        "session_id": 1,
                        "trial_id": game,
                        "window_index": window_index,
                    },
                )
