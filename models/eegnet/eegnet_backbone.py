"""EEGNet (Lawhern et al. 2018, "EEGNet: a compact convolutional neural network for EEG-based
brain-computer interfaces", J. Neural Eng. 15 056013), EEGNet-F1,D by default EEGNet-8,2.

Blocks, as in the paper's Table 2 and its Keras reference implementation:

1. temporal convolution: ``F1`` filters of ``kernel_length`` samples (``sfreq / 2``), "same"
   padding, no bias -> batch norm;
2. depthwise spatial convolution over all ``n_chans`` electrodes, ``D`` spatial filters per
   temporal filter, no bias, each spatial filter constrained to a max L2 norm of 1 -> batch norm
   -> ELU -> average pooling by 4 in time -> dropout;
3. separable convolution: depthwise ``separable_kernel`` samples (``sfreq / 8``: 500 ms after
   the pooling by 4) then pointwise ``F2`` filters, "same" padding, no bias -> batch norm ->
   ELU -> average pooling by 8 -> dropout;
4. flatten -> dense ``n_outputs`` with a max-norm 0.25 constraint per class -> softmax.

Choices where the paper leaves room, written down: the input stays time-major (the package's
``(n_times, n_chans)``) and is read as a ``(n_times, n_chans, 1)`` image, so the temporal kernel
is ``(kernel_length, 1)`` and the spatial one ``(1, n_chans)`` (the same computation as the
paper's ``(1, kernel_length)`` / ``(n_chans, 1)`` on channel-major input, with no transpose);
"same" padding of an even kernel pads one sample more at the end (Keras's rule); plain dropout
(not the SpatialDropout2D variant); batch norm with Keras's defaults (momentum 0.99, epsilon
1e-3), like the reference. ``n_times`` must be at least 32 (the two poolings); trailing samples
that do not fill a pooling window are dropped.

At 22 channels x 256 samples (128 Hz), 4 classes, EEGNet-8,2 has 1,972 trainable parameters
(braindecode's ``EEGNet`` reproduces the same count) plus 80 batch-norm moving statistics.
"""

from __future__ import annotations

import keras

from amigos_emo._checks import check_count, check_positive, check_rate
from amigos_emo.models.eeg_classifiers_common import (
    EEG_INPUT,
    LABEL_OUTPUT,
    compile_softmax_classifier,
    resolve_raw_eeg_arguments,
)
from amigos_emo.models.eegnet.eegnet_presets import DEFAULT_PRESET, EEGNET_PRESETS

INPUT_NAMES = (EEG_INPUT,)
OUTPUT_NAMES = (LABEL_OUTPUT,)
_POOL_1 = 4
_POOL_2 = 8


