"""TSception (``tsception``): multi-scale temporal and hemispheric spatial convolutions on raw
EEG windows (Ding et al. 2022).

Registered as ``"tsception"`` (task ``"classification"``, input ``eeg`` ``(n_times, n_chans)``,
one-hot ``label``). See :mod:`.tsception_backbone`.
"""

from amigos_emo.models.registry import register_model
from amigos_emo.models.tsception.tsception_backbone import (
    INPUT_NAMES,
    OUTPUT_NAMES,
    TSception,
    build_tsception,
    compile_tsception,
)
from amigos_emo.models.tsception.tsception_layers import SelectChannels, hemisphere_order
from amigos_emo.models.tsception.tsception_presets import DEFAULT_PRESET, TSCEPTION_PRESETS

register_model(
    "tsception",
    build=build_tsception,
    compile=compile_tsception,
    inputs=INPUT_NAMES,
    outputs=OUTPUT_NAMES,
    task="classification",
    signal_aware=True,
    presets=TSCEPTION_PRESETS,
    description="TSception (Ding 2022): multi-scale temporal and hemisphere-asymmetric spatial convs.",
)

__all__ = [
    "DEFAULT_PRESET",
    "TSCEPTION_PRESETS",
    "SelectChannels",
    "TSception",
    "build_tsception",
    "compile_tsception",
    "hemisphere_order",
]
