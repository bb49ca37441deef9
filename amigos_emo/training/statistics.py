"""Statistics across subjects: bootstrap confidence intervals, paired tests, Holm correction.

The unit of analysis is the **fold** of a subject-independent protocol (one held-out subject per
fold under ``loso``): a model's score on each fold is one observation, and two models run with
the same protocol and seed are compared fold by fold (the same test subjects), never window by
window (windows of one subject are not independent).

- :func:`bootstrap_ci`: percentile bootstrap of the mean over folds (``scipy.stats.bootstrap``,
  ``method="percentile"``, seeded; ``n_boot`` resamples of the folds with replacement).
- :func:`paired_wilcoxon`: two-sided Wilcoxon signed-rank test of paired fold scores
  (``scipy.stats.wilcoxon``; exact null distribution for small samples).
- :func:`holm`: Holm's step-down adjustment of a family of p-values (controls the family-wise
  error rate). scipy has no Holm function (``scipy.stats.false_discovery_control`` is
  Benjamini-Hochberg, a different error rate), so it is written here and tested against a
  hand-computed example.
- :func:`compare_models`: one row per model (mean +/- std, CI, p vs the trivial baseline, p vs
  the best model, Holm-adjusted over every comparison in the table) with a sentence per row.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from amigos_emo._checks import check_count, check_rate

N_BOOT = 10_000
CONFIDENCE = 0.95
ALPHA = 0.05

# Metrics for which a smaller value is better; every other headline metric is "higher is better".
LOWER_IS_BETTER = ("mae", "rmse", "ece", "nll", "loss")


def lower_is_better(metric):
    """True for error metrics (MAE, RMSE, ECE, NLL): smaller is better."""
    return str(metric).removeprefix("baseline_") in LOWER_IS_BETTER


def fold_scores(results, head, metric):
    """Per-fold scores of one head and metric from a run's ``metrics.json`` dict.

    Args:
        results: the dict :func:`amigos_emo.training.runner.run` returns (``metrics.json``).
        head: the model output, e.g. ``"label"`` or ``"valence"``.
        metric: e.g. ``"accuracy"``, ``"mae"``, ``"baseline_accuracy"``.

    Returns:
        ``(keys, values)``: ``keys`` a list of one string per fold naming its test subjects
        (``"subject_01"``, or ``"fold 3: subject_01"`` for protocols that test several folds on
        the same subjects), ``values`` a float64 array ``(n_folds,)``.

    Raises:
        KeyError: the head or metric is not in a fold (names what the fold has).
    """
    keys, values = [], []
    tests = [", ".join(fold["test"]) for fold in results["folds"]]
    repeated = len(set(tests)) < len(tests)
    for fold, test in zip(results["folds"], tests, strict=True):
        metrics = fold["metrics"]
        if head not in metrics or metric not in metrics[head]:
            found = sorted(metrics.get(head, {})) if head in metrics else sorted(metrics)
            raise KeyError(
                f"fold {fold['fold']} has no {head!r} {metric!r}. Expected a head/metric of the run; "
                f"found {'metrics' if head in metrics else 'heads'}: {', '.join(map(str, found))}"
            )
        keys.append(f"fold {fold['fold']}: {test}" if repeated else test)
        values.append(float(metrics[head][metric]))
    return keys, np.asarray(values, np.float64)


def bootstrap_ci(values, n_boot=N_BOOT, confidence=CONFIDENCE, seed=0):
    """Percentile bootstrap confidence interval of the mean of per-fold scores.

    Args:
        values: float array ``(n_folds,)``; NaNs are dropped first.
        n_boot: number of bootstrap resamples (folds drawn with replacement).
        confidence: coverage of the interval, in (0, 1).
        seed: seed of the resampling generator (same seed, same interval).

    Returns:
        ``(low, high)`` floats; ``(nan, nan)`` with fewer than 2 finite values, the value itself
        twice when every value is equal.
    """
    from scipy import stats

    n_boot = check_count(n_boot, "n_boot")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1). Received: confidence={confidence!r}")
    values = np.asarray(values, np.float64).ravel()
    values = values[np.isfinite(values)]
    if values.size < 2:
        return float("nan"), float("nan")
    if np.all(values == values[0]):
        return float(values[0]), float(values[0])
    result = stats.bootstrap(
        (values,),
        np.mean,
        n_resamples=n_boot,
        confidence_level=confidence,
        method="percentile",
        vectorized=True,
        rng=np.random.default_rng(seed),
    )
    return float(result.confidence_interval.low), float(result.confidence_interval.high)


def paired_wilcoxon(scores, reference):
    """Two-sided Wilcoxon signed-rank p-value of paired per-fold scores.

    Args:
        scores, reference: float arrays ``(n_folds,)`` of the same folds, in the same order.

    Returns:
        The p-value (float). 1.0 when every paired difference is zero (nothing to test), NaN
        with fewer than 2 pairs. Folds where either score is NaN are dropped.
    """
    from scipy import stats

    scores = np.asarray(scores, np.float64).ravel()
    reference = np.asarray(reference, np.float64).ravel()
    if scores.shape != reference.shape:
        raise ValueError(
            f"scores and reference must be paired (same folds). Received: {scores.size} and "
            f"{reference.size} values"
        )
    keep = np.isfinite(scores) & np.isfinite(reference)
    difference = scores[keep] - reference[keep]
    if difference.size < 2:
        return float("nan")
    if np.all(difference == 0):
        return 1.0
    return float(stats.wilcoxon(scores[keep], reference[keep], alternative="two-sided").pvalue)


def holm(pvalues):
    """Holm's step-down adjusted p-values (family-wise error rate), in the input order.

    Sort the ``m`` finite p-values ascending, multiply the ``i``-th smallest (0-based) by
    ``m - i``, take the running maximum and clip at 1. NaNs stay NaN and do not count in ``m``.

    Args:
        pvalues: float array-like ``(m,)``.

    Returns:
        float64 array ``(m,)``.
    """
    pvalues = np.asarray(pvalues, np.float64).ravel()
    adjusted = np.full_like(pvalues, np.nan)
    finite = np.flatnonzero(np.isfinite(pvalues))
    if finite.size == 0:
        return adjusted
    if np.any((pvalues[finite] < 0) | (pvalues[finite] > 1)):
        raise ValueError(f"p-values must be in [0, 1]. Received: {pvalues[finite].tolist()}")
    order = finite[np.argsort(pvalues[finite], kind="stable")]
    m = order.size
    scaled = pvalues[order] * (m - np.arange(m))
    adjusted[order] = np.minimum(np.maximum.accumulate(scaled), 1.0)
    return adjusted


@dataclasses.dataclass
class ComparisonRow:
    """One model's line of a benchmark table (see :func:`compare_models`)."""

    model: str
    mean: float
    std: float
    ci_low: float
    ci_high: float
    n_folds: int
    baseline_mean: float
    p_vs_baseline: float
    p_vs_baseline_holm: float
    p_vs_best: float | None
    p_vs_best_holm: float | None
    best: str
    sentence: str

    def to_json(self):
        return dataclasses.asdict(self)


