"""What a run leaves behind: JSON written atomically, training curves, confusion matrices and
the summary table printed at the end."""

from __future__ import annotations

import json
import os
import tempfile

import numpy as np


def write_json(path, payload):
    """Write JSON atomically (temporary file + rename): a crash never leaves half a file."""
    directory = os.path.dirname(os.fspath(path)) or "."
    os.makedirs(directory, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=".json")
    try:
        with os.fdopen(handle, "w") as out:
            json.dump(payload, out, indent=2, sort_keys=False, default=_json_default)
            out.write("\n")
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def _json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, tuple | set):
        return list(value)
    return str(value)


def _pyplot():
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def plot_training_curves(histories, path, title):
    """One panel per logged quantity (loss, each head's loss/metric), train solid, val dashed,
    one colour per fold."""
    plt = _pyplot()
    keys = sorted(
        {k for h in histories for k in h if not k.startswith("val_") and k != "learning_rate"}
    )
    if not keys:
        return None
    n_cols = min(3, len(keys))
    n_rows = int(np.ceil(len(keys) / n_cols))
    fig, axes = plt.subplots(n_rows, n_cols, figsize=(4.2 * n_cols, 3.2 * n_rows), squeeze=False)
    for ax, key in zip(axes.ravel(), keys, strict=False):
        for fold, history in enumerate(histories):
            colour = f"C{fold % 10}"
            if key in history:
                ax.plot(
                    np.arange(1, len(history[key]) + 1),
                    history[key],
                    color=colour,
                    label=f"fold {fold} train",
                )
            if f"val_{key}" in history:
                ax.plot(
                    np.arange(1, len(history[f"val_{key}"]) + 1),
                    history[f"val_{key}"],
                    "--",
                    color=colour,
                    label=f"fold {fold} val",
                )
        ax.set_title(key)
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
    for ax in axes.ravel()[len(keys) :]:
        ax.axis("off")
    handles, labels = axes.ravel()[0].get_legend_handles_labels()
    if len(handles) <= 12:
        axes.ravel()[0].legend(fontsize=7)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_confusion_matrix(matrix, class_names, path, title):
    """Row-normalised confusion matrix with counts in each cell."""
    plt = _pyplot()
    matrix = np.asarray(matrix, np.float64)
    rows = matrix.sum(axis=1, keepdims=True)
    normalised = np.divide(matrix, rows, out=np.zeros_like(matrix), where=rows > 0)
    size = 1.2 + 0.7 * len(class_names)
    fig, ax = plt.subplots(figsize=(size + 1.5, size))
    image = ax.imshow(normalised, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(class_names)), class_names, rotation=45, ha="right")
    ax.set_yticks(range(len(class_names)), class_names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    for i in range(matrix.shape[0]):
        for j in range(matrix.shape[1]):
            ax.text(
                j,
                i,
                f"{int(matrix[i, j])}\n{normalised[i, j]:.0%}",
                ha="center",
                va="center",
                color="white" if normalised[i, j] > 0.5 else "black",
                fontsize=8,
            )
    fig.colorbar(image, ax=ax, fraction=0.046)
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def write_classification_report(metrics, path, title):
    """A plain-text classification report (per-class precision/recall/F1, support) with the
    majority-class baseline, from the metrics dict of
    :func:`amigos_emo.training.evaluation.classification_metrics`."""
    lines = [title, "", f"{'class':<16}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>10}"]
    for name, row in metrics["per_class"].items():
        lines.append(
            f"{name:<16}{row['precision']:>10.3f}{row['recall']:>10.3f}{row['f1']:>10.3f}{row['support']:>10d}"
        )
    lines += [
        "",
        f"{'accuracy':<16}{metrics['accuracy']:>30.3f}{metrics['n']:>10d}",
        f"{'macro f1':<16}{metrics['macro_f1']:>30.3f}",
        f"baseline ({metrics['baseline']}): accuracy {metrics['baseline_accuracy']:.3f}, "
        f"macro f1 {metrics['baseline_macro_f1']:.3f}",
    ]
    with open(path, "w") as handle:
        handle.write("\n".join(lines) + "\n")
    return path


def summary_table(summary, kinds, protocol, leaky, n_folds):
    """The table printed at the end of a run: each head's score beside its trivial baseline."""
    lines = []
    header = f"Test results: protocol {protocol}, {n_folds} fold(s), mean +/- std over folds"
    if leaky:
        header += "  ** LEAKY: windows of the same subjects are in train and test **"
    lines.append(header)
    lines.append(f"{'head':<14}{'metric':<16}{'model':>20}{'baseline':>20}  baseline is")
    from amigos_emo.training.evaluation import AGGREGATED

    for head, kind in kinds.items():
        metrics = summary[head]
        for metric in AGGREGATED[kind]:
            if metric.startswith("baseline") or metric not in metrics:
                continue
            base_key = f"baseline_{metric}"
            model = metrics[metric]
            model_text = f"{model['mean']:.3f} +/- {model['std']:.3f}"
            if base_key in metrics:
                base = metrics[base_key]
                base_text = f"{base['mean']:.3f} +/- {base['std']:.3f}"
            else:
                base_text = "-"
            what = "training mean" if kind == "regression" else "majority class"
            lines.append(
                f"{head:<14}{metric:<16}{model_text:>20}{base_text:>20}  {what if base_text != '-' else ''}"
            )
    return "\n".join(lines)
