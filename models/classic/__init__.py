"""Classic scikit-learn baselines on feature vectors: ``logreg`` and ``random_forest``.

Registered with ``framework="sklearn"``: trained by
:func:`amigos_emo.training.classic.run_classic_fold`, saved as ``fold_XX/model.skops``.
"""

from amigos_emo.models.classic.classic_pipelines import (
    INPUT_NAMES,
    OUTPUT_NAMES,
    build_logreg,
    build_random_forest,
    compile_classic,
)
from amigos_emo.models.classic.classic_presets import (
    DEFAULT_PRESET,
    LOGREG_PRESETS,
    RANDOM_FOREST_PRESETS,
)
from amigos_emo.models.registry import register_model

register_model(
    "logreg",
    build=build_logreg,
    compile=compile_classic,
    inputs=INPUT_NAMES,
    outputs=OUTPUT_NAMES,
    task="classification",
    presets=LOGREG_PRESETS,
    description="StandardScaler + logistic regression (balanced class weights) on feature vectors (scikit-learn).",
    framework="sklearn",
)
register_model(
    "random_forest",
    build=build_random_forest,
    compile=compile_classic,
    inputs=INPUT_NAMES,
    outputs=OUTPUT_NAMES,
    task="classification",
    presets=RANDOM_FOREST_PRESETS,
    description="Random forest (balanced class weights) on feature vectors (scikit-learn).",
    framework="sklearn",
)

__all__ = [
    "DEFAULT_PRESET",
    "LOGREG_PRESETS",
    "RANDOM_FOREST_PRESETS",
    "build_logreg",
    "build_random_forest",
    "compile_classic",
]
