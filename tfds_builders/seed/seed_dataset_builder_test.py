"""Tests for the SEED builder, on the dummy corpus in dummy_data/ (classic release layout)."""

import pathlib
import re
import shutil

import numpy as np
import pytest
import scipy.io
import tensorflow_datasets as tfds

from amigos_emo.io.errors import CorpusFormatError
from amigos_emo.tfds_builders import seed as seed_package  # registers "seed"
from amigos_emo.tfds_builders.testing import build, dummy_data

DUMMY = dummy_data(__file__)
RAW_DIR = DUMMY / "SEED" / "Preprocessed_EEG"
FEATURE_DIR = DUMMY / "SEED" / "ExtractedFeatures"
LABELS = [1, 0, -1, -1, 0, 1, -1, 0, 1, 1, 0, -1, 0, 1, -1]


def _sessions(folder):
    """{subject: [path, ...] in date order}, computed here from the file names."""
    out = {}
    for path in folder.glob("*_*.mat"):
        subject, date = map(int, path.stem.split("_"))
        out.setdefault(subject, []).append((date, path))
    return {s: [p for _, p in sorted(v)] for s, v in out.items()}


def _trial_arrays(path, regex):
    mat = scipy.io.loadmat(path)
    return {int(re.search(regex, k).group(1)): v for k, v in mat.items() if re.search(regex, k)}


def _examples(builder, split):
    return list(tfds.as_numpy(builder.as_dataset(split=split)))


