"""Classic scikit-learn baselines (``framework="sklearn"`` registry entries) through the same
folds, protocols, reports and trivial baselines as the Keras models.

:func:`run_classic_fold` is the scikit-learn twin of :func:`amigos_emo.training.runner.run_fold`:
it gets the fold's data from :func:`amigos_emo.training.runner.prepare_fold` (the same subjects,
filters and training-only statistics: majority class, class weights), collects them as NumPy
arrays, fits the pipeline on the **training subjects only** (its ``StandardScaler``, where it has
one, is fitted there too), records validation log-loss/accuracy as a one-"epoch" history (a
classic model is fitted once; there is no epoch to select), scores the test subjects beside the
baselines and writes the same files as a Keras fold, except that the model is saved with skops
as ``fold_XX/model.skops`` (``.keras`` does not apply; pickle and joblib files are refused for
models from elsewhere because loading them runs arbitrary code). :func:`load_classic_model`
loads one after checking with ``skops.io.get_untrusted_types`` that it holds nothing beyond
:data:`EXPECTED_UNTRUSTED_TYPES`.

:func:`amigos_emo.training.runner.run` calls :func:`run_classic_fold` for every fold of a
``framework == "sklearn"`` entry, so classic models get the same output directory rules,
``config.json``, summary and result card as the Keras models.
"""

from __future__ import annotations

import os
import time

import numpy as np

from amigos_emo._logging import logger

MODEL_FILE = "model.skops"
# Types skops does not trust by default that our pipelines legitimately contain.
EXPECTED_UNTRUSTED_TYPES = ("sklearn.tree._tree.Tree",)


class UntrustedModelError(RuntimeError):
    """A ``.skops`` file holds types that a classic baseline never contains."""


def collect_arrays(raw, input_names, specs, batch_size=1024):
    """A fold part as arrays: ``x`` float64 ``(n, n_features)`` and targets per head.

    Inputs are flattened per example and concatenated in ``input_names`` order. Targets are
    encoded as for evaluation (class indices).

    Raises:
        ValueError: an input holds NaN or infinite values (names it and how many).
    """
    from amigos_emo.training import pipeline

    chunks, targets = [], {spec.name: [] for spec in specs}
    for batch in raw.batch(batch_size).as_numpy_iterator():
        parts = [
            np.asarray(batch[name], np.float64).reshape(len(batch[name]), -1)
            for name in input_names
        ]
        chunks.append(np.concatenate(parts, axis=1))
        for spec in specs:
            targets[spec.name].append(pipeline.encode_target_numpy(spec, batch[spec.source]))
    if not chunks:
        raise ValueError("The fold part is empty: nothing to fit or score.")
    x = np.concatenate(chunks)
    bad = ~np.isfinite(x)
    if bad.any():
        raise ValueError(
            f"input(s) {', '.join(input_names)} hold {int(bad.sum())} NaN/infinite value(s) in "
            f"{int(bad.any(axis=1).sum())} example(s); expected finite features."
        )
    return x, {name: np.concatenate(values) for name, values in targets.items()}


def _check_entry(entry, specs):
    if entry.framework != "sklearn":
        raise ValueError(
            f"run_classic_fold trains scikit-learn entries. Received: {entry.name!r} (framework={entry.framework!r})"
        )
    if len(specs) != 1 or specs[0].kind != "classification":
        found = ", ".join(f"{s.name} ({s.kind})" for s in specs)
        raise ValueError(
            f"classic model {entry.name!r} predicts one classification head. Received: {found}"
        )


def probabilities(model, x, n_classes):
    """``predict_proba`` as ``(n, n_classes)``, classes absent from training filled with 0."""
    p = model.predict_proba(x)
    full = np.zeros((len(x), n_classes), np.float64)
    full[:, np.asarray(model.classes_, np.int64)] = p
    return full


def predict_probabilities(model, data, part):
    """dict head -> ``(n, n_classes)`` class probabilities for ``"validation"`` or ``"test"``."""
    raw = {"validation": data.val_raw, "test": data.test_raw}[part]
    x, _ = collect_arrays(raw, data.entry.inputs, data.specs)
    spec = data.specs[0]
    return {spec.name: probabilities(model, x, spec.n_classes)}


def save_classic_model(model, path):
    """Write a fitted pipeline with ``skops.io.dump`` (atomically: temporary file + rename)."""
    import skops.io

    tmp = os.fspath(path) + ".tmp"
    skops.io.dump(model, tmp)
    os.replace(tmp, path)
    return path


def load_classic_model(path, trusted=EXPECTED_UNTRUSTED_TYPES):
    """Load a ``model.skops`` file after checking which types it would instantiate.

    Args:
        path: the file written by :func:`save_classic_model`.
        trusted: the non-default types accepted (default: the random forest's tree type).

    Returns:
        The fitted ``sklearn.pipeline.Pipeline``.

    Raises:
        FileNotFoundError: no such file.
        UntrustedModelError: the file holds other types (named); nothing is loaded.
    """
    import skops.io

    if not os.path.isfile(path):
        raise FileNotFoundError(f"{path}: no such model file (expected a fold's {MODEL_FILE})")
    untrusted = skops.io.get_untrusted_types(file=path)
    unexpected = sorted(set(untrusted) - set(trusted))
    if unexpected:
        raise UntrustedModelError(
            f"{path}: holds type(s) a classic baseline never contains: {', '.join(unexpected)}. "
            f"Expected only: {', '.join(trusted) or '(none)'}. Not loaded."
        )
    return skops.io.load(path, trusted=list(untrusted))