def _better(a, b, lower):
    return a < b if lower else a > b


def compare_models(
    scores, baseline, metric, baseline_name="trivial baseline", alpha=ALPHA, n_boot=N_BOOT, seed=0
):
    """Rows of a benchmark table: each model vs the trivial baseline and vs the best model.

    The family for Holm's correction is every test in the table: one model-vs-baseline test per
    model plus one model-vs-best test per model other than the best (``2 M - 1`` tests for
    ``M`` models). The best model is the one with the best mean (lowest for error metrics).

    Args:
        scores: dict model name -> float array ``(n_folds,)`` of per-fold scores (same folds,
            same order for every model).
        baseline: float array ``(n_folds,)``: the trivial baseline's score on the same folds.
        metric: the metric's name (decides whether lower is better, see :data:`LOWER_IS_BETTER`).
        baseline_name: how the sentence names the baseline, e.g. ``"majority-class baseline"``.
        alpha: significance level of the sentences (on Holm-adjusted p-values).
        n_boot: bootstrap resamples of the CI (:func:`bootstrap_ci`).
        seed: bootstrap seed.

    Returns:
        list of :class:`ComparisonRow`, in the order of ``scores``.
    """
    check_rate(alpha, "alpha")
    if not scores:
        raise ValueError("scores must name at least one model. Received: scores={}")
    baseline = np.asarray(baseline, np.float64).ravel()
    for name, values in scores.items():
        if np.asarray(values).size != baseline.size:
            raise ValueError(
                f"model {name!r} has {np.asarray(values).size} fold scores, the baseline {baseline.size}; "
                "compare runs made with the same protocol and seed (the same folds)."
            )
    lower = lower_is_better(metric)
    means = {name: float(np.nanmean(np.asarray(v, np.float64))) for name, v in scores.items()}
    finite = {name: mean for name, mean in means.items() if np.isfinite(mean)} or means
    best = (min if lower else max)(finite, key=finite.get)
    names = list(scores)
    raw = [paired_wilcoxon(scores[n], baseline) for n in names]
    raw_best = [paired_wilcoxon(scores[n], scores[best]) for n in names if n != best]
    adjusted = holm(raw + raw_best)
    adjusted_baseline, adjusted_best = adjusted[: len(names)], list(adjusted[len(names) :])
    baseline_mean = float(np.nanmean(baseline))
    rows = []
    for index, name in enumerate(names):
        values = np.asarray(scores[name], np.float64)
        low, high = bootstrap_ci(values, n_boot=n_boot, seed=seed)
        p, p_holm = raw[index], float(adjusted_baseline[index])
        if name == best:
            p_best = p_best_holm = None
        else:
            p_best = raw_best[[n for n in names if n != best].index(name)]
            p_best_holm = float(adjusted_best.pop(0))
        rows.append(
            ComparisonRow(
                model=name,
                mean=means[name],
                std=float(np.nanstd(values)),
                ci_low=low,
                ci_high=high,
                n_folds=int(np.isfinite(values).sum()),
                baseline_mean=baseline_mean,
                p_vs_baseline=p,
                p_vs_baseline_holm=p_holm,
                p_vs_best=p_best,
                p_vs_best_holm=p_best_holm,
                best=best,
                sentence=_sentence(
                    name,
                    means[name],
                    baseline_mean,
                    p_holm,
                    best,
                    means[best],
                    p_best_holm,
                    lower,
                    baseline_name,
                    alpha,
                ),
            )
        )
    return rows


