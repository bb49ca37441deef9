"""The documented commands that name a real corpus, run as a user types them (``train.main(argv)``).

Each test writes a small folder in the corpus's real on-disk format (with the builder's own
dummy-data writer), runs the command from the README / ``train --help`` epilog with
``--epochs 1 --max-folds 1 --no-export`` added, and checks that the run READ those files: the
``config.json`` names the real config (not ``synthetic``), its subjects are the folder's
participants, and a corrupt file in the folder makes the command fail with the file's name.
"""

import importlib.util
import json
import os
import pathlib
import shutil

import numpy as np
import pytest
import scipy.io

from amigos_emo import train

REPO = pathlib.Path(__file__).resolve().parents[2]
BUILDERS = REPO / "tfds_builders"
FAST = ["--epochs", "1", "--max-folds", "1", "--no-export", "--verbose", "0", "--batch-size", "8"]


def _load(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _amigos_folder(root, participants=(1, 3, 4)):
    """``Data_Preprocessed_PXX.mat`` files in the release's format, one sub-folder each.

    The AMIGOS dummy writer defines two layouts (dummy participants 1 and 2); participant ``p``
    here uses layout ``1 + (p % 2 == 0)``.
    """
    maker = _load(BUILDERS / "amigos" / "dummy_data" / "make_dummy_data.py", "amigos_make_dummy")
    rng = np.random.default_rng(7)
    for participant in participants:
        layout = 1 if participant % 2 else 2
        folder = root / f"Data_Preprocessed_P{participant:02d}"
        folder.mkdir(parents=True)
        scipy.io.savemat(
            folder / f"Data_Preprocessed_P{participant:02d}.mat",
            maker.participant_variables(layout, rng),
            do_compression=True,
        )
    return root


def _run(argv):
    code = train.main(argv)
    return code


def _config(out):
    return json.loads((out / "config.json").read_text())


def _assert_read_the_folder(config, dataset, subjects, folder):
    assert config["run"]["dataset"] == dataset
    name, _, config_name = dataset.partition("/")
    assert config["dataset"]["name"] == name and config["dataset"]["config"] == config_name
    assert "synthetic" not in config_name
    assert config["dataset"]["subjects"] == subjects


def _assert_provenance(config, folder, n_files):
    # the runner writes datasets.provenance(builder) into config.json as config["dataset"]["provenance"]
    record = config["dataset"]["provenance"]
    assert record["manual_dir"] == os.fspath(folder) and record["n_files"] == n_files
    assert record["source"] == "manual_dir" and record["fingerprint"].startswith("sha256:")


# --- README: python -m amigos_emo.train --dataset amigos --manual-dir DIR [--protocol loso] ---------


@pytest.fixture(scope="module")
def amigos_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("amigos_cli")
    folder = _amigos_folder(root / "data_preprocessed")
    out = root / "run"
    code = _run(
        [
            "--dataset",
            "amigos",
            "--manual-dir",
            os.fspath(folder),
            "--data-dir",
            os.fspath(root / "tfds"),
            "--output-dir",
            os.fspath(out),
            *FAST,
        ]
    )
    return code, folder, out, root


def test_amigos_readme_command_reads_the_folder(amigos_run):
    code, folder, out, _ = amigos_run
    assert code == 0
    _assert_read_the_folder(
        _config(out), "amigos/preprocessed", ["subject_01", "subject_03", "subject_04"], folder
    )
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["synthetic"] is False and metrics["dataset"] == "amigos/preprocessed"


def test_amigos_readme_command_records_provenance(amigos_run):
    code, folder, out, _ = amigos_run
    assert code == 0
    _assert_provenance(_config(out), folder, n_files=3)


@pytest.mark.slow
def test_amigos_readme_loso_command(amigos_run):
    _, folder, _, root = amigos_run
    out = root / "loso"
    code = _run(
        [
            "--dataset",
            "amigos",
            "--manual-dir",
            os.fspath(folder),
            "--protocol",
            "loso",
            "--data-dir",
            os.fspath(root / "tfds"),
            "--output-dir",
            os.fspath(out),
            *FAST,
        ]
    )
    assert code == 0
    config = _config(out)
    _assert_read_the_folder(
        config, "amigos/preprocessed", ["subject_01", "subject_03", "subject_04"], folder
    )
    assert config["run"]["protocol"] == "loso"
    assert config["folds"][0]["test"] == ["subject_01"]


def test_amigos_corrupt_file_makes_the_command_fail(tmp_path, capsys):
    folder = _amigos_folder(tmp_path / "data_preprocessed")
    bad = folder / "Data_Preprocessed_P03" / "Data_Preprocessed_P03.mat"
    bad.write_bytes(bad.read_bytes()[: bad.stat().st_size // 2])
    code = _run(
        [
            "--dataset",
            "amigos",
            "--manual-dir",
            os.fspath(folder),
            "--data-dir",
            os.fspath(tmp_path / "tfds"),
            "--output-dir",
            os.fspath(tmp_path / "run"),
            *FAST,
        ]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert "Data_Preprocessed_P03.mat" in err and "truncated or corrupt" in err


def test_amigos_missing_manual_dir_is_a_clear_error(tmp_path, capsys):
    code = _run(
        [
            "--dataset",
            "amigos",
            "--manual-dir",
            os.fspath(tmp_path / "nowhere"),
            "--data-dir",
            os.fspath(tmp_path / "tfds"),
            "--output-dir",
            os.fspath(tmp_path / "run"),
            *FAST,
        ]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert (
        "does not exist" in err
        and "Data_Preprocessed_P01.mat" in err
        and "AssertionError" not in err
    )


# --- train --help epilog: --dataset seed/de --model res_attention_net --manual-dir DIR -------------


def _seed_folder(root):
    """The SEED dummy release (2 subjects) plus a third subject made from subject 1's files."""
    source = BUILDERS / "seed" / "dummy_data" / "SEED" / "Preprocessed_EEG"
    target = root / "SEED" / "Preprocessed_EEG"
    shutil.copytree(source, target)
    for path in sorted(source.glob("1_*.mat")):
        shutil.copy2(path, target / path.name.replace("1_", "3_", 1))
    return root / "SEED"


@pytest.mark.slow
def test_seed_epilog_command_reads_the_folder(tmp_path):
    folder = _seed_folder(tmp_path)
    out = tmp_path / "run"
    code = _run(
        [
            "--dataset",
            "seed/de",
            "--model",
            "res_attention_net",
            "--manual-dir",
            os.fspath(folder),
            "--data-dir",
            os.fspath(tmp_path / "tfds"),
            "--output-dir",
            os.fspath(out),
            *FAST,
        ]
    )
    assert code == 0
    _assert_read_the_folder(
        _config(out), "seed/de", ["subject_01", "subject_02", "subject_03"], folder
    )


@pytest.mark.slow
def test_seed_corrupt_file_makes_the_command_fail(tmp_path, capsys):
    folder = _seed_folder(tmp_path)
    bad = sorted((folder / "Preprocessed_EEG").glob("3_*.mat"))[0]
    bad.write_bytes(bad.read_bytes()[:100])
    code = _run(
        [
            "--dataset",
            "seed/de",
            "--model",
            "res_attention_net",
            "--manual-dir",
            os.fspath(folder),
            "--data-dir",
            os.fspath(tmp_path / "tfds"),
            "--output-dir",
            os.fspath(tmp_path / "run"),
            *FAST,
        ]
    )
    assert code == 2
    assert bad.name in capsys.readouterr().err
