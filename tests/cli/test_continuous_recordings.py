"""The custom README's section 8a as a user types it: a study recorded as whole sessions, one
Empatica E4 export per subject (``BVP.csv``, ``EDA.csv``, ``TEMP.csv``, ``ACC.csv`` in the E4's
own CSV format), trials cut out by the labels CSV's ``start_s``/``end_s``.

The ``train`` and ``predict`` commands are read from the README and run through each CLI's
``main(argv)`` in a temporary folder, on a tiny study (3 subjects, 20 s trials, 1 epoch, 1 fold).
"""

import json
import pathlib
import shlex

import numpy as np

from amigos_emo import predict, train
from amigos_emo.synthetic import write_synthetic_wearable_study

README = pathlib.Path(__file__).resolve().parents[2] / "tfds_builders" / "custom" / "README.md"


def _section_8a():
    section = README.read_text().split("## 8a.", 1)[1].split("\n## ", 1)[0]
    block = section.split("```bash", 1)[1].split("```", 1)[0]
    commands = [shlex.split(line) for line in block.splitlines() if line.startswith("python")]
    return commands, json.loads(section.split("```json", 2)[2].split("```", 1)[0])


def test_readme_e4_json_is_what_the_writer_writes(tmp_path):
    _, documented = _section_8a()
    written = json.loads(
        write_synthetic_wearable_study(
            tmp_path, n_subjects=1, trial_s=20.0, layout="e4"
        ).read_text()
    )
    written.pop("description")
    assert documented == written


def test_readme_e4_commands_train_and_predict(tmp_path, monkeypatch, caplog):
    commands, _ = _section_8a()
    writer, training, prediction = commands
    assert "layout='e4'" in writer[-1] and "my_e4_study" in writer[-1]
    assert training[:3] == ["python", "-m", "amigos_emo.train"] and "--model" not in training
    monkeypatch.chdir(tmp_path)
    write_synthetic_wearable_study(
        "my_e4_study", n_subjects=3, seed=2, trial_s=20.0, layout="e4", representation="raw"
    )
    fast = ["--epochs", "1", "--max-folds", "1", "--no-export", "--verbose", "0"]
    with caplog.at_level("INFO"):
        assert train.main([*training[3:], *fast, "--data-dir", "tfds"]) in (0, None)
    # The run read the three subjects' sessions and cut three trials out of each.
    assert "9 trials in 3 recordings of 3 subjects" in caplog.text
    out = pathlib.Path(training[training.index("--output-dir") + 1])
    config = json.loads((out / "config.json").read_text())
    assert config["model"]["name"] == "signal_fusion"
    fold = json.loads((out / "metrics.json").read_text())["folds"][0]
    assert fold["test"] == ["subject_01"]
    assert fold["n_train_examples"] == 3 * 2  # one subject: 3 trials of 2 windows (20 s each)
    spec = json.loads((out / "fold_00" / "preprocessing.json").read_text())
    assert spec["extra"]["file_format"] == "e4"

    # predict reads the session's four E4 files (the format comes from the run) and predicts
    # every window of the whole 60 s session.
    assert prediction[:3] == ["python", "-m", "amigos_emo.predict"]
    assert predict.main([*prediction[3:], "--csv", "predictions.csv"]) == 0
    table = np.genfromtxt("predictions.csv", delimiter=",", names=True)
    np.testing.assert_allclose(table["start_s"], np.arange(0.0, 60.0, 10.0))
    probabilities = np.stack([table[f"label_{i}"] for i in range(3)], axis=1)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-4)

    # One trial of the session (trial 2: seconds 20-40), as the labels CSV cuts it.
    argv = [*prediction[3:], "--start-s", "20", "--end-s", "40", "--csv", "trial2.csv"]
    assert predict.main(argv) == 0
    trial = np.genfromtxt("trial2.csv", delimiter=",", names=True)
    np.testing.assert_allclose(trial["start_s"], [20.0, 30.0])
    np.testing.assert_allclose(trial["label_0"], table["label_0"][2:4], rtol=1e-4, atol=1e-5)
