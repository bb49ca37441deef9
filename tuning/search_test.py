"""A tiny random search on a tiny synthetic AMIGOS corpus: it validates on held-out subjects,
ranks, retrains, tests and exports; a rerun with a larger --max-trials runs exactly the new trial."""

import json
import os

import keras
import numpy as np
import pytest

from amigos_emo.tune import main
from amigos_emo.tuning.search import TuneConfig, parse_objective


def _trial_dirs(output_dir):
    return sorted(
        p for p in os.listdir(os.path.join(output_dir, "search")) if p.startswith("trial_")
    )


def test_search_ranks_retrains_exports_and_resumes(tiny_amigos, tmp_path):
    builder, _ = tiny_amigos
    out = tmp_path / "search"
    argv = [
        "--model",
        "multimodal_lstm",
        "--tuner",
        "random",
        "--max-trials",
        "2",
        "--epochs",
        "1",
        "--batch-size",
        "32",
        "--output-dir",
        os.fspath(out),
        "--verbose",
        "0",
        "--seed",
        "1",
    ]
    assert main(argv, builder=builder) == 0

    config = json.loads((out / "tune_config.json").read_text())
    fold = config["fold"]
    # Trials are scored on held-out subjects: none of them trains.
    assert set(fold["validation"]).isdisjoint(fold["train"]) and set(fold["test"]).isdisjoint(
        fold["train"]
    )
    trials = json.loads((out / "trials.json").read_text())
    assert [t["rank"] for t in trials] == [1, 2]
    assert trials[0]["objective"] <= trials[1]["objective"]
    assert all(t["best_epoch"] == 1 and "learning_rate" in t["hyperparameters"] for t in trials)
    csv_lines = (out / "trials.csv").read_text().splitlines()
    assert (
        csv_lines[0].startswith("rank,trial_id,status,objective,best_epoch") and len(csv_lines) == 3
    )
    for trial in trials:
        assert (out / "tensorboard" / trial["trial_id"]).is_dir()

    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["best_trial"]["trial_id"] == trials[0]["trial_id"]
    assert metrics["retrained_on"] == sorted(fold["train"] + fold["validation"])
    assert set(metrics["metrics"]) == {"valence", "arousal", "transition"}
    assert np.isfinite(metrics["metrics"]["valence"]["mae"])
    assert (out / "best" / "saved_model" / "saved_model.pb").is_file()
    model = keras.saving.load_model(out / "best" / "best.keras")
    n_times = builder.info.features["eeg"].shape[0]
    x = {
        "eeg": np.zeros((2, n_times, 14), "float32"),
        "ecg": np.zeros((2, n_times, 2), "float32"),
        "gsr": np.zeros((2, n_times, 1), "float32"),
    }
    assert model.predict(x, verbose=0)["valence"].shape == (2, 1)


@pytest.mark.slow  # two searches: about a minute on 2 busy cores
def test_rerun_with_more_trials_runs_exactly_the_new_one(tiny_amigos, tmp_path):
    builder, _ = tiny_amigos
    out = tmp_path / "search"
    argv = [
        "--model",
        "multimodal_lstm",
        "--max-trials",
        "2",
        "--epochs",
        "1",
        "--batch-size",
        "32",
        "--output-dir",
        os.fspath(out),
        "--verbose",
        "0",
        "--no-export",
    ]
    assert main(argv, builder=builder) == 0
    before = {d: (out / "search" / d / "trial.json").read_text() for d in _trial_dirs(out)}
    assert len(before) == 2
    argv[argv.index("--max-trials") + 1] = "3"
    assert main(argv, builder=builder) == 0
    after = _trial_dirs(out)
    assert len(after) == 3 and set(before) < set(after)
    for name, text in before.items():  # finished trials were not rerun
        assert (out / "search" / name / "trial.json").read_text() == text
    assert len(json.loads((out / "trials.json").read_text())) == 3


def test_changed_settings_are_refused(tiny_amigos, tmp_path, capsys):
    (tmp_path / "tune_config.json").write_text(
        json.dumps({"search": {**TuneConfig(model="multimodal_lstm", epochs=5).__dict__}})
    )
    builder, _ = tiny_amigos
    code = main(
        ["--model", "multimodal_lstm", "--epochs", "1", "--output-dir", os.fspath(tmp_path)],
        builder=builder,
    )
    assert code == 2
    assert "epochs: 5 -> 1" in capsys.readouterr().err


def test_objective_parsing():
    assert parse_objective(None, "val_loss") == "val_loss"
    objective = parse_objective("val_loss", None)
    assert (objective.name, objective.direction) == ("val_loss", "min")
    pair = parse_objective("val_valence_auc, val_arousal_mae", None)
    assert [(o.name, o.direction) for o in pair] == [
        ("val_valence_auc", "max"),
        ("val_arousal_mae", "min"),
    ]
    assert parse_objective("val_x:max", None).direction == "max"
    with pytest.raises(ValueError, match="write val_x:min or val_x:max"):
        parse_objective("val_x", None)


def test_bad_config_fails_clearly():
    with pytest.raises(ValueError, match="tuner"):
        TuneConfig(model="multimodal_lstm", tuner="grid").validate()
    with pytest.raises(ValueError, match="max_trials must be an int >= 1. Received: max_trials=0"):
        TuneConfig(model="multimodal_lstm", max_trials=0).validate()
    with pytest.raises(ValueError, match="hyperband_factor"):
        TuneConfig(model="multimodal_lstm", tuner="hyperband", epochs=2).validate()


def test_each_trial_is_seeded_from_the_search_seed_and_its_id():
    import keras
    import numpy as np

    from amigos_emo.tuning.search import seed_each_trial, trial_seed

    assert trial_seed(0, "00") == trial_seed(0, "00") != trial_seed(0, "01") != trial_seed(1, "00")

    class FakeTrial:
        def __init__(self, trial_id):
            self.trial_id = trial_id

    class FakeTuner:
        def run_trial(self, trial):
            return float(keras.random.uniform(()).numpy()), float(np.random.rand())

    tuner = seed_each_trial(FakeTuner(), search_seed=3)
    first = tuner.run_trial(FakeTrial("02"))
    np.random.rand(5)  # whatever ran in between (another trial, a restart) ...
    keras.random.uniform((3,))
    assert tuner.run_trial(FakeTrial("02")) == first  # ... the same trial draws the same numbers
    assert tuner.run_trial(FakeTrial("03")) != first
