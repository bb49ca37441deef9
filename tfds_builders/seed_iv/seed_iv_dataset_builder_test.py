"""Tests for the SEED-IV builder, on the dummy corpus in dummy_data/."""

import pathlib
import re
import shutil

import numpy as np
import pytest
import scipy.io
import tensorflow_datasets as tfds

from amigos_emo.io.errors import CorpusFormatError
from amigos_emo.tfds_builders import seed_iv  # noqa: F401  (registers "seed_iv")
from amigos_emo.tfds_builders.testing import build, dummy_data

DUMMY = dummy_data(__file__)
# The ReadMe.txt label orders, written out here independently of the constants module.
README_LABELS = {
    1: [1, 2, 3, 0, 2, 0, 0, 1, 0, 1, 2, 1, 1, 1, 2, 3, 2, 2, 3, 3, 0, 3, 0, 3],
    2: [2, 1, 3, 0, 0, 2, 0, 2, 3, 3, 2, 3, 2, 0, 1, 1, 2, 1, 0, 3, 0, 1, 3, 1],
    3: [1, 2, 2, 1, 3, 3, 3, 1, 1, 2, 1, 0, 2, 3, 3, 0, 2, 3, 0, 0, 2, 0, 1, 0],
}


def _trials(folder, regex):
    """{subject: {(session, trial): array}} read here straight from the dummy files."""
    out = {}
    for path in sorted(folder.glob("*/*.mat")):
        session, subject = int(path.parent.name), int(path.stem.split("_")[0])
        for key, value in scipy.io.loadmat(path).items():
            match = re.search(regex, key)
            if match:
                out.setdefault(subject, {})[(session, int(match.group(1)))] = value
    return out


def _by_key(builder, subject):
    examples = tfds.as_numpy(builder.as_dataset(split=f"subject_{subject:02d}"))
    return {(int(e["session_id"]), int(e["trial_id"]), int(e["window_index"])): e for e in examples}


