"""Classic scikit-learn baselines through the folds: same data as the Keras path, skops files."""

import json
import os
import pathlib
import shutil

import numpy as np
import pytest
import tensorflow_datasets as tfds

from amigos_emo.models import get_model_entry
from amigos_emo.training import classic, runner
from amigos_emo.training.protocols import make_folds
from amigos_emo.training.runner import RunConfig

MUSE_DUMMY = (
    pathlib.Path(__file__).resolve().parents[2]
    / "tfds_builders"
    / "muse"
    / "dummy_data"
    / "original_data"
)


def tiny_muse_features(tmp_path_factory, name):
    """muse/features from the builder's dummy CSVs, copied to 4 subjects (a, b and their copies c, d)."""
    from amigos_emo.tfds_builders.muse.muse_dataset_builder import Builder

    manual = tmp_path_factory.mktemp(f"{name}_csv")
    for path in MUSE_DUMMY.glob("*.csv"):
        shutil.copy(path, manual / path.name)
        twin = path.name.replace("subjecta", "subjectc").replace("subjectb", "subjectd")
        shutil.copy(path, manual / twin)
    builder = Builder(
        config="features", data_dir=os.fspath(tmp_path_factory.mktemp(f"{name}_tfds"))
    )
    builder.download_and_prepare(
        download_config=tfds.download.DownloadConfig(manual_dir=os.fspath(manual))
    )
    return builder


@pytest.fixture(scope="module")
def muse(tmp_path_factory):
    return tiny_muse_features(tmp_path_factory, "classic")


def _arrays(builder, splits):
    batches = list(builder.as_dataset(split="+".join(splits)).batch(4096).as_numpy_iterator())
    x = np.concatenate([b["features"] for b in batches]).astype(np.float64)
    return x, np.concatenate([b["label"] for b in batches]).astype(np.int64)


def _config(out, **overrides):
    values = dict(
        dataset="muse/features",
        model="logreg",
        protocol="loso",
        output_dir=os.fspath(out),
        verbose=0,
    )
    values.update(overrides)
    return RunConfig(**values)


def test_logreg_fold_matches_a_pipeline_fitted_by_hand(muse, tmp_path):
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    fold = make_folds("loso", sorted(s for s in muse.info.splits), seed=0)[0]
    entry = get_model_entry("logreg")
    result, history = classic.run_classic_fold(
        _config(tmp_path), muse, fold, entry, os.fspath(tmp_path / "fold_00")
    )

    x_train, y_train = _arrays(muse, fold.train)
    x_test, y_test = _arrays(muse, fold.test)
    scaler = StandardScaler().fit(x_train)
    reference = LogisticRegression(class_weight="balanced", C=1.0, max_iter=2000, random_state=0)
    reference.fit(scaler.transform(x_train), y_train)
    predicted = reference.predict(scaler.transform(x_test))
    metrics = result["metrics"]["label"]
    assert metrics["accuracy"] == pytest.approx(np.mean(predicted == y_test))
    majority = np.bincount(y_train).argmax()
    assert metrics["baseline_accuracy"] == pytest.approx(np.mean(y_test == majority))
    assert result["test"] == list(fold.test) and result["best_epoch"] == 1
    # The scaler was fitted on the training subjects only.
    np.testing.assert_allclose(
        result["input_normalisation"]["features"]["mean"], x_train.mean(0), rtol=1e-6, atol=1e-9
    )
    assert set(history) == {"loss", "accuracy", "val_loss", "val_accuracy"}

    fold_dir = tmp_path / "fold_00"
    for name in ("model.skops", "metrics.json", "state.json", "history.csv", "confusion_label.png"):
        assert (fold_dir / name).is_file(), name
    loaded = classic.load_classic_model(fold_dir / "model.skops")
    np.testing.assert_array_equal(loaded.predict(x_test), predicted)


def test_untrusted_types_are_refused(muse, tmp_path):
    fold = make_folds("loso", sorted(muse.info.splits), seed=0)[1]
    config = _config(tmp_path, model="random_forest", preset="fast")
    classic.run_classic_fold(
        config, muse, fold, get_model_entry("random_forest"), os.fspath(tmp_path / "f")
    )
    path = tmp_path / "f" / "model.skops"
    assert classic.load_classic_model(path) is not None  # the tree type is expected
    with pytest.raises(classic.UntrustedModelError, match=r"sklearn\.tree\._tree\.Tree"):
        classic.load_classic_model(path, trusted=())
    with pytest.raises(FileNotFoundError, match="no such model file"):
        classic.load_classic_model(tmp_path / "missing.skops")


def test_keras_entries_are_refused(muse, tmp_path):
    fold = make_folds("loso", sorted(muse.info.splits), seed=0)[0]
    with pytest.raises(ValueError, match="framework='keras'"):
        classic.run_classic_fold(
            _config(tmp_path, model="gru_classifier"),
            muse,
            fold,
            get_model_entry("gru_classifier"),
            os.fspath(tmp_path / "x"),
        )


@pytest.mark.slow  # 4 folds x a forest, fitted twice
def test_run_classic_writes_the_runner_layout_and_resumes(muse, tmp_path):
    out = tmp_path / "run"
    results = runner.run(_config(out, model="random_forest", preset="fast"), builder=muse)
    assert results["n_folds"] == 4 and results["protocol"] == "loso"
    assert {"accuracy", "baseline_accuracy"} <= set(results["aggregate"]["label"])
    saved = json.loads((out / "metrics.json").read_text())
    assert [f["test"] for f in saved["folds"]] == [
        ["subject_01"],
        ["subject_02"],
        ["subject_03"],
        ["subject_04"],
    ]
    config = json.loads((out / "config.json").read_text())
    assert config["model"]["name"] == "random_forest" and config["run"]["protocol"] == "loso"

    # Interrupt: fold 3 and the final metrics are missing; a resumed run refits fold 3 only.
    (out / "metrics.json").unlink()
    shutil.rmtree(out / "fold_03")
    before = {i: (out / f"fold_{i:02d}" / "metrics.json").stat().st_mtime_ns for i in range(3)}
    again = runner.run(
        _config(out, model="random_forest", preset="fast", resume=True), builder=muse
    )
    after = {i: (out / f"fold_{i:02d}" / "metrics.json").stat().st_mtime_ns for i in range(3)}
    assert before == after
    assert (out / "fold_03" / "model.skops").is_file()
    assert again["folds"][3]["metrics"] == saved["folds"][3]["metrics"]  # seeded: same forest