def _p(value):
    return "p=n/a" if value is None or not np.isfinite(value) else f"p={value:.2g}"


def _sentence(
    name, mean, baseline_mean, p_holm, best, best_mean, p_best_holm, lower, baseline_name, alpha
):
    significant = p_holm is not None and np.isfinite(p_holm) and p_holm < alpha
    untestable = p_holm is None or not np.isfinite(p_holm)
    if untestable:
        first = f"cannot be tested against the {baseline_name} (fewer than 2 folds)"
    elif significant and _better(mean, baseline_mean, lower):
        first = f"beats the {baseline_name} ({_p(p_holm)}, Holm)"
    elif significant:
        first = f"is worse than the {baseline_name} ({_p(p_holm)}, Holm)"
    else:
        first = f"does not beat the {baseline_name} ({_p(p_holm)}, Holm)"
    if name == best:
        second = "best mean of the table"
    elif p_best_holm is None or not np.isfinite(p_best_holm):
        second = f"cannot be tested against the best, {best} (fewer than 2 folds)"
    elif p_best_holm < alpha:
        second = f"worse than the best, {best} ({_p(p_best_holm)}, Holm)"
    else:
        second = f"not distinguishable from the best, {best} ({_p(p_best_holm)}, Holm)"
    return f"{name} {first}; {second}."