@keras.saving.register_keras_serializable(package="amigos_emo")
class EEGNet(keras.Model):
    """EEGNet-F1,D on raw EEG windows (functional model).

    Args:
        n_chans: number of EEG electrodes.
        n_times: samples per window (>= 32).
        sfreq: sampling rate in Hz; sets the default kernels.
        n_outputs: number of classes (>= 2).
        n_filters_temporal: ``F1``, temporal filters (8 in EEGNet-8,2).
        depth_multiplier: ``D``, spatial filters per temporal filter (2).
        n_filters_separable: ``F2``, pointwise filters of the separable convolution
            (``F1 * D = 16``).
        kernel_length: temporal kernel in samples; ``None`` means ``round(sfreq / 2)``.
        separable_kernel: separable kernel in samples; ``None`` means ``round(sfreq / 8)``.
        dropout: dropout rate after blocks 2 and 3 (0.25 cross-subject, 0.5 within-subject).
        spatial_max_norm: max L2 norm of each spatial filter (1.0).
        dense_max_norm: max L2 norm of each class's dense weights (0.25).
        **kwargs: ``name``, ``trainable`` (forwarded to ``keras.Model``).

    Inputs:
        ``eeg``: float32 (batch, n_times, n_chans), normalised microvolts.

    Outputs:
        ``label``: float32 (batch, n_outputs) class probabilities (float32 under mixed
        precision too).

    Example:
        >>> model = EEGNet(n_chans=22, n_times=256, sfreq=128.0, n_outputs=4)
        >>> sum(int(np.prod(w.shape)) for w in model.trainable_weights)
        1972
    """

    def __init__(
        self,
        n_chans,
        n_times,
        sfreq=128.0,
        n_outputs=2,
        n_filters_temporal=8,
        depth_multiplier=2,
        n_filters_separable=16,
        kernel_length=None,
        separable_kernel=None,
        dropout=0.25,
        spatial_max_norm=1.0,
        dense_max_norm=0.25,
        **kwargs,
    ):
        n_chans = check_count(n_chans, "n_chans")
        n_times = check_count(n_times, "n_times")
        check_positive(sfreq, "sfreq")
        n_outputs = check_count(n_outputs, "n_outputs")
        if n_outputs < 2:
            raise ValueError(
                f"n_outputs must be >= 2 classes for a softmax. Received: n_outputs={n_outputs}"
            )
        n_filters_temporal = check_count(n_filters_temporal, "n_filters_temporal")
        depth_multiplier = check_count(depth_multiplier, "depth_multiplier")
        n_filters_separable = check_count(n_filters_separable, "n_filters_separable")
        kernel_length = check_count(kernel_length, "kernel_length", allow_none=True)
        separable_kernel = check_count(separable_kernel, "separable_kernel", allow_none=True)
        dropout = check_rate(dropout, "dropout")
        check_positive(spatial_max_norm, "spatial_max_norm")
        check_positive(dense_max_norm, "dense_max_norm")
        if n_times < _POOL_1 * _POOL_2:
            raise ValueError(
                f"n_times must be >= {_POOL_1 * _POOL_2} (EEGNet pools time by {_POOL_1} then "
                f"{_POOL_2}). Received: n_times={n_times}"
            )
        temporal_kernel = kernel_length or max(1, round(sfreq / 2))
        depthwise_kernel = separable_kernel or max(1, round(sfreq / 8))
        kwargs.setdefault("name", "eegnet")

        # === Layers ===
        as_image = keras.layers.Reshape((n_times, n_chans, 1), name="as_image")
        temporal_conv = keras.layers.Conv2D(
            n_filters_temporal,
            (temporal_kernel, 1),
            padding="same",
            use_bias=False,
            name="temporal_conv",
        )
        temporal_bn = keras.layers.BatchNormalization(name="temporal_bn")
        spatial_conv = keras.layers.DepthwiseConv2D(
            (1, n_chans),
            depth_multiplier=depth_multiplier,
            use_bias=False,
            # Kernel (1, n_chans, F1, D): one spatial filter per (F1, D), its norm over axes 0-1.
            depthwise_constraint=keras.constraints.MaxNorm(spatial_max_norm, axis=[0, 1]),
            name="spatial_conv",
        )
        spatial_bn = keras.layers.BatchNormalization(name="spatial_bn")
        spatial_elu = keras.layers.Activation("elu", name="spatial_elu")
        pool_1 = keras.layers.AveragePooling2D((_POOL_1, 1), name="pool_1")
        dropout_1 = keras.layers.Dropout(dropout, name="dropout_1")
        separable_conv = keras.layers.SeparableConv2D(
            n_filters_separable,
            (depthwise_kernel, 1),
            padding="same",
            use_bias=False,
            name="separable_conv",
        )
        separable_bn = keras.layers.BatchNormalization(name="separable_bn")
        separable_elu = keras.layers.Activation("elu", name="separable_elu")
        pool_2 = keras.layers.AveragePooling2D((_POOL_2, 1), name="pool_2")
        dropout_2 = keras.layers.Dropout(dropout, name="dropout_2")
        flatten = keras.layers.Flatten(name="flatten")
        head = keras.layers.Dense(
            n_outputs,
            activation="softmax",
            kernel_constraint=keras.constraints.MaxNorm(dense_max_norm),
            dtype="float32",
            name=LABEL_OUTPUT,
        )

        # === Functional Model ===
        inputs = {EEG_INPUT: keras.Input(shape=(n_times, n_chans), name=EEG_INPUT)}
        x = temporal_bn(temporal_conv(as_image(inputs[EEG_INPUT])))
        x = dropout_1(pool_1(spatial_elu(spatial_bn(spatial_conv(x)))))
        x = dropout_2(pool_2(separable_elu(separable_bn(separable_conv(x)))))
        outputs = {LABEL_OUTPUT: head(flatten(x))}
        super().__init__(inputs=inputs, outputs=outputs, **kwargs)

        # === Config ===
        self.n_chans = n_chans
        self.n_times = n_times
        self.sfreq = float(sfreq)
        self.n_outputs = n_outputs
        self.n_filters_temporal = n_filters_temporal
        self.depth_multiplier = depth_multiplier
        self.n_filters_separable = n_filters_separable
        self.kernel_length = kernel_length
        self.separable_kernel = separable_kernel
        self.dropout = dropout
        self.spatial_max_norm = float(spatial_max_norm)
        self.dense_max_norm = float(dense_max_norm)
        self.temporal_kernel = temporal_kernel
        self.depthwise_kernel = depthwise_kernel

    def get_config(self):
        return {
            "name": self.name,
            "trainable": self.trainable,
            "n_chans": self.n_chans,
            "n_times": self.n_times,
            "sfreq": self.sfreq,
            "n_outputs": self.n_outputs,
            "n_filters_temporal": self.n_filters_temporal,
            "depth_multiplier": self.depth_multiplier,
            "n_filters_separable": self.n_filters_separable,
            "kernel_length": self.kernel_length,
            "separable_kernel": self.separable_kernel,
            "dropout": self.dropout,
            "spatial_max_norm": self.spatial_max_norm,
            "dense_max_norm": self.dense_max_norm,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)