def test_raw_windows_counts_values_and_ids(tmp_path):
    builder = build("seed", tmp_path / "data", DUMMY, config="raw")
    sessions = _sessions(RAW_DIR)
    assert set(builder.info.splits) == {f"subject_{s:02d}" for s in sessions}
    for subject, paths in sessions.items():
        expected = {}
        for session_id, path in enumerate(paths, start=1):
            for trial_id, array in _trial_arrays(path, r"eeg_?(\d+)$").items():
                for window in range((array.shape[1] - 1) // 200):
                    start = 1 + 200 * window  # first sample dropped
                    expected[(session_id, trial_id, window)] = array[:, start : start + 200].T
        examples = _examples(builder, f"subject_{subject:02d}")
        assert builder.info.splits[f"subject_{subject:02d}"].num_examples == len(expected)
        got = {}
        for ex in examples:
            assert ex["eeg"].shape == (200, 62) and ex["eeg"].dtype == np.float32
            assert ex["subject_id"] == subject and ex["subject_id"].dtype == np.int32
            assert ex["label"] == LABELS[ex["trial_id"] - 1] + 1
            got[(int(ex["session_id"]), int(ex["trial_id"]), int(ex["window_index"]))] = ex["eeg"]
        assert set(got) == set(expected)
        for key, window in expected.items():
            np.testing.assert_array_equal(got[key], window.astype(np.float32))


def test_de_lds_sequences(tmp_path):
    builder = build("seed", tmp_path / "data", DUMMY, config="de_lds")
    assert builder.info.features["label"].names == ["negative", "neutral", "positive"]
    for subject, paths in _sessions(FEATURE_DIR).items():
        examples = _examples(builder, f"subject_{subject:02d}")
        assert len(examples) == sum(len(_trial_arrays(p, r"^de_LDS(\d+)$")) for p in paths)
        by_key = {(int(e["session_id"]), int(e["trial_id"])): e for e in examples}
        for session_id, path in enumerate(paths, start=1):
            for trial_id, array in _trial_arrays(path, r"^de_LDS(\d+)$").items():
                ex = by_key[(session_id, trial_id)]
                n_windows = array.shape[1]
                assert ex["de"].shape == (60, 310) and ex["de"].dtype == np.float32
                assert ex["n_steps"] == n_windows and ex["window_index"] == 0
                # channel-major: feature c * 5 + b of step w is array[c, w, b]
                for w in range(n_windows):
                    np.testing.assert_allclose(ex["de"][w], array[:, w, :].reshape(-1), rtol=1e-6)
                assert not ex["de"][n_windows:].any()


def _newer_layout(tmp_path):
    root = tmp_path / "SEED_EEG"
    shutil.copytree(RAW_DIR, root / "Preprocessed_EEG", ignore=shutil.ignore_patterns("label.mat"))
    shutil.copytree(FEATURE_DIR, root / "ExtractedFeatures_1s")
    shutil.copytree(
        FEATURE_DIR, root / "ExtractedFeatures_4s", ignore=shutil.ignore_patterns("label.mat")
    )
    return root


@pytest.mark.parametrize(
    "config, source", [("raw", "eeg"), ("de_lds", "features"), ("de_lds_4s", "features")]
)
def test_newer_release_layout_and_date_order(tmp_path, config, source):
    root = _newer_layout(tmp_path)
    builder = tfds.builder("seed", config=config, data_dir=tmp_path / "data")
    recordings = builder._find_recordings(tmp_path, source)
    folder = {
        "raw": "Preprocessed_EEG",
        "de_lds": "ExtractedFeatures_1s",
        "de_lds_4s": "ExtractedFeatures_4s",
    }[config]
    assert sorted(recordings) == [1, 2]
    for subject, recs in recordings.items():
        assert [r.session_id for r in recs] == [1, 2, 3]
        assert [pathlib.Path(r.path) for r in recs] == _sessions(root / folder)[subject]
    trials = list(
        builder._raw_trials(recordings[2][0])
        if source == "eeg"
        else builder._feature_trials(recordings[2][0])
    )
    assert [t for t, _, _ in trials] == [2, 10]  # numeric, not dict or string order
    assert [label for _, label, _ in trials] == [LABELS[1] + 1, LABELS[9] + 1]


def _builder(tmp_path):
    return tfds.builder("seed", config="raw", data_dir=tmp_path / "data")


def _copy_raw(tmp_path):
    target = tmp_path / "manual" / "Preprocessed_EEG"
    shutil.copytree(RAW_DIR, target)
    return target


def test_missing_session_file(tmp_path):
    folder = _copy_raw(tmp_path)
    (folder / "2_20140413.mat").unlink()
    with pytest.raises(
        CorpusFormatError, match=r"subject 2 does not have 3 session files.*Found 2"
    ):
        _builder(tmp_path)._find_recordings(folder.parent, "eeg")


def test_missing_or_wrong_label_mat(tmp_path):
    folder = _copy_raw(tmp_path)
    scipy.io.savemat(folder / "label.mat", {"label": np.zeros((1, 15))})
    with pytest.raises(
        CorpusFormatError, match=r"label.mat: label: does not hold the SEED clip labels"
    ):
        _builder(tmp_path)._find_recordings(folder.parent, "eeg")
    scipy.io.savemat(folder / "label.mat", {"label": np.ones((1, 12))})
    with pytest.raises(CorpusFormatError, match=r"Expected 15 values"):
        _builder(tmp_path)._find_recordings(folder.parent, "eeg")
    (folder / "label.mat").unlink()
    with pytest.raises(CorpusFormatError, match="no label.mat found"):
        _builder(tmp_path)._find_recordings(folder.parent, "eeg")


def test_bad_session_files(tmp_path):
    folder = _copy_raw(tmp_path)
    builder = _builder(tmp_path)
    recordings = builder._find_recordings(folder.parent, "eeg")
    path = pathlib.Path(recordings[1][0].path)
    # truncated download
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])
    with pytest.raises(CorpusFormatError, match=re.escape(path.name)):
        list(builder._raw_trials(recordings[1][0]))
    # transposed array
    scipy.io.savemat(path, {"djc_eeg1": np.zeros((201, 62))})
    with pytest.raises(
        CorpusFormatError, match=r"djc_eeg1: has an unexpected EEG array.*looks transposed"
    ):
        list(builder._raw_trials(recordings[1][0]))
    # two keys for one trial, and a trial number out of range
    scipy.io.savemat(path, {"djc_eeg1": np.zeros((62, 201)), "eeg_1": np.zeros((62, 201))})
    with pytest.raises(CorpusFormatError, match="two keys for the same trial"):
        list(builder._raw_trials(recordings[1][0]))
    scipy.io.savemat(path, {"djc_eeg16": np.zeros((62, 201))})
    with pytest.raises(CorpusFormatError, match=r"unexpected EEG keys.*trial numbers 1..15"):
        list(builder._raw_trials(recordings[1][0]))
    scipy.io.savemat(path, {"something": np.zeros((62, 201))})
    with pytest.raises(CorpusFormatError, match=r"no EEG keys"):
        list(builder._raw_trials(recordings[1][0]))


