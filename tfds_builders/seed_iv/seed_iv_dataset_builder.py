"""SEED-IV: 62-channel EEG at 200 Hz, 15 subjects x 3 sessions x 24 clips, 4 classes.

Layout: ``eeg_raw_data/{1,2,3}/{subject}_{YYYYMMDD}.mat`` (24 keys
``<initials>_eeg<k>``, (62, T)) and ``eeg_feature_smooth/{1,2,3}/`` (``de_LDS<k>``, (62, W, 5),
4 s windows). The session is the FOLDER name; labels come from the per-session orders of the
corpus ReadMe (``amigos_emo.constants.seed_iv.SESSION_LABELS``).
"""

from __future__ import annotations

import collections
import os

import tensorflow_datasets as tfds
from etils import epath

from amigos_emo.constants import seed_iv as constants
from amigos_emo.io.errors import CorpusFormatError
from amigos_emo.io.matlab import load_mat
from amigos_emo.tfds_builders import seed_common
from amigos_emo.tfds_builders.seed_common import SeedConfig, SessionFile

_EEG_KEY_REGEX = r"(?:^|_)eeg_?(\d+)$"
_DE_LDS_REGEX = r"^de_LDS(\d+)$"


class Builder(seed_common.SeedFamilyBuilder):
    """DatasetBuilder for SEED-IV (manual download)."""

    pkg_dir_path = epath.Path(__file__).parent
    VERSION = tfds.core.Version("1.1.0")
    RELEASE_NOTES = {
        "1.0.0": "Initial release: raw 4 s windows, de, de_lds sequences, stft (GRU-XNet).",
        "1.1.0": "A trial with NaN/inf (or float32-overflowing) samples stops the build naming file and trial (it was skipped); label codes are checked.",
    }
    MANUAL_DOWNLOAD_INSTRUCTIONS = """
    SEED-IV is distributed by the BCMI lab (Shanghai Jiao Tong University) after you sign its
    licence agreement: https://bcmi.sjtu.edu.cn/home/seed/seed-iv.html (academic, non-commercial
    use only; do not redistribute). Extract it and point manual_dir at the folder holding
    `eeg_raw_data/` and `eeg_feature_smooth/` (each with session folders `1/`, `2/`, `3/`).
    manual_dir is searched recursively.
    """
    BUILDER_CONFIGS = [
        SeedConfig(
            name="raw",
            representation="raw",
            window_s=4.0,
            description="Non-overlapping 4 s windows (800 samples x 62 channels, microvolts) of eeg_raw_data.",
        ),
        SeedConfig(
            name="de",
            representation="de",
            window_s=4.0,
            n_steps=60,
            description="Trial-level DE sequences (60 x 310) computed by amigos_emo from eeg_raw_data: 4 s windows, 5 bands, LDS-smoothed.",
        ),
        SeedConfig(
            name="de_lds",
            representation="de_lds",
            n_steps=60,
            description="Official de_LDS features of eeg_feature_smooth (4 s windows) as 60 x 310 sequences.",
        ),
        SeedConfig(
            name="stft",
            representation="stft",
            window_s=4.0,
            stft_nperseg=200,
            stft_noverlap=100,
            stft_max_freq_hz=50.0,
            description="log(1 + |STFT|) of non-overlapping 4 s windows: nperseg 200 (1 s, 1 Hz bins), noverlap 100, 0-50 Hz -> (62, 9, 51); label_binary = happy vs not happy.",
        ),
    ]
    SFREQ_HZ = constants.SFREQ_HZ
    LABEL_NAMES = constants.LABEL_NAMES
    BINARY_LABEL_NAMES = constants.BINARY_LABEL_NAMES
    BINARY_MAPPING = constants.BINARY_MAPPING
    CORPUS_NAME = "SEED-IV"
    SOURCE_FILES = "eeg_raw_data/1/ .. 3/{subject}_{YYYYMMDD}.mat (or eeg_feature_smooth/)"

    def _find_recordings(self, manual_dir, source):
        manual_dir = os.fspath(manual_dir)
        folder = constants.RAW_FOLDER if source == "eeg" else constants.FEATURE_FOLDER
        files = seed_common.find_files(
            manual_dir, constants.SESSION_FILE_REGEX, (folder,), levels_up=2
        )
        if not files:
            raise seed_common.no_files_error(
                manual_dir,
                "SEED-IV session files",
                (f"{folder}/1, {folder}/2, {folder}/3",),
                "1_20160518.mat",
            )
        by_subject = collections.defaultdict(dict)
        for path, match in files:
            session_folder = os.path.basename(os.path.dirname(path))
            if session_folder not in {str(s) for s in constants.SESSION_LABELS}:
                raise CorpusFormatError(
                    path,
                    "is not inside a session folder",
                    expected=f"{folder}/1/, {folder}/2/ or {folder}/3/",
                    found=f"folder {session_folder!r}",
                )
            subject, session = int(match.group(1)), int(session_folder)
            if session in by_subject[subject]:
                raise CorpusFormatError(
                    path,
                    f"subject {subject} has two files in session folder {session}",
                    expected="one {subject}_{YYYYMMDD}.mat per subject and session",
                    found=f"also {by_subject[subject][session]}",
                )
            by_subject[subject][session] = path
        recordings = {}
        for subject, sessions in sorted(by_subject.items()):
            if sorted(sessions) != sorted(constants.SESSION_LABELS):
                missing = sorted(set(constants.SESSION_LABELS) - set(sessions))
                raise CorpusFormatError(
                    manual_dir,
                    f"subject {subject} is missing from session folder(s) {missing} of {folder}",
                    expected="a file {subject}_<YYYYMMDD>.mat in each of 1/, 2/, 3/",
                    found=f"{[sessions[s] for s in sorted(sessions)]}",
                )
            recordings[subject] = [
                SessionFile(subject=subject, session_id=session, path=sessions[session])
                for session in sorted(sessions)
            ]
        return recordings

    def _raw_trials(self, recording):
        names = seed_common.mat_variable_names(recording.path)
        keys = seed_common.numbered_keys(
            names, _EEG_KEY_REGEX, recording.path, constants.N_TRIALS, "EEG keys <initials>_eeg<k>"
        )
        for trial_id, key in keys:
            array = load_mat(recording.path, variables=[key])[key]
            yield (
                trial_id,
                self._label(recording, trial_id),
                seed_common.channel_major_eeg(array, recording.path, key),
            )

    def _feature_trials(self, recording):
        names = seed_common.mat_variable_names(recording.path)
        keys = seed_common.numbered_keys(
            names, _DE_LDS_REGEX, recording.path, constants.N_TRIALS, "feature keys de_LDS<k>"
        )
        for trial_id, key in keys:
            array = load_mat(recording.path, variables=[key])[key]
            de = seed_common.check_official_de(array, recording.path, key, "cwb")
            yield trial_id, self._label(recording, trial_id), de

    @staticmethod
    def _label(recording, trial_id):
        return constants.SESSION_LABELS[recording.session_id][trial_id - 1]