_TUNABLE_ARGUMENTS = (
    "sfreq",
    "n_filters_temporal",
    "depth_multiplier",
    "n_filters_separable",
    "kernel_length",
    "separable_kernel",
    "dropout",
    "spatial_max_norm",
    "dense_max_norm",
    "name",
)


def build_eegnet(input_shapes, n_outputs=None, preset=None, signals=None, **overrides):
    """Registry ``build``: an uncompiled :class:`EEGNet`.

    Args:
        input_shapes: mapping with ``"eeg"``: ``(n_times, n_chans)`` (extra keys ignored).
        n_outputs: number of classes (default 2).
        preset: a name in :data:`EEGNET_PRESETS` (``"eegnet_8_2"`` by default).
        signals: the dataset's signal facts (``{"eeg": {"sfreq_hz": ..., "channels": ...}}``,
            passed by the runner); the ``eeg`` rate sets ``sfreq``.
        **overrides: :class:`EEGNet` arguments that replace the preset's (``sfreq`` among them;
            it must agree with ``signals``).

    Returns:
        The uncompiled model; input ``eeg``, output ``label`` ``(batch, n_outputs)``.
    """
    arguments = resolve_raw_eeg_arguments(
        "eegnet",
        input_shapes,
        n_outputs,
        preset,
        overrides,
        EEGNET_PRESETS,
        DEFAULT_PRESET,
        _TUNABLE_ARGUMENTS,
        signals=signals,
    )
    return EEGNet(**arguments)


def compile_eegnet(
    model,
    *,
    steps_per_epoch=100,
    epochs=10,
    jit_compile=False,
    learning_rate=1e-3,
    label_smoothing=0.0,
):
    """Registry ``compile``: Adam (the paper's default parameters, learning rate 1e-3),
    categorical cross-entropy on one-hot ``label``, accuracy.

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
