"""GRU-XNet: per-channel spectrogram CNNs, cross-channel fusion, BiGRU and self-attention.

Input ``stft``: float32 (n_chans, n_frames, n_freqs), one log-magnitude STFT image per EEG
channel (``ln(1 + |Z|)``). The spectrograms are precomputed by the TFDS builders with
:func:`amigos_emo.signal.spectral.stft_spectrogram` (a design decision: the model holds no
FFT, so it stays float16/bfloat16-safe and XLA-friendly, and the STFT is paid once at
preparation time rather than every epoch).

Architecture (defaults in brackets):

1. One CNN per EEG channel, each with its own weights: three blocks of 3x3 convolution ->
   batch norm -> ReLU -> 2x2 max-pool (``"same"`` padding, so short spectrograms never shrink
   to zero), with ``cnn_filters`` [32, 64, 128] filters. Implemented as ONE grouped convolution
   over the channel-stacked tensor (groups = n_chans, :class:`GroupedConv2D`: a depthwise
   convolution in block 1, one convolution per channel slice in blocks 2 and 3, because
   TensorFlow's own grouped ``Conv2D`` has no CPU gradient outside XLA): channel ``c`` owns filters
   ``c * filters .. (c + 1) * filters - 1`` of every block (and their batch-norm statistics),
   so its features depend on channel ``c`` only (tested against one NumPy CNN per channel).
   For speed the batch norm trains through TensorFlow's fused kernel
   (:class:`~.gru_xnet_layers.BatchNormalization`, the same function and weights) and each block
   max-pools BEFORE its ReLU: ReLU is monotone, so ``relu(max(x)) == max(relu(x))``, values and
   gradients alike, on a quarter of the elements. In :meth:`GRUXNet.call` the blocks do not
   run as their layers: block 1 (the largest maps of the model, batch x n_frames x n_freqs x
   n_chans * 32) runs as :func:`~.gru_xnet_layers.fused_conv_block` (batch statistics from the
   input, the batch norm folded into the kernel, the max-pool as four stride-2 convolutions)
   and blocks 2 and 3 as :func:`~.gru_xnet_layers.grouped_conv_blocks` (each EEG channel's
   group through both blocks on its own, cache-sized maps), the same function from the same
   weights. The functional graph, which ``summary()``, sub-models and saved files see, keeps
   the layers (tested equal: outputs, gradients, moving statistics). Weight files of earlier
   versions (plain Keras batch norm, ReLU before pool) load unchanged.
2. Cross-channel fusion per time frame: the per-channel feature maps are averaged over the
   (pooled) frequency axis (``freq_pooling="mean"``; ``"flatten"`` keeps every frequency bin)
   and the resulting (n_chans * 128) vector of each frame goes through Dense(``fusion_units``
   [256], ReLU).
3. A ``n_gru_layers`` [2]-layer bidirectional GRU (``gru_units`` [128] per direction) over the
   ceil(n_frames / 8) frames.
4. ``n_heads`` [4]-head self-attention over the frames with a residual connection and layer
   normalisation.
5. Head: (2 * gru_units) -> Dense 256 -> Dense 128 (ReLU, dropout [0.5] after each) ->
   Dense n_outputs, softmax.

Variants:

- ``"standard"``: the attention output is averaged over time, then the head classifies it.
- ``"dynamic"``: the time axis is kept; the head classifies every frame (shared weights) and
  the per-frame class probabilities are averaged over frames into ``label``. The output
  contract (batch, n_outputs) is the same as ``"standard"``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping

import keras
from keras import ops

from amigos_emo._checks import check_count, check_option, check_rate, validate_type
from amigos_emo.models.gru_xnet.gru_xnet_layers import (
    BatchNormalization,
    GroupedConv2D,
    can_fuse_conv_block,
    can_fuse_grouped_blocks,
    fused_conv_block,
    grouped_conv_blocks,
)
from amigos_emo.models.gru_xnet.gru_xnet_presets import (
    DEFAULT_PRESET,
    DEPRECATED_PRESETS,
    GRU_XNET_PRESETS,
)
from amigos_emo.models.schedules import CosineDecay

VARIANTS = ("standard", "dynamic")
FREQ_POOLINGS = ("mean", "flatten")
INPUT_NAME = "stft"
OUTPUT_NAME = "label"
INPUT_NAMES = (INPUT_NAME,)
OUTPUT_NAMES = (OUTPUT_NAME,)
DEFAULT_N_OUTPUTS = 4
"""Classes when ``build_gru_xnet`` gets ``n_outputs=None`` (the 4 classes of the stft configs)."""
_SIGNAL_PARAMS = ("n_chans", "n_frames", "n_freqs")


def _check_widths(values, name, length=None):
    """A non-empty list of positive ints (``length`` of them when given), as a list."""
    validate_type(values, (list, tuple), name)
    if not values or (length is not None and len(values) != length):
        expected = f"{length} entries" if length is not None else "at least one entry"
        raise ValueError(f"{name} must have {expected}. Received: {name}={list(values)!r}")
    return [check_count(value, f"{name}[{index}]") for index, value in enumerate(values)]


def cnn_output_frames(n_frames, n_blocks=3):
    """Frames left after ``n_blocks`` 2x2 ``"same"`` max-pools: ``ceil(n_frames / 2**n_blocks)``."""
    for _ in range(n_blocks):
        n_frames = math.ceil(n_frames / 2)
    return n_frames


@keras.saving.register_keras_serializable(package="amigos_emo")
class GRUXNet(keras.Model):
    """GRU-XNet classifier on per-channel EEG spectrograms (functional model).

    Args:
        n_outputs: number of classes.
        n_chans: EEG channels (DEAP 32, GAMEEMO 14, SEED-IV 62).
        n_frames: STFT frames per example.
        n_freqs: STFT frequency bins per example.
        cnn_filters: filters of the three per-channel convolution blocks.
        fusion_units: width of the per-frame cross-channel fusion layer.
        freq_pooling: ``"mean"`` (average each channel's maps over frequency before fusion) or
            ``"flatten"`` (keep all pooled frequency bins).
        gru_units: GRU units per direction.
        n_gru_layers: stacked bidirectional GRU layers.
        n_heads: self-attention heads; must divide ``2 * gru_units``.
        head_units: widths of the hidden head layers.
        dropout: dropout rate after each hidden head layer.
        variant: ``"standard"`` or ``"dynamic"`` (see the module docstring).
        input_name: the input name, ``"stft"``.
        output_name: the output name, ``"label"``.
        **kwargs: forwarded to :class:`keras.Model`.

    Inputs (a dict keyed by ``input_name``):
        ``stft``: float32 (batch, n_chans, n_frames, n_freqs), log-magnitude spectrograms.

    Outputs (a dict keyed by ``output_name``):
        ``label``: float32 (batch, n_outputs) class probabilities (float32 under mixed
        precision too).
    """

    def __init__(
        self,
        n_outputs,
        n_chans,
        n_frames,
        n_freqs,
        cnn_filters=(32, 64, 128),
        fusion_units=256,
        freq_pooling="mean",
        gru_units=128,
        n_gru_layers=2,
        n_heads=4,
        head_units=(256, 128),
        dropout=0.5,
        variant="standard",
        input_name="stft",
        output_name="label",
        **kwargs,
    ):
        for name, value in (
            ("n_outputs", n_outputs),
            ("n_chans", n_chans),
            ("n_frames", n_frames),
            ("n_freqs", n_freqs),
            ("fusion_units", fusion_units),
            ("gru_units", gru_units),
            ("n_gru_layers", n_gru_layers),
            ("n_heads", n_heads),
        ):
            check_count(value, name)
        cnn_filters = _check_widths(cnn_filters, "cnn_filters", length=3)
        check_option(freq_pooling, FREQ_POOLINGS, "freq_pooling")
        head_units = _check_widths(head_units, "head_units")
        check_rate(dropout, "dropout")
        check_option(variant, VARIANTS, "variant")
        if (2 * gru_units) % n_heads:
            raise ValueError(
                "n_heads must divide the bidirectional GRU width 2 * gru_units. "
                f"Received: n_heads={n_heads}, gru_units={gru_units}"
            )

        # === Layers ===
        to_channels_last = keras.layers.Permute((2, 3, 1), name="channels_last")
        cnn_blocks = []
        for block, filters in enumerate(cnn_filters, start=1):
            cnn_blocks.append(
                [
                    GroupedConv2D(
                        n_chans * filters,
                        3,
                        groups=n_chans,
                        use_bias=False,
                        name=f"channel_cnn{block}_conv",
                    ),
                    BatchNormalization(name=f"channel_cnn{block}_bn"),
                    # Max-pool before ReLU: the same values and gradients (ReLU is monotone,
                    # so it commutes with max), on a quarter of the elements.
                    keras.layers.MaxPooling2D(2, padding="same", name=f"channel_cnn{block}_pool"),
                    keras.layers.ReLU(name=f"channel_cnn{block}_relu"),
                ]
            )
        n_frames_out = cnn_output_frames(n_frames, len(cnn_filters))
        n_freqs_out = cnn_output_frames(n_freqs, len(cnn_filters))
        if freq_pooling == "mean":
            frequency_pool = keras.layers.AveragePooling2D(
                pool_size=(1, n_freqs_out), name="frequency_mean"
            )
            frame_reshape = keras.layers.Reshape(
                (n_frames_out, n_chans * cnn_filters[-1]), name="frame_features"
            )
        else:
            frequency_pool = None
            frame_reshape = keras.layers.Reshape(
                (n_frames_out, n_freqs_out * n_chans * cnn_filters[-1]), name="frame_features"
            )
        fusion = keras.layers.Dense(fusion_units, activation="relu", name="channel_fusion")
        grus = [
            keras.layers.Bidirectional(
                keras.layers.GRU(gru_units, return_sequences=True, name=f"gru{layer}"),
                name=f"bigru{layer}",
            )
            for layer in range(1, n_gru_layers + 1)
        ]
        attention = keras.layers.MultiHeadAttention(
            num_heads=n_heads, key_dim=(2 * gru_units) // n_heads, name="self_attention"
        )
        attention_add = keras.layers.Add(name="attention_residual")
        attention_norm = keras.layers.LayerNormalization(name="attention_norm")
        time_pool = keras.layers.GlobalAveragePooling1D(name="time_pool")
        head = []
        for index, units in enumerate(head_units, start=1):
            head.append(keras.layers.Dense(units, activation="relu", name=f"head_dense{index}"))
            head.append(keras.layers.Dropout(dropout, name=f"head_dropout{index}"))
        if variant == "standard":
            classifier = keras.layers.Dense(
                n_outputs, activation="softmax", dtype="float32", name=output_name
            )
        else:
            classifier = keras.layers.Dense(
                n_outputs, activation="softmax", dtype="float32", name="frame_probabilities"
            )
            frame_average = keras.layers.GlobalAveragePooling1D(dtype="float32", name=output_name)

        # === Functional Model ===
        layers = [to_channels_last, *(layer for block in cnn_blocks for layer in block)]
        layers += [frequency_pool, frame_reshape, fusion, *grus, attention, attention_add]
        layers += [attention_norm, time_pool, *head, classifier]
        layers += [frame_average] if variant == "dynamic" else []
        wiring = _Wiring(
            {layer.name: layer for layer in layers if layer is not None},
            n_blocks=len(cnn_blocks),
            n_gru_layers=n_gru_layers,
            n_head_layers=len(head_units),
            freq_pooling=freq_pooling,
            variant=variant,
            output_name=output_name,
        )
        inputs = {input_name: keras.Input(shape=(n_chans, n_frames, n_freqs), name=input_name)}
        outputs = {output_name: wiring.forward(inputs[input_name])}
        super().__init__(inputs=inputs, outputs=outputs, **kwargs)

        # === Config ===
        self.n_outputs = n_outputs
        self.n_chans = n_chans
        self.n_frames = n_frames
        self.n_freqs = n_freqs
        self.cnn_filters = cnn_filters
        self.fusion_units = fusion_units
        self.freq_pooling = freq_pooling
        self.gru_units = gru_units
        self.n_gru_layers = n_gru_layers
        self.n_heads = n_heads
        self.head_units = head_units
        self.dropout = dropout
        self.variant = variant
        self.input_name = input_name
        self.output_name = output_name

    def get_config(self):
        return {
            "name": self.name,
            "trainable": self.trainable,
            "n_outputs": self.n_outputs,
            "n_chans": self.n_chans,
            "n_frames": self.n_frames,
            "n_freqs": self.n_freqs,
            "cnn_filters": list(self.cnn_filters),
            "fusion_units": self.fusion_units,
            "freq_pooling": self.freq_pooling,
            "gru_units": self.gru_units,
            "n_gru_layers": self.n_gru_layers,
            "n_heads": self.n_heads,
            "head_units": list(self.head_units),
            "dropout": self.dropout,
            "variant": self.variant,
            "input_name": self.input_name,
            "output_name": self.output_name,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def call(self, inputs, training=None, mask=None):
        """The functional graph's computation, with the CNN blocks fused when they can be.

        The layers, their wiring and their weights are those of the graph (it is what
        ``summary()``, ``get_layer(...).output`` sub-models and saved files see); only the CNN
        runs differently: block 1 as :func:`~.gru_xnet_layers.fused_conv_block` when
        :func:`~.gru_xnet_layers.can_fuse_conv_block` says so, then blocks 2 and 3 as
        :func:`~.gru_xnet_layers.grouped_conv_blocks` when
        :func:`~.gru_xnet_layers.can_fuse_grouped_blocks` says so (float32 with the TensorFlow
        backend; anything else runs the graph as built). Same function, same weights (tested
        against the graph). Training step (DEAP shapes, batch 32, Adam, 2 threads, no XLA),
        interleaved A/B in one process: block 1 fused 1.32x the graph; blocks 2 and 3 group by
        group on top of it a further 1.16x (per-round 1.13-1.31x, load average 6-7).
        """
        stft = inputs[self.input_name] if isinstance(inputs, Mapping) else inputs
        stft = ops.convert_to_tensor(stft, dtype=self.inputs[0].dtype)
        layers = {layer.name: layer for layer in self.layers}
        blocks = [
            [layers[f"channel_cnn{block}_{part}"] for part in _BLOCK_PARTS]
            for block in range(1, len(self.cnn_filters) + 1)
        ]
        if not can_fuse_conv_block(*blocks[0], _channels_last_spec(stft)):
            return super().call(inputs, training=training, mask=mask)
        # Block 1's output shape: ceil(n_frames / 2), ceil(n_freqs / 2), its filters.
        after_first = keras.KerasTensor(
            (None, -(-self.n_frames // 2), -(-self.n_freqs // 2), blocks[0][0].filters)
        )
        group_by_group = can_fuse_grouped_blocks(blocks[1:], after_first)
        wiring = _Wiring(
            layers,
            n_blocks=len(self.cnn_filters),
            n_gru_layers=self.n_gru_layers,
            n_head_layers=len(self.head_units),
            freq_pooling=self.freq_pooling,
            variant=self.variant,
            output_name=self.output_name,
        )

        def cnn(x, blocks):
            conv, norm, pool, relu = blocks[0]
            x = fused_conv_block(x, conv, norm, training=bool(training) and norm.trainable)
            if group_by_group:
                return grouped_conv_blocks(x, blocks[1:], training=training)
            for layer in (layer for block in blocks[1:] for layer in block):
                x = layer(x)
            return x

        return {self.output_name: wiring.forward(stft, cnn=cnn)}


_BLOCK_PARTS = ("conv", "bn", "pool", "relu")


def _channels_last_spec(stft):
    """A stand-in with the shape and dtype of ``Permute((2, 3, 1))(stft)``."""
    shape = tuple(stft.shape)
    return keras.KerasTensor((shape[0], shape[2], shape[3], shape[1]), dtype=stft.dtype)


class _Wiring:
    """GRU-XNet's layer wiring, written once for the functional graph and for ``call``.

    Args:
        layers: ``layers[name]`` -> the layer of that name.
        n_blocks, n_gru_layers, n_head_layers, freq_pooling, variant, output_name: as in
            :class:`GRUXNet`.
    """

    def __init__(
        self, layers, *, n_blocks, n_gru_layers, n_head_layers, freq_pooling, variant, output_name
    ):
        self.layers = layers
        self.n_blocks = n_blocks
        self.n_gru_layers = n_gru_layers
        self.n_head_layers = n_head_layers
        self.freq_pooling = freq_pooling
        self.variant = variant
        self.output_name = output_name

    def forward(self, stft, cnn=None):
        """``label`` from ``stft`` (batch, n_chans, n_frames, n_freqs).

        ``cnn(x, blocks)``, when given, computes the CNN blocks (``blocks``: a list of
        ``[conv, norm, pool, relu]`` layers per block) in place of calling their layers in turn.
        """
        get = self.layers.__getitem__
        x = get("channels_last")(stft)  # (batch, n_frames, n_freqs, n_chans)
        blocks = [
            [get(f"channel_cnn{block}_{part}") for part in _BLOCK_PARTS]
            for block in range(1, self.n_blocks + 1)
        ]
        if cnn is not None:
            x = cnn(x, blocks)
        else:
            for layer in (layer for block in blocks for layer in block):
                x = layer(x)
        if self.freq_pooling == "mean":
            x = get("frequency_mean")(x)
        x = get("channel_fusion")(get("frame_features")(x))
        for layer in range(1, self.n_gru_layers + 1):
            x = get(f"bigru{layer}")(x)
        x = get("attention_norm")(get("attention_residual")([x, get("self_attention")(x, x)]))
        if self.variant == "standard":
            x = get("time_pool")(x)
        for index in range(1, self.n_head_layers + 1):
            x = get(f"head_dropout{index}")(get(f"head_dense{index}")(x))
        if self.variant == "standard":
            return get(self.output_name)(x)
        return get(self.output_name)(get("frame_probabilities")(x))


# === Registry glue ===


def build_gru_xnet(input_shapes, n_outputs=None, preset=None, **overrides):
    """Registry ``build``: an uncompiled :class:`GRUXNet` for ``input_shapes``.

    Args:
        input_shapes: ``{"stft": (n_chans, n_frames, n_freqs)}``, per example, no batch axis
            (extra keys ignored). The signal shape always comes from here.
        n_outputs: number of classes; ``None`` means :data:`DEFAULT_N_OUTPUTS` (4).
        preset: an architecture size in :data:`GRU_XNET_PRESETS` (``"standard"`` or
            ``"tiny"``); ``None`` means ``"standard"``. The corpus names ``"deap"``,
            ``"gameemo"`` and ``"seed_iv"`` are deprecated aliases of ``"standard"``.
        **overrides: any :class:`GRUXNet` argument, applied over the preset (e.g.
            ``variant="dynamic"``).

    Returns:
        The uncompiled model (input ``stft``, output ``label`` (batch, n_outputs)).

    Raises:
        ValueError: unknown preset, a missing or non 3-D ``stft`` shape, or ``n_chans``/
            ``n_frames``/``n_freqs`` overrides that disagree with ``input_shapes``.
    """
    preset = DEFAULT_PRESET if preset is None else preset
    check_option(preset, tuple(GRU_XNET_PRESETS), "preset")
    if preset in DEPRECATED_PRESETS:
        warnings.warn(
            f"gru_xnet preset {preset!r} is deprecated: presets are architecture sizes now and "
            f"the STFT shape comes from the data; use preset={DEPRECATED_PRESETS[preset]!r} "
            "(the same model).",
            DeprecationWarning,
            stacklevel=2,
        )
    shape = input_shapes.get(INPUT_NAME) if isinstance(input_shapes, Mapping) else None
    if shape is None or len(tuple(shape)) != 3:
        raise ValueError(
            f"input_shapes must map {INPUT_NAME!r} to (n_chans, n_frames, n_freqs). "
            f"Received: input_shapes={input_shapes!r}"
        )
    data_params = dict(zip(_SIGNAL_PARAMS, (int(s) for s in shape), strict=True))
    for key, value in data_params.items():
        if key in overrides and overrides[key] != value:
            raise ValueError(
                f"{key} disagrees with input_shapes[{INPUT_NAME!r}]={tuple(shape)}: expected "
                f"{value}. Received: {key}={overrides[key]}"
            )
    config = {**GRU_XNET_PRESETS[preset], **overrides, **data_params}
    config["n_outputs"] = DEFAULT_N_OUTPUTS if n_outputs is None else n_outputs
    return GRUXNet(input_name=INPUT_NAME, output_name=OUTPUT_NAME, **config)


def compile_gru_xnet(
    model,
    *,
    steps_per_epoch=100,
    epochs=10,
    jit_compile=False,
    learning_rate=1e-3,
    lr_schedule=None,
    label_smoothing=0.0,
    clipnorm=None,
):
    """Registry ``compile``: Adam and categorical cross-entropy on one-hot ``label`` (in place).

    Args:
        model: a model from :func:`build_gru_xnet`.
        steps_per_epoch: optimiser steps per epoch (for the cosine schedule).
        epochs: epochs (for the cosine schedule).
        jit_compile: compile the train step with XLA.
        learning_rate: the (initial) Adam learning rate.
        lr_schedule: ``None`` (constant) or ``"cosine"`` (cosine decay to 0 over
            ``steps_per_epoch * epochs`` steps).
        label_smoothing: categorical cross-entropy label smoothing.
        clipnorm: optional gradient-norm clipping.
    """
    check_option(lr_schedule, (None, "cosine"), "lr_schedule")
    if lr_schedule == "cosine":
        learning_rate = CosineDecay(
            learning_rate, decay_steps=max(1, int(steps_per_epoch) * int(epochs))
        )
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=learning_rate, clipnorm=clipnorm),
        loss={OUTPUT_NAME: keras.losses.CategoricalCrossentropy(label_smoothing=label_smoothing)},
        metrics={OUTPUT_NAME: [keras.metrics.CategoricalAccuracy(name="accuracy")]},
        jit_compile=jit_compile,
    )
