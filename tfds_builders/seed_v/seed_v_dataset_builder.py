"""SEED-V: 62-channel EEG, 16 subjects x 3 sessions x 15 film clips, 5 classes.

Layout: ``EEG_raw/{subject}_{session}_{YYYYMMDD}.cnt`` (Neuroscan, 1000 Hz,
66 channels) and ``EEG_DE_features/{subject}_123.npz`` (entries ``data`` / ``label``, each a
pickled dict keyed by the global trial 0..44).

``session_id`` is the digit in the cnt name (= npz key // 15 + 1): the STIMULUS SET, which fixes
the label order; it is not the chronological order of the visits.
"""

from __future__ import annotations

import collections
import os
import zipfile

import numpy as np
import tensorflow_datasets as tfds
from etils import epath

from amigos_emo.constants import seed_v as constants
from amigos_emo.io.errors import CorpusFormatError
from amigos_emo.io.safe_pickle import restricted_loads
from amigos_emo.tfds_builders import seed_common
from amigos_emo.tfds_builders.seed_common import SeedConfig, SessionFile

RAW_FOLDER = "EEG_raw"
FEATURE_FOLDER = "EEG_DE_features"


class Builder(seed_common.SeedFamilyBuilder):
    """DatasetBuilder for SEED-V (manual download)."""

    pkg_dir_path = epath.Path(__file__).parent
    VERSION = tfds.core.Version("1.1.0")
    RELEASE_NOTES = {
        "1.0.0": "Initial release: raw 4 s windows from the cnt files, de, de_lds sequences.",
        "1.1.0": "A trial with NaN/inf (or float32-overflowing) samples stops the build naming file and trial (it was skipped); label codes are checked.",
    }
    MANUAL_DOWNLOAD_INSTRUCTIONS = """
    SEED-V is distributed by the BCMI lab (Shanghai Jiao Tong University) after you sign its
    licence agreement: https://bcmi.sjtu.edu.cn/home/seed/seed-v.html (academic, non-commercial
    use only; do not redistribute). Extract it and point manual_dir at the folder holding
    `EEG_raw/` (the .cnt files, for the raw and de configs) and `EEG_DE_features/` (the .npz
    files, for de_lds). manual_dir is searched recursively.
    """
    BUILDER_CONFIGS = [
        SeedConfig(
            name="raw",
            representation="raw",
            window_s=4.0,
            description="Non-overlapping 4 s windows (800 samples x 62 channels, microvolts) of the cnt recordings resampled 1000 -> 200 Hz.",
        ),
        SeedConfig(
            name="de",
            representation="de",
            window_s=4.0,
            n_steps=60,
            description="Trial-level DE sequences (60 x 310) computed by amigos_emo from the cnt recordings at 200 Hz: 4 s windows, LDS-smoothed.",
        ),
        SeedConfig(
            name="de_lds",
            representation="de_lds",
            n_steps=60,
            description="Official DE features of EEG_DE_features/*.npz (4 s windows, (W, 310) channel-major) as 60 x 310 sequences.",
        ),
    ]
    SFREQ_HZ = constants.SFREQ_HZ
    LABEL_NAMES = constants.LABEL_NAMES
    CORPUS_NAME = "SEED-V"
    SOURCE_FILES = (
        "EEG_raw/{subject}_{session}_{YYYYMMDD}.cnt (or EEG_DE_features/{subject}_123.npz)"
    )

    # ------------------------------------------------------------------ discovery
    def _find_recordings(self, manual_dir, source):
        manual_dir = os.fspath(manual_dir)
        sessions = sorted(constants.SESSION_LABELS)
        if source == "features":
            files = seed_common.find_files(
                manual_dir, constants.FEATURE_FILE_REGEX, (FEATURE_FOLDER,)
            )
            if not files:
                raise seed_common.no_files_error(
                    manual_dir, "SEED-V DE feature files", (FEATURE_FOLDER,), "1_123.npz"
                )
            recordings = {}
            for path, match in files:
                subject = int(match.group(1))
                if subject in recordings:
                    raise CorpusFormatError(
                        path,
                        f"subject {subject} has two DE feature files",
                        expected="one {subject}_123.npz per subject",
                        found=f"also {recordings[subject][0].path}",
                    )
                recordings[subject] = [SessionFile(subject, session, path) for session in sessions]
            return recordings
        files = seed_common.find_files(manual_dir, constants.RAW_FILE_REGEX, (RAW_FOLDER,))
        if not files:
            raise seed_common.no_files_error(
                manual_dir, "SEED-V cnt files", (RAW_FOLDER,), "1_1_20180411.cnt"
            )
        by_subject = collections.defaultdict(dict)
        for path, match in files:
            subject, session = int(match.group(1)), int(match.group(2))
            if session not in constants.SESSION_LABELS:
                raise CorpusFormatError(
                    path,
                    "has an unknown session digit in its name",
                    expected=f"{{subject}}_{{session}}_{{YYYYMMDD}}.cnt with session in {sessions}",
                    found=f"session {session}",
                )
            if session in by_subject[subject]:
                raise CorpusFormatError(
                    path,
                    f"subject {subject} has two cnt files for session {session}",
                    expected="one file per subject and session",
                    found=f"also {by_subject[subject][session]}",
                )
            by_subject[subject][session] = path
        recordings = {}
        for subject, paths in sorted(by_subject.items()):
            missing = sorted(set(sessions) - set(paths))
            if missing:
                raise CorpusFormatError(
                    manual_dir,
                    f"subject {subject} has no cnt file for session(s) {missing}",
                    expected=f"{subject}_<session>_<YYYYMMDD>.cnt for sessions {sessions} in {RAW_FOLDER}/",
                    found=f"{[os.path.basename(paths[s]) for s in sorted(paths)]}",
                )
            recordings[subject] = [SessionFile(subject, s, paths[s]) for s in sessions]
        return recordings

    # ------------------------------------------------------------------ raw cnt
    def _raw_trials(self, recording):
        import mne

        from amigos_emo.signal.filters import resample

        path = recording.path
        try:
            raw = mne.io.read_raw_cnt(path, preload=False, verbose="error")
        except Exception as error:
            raise CorpusFormatError(
                path,
                "could not be read as a Neuroscan CNT file (truncated or corrupt?)",
                found=f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}",
                hint="Download the file again; a partial download is the usual cause.",
            ) from error
        if raw.info["sfreq"] != constants.SOURCE_SFREQ_HZ:
            raise CorpusFormatError(
                path,
                "has an unexpected sampling rate",
                expected=f"{constants.SOURCE_SFREQ_HZ:g} Hz",
                found=f"{raw.info['sfreq']:g} Hz",
            )
        by_upper = {name.upper(): name for name in raw.ch_names}
        missing = [name for name in constants.EEG_CHANNELS if name not in by_upper]
        if missing:
            raise CorpusFormatError(
                path,
                "lacks EEG channels",
                expected=f"the 62 SEED channels (plus {', '.join(constants.NON_EEG_CHANNELS)})",
                found=f"channels {raw.ch_names}; missing {missing}",
            )
        # Picking the 62 EEG channels by name, in the SEED order, drops M1, M2, VEO, HEO.
        picks = [by_upper[name] for name in constants.EEG_CHANNELS]
        starts = constants.TRIAL_START_S[recording.session_id]
        ends = constants.TRIAL_END_S[recording.session_id]
        sfreq = raw.info["sfreq"]
        for trial_id, (start_s, end_s) in enumerate(zip(starts, ends, strict=True), start=1):
            start, stop = int(round(start_s * sfreq)), int(round(end_s * sfreq))
            if stop > raw.n_times:
                raise CorpusFormatError(
                    path,
                    f"is shorter than the session table: trial {trial_id} ends after the recording",
                    expected=f"at least {stop} samples ({end_s} s at {sfreq:g} Hz)",
                    found=f"{raw.n_times} samples",
                )
            volts = raw.get_data(picks=picks, start=start, stop=stop)  # (62, n_times) volts
            eeg = resample(volts.T * 1e6, sfreq, constants.SFREQ_HZ, axis=0)  # microvolts, 200 Hz
            yield trial_id, constants.SESSION_LABELS[recording.session_id][trial_id - 1], eeg

    # ------------------------------------------------------------------ npz features
    def _feature_trials(self, recording):
        data, labels = self._load_npz(recording.path)
        first = (recording.session_id - 1) * constants.N_TRIALS
        for k in sorted(data):
            if not first <= k < first + constants.N_TRIALS:
                continue
            trial_id = k - first + 1
            field = f"data[{k}]"
            de = seed_common.check_official_de(data[k], recording.path, field, "wf")
            expected = constants.SESSION_LABELS[recording.session_id][trial_id - 1]
            trial_labels = np.asarray(labels.get(k, []))
            if trial_labels.shape != (de.shape[0],) or not np.all(trial_labels == expected):
                raise CorpusFormatError(
                    recording.path,
                    "has labels that disagree with the SEED-V session table",
                    field=f"label[{k}]",
                    expected=f"{de.shape[0]} values all equal to {expected} (session {recording.session_id}, trial {trial_id})",
                    found=f"shape {trial_labels.shape}, values {np.unique(trial_labels).tolist()}",
                )
            yield trial_id, expected, de

    def _load_npz(self, path):
        """Decode one subject's npz (cached: the three sessions share one file)."""
        cached = getattr(self, "_npz_cache", None)
        if cached is not None and cached[0] == path:
            return cached[1]
        data = _npz_dict(path, "data")
        labels = _npz_dict(path, "label")
        keys = seed_common.numbered_keys(
            [str(k) for k in data],
            r"^(\d+)$",
            path,
            constants.N_SESSIONS * constants.N_TRIALS,
            "trial keys of data",
            first=0,
        )
        data = {int(k): data[_original_key(data, k)] for _, k in keys}
        labels = {int(k): v for k, v in labels.items()}
        self._npz_cache = (path, (data, labels))
        return data, labels


