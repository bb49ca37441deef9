"""VAE-GNN for DREAMER: a 3-D convolutional VAE on the electrode grid + per-band graph convs.

Inputs (per example; the DREAMER ``graph`` builder writes exactly these):

- ``eeg_grid``: float32 (n_times, n_rows, n_cols) = (1280, 9, 9), the 14 channels placed on
  the 9x9 10-20 grid over the last 1280 samples (10 s at 128 Hz), zeros elsewhere. The model
  adds a channel axis and runs channels-last ``Conv3D`` over (time, row, column).
- ``node_features``: float32 (n_bands, n_nodes, n_node_feats) = (5, 14, 10), per band
  (delta..gamma) DE of each 1 s sub-window, per electrode.
- ``adjacency``: float32 (n_bands, n_nodes, n_nodes) = (5, 14, 14), per band mutual-information
  adjacency, ALREADY normalised by :func:`amigos_emo.signal.graph.normalize_adjacency`.

Architecture:

1. VAE: three ``Conv3D`` (ReLU) blocks with ``vae_filters`` [16, 32, 64] that stride over time
   by ``time_strides`` [4, 4, 4] and over the grid by ``spatial_stride`` [3] in the last block
   -> flatten -> Dense mean and log-variance (``latent_dim`` [128]) -> reparameterised ``z``
   (:class:`GaussianSampling`; ``z = mean`` at inference) -> Dense -> three ``Conv3DTranspose``
   back to the (n_times, n_rows, n_cols) grid (linear).
2. Graph branch: for each band its own stack of ``n_gcn_layers`` [2] :class:`GraphConv`
   (``gcn_units`` [32], ReLU) in batch mode on that band's adjacency, flattened to one band
   embedding; a GRU (``gru_units`` [128]) runs over the 5 band embeddings (delta -> gamma).
3. Fusion [GRU output || z] (128 + 128 = 256) -> dropout -> two sigmoid heads ``valence`` and
   ``arousal`` (float32).

The six 3-D convolutions are :class:`~.vae_gnn_layers.Conv3D` and
:class:`~.vae_gnn_layers.Conv3DTranspose`: Keras's layers (same arguments, kernels, weight
paths in saved files, so older ``.keras`` files load unchanged) computed as one 2-D
convolution (or one matrix product) per layer after moving the time stride into the channels,
the gradients of TensorFlow's CPU ``Conv3D`` kernels being the slowest part of the training
step (see that module for the form and the numbers).

Training loss (:meth:`VAEGNN.compute_loss`), with defaults:

``beta_focal [1.0] * (focal(valence) + focal(arousal))
+ beta_triplet [0.1] * triplet_center(fusion, 2 * arousal + valence)
+ beta_vae [1.0] * (MSE(grid, reconstruction) + kl_weight [1e-3] * KL)``

where focal is :class:`BinaryFocalLoss` (alpha 0.25, gamma 2), triplet-center is
:class:`TripletCenterLoss` (margin 1.0) with LEARNABLE centers for the 4 valence/arousal
quadrants, held by the model. Sample weights, when given, weight every term per example.
``fit`` and ``evaluate`` also log the weighted terms as ``focal_loss``, ``triplet_loss`` and
``vae_loss``.

How the auxiliary tensors reach the loss: the model is a functional ``keras.Model`` whose
outputs are only ``valence`` and ``arousal``; a second functional view over the same layers
(``self._full_graph``, not tracked, so no weight is duplicated) also returns the fusion vector,
the reconstruction and the posterior. The decoder is not on the path from the inputs to the
heads, so the functional graph alone would not hold it: its layers are tracked explicitly
(``self.decoder_layers``), so that its weights are in ``trainable_variables`` (and trained by
the reconstruction loss), in ``count_params()`` and in saved ``.keras`` / ``.weights.h5`` files.

Files saved before the decoder was tracked still load completely: Keras wrote the decoder's
(never trained) weights under ``_full_graph/`` then, and reads them back from there. Such a file
logs a warning that its decoder was never trained (predictions do not depend on the decoder);
fine-tuning trains it, and saving again writes the current layout (``decoder_layers/``).
"""

from __future__ import annotations

import math

import keras
from keras import ops

