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
    r = (
        float(np.corrcoef(y_true, y_pred)[0, 1])
        if y_true.std() > 0 and y_pred.std() > 0
        else float("nan")
    )
    return {
        "mae": float(mean_absolute_error(y_true, y_pred)),
        "rmse": float(np.sqrt(mean_squared_error(y_true, y_pred))),
        "pearson_r": r,
        "baseline_mae": float(mean_absolute_error(y_true, baseline)),
        "baseline_rmse": float(np.sqrt(mean_squared_error(y_true, baseline))),
        "baseline": f"training mean ({float(train_mean):.3f})",
        "n": int(y_true.size),
    }


def classification_metrics(y_true, y_pred, class_names, train_majority, probabilities=None):
    """Accuracy, balanced accuracy, macro-F1, ROC AUC, per-class precision/recall/F1, confusion
    matrix, and the same for the training majority class.

    Args:
        y_true, y_pred: class indices.
        class_names: names in index order.
        train_majority: the most frequent class among the training examples.
        probabilities: optional predicted probabilities, ``(n,)`` of the positive class for two
            classes or ``(n, n_classes)``; gives ``roc_auc`` (one-vs-rest macro for several
            classes; NaN when the evaluated examples hold only one class). The majority-class
            predictor ranks nothing, so its AUC is 0.5.
    """
    from sklearn.metrics import (
        accuracy_score,
        balanced_accuracy_score,
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
        "balanced_accuracy": float(balanced_accuracy_score(y_true, y_pred)),
        "macro_f1": float(
            f1_score(y_true, y_pred, labels=labels, average="macro", zero_division=0)
        ),
        "per_class": {
            name: {"precision": float(p), "recall": float(r), "f1": float(f), "support": int(s)}
            for name, p, r, f, s in zip(class_names, precision, recall, f1, support, strict=False)
        },
        "confusion_matrix": confusion_matrix(y_true, y_pred, labels=labels).tolist(),
        "class_names": list(class_names),
        "baseline_accuracy": float(accuracy_score(y_true, baseline)),
        "baseline_balanced_accuracy": float(balanced_accuracy_score(y_true, baseline)),
        "baseline_macro_f1": float(
            f1_score(y_true, baseline, labels=labels, average="macro", zero_division=0)
        ),
        "baseline": f"majority class ({class_names[int(train_majority)]})",
        "n": int(y_true.size),
    }
    if len(class_names) == 2:
        # positive-class F1 (class index 1, e.g. "high", "stress")
        metrics["f1"] = float(f1_score(y_true, y_pred, pos_label=1, zero_division=0))
        metrics["baseline_f1"] = float(f1_score(y_true, baseline, pos_label=1, zero_division=0))
    if probabilities is not None:
        metrics["roc_auc"] = _roc_auc(
            y_true, np.asarray(probabilities, np.float64), len(class_names)
        )
        metrics["baseline_roc_auc"] = 0.5 if np.unique(y_true).size >= 2 else float("nan")
    return metrics


def _roc_auc(y_true, scores, n_classes):
    """ROC AUC from predicted probabilities (NaN when undefined: one class present, or
    non-finite scores)."""
    from sklearn.metrics import roc_auc_score

    present = np.unique(y_true)
    if present.size < 2 or not np.all(np.isfinite(scores)):
        return float("nan")
    if n_classes == 2:
        positive = scores[:, -1] if scores.ndim > 1 and scores.shape[-1] == 2 else scores.ravel()
        return float(roc_auc_score(y_true, positive))
    # one-vs-rest over the classes present, probabilities renormalised over them
    scores = np.clip(scores[:, present], 0.0, None)
    sums = scores.sum(axis=1, keepdims=True)
    # a row whose mass is all on absent classes ranks nothing: uniform over the present ones
    scores = np.where(sums > 0, scores / np.where(sums > 0, sums, 1.0), 1.0 / present.size)
    if present.size == 2:
        return float(roc_auc_score(y_true == present[1], scores[:, 1]))
    return float(roc_auc_score(y_true, scores, multi_class="ovr", average="macro", labels=present))


def evaluate_heads(specs, outputs, truth, regression_means, majority):
    """Metrics of every head beside its trivial baseline: THE metrics loop of the package.

    Args:
        specs: the run's :class:`~amigos_emo.training.tasks.TargetSpec` list.
        outputs: head name -> raw model output (probabilities or ratings), ``(n, ...)``.
        truth: head name -> encoded targets (class indices, 0/1 or floats).
        regression_means: head name -> training-target mean (regression heads).
        majority: head name -> training majority class (binary/classification heads).

    Returns:
        head name -> metrics dict (see :func:`regression_metrics`, :func:`classification_metrics`).
    """
    from amigos_emo.training.pipeline import decode_prediction

    metrics = {}
    for spec in specs:
        raw = np.asarray(outputs[spec.name])
        predicted = decode_prediction(spec, raw)
        if spec.kind == "regression":
            metrics[spec.name] = regression_metrics(
                truth[spec.name], predicted, regression_means[spec.name]
            )
        else:
            probabilities = (
                raw if spec.kind == "classification" else raw.reshape(len(raw), -1)[:, 0]
            )
            metrics[spec.name] = classification_metrics(
                truth[spec.name],
                predicted,
                spec.class_names,
                majority[spec.name],
                probabilities=probabilities,
            )
    return metrics


# The headline number(s) of each kind of head, used for tables and fold aggregation.
HEADLINE = {
    "regression": ("mae", "baseline_mae"),
    "binary": ("f1", "baseline_f1"),
    "classification": ("accuracy", "baseline_accuracy"),
}
AGGREGATED = {
    "regression": ("mae", "rmse", "pearson_r", "baseline_mae", "baseline_rmse"),
    "binary": (
        "accuracy",
        "balanced_accuracy",
        "f1",
        "macro_f1",
        "roc_auc",
        "baseline_accuracy",
        "baseline_balanced_accuracy",
        "baseline_f1",
        "baseline_macro_f1",
        "baseline_roc_auc",
    ),
    "classification": (
        "accuracy",
        "balanced_accuracy",
        "macro_f1",
        "f1",
        "roc_auc",
        "baseline_accuracy",
        "baseline_balanced_accuracy",
        "baseline_macro_f1",
        "baseline_f1",
        "baseline_roc_auc",
    ),
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
