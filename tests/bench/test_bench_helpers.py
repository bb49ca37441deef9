"""Tests of the helper functions of the bench/ scripts (no timing is asserted anywhere).

The scripts are not a package; each is loaded from its file. Loading one must not leave its
environment defaults (CPU-only, quiet TensorFlow) in the test process, so the environment is
restored afterwards.
"""

import importlib.util
import json
import math
import os
import pathlib

import numpy as np
import pytest
import scipy.io

BENCH_DIR = pathlib.Path(__file__).resolve().parents[2] / "bench"


def _load(name):
    saved = dict(os.environ)
    try:
        spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH_DIR / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return module


@pytest.fixture(scope="module")
def pipeline():
    return _load("bench_input_pipeline")


@pytest.fixture(scope="module")
def memory():
    return _load("bench_build_memory")


@pytest.fixture(scope="module")
def muse():
    return _load("real_data_muse")


@pytest.fixture(scope="module")
def amigos():
    return _load("real_data_amigos")


# --- bench_input_pipeline ------------------------------------------------------------------------


def test_rate(pipeline):
    assert pipeline.rate(640, 2.0) == 320.0
    assert pipeline.rate(0, 1.0) == 0.0
    assert math.isinf(pipeline.rate(5, 0.0))


def test_bottleneck_verdicts(pipeline):
    fast = pipeline.bottleneck({"read": 5000.0, "pipeline": 8000.0, "consume": 400.0})
    assert fast.startswith("pipeline 20.0x faster") and "model is the bottleneck" in fast
    assert "first epoch" not in fast
    slow_read = pipeline.bottleneck({"read": 200.0, "pipeline": 8000.0, "consume": 400.0})
    assert "TFDS read/decode is slower than the model (0.50x), first epoch only" in slow_read
    starved = pipeline.bottleneck({"read": 100.0, "pipeline": 300.0, "consume": 400.0})
    assert starved == "BOTTLENECK: the input pipeline (0.75x of what the model consumes)"


def test_fit_verdict(pipeline):
    fine = pipeline.fit_verdict({"fit": 190.0, "fit_fixed": 200.0, "consume": 250.0})
    assert fine.startswith("fit on the pipeline runs at 0.95x of fit on an in-memory batch")
    assert "input costs nothing visible" in fine and "0.80x of train_on_batch" in fine
    slowed = pipeline.fit_verdict({"fit": 100.0, "fit_fixed": 200.0, "consume": 250.0})
    assert "0.50x" in slowed and "the input pipeline slows training" in slowed


def test_format_table(pipeline):
    text = pipeline.format_table(["name", "value"], [["a", 1], ["longer", 12345]])
    assert text.splitlines() == [
        "name    value",
        "------  -----",
        "a           1",
        "longer  12345",
    ]


@pytest.mark.parametrize("total,parts", [(20, 3), (3, 3), (2, 3), (1, 3), (7, 1)])
def test_chunks_cover_total(pipeline, total, parts):
    chunks = pipeline._chunks(total, parts)
    # Reference: the obvious round-robin split.
    expected = [0] * min(parts, total)
    for step in range(total):
        expected[step % len(expected)] += 1
    assert chunks == expected and sum(chunks) == total and min(chunks) >= 1


# --- bench_build_memory --------------------------------------------------------------------------


def test_maxrss_and_growth(memory):
    assert memory.maxrss_mb(2048) == 2.0
    assert memory.growth([100.0, 110.0, 125.0]) == pytest.approx(0.25)
    assert memory.growth([88, 195]) == pytest.approx(195 / 88 - 1)


def test_parse_child_result_takes_the_last_result_line(memory):
    out = "\n".join(
        [
            "INFO something",
            memory.RESULT_PREFIX + json.dumps({"examples": 1}),
            "noise",
            memory.RESULT_PREFIX + json.dumps({"examples": 88, "seconds": 1.5}),
        ]
    )
    assert memory.parse_child_result(out) == {"examples": 88, "seconds": 1.5}


def test_parse_child_result_without_result_shows_the_output(memory):
    with pytest.raises(RuntimeError, match=r"(?s)printed no BUILD_RESULT line.*Traceback: boom"):
        memory.parse_child_result("starting\nTraceback: boom")


def test_memory_arguments(memory):
    args = memory.parse_args(["--quick"])
    assert args.participants == [2, 4] and args.video_s == 10.0
    assert memory.parse_args([]).participants == [2, 4, 8, 16]
    with pytest.raises(SystemExit):
        memory.parse_args(["--participants", "2,x"])
    with pytest.raises(SystemExit):
        memory.parse_args(["--video-s", "5"])


# --- real_data_muse ------------------------------------------------------------------------------


def _fake_results(protocol, leaky, accuracies, baselines):
    folds = [
        {
            "fold": i,
            "test": [f"subject_{i + 1:02d}"],
            "best_epoch": 1,
            "metrics": {
                "label": {
                    "accuracy": a,
                    "macro_f1": a / 2,
                    "baseline_accuracy": b,
                    "baseline_macro_f1": b / 3,
                    "n": 10,
                }
            },
        }
        for i, (a, b) in enumerate(zip(accuracies, baselines, strict=True))
    ]
    return {"protocol": protocol, "leaky": leaky, "n_folds": len(folds), "folds": folds}


