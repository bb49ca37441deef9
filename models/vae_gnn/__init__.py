"""VAE-GNN (``vae_gnn``): 3-D conv VAE on the electrode grid + per-band graph convs (DREAMER).

Inputs ``eeg_grid`` (1280, 9, 9), ``node_features`` (5, 14, n_node_feats), ``adjacency``
(5, 14, 14) (normalised outside the model by
:func:`amigos_emo.signal.graph.normalize_adjacency`); outputs ``valence`` and ``arousal``
(sigmoid, task ``"binary"``). The composite loss (focal + triplet-center + VAE) is the model's
own ``compute_loss``; see :mod:`.vae_gnn_backbone` (the architecture and the registry entry points
:func:`build_vae_gnn` / :func:`compile_vae_gnn`).
"""

from amigos_emo.models.registry import register_model
from amigos_emo.models.vae_gnn.vae_gnn_backbone import (
    VAEGNN,
    BandSlice,
    build_vae_gnn,
    compile_vae_gnn,
)
from amigos_emo.models.vae_gnn.vae_gnn_layers import (
    Conv3D,
    Conv3DTranspose,
    GaussianSampling,
    GraphConv,
    TripletCenterLoss,
)
from amigos_emo.models.vae_gnn.vae_gnn_losses import BinaryFocalLoss, vae_loss_per_example
from amigos_emo.models.vae_gnn.vae_gnn_presets import VAE_GNN_PRESETS

register_model(
    "vae_gnn",
    build=build_vae_gnn,
    compile=compile_vae_gnn,
    inputs=("eeg_grid", "node_features", "adjacency"),
    outputs=("valence", "arousal"),
    task="binary",
    presets=VAE_GNN_PRESETS,
    description="VAE-GNN: 3-D conv VAE on the EEG grid + per-band graph convs and a GRU (DREAMER).",
)

__all__ = [
    "BandSlice",
    "BinaryFocalLoss",
    "Conv3D",
    "Conv3DTranspose",
    "GaussianSampling",
    "GraphConv",
    "TripletCenterLoss",
    "VAEGNN",
    "VAE_GNN_PRESETS",
    "build_vae_gnn",
    "compile_vae_gnn",
    "vae_loss_per_example",
]
