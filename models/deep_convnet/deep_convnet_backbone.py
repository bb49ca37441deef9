"""Deep ConvNet (Schirrmeister et al. 2017, "Deep learning with convolutional neural networks
for EEG decoding and visualization", Hum. Brain Mapp. 38:5391), the four-block deep network.

1. temporal convolution (``n_filters_time`` filters of ``filter_time_length`` samples, with
   bias) -> spatial convolution over all electrodes (``n_filters_spat``, no bias) -> batch norm
   -> ELU -> max pooling (``pool_time_length``, stride ``pool_time_stride``);
2. three blocks, one per entry of ``block_filters`` (50, 100, 200): dropout -> temporal
   convolution (``filter_time_length``, no bias) -> batch norm -> ELU -> max pooling;
3. dense ``n_outputs`` on the flattened features -> softmax.

Choices where the paper leaves room, written down (they follow braindecode's ``Deep4Net``):
dropout before the convolution of each later block and none before the classifier, convolutions
without bias where batch norm follows, batch norm with PyTorch's momentum 0.1 (Keras 0.9) and
epsilon 1e-5, no max-norm constraints, "valid" convolutions and pooling (samples that fill no
pooling window are dropped). The paper's final "classification convolution" over all remaining
time steps is a dense layer on the flattened features: the same parameters and outputs. The
input stays time-major ``(n_times, n_chans)``, read as a ``(n_times, n_chans, 1)`` image (no
transpose; kernels ``(k, 1)`` in time and ``(1, n_chans)`` in space).

At 22 channels x 1125 samples (BCI IV 2a, 250 Hz), 4 classes: 284,479 trainable parameters,
braindecode's ``Deep4Net`` count (plus 750 batch-norm moving statistics).
"""

from __future__ import annotations

import keras

from amigos_emo._checks import check_count, check_rate, validate_type
from amigos_emo.models.deep_convnet.deep_convnet_presets import (
    DEEP_CONVNET_PRESETS,
    DEFAULT_PRESET,
)
from amigos_emo.models.eeg_classifiers_common import (
    EEG_INPUT,
    LABEL_OUTPUT,
    compile_softmax_classifier,
    resolve_raw_eeg_arguments,
)

INPUT_NAMES = (EEG_INPUT,)
OUTPUT_NAMES = (LABEL_OUTPUT,)
_BN_KWARGS = {"momentum": 0.9, "epsilon": 1e-5}  # PyTorch momentum 0.1.


def output_length(n_times, n_blocks, filter_time_length, pool_time_length, pool_time_stride):
    """Time steps left after ``n_blocks`` (valid conv, then valid pooling) blocks."""
    length = n_times
    for _ in range(n_blocks):
        length = length - filter_time_length + 1
        if length < pool_time_length:
            return 0
        length = (length - pool_time_length) // pool_time_stride + 1
    return length


