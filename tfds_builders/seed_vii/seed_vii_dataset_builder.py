"""SEED-VII: 62-channel EEG at 200 Hz, 20 subjects x 4 sessions x 20 clips, 7 classes.

Layout: ``EEG_preprocessed/{subject}.mat`` (keys ``'1'``..``'80'``,
(62, T) microvolts; video = (session - 1) * 20 + clip), ``EEG_features/{subject}.mat``
(``de_LDS_1``..``de_LDS_80``, (W, 5, 62)) and ``emotion_label_and_stimuli_order.xlsx`` (rows
"Session 1..4" with the emotion names of clips 1..20 in columns B..U).
"""

from __future__ import annotations

import os
import re

import tensorflow_datasets as tfds
from etils import epath

from amigos_emo.constants import seed_vii as constants
from amigos_emo.io.errors import CorpusFormatError
from amigos_emo.io.matlab import load_mat
from amigos_emo.tfds_builders import seed_common
from amigos_emo.tfds_builders.seed_common import SeedConfig, SessionFile

_VIDEO_KEY_REGEX = r"^(\d+)$"
_DE_LDS_REGEX = r"^de_LDS_(\d+)$"


class Builder(seed_common.SeedFamilyBuilder):
    """DatasetBuilder for SEED-VII (manual download)."""

    pkg_dir_path = epath.Path(__file__).parent
    VERSION = tfds.core.Version("1.1.0")
    RELEASE_NOTES = {
        "1.0.0": "Initial release: raw 1 s windows, de, de_lds sequences.",
        "1.1.0": "A trial with NaN/inf (or float32-overflowing) samples stops the build naming file and trial (it was skipped); label codes are checked.",
    }
    MANUAL_DOWNLOAD_INSTRUCTIONS = """
    SEED-VII is distributed by the BCMI lab (Shanghai Jiao Tong University) after you sign its
    licence agreement: https://bcmi.sjtu.edu.cn/home/seed/seed-vii.html (academic,
    non-commercial use only; do not redistribute). Extract it and point manual_dir at the folder
    holding `EEG_preprocessed/`, `EEG_features/` and `emotion_label_and_stimuli_order.xlsx`.
    manual_dir is searched recursively.
    """
    BUILDER_CONFIGS = [
        SeedConfig(
            name="raw",
            representation="raw",
            window_s=1.0,
            description="Non-overlapping 1 s windows (200 samples x 62 channels, microvolts) of EEG_preprocessed.",
        ),
        SeedConfig(
            name="de",
            representation="de",
            window_s=1.0,
            n_steps=60,
            description="Trial-level DE sequences (60 x 310) computed by amigos_emo from EEG_preprocessed: 1 s windows, LDS-smoothed.",
        ),
        SeedConfig(
            name="de_lds",
            representation="de_lds",
            n_steps=60,
            description="Official de_LDS_<video> features of EEG_features ((W, 5, 62) -> channel-major) as 60 x 310 sequences.",
        ),
    ]
    SFREQ_HZ = constants.SFREQ_HZ
    LABEL_NAMES = constants.LABEL_NAMES
    CORPUS_NAME = "SEED-VII"
    SOURCE_FILES = (
        "EEG_preprocessed/{subject}.mat (or EEG_features/) and emotion_label_and_stimuli_order.xlsx"
    )

    def _extra_source_files(self, manual_dir):
        return [
            path for path, _ in seed_common.find_files(manual_dir, re.escape(constants.LABEL_FILE))
        ]

    def _find_recordings(self, manual_dir, source):
        manual_dir = os.fspath(manual_dir)
        self._session_labels = read_label_xlsx(manual_dir)
        folder = constants.RAW_FOLDER if source == "eeg" else constants.FEATURE_FOLDER
        files = seed_common.find_files(manual_dir, constants.SUBJECT_FILE_REGEX, (folder,))
        if not files:
            raise seed_common.no_files_error(
                manual_dir, "SEED-VII subject files", (folder,), "1.mat"
            )
        recordings = {}
        for path, match in files:
            subject = int(match.group(1))
            if subject in recordings:
                raise CorpusFormatError(
                    path,
                    f"subject {subject} has two files",
                    expected=f"one {subject}.mat in {folder}/",
                    found=f"also {recordings[subject][0].path}",
                )
            recordings[subject] = [
                SessionFile(subject, session, path)
                for session in range(1, constants.N_SESSIONS + 1)
            ]
        return recordings

    def _session_keys(self, recording, regex, what):
        """The (clip, key) pairs of this recording's session, from a file holding all 80 videos."""
        cached = getattr(self, "_keys_cache", None)
        if cached is None or cached[0] != (recording.path, regex):
            names = seed_common.mat_variable_names(recording.path)
            keys = seed_common.numbered_keys(names, regex, recording.path, constants.N_VIDEOS, what)
            self._keys_cache = cached = ((recording.path, regex), keys)
        first = (recording.session_id - 1) * constants.N_TRIALS + 1
        return [
            (video - first + 1, key)
            for video, key in cached[1]
            if first <= video < first + constants.N_TRIALS
        ]

    def _raw_trials(self, recording):
        for clip, key in self._session_keys(recording, _VIDEO_KEY_REGEX, "video keys '1'..'80'"):
            array = load_mat(recording.path, variables=[key])[key]
            eeg = seed_common.channel_major_eeg(array, recording.path, key)
            yield clip, self._session_labels[recording.session_id][clip - 1], eeg

    def _feature_trials(self, recording):
        for clip, key in self._session_keys(
            recording, _DE_LDS_REGEX, "feature keys de_LDS_<video>"
        ):
            array = load_mat(recording.path, variables=[key])[key]
            de = seed_common.check_official_de(array, recording.path, key, "wbc")
            yield clip, self._session_labels[recording.session_id][clip - 1], de


