"""RESULT.md and calibrate_run on a run directory produced by a real tiny run."""

import dataclasses
import json
import os
import shlex

import keras
import numpy as np
import pytest

from amigos_emo.training import calibration, result_card
from amigos_emo.training.runner import RunConfig, run


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    from amigos_emo.tuning.conftest_tiny import tiny_builder

    builder = tiny_builder(tmp_path_factory.mktemp("card_data"))
    out = tmp_path_factory.mktemp("card_run") / "run"
    config = RunConfig(
        dataset="amigos/synthetic_tune_test",
        model="multimodal_lstm",
        preset="lightweight",
        protocol="loso",
        max_folds=2,
        epochs=1,
        batch_size=32,
        output_dir=os.fspath(out),
        export=False,
        verbose=0,
    )
    run(config, builder=builder)
    return out, builder


@pytest.mark.slow  # a real tiny run: ~2 min of CPU
def test_calibrate_run_fits_on_validation_and_saves_a_calibrated_model(tiny_run):
    out, builder = tiny_run
    summary = calibration.calibrate_run(os.fspath(out), builder)
    assert set(summary["heads"]) == {"transition"}  # the only classifier head
    assert len(summary["folds"]) == 2
    for fold in summary["folds"]:
        head = fold["heads"]["transition"]
        assert head["temperature"] > 0 and head["fitted_on"] == "validation subjects"
        assert 0 <= head["ece_before"] <= 1 and 0 <= head["ece_after"] <= 1
    fold_dir = out / "fold_00"
    assert (fold_dir / "reliability_transition.png").is_file()
    # calibrated.keras outputs the temperature-scaled probabilities of best.keras.
    from amigos_emo.training.modeling import load_trained_model

    best = load_trained_model(fold_dir / "best.keras", compile=False)
    calibrated = keras.saving.load_model(fold_dir / "calibrated.keras")
    rng = np.random.default_rng(0)
    x = {
        t.name.split(":")[0]: rng.normal(size=(5, *t.shape[1:])).astype("float32")
        for t in best.inputs
    }
    t = summary["folds"][0]["heads"]["transition"]["temperature"]
    expected = calibration.apply_temperature(best.predict(x, verbose=0)["transition"], t)
    np.testing.assert_allclose(
        calibrated.predict(x, verbose=0)["transition"], expected, rtol=1e-4, atol=1e-6
    )
    # Resumable: a second call reuses the folds' calibration.json.
    mtime = (fold_dir / "calibration.json").stat().st_mtime_ns
    calibration.calibrate_run(os.fspath(out), builder)
    assert (fold_dir / "calibration.json").stat().st_mtime_ns == mtime


@pytest.mark.slow
def test_result_card_states_protocol_selection_baselines_and_command(tiny_run):
    from amigos_emo.train import build_parser

    out, builder = tiny_run
    calibration.calibrate_run(os.fspath(out), builder)
    path = result_card.write_result_card(os.fspath(out))
    assert path == os.path.join(os.fspath(out), "RESULT.md")
    text = open(path).read()
    assert "# multimodal_lstm on amigos/synthetic_tune_test (loso)" in text
    assert "SYNTHETIC data" in text
    assert "leave one subject out" in text and "No: subject-independent." in text
    assert "**training subjects only**" in text and "**validation subjects**" in text
    assert "Provenance: not recorded" in text
    assert "majority-class baseline" in text and "training-mean baseline" in text
    assert "| transition |" in text and "ECE before" in text
    metrics = json.loads((out / "metrics.json").read_text())
    mean = metrics["aggregate"]["valence"]["mae"]["mean"]
    assert f"{mean:.3f}" in text
    # The reproduce command parses back to the same run settings.
    command = text.split("```bash\n")[1].split("\n```")[0]
    assert command.startswith("python -m amigos_emo.train ")
    args = build_parser().parse_args(shlex.split(command)[3:])
    saved = json.loads((out / "config.json").read_text())["run"]
    parsed = dataclasses.asdict(RunConfig(**{k: v for k, v in vars(args).items() if k in saved}))
    for key in ("resume", "overwrite", "verbose"):
        parsed.pop(key), saved.pop(key)
    assert parsed == saved


def test_result_card_on_a_leaky_run_and_provenance(tmp_path):
    config = {
        "run": dataclasses.asdict(RunConfig(protocol="random-window")),
        "dataset": {
            "name": "muse",
            "config": "features",
            "version": "1.0.0",
            "subjects": ["subject_01"] * 3,
            "provenance": {"source": "Bird et al. muse CSVs", "sha256": "abc"},
        },
        "versions": {"keras": "3"},
        "resolved": {},
    }
    folds = [
        {
            "fold": 0,
            "test": ["subject_01"],
            "kinds": {"label": "classification"},
            "best_epoch": 2,
            "metrics": {
                "label": {
                    "accuracy": 0.9,
                    "baseline_accuracy": 0.4,
                    "baseline": "majority class (a)",
                }
            },
        }
    ]
    metrics = {
        "model": "gru_classifier",
        "dataset": "muse/features",
        "protocol": "random-window",
        "leaky": True,
        "seed": 0,
        "n_folds": 1,
        "folds": folds,
        "aggregate": {
            "label": {
                "accuracy": {"mean": 0.9, "std": 0.0},
                "baseline_accuracy": {"mean": 0.4, "std": 0.0},
            }
        },
    }
    (tmp_path / "config.json").write_text(json.dumps(config))
    (tmp_path / "metrics.json").write_text(json.dumps(metrics))
    text = open(result_card.write_result_card(os.fspath(tmp_path))).read()
    assert "(random-window, LEAKY)" in text and "**YES, LEAKY**" in text
    assert "Provenance: source: Bird et al. muse CSVs; sha256: abc" in text
    assert "Not measured" in text
    with pytest.raises(FileNotFoundError, match="metrics.json"):
        (tmp_path / "metrics.json").unlink()
        result_card.write_result_card(os.fspath(tmp_path))
