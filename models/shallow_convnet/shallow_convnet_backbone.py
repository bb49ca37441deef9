"""Shallow ConvNet (Schirrmeister et al. 2017, "Deep learning with convolutional neural networks
for EEG decoding and visualization", Hum. Brain Mapp. 38:5391), the FBCSP-like shallow network.

1. temporal convolution: ``n_filters_time`` filters of ``filter_time_length`` samples, with
   bias, "valid";
2. spatial convolution over all electrodes: ``n_filters_spat`` filters, no bias (batch norm
   follows) -> batch norm;
3. square -> mean pooling (``pool_time_length``, stride ``pool_time_stride``) -> log
   (floored at 1e-6): a log band power per filter and pooling window;
4. dropout -> dense ``n_outputs`` -> softmax.

Choices where the paper leaves room, written down (they follow braindecode's
``ShallowFBCSPNet``): the first layer is split into temporal and spatial convolutions, batch norm
uses PyTorch's momentum 0.1 (Keras 0.9) and epsilon 1e-5, no max-norm constraints, "valid"
convolutions and pooling (trailing samples that fill no pooling window are dropped). The paper's
final "classification convolution" spanning all remaining time steps is a dense layer on the
flattened features here: the same parameters and outputs. Squaring and the log are computed in
float32 (:mod:`.shallow_convnet_layers`). The input stays time-major ``(n_times, n_chans)`` and
is read as a ``(n_times, n_chans, 1)`` image (kernels ``(k, 1)`` in time, ``(1, n_chans)`` in
space), which computes the same as the paper's channel-major layout without a transpose.

At 22 channels x 1125 samples (BCI IV 2a, 250 Hz), 4 classes: 47,364 trainable parameters,
braindecode's ``ShallowFBCSPNet`` count (plus 80 batch-norm moving statistics).
"""

from __future__ import annotations

import keras

from amigos_emo._checks import check_count, check_rate
from amigos_emo.models.eeg_classifiers_common import (
    EEG_INPUT,
    LABEL_OUTPUT,
    compile_softmax_classifier,
    resolve_raw_eeg_arguments,
)
from amigos_emo.models.shallow_convnet.shallow_convnet_layers import SafeLog, Square
from amigos_emo.models.shallow_convnet.shallow_convnet_presets import (
    DEFAULT_PRESET,
    SHALLOW_CONVNET_PRESETS,
)

INPUT_NAMES = (EEG_INPUT,)
OUTPUT_NAMES = (LABEL_OUTPUT,)
_BN_KWARGS = {"momentum": 0.9, "epsilon": 1e-5}  # PyTorch momentum 0.1.


