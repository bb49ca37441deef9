"""Shallow ConvNet (``shallow_convnet``): Schirrmeister et al. 2017's FBCSP-like network.

Registered as ``"shallow_convnet"`` (task ``"classification"``, input ``eeg``
``(n_times, n_chans)``, one-hot ``label``). See :mod:`.shallow_convnet_backbone`.
"""

from amigos_emo.models.registry import register_model
from amigos_emo.models.shallow_convnet.shallow_convnet_backbone import (
    INPUT_NAMES,
    OUTPUT_NAMES,
    ShallowConvNet,
    build_shallow_convnet,
    compile_shallow_convnet,
)
from amigos_emo.models.shallow_convnet.shallow_convnet_layers import SafeLog, Square
from amigos_emo.models.shallow_convnet.shallow_convnet_presets import (
    DEFAULT_PRESET,
    SHALLOW_CONVNET_PRESETS,
)

register_model(
    "shallow_convnet",
    build=build_shallow_convnet,
    compile=compile_shallow_convnet,
    inputs=INPUT_NAMES,
    outputs=OUTPUT_NAMES,
    task="classification",
    presets=SHALLOW_CONVNET_PRESETS,
    description="Shallow ConvNet (Schirrmeister 2017): temporal+spatial conv, square, pool, log.",
)

__all__ = [
    "DEFAULT_PRESET",
    "SHALLOW_CONVNET_PRESETS",
    "SafeLog",
    "ShallowConvNet",
    "Square",
    "build_shallow_convnet",
    "compile_shallow_convnet",
]