def _original_key(mapping, text):
    for key in mapping:
        if str(key) == text:
            return key
    raise KeyError(text)  # pragma: no cover - text comes from mapping


def _npz_dict(path, name):
    """One entry of a SEED-V npz, decoded to the dict it pickles, without ever running pickle.

    The entry is read with ``np.load(allow_pickle=False)``. Two storages are handled:

    - a NumPy bytes scalar holding the pickled dict (what ``np.savez(data=pickle.dumps(d))``
      writes; what TorchEEG reads): its bytes are unpickled with the restricted unpickler;
    - a 0-d object array (``np.savez(data=d)``): NumPy refuses it without ``allow_pickle``, so
      the ``.npy`` member is opened from the zip, its header parsed with ``numpy.lib.format``,
      and the array pickle that follows is decoded with the same restricted unpickler (NumPy
      arrays and plain containers only; anything else is refused and nothing runs).
    """
    source = f"{path}['{name}']"
    try:
        with np.load(path, allow_pickle=False) as npz:
            if name not in npz.files:
                raise CorpusFormatError(
                    path,
                    f"has no entry {name!r}",
                    expected="entries 'data' and 'label'",
                    found=f"entries {npz.files}",
                )
            try:
                entry = npz[name]
            except ValueError:
                entry = _object_entry(path, name, source)
    except CorpusFormatError:
        raise
    except Exception as error:
        raise CorpusFormatError(
            path,
            "could not be read as a NumPy .npz file (truncated or corrupt?)",
            found=f"{type(error).__name__}: {error}",
            hint="Download the file again.",
        ) from error
    value = entry
    if isinstance(value, np.ndarray):
        if value.dtype.kind == "S" and value.ndim == 0:
            value = restricted_loads(value.tobytes(), source=source)
        elif value.dtype == object and value.ndim == 0:
            value = value.item()
    if isinstance(value, bytes):
        value = restricted_loads(value, source=source)
    if not isinstance(value, dict):
        raise CorpusFormatError(
            path,
            "does not hold a pickled dict",
            field=name,
            expected="a dict {global trial 0..44: array}",
            found=f"{type(value).__name__} {getattr(value, 'dtype', '')} {getattr(value, 'shape', '')}",
        )
    return value


def _object_entry(path, name, source):
    """Read an object-array member of an npz through the restricted unpickler."""
    with zipfile.ZipFile(path) as archive, archive.open(f"{name}.npy") as member:
        version = np.lib.format.read_magic(member)
        if version == (1, 0):
            np.lib.format.read_array_header_1_0(member)
        else:
            np.lib.format.read_array_header_2_0(member)
        array = restricted_loads(member.read(), source=source)
    if not isinstance(array, np.ndarray):
        raise CorpusFormatError(
            path, "has an object entry that is not an array", field=name, found=type(array).__name__
        )
    return array
