"""ResAttentioNet (``res_attention_net``): 1-D ResNet-18 + attention pooling on DE sequences.

For the SEED family: input ``de`` (60, 310) = 60 one-second steps x (62 channels x 5 bands)
of differential-entropy features; output ``label`` (one-hot classes, softmax). See
:mod:`.res_attention_net_backbone` for the architecture, the registry entry points
:func:`build_res_attention_net` / :func:`compile_res_attention_net` with the training defaults,
and :func:`default_callbacks` (reduce-on-plateau), which the trainer adds to ``fit``.
"""

from amigos_emo.models.registry import register_model
from amigos_emo.models.res_attention_net.res_attention_net_backbone import (
    ResAttentioNet,
    build_res_attention_net,
    compile_res_attention_net,
    default_callbacks,
)
from amigos_emo.models.res_attention_net.res_attention_net_layers import AttentionPooling1D
from amigos_emo.models.res_attention_net.res_attention_net_presets import RES_ATTENTION_NET_PRESETS

register_model(
    "res_attention_net",
    build=build_res_attention_net,
    compile=compile_res_attention_net,
    inputs=("de",),
    outputs=("label",),
    task="classification",
    presets=RES_ATTENTION_NET_PRESETS,
    description="ResAttentioNet: 1-D ResNet-18 with attention pooling over SEED-family DE sequences.",
    callbacks=default_callbacks,
)

__all__ = [
    "AttentionPooling1D",
    "RES_ATTENTION_NET_PRESETS",
    "ResAttentioNet",
    "build_res_attention_net",
    "compile_res_attention_net",
    "default_callbacks",
]
