"""ResAttentioNet: a 1-D ResNet-18 over differential-entropy sequences with attention pooling.

Mirrors the published PyTorch code (``EmotionResNetAttention`` in the ResAttentioNet seed, for
SEED / SEED-IV / SEED-V / SEED-VII DE features) layer for layer:

1. Residual temporal feature extractor: Conv1D (kernel 7, stride 2, padding 3, no bias) ->
   batch norm -> ReLU -> max-pool (kernel 3, stride 2, padding 1); four stages of two basic
   residual blocks (two kernel-3 convolutions without bias, each followed by batch norm) with
   widths ``base_width * (1, 2, 4, 8)`` and strides 1, 2, 2, 2; a 1x1 convolution + batch norm
   shortcut where the shape changes.
2. Dropout on the feature sequence.
3. Attention pooling: one learnable query, ``n_heads`` heads (:class:`AttentionPooling1D`).
4. Classifier: Dense(``hidden_units``, ReLU) -> dropout -> Dense(``n_outputs``) -> softmax.

Note the seed applies its dropouts after the feature extractor and between the two dense
layers; there is no dropout between the attention pooling and the first dense layer.

With the defaults (``n_chans=62, n_bands=5, base_width=16, n_heads=2``) and 4 classes this has
359,940 trainable parameters, exactly the PyTorch count (convolutions without bias, batch norm
scale and offset, attention projections with biases). Keras additionally counts the batch-norm
moving mean and variance (2,400 non-trainable values) that PyTorch keeps as buffers.

Paddings reproduce PyTorch's symmetric zero paddings, so the output lengths and window
alignments equal PyTorch's: a convolution uses ``padding="same"`` where TensorFlow's "same"
padding is that symmetric padding for the (static) input length (every stride-1 kernel-3
convolution, and some strided ones; one fused op instead of a pad and a convolution), and an
explicit ``ZeroPadding1D`` + "valid" layer elsewhere (the max-pool pads with zeros, which
equals PyTorch's -inf padding because it follows a ReLU). Equality with the PyTorch
formulation for the same weights is tested (``res_attention_net_peer_test.py``). Batch norm uses PyTorch's epsilon 1e-5 and momentum 0.1.
"""

from __future__ import annotations

import keras

from amigos_emo._checks import check_int, check_positive
from amigos_emo.models.res_attention_net.res_attention_net_layers import AttentionPooling1D
from amigos_emo.models.res_attention_net.res_attention_net_presets import (
    DEFAULT_PRESET,
    RES_ATTENTION_NET_PRESETS,
)

_BN_KWARGS = {"epsilon": 1e-5, "momentum": 0.9}  # PyTorch momentum 0.1 == Keras momentum 0.9.