def test_raw_windows(tmp_path):
    builder = build("seed_iv", tmp_path / "data", DUMMY, config="raw")
    for subject, trials in _trials(DUMMY / "eeg_raw_data", r"_eeg(\d+)$").items():
        expected = {
            (session, trial, w): array[:, 800 * w : 800 * (w + 1)].T
            for (session, trial), array in trials.items()
            for w in range(array.shape[1] // 800)
        }
        got = _by_key(builder, subject)
        assert builder.info.splits[f"subject_{subject:02d}"].num_examples == len(expected) > 0
        assert set(got) == set(expected)
        for key, window in expected.items():
            ex = got[key]
            assert ex["eeg"].dtype == np.float32 and ex["eeg"].shape == (800, 62)
            np.testing.assert_array_equal(ex["eeg"], window.astype(np.float32))
            assert ex["label"] == README_LABELS[key[0]][key[1] - 1]
            assert ex["subject_id"] == subject


def test_de_lds_sequences(tmp_path):
    builder = build("seed_iv", tmp_path / "data", DUMMY, config="de_lds")
    assert builder.info.features["label"].names == ["neutral", "sad", "fear", "happy"]
    for subject, trials in _trials(DUMMY / "eeg_feature_smooth", r"^de_LDS(\d+)$").items():
        got = _by_key(builder, subject)
        assert set(got) == {(s, t, 0) for s, t in trials}
        for (session, trial), array in trials.items():
            ex = got[(session, trial, 0)]
            n_windows = array.shape[1]
            assert ex["de"].shape == (60, 310) and ex["n_steps"] == n_windows
            np.testing.assert_allclose(
                ex["de"][:n_windows], array.transpose(1, 0, 2).reshape(n_windows, 310)
            )
            assert not ex["de"][n_windows:].any()
            assert ex["label"] == README_LABELS[session][trial - 1]


def test_de_sequences(tmp_path):
    from amigos_emo.signal.features import de_sequence

    builder = build("seed_iv", tmp_path / "data", DUMMY, config="de")
    for subject, trials in _trials(DUMMY / "eeg_raw_data", r"_eeg(\d+)$").items():
        got = _by_key(builder, subject)
        long_enough = {key: a for key, a in trials.items() if a.shape[1] >= 800}  # others skipped
        assert set(got) == {(s, t, 0) for s, t in long_enough} and got
        for (session, trial), array in long_enough.items():
            expected, n_valid = de_sequence(array.T, 200.0, window_s=4.0, n_steps=60)
            np.testing.assert_allclose(
                got[(session, trial, 0)]["de"], expected, rtol=1e-5, atol=1e-5
            )
            assert got[(session, trial, 0)]["n_steps"] == n_valid


def test_stft_and_binary_label(tmp_path):
    from amigos_emo.signal.spectral import stft_spectrogram

    builder = build("seed_iv", tmp_path / "data", DUMMY, config="stft")
    assert builder.info.features["stft"].shape == (62, 9, 51)
    assert builder.info.features["label_binary"].names == ["not_happy", "happy"]
    for subject, trials in _trials(DUMMY / "eeg_raw_data", r"_eeg(\d+)$").items():
        got = _by_key(builder, subject)
        expected_keys = {
            (s, t, w) for (s, t), a in trials.items() for w in range(a.shape[1] // 800)
        }
        assert set(got) == expected_keys
        for session, trial, w in expected_keys:
            ex = got[(session, trial, w)]
            window = trials[(session, trial)][:, 800 * w : 800 * (w + 1)].T
            reference = stft_spectrogram(window, 200.0, nperseg=200, noverlap=100, max_freq_hz=50.0)
            assert ex["stft"].dtype == np.float32
            np.testing.assert_allclose(ex["stft"], reference, rtol=1e-5, atol=1e-6)
            assert ex["label_binary"] == int(README_LABELS[session][trial - 1] == 3)


def _copy(tmp_path):
    target = tmp_path / "manual"
    shutil.copytree(DUMMY / "eeg_raw_data", target / "eeg_raw_data")
    return target


def _builder(tmp_path):
    return tfds.builder("seed_iv", config="raw", data_dir=tmp_path / "data")


def test_sessions_come_from_folders(tmp_path):
    recordings = _builder(tmp_path)._find_recordings(DUMMY, "eeg")
    assert sorted(recordings) == [1, 2]
    for recs in recordings.values():
        assert [r.session_id for r in recs] == [1, 2, 3]
        assert [pathlib.Path(r.path).parent.name for r in recs] == ["1", "2", "3"]
        trials = list(_builder(tmp_path)._raw_trials(recs[0]))
        assert [t for t, _, _ in trials] == [3, 12]


def test_layout_errors(tmp_path):
    manual = _copy(tmp_path)
    (manual / "eeg_raw_data" / "2" / "2_20150920.mat").unlink()
    with pytest.raises(
        CorpusFormatError, match=r"subject 2 is missing from session folder\(s\) \[2\]"
    ):
        _builder(tmp_path)._find_recordings(manual, "eeg")
    shutil.copy(
        manual / "eeg_raw_data" / "1" / "2_20150915.mat",
        manual / "eeg_raw_data" / "2" / "2_20150920.mat",
    )
    shutil.copy(
        manual / "eeg_raw_data" / "1" / "2_20150915.mat",
        manual / "eeg_raw_data" / "2" / "2_20150921.mat",
    )
    with pytest.raises(CorpusFormatError, match="subject 2 has two files in session folder 2"):
        _builder(tmp_path)._find_recordings(manual, "eeg")
    (manual / "eeg_raw_data" / "2" / "2_20150921.mat").unlink()
    (manual / "eeg_raw_data" / "4").mkdir()
    shutil.copy(manual / "eeg_raw_data" / "1" / "2_20150915.mat", manual / "eeg_raw_data" / "4")
    with pytest.raises(
        CorpusFormatError, match=r"is not inside a session folder.*Found folder '4'"
    ):
        _builder(tmp_path)._find_recordings(manual, "eeg")


def test_bad_feature_shape(tmp_path):
    manual = tmp_path / "manual"
    shutil.copytree(DUMMY / "eeg_feature_smooth", manual / "eeg_feature_smooth")
    builder = tfds.builder("seed_iv", config="de_lds", data_dir=tmp_path / "data")
    recording = builder._find_recordings(manual, "features")[1][0]
    scipy.io.savemat(recording.path, {"de_LDS1": np.zeros((62, 3, 4))})
    with pytest.raises(
        CorpusFormatError,
        match=r"de_LDS1: has an unexpected DE feature array.*\(62, n_windows, 5\).*\(62, 3, 4\)",
    ):
        list(builder._feature_trials(recording))