def read_label_xlsx(manual_dir):
    """Read and check ``emotion_label_and_stimuli_order.xlsx`` (found recursively).

    Returns:
        ``{session: (code, ...) x 20}`` with the codes of
        :data:`amigos_emo.constants.seed_vii.LABEL_CODES`.

    Raises:
        CorpusFormatError: the file is missing or unreadable, a session row is missing, a name is
            not one of the seven emotions, or the order differs from the published one.
    """
    import pandas as pd

    found = seed_common.find_files(manual_dir, re.escape(constants.LABEL_FILE))
    if not found:
        raise CorpusFormatError(
            manual_dir,
            f"no {constants.LABEL_FILE} found (searched recursively)",
            expected="the label spreadsheet shipped with SEED-VII",
            found="none",
        )
    path = found[0][0]
    try:
        sheet = pd.read_excel(path, header=None, engine="openpyxl")
    except Exception as error:
        raise CorpusFormatError(
            path,
            "could not be read as an .xlsx spreadsheet (truncated or corrupt?)",
            found=f"{type(error).__name__}: {error}",
        ) from error
    rows = {}
    for index, first_cell in sheet.iloc[:, 0].items():
        match = re.fullmatch(r"\s*session\s*(\d+)\s*", str(first_cell), flags=re.IGNORECASE)
        if match:
            rows[int(match.group(1))] = index
    labels = {}
    for session in range(1, constants.N_SESSIONS + 1):
        if session not in rows:
            raise CorpusFormatError(
                path,
                f"has no row 'Session {session}'",
                expected="rows 'Session 1'..'Session 4' in column A",
                found=f"rows {sorted(rows)}",
            )
        if sheet.shape[1] < constants.N_TRIALS + 1:
            raise CorpusFormatError(
                path,
                "has too few columns",
                expected="emotion names in columns B..U",
                found=f"{sheet.shape[1]} columns",
            )
        names = []
        for clip in range(1, constants.N_TRIALS + 1):
            cell = f"{_column_letter(clip)}{rows[session] + 1}"
            name = str(sheet.iat[rows[session], clip]).strip().lower()
            if name not in constants.LABEL_CODES:
                raise CorpusFormatError(
                    path,
                    f"unknown emotion name in Session {session}, clip {clip}",
                    field=f"cell {cell}",
                    expected=f"one of {', '.join(constants.LABEL_NAMES)} (any case)",
                    found=repr(sheet.iat[rows[session], clip]),
                )
            expected = constants.SESSION_EMOTIONS[session][clip - 1]
            if name != expected:
                raise CorpusFormatError(
                    path,
                    f"Session {session}, clip {clip} disagrees with the published order",
                    field=f"cell {cell}",
                    expected=f"{expected!r} (the published order: {', '.join(constants.SESSION_EMOTIONS[session])})",
                    found=repr(name),
                )
            names.append(constants.LABEL_CODES[name])
        labels[session] = tuple(names)
    return labels


def _column_letter(index):
    """0-based column index -> spreadsheet letter (1 -> 'B'; at most 26 columns are used)."""
    return chr(ord("A") + index)
