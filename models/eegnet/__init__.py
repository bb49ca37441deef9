"""EEGNet (``eegnet``): compact depthwise/separable CNN on raw EEG windows (Lawhern et al. 2018).

Registered as ``"eegnet"`` (task ``"classification"``, input ``eeg`` ``(n_times, n_chans)``,
one-hot ``label``). See :mod:`.eegnet_backbone`.
"""

from amigos_emo.models.eegnet.eegnet_backbone import (
    INPUT_NAMES,
    OUTPUT_NAMES,
    EEGNet,
    build_eegnet,
    compile_eegnet,
)
from amigos_emo.models.eegnet.eegnet_presets import DEFAULT_PRESET, EEGNET_PRESETS
from amigos_emo.models.registry import register_model

register_model(
    "eegnet",
    build=build_eegnet,
    compile=compile_eegnet,
    inputs=INPUT_NAMES,
    outputs=OUTPUT_NAMES,
    task="classification",
    signal_aware=True,
    presets=EEGNET_PRESETS,
    description="EEGNet-8,2 (Lawhern 2018): temporal, depthwise-spatial and separable convs on raw EEG.",
)

__all__ = ["DEFAULT_PRESET", "EEGNET_PRESETS", "EEGNet", "build_eegnet", "compile_eegnet"]
