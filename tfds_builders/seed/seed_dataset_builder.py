"""SEED: 62-channel EEG at 200 Hz, 15 subjects x 3 sessions x 15 film clips, 3 classes.

Reads both release layouts:

- classic ``SEED/Preprocessed_EEG/`` and ``SEED/ExtractedFeatures/`` (``label.mat`` in each);
- newer ``SEED_EEG/Preprocessed_EEG/``, ``ExtractedFeatures_1s/``, ``ExtractedFeatures_4s/``
  (``label.mat`` inside ``ExtractedFeatures_1s/``).

Session = the subject's files in DATE order (``{subject}_{YYYYMMDD}.mat``). Raw trials hold
``200 * duration + 1`` samples; the first sample is dropped so a trial is exactly ``duration``
seconds (as LibEER does).
"""

from __future__ import annotations

import collections
import os

import numpy as np
import tensorflow_datasets as tfds
from etils import epath

from amigos_emo.constants import seed as constants
from amigos_emo.io.errors import CorpusFormatError
from amigos_emo.io.matlab import load_mat
from amigos_emo.tfds_builders import seed_common
from amigos_emo.tfds_builders.seed_common import SeedConfig, SessionFile

_DE_LDS_REGEX = r"^de_LDS(\d+)$"


class Builder(seed_common.SeedFamilyBuilder):
    """DatasetBuilder for SEED (manual download)."""

    pkg_dir_path = epath.Path(__file__).parent
    VERSION = tfds.core.Version("1.1.0")
    RELEASE_NOTES = {
        "1.0.0": "Initial release: raw 1 s windows, de, de_lds (1 s / 4 s) sequences.",
        "1.1.0": "A trial with NaN/inf (or float32-overflowing) samples stops the build naming file and trial (it was skipped); label codes are checked.",
    }
    MANUAL_DOWNLOAD_INSTRUCTIONS = """
    SEED is distributed by the BCMI lab (Shanghai Jiao Tong University) after you sign its
    licence agreement: https://bcmi.sjtu.edu.cn/home/seed/ (apply with the EULA; academic,
    non-commercial use only; do not redistribute). Extract the archive and point manual_dir at
    the folder holding `Preprocessed_EEG/` and `ExtractedFeatures/` (classic release, `SEED/`)
    or `Preprocessed_EEG/`, `ExtractedFeatures_1s/`, `ExtractedFeatures_4s/` (newer release,
    `SEED_EEG/`). manual_dir is searched recursively; `label.mat` must be somewhere below it.
    """
    BUILDER_CONFIGS = [
        SeedConfig(
            name="raw",
            representation="raw",
            window_s=1.0,
            description="Non-overlapping 1 s windows (200 samples x 62 channels, microvolts) of Preprocessed_EEG.",
        ),
        SeedConfig(
            name="de",
            representation="de",
            window_s=1.0,
            n_steps=60,
            description="Trial-level DE sequences (60 x 310) computed by amigos_emo from Preprocessed_EEG: 1 s windows, 5 bands, LDS-smoothed.",
        ),
        SeedConfig(
            name="de_lds",
            representation="de_lds",
            feature_source="1s",
            n_steps=60,
            description="Official de_LDS features (1 s windows; ExtractedFeatures or ExtractedFeatures_1s) as 60 x 310 sequences.",
        ),
        SeedConfig(
            name="de_lds_4s",
            representation="de_lds",
            feature_source="4s",
            n_steps=60,
            description="Official de_LDS features of ExtractedFeatures_4s (newer release only) as 60 x 310 sequences.",
        ),
    ]
    SFREQ_HZ = constants.SFREQ_HZ
    LABEL_NAMES = constants.LABEL_NAMES
    CORPUS_NAME = "SEED"
    SOURCE_FILES = (
        "Preprocessed_EEG/{subject}_{YYYYMMDD}.mat (or ExtractedFeatures*/) and label.mat"
    )

    def _extra_source_files(self, manual_dir):
        return [path for path, _ in seed_common.find_files(manual_dir, r"^label\.mat$")]

    # ------------------------------------------------------------------ discovery
    def _find_recordings(self, manual_dir, source):
        manual_dir = os.fspath(manual_dir)
        if source == "eeg":
            folders = (constants.RAW_FOLDER,)
        elif self.builder_config.feature_source == "4s":
            folders = constants.FEATURE_FOLDERS_4S
        else:
            folders = constants.FEATURE_FOLDERS_1S
        files = seed_common.find_files(manual_dir, constants.SESSION_FILE_REGEX, folders)
        if not files:
            raise seed_common.no_files_error(
                manual_dir, "SEED session files", folders, "1_20131027.mat"
            )
        by_subject = collections.defaultdict(list)
        for path, match in files:
            by_subject[int(match.group(1))].append((int(match.group(2)), path))
        recordings = {}
        for subject, dated in sorted(by_subject.items()):
            dated.sort()
            dates = [date for date, _ in dated]
            if len(set(dates)) != len(dates):
                raise CorpusFormatError(
                    manual_dir,
                    f"subject {subject} has the same session file more than once",
                    expected="one copy of each {subject}_{YYYYMMDD}.mat per folder kind",
                    found=f"{[path for _, path in dated]}",
                    hint="Point manual_dir at one release (classic SEED/ or newer SEED_EEG/), not both.",
                )
            if len(dated) != constants.N_SESSIONS:
                raise CorpusFormatError(
                    manual_dir,
                    f"subject {subject} does not have {constants.N_SESSIONS} session files",
                    expected=f"{constants.N_SESSIONS} files {subject}_<YYYYMMDD>.mat in {' or '.join(folders)}",
                    found=f"{len(dated)}: {[os.path.basename(p) for _, p in dated]}",
                    hint="A session file is missing or extra; re-extract the corpus.",
                )
            recordings[subject] = [
                SessionFile(subject=subject, session_id=session, path=path, extra=(date,))
                for session, (date, path) in enumerate(dated, start=1)
            ]
        self._labels = _read_label_mat(manual_dir)
        return recordings

    # ------------------------------------------------------------------ trials
    def _raw_trials(self, recording):
        names = seed_common.mat_variable_names(recording.path)
        keys = seed_common.numbered_keys(
            names,
            constants.EEG_KEY_REGEX,
            recording.path,
            constants.N_TRIALS,
            "EEG keys <initials>_eeg<k> (or eeg_<k>)",
        )
        for trial_id, key in keys:
            array = load_mat(recording.path, variables=[key])[key]
            eeg = seed_common.channel_major_eeg(array, recording.path, key)
            # Trials hold 200 * duration + 1 samples: drop the first one (documented).
            yield trial_id, self._label(trial_id), eeg[1:]

    def _feature_trials(self, recording):
        names = seed_common.mat_variable_names(recording.path)
        keys = seed_common.numbered_keys(
            names, _DE_LDS_REGEX, recording.path, constants.N_TRIALS, "feature keys de_LDS<k>"
        )
        for trial_id, key in keys:
            array = load_mat(recording.path, variables=[key])[key]
            yield (
                trial_id,
                self._label(trial_id),
                seed_common.check_official_de(array, recording.path, key, "cwb"),
            )

    def _label(self, trial_id):
        return constants.LABEL_MAPPING[int(self._labels[trial_id - 1])]


