import numpy as np
import pytest

from amigos_emo.training.evaluation import (
    aggregate_folds,
    classification_metrics,
    regression_metrics,
)


def test_regression_against_hand_computed():
    y = np.array([1.0, 2.0, 3.0, 4.0])
    p = np.array([1.5, 2.0, 2.0, 5.0])
    m = regression_metrics(y, p, train_mean=2.0)
    assert m["mae"] == pytest.approx((0.5 + 0 + 1 + 1) / 4)
    assert m["rmse"] == pytest.approx(np.sqrt((0.25 + 0 + 1 + 1) / 4))
    assert m["baseline_mae"] == pytest.approx((1 + 0 + 1 + 2) / 4)
    assert m["pearson_r"] == pytest.approx(np.corrcoef(y, p)[0, 1])


def test_classification_against_hand_computed():
    y = np.array([0, 0, 1, 2, 2, 2])
    p = np.array([0, 1, 1, 2, 2, 0])
    m = classification_metrics(y, p, ("a", "b", "c"), train_majority=2)
    assert m["accuracy"] == pytest.approx(4 / 6)
    assert m["baseline_accuracy"] == pytest.approx(3 / 6)
    assert m["confusion_matrix"] == [[1, 1, 0], [0, 1, 0], [1, 0, 2]]
    assert m["per_class"]["b"]["precision"] == pytest.approx(0.5)
    assert m["per_class"]["c"]["recall"] == pytest.approx(2 / 3)
    f1s = [2 * 0.5 * 0.5 / 1.0, 2 * 0.5 * 1 / 1.5, 2 * 1 * (2 / 3) / (1 + 2 / 3)]
    assert m["macro_f1"] == pytest.approx(np.mean(f1s))


def test_binary_majority_baseline_f1():
    m = classification_metrics(
        np.array([0, 0, 0, 1]), np.array([0, 0, 1, 1]), ("no", "yes"), train_majority=0
    )
    assert m["f1"] == pytest.approx(2 / 3)
    assert m["baseline_f1"] == 0.0


def test_aggregate_mean_std():
    folds = [{"h": {"mae": 1.0, "rmse": 2.0}}, {"h": {"mae": 3.0, "rmse": 2.0}}]
    s = aggregate_folds(folds, {"h": "regression"})
    assert s["h"]["mae"] == {"mean": 2.0, "std": 1.0, "n_folds": 2, "values": [1.0, 3.0]}


def test_classification_report_file(tmp_path):
    from amigos_emo.training.reports import write_classification_report

    m = classification_metrics(
        np.array([0, 1, 1, 2]), np.array([0, 1, 2, 2]), ("neg", "neu", "pos"), train_majority=1
    )
    path = write_classification_report(m, tmp_path / "r.txt", "label: fold 0")
    text = open(path).read()
    assert "neu" in text and "0.500" in text and "baseline (majority class (neu))" in text
