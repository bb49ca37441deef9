"""A study of continuous recordings (one file per subject, trials cut out by the labels CSV's
``start_s``/``end_s``), through ``train`` and ``predict`` as the custom README types them."""

import json
import os

import numpy as np

from amigos_emo import predict, train
from amigos_emo.synthetic import write_synthetic_wearable_study


def test_train_and_predict_on_continuous_recordings(tmp_path, capsys, caplog):
    study = tmp_path / "my_session_study"
    write_synthetic_wearable_study(
        study, n_subjects=3, seed=2, trial_s=20.0, layout="continuous", representation="raw"
    )
    out = tmp_path / "run"
    argv = ["--dataset", "custom", "--manual-dir", os.fspath(study), "--protocol", "loso"]
    argv += ["--epochs", "1", "--max-folds", "1", "--no-export", "--verbose", "0"]
    argv += ["--output-dir", os.fspath(out), "--data-dir", os.fspath(tmp_path / "tfds")]
    with caplog.at_level("INFO"):
        assert train.main(argv) in (0, None)
    # The run read the three subjects' files and cut three trials out of each.
    assert "9 trials in 3 recordings of 3 subjects" in caplog.text
    config = json.loads((out / "config.json").read_text())
    assert config["model"]["name"] == "signal_fusion"
    fold = json.loads((out / "metrics.json").read_text())["folds"][0]
    assert fold["test"] == ["subject_01"]
    assert fold["n_train_examples"] == 3 * 2  # one subject: 3 trials of 2 windows (20 s each)

    csv = tmp_path / "predictions.csv"
    recording = study / "S01" / "S01.npz"
    argv = ["--model", os.fspath(out / "fold_00" / "best.keras"), "--recording"]
    assert predict.main([*argv, os.fspath(recording), "--csv", os.fspath(csv)]) == 0
    table = np.genfromtxt(csv, delimiter=",", names=True)
    np.testing.assert_allclose(table["start_s"], np.arange(0.0, 60.0, 10.0))  # the whole file
    probabilities = np.stack([table[f"label_{i}"] for i in range(3)], axis=1)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-4)
