"""Deep ConvNet (``deep_convnet``): Schirrmeister et al. 2017's four-block deep network.

Registered as ``"deep_convnet"`` (task ``"classification"``, input ``eeg``
``(n_times, n_chans)``, one-hot ``label``). See :mod:`.deep_convnet_backbone`.
"""

from amigos_emo.models.deep_convnet.deep_convnet_backbone import (
    INPUT_NAMES,
    OUTPUT_NAMES,
    DeepConvNet,
    build_deep_convnet,
    compile_deep_convnet,
)
from amigos_emo.models.deep_convnet.deep_convnet_presets import (
    DEEP_CONVNET_PRESETS,
    DEFAULT_PRESET,
)
from amigos_emo.models.registry import register_model

register_model(
    "deep_convnet",
    build=build_deep_convnet,
    compile=compile_deep_convnet,
    inputs=INPUT_NAMES,
    outputs=OUTPUT_NAMES,
    task="classification",
    presets=DEEP_CONVNET_PRESETS,
    description="Deep ConvNet (Schirrmeister 2017): four conv-BN-ELU-max-pool blocks on raw EEG.",
)

__all__ = [
    "DEEP_CONVNET_PRESETS",
    "DEFAULT_PRESET",
    "DeepConvNet",
    "build_deep_convnet",
    "compile_deep_convnet",
]
