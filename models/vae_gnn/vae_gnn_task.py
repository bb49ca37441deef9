"""Registry glue for VAE-GNN: ``build`` and ``compile``.

Training defaults: Adam (learning rate 1e-3) with gradient clipping (``clipnorm=1.0``); the loss
is the model's own composite loss (:meth:`VAEGNN.compute_loss`), so ``compile`` passes no
``loss``; metrics per head: binary accuracy and AUC. Targets: ``valence`` and ``arousal`` as 0/1
float32, shape (batch,) or (batch, 1).
"""

from __future__ import annotations

import keras

from amigos_emo.models.vae_gnn.vae_gnn_backbone import INPUT_NAMES, OUTPUT_NAMES, VAEGNN
from amigos_emo.models.vae_gnn.vae_gnn_presets import DEFAULT_PRESET, VAE_GNN_PRESETS


def _shape_params(input_shapes):
    missing = [name for name in INPUT_NAMES if name not in input_shapes]
    if missing:
        raise ValueError(
            "input_shapes must map eeg_grid -> (n_times, n_rows, n_cols), node_features -> "
            "(n_bands, n_nodes, n_node_feats) and adjacency -> (n_bands, n_nodes, n_nodes). "
            f"Missing: {missing}. Received: input_shapes={input_shapes!r}"
        )
    shapes = {name: tuple(int(s) for s in input_shapes[name]) for name in INPUT_NAMES}
    for name in INPUT_NAMES:
        if len(shapes[name]) != 3:
            raise ValueError(f"input_shapes[{name!r}] must have 3 axes. Received: {shapes[name]}")
    n_bands, n_nodes, n_node_feats = shapes["node_features"]
    if shapes["adjacency"] != (n_bands, n_nodes, n_nodes):
        raise ValueError(
            f"input_shapes['adjacency'] must be (n_bands, n_nodes, n_nodes) = "
            f"{(n_bands, n_nodes, n_nodes)} to match node_features {shapes['node_features']}. "
            f"Received: {shapes['adjacency']}"
        )
    n_times, n_rows, n_cols = shapes["eeg_grid"]
    return {
        "n_times": n_times,
        "n_rows": n_rows,
        "n_cols": n_cols,
        "n_bands": n_bands,
        "n_nodes": n_nodes,
        "n_node_feats": n_node_feats,
    }


def build(input_shapes, n_outputs=None, preset=None, **overrides):
    """Build an uncompiled :class:`VAEGNN` for ``input_shapes``.

    Args:
        input_shapes: ``{"eeg_grid": (n_times, 9, 9), "node_features": (n_bands, n_nodes,
            n_node_feats), "adjacency": (n_bands, n_nodes, n_nodes)}``, per example.
        n_outputs: must be ``None`` (two fixed binary heads).
        preset: a name in :data:`VAE_GNN_PRESETS`; ``None`` means ``"dreamer"``.
        **overrides: any :class:`VAEGNN` argument, applied over the preset.

    Returns:
        The uncompiled model (inputs ``eeg_grid``, ``node_features``, ``adjacency``; outputs
        ``valence``, ``arousal``).

    Raises:
        ValueError: unknown preset, ``n_outputs`` not ``None``, missing or inconsistent input
            shapes, or shape overrides that disagree with ``input_shapes``.
    """
    preset = DEFAULT_PRESET if preset is None else preset
    if preset not in VAE_GNN_PRESETS:
        known = ", ".join(sorted(VAE_GNN_PRESETS))
        raise ValueError(
            f"Unknown vae_gnn preset. Expected one of: {known}. Received: preset={preset!r}"
        )
    if n_outputs is not None:
        raise ValueError(
            "vae_gnn has two fixed binary heads (valence, arousal); leave n_outputs at None. "
            f"Received: n_outputs={n_outputs!r}"
        )
    data_params = _shape_params(input_shapes)
    for key, value in data_params.items():
        if key in overrides and overrides[key] != value:
            raise ValueError(
                f"{key} disagrees with input_shapes: expected {value}. Received: {key}={overrides[key]}"
            )
    return VAEGNN(**{**VAE_GNN_PRESETS[preset], **overrides, **data_params})


def compile(
    model, *, steps_per_epoch=100, epochs=10, jit_compile=False, learning_rate=1e-3, clipnorm=1.0
):
    """Compile ``model`` with Adam, gradient clipping and per-head metrics (in place).

    Args:
        model: a model from :func:`build`.
        steps_per_epoch, epochs: unused (registry contract; constant learning rate).
        jit_compile: compile the train step with XLA.
        learning_rate: Adam learning rate.
        clipnorm: gradient-norm clipping (``None`` disables it).
    """
    del steps_per_epoch, epochs
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=learning_rate, clipnorm=clipnorm),
        metrics={
            name: [keras.metrics.BinaryAccuracy(name="accuracy"), keras.metrics.AUC(name="auc")]
            for name in OUTPUT_NAMES
        },
        jit_compile=jit_compile,
    )