def _same_is_symmetric(length, kernel, stride, pad):
    """Whether Keras ``padding="same"`` equals PyTorch's symmetric zero padding ``pad`` here.

    TensorFlow's "same" gives ``ceil(length / stride)`` outputs and pads ``total // 2`` on the
    left; PyTorch gives ``(length + 2 pad - kernel) // stride + 1`` outputs from ``pad`` zeros
    on each side (trailing ones it does not reach are unused). Equal outputs and equal left
    padding mean the same windows, so the separate padding layer can be dropped.
    """
    out_same = -(-length // stride)
    total = max((out_same - 1) * stride + kernel - length, 0)
    out_torch = (length + 2 * pad - kernel) // stride + 1
    return out_same == out_torch and total // 2 == pad


def _conv(x, filters, kernel, stride, pad, name):
    """Conv1D without bias with PyTorch's zero padding ``pad``, "same" where that is equal."""
    length = x.shape[1]
    if length is not None and _same_is_symmetric(length, kernel, stride, pad):
        return keras.layers.Conv1D(
            filters, kernel, strides=stride, padding="same", use_bias=False, name=name
        )(x)
    y = keras.layers.ZeroPadding1D(pad, name=f"{name}_pad")(x)
    return keras.layers.Conv1D(filters, kernel, strides=stride, use_bias=False, name=name)(y)


def _basic_block(x, filters, stride, name):
    """Two kernel-3 convolutions with batch norm and an identity or 1x1-conv shortcut."""
    in_filters = x.shape[-1]
    shortcut = x
    if stride != 1 or in_filters != filters:
        shortcut = keras.layers.Conv1D(
            filters, 1, strides=stride, use_bias=False, name=f"{name}_shortcut_conv"
        )(x)
        shortcut = keras.layers.BatchNormalization(name=f"{name}_shortcut_bn", **_BN_KWARGS)(
            shortcut
        )
    y = _conv(x, filters, 3, stride, 1, name=f"{name}_conv1")
    y = keras.layers.BatchNormalization(name=f"{name}_bn1", **_BN_KWARGS)(y)
    y = keras.layers.ReLU(name=f"{name}_relu1")(y)
    y = _conv(y, filters, 3, 1, 1, name=f"{name}_conv2")
    y = keras.layers.BatchNormalization(name=f"{name}_bn2", **_BN_KWARGS)(y)
    y = keras.layers.Add(name=f"{name}_add")([y, shortcut])
    return keras.layers.ReLU(name=f"{name}_out")(y)


@keras.saving.register_keras_serializable(package="amigos_emo")
class ResAttentioNet(keras.Model):
    """ResAttentioNet classifier for differential-entropy sequences (functional model).

    Args:
        n_outputs: number of emotion classes (SEED 3, SEED-IV 4, SEED-V 5, SEED-VII 7).
        n_steps: number of DE time steps per example (the seed uses 60 one-second steps).
        n_chans: number of EEG channels (62 for the SEED family).
        n_bands: number of frequency bands per channel (5: delta..gamma). The input has
            ``n_chans * n_bands`` features per step, channel-major.
        base_width: filters of the first stage; the stages have 1x, 2x, 4x, 8x this.
        n_heads: attention-pooling heads; must divide ``8 * base_width``.
        hidden_units: width of the hidden classifier layer.
        dropout: dropout rate after the feature extractor and in the classifier.
        input_name: name of the input (the feature key), ``"de"``.
        output_name: name of the softmax output (the target key), ``"label"``.
        **kwargs: forwarded to :class:`keras.Model` (``name``, ...).

    Inputs (a dict keyed by ``input_name``):
        ``de``: float32 (batch, n_steps, n_chans * n_bands), DE features (log power units),
        normalised by the trainer.

    Outputs (a dict keyed by ``output_name``):
        ``label``: float32 (batch, n_outputs) class probabilities (float32 also under mixed
        precision).

    Example:
        >>> model = ResAttentioNet(n_outputs=4)
        >>> model.count_params() - 2400  # trainable parameters, as in PyTorch
        359940
    """

    def __init__(
        self,
        n_outputs,
        n_steps=60,
        n_chans=62,
        n_bands=5,
        base_width=16,
        n_heads=2,
        hidden_units=128,
        dropout=0.5,
        input_name="de",
        output_name="label",
        **kwargs,
    ):
        check_int(n_outputs, "n_outputs")
        check_int(n_steps, "n_steps")
        check_int(n_chans, "n_chans")
        check_int(n_bands, "n_bands")
        check_int(base_width, "base_width")
        check_int(n_heads, "n_heads")
        check_int(hidden_units, "hidden_units")
        check_positive(dropout, "dropout", allow_zero=True)
        if dropout >= 1:
            raise ValueError(f"dropout must be in [0, 1). Received: dropout={dropout}")
        if (8 * base_width) % n_heads:
            raise ValueError(
                "n_heads must divide the final width 8 * base_width. "
                f"Received: n_heads={n_heads}, base_width={base_width}"
            )

        # === Layers ===
        stem_pad = keras.layers.ZeroPadding1D(3, name="stem_pad")
        stem_conv = keras.layers.Conv1D(base_width, 7, strides=2, use_bias=False, name="stem_conv")
        stem_bn = keras.layers.BatchNormalization(name="stem_bn", **_BN_KWARGS)
        stem_relu = keras.layers.ReLU(name="stem_relu")
        pool_pad = keras.layers.ZeroPadding1D(1, name="stem_pool_pad")
        stem_pool = keras.layers.MaxPooling1D(3, strides=2, name="stem_pool")
        feature_dropout = keras.layers.Dropout(dropout, name="feature_dropout")
        attention_pool = AttentionPooling1D(n_heads=n_heads, name="attention_pool")
        hidden = keras.layers.Dense(hidden_units, activation="relu", name="classifier_dense")
        classifier_dropout = keras.layers.Dropout(dropout, name="classifier_dropout")
        output_layer = keras.layers.Dense(
            n_outputs, activation="softmax", dtype="float32", name=output_name
        )

        # === Functional Model ===
        inputs = {input_name: keras.Input(shape=(n_steps, n_chans * n_bands), name=input_name)}
        x = stem_pool(pool_pad(stem_relu(stem_bn(stem_conv(stem_pad(inputs[input_name]))))))
        for stage, multiplier in enumerate((1, 2, 4, 8), start=1):
            for block in (1, 2):
                stride = 2 if (stage > 1 and block == 1) else 1
                x = _basic_block(
                    x, base_width * multiplier, stride, name=f"stage{stage}_block{block}"
                )
        x = attention_pool(feature_dropout(x))
        x = classifier_dropout(hidden(x))
        outputs = {output_name: output_layer(x)}
        super().__init__(inputs=inputs, outputs=outputs, **kwargs)

        # === Config ===
        self.n_outputs = n_outputs
        self.n_steps = n_steps
        self.n_chans = n_chans
        self.n_bands = n_bands
        self.base_width = base_width
        self.n_heads = n_heads
        self.hidden_units = hidden_units
        self.dropout = dropout
        self.input_name = input_name
        self.output_name = output_name

    def get_config(self):
        return {
            "name": self.name,
            "trainable": self.trainable,
            "n_outputs": self.n_outputs,
            "n_steps": self.n_steps,
            "n_chans": self.n_chans,
            "n_bands": self.n_bands,
            "base_width": self.base_width,
            "n_heads": self.n_heads,
            "hidden_units": self.hidden_units,
            "dropout": self.dropout,
            "input_name": self.input_name,
            "output_name": self.output_name,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)


# --- registry entry points: build_res_attention_net, compile_res_attention_net ---
# Training defaults (the seed's): AdamW (learning rate 5e-5, weight decay 1e-4), categorical
# cross-entropy with label smoothing 0.1 on one-hot ``label`` targets, reduce-on-plateau of the
# learning rate on ``val_loss`` (factor 0.5, patience 5, floor 1e-6; see
# :func:`default_callbacks`), and balanced class weights, which the trainer computes from the
# training labels (``sklearn.utils.class_weight.compute_class_weight("balanced", ...)``). The model
# has dict outputs, for which Keras refuses ``fit(class_weight=...)``; pass the weights per
# example instead: ``fit(..., sample_weight=class_weights[y_int])``.


INPUT_NAME = "de"
OUTPUT_NAME = "label"


def build_res_attention_net(input_shapes, n_outputs=None, preset=None, **overrides):
    """Build an uncompiled :class:`ResAttentioNet` for ``input_shapes``.

    Args:
        input_shapes: ``{"de": (n_steps, n_chans * n_bands)}``, per-example, no batch axis.
        n_outputs: number of classes; ``None`` takes the preset's.
        preset: a name in :data:`RES_ATTENTION_NET_PRESETS`; ``None`` means ``"seed_iv"``.
        **overrides: any :class:`ResAttentioNet` argument, applied over the preset.

    Returns:
        The uncompiled model (input ``de``, output ``label``).

    Raises:
        ValueError: unknown preset, a missing ``de`` shape, or signal parameters (``n_steps``,
            ``n_chans``, ``n_bands``) that disagree with ``input_shapes``.
    """
    preset = DEFAULT_PRESET if preset is None else preset
    if preset not in RES_ATTENTION_NET_PRESETS:
        known = ", ".join(sorted(RES_ATTENTION_NET_PRESETS))
        raise ValueError(
            f"Unknown res_attention_net preset. Expected one of: {known}. Received: preset={preset!r}"
        )
    if INPUT_NAME not in input_shapes:
        raise ValueError(
            f"input_shapes must have the key {INPUT_NAME!r} with shape (n_steps, n_chans * n_bands). "
            f"Received: input_shapes={input_shapes!r}"
        )
    shape = tuple(input_shapes[INPUT_NAME])
    if len(shape) != 2:
        raise ValueError(
            f"input_shapes[{INPUT_NAME!r}] must be (n_steps, n_chans * n_bands). Received: {shape}"
        )
    config = dict(RES_ATTENTION_NET_PRESETS[preset])
    # The signal parameters follow the data unless the caller set them explicitly.
    n_steps, n_features = int(shape[0]), int(shape[1])
    n_bands = overrides.get("n_bands", config.get("n_bands", 5))
    if n_features % n_bands:
        raise ValueError(
            f"The number of DE features per step must be n_chans * n_bands. Received: "
            f"input_shapes[{INPUT_NAME!r}]={shape} with n_bands={n_bands}"
        )
    data_params = {"n_steps": n_steps, "n_chans": n_features // n_bands, "n_bands": n_bands}
    for key, value in data_params.items():
        if key in overrides and overrides[key] != value:
            raise ValueError(
                f"{key} disagrees with input_shapes[{INPUT_NAME!r}]={shape}: expected {value}. "
                f"Received: {key}={overrides[key]}"
            )
    config.update(overrides)
    config.update(data_params)
    if n_outputs is not None:
        config["n_outputs"] = n_outputs
    return ResAttentioNet(input_name=INPUT_NAME, output_name=OUTPUT_NAME, **config)


def compile_res_attention_net(
    model,
    *,
    steps_per_epoch=100,
    epochs=10,
    jit_compile=False,
    learning_rate=5e-5,
    weight_decay=1e-4,
    label_smoothing=0.1,
    clipnorm=None,
):
    """Compile ``model`` with the seed's optimiser, loss and metrics (in place).

    The learning rate is a plain float (not a schedule) so that
    :class:`keras.callbacks.ReduceLROnPlateau` from :func:`default_callbacks` can lower it;
    ``steps_per_epoch`` and ``epochs`` are accepted for the registry contract and unused.

    Args:
        model: a model from :func:`build_res_attention_net`.
        steps_per_epoch: unused (registry contract).
        epochs: unused (registry contract).
        jit_compile: compile the train step with XLA.
        learning_rate: AdamW learning rate.
        weight_decay: AdamW decoupled weight decay.
        label_smoothing: categorical cross-entropy label smoothing.
        clipnorm: optional gradient-norm clipping.
    """
    del steps_per_epoch, epochs
    optimizer = keras.optimizers.AdamW(
        learning_rate=learning_rate, weight_decay=weight_decay, clipnorm=clipnorm
    )
    model.compile(
        optimizer=optimizer,
        loss={OUTPUT_NAME: keras.losses.CategoricalCrossentropy(label_smoothing=label_smoothing)},
        metrics={OUTPUT_NAME: [keras.metrics.CategoricalAccuracy(name="accuracy")]},
        jit_compile=jit_compile,
    )


def default_callbacks(monitor="val_loss"):
    """The seed's training callbacks: reduce-on-plateau (factor 0.5, patience 5, min 1e-6).

    Args:
        monitor: the logged quantity to watch (``"val_loss"`` in the seed; use ``"loss"`` when
            training without validation data).

    Returns:
        list of :class:`keras.callbacks.Callback`, fresh instances on every call.
    """
    return [
        keras.callbacks.ReduceLROnPlateau(
            monitor=monitor, factor=0.5, patience=5, min_lr=1e-6, verbose=0
        )
    ]