def _normalisation_record(model):
    scaler = getattr(model, "named_steps", {}).get("scaler")
    if scaler is None:
        return {"features": None}
    return {
        "features": {
            "mean": scaler.mean_.tolist(),
            "std": scaler.scale_.tolist(),
            "fitted_on": "training subjects (StandardScaler inside the pipeline)",
        }
    }


def run_classic_fold(config, builder, fold, entry, fold_dir):
    """Fit, score and save one fold of a scikit-learn baseline; the twin of ``runner.run_fold``.

    Args:
        config: the :class:`~amigos_emo.training.runner.RunConfig` (``preset``, ``seed``,
            ``class_weights``, ``target``, ``batch_size`` are used).
        builder: the prepared TFDS builder.
        fold: a :class:`~amigos_emo.training.protocols.Fold`.
        entry: the registry entry (``framework == "sklearn"``).
        fold_dir: where the fold's files go (``model.skops``, ``metrics.json``, ``state.json``,
            ``history.csv``, ``classification_report_label.txt``, ``confusion_label.png``).

    Returns:
        ``(fold_result, history)`` with the same structure as ``runner.run_fold``'s;
        ``best_epoch`` is 1 (one fit), ``history`` holds ``loss``/``accuracy`` (training) and
        ``val_loss``/``val_accuracy`` (validation subjects) as one-element lists.
    """
    from sklearn.metrics import accuracy_score, log_loss

    from amigos_emo.training import evaluation, reports
    from amigos_emo.training.fold_data import prepare_fold_for

    os.makedirs(fold_dir, exist_ok=True)
    logger.info(fold.describe())
    from amigos_emo.training import artifacts

    data = prepare_fold_for(config, builder, fold, entry)
    _check_entry(entry, data.specs)
    spec = data.specs[0]
    x_train, y_train = collect_arrays(data.train_raw, entry.inputs, data.specs)
    x_val, y_val = collect_arrays(data.val_raw, entry.inputs, data.specs)
    x_test, y_test = collect_arrays(data.test_raw, entry.inputs, data.specs)
    model = entry.build(
        data.input_shapes,
        n_outputs=data.n_outputs,
        preset=config.preset,
        class_weight="balanced" if config.class_weights == "balanced" else None,
        random_state=config.seed * 1000 + fold.index,
    )
    started = time.perf_counter()
    model.fit(x_train, y_train[spec.name])
    logger.info(
        "fold %d: %s fitted on %d training windows in %.1f s",
        fold.index,
        entry.name,
        len(x_train),
        time.perf_counter() - started,
    )
    labels = list(range(spec.n_classes))
    history = {}
    for prefix, x, y in (("", x_train, y_train), ("val_", x_val, y_val)):
        p = probabilities(model, x, spec.n_classes)
        history[f"{prefix}loss"] = [float(log_loss(y[spec.name], p, labels=labels))]
        history[f"{prefix}accuracy"] = [float(accuracy_score(y[spec.name], p.argmax(axis=1)))]
    save_classic_model(model, os.path.join(fold_dir, MODEL_FILE))
    artifacts.write_history_csv(history, os.path.join(fold_dir, "history.csv"))
    reports.write_json(
        os.path.join(fold_dir, "state.json"),
        {
            "epochs_completed": 1,
            "best_val_loss": history["val_loss"][0],
            "best_epoch": 1,
            "history": history,
            "checkpoint": None,
        },
    )

    predicted = probabilities(model, x_test, spec.n_classes).argmax(axis=1)
    metrics = {
        spec.name: evaluation.classification_metrics(
            y_test[spec.name], predicted, spec.class_names, data.majority[spec.name]
        )
    }
    reports.write_classification_report(
        metrics[spec.name],
        os.path.join(fold_dir, f"classification_report_{spec.name}.txt"),
        f"{spec.name}: fold {fold.index}, test subjects {', '.join(fold.test)}",
    )
    reports.plot_confusion_matrix(
        metrics[spec.name]["confusion_matrix"],
        spec.class_names,
        os.path.join(fold_dir, f"confusion_{spec.name}.png"),
        f"{spec.name}: fold {fold.index}, test subjects",
    )
    fold_result = {
        "fold": fold.index,
        "train": list(fold.train),
        "validation": list(fold.validation),
        "test": list(fold.test),
        "leaky": fold.leaky,
        "normalise": config.normalise,
        "best_epoch": 1,
        "n_train_examples": int(len(x_train)),
        "kinds": {spec.name: spec.kind},
        "metrics": metrics,
        "training_targets": {"regression_mean_std": {}, "majority_class": data.majority},
        "input_normalisation": _normalisation_record(model),
        "framework": "sklearn",
        "model_file": MODEL_FILE,
    }
    reports.write_json(os.path.join(fold_dir, "metrics.json"), fold_result)
    return fold_result, history
