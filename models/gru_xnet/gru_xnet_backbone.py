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
   convolution in block 1, one batched matmul over the channels in blocks 2 and 3, because
   TensorFlow's own grouped ``Conv2D`` has no CPU gradient outside XLA): channel ``c`` owns filters
   ``c * filters .. (c + 1) * filters - 1`` of every block (and their batch-norm statistics),
   so its features depend on channel ``c`` only (tested against one NumPy CNN per channel).
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

import keras

from amigos_emo._checks import check_option, check_positive, validate_type
from amigos_emo.models.gru_xnet.gru_xnet_layers import GroupedConv2D

VARIANTS = ("standard", "dynamic")
FREQ_POOLINGS = ("mean", "flatten")


def _check_int(value, name, minimum=1):
    validate_type(value, int, name)
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}. Received: {name}={value}")
    return value


def _check_int_list(values, name, length=None):
    validate_type(values, (list, tuple), name)
    if (
        (length is not None and len(values) != length)
        or not values
        or any(isinstance(v, bool) or not isinstance(v, int) or v < 1 for v in values)
    ):
        size = f"{length} " if length is not None else ""
        raise ValueError(
            f"{name} must be a list of {size}positive ints. Received: {name}={values!r}"
        )
    return [int(v) for v in values]


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
        _check_int(n_outputs, "n_outputs")
        _check_int(n_chans, "n_chans")
        _check_int(n_frames, "n_frames")
        _check_int(n_freqs, "n_freqs")
        cnn_filters = _check_int_list(cnn_filters, "cnn_filters", length=3)
        _check_int(fusion_units, "fusion_units")
        check_option(freq_pooling, FREQ_POOLINGS, "freq_pooling")
        _check_int(gru_units, "gru_units")
        _check_int(n_gru_layers, "n_gru_layers")
        _check_int(n_heads, "n_heads")
        head_units = _check_int_list(head_units, "head_units")
        check_positive(dropout, "dropout", allow_zero=True)
        if dropout >= 1:
            raise ValueError(f"dropout must be in [0, 1). Received: dropout={dropout}")
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
                    keras.layers.BatchNormalization(name=f"channel_cnn{block}_bn"),
                    keras.layers.ReLU(name=f"channel_cnn{block}_relu"),
                    keras.layers.MaxPooling2D(2, padding="same", name=f"channel_cnn{block}_pool"),
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
        inputs = {input_name: keras.Input(shape=(n_chans, n_frames, n_freqs), name=input_name)}
        x = to_channels_last(inputs[input_name])  # (batch, n_frames, n_freqs, n_chans)
        for block_layers in cnn_blocks:
            for layer in block_layers:
                x = layer(x)
        if frequency_pool is not None:
            x = frequency_pool(x)
        x = fusion(frame_reshape(x))
        for gru in grus:
            x = gru(x)
        x = attention_norm(attention_add([x, attention(x, x)]))
        if variant == "standard":
            x = time_pool(x)
        for layer in head:
            x = layer(x)
        x = classifier(x)
        if variant == "dynamic":
            x = frame_average(x)
        super().__init__(inputs=inputs, outputs={output_name: x}, **kwargs)

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
