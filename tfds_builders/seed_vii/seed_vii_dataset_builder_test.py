"""Tests for the SEED-VII builder, on the dummy corpus in dummy_data/."""

import importlib.util
import re
import shutil

import numpy as np
import pytest
import scipy.io
import tensorflow_datasets as tfds

from amigos_emo.io.errors import CorpusFormatError
from amigos_emo.tfds_builders import seed_vii  # noqa: F401  (registers "seed_vii")
from amigos_emo.tfds_builders.seed_vii.seed_vii_dataset_builder import read_label_xlsx
from amigos_emo.tfds_builders.testing import build, dummy_data

DUMMY = dummy_data(__file__)
CODES = {"disgust": 0, "fear": 1, "sad": 2, "neutral": 3, "happy": 4, "anger": 5, "surprise": 6}
HALF = {
    1: "happy neutral disgust sad anger anger sad disgust neutral happy",
    2: "anger sad fear neutral surprise surprise neutral fear sad anger",
    3: "happy surprise disgust fear anger anger fear disgust surprise happy",
    4: "disgust sad fear surprise happy happy surprise fear sad disgust",
}
EXPECTED = {s: [CODES[n] for n in (h + " " + h).split()] for s, h in HALF.items()}


def _make_module():
    spec = importlib.util.spec_from_file_location(
        "seed_vii_make_dummy", DUMMY / "make_dummy_data.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _videos(folder, regex):
    out = {}
    for path in sorted(folder.glob("*.mat")):
        for key, value in scipy.io.loadmat(path).items():
            match = re.fullmatch(regex, key)
            if match:
                out.setdefault(int(path.stem), {})[int(match.group(1))] = value
    return out


def _by_key(builder, subject):
    examples = tfds.as_numpy(builder.as_dataset(split=f"subject_{subject:02d}"))
    return {(int(e["session_id"]), int(e["trial_id"]), int(e["window_index"])): e for e in examples}


def test_raw_windows(tmp_path):
    builder = build("seed_vii", tmp_path / "data", DUMMY, config="raw")
    assert builder.info.features["label"].names == list(CODES)
    for subject, videos in _videos(DUMMY / "EEG_preprocessed", r"(\d+)").items():
        expected = {
            ((v - 1) // 20 + 1, (v - 1) % 20 + 1, w): a[:, 200 * w : 200 * (w + 1)].T
            for v, a in videos.items()
            for w in range(a.shape[1] // 200)
        }
        got = _by_key(builder, subject)
        assert builder.info.splits[f"subject_{subject:02d}"].num_examples == len(expected) == 6
        assert set(got) == set(expected)
        for (session, clip, w), window in expected.items():
            ex = got[(session, clip, w)]
            assert ex["eeg"].shape == (200, 62) and ex["eeg"].dtype == np.float32
            np.testing.assert_array_equal(ex["eeg"], window.astype(np.float32))
            assert ex["label"] == EXPECTED[session][clip - 1]


def test_de_lds_sequences(tmp_path):
    builder = build("seed_vii", tmp_path / "data", DUMMY, config="de_lds")
    for subject, videos in _videos(DUMMY / "EEG_features", r"de_LDS_(\d+)").items():
        got = _by_key(builder, subject)
        assert set(got) == {((v - 1) // 20 + 1, (v - 1) % 20 + 1, 0) for v in videos}
        for video, array in videos.items():
            ex = got[((video - 1) // 20 + 1, (video - 1) % 20 + 1, 0)]
            n_windows = array.shape[0]
            assert ex["n_steps"] == n_windows and ex["de"].shape == (60, 310)
            # channel-major: feature c * 5 + b of step w is array[w, b, c]
            np.testing.assert_array_equal(
                ex["de"][:n_windows], array.transpose(0, 2, 1).reshape(n_windows, 310)
            )
            assert not ex["de"][n_windows:].any()


def test_label_xlsx_matches_published_orders():
    labels = read_label_xlsx(DUMMY)
    assert {s: list(v) for s, v in labels.items()} == EXPECTED


def _names():
    return {s: [n.capitalize() for n in (h + " " + h).split()] for s, h in HALF.items()}


def test_label_xlsx_errors(tmp_path):
    make = _make_module()
    path = tmp_path / "emotion_label_and_stimuli_order.xlsx"
    # EEG-FM-Bench's erroneous session-1 row (second half 4,4,0,5,2,5,2,0,3,4 in this coding)
    names = _names()
    names[1][10:] = [
        "Happy",
        "Happy",
        "Disgust",
        "Anger",
        "Sad",
        "Anger",
        "Sad",
        "Disgust",
        "Neutral",
        "Happy",
    ]
    make.write_label_xlsx(path, names)
    with pytest.raises(
        CorpusFormatError,
        match=r"cell M2: Session 1, clip 12 disagrees.*Expected 'neutral'.*Found 'happy'",
    ):
        read_label_xlsx(tmp_path)
    names = _names()
    names[3][4] = "Joy"
    make.write_label_xlsx(path, names)
    with pytest.raises(
        CorpusFormatError, match=r"cell F6: unknown emotion name in Session 3, clip 5.*Found 'Joy'"
    ):
        read_label_xlsx(tmp_path)
    names = _names()
    del names[4]
    make.write_label_xlsx(path, names)
    with pytest.raises(CorpusFormatError, match=r"has no row 'Session 4'"):
        read_label_xlsx(tmp_path)
    path.write_bytes(b"not a spreadsheet")
    with pytest.raises(CorpusFormatError, match="could not be read as an .xlsx"):
        read_label_xlsx(tmp_path)
    path.unlink()
    with pytest.raises(CorpusFormatError, match="no emotion_label_and_stimuli_order.xlsx found"):
        read_label_xlsx(tmp_path)


def test_bad_feature_and_eeg_arrays(tmp_path):
    manual = tmp_path / "manual"
    shutil.copytree(DUMMY, manual, ignore=shutil.ignore_patterns("*.py"))
    builder = tfds.builder("seed_vii", config="de_lds", data_dir=tmp_path / "data")
    scipy.io.savemat(manual / "EEG_features" / "1.mat", {"de_LDS_1": np.zeros((3, 62, 5))})
    recording = builder._find_recordings(manual, "features")[1][0]
    with pytest.raises(
        CorpusFormatError,
        match=r"de_LDS_1: has an unexpected DE feature array.*\(n_windows, 5, 62\)",
    ):
        list(builder._feature_trials(recording))
    scipy.io.savemat(
        manual / "EEG_preprocessed" / "1.mat", {"1": np.zeros((61, 200)), "81": np.zeros((62, 200))}
    )
    builder = tfds.builder("seed_vii", config="raw", data_dir=tmp_path / "data")
    recording = builder._find_recordings(manual, "eeg")[1][0]
    with pytest.raises(
        CorpusFormatError, match=r"unexpected video keys.*trial numbers 1..80.*\['81'\]"
    ):
        list(builder._raw_trials(recording))
    scipy.io.savemat(manual / "EEG_preprocessed" / "1.mat", {"1": np.zeros((61, 200))})
    builder = tfds.builder("seed_vii", config="raw", data_dir=tmp_path / "data")
    recording = builder._find_recordings(manual, "eeg")[1][0]
    with pytest.raises(
        CorpusFormatError, match=r"1: has an unexpected EEG array.*\(62, n_times\).*\(61, 200\)"
    ):
        list(builder._raw_trials(recording))


def test_de_sequences(tmp_path):
    from amigos_emo.signal.features import de_sequence

    builder = build("seed_vii", tmp_path / "data", DUMMY, config="de")
    for subject, videos in _videos(DUMMY / "EEG_preprocessed", r"(\d+)").items():
        got = _by_key(builder, subject)
        assert set(got) == {((v - 1) // 20 + 1, (v - 1) % 20 + 1, 0) for v in videos}
        for video, array in videos.items():
            ex = got[((video - 1) // 20 + 1, (video - 1) % 20 + 1, 0)]
            expected, n_valid = de_sequence(array.T, 200.0, window_s=1.0, n_steps=60)
            assert ex["n_steps"] == n_valid == array.shape[1] // 200
            assert ex["de"].dtype == np.float32
            np.testing.assert_allclose(ex["de"], expected, rtol=1e-5, atol=1e-5)
            assert ex["label"] == EXPECTED[(video - 1) // 20 + 1][(video - 1) % 20]
