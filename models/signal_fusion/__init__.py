"""Any-signal fusion model (``signal_fusion``): one branch per signal input the dataset provides,
heads from its labels; and the branch code it shares with ``multimodal_lstm``.

Registered as ``"signal_fusion"`` with ``inputs=None`` and ``outputs=None`` (task ``"any"``).
"""

from amigos_emo.models.registry import register_model
from amigos_emo.models.signal_fusion.signal_fusion_backbone import (
    HEAD_KINDS,
    SignalFusionBackbone,
    build_signal_fusion,
    compile_signal_fusion,
    head_kinds,
)
from amigos_emo.models.signal_fusion.signal_fusion_branches import (
    StackedLSTM,
    branch_layers,
    copy_lstm_weights,
)
from amigos_emo.models.signal_fusion.signal_fusion_presets import (
    DEFAULT_PRESET,
    SIGNAL_FUSION_PRESETS,
)

register_model(
    "signal_fusion",
    build=build_signal_fusion,
    compile=compile_signal_fusion,
    inputs=None,
    outputs=None,
    task="any",
    presets=SIGNAL_FUSION_PRESETS,
    description=(
        "Any signal set: a strided filter-bank + LSTM branch per signal input, dense fusion, "
        "one head per label (classification, binary or regression)."
    ),
)

__all__ = [
    "DEFAULT_PRESET",
    "HEAD_KINDS",
    "SIGNAL_FUSION_PRESETS",
    "SignalFusionBackbone",
    "StackedLSTM",
    "branch_layers",
    "build_signal_fusion",
    "compile_signal_fusion",
    "copy_lstm_weights",
    "head_kinds",
]