from amigos_emo._checks import check_int, check_int_list, check_positive
from amigos_emo._logging import logger
from amigos_emo.models.vae_gnn.vae_gnn_layers import (
    Conv3D,
    Conv3DTranspose,
    GaussianSampling,
    GraphConv,
    TripletCenterLoss,
)
from amigos_emo.models.vae_gnn.vae_gnn_losses import BinaryFocalLoss, vae_loss_per_example
from amigos_emo.models.vae_gnn.vae_gnn_presets import DEFAULT_PRESET, VAE_GNN_PRESETS

OUTPUT_NAMES = ("valence", "arousal")
INPUT_NAMES = ("eeg_grid", "node_features", "adjacency")
_AUX_NAMES = ("fusion", "reconstruction", "z_mean", "z_log_var")


@keras.saving.register_keras_serializable(package="amigos_emo")
class BandSlice(keras.layers.Layer):
    """Select band ``band`` along axis 1: (batch, n_bands, ...) -> (batch, ...)."""

    def __init__(self, band, **kwargs):
        super().__init__(**kwargs)
        self.band = check_int(band, "band", minimum=0)

    def call(self, inputs):
        return inputs[:, self.band]

    def compute_output_shape(self, input_shape):
        return (input_shape[0], *input_shape[2:])

    def get_config(self):
        return {**super().get_config(), "band": self.band}


