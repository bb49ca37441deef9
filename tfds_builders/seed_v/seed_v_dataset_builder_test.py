"""Tests for the SEED-V builder, on the dummy corpus in dummy_data/.

The dummy cnt files are genuine Neuroscan CNT files but only 0.25 s long, so the raw tests patch
the session table (clip start/end seconds) to fit them and use a short test window.
"""

import importlib.util
import pathlib
import pickle
import shutil

import numpy as np
import pytest
import scipy.signal
import tensorflow_datasets as tfds

from amigos_emo.constants import seed_v as constants
from amigos_emo.io.errors import CorpusFormatError
from amigos_emo.io.safe_pickle import UnsafePickleError
from amigos_emo.tfds_builders import seed_v as seed_v_package
from amigos_emo.tfds_builders.seed_common import SeedConfig
from amigos_emo.tfds_builders.seed_v import seed_v_dataset_builder
from amigos_emo.tfds_builders.testing import build, dummy_data

DUMMY = dummy_data(__file__)
LABELS = {1: [4, 1, 3, 2, 0] * 3, 2: [2, 1, 3, 0, 4, 4, 0, 3, 2, 1, 3, 4, 1, 2, 0]}
LABELS[3] = LABELS[2]
SHORT_STARTS = (0.02, 0.12)
SHORT_ENDS = (0.11, 0.24)


