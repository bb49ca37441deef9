"""Metrics beside trivial baselines (scikit-learn), and mean +/- std over folds.

Every score is reported next to what a model that ignores its input would get:
the training-subject mean for regression heads, the training majority class for binary and
classification heads.
"""

from __future__ import annotations

import numpy as np


def regression_metrics(y_true, y_pred, train_mean):
    """MAE, RMSE and Pearson r, and the same for the training-mean predictor."""
    from sklearn.metrics import mean_absolute_error, mean_squared_error

    y_true = np.asarray(y_true, np.float64).ravel()
    y_pred = np.asarray(y_pred, np.float64).ravel()
    baseline = np.full_like(y_true, float(train_mean))
    r = float(np.corrcoef(y_true, y_pred)[0, 1]) if y_true.std() > 0 and y_pred.std() > 0 else float("nan")
    return {
        "mae": float(mean_absolute_error(y_true, y_pred)),
        "rmse": float(np.sqrt(mean_squared_error(y_true, y_pred))),
        "pearson_r": r,
        "baseline_mae": float(mean_absolute_error(y_true, baseline)),
        "baseline_rmse": float(np.sqrt(mean_squared_error(y_true, baseline))),
        "baseline": f"training mean ({float(train_mean):.3f})",
        "n": int(y_true.size),
    }


def classification_metrics(y_true, y_pred, class_names, train_majority):
    """Accuracy, macro-F1, per-class precision/recall/F1, confusion matrix, majority baseline.

    Args:
        y_true, y_pred: class indices.
        class_names: names in index order.
        train_majority: the most frequent class among the training examples.
    """
    from sklearn.metrics import (
        accuracy_score,
        confusion_matrix,
        f1_score,
        precision_recall_fscore_support,
    )

    labels = list(range(len(class_names)))
    y_true = np.asarray(y_true, np.int64).ravel()
    y_pred = np.asarray(y_pred, np.int64).ravel()
    baseline = np.full_like(y_true, int(train_majority))
    precision, recall, f1, support = precision_recall_fscore_support(
        y_true, y_pred, labels=labels, zero_division=0
    )
    metrics = {
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "macro_f1": float(f1_score(y_true, y_pred, labels=labels, average="macro", zero_division=0)),
        "per_class": {
            name: {"precision": float(p), "recall": float(r), "f1": float(f), "support": int(s)}
            for name, p, r, f, s in zip(class_names, precision, recall, f1, support, strict=False)
        },
        "confusion_matrix": confusion_matrix(y_true, y_pred, labels=labels).tolist(),
        "class_names": list(class_names),
        "baseline_accuracy": float(accuracy_score(y_true, baseline)),
        "baseline_macro_f1": float(f1_score(y_true, baseline, labels=labels, average="macro", zero_division=0)),
        "baseline": f"majority class ({class_names[int(train_majority)]})",
        "n": int(y_true.size),
    }
    if len(class_names) == 2:
        metrics["f1"] = float(f1_score(y_true, y_pred, pos_label=1, zero_division=0))
        metrics["baseline_f1"] = float(f1_score(y_true, baseline, pos_label=1, zero_division=0))
    return metrics


# The headline number(s) of each kind of head, used for tables and fold aggregation.
HEADLINE = {
    "regression": ("mae", "baseline_mae"),
    "binary": ("f1", "baseline_f1"),
    "classification": ("accuracy", "baseline_accuracy"),
}
AGGREGATED = {
    "regression": ("mae", "rmse", "pearson_r", "baseline_mae", "baseline_rmse"),
    "binary": ("accuracy", "f1", "macro_f1", "baseline_accuracy", "baseline_f1", "baseline_macro_f1"),
    "classification": ("accuracy", "macro_f1", "baseline_accuracy", "baseline_macro_f1"),
}


def aggregate_folds(fold_metrics, kinds):
    """Mean and std (population, ddof=0) of each metric over folds.

    Args:
        fold_metrics: list (one per fold) of dicts head -> metrics dict.
        kinds: dict head -> kind.

    Returns:
        dict head -> metric -> {"mean", "std", "n_folds", "values"}.
    """
    summary = {}
    for head, kind in kinds.items():
        summary[head] = {}
        for metric in AGGREGATED[kind]:
            values = [fm[head][metric] for fm in fold_metrics if metric in fm[head]]
            if not values:
                continue
            array = np.asarray(values, np.float64)
            summary[head][metric] = {
                "mean": float(np.nanmean(array)),
                "std": float(np.nanstd(array)),
                "n_folds": len(values),
                "values": [float(v) for v in values],
            }
    return summary
