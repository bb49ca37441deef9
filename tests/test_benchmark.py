"""python -m amigos_emo.benchmark: tables from run results, and tiny end-to-end benchmarks."""

import json
import os
import pathlib
import shutil

import numpy as np
import pytest

from amigos_emo import benchmark
from amigos_emo.training import statistics

MUSE_DUMMY = (
    pathlib.Path(__file__).resolve().parents[1]
    / "tfds_builders"
    / "muse"
    / "dummy_data"
    / "original_data"
)


def _results(model, accuracies, baselines, leaky=False, protocol="loso"):
    folds = [
        {
            "fold": i,
            "test": [f"subject_{i + 1:02d}"],
            "kinds": {"label": "classification"},
            "metrics": {"label": {"accuracy": a, "baseline_accuracy": b}},
        }
        for i, (a, b) in enumerate(zip(accuracies, baselines, strict=True))
    ]
    return {
        "model": model,
        "protocol": protocol,
        "leaky": leaky,
        "n_folds": len(folds),
        "folds": folds,
    }


def test_model_specs_and_labels():
    assert benchmark.parse_model_spec("multimodal_lstm:moderate") == ("multimodal_lstm", "moderate")
    assert benchmark.parse_model_spec(" logreg ") == ("logreg", None)
    assert benchmark.model_label("a", None) == "a" and benchmark.model_label("a", "p") == "a-p"
    with pytest.raises(ValueError, match="must not be empty"):
        benchmark.parse_model_spec(":x")


def test_classic_models_are_added_only_where_there_are_features():
    config = benchmark.BenchmarkConfig(models=("gru_classifier", "multimodal_lstm"))
    selected, skipped = benchmark.models_for_dataset(config, {"features": 1, "label": 1})
    assert selected == [("gru_classifier", None), ("logreg", None), ("random_forest", None)]
    assert "multimodal_lstm" in skipped and "eeg" in skipped["multimodal_lstm"]
    selected, _ = benchmark.models_for_dataset(config, {"eeg": 1, "ecg": 1, "gsr": 1})
    assert selected == [("multimodal_lstm", None)]
    config = benchmark.BenchmarkConfig(models=("gru_classifier:nope",))
    with pytest.raises(ValueError, match="Received: preset='nope'"):
        benchmark.models_for_dataset(config, {"features": 1})


def test_table_rows_use_paired_tests_with_holm_over_the_table():
    baseline = [0.4, 0.5, 0.45, 0.5, 0.4, 0.35, 0.5, 0.45]
    a = [0.8, 0.9, 0.7, 0.85, 0.9, 0.75, 0.8, 0.95]
    b = [0.41, 0.52, 0.44, 0.49, 0.43, 0.33, 0.52, 0.47]
    runs = {"a": _results("a", a, baseline), "b": _results("b", b, baseline)}
    calibrations = {
        "a": {
            "heads": {
                "label": {
                    "ece_before": {"mean": 0.2},
                    "ece_after": {"mean": 0.05},
                    "temperature": {"mean": 1.8},
                }
            }
        },
        "b": None,
    }
    rows = benchmark.table_rows("muse/features", "loso", runs, calibrations, n_boot=500)
    by_model = {r["model"]: r for r in rows}
    expected = statistics.compare_models(
        {"a": np.array(a), "b": np.array(b)},
        np.array(baseline),
        "accuracy",
        baseline_name="majority-class baseline",
        n_boot=500,
    )
    for row in expected:
        assert by_model[row.model]["p_vs_baseline_holm"] == pytest.approx(row.p_vs_baseline_holm)
        assert by_model[row.model]["sentence"] == row.sentence
    assert by_model["a"]["best"] == "a" and by_model["a"]["ece_after"] == 0.05
    assert by_model["b"]["ece_before"] is None
    # Different test subjects: not the same folds, refused.
    other = _results("c", a, baseline)
    other["folds"][0]["test"] = ["subject_09"]
    with pytest.raises(ValueError, match="same protocol and seed"):
        benchmark.table_rows("muse/features", "loso", {"a": runs["a"], "c": other}, {}, n_boot=100)


def test_outputs_and_audit_gap(tmp_path):
    baseline = [0.4, 0.5, 0.45]
    honest = benchmark.table_rows(
        "d", "loso", {"m": _results("m", [0.5, 0.6, 0.55], baseline)}, {}, n_boot=100
    )
    leaky = benchmark.table_rows(
        "d",
        "random-window",
        {"m": _results("m", [0.9], [0.4], leaky=True, protocol="random-window")},
        {},
        n_boot=100,
    )
    rows = honest + leaky
    gaps = benchmark.audit_gaps(rows)
    assert len(gaps) == 1 and gaps[0]["gap"] == pytest.approx(0.9 - 0.55)
    text = benchmark.markdown_tables(rows)
    assert "### d, random-window - **LEAKY**: label" in text and "0.550 +/- 0.041" in text
    benchmark.write_csv(rows, tmp_path / "t.csv")
    lines = (tmp_path / "t.csv").read_text().splitlines()
    assert lines[0].startswith("dataset,protocol,leaky,head,metric,model") and len(lines) == 3
    benchmark.plot_benchmark(rows, tmp_path / "t.png")
    assert (tmp_path / "t.png").stat().st_size > 1000


def test_cli_arguments():
    args = benchmark.build_parser().parse_args(
        [
            "--dataset",
            "muse/features,amigos/synthetic",
            "--models",
            "gru_classifier,logreg",
            "--audit",
            "--epochs",
            "2",
        ]
    )
    config = benchmark.config_from_args(args)
    assert (
        config.datasets == ("muse/features", "amigos/synthetic")
        and config.audit
        and config.epochs == 2
    )
    with pytest.raises(ValueError, match="--audit compares"):
        benchmark.BenchmarkConfig(protocol="random-window", audit=True).validate()
    assert benchmark.main(["--dataset", "muse/features", "--models", "x", "--epochs", "0"]) == 2


