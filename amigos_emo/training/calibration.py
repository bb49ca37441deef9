"""Calibration of classifier heads: ECE, reliability diagrams, temperature scaling.

- **Expected calibration error** (:func:`expected_calibration_error`): the predicted class's
  probability (the *confidence*) is put into ``n_bins`` equal-width bins over [0, 1] (bin ``b``
  holds confidences in ``(b / n_bins, (b + 1) / n_bins]``, the first bin also holds 0);
  ECE = sum over bins of (fraction of examples in the bin) x |accuracy - mean confidence|.
  Binary heads (one sigmoid probability ``p`` of class 1) are read as the two classes
  ``[1 - p, p]``.
- **Temperature scaling** (:func:`fit_temperature`): one scalar ``T > 0`` per head, fitted on
  the **validation** subjects' predictions only (never the test subjects) by minimising the
  negative log-likelihood with ``scipy.optimize.minimize_scalar`` over ``log T``. The models
  output probabilities (softmax / sigmoid), so the logits are recovered as ``log p``:
  calibrated ``softmax(log p / T)``; for a sigmoid head ``sigmoid(logit(p) / T)`` (the same
  thing for the two classes ``[1 - p, p]``). ``T > 1`` softens over-confident predictions.
  The predicted class never changes, so accuracy and F1 are untouched.
- :class:`TemperatureScaling`, a registered Keras layer doing the same inside a model, and
  :func:`calibrate_model`, which puts it behind a trained model's classifier heads, so a
  calibrated ``.keras`` file outputs calibrated probabilities.
- :func:`calibrate_run` does all of this for every fold of a finished run directory (fits on
  validation, scores on test, writes ``fold_XX/calibration.json``, ``fold_XX/calibrated.keras``
  and reliability diagrams, and the run's ``calibration.json``).
"""

from __future__ import annotations

import json
import os

import keras
import numpy as np

from amigos_emo._checks import check_count, check_positive
from amigos_emo._logging import logger

N_BINS = 15
EPSILON = 1e-7
LOG_T_BOUNDS = (-4.0, 4.0)  # T in [0.018, 54.6]


def as_class_probabilities(probabilities):
    """``(n, n_classes)`` class probabilities from a softmax or a sigmoid head's output.

    Args:
        probabilities: float array ``(n, n_classes)`` (softmax) or ``(n,)`` / ``(n, 1)``
            (sigmoid: the probability of class 1).

    Returns:
        float64 array ``(n, n_classes)`` (``(n, 2)`` for a sigmoid head: ``[1 - p, p]``).
    """
    p = np.asarray(probabilities, np.float64)
    if p.ndim == 1 or (p.ndim == 2 and p.shape[1] == 1):
        p = p.reshape(-1)
        p = np.stack([1.0 - p, p], axis=1)
    if p.ndim != 2:
        raise ValueError(
            f"probabilities must have shape (n, n_classes), (n, 1) or (n,). Received: shape {p.shape}"
        )
    if p.size and (not np.all(np.isfinite(p)) or p.min() < -1e-6 or p.max() > 1 + 1e-6):
        raise ValueError(
            "probabilities must be finite and in [0, 1] (the softmax/sigmoid output of a head). "
            f"Received: min {np.nanmin(p):.3g}, max {np.nanmax(p):.3g}"
        )
    return p


def _labels(y_true, n, n_classes):
    y = np.asarray(y_true).astype(np.int64).ravel()
    if y.size != n:
        raise ValueError(
            f"y_true must have one label per prediction ({n}). Received: {y.size} labels"
        )
    if y.size and (y.min() < 0 or y.max() >= n_classes):
        raise ValueError(
            f"y_true must be class indices in [0, {n_classes}). Received: {y.min()}..{y.max()}"
        )
    return y


