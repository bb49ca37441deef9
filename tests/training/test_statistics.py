"""Bootstrap CI, paired Wilcoxon, Holm and the comparison table against slow references."""

import itertools

import numpy as np
import pytest

from amigos_emo.training import statistics


def _exact_wilcoxon_two_sided(differences):
    """Slow reference: enumerate every sign flip (no ties, no zeros)."""
    ranks = np.argsort(np.argsort(np.abs(differences))) + 1.0
    observed = ranks[differences > 0].sum()
    total = ranks.sum()
    sums = [
        sum(r for r, s in zip(ranks, signs, strict=True) if s)
        for signs in itertools.product((0, 1), repeat=len(ranks))
    ]
    sums = np.asarray(sums)
    low = min(observed, total - observed)
    return min(1.0, 2 * np.mean(sums <= low + 1e-12))


def test_wilcoxon_matches_the_enumerated_null_distribution():
    rng = np.random.default_rng(3)
    for _ in range(5):
        a = rng.normal(size=7)
        b = a + rng.normal(0.4, 1.0, size=7)
        expected = _exact_wilcoxon_two_sided(a - b)
        assert statistics.paired_wilcoxon(a, b) == pytest.approx(expected, rel=1e-9)


def test_wilcoxon_edge_cases():
    assert statistics.paired_wilcoxon([0.5, 0.6, 0.7], [0.5, 0.6, 0.7]) == 1.0
    assert np.isnan(statistics.paired_wilcoxon([0.5], [0.4]))
    # 6 pairs all better: the smallest two-sided exact p is 2 / 2**6.
    assert statistics.paired_wilcoxon(np.arange(6) + 1.0, np.zeros(6)) == pytest.approx(2 / 64)
    with pytest.raises(ValueError, match="paired"):
        statistics.paired_wilcoxon([1, 2, 3], [1, 2])


def test_holm_against_a_hand_computed_example():
    # sorted 0.01, 0.02, 0.03, 0.5 -> x4, x3, x2, x1 = 0.04, 0.06, 0.06 (running max), 0.5
    adjusted = statistics.holm([0.03, 0.5, 0.01, 0.02])
    np.testing.assert_allclose(adjusted, [0.06, 0.5, 0.04, 0.06])
    adjusted = statistics.holm([0.4, np.nan, 0.9])
    np.testing.assert_allclose(adjusted, [0.8, np.nan, 0.9])
    assert statistics.holm([0.6, 0.7])[0] == 1.0  # clipped
    with pytest.raises(ValueError, match="p-values"):
        statistics.holm([1.5])


def _slow_percentile_bootstrap(values, n_boot, seed):
    rng = np.random.default_rng(seed)
    means = [np.mean(values[rng.integers(0, len(values), len(values))]) for _ in range(n_boot)]
    return np.percentile(means, [2.5, 97.5])


def test_bootstrap_ci_agrees_with_a_slow_loop():
    values = np.random.default_rng(0).normal(0.6, 0.1, size=12)
    low, high = statistics.bootstrap_ci(values, n_boot=4000, seed=1)
    reference = _slow_percentile_bootstrap(values, 4000, seed=2)
    np.testing.assert_allclose([low, high], reference, atol=0.01)
    assert low < values.mean() < high
    assert statistics.bootstrap_ci(values, n_boot=4000, seed=1) == (low, high)  # seeded
    assert statistics.bootstrap_ci([0.7, 0.7, 0.7]) == (0.7, 0.7)
    assert all(np.isnan(statistics.bootstrap_ci([0.7])))
    with pytest.raises(ValueError, match="confidence"):
        statistics.bootstrap_ci(values, confidence=1.5)


def test_compare_models_rows_and_sentences():
    baseline = np.full(8, 0.5)
    good = np.array([0.8, 0.9, 0.85, 0.7, 0.95, 0.9, 0.8, 0.88])
    flat = baseline + np.array([0.01, -0.02, 0.0, 0.03, -0.01, 0.02, -0.03, 0.01])
    rows = statistics.compare_models(
        {"good": good, "flat": flat},
        baseline,
        "accuracy",
        baseline_name="majority-class baseline",
        n_boot=2000,
    )
    by_name = {r.model: r for r in rows}
    assert by_name["good"].best == "good" and by_name["good"].p_vs_best is None
    raw = [
        statistics.paired_wilcoxon(good, baseline),
        statistics.paired_wilcoxon(flat, baseline),
        statistics.paired_wilcoxon(flat, good),
    ]
    adjusted = statistics.holm(raw)
    assert by_name["good"].p_vs_baseline_holm == pytest.approx(adjusted[0])
    assert by_name["flat"].p_vs_baseline_holm == pytest.approx(adjusted[1])
    assert by_name["flat"].p_vs_best_holm == pytest.approx(adjusted[2])
    assert by_name["good"].sentence.startswith("good beats the majority-class baseline (p=")
    assert "does not beat the majority-class baseline" in by_name["flat"].sentence
    assert "worse than the best, good" in by_name["flat"].sentence
    assert by_name["good"].mean == pytest.approx(good.mean())
    assert by_name["good"].std == pytest.approx(good.std())


def test_lower_is_better_metrics_pick_the_smallest_as_best():
    baseline = np.full(8, 2.0)
    rows = statistics.compare_models(
        {"a": np.full(8, 1.0) + np.arange(8) * 0.01, "b": np.full(8, 1.5)},
        baseline,
        "mae",
        n_boot=500,
    )
    # 8 folds all better: exact p = 2 / 2**8 for each test; Holm over 3 tests -> 3 * 2 / 256.
    assert rows[0].p_vs_baseline_holm == pytest.approx(3 * 2 / 256)
    assert rows[0].best == "a"
    assert "beats the trivial baseline" in rows[0].sentence
    with pytest.raises(ValueError, match="same folds"):
        statistics.compare_models({"a": np.ones(3)}, np.ones(4), "mae")


def test_one_fold_cannot_be_tested_and_says_so():
    rows = statistics.compare_models({"a": [0.9], "b": [0.8]}, [0.4], "accuracy", n_boot=100)
    assert (
        rows[0].sentence
        == "a cannot be tested against the trivial baseline (fewer than 2 folds); best mean of the table."
    )
    assert "cannot be tested against the best, a" in rows[1].sentence
    assert np.isnan(rows[0].ci_low) and np.isnan(rows[0].p_vs_baseline_holm)


def test_fold_scores_names_test_subjects_and_missing_metrics():
    results = {
        "folds": [
            {"fold": 0, "test": ["subject_01"], "metrics": {"label": {"accuracy": 0.5}}},
            {"fold": 1, "test": ["subject_02"], "metrics": {"label": {"accuracy": 0.75}}},
        ]
    }
    keys, values = statistics.fold_scores(results, "label", "accuracy")
    assert keys == ["subject_01", "subject_02"]
    np.testing.assert_array_equal(values, [0.5, 0.75])
    with pytest.raises(KeyError, match="macro_f1.*accuracy"):
        statistics.fold_scores(results, "label", "macro_f1")