@keras.saving.register_keras_serializable(package="amigos_emo")
class ShallowConvNet(keras.Model):
    """Shallow ConvNet on raw EEG windows (functional model).

    Args:
        n_chans: number of EEG electrodes.
        n_times: samples per window; at least ``filter_time_length + pool_time_length - 1``.
        n_outputs: number of classes (>= 2).
        n_filters_time: temporal filters (40).
        filter_time_length: temporal kernel in samples (25).
        n_filters_spat: spatial filters (40).
        pool_time_length: mean-pooling window in samples (75).
        pool_time_stride: mean-pooling stride in samples (15).
        dropout: dropout rate before the classifier (0.5).
        **kwargs: ``name``, ``trainable`` (forwarded to ``keras.Model``).

    Inputs:
        ``eeg``: float32 (batch, n_times, n_chans), normalised microvolts.

    Outputs:
        ``label``: float32 (batch, n_outputs) class probabilities.
    """

    def __init__(
        self,
        n_chans,
        n_times,
        n_outputs=2,
        n_filters_time=40,
        filter_time_length=25,
        n_filters_spat=40,
        pool_time_length=75,
        pool_time_stride=15,
        dropout=0.5,
        **kwargs,
    ):
        n_chans = check_count(n_chans, "n_chans")
        n_times = check_count(n_times, "n_times")
        n_outputs = check_count(n_outputs, "n_outputs")
        if n_outputs < 2:
            raise ValueError(
                f"n_outputs must be >= 2 classes for a softmax. Received: n_outputs={n_outputs}"
            )
        n_filters_time = check_count(n_filters_time, "n_filters_time")
        filter_time_length = check_count(filter_time_length, "filter_time_length")
        n_filters_spat = check_count(n_filters_spat, "n_filters_spat")
        pool_time_length = check_count(pool_time_length, "pool_time_length")
        pool_time_stride = check_count(pool_time_stride, "pool_time_stride")
        dropout = check_rate(dropout, "dropout")
        minimum = filter_time_length + pool_time_length - 1
        if n_times < minimum:
            raise ValueError(
                f"n_times must be >= filter_time_length + pool_time_length - 1 = {minimum}. "
                f"Received: n_times={n_times}"
            )
        kwargs.setdefault("name", "shallow_convnet")

        # === Layers ===
        as_image = keras.layers.Reshape((n_times, n_chans, 1), name="as_image")
        temporal_conv = keras.layers.Conv2D(
            n_filters_time, (filter_time_length, 1), name="temporal_conv"
        )
        spatial_conv = keras.layers.Conv2D(
            n_filters_spat, (1, n_chans), use_bias=False, name="spatial_conv"
        )
        spatial_bn = keras.layers.BatchNormalization(name="spatial_bn", **_BN_KWARGS)
        square = Square(name="square")
        pool = keras.layers.AveragePooling2D(
            (pool_time_length, 1), strides=(pool_time_stride, 1), name="pool"
        )
        log = SafeLog(name="log")
        dropout_layer = keras.layers.Dropout(dropout, name="dropout")
        flatten = keras.layers.Flatten(name="flatten")
        head = keras.layers.Dense(
            n_outputs, activation="softmax", dtype="float32", name=LABEL_OUTPUT
        )

        # === Functional Model ===
        inputs = {EEG_INPUT: keras.Input(shape=(n_times, n_chans), name=EEG_INPUT)}
        x = spatial_bn(spatial_conv(temporal_conv(as_image(inputs[EEG_INPUT]))))
        x = dropout_layer(log(pool(square(x))))
        outputs = {LABEL_OUTPUT: head(flatten(x))}
        super().__init__(inputs=inputs, outputs=outputs, **kwargs)

        # === Config ===
        self.n_chans = n_chans
        self.n_times = n_times
        self.n_outputs = n_outputs
        self.n_filters_time = n_filters_time
        self.filter_time_length = filter_time_length
        self.n_filters_spat = n_filters_spat
        self.pool_time_length = pool_time_length
        self.pool_time_stride = pool_time_stride
        self.dropout = dropout

    def get_config(self):
        return {
            "name": self.name,
            "trainable": self.trainable,
            "n_chans": self.n_chans,
            "n_times": self.n_times,
            "n_outputs": self.n_outputs,
            "n_filters_time": self.n_filters_time,
            "filter_time_length": self.filter_time_length,
            "n_filters_spat": self.n_filters_spat,
            "pool_time_length": self.pool_time_length,
            "pool_time_stride": self.pool_time_stride,
            "dropout": self.dropout,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)


_TUNABLE_ARGUMENTS = (
    "n_filters_time",
    "filter_time_length",
    "n_filters_spat",
    "pool_time_length",
    "pool_time_stride",
    "dropout",
    "name",
)


def build_shallow_convnet(input_shapes, n_outputs=None, preset=None, **overrides):
    """Registry ``build``: an uncompiled :class:`ShallowConvNet`.

    Args:
        input_shapes: mapping with ``"eeg"``: ``(n_times, n_chans)`` (extra keys ignored).
        n_outputs: number of classes (default 2).
        preset: ``"paper"`` (default) or ``"tiny"``.
        **overrides: :class:`ShallowConvNet` arguments that replace the preset's.

    Returns:
        The uncompiled model; input ``eeg``, output ``label`` ``(batch, n_outputs)``.
    """
    arguments = resolve_raw_eeg_arguments(
        "shallow_convnet",
        input_shapes,
        n_outputs,
        preset,
        overrides,
        SHALLOW_CONVNET_PRESETS,
        DEFAULT_PRESET,
        _TUNABLE_ARGUMENTS,
    )
    return ShallowConvNet(**arguments)


def compile_shallow_convnet(
    model,
    *,
    steps_per_epoch=100,
    epochs=10,
    jit_compile=False,
    learning_rate=1e-3,
    label_smoothing=0.0,
):
    """Registry ``compile``: Adam (learning rate 1e-3), categorical cross-entropy, accuracy.

    The paper trains with Adam at its default parameters; braindecode's examples use AdamW with
    6.25e-4 and cosine annealing instead (pass ``learning_rate=6.25e-4`` to get that rate).

    Args:
        model: a model with a softmax output ``label``.
        steps_per_epoch: unused (registry contract).
        epochs: unused (registry contract).
        jit_compile: compile the train step with XLA.
        learning_rate: Adam learning rate.
        label_smoothing: categorical cross-entropy label smoothing in [0, 1).
    """
    del steps_per_epoch, epochs
    return compile_softmax_classifier(
        model,
        jit_compile=jit_compile,
        learning_rate=learning_rate,
        label_smoothing=label_smoothing,
    )