def _read_label_mat(manual_dir):
    """Read every ``label.mat`` below ``manual_dir``; they must agree with each other.

    Returns:
        int array (15,) of corpus values -1 / 0 / 1.
    """
    found = seed_common.find_files(manual_dir, r"^label\.mat$")
    if not found:
        raise CorpusFormatError(
            manual_dir,
            "no label.mat found (searched recursively)",
            expected="label.mat (key 'label', shape (1, 15), values -1/0/1) in Preprocessed_EEG/, "
            "ExtractedFeatures/ or ExtractedFeatures_1s/",
            found="none",
            hint="Copy label.mat from the corpus download next to the session files.",
        )
    labels = None
    for path, _ in found:
        values = seed_common.check_label_vector(
            load_mat(path, variables=["label"])["label"],
            path,
            "label",
            constants.N_TRIALS,
            allowed=constants.LABEL_MAPPING,
        )
        if tuple(values) != constants.CORPUS_LABELS:
            raise CorpusFormatError(
                path,
                "does not hold the SEED clip labels",
                field="label",
                expected=f"{list(constants.CORPUS_LABELS)}",
                found=f"{values.tolist()}",
                hint="Is this label.mat from another corpus (SEED-IV/V have other labels)?",
            )
        labels = values if labels is None else labels
    return np.asarray(labels)