@keras.saving.register_keras_serializable(package="amigos_emo")
class DeepConvNet(keras.Model):
    """Deep ConvNet on raw EEG windows (functional model).

    Args:
        n_chans: number of EEG electrodes.
        n_times: samples per window (long enough to leave >= 1 step after the four blocks:
            >= 441 samples with the paper's lengths).
        n_outputs: number of classes (>= 2).
        n_filters_time: temporal filters of the first block (25).
        n_filters_spat: spatial filters of the first block (25).
        block_filters: filters of the later blocks, one block per entry ((50, 100, 200)).
        filter_time_length: temporal kernel of every block in samples (10).
        pool_time_length: max-pooling window in samples (3).
        pool_time_stride: max-pooling stride in samples (3).
        dropout: dropout rate before each later block's convolution (0.5).
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
        n_filters_time=25,
        n_filters_spat=25,
        block_filters=(50, 100, 200),
        filter_time_length=10,
        pool_time_length=3,
        pool_time_stride=3,
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
        n_filters_spat = check_count(n_filters_spat, "n_filters_spat")
        validate_type(block_filters, (list, tuple), "block_filters")
        block_filters = tuple(check_count(f, "block_filters[i]") for f in block_filters)
        filter_time_length = check_count(filter_time_length, "filter_time_length")
        pool_time_length = check_count(pool_time_length, "pool_time_length")
        pool_time_stride = check_count(pool_time_stride, "pool_time_stride")
        dropout = check_rate(dropout, "dropout")
        n_blocks = 1 + len(block_filters)
        remaining = output_length(
            n_times, n_blocks, filter_time_length, pool_time_length, pool_time_stride
        )
        if remaining < 1:
            raise ValueError(
                f"n_times is too short for {n_blocks} blocks of a {filter_time_length}-sample "
                f"convolution and a {pool_time_length}/{pool_time_stride} pooling: no time step "
                f"is left. Received: n_times={n_times}"
            )
        kwargs.setdefault("name", "deep_convnet")

        # === Layers ===
        as_image = keras.layers.Reshape((n_times, n_chans, 1), name="as_image")
        temporal_conv = keras.layers.Conv2D(
            n_filters_time, (filter_time_length, 1), name="temporal_conv"
        )
        spatial_conv = keras.layers.Conv2D(
            n_filters_spat, (1, n_chans), use_bias=False, name="spatial_conv"
        )
        block_layers = [
            (
                keras.layers.BatchNormalization(name="block1_bn", **_BN_KWARGS),
                keras.layers.Activation("elu", name="block1_elu"),
                keras.layers.MaxPooling2D(
                    (pool_time_length, 1), strides=(pool_time_stride, 1), name="block1_pool"
                ),
            )
        ]
        later_blocks = []
        for index, filters in enumerate(block_filters, start=2):
            later_blocks.append(
                (
                    keras.layers.Dropout(dropout, name=f"block{index}_dropout"),
                    keras.layers.Conv2D(
                        filters,
                        (filter_time_length, 1),
                        use_bias=False,
                        name=f"block{index}_conv",
                    ),
                    keras.layers.BatchNormalization(name=f"block{index}_bn", **_BN_KWARGS),
                    keras.layers.Activation("elu", name=f"block{index}_elu"),
                    keras.layers.MaxPooling2D(
                        (pool_time_length, 1),
                        strides=(pool_time_stride, 1),
                        name=f"block{index}_pool",
                    ),
                )
            )
        flatten = keras.layers.Flatten(name="flatten")
        head = keras.layers.Dense(
            n_outputs, activation="softmax", dtype="float32", name=LABEL_OUTPUT
        )

        # === Functional Model ===
        inputs = {EEG_INPUT: keras.Input(shape=(n_times, n_chans), name=EEG_INPUT)}
        x = spatial_conv(temporal_conv(as_image(inputs[EEG_INPUT])))
        for layer in block_layers[0]:
            x = layer(x)
        for block in later_blocks:
            for layer in block:
                x = layer(x)
        outputs = {LABEL_OUTPUT: head(flatten(x))}
        super().__init__(inputs=inputs, outputs=outputs, **kwargs)

        # === Config ===
        self.n_chans = n_chans
        self.n_times = n_times
        self.n_outputs = n_outputs
        self.n_filters_time = n_filters_time
        self.n_filters_spat = n_filters_spat
        self.block_filters = block_filters
        self.filter_time_length = filter_time_length
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
            "n_filters_spat": self.n_filters_spat,
            "block_filters": list(self.block_filters),
            "filter_time_length": self.filter_time_length,
            "pool_time_length": self.pool_time_length,
            "pool_time_stride": self.pool_time_stride,
            "dropout": self.dropout,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)


_TUNABLE_ARGUMENTS = (
    "n_filters_time",
    "n_filters_spat",
    "block_filters",
    "filter_time_length",
    "pool_time_length",
    "pool_time_stride",
    "dropout",
    "name",
)


def build_deep_convnet(input_shapes, n_outputs=None, preset=None, **overrides):
    """Registry ``build``: an uncompiled :class:`DeepConvNet`.

    Args:
        input_shapes: mapping with ``"eeg"``: ``(n_times, n_chans)`` (extra keys ignored).
        n_outputs: number of classes (default 2).
        preset: ``"paper"`` (default) or ``"tiny"``.
        **overrides: :class:`DeepConvNet` arguments that replace the preset's.

    Returns:
        The uncompiled model; input ``eeg``, output ``label`` ``(batch, n_outputs)``.
    """
    arguments = resolve_raw_eeg_arguments(
        "deep_convnet",
        input_shapes,
        n_outputs,
        preset,
        overrides,
        DEEP_CONVNET_PRESETS,
        DEFAULT_PRESET,
        _TUNABLE_ARGUMENTS,
    )
    return DeepConvNet(**arguments)


def compile_deep_convnet(
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
    1e-2 and cosine annealing instead.

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