def test_empty_manual_dir(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(CorpusFormatError, match="no SEED session files found"):
        _builder(tmp_path)._find_recordings(tmp_path / "empty", "eeg")


def test_interrupted_build_leaves_nothing_prepared(tmp_path, monkeypatch):
    original = seed_package.Builder._raw_trials

    def failing(self, recording):
        yield from list(original(self, recording))[:1]
        raise RuntimeError("simulated crash midway")

    monkeypatch.setattr(seed_package.Builder, "_raw_trials", failing)
    builder = _builder(tmp_path)
    with pytest.raises(RuntimeError, match="simulated crash"):
        builder.download_and_prepare(download_config=tfds.download.DownloadConfig(manual_dir=DUMMY))
    assert not tfds.builder("seed", config="raw", data_dir=tmp_path / "data").is_prepared()


def test_de_sequences_from_preprocessed_eeg(tmp_path):
    from amigos_emo.signal.features import de_sequence

    builder = build("seed", tmp_path / "data", DUMMY, config="de")
    for subject, paths in _sessions(RAW_DIR).items():
        examples = _examples(builder, f"subject_{subject:02d}")
        by_key = {(int(e["session_id"]), int(e["trial_id"])): e for e in examples}
        assert len(examples) == sum(len(_trial_arrays(p, r"eeg_?(\d+)$")) for p in paths)
        for session_id, path in enumerate(paths, start=1):
            for trial_id, array in _trial_arrays(path, r"eeg_?(\d+)$").items():
                ex = by_key[(session_id, trial_id)]
                expected, n_valid = de_sequence(array[:, 1:].T, 200.0, window_s=1.0, n_steps=60)
                assert ex["de"].shape == (60, 310) and ex["de"].dtype == np.float32
                assert ex["n_steps"] == n_valid == (array.shape[1] - 1) // 200
                np.testing.assert_allclose(ex["de"], expected, rtol=1e-5, atol=1e-5)


# --- integrity, label codes, source files, preprocessing spec (shared SEED-family code) ----------


def test_non_finite_sample_stops_the_build_naming_file_and_trial(tmp_path):
    folder = _copy_raw(tmp_path)
    shutil.copy2(RAW_DIR / "label.mat", folder / "label.mat")
    path = sorted(folder.glob("1_*.mat"))[0]
    mat = {k: v for k, v in scipy.io.loadmat(path).items() if not k.startswith("__")}
    key = next(k for k in mat if re.search(r"eeg_?2$", k))
    mat[key] = mat[key].astype(np.float64)
    mat[key][7, 50] = np.inf
    scipy.io.savemat(path, mat)
    with pytest.raises(
        CorpusFormatError,
        match=rf"{re.escape(path.name)}: session 1, trial 2: EEG holds non-finite samples.*1 infinite",
    ):
        build("seed", tmp_path / "data", folder.parent, config="raw")


def test_label_code_outside_the_classes_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(seed_package.Builder, "_label", lambda self, trial_id: 3)
    with pytest.raises(
        CorpusFormatError, match=r"label code outside the corpus's classes.*Found 3"
    ):
        build("seed", tmp_path / "data", DUMMY, config="raw")


def test_source_files_are_what_the_config_reads(tmp_path):
    raw = _builder(tmp_path).source_files(DUMMY)
    assert {pathlib.Path(p).name for p in raw} == {p.name for p in RAW_DIR.glob("*.mat")} | {
        "label.mat"
    }
    assert all("Preprocessed_EEG" in p or p.endswith("label.mat") for p in raw)
    features = tfds.builder("seed", config="de_lds", data_dir=tmp_path / "data").source_files(DUMMY)
    sessions = [p for p in features if "ExtractedFeatures" in p and not p.endswith("label.mat")]
    assert len(sessions) == len(list(FEATURE_DIR.glob("*_*.mat")))


def test_manual_dir_checked_before_tfds(tmp_path):
    (tmp_path / "empty").mkdir()
    builder = _builder(tmp_path)
    with pytest.raises(
        CorpusFormatError, match=r"(?s)empty: the manual_dir for seed/raw is empty.*BCMI"
    ):
        builder.download_and_prepare(
            download_config=tfds.download.DownloadConfig(manual_dir=tmp_path / "empty")
        )


@pytest.mark.parametrize("config", ["raw", "de"])
def test_preprocessing_spec_matches_what_is_written(tmp_path, config):
    builder = build("seed", tmp_path / "data", DUMMY, config=config)
    spec = builder.preprocessing_spec()
    assert spec.dataset == f"seed/{config}" and spec.representation == config
    assert len(spec.signals["eeg"].channels) == 62 and spec.signals["eeg"].sfreq_hz == 200.0
    example = _examples(builder, "subject_01")[0]
    if config == "raw":
        assert example["eeg"].shape == (int(spec.window_s * 200), 62)
    else:
        assert example["de"].shape == (spec.extra["n_steps"], 62 * spec.extra["bands"])
    assert type(builder).DEFAULT_BUILDER_CONFIG_NAME == "de"
    assert type(builder).DEFAULT_MODEL == "res_attention_net"