# === End to end (tiny corpora, 1 epoch) ===


@pytest.fixture(scope="module")
def tiny_amigos(tmp_path_factory):
    from amigos_emo.tuning.conftest_tiny import tiny_builder

    return tiny_builder(tmp_path_factory.mktemp("bench_amigos"))


def _mtimes(root):
    return {p: p.stat().st_mtime_ns for p in pathlib.Path(root).rglob("fold_*/metrics.json")}


@pytest.mark.slow  # 2 models x 2 folds x 1 epoch, twice: minutes on 2 cores
def test_two_models_two_folds_and_a_killed_rerun(tiny_amigos, tmp_path, monkeypatch):
    from amigos_emo.training import runner

    dataset = "amigos/synthetic_tune_test"
    config = benchmark.BenchmarkConfig(
        datasets=(dataset,),
        models=("multimodal_lstm:lightweight", "multimodal_lstm:moderate"),
        protocol="loso",
        epochs=1,
        batch_size=32,
        max_folds=2,
        output_dir=os.fspath(tmp_path / "bench"),
        n_boot=200,
    )
    # Kill the second model while it writes fold 1's results.
    original = runner.reports.write_json

    def killed(path, payload):
        if "multimodal_lstm-moderate" in os.fspath(path) and os.fspath(path).endswith(
            "fold_01/metrics.json"
        ):
            raise KeyboardInterrupt("simulated kill")
        original(path, payload)

    monkeypatch.setattr(runner.reports, "write_json", killed)
    with pytest.raises(KeyboardInterrupt):
        benchmark.run_benchmark(config, builders={dataset: tiny_amigos})
    monkeypatch.setattr(runner.reports, "write_json", original)
    root = tmp_path / "bench" / "amigos-synthetic_tune_test"
    assert (root / "multimodal_lstm-lightweight" / "metrics.json").is_file()
    assert not (root / "multimodal_lstm-moderate" / "metrics.json").exists()
    before = _mtimes(tmp_path / "bench")
    assert len(before) == 3  # lightweight folds 0 and 1, moderate fold 0

    result = benchmark.run_benchmark(config, builders={dataset: tiny_amigos})
    after = _mtimes(tmp_path / "bench")
    assert {p: after[p] for p in before} == before  # finished folds were not rerun
    assert len(after) == 4
    rows = result["rows"]
    assert {r["model"] for r in rows} == {"multimodal_lstm-lightweight", "multimodal_lstm-moderate"}
    assert {r["head"] for r in rows} == {"valence", "arousal", "transition"}
    assert all(r["n_folds"] == 2 for r in rows)
    transition = [r for r in rows if r["head"] == "transition"]
    assert all(r["ece_before"] is not None and r["ece_after"] is not None for r in transition)
    # Same folds for both models: the same test subjects.
    assert len({tuple(r["fold_keys"]) for r in rows}) == 1
    for name in ("benchmark.csv", "benchmark.md", "benchmark.png", "benchmark.json", "RESULT.md"):
        assert (tmp_path / "bench" / name).is_file(), name
    assert (root / "multimodal_lstm-moderate" / "RESULT.md").is_file()
    card = (tmp_path / "bench" / "RESULT.md").read_text()
    assert (
        "python -m amigos_emo.benchmark --dataset amigos/synthetic_tune_test" in card
        and "Holm" in card
    )

    # A third run with everything finished trains nothing at all.
    benchmark.run_benchmark(config, builders={dataset: tiny_amigos})
    assert _mtimes(tmp_path / "bench") == after


@pytest.fixture(scope="module")
def tiny_muse(tmp_path_factory):
    import tensorflow_datasets as tfds

    from amigos_emo.tfds_builders.muse.muse_dataset_builder import Builder

    manual = tmp_path_factory.mktemp("bench_muse_csv")
    for path in MUSE_DUMMY.glob("*.csv"):
        shutil.copy(path, manual / path.name)
        shutil.copy(
            path, manual / path.name.replace("subjecta", "subjectc").replace("subjectb", "subjectd")
        )
    builder = Builder(
        config="features", data_dir=os.fspath(tmp_path_factory.mktemp("bench_muse_tfds"))
    )
    builder.download_and_prepare(
        download_config=tfds.download.DownloadConfig(manual_dir=os.fspath(manual))
    )
    return builder


@pytest.mark.slow  # builds muse/features, 2 classic models x (4 loso folds + 1 leaky fold)
def test_classic_baselines_and_audit_on_features(tiny_muse, tmp_path):
    config = benchmark.BenchmarkConfig(
        datasets=("muse/features",),
        models=("logreg",),
        protocol="loso",
        audit=True,
        output_dir=os.fspath(tmp_path / "b"),
        n_boot=200,
    )
    result = benchmark.run_benchmark(config, builders={"muse/features": tiny_muse})
    models = {(r["protocol"], r["model"]) for r in result["rows"]}
    assert models == {
        (p, m) for p in ("loso", "random-window") for m in ("logreg", "random_forest")
    }
    assert {g["model"] for g in result["gaps"]} == {"logreg", "random_forest"}
    assert (
        tmp_path / "b" / "muse-features" / "random-window" / "logreg" / "metrics.json"
    ).is_file()
    saved = json.loads((tmp_path / "b" / "benchmark.json").read_text())
    assert saved["audit"] and all(r["ece_before"] is not None for r in saved["rows"])
    assert (
        "## Audit: honest protocol vs LEAKY random-window"
        in (tmp_path / "b" / "RESULT.md").read_text()
    )