@keras.saving.register_keras_serializable(package="amigos_emo")
class VAEGNN(keras.Model):
    """VAE-GNN binary valence/arousal classifier with its composite training loss.

    Args:
        n_times, n_rows, n_cols: the ``eeg_grid`` shape (1280, 9, 9 for DREAMER).
        n_bands, n_nodes, n_node_feats: the ``node_features`` shape (5, 14, 10).
        vae_filters: filters of the three Conv3D blocks (the decoder mirrors them).
        time_strides: time strides of the three blocks; their product must divide ``n_times``.
        spatial_stride: grid stride of the last block; must divide ``n_rows`` and ``n_cols``.
        latent_dim: VAE latent size.
        gcn_units: features per node of every graph convolution.
        n_gcn_layers: graph convolutions per band.
        gru_units: GRU units over the band sequence.
        dropout: dropout before the heads.
        beta_focal, beta_triplet, beta_vae: weights of the three loss terms.
        kl_weight: weight of the KL divergence inside the VAE term.
        focal_alpha, focal_gamma: focal-loss parameters.
        triplet_margin: triplet-center margin.
        **kwargs: forwarded to :class:`keras.Model`.

    Outputs (dict):
        ``valence``, ``arousal``: float32 (batch, 1) probabilities of "high".

    Attributes:
        xla_on_cpu: ``False``: do not compile this model with XLA on a CPU-only host. XLA's CPU
            ``Conv3D`` / ``Conv3DTranspose`` kernels are 29-108x slower than TensorFlow's own
            (a DREAMER-size train step: about 1.5 s without XLA, 132 s with it, after a 184 s
            compilation); a runner choosing ``jit_compile`` automatically can read this.
    """

    xla_on_cpu = False

    def __init__(
        self,
        n_times=1280,
        n_rows=9,
        n_cols=9,
        n_bands=5,
        n_nodes=14,
        n_node_feats=10,
        vae_filters=(16, 32, 64),
        time_strides=(4, 4, 4),
        spatial_stride=3,
        latent_dim=128,
        gcn_units=32,
        n_gcn_layers=2,
        gru_units=128,
        dropout=0.3,
        beta_focal=1.0,
        beta_triplet=0.1,
        beta_vae=1.0,
        kl_weight=1e-3,
        focal_alpha=0.25,
        focal_gamma=2.0,
        triplet_margin=1.0,
        **kwargs,
    ):
        for name, value in (
            ("n_times", n_times),
            ("n_rows", n_rows),
            ("n_cols", n_cols),
            ("n_bands", n_bands),
            ("n_nodes", n_nodes),
            ("n_node_feats", n_node_feats),
            ("spatial_stride", spatial_stride),
            ("latent_dim", latent_dim),
            ("gcn_units", gcn_units),
            ("n_gcn_layers", n_gcn_layers),
            ("gru_units", gru_units),
        ):
            check_int(value, name)
        vae_filters = check_int_list(vae_filters, "vae_filters", 3)
        time_strides = check_int_list(time_strides, "time_strides", 3)
        for name, value in (
            ("beta_focal", beta_focal),
            ("beta_triplet", beta_triplet),
            ("beta_vae", beta_vae),
            ("kl_weight", kl_weight),
            ("focal_gamma", focal_gamma),
            ("triplet_margin", triplet_margin),
        ):
            check_positive(value, name, allow_zero=True)
        check_positive(dropout, "dropout", allow_zero=True)
        if dropout >= 1:
            raise ValueError(f"dropout must be in [0, 1). Received: dropout={dropout}")
        if not 0 <= focal_alpha <= 1:
            raise ValueError(f"focal_alpha must be in [0, 1]. Received: focal_alpha={focal_alpha}")
        if n_times % math.prod(time_strides):
            raise ValueError(
                f"The product of time_strides must divide n_times. Received: n_times={n_times}, "
                f"time_strides={time_strides}"
            )
        if n_rows % spatial_stride or n_cols % spatial_stride:
            raise ValueError(
                f"spatial_stride must divide the grid size. Received: spatial_stride={spatial_stride}, "
                f"grid {n_rows}x{n_cols}"
            )
        kernels = [(8, 3, 3), (8, 3, 3), (4, 3, 3)]
        block_strides = [
            (time_strides[0], 1, 1),
            (time_strides[1], 1, 1),
            (time_strides[2], spatial_stride, spatial_stride),
        ]
        code_shape = (
            n_times // math.prod(time_strides),
            n_rows // spatial_stride,
            n_cols // spatial_stride,
            vae_filters[2],
        )

        # === Layers ===
        add_grid_channel = keras.layers.Reshape((n_times, n_rows, n_cols, 1), name="grid_channel")
        encoder = [
            Conv3D(f, k, strides=s, padding="same", activation="relu", name=f"encoder_conv{i}")
            for i, (f, k, s) in enumerate(
                zip(vae_filters, kernels, block_strides, strict=True), start=1
            )
        ]
        flatten = keras.layers.Flatten(name="encoder_flatten")
        z_mean_layer = keras.layers.Dense(latent_dim, dtype="float32", name="z_mean")
        z_log_var_layer = keras.layers.Dense(latent_dim, dtype="float32", name="z_log_var")
        sampling = GaussianSampling(dtype="float32", name="z")
        decoder_dense = keras.layers.Dense(
            math.prod(code_shape), activation="relu", name="decoder_dense"
        )
        decoder_reshape = keras.layers.Reshape(code_shape, name="decoder_reshape")
        decoder = [
            Conv3DTranspose(
                vae_filters[1],
                kernels[2],
                strides=block_strides[2],
                padding="same",
                activation="relu",
                name="decoder_deconv1",
            ),
            Conv3DTranspose(
                vae_filters[0],
                kernels[1],
                strides=block_strides[1],
                padding="same",
                activation="relu",
                name="decoder_deconv2",
            ),
            Conv3DTranspose(
                1,
                kernels[0],
                strides=block_strides[0],
                padding="same",
                dtype="float32",
                name="decoder_deconv3",
            ),
        ]
        remove_grid_channel = keras.layers.Reshape(
            (n_times, n_rows, n_cols), dtype="float32", name="reconstruction"
        )
        node_slices = [BandSlice(b, name=f"band{b}_nodes") for b in range(n_bands)]
        adjacency_slices = [BandSlice(b, name=f"band{b}_adjacency") for b in range(n_bands)]
        graph_convs = [
            [
                GraphConv(gcn_units, activation="relu", name=f"band{b}_gcn{layer}")
                for layer in range(1, n_gcn_layers + 1)
            ]
            for b in range(n_bands)
        ]
        band_embeddings = [
            keras.layers.Reshape((1, n_nodes * gcn_units), name=f"band{b}_embedding")
            for b in range(n_bands)
        ]
        band_sequence = keras.layers.Concatenate(axis=1, name="band_sequence")
        band_gru = keras.layers.GRU(gru_units, name="band_gru")
        fusion = keras.layers.Concatenate(name="fusion", dtype="float32")
        head_dropout = keras.layers.Dropout(dropout, name="head_dropout")
        heads = {
            name: keras.layers.Dense(1, activation="sigmoid", dtype="float32", name=name)
            for name in OUTPUT_NAMES
        }

        # === Functional Model ===
        inputs = {
            "eeg_grid": keras.Input((n_times, n_rows, n_cols), name="eeg_grid"),
            "node_features": keras.Input((n_bands, n_nodes, n_node_feats), name="node_features"),
            "adjacency": keras.Input((n_bands, n_nodes, n_nodes), name="adjacency"),
        }
        h = add_grid_channel(inputs["eeg_grid"])
        for layer in encoder:
            h = layer(h)
        h = flatten(h)
        z_mean, z_log_var = z_mean_layer(h), z_log_var_layer(h)
        z = sampling([z_mean, z_log_var])
        r = decoder_reshape(decoder_dense(z))
        for layer in decoder:
            r = layer(r)
        reconstruction = remove_grid_channel(r)
        embeddings = []
        for b in range(n_bands):
            x_band = node_slices[b](inputs["node_features"])
            a_band = adjacency_slices[b](inputs["adjacency"])
            for gcn in graph_convs[b]:
                x_band = gcn([x_band, a_band])
            embeddings.append(band_embeddings[b](x_band))
        fused = fusion([band_gru(band_sequence(embeddings)), z])
        dropped = head_dropout(fused)
        outputs = {name: heads[name](dropped) for name in OUTPUT_NAMES}
        super().__init__(inputs=inputs, outputs=outputs, **kwargs)
        full_outputs = {
            **outputs,
            "fusion": fused,
            "reconstruction": reconstruction,
            "z_mean": z_mean,
            "z_log_var": z_log_var,
        }
        # The decoder is not on the path to the heads, so the functional graph above does not
        # hold it: track its layers here so that their weights are trained, counted and saved.
        self.decoder_layers = [decoder_dense, decoder_reshape, *decoder, remove_grid_channel]
        # Not tracked: it shares every layer (and weight) with this model.
        object.__setattr__(
            self, "_full_graph", keras.Model(inputs, full_outputs, name=f"{self.name}_full")
        )
        object.__setattr__(self, "_aux", None)
        self.triplet_center = TripletCenterLoss(
            4, margin=triplet_margin, dtype="float32", name="triplet_center"
        )
        self.triplet_center.build((None, gru_units + latent_dim))
        self.focal_loss = BinaryFocalLoss(alpha=focal_alpha, gamma=focal_gamma, reduction=None)
        # Running means of the weighted loss terms, logged by fit/evaluate as focal_loss,
        # triplet_loss and vae_loss next to the total loss.
        self.term_trackers = {
            term: keras.metrics.Mean(name=f"{term}_loss") for term in ("focal", "triplet", "vae")
        }

        # === Config ===
        self.n_times = n_times
        self.n_rows = n_rows
        self.n_cols = n_cols
        self.n_bands = n_bands
        self.n_nodes = n_nodes
        self.n_node_feats = n_node_feats
        self.vae_filters = vae_filters
        self.time_strides = time_strides
        self.spatial_stride = spatial_stride
        self.latent_dim = latent_dim
        self.gcn_units = gcn_units
        self.n_gcn_layers = n_gcn_layers
        self.gru_units = gru_units
        self.dropout = dropout
        self.beta_focal = beta_focal
        self.beta_triplet = beta_triplet
        self.beta_vae = beta_vae
        self.kl_weight = kl_weight
        self.focal_alpha = focal_alpha
        self.focal_gamma = focal_gamma
        self.triplet_margin = triplet_margin

    def load_own_variables(self, store):
        """Load this model's own variables; warn when ``store`` predates the tracked decoder.

        Keras loads the tracked sublayers after this call, skipping a container the file lacks;
        an old-layout file (no ``decoder_layers`` group) then gets its decoder weights from
        the ``_full_graph/`` group, where Keras saved them before the decoder was tracked.
        """
        has_path = getattr(store, "has_path", None)
        if callable(has_path) and not has_path("decoder_layers"):
            logger.warning(
                "This VAE-GNN file was saved before its decoder was tracked: the decoder weights "
                "in it were never trained (the reconstruction loss only moved the encoder). They "
                "are loaded as saved and predictions do not depend on them; fine-tune to train "
                "the decoder, and save again to write the current layout."
            )
        super().load_own_variables(store)

    def call(self, inputs, training=None, mask=None):
        outputs = self._full_graph(inputs, training=training)
        heads = {name: outputs[name] for name in OUTPUT_NAMES}
        # Remember this pass's auxiliary tensors, keyed by the very dict handed back, so that
        # compute_loss only reuses them for the y_pred this pass produced.
        object.__setattr__(self, "_aux", (heads, {name: outputs[name] for name in _AUX_NAMES}))
        return heads

    def loss_terms(self, x, y, sample_weight=None, training=True, aux=None):
        """The three weighted loss terms for inputs ``x`` and targets ``y`` (scalars, float32).

        Args:
            x: the input dict.
            y: dict with ``valence`` and ``arousal`` 0/1 targets, each (batch,) or (batch, 1).
            sample_weight: optional (batch,) weights.
            training: forward mode (sampling and dropout on when ``True``).
            aux: the outputs of a forward pass (``self._full_graph``) to reuse; ``None`` runs one.

        Returns:
            dict ``focal``, ``triplet``, ``vae`` (already multiplied by their betas).
        """
        if aux is None:
            aux = self._full_graph(x, training=training)
        targets = {
            name: ops.reshape(ops.cast(y[name], "float32"), (-1, 1)) for name in OUTPUT_NAMES
        }
        weights = (
            None
            if sample_weight is None
            else ops.reshape(ops.cast(sample_weight, "float32"), (-1,))
        )

        def weighted_mean(per_example):
            if weights is None:
                return ops.mean(per_example)
            return ops.sum(per_example * weights) / ops.maximum(ops.sum(weights), 1e-12)

        focal = sum(
            weighted_mean(ops.reshape(self.focal_loss(targets[name], aux[name]), (-1,)))
            for name in OUTPUT_NAMES
        )
        quadrant = ops.cast(2.0 * targets["arousal"][:, 0] + targets["valence"][:, 0], "int32")
        triplet = weighted_mean(self.triplet_center(aux["fusion"], quadrant))
        vae = weighted_mean(
            vae_loss_per_example(
                x["eeg_grid"],
                aux["reconstruction"],
                aux["z_mean"],
                aux["z_log_var"],
                kl_weight=self.kl_weight,
            )
        )
        return {
            "focal": self.beta_focal * focal,
            "triplet": self.beta_triplet * triplet,
            "vae": self.beta_vae * vae,
        }

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """``beta_focal * focal + beta_triplet * triplet-center + beta_vae * VAE`` (+ any
        regularisation losses); reuses the auxiliary tensors of the forward pass that produced
        ``y_pred`` (a fresh forward pass when ``y_pred`` did not come from this model's last
        call)."""
        aux = None
        if self._aux is not None and isinstance(y_pred, dict):
            heads, stashed = self._aux
            # The same head tensors (e.g. also when a wrapper model passes them through).
            if all(y_pred.get(name) is heads[name] for name in OUTPUT_NAMES):
                aux = {**stashed, **heads}
        terms = self.loss_terms(x, y, sample_weight=sample_weight, training=training, aux=aux)
        for term, value in terms.items():
            self.term_trackers[term].update_state(value)
        total = terms["focal"] + terms["triplet"] + terms["vae"]
        for extra in self.losses:
            total = total + ops.cast(extra, "float32")
        return total

    def get_config(self):
        return {
            "name": self.name,
            "trainable": self.trainable,
            "n_times": self.n_times,
            "n_rows": self.n_rows,
            "n_cols": self.n_cols,
            "n_bands": self.n_bands,
            "n_nodes": self.n_nodes,
            "n_node_feats": self.n_node_feats,
            "vae_filters": list(self.vae_filters),
            "time_strides": list(self.time_strides),
            "spatial_stride": self.spatial_stride,
            "latent_dim": self.latent_dim,
            "gcn_units": self.gcn_units,
            "n_gcn_layers": self.n_gcn_layers,
            "gru_units": self.gru_units,
            "dropout": self.dropout,
            "beta_focal": self.beta_focal,
            "beta_triplet": self.beta_triplet,
            "beta_vae": self.beta_vae,
            "kl_weight": self.kl_weight,
            "focal_alpha": self.focal_alpha,
            "focal_gamma": self.focal_gamma,
            "triplet_margin": self.triplet_margin,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)


# --- registry entry points: build_vae_gnn, compile_vae_gnn ---
# Training defaults: Adam (learning rate 1e-3) with gradient clipping (``clipnorm=1.0``); the loss
# is the model's own composite loss (:meth:`VAEGNN.compute_loss`), so ``compile`` passes no
# ``loss``; metrics per head: binary accuracy and AUC. Targets: ``valence`` and ``arousal`` as 0/1
# float32, shape (batch,) or (batch, 1).


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


def build_vae_gnn(input_shapes, n_outputs=None, preset=None, **overrides):
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


def compile_vae_gnn(
    model, *, steps_per_epoch=100, epochs=10, jit_compile=False, learning_rate=1e-3, clipnorm=1.0
):
    """Compile ``model`` with Adam, gradient clipping and per-head metrics (in place).

    Args:
        model: a model from :func:`build_vae_gnn`.
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
