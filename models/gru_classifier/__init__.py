"""GRU classifier for flat feature vectors (Kaggle feeling-emotions CSV, Muse features).

Registered as ``"gru_classifier"`` (task ``"classification"``, one-hot ``label``).
"""

from amigos_emo.models.gru_classifier.gru_classifier_backbone import (
    INPUT_NAMES,
    OUTPUT_NAMES,
    GRUClassifierBackbone,
    build_gru_classifier,
    compile_gru_classifier,
)
from amigos_emo.models.gru_classifier.gru_classifier_presets import (
    DEFAULT_PRESET,
    GRU_CLASSIFIER_PRESETS,
)
from amigos_emo.models.registry import register_model

register_model(
    "gru_classifier",
    build=build_gru_classifier,
    compile=compile_gru_classifier,
    inputs=INPUT_NAMES,
    outputs=OUTPUT_NAMES,
    task="classification",
    presets=GRU_CLASSIFIER_PRESETS,
    description="Feature vector read as a sequence of chunks -> GRU -> softmax (feeling-emotions CSV).",
)

__all__ = [
    "DEFAULT_PRESET",
    "GRU_CLASSIFIER_PRESETS",
    "GRUClassifierBackbone",
    "build_gru_classifier",
    "compile_gru_classifier",
]
