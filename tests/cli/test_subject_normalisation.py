"""``--normalise subject`` through the CLIs as a user types them: train, evaluate, predict.

The run must say TRANSDUCTIVE wherever its scores appear, record the choice for predict and
evaluate, and actually standardise each subject with its own windows (so the train-fitted
statistics, computed after that, are ~0 mean and ~1 std).
"""

import json
import os

import numpy as np
import pytest

from amigos_emo import evaluate, predict, train
from amigos_emo.synthetic import write_synthetic_wearable_study


@pytest.mark.slow  # about 1.5 min on 2 idle cores (builds, trains, evaluates, predicts)
def test_train_evaluate_predict_with_per_subject_normalisation(tmp_path, capsys):
    study = tmp_path / "study"
    write_synthetic_wearable_study(study, n_subjects=3, seed=0, trial_s=20.0)
    out = tmp_path / "run"
    data_dir = os.fspath(tmp_path / "tfds")
    argv = ["--dataset", "custom", "--manual-dir", os.fspath(study), "--protocol", "loso"]
    argv += ["--normalise", "subject", "--max-folds", "1", "--epochs", "1", "--no-export"]
    argv += ["--output-dir", os.fspath(out), "--data-dir", data_dir, "--verbose", "0"]
    assert train.main(argv) in (0, None)
    printed = capsys.readouterr().out
    assert "TRANSDUCTIVE per-subject normalisation" in printed

    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["normalise"] == "subject" and "TRANSDUCTIVE" in metrics["transductive_warning"]
    assert "TRANSDUCTIVE" in (out / "RESULT.md").read_text().splitlines()[0]
    fold = metrics["folds"][0]
    assert fold["normalise"] == "subject"
    for name in ("bvp", "gsr", "temperature", "acc"):  # fitted after per-subject standardising
        stats = fold["input_normalisation"][name]
        np.testing.assert_allclose(stats["mean"], 0.0, atol=0.35)
        np.testing.assert_allclose(stats["std"], 1.0, atol=0.35)
    spec = json.loads((out / "fold_00" / "preprocessing.json").read_text())
    assert spec["input_normalisation"] == "subject"

    model = os.fspath(out / "fold_00" / "best.keras")
    test_subject = fold["test"][0]
    scores = tmp_path / "scores.json"
    argv = ["--model", model, "--dataset", "custom", "--manual-dir", os.fspath(study)]
    argv += ["--split", test_subject, "--data-dir", data_dir, "--output", os.fspath(scores)]
    assert evaluate.main(argv) == 0
    result = json.loads(scores.read_text())
    assert any("TRANSDUCTIVE" in note for note in result["notes"])
    trained_accuracy = metrics["folds"][0]["metrics"]["label"]["accuracy"]
    assert abs(result["metrics"]["label"]["accuracy"] - trained_accuracy) < 1e-6

    recording = next((study / test_subject.replace("subject_", "S")).glob("*.npz"))
    csv = tmp_path / "p.csv"
    argv = ["--model", model, "--recording", os.fspath(recording), "--csv", os.fspath(csv)]
    assert predict.main(argv) == 0
    table = np.genfromtxt(csv, delimiter=",", names=True)
    probabilities = np.stack([table[f"label_{i}"] for i in range(3)], axis=-1)
    np.testing.assert_allclose(probabilities.sum(axis=-1), 1.0, atol=1e-5)
