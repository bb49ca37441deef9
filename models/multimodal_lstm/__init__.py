"""Multimodal three-head LSTM (EEG, ECG, GSR -> valence, arousal, transition).

Registered as ``"multimodal_lstm"`` (task ``"regression+binary"``).
"""

from amigos_emo.models.multimodal_lstm.multimodal_lstm_backbone import (
    INPUT_NAMES,
    OUTPUT_NAMES,
    MultimodalLSTMBackbone,
    build_multimodal_lstm,
    compile_multimodal_lstm,
)
from amigos_emo.models.multimodal_lstm.multimodal_lstm_presets import (
    DEFAULT_PRESET,
    MULTIMODAL_LSTM_PRESETS,
)
from amigos_emo.models.registry import register_model

register_model(
    "multimodal_lstm",
    build=build_multimodal_lstm,
    compile=compile_multimodal_lstm,
    inputs=INPUT_NAMES,
    outputs=OUTPUT_NAMES,
    task="regression+binary",
    presets=MULTIMODAL_LSTM_PRESETS,
    description="Three LSTM branches (EEG, ECG, GSR), dense fusion, valence/arousal/transition heads.",
)

__all__ = [
    "DEFAULT_PRESET",
    "MULTIMODAL_LSTM_PRESETS",
    "MultimodalLSTMBackbone",
    "build_multimodal_lstm",
    "compile_multimodal_lstm",
]