def test_mean_std_is_population_std(muse, amigos):
    values = [0.871, 0.959, 0.399, 0.793]
    expected = f"{np.mean(values):.3f} +/- {np.std(values, ddof=0):.3f}"
    assert muse.mean_std(values) == expected == amigos.mean_std(values)
    assert muse.mean_std([1.0, float("nan"), 3.0]) == "2.000 +/- 1.000"


def test_protocol_row(muse):
    loso = _fake_results("loso", False, [0.5, 0.7, 0.9, 0.3], [0.3, 0.4, 0.35, 0.4])
    row = muse.protocol_row(loso)
    assert row[:2] == ["loso", 4]
    assert row[2] == muse.mean_std([0.5, 0.7, 0.9, 0.3])
    assert row[3] == muse.mean_std([0.25, 0.35, 0.45, 0.15])
    assert row[4] == muse.mean_std([0.3, 0.4, 0.35, 0.4])
    leaky = muse.protocol_row(_fake_results("random-window", True, [0.9], [0.37]))
    assert leaky[0] == "random-window (LEAKY)" and leaky[2] == "0.900 +/- 0.000"
    assert muse.PUBLISHED_ACCURACY == 0.8716


# --- real_data_amigos ----------------------------------------------------------------------------


def _write_fake_source(folder, rng, n_rows=(900, 1300)):
    folder.mkdir(parents=True, exist_ok=True)
    trials = []
    for video in range(1, 17):
        data = rng.normal(size=(int(rng.integers(*n_rows)), 17))
        np.savetxt(folder / f"1_{video}.csv", data, delimiter=",", fmt="%.17g")
        trials.append(data)
    labels = rng.integers(1, 10, size=(640, 12)).astype(np.float64)
    np.savetxt(
        folder / "labels_all_participants_short_videos.csv", labels, delimiter=",", fmt="%.1f"
    )
    return trials, labels


def test_assemble_participant_1_matches_the_csvs(amigos, tmp_path):
    rng = np.random.default_rng(0)
    trials, labels = _write_fake_source(tmp_path / "src", rng)
    out = tmp_path / "manual" / "Data_Preprocessed_P01" / "Data_Preprocessed_P01.mat"
    amigos.assemble_participant_1(tmp_path / "src", out)
    mat = scipy.io.loadmat(out)
    assert mat["joined_data"].shape == (1, 20) and mat["labels_selfassessment"].shape == (1, 20)
    for index in range(16):
        np.testing.assert_array_equal(mat["joined_data"][0, index], trials[index])
        np.testing.assert_array_equal(
            mat["labels_selfassessment"][0, index], labels[index][np.newaxis]
        )
    for index in range(16, 20):
        assert (
            mat["joined_data"][0, index].size == 0
            and mat["labels_selfassessment"][0, index].size == 0
        )


def test_assembled_file_reads_with_the_amigos_loader(amigos, tmp_path):
    from amigos_emo.tfds_builders.amigos import amigos_dataset_builder

    rng = np.random.default_rng(1)
    trials, labels = _write_fake_source(tmp_path / "src", rng, n_rows=(700, 800))
    out = tmp_path / "Data_Preprocessed_P01.mat"
    amigos.assemble_participant_1(tmp_path / "src", out)
    loaded = amigos_dataset_builder.load_participant(out)
    assert len(loaded) == 20
    for index, (data, label, _) in enumerate(loaded[:16]):
        np.testing.assert_array_equal(data, trials[index])
        np.testing.assert_array_equal(np.ravel(label), labels[index])
    assert all(data is None and label is None for data, label, _ in loaded[16:])


def test_assemble_errors_name_the_file(amigos, tmp_path):
    rng = np.random.default_rng(2)
    _write_fake_source(tmp_path / "src", rng, n_rows=(650, 660))
    (tmp_path / "src" / "1_7.csv").unlink()
    with pytest.raises(FileNotFoundError, match=r"1_7\.csv: missing; expected the 16 files"):
        amigos.assemble_participant_1(tmp_path / "src", tmp_path / "out.mat")
    np.savetxt(tmp_path / "src" / "1_7.csv", np.zeros((10, 16)), delimiter=",")
    with pytest.raises(ValueError, match=r"1_7\.csv: expected 17 columns .*Found shape \(10, 16\)"):
        amigos.assemble_participant_1(tmp_path / "src", tmp_path / "out.mat")


def test_test_trials_by_fold(amigos, tmp_path):
    config = {
        "folds": [
            {"index": 0, "select": {"test": {"trial_id": [1]}, "train": {"trial_id": [3, 4]}}},
            {"index": 1, "select": {"test": {"trial_id": [2]}}},
            {"index": 2, "select": None},
        ]
    }
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    assert amigos.test_trials_by_fold(path) == {0: [1], 1: [2], 2: []}


@pytest.mark.real_data
def test_assemble_real_participant_1(amigos, shared_data, tmp_path):
    out = tmp_path / "Data_Preprocessed_P01.mat"
    trials, labels = amigos.assemble_participant_1(shared_data / "amigos_p01", out)
    assert len(trials) == 16 and labels.shape == (16, 12)
    assert all(t.shape[1] == 17 and 7229 <= t.shape[0] <= 19886 for t in trials)
    mat = scipy.io.loadmat(out)
    first = np.loadtxt(shared_data / "amigos_p01" / "1_1.csv", delimiter=",", max_rows=5)
    np.testing.assert_array_equal(mat["joined_data"][0, 0][:5], first)
