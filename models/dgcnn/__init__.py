"""DGCNN (``dgcnn``): Chebyshev graph convolution over a learned electrode graph, on DE features
(Song et al. 2018).

Registered as ``"dgcnn"`` (task ``"classification"``, input ``de`` ``(n_steps, n_chans *
n_bands)``, one-hot ``label``). See :mod:`.dgcnn_backbone` for what it consumes and how.
"""

from amigos_emo.models.dgcnn.dgcnn_backbone import (
    DGCNN,
    INPUT_NAMES,
    OUTPUT_NAMES,
    build_dgcnn,
    compile_dgcnn,
)
from amigos_emo.models.dgcnn.dgcnn_layers import (
    DynamicGraphConv,
    chebyshev_basis,
    normalized_adjacency,
)
from amigos_emo.models.dgcnn.dgcnn_presets import DEFAULT_PRESET, DGCNN_PRESETS
from amigos_emo.models.registry import register_model

register_model(
    "dgcnn",
    build=build_dgcnn,
    compile=compile_dgcnn,
    inputs=INPUT_NAMES,
    outputs=OUTPUT_NAMES,
    task="classification",
    presets=DGCNN_PRESETS,
    description="DGCNN (Song 2018): Chebyshev graph conv over a learned electrode adjacency, on DE.",
)

__all__ = [
    "DEFAULT_PRESET",
    "DGCNN",
    "DGCNN_PRESETS",
    "DynamicGraphConv",
    "build_dgcnn",
    "chebyshev_basis",
    "compile_dgcnn",
    "normalized_adjacency",
]
