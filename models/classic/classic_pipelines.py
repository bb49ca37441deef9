"""Classic scikit-learn baselines on flat feature vectors (``features``, e.g. ``muse/features``).

Two pipelines, each fitted on the training subjects of a fold and nothing else:

- ``logreg``: ``StandardScaler`` (mean/std of the training subjects) then
  ``LogisticRegression`` (L2, lbfgs, balanced class weights: each class weighted by
  ``n_examples / (n_classes * n_examples_of_class)`` in the training subjects);
- ``random_forest``: ``RandomForestClassifier`` (balanced class weights; trees need no
  scaling).

They are not Keras models: :func:`amigos_emo.training.classic.run_classic_fold` fits them
through the same folds, protocols, reports and baselines as the neural models, and saves them
with skops as ``fold_XX/model.skops`` (``.keras`` does not apply; pickle/joblib files are not
used because loading one runs arbitrary code).
"""

from __future__ import annotations

from collections.abc import Mapping

from amigos_emo._checks import check_option
from amigos_emo.models.classic.classic_presets import (
    DEFAULT_PRESET,
    LOGREG_PRESETS,
    RANDOM_FOREST_PRESETS,
)

INPUT_NAMES = ("features",)
OUTPUT_NAMES = ("label",)


def _check_inputs(input_shapes, name):
    if not isinstance(input_shapes, Mapping) or "features" not in input_shapes:
        raise ValueError(
            f"{name} needs input_shapes with a 'features' entry (n_features,). "
            f"Received: input_shapes={input_shapes!r}"
        )
    shape = tuple(input_shapes["features"])
    if len(shape) != 1 or int(shape[0]) < 1:
        raise ValueError(
            f"{name} takes flat feature vectors: input_shapes['features'] must be (n_features,). "
            f"Received: input_shapes['features']={shape}"
        )
    return shape


def _preset(presets, preset, name):
    preset = DEFAULT_PRESET if preset is None else preset
    if preset not in presets:
        raise ValueError(
            f"Unknown preset for {name}. Expected one of: {', '.join(sorted(presets))}. "
            f"Received: preset={preset!r}"
        )
    return dict(presets[preset])


def build_logreg(
    input_shapes,
    n_outputs=None,
    preset=None,
    class_weight="balanced",
    random_state=0,
    **overrides,
):
    """``StandardScaler`` + ``LogisticRegression`` (unfitted ``sklearn.pipeline.Pipeline``).

    Args:
        input_shapes: ``{"features": (n_features,)}``.
        n_outputs: number of classes (informational: scikit-learn reads them from the labels).
        preset: a key of :data:`LOGREG_PRESETS` (default ``"default"``).
        class_weight: ``"balanced"`` or ``None``.
        random_state: seed of the solver.
        **overrides: further ``LogisticRegression`` arguments (``C``, ``max_iter``...).

    Returns:
        Pipeline with steps ``scaler`` and ``classifier``.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    _check_inputs(input_shapes, "logreg")
    check_option(class_weight, ("balanced", None), "class_weight")
    arguments = {**_preset(LOGREG_PRESETS, preset, "logreg"), **overrides}
    classifier = LogisticRegression(
        class_weight=class_weight, random_state=random_state, **arguments
    )
    return Pipeline([("scaler", StandardScaler()), ("classifier", classifier)])


def build_random_forest(
    input_shapes,
    n_outputs=None,
    preset=None,
    class_weight="balanced",
    random_state=0,
    **overrides,
):
    """``RandomForestClassifier`` (unfitted ``sklearn.pipeline.Pipeline``, one step).

    Args:
        input_shapes: ``{"features": (n_features,)}``.
        n_outputs: number of classes (informational).
        preset: a key of :data:`RANDOM_FOREST_PRESETS` (default ``"default"``).
        class_weight: ``"balanced"`` or ``None``.
        random_state: seed of the bootstrap samples and feature draws.
        **overrides: further ``RandomForestClassifier`` arguments.

    Returns:
        Pipeline with the step ``classifier``.
    """
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.pipeline import Pipeline

    _check_inputs(input_shapes, "random_forest")
    check_option(class_weight, ("balanced", None), "class_weight")
    arguments = {**_preset(RANDOM_FOREST_PRESETS, preset, "random_forest"), **overrides}
    classifier = RandomForestClassifier(
        class_weight=class_weight, random_state=random_state, **arguments
    )
    return Pipeline([("classifier", classifier)])


def compile_classic(model, **overrides):
    """Nothing to compile: scikit-learn estimators are configured when built.

    Raises:
        ValueError: any override (``learning_rate``...) is passed: it would be silently ignored.
    """
    if overrides:
        raise ValueError(
            "classic scikit-learn models take no compile arguments. "
            f"Received: {', '.join(f'{k}={v!r}' for k, v in overrides.items())}"
        )