def expected_calibration_error(probabilities, y_true, n_bins=N_BINS):
    """Expected calibration error with ``n_bins`` equal-width confidence bins.

    Args:
        probabilities: softmax ``(n, n_classes)`` or sigmoid ``(n,)`` / ``(n, 1)`` outputs.
        y_true: int class indices ``(n,)``.
        n_bins: number of equal-width bins over [0, 1].

    Returns:
        ECE as a float in [0, 1] (NaN for no examples).
    """
    n_bins = check_count(n_bins, "n_bins")
    p = as_class_probabilities(probabilities)
    y = _labels(y_true, len(p), p.shape[1])
    if not len(p):
        return float("nan")
    confidence, accuracy, counts = reliability_bins(p, y, n_bins)
    used = counts > 0
    return float(np.sum(counts[used] / len(p) * np.abs(accuracy[used] - confidence[used])))


def reliability_bins(probabilities, y_true, n_bins=N_BINS):
    """Per-bin mean confidence, accuracy and count (equal-width bins, see module docstring).

    Returns:
        ``(confidence, accuracy, counts)``: float arrays ``(n_bins,)`` (NaN in empty bins) and
        an int array ``(n_bins,)``.
    """
    p = as_class_probabilities(probabilities)
    y = _labels(y_true, len(p), p.shape[1])
    confidence = p.max(axis=1)
    correct = (p.argmax(axis=1) == y).astype(np.float64)
    index = np.clip(np.ceil(confidence * n_bins).astype(np.int64) - 1, 0, n_bins - 1)
    counts = np.bincount(index, minlength=n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_confidence = np.bincount(index, weights=confidence, minlength=n_bins) / counts
        accuracy = np.bincount(index, weights=correct, minlength=n_bins) / counts
    return mean_confidence, accuracy, counts


def apply_temperature(probabilities, temperature):
    """``softmax(log p / T)`` of softmax outputs, or ``sigmoid(logit(p) / T)`` of sigmoid ones.

    Returns an array shaped like the input (``(n, n_classes)`` or ``(n,)`` / ``(n, 1)``).
    """
    check_positive(float(temperature), "temperature")
    original = np.asarray(probabilities, np.float64)
    p = as_class_probabilities(original)
    scaled = np.log(np.clip(p, EPSILON, 1.0)) / float(temperature)
    scaled -= scaled.max(axis=1, keepdims=True)
    out = np.exp(scaled)
    out /= out.sum(axis=1, keepdims=True)
    if original.ndim == 1 or (original.ndim == 2 and original.shape[1] == 1):
        return out[:, 1].reshape(original.shape)
    return out


def negative_log_likelihood(probabilities, y_true):
    """Mean negative log-likelihood (nats) of the true classes."""
    p = as_class_probabilities(probabilities)
    y = _labels(y_true, len(p), p.shape[1])
    return float(-np.mean(np.log(np.clip(p[np.arange(len(y)), y], EPSILON, 1.0))))


def fit_temperature(probabilities, y_true):
    """The temperature minimising the NLL of ``apply_temperature(probabilities, T)``.

    Fit it on VALIDATION predictions (the test subjects must stay unseen).

    Args:
        probabilities: softmax ``(n, n_classes)`` or sigmoid ``(n,)`` / ``(n, 1)`` outputs.
        y_true: int class indices ``(n,)``.

    Returns:
        ``T`` (float > 0), searched over ``log T`` in :data:`LOG_T_BOUNDS`; 1.0 for no examples.
    """
    from scipy.optimize import minimize_scalar

    p = as_class_probabilities(probabilities)
    y = _labels(y_true, len(p), p.shape[1])
    if not len(p):
        return 1.0
    log_p = np.log(np.clip(p, EPSILON, 1.0))

    def nll(log_t):
        z = log_p / np.exp(log_t)
        z -= z.max(axis=1, keepdims=True)
        log_softmax = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        return -float(np.mean(log_softmax[np.arange(len(y)), y]))

    result = minimize_scalar(nll, bounds=LOG_T_BOUNDS, method="bounded", options={"xatol": 1e-6})
    return float(np.exp(result.x))


def calibration_summary(val_probabilities, val_true, test_probabilities, test_true, n_bins=N_BINS):
    """Fit ``T`` on validation, report test ECE/NLL before and after.

    Returns:
        dict with ``temperature``, ``temperature_at_bound`` (True when ``T`` reached the edge of
        :data:`LOG_T_BOUNDS`: the validation predictions are so wrong that the best fix is
        near-uniform output), ``ece_before``, ``ece_after``, ``nll_before``, ``nll_after``
        (test subjects), ``n_bins``, ``n_validation``, ``n_test`` and ``fitted_on``.
    """
    temperature = fit_temperature(val_probabilities, val_true)
    after = apply_temperature(test_probabilities, temperature)
    at_bound = bool(np.any(np.isclose(np.log(temperature), LOG_T_BOUNDS, atol=1e-3)))
    if at_bound:
        logger.warning(
            "The fitted temperature %.3g is at the edge of its search range: on the validation "
            "subjects the head does no better than %s; calibration flattens its outputs.",
            temperature,
            "uniform guessing" if temperature > 1 else "its most confident extreme",
        )
    return {
        "temperature": temperature,
        "temperature_at_bound": at_bound,
        "ece_before": expected_calibration_error(test_probabilities, test_true, n_bins),
        "ece_after": expected_calibration_error(after, test_true, n_bins),
        "nll_before": negative_log_likelihood(test_probabilities, test_true),
        "nll_after": negative_log_likelihood(after, test_true),
        "n_bins": n_bins,
        "bins": "equal-width",
        "n_validation": int(len(np.asarray(val_true).ravel())),
        "n_test": int(len(np.asarray(test_true).ravel())),
        "fitted_on": "validation subjects",
    }


def plot_reliability_diagram(probabilities, y_true, path, title, n_bins=N_BINS, calibrated=None):
    """Reliability diagram PNG: per-bin accuracy against mean confidence, and the diagonal.

    Args:
        probabilities: outputs before calibration (see :func:`expected_calibration_error`).
        y_true: int class indices ``(n,)``.
        path: the PNG to write.
        title: figure title.
        calibrated: optional outputs after temperature scaling, drawn beside.

    Returns:
        ``path``.
    """
    from amigos_emo.training.reports import _pyplot

    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(4.4, 4.2))
    ax.plot([0, 1], [0, 1], color="0.6", lw=1, ls=":", label="perfect calibration")
    series = [("before", probabilities, "C3")] + (
        [("after T", calibrated, "C0")] if calibrated is not None else []
    )
    for label, p, colour in series:
        confidence, accuracy, counts = reliability_bins(p, y_true, n_bins)
        used = counts > 0
        ece = expected_calibration_error(p, y_true, n_bins)
        ax.plot(
            confidence[used], accuracy[used], "o-", color=colour, label=f"{label} (ECE {ece:.3f})"
        )
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("mean confidence in bin")
    ax.set_ylabel("accuracy in bin")
    ax.set_title(title, fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


@keras.saving.register_keras_serializable(package="amigos_emo")
class TemperatureScaling(keras.layers.Layer):
    """Temperature scaling of probability outputs (the head's softmax/sigmoid already applied).

    Softmax heads: ``softmax(log p / T)`` over the last axis; sigmoid heads (``binary=True``):
    ``sigmoid(logit(p) / T)``. Probabilities are clipped to ``[1e-7, 1 - 1e-7]`` first.
    Computed in float32 whatever the input dtype.

    Args:
        temperature: ``T > 0`` (fitted by :func:`fit_temperature` on validation predictions).
        binary: True for a sigmoid head with one probability per example.
        **kwargs: forwarded to ``keras.layers.Layer`` (``name``, ...).

    Example:
        >>> layer = TemperatureScaling(temperature=2.0)
        >>> layer(np.array([[0.9, 0.1]], "float32"))  # softer: about [0.75, 0.25]
    """

    def __init__(self, temperature=1.0, binary=False, **kwargs):
        kwargs.setdefault("dtype", "float32")
        super().__init__(**kwargs)
        self.temperature = float(check_positive(float(temperature), "temperature"))
        self.binary = bool(binary)

    def call(self, probabilities):
        p = keras.ops.clip(keras.ops.cast(probabilities, "float32"), EPSILON, 1.0 - EPSILON)
        if self.binary:
            logit = keras.ops.log(p) - keras.ops.log(1.0 - p)
            return keras.ops.sigmoid(logit / self.temperature)
        return keras.ops.softmax(keras.ops.log(p) / self.temperature, axis=-1)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update({"temperature": self.temperature, "binary": self.binary})
        return config


def calibrate_model(model, temperatures):
    """Wrap a trained model so that its classifier heads output temperature-scaled probabilities.

    Args:
        model: a trained functional model with named (dict) outputs, e.g. ``best.keras``.
        temperatures: dict head name -> ``T``. A head with one unit is treated as a sigmoid
            head, wider heads as softmax heads. Other heads pass through unchanged.

    Returns:
        A ``keras.Model`` with the same input and output names (not compiled); saved as
        ``.keras`` it reloads with identical outputs.

    Raises:
        ValueError: a head in ``temperatures`` is not an output of ``model``.
    """
    inputs = {}
    for tensor in model.inputs:
        name = tensor.name.split(":")[0]
        inputs[name] = keras.Input(shape=tuple(tensor.shape[1:]), name=name, dtype=tensor.dtype)
    outputs = model(inputs)
    if not isinstance(outputs, dict):
        listed = outputs if isinstance(outputs, list | tuple) else [outputs]
        outputs = dict(zip(model.output_names, listed, strict=True))
    unknown = sorted(set(temperatures) - set(outputs))
    if unknown:
        raise ValueError(
            f"temperatures name head(s) the model does not output: {', '.join(unknown)}. "
            f"Expected some of: {', '.join(sorted(outputs))}"
        )
    calibrated = {}
    for head, tensor in outputs.items():
        if head in temperatures:
            binary = int(tensor.shape[-1]) == 1
            tensor = TemperatureScaling(
                temperatures[head], binary=binary, name=f"temperature_{head}"
            )(tensor)
        else:
            tensor = keras.layers.Identity(dtype="float32", name=f"pass_{head}")(tensor)
        calibrated[head] = tensor
    return keras.Model(inputs=inputs, outputs=calibrated, name=f"{model.name}_calibrated")


# === Whole runs ===


def _fold_config(run_dir):
    from amigos_emo.training.protocols import Fold
    from amigos_emo.training.runner import RunConfig

    with open(os.path.join(run_dir, "config.json")) as handle:
        saved = json.load(handle)
    fields = {k: v for k, v in saved["run"].items() if k in RunConfig.__dataclass_fields__}
    config = RunConfig(**fields)
    folds = []
    for fold in saved["folds"]:
        fold = dict(fold)
        for part in ("train", "validation", "test"):
            fold[part] = tuple(fold[part])
        folds.append(Fold(**fold))
    return config, folds


def calibrate_run(run_dir, builder, n_bins=N_BINS, save_models=True):
    """Temperature-scale every classifier head of every fold of a finished run.

    For each fold, ``best.keras`` (Keras) or ``model.skops`` (scikit-learn, see
    :mod:`amigos_emo.training.classic`) predicts the fold's validation and test subjects (the
    same train-only pipeline as training, via :func:`amigos_emo.training.runner.prepare_fold`);
    ``T`` is fitted on validation, ECE and NLL are measured on test before and after. Writes
    ``fold_XX/calibration.json``, ``fold_XX/reliability_<head>.png``, for Keras models
    ``fold_XX/calibrated.keras`` (raw signals in, calibrated probabilities out), and the
    run's ``calibration.json`` (per fold and mean over folds). A fold that already has
    ``calibration.json`` is reused (resumable).

    Args:
        run_dir: a finished run's output directory (``metrics.json`` present).
        builder: the prepared TFDS builder the run used.
        n_bins: ECE bins.
        save_models: write ``calibrated.keras`` (Keras models only).

    Returns:
        dict head -> {"ece_before", "ece_after", "nll_before", "nll_after", "temperature"}
        each {"mean", "std", "values"}, plus "folds" (per-fold dicts); empty heads dict when
        the model has no classifier head.
    """
    from amigos_emo.models import get_model_entry
    from amigos_emo.training import reports
    from amigos_emo.training.fold_data import prepare_fold_for

    if not os.path.exists(os.path.join(run_dir, "metrics.json")):
        raise FileNotFoundError(f"{run_dir}: no metrics.json; calibrate a finished run.")
    config, folds = _fold_config(run_dir)
    entry = get_model_entry(config.model)
    per_fold = []
    for fold in folds:
        fold_dir = os.path.join(run_dir, f"fold_{fold.index:02d}")
        done = os.path.join(fold_dir, "calibration.json")
        if os.path.exists(done):
            with open(done) as handle:
                per_fold.append(json.load(handle))
            continue
        data = prepare_fold_for(config, builder, fold, entry)
        heads = [s for s in data.specs if s.kind in ("binary", "classification")]
        if not heads:
            return {"heads": {}, "folds": []}
        predict = _predictor(entry, fold_dir, data)
        val, test = predict("validation"), predict("test")
        val_truth, test_truth = data.targets("validation"), data.targets("test")
        result = {"fold": fold.index, "test": list(fold.test), "heads": {}}
        temperatures = {}
        for spec in heads:
            summary = calibration_summary(
                val[spec.name], val_truth[spec.name], test[spec.name], test_truth[spec.name], n_bins
            )
            result["heads"][spec.name] = summary
            temperatures[spec.name] = summary["temperature"]
            plot_reliability_diagram(
                test[spec.name],
                test_truth[spec.name],
                os.path.join(fold_dir, f"reliability_{spec.name}.png"),
                f"{spec.name}: fold {fold.index}, test subjects (T={summary['temperature']:.2f})",
                n_bins,
                calibrated=apply_temperature(test[spec.name], summary["temperature"]),
            )
        if save_models and entry.framework == "keras":
            from amigos_emo.training.modeling import load_trained_model

            best = load_trained_model(os.path.join(fold_dir, "best.keras"), compile=False)
            path = os.path.join(fold_dir, "calibrated.keras")
            calibrate_model(best, temperatures).save(path + ".tmp.keras")
            os.replace(path + ".tmp.keras", path)
        reports.write_json(done, result)
        logger.info(
            "fold %d: temperature %s",
            fold.index,
            ", ".join(f"{h} {t:.3f}" for h, t in temperatures.items()),
        )
        per_fold.append(result)
    summary = summarise_calibration(per_fold)
    reports.write_json(os.path.join(run_dir, "calibration.json"), summary)
    return summary


def _predictor(entry, fold_dir, data):
    """part -> dict head -> probabilities, for the fold's saved model (Keras or scikit-learn)."""
    if entry.framework == "sklearn":
        from amigos_emo.training import classic

        model = classic.load_classic_model(os.path.join(fold_dir, "model.skops"))
        return lambda part: classic.predict_probabilities(model, data, part)
    from amigos_emo.training.modeling import load_trained_model

    model = load_trained_model(os.path.join(fold_dir, "best.keras"), compile=False)
    return lambda part: {
        k: np.asarray(v) for k, v in model.predict(data.eval_dataset(part), verbose=0).items()
    }


def summarise_calibration(per_fold):
    """Mean and std over folds of per-fold calibration results.

    Args:
        per_fold: list of ``{"fold", "test", "heads": {head: calibration_summary(...)}}``.

    Returns:
        ``{"heads": {head: {metric: {"mean", "std", "values"}}}, "folds", "n_bins", ...}``: the
        format of ``calibration.json`` and of a ``metrics.json`` "calibration" block, which
        :func:`amigos_emo.training.result_card.write_result_card` reads.
    """
    heads = {}
    for result in per_fold:
        for head, values in result["heads"].items():
            for key in ("temperature", "ece_before", "ece_after", "nll_before", "nll_after"):
                heads.setdefault(head, {}).setdefault(key, []).append(float(values[key]))
    summary = {
        head: {
            key: {"mean": float(np.mean(v)), "std": float(np.std(v)), "values": v}
            for key, v in metrics.items()
        }
        for head, metrics in heads.items()
    }
    for head in summary:
        summary[head]["folds_at_bound"] = sum(
            bool(r["heads"][head].get("temperature_at_bound"))
            for r in per_fold
            if head in r["heads"]
        )
    n_bins = next((v["n_bins"] for r in per_fold for v in r["heads"].values()), N_BINS)
    return {
        "heads": summary,
        "folds": per_fold,
        "n_bins": n_bins,
        "bins": "equal-width",
        "fitted_on": "validation subjects; ECE/NLL on test subjects",
    }