def _make_module():
    spec = importlib.util.spec_from_file_location("seed_v_make_dummy", DUMMY / "make_dummy_data.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _read_cnt(path):
    """Independent reader: channel names from the ELECTLOC records, int16 samples (microvolts)."""
    blob = path.read_bytes()
    n_chans = int(np.frombuffer(blob, "<u2", 1, 370)[0])
    n_samples = int(np.frombuffer(blob, "<i4", 1, 864)[0])
    names = [blob[900 + 75 * i : 910 + 75 * i].split(b"\x00")[0].decode() for i in range(n_chans)]
    data = np.frombuffer(blob, "<i2", n_samples * n_chans, 900 + 75 * n_chans).reshape(
        n_samples, n_chans
    )
    return names, data.astype(np.float64)


@pytest.fixture
def short_table(monkeypatch):
    monkeypatch.setattr(constants, "TRIAL_START_S", {s: SHORT_STARTS for s in (1, 2, 3)})
    monkeypatch.setattr(constants, "TRIAL_END_S", {s: SHORT_ENDS for s in (1, 2, 3)})


def _by_key(builder, subject):
    examples = tfds.as_numpy(builder.as_dataset(split=f"subject_{subject:02d}"))
    return {(int(e["session_id"]), int(e["trial_id"]), int(e["window_index"])): e for e in examples}


def test_de_lds_from_npz(tmp_path):
    builder = build("seed_v", tmp_path, DUMMY, config="de_lds")
    assert builder.info.features["label"].names == ["disgust", "fear", "sad", "neutral", "happy"]
    for path in sorted((DUMMY / "EEG_DE_features").glob("*_123.npz")):
        subject = int(path.name.split("_")[0])
        with np.load(path) as npz:
            data = pickle.loads(npz["data"].tobytes())
        got = _by_key(builder, subject)
        assert builder.info.splits[f"subject_{subject:02d}"].num_examples == len(data)
        assert set(got) == {(k // 15 + 1, k % 15 + 1, 0) for k in data}
        for k, array in data.items():
            ex = got[(k // 15 + 1, k % 15 + 1, 0)]
            assert ex["de"].shape == (60, 310) and ex["de"].dtype == np.float32
            assert ex["n_steps"] == array.shape[0]
            np.testing.assert_array_equal(ex["de"][: array.shape[0]], array.astype(np.float32))
            assert not ex["de"][array.shape[0] :].any()
            assert ex["label"] == LABELS[k // 15 + 1][k % 15]


def test_raw_windows_from_cnt(tmp_path, short_table):
    config = SeedConfig(
        name="raw_test", representation="raw", window_s=0.05
    )  # 10 samples at 200 Hz
    builder = build("seed_v", tmp_path, DUMMY, config=config)
    for subject in (1, 2):
        expected = {}
        for path in sorted((DUMMY / "EEG_raw").glob(f"{subject}_*.cnt")):
            session = int(path.name.split("_")[1])
            names, data = _read_cnt(path)
            eeg = data[:, [names.index(c) for c in constants.EEG_CHANNELS]]
            for trial, (start, end) in enumerate(
                zip(SHORT_STARTS, SHORT_ENDS, strict=True), start=1
            ):
                trial_eeg = scipy.signal.resample_poly(
                    eeg[round(start * 1000) : round(end * 1000)], 1, 5, axis=0
                )
                for w in range(trial_eeg.shape[0] // 10):
                    expected[(session, trial, w)] = (
                        trial_eeg[10 * w : 10 * (w + 1)],
                        LABELS[session][trial - 1],
                    )
        got = _by_key(builder, subject)
        assert set(got) == set(expected) and len(got) == 3 * (1 + 2)
        for key, (window, label) in expected.items():
            assert got[key]["eeg"].shape == (10, 62) and got[key]["eeg"].dtype == np.float32
            np.testing.assert_allclose(got[key]["eeg"], window, rtol=1e-5, atol=1e-4)
            assert got[key]["label"] == label and got[key]["subject_id"] == subject


def test_sessions_are_the_stimulus_set_digit(tmp_path):
    builder = tfds.builder("seed_v", config="raw", data_dir=tmp_path)
    recordings = builder._find_recordings(DUMMY, "eeg")
    # subject 2 recorded set 2 (20180508) before set 1 (20180510): session_id follows the digit
    assert [(r.session_id, pathlib.Path(r.path).name) for r in recordings[2]] == [
        (1, "2_1_20180510.cnt"),
        (2, "2_2_20180508.cnt"),
        (3, "2_3_20180517.cnt"),
    ]


def test_npz_object_array_and_unsafe_pickles(tmp_path):
    data = {0: np.ones((2, 310)), 1: np.zeros((1, 310))}
    path = tmp_path / "object.npz"
    np.savez(path, data=np.array(data, dtype=object), label=pickle.dumps({0: np.full(2, 4.0)}))
    decoded = seed_v_dataset_builder._npz_dict(path, "data")
    assert sorted(decoded) == [0, 1]
    np.testing.assert_array_equal(decoded[0], data[0])
    assert seed_v_dataset_builder._npz_dict(path, "label")[0].tolist() == [4.0, 4.0]

    class Sneaky:
        def __reduce__(self):
            return (print, ("this must never run",))

    np.savez(path, data=pickle.dumps({0: Sneaky()}), label=pickle.dumps({}))
    with pytest.raises(UnsafePickleError, match=r"refused to unpickle global builtins.print"):
        seed_v_dataset_builder._npz_dict(path, "data")
    np.savez(path, data=pickle.dumps([1, 2]))
    with pytest.raises(CorpusFormatError, match="has no entry 'label'"):
        seed_v_dataset_builder._npz_dict(path, "label")
    with pytest.raises(CorpusFormatError, match=r"does not hold a pickled dict"):
        seed_v_dataset_builder._npz_dict(path, "data")


def test_npz_label_mismatch(tmp_path):
    folder = tmp_path / "EEG_DE_features"
    folder.mkdir()
    np.savez(
        folder / "3_123.npz",
        data=pickle.dumps({0: np.ones((2, 310))}),
        label=pickle.dumps({0: np.full(2, 3.0)}),
    )
    builder = tfds.builder("seed_v", config="de_lds", data_dir=tmp_path / "data")
    recording = builder._find_recordings(tmp_path, "features")[3][0]
    with pytest.raises(
        CorpusFormatError, match=r"label\[0\]: has labels that disagree.*all equal to 4"
    ):
        list(builder._feature_trials(recording))


def test_cnt_errors(tmp_path, short_table):
    folder = tmp_path / "EEG_raw"
    shutil.copytree(DUMMY / "EEG_raw", folder)
    builder = tfds.builder("seed_v", config="raw", data_dir=tmp_path / "data")
    (folder / "1_3_20180425.cnt").unlink()
    with pytest.raises(
        CorpusFormatError, match=r"subject 1 has no cnt file for session\(s\) \[3\]"
    ):
        builder._find_recordings(tmp_path, "eeg")
    # a channel missing
    make = _make_module()
    names, data = _read_cnt(DUMMY / "EEG_raw" / "1_3_20180425.cnt")
    renamed = ["XX" if n == "CZ" else n for n in names]
    make.write_cnt(folder / "1_3_20180425.cnt", renamed, data.astype(np.int16), 1000)
    recording = builder._find_recordings(tmp_path, "eeg")[1][2]
    with pytest.raises(CorpusFormatError, match=r"lacks EEG channels.*missing \['CZ'\]"):
        list(builder._raw_trials(recording))
    # truncated file
    blob = (DUMMY / "EEG_raw" / "1_3_20180425.cnt").read_bytes()
    (folder / "1_3_20180425.cnt").write_bytes(blob[:500])
    with pytest.raises(CorpusFormatError, match="could not be read as a Neuroscan CNT file"):
        list(builder._raw_trials(recording))


def test_recording_shorter_than_session_table(tmp_path):
    builder = tfds.builder("seed_v", config="raw", data_dir=tmp_path)
    recording = builder._find_recordings(DUMMY, "eeg")[1][0]
    with pytest.raises(
        CorpusFormatError, match=r"shorter than the session table: trial 1.*Found 250 samples"
    ):
        list(builder._raw_trials(recording))


def test_builder_is_registered():
    assert seed_v_package.Builder.name == "seed_v"
