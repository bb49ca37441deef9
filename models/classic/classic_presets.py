"""Named configurations of the classic scikit-learn baselines (plain dicts of estimator arguments)."""

DEFAULT_PRESET = "default"

LOGREG_PRESETS = {
    # L2-regularised multinomial logistic regression on standardised features.
    "default": {"C": 1.0, "max_iter": 2000},
    "strong_l2": {"C": 0.05, "max_iter": 2000},
}

RANDOM_FOREST_PRESETS = {
    "default": {"n_estimators": 300, "max_depth": None, "min_samples_leaf": 1},
    # Few shallow trees: for smoke runs and tests.
    "fast": {"n_estimators": 40, "max_depth": 8, "min_samples_leaf": 2},
}
