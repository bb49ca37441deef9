"""TSception (Ding et al. 2022, "TSception: capturing temporal dynamics and spatial asymmetry
from EEG for emotion recognition", IEEE Trans. Affect. Comput. 14(3)), after the authors' code.

1. Multi-scale temporal learner: three convolutions of ``n_filters_temporal`` filters with
   kernels of 0.5, 0.25 and 0.125 s (``int(window * sfreq)`` samples), each -> leaky ReLU
   (slope 0.01) -> average pooling by 8 in time; concatenated along time -> batch norm.
2. Multi-scale asymmetric spatial learner: a global kernel over all electrodes and a
   hemisphere kernel over half of them with a stride of half (one output per hemisphere, the
   same weights on both), ``n_filters_spatial`` filters each -> leaky ReLU -> average pooling
   by 2; concatenated along the electrode axis (3 rows) -> batch norm.
3. Fusion: a convolution over the 3 rows -> leaky ReLU -> average pooling by 4 -> batch norm,
   then the mean over time.
4. Classifier: dense ``hidden_units`` ReLU -> dropout -> dense ``n_outputs`` -> softmax.

The hemisphere kernel needs the electrodes arranged as the left hemisphere, then the right one
mirrored electrode by electrode. With ``channel_names`` the model does it itself (a fixed
gather, :func:`.tsception_layers.hemisphere_order`, midline electrodes dropped, as the paper
drops DEAP's four); with ``channel_names=None`` the input must already be so arranged (an even
number of electrodes). Other choices, written down: batch norm with PyTorch's momentum 0.1
(Keras 0.9) and epsilon 1e-5, "valid" convolutions and pooling as in the authors' code, the
input time-major ``(n_times, n_chans)`` read as a ``(n_times, n_chans, 1)`` image (kernels
``(k, 1)`` in time, ``(1, n)`` over electrodes) instead of a transpose.

At DEAP's 28 electrodes x 512 samples (4 s at 128 Hz), 2 classes and the paper's 15/15/32
this has 12,563 trainable parameters (plus 180 batch-norm moving statistics). braindecode's
``TSception`` flattens the fused features instead of averaging them over time (139,523 at
those settings); this follows the authors' code.
"""

from __future__ import annotations

import keras

from amigos_emo._checks import check_count, check_positive, check_rate, validate_type
from amigos_emo.models.eeg_classifiers_common import (
    EEG_INPUT,
    LABEL_OUTPUT,
    compile_softmax_classifier,
    resolve_raw_eeg_arguments,
)
from amigos_emo.models.tsception.tsception_layers import SelectChannels, hemisphere_order
from amigos_emo.models.tsception.tsception_presets import DEFAULT_PRESET, TSCEPTION_PRESETS

INPUT_NAMES = (EEG_INPUT,)
OUTPUT_NAMES = (LABEL_OUTPUT,)
INCEPTION_WINDOWS_S = (0.5, 0.25, 0.125)
_TEMPORAL_POOL = 8
_SPATIAL_POOL = 2
_FUSION_POOL = 4
_LEAKY_SLOPE = 0.01  # PyTorch's LeakyReLU default, used by the authors.
_BN_KWARGS = {"momentum": 0.9, "epsilon": 1e-5}


def temporal_kernels(sfreq):
    """The three temporal kernel lengths in samples, ``int(window_s * sfreq)``."""
    return tuple(int(window * sfreq) for window in INCEPTION_WINDOWS_S)


def fused_length(n_times, sfreq):
    """Time steps after the temporal, spatial and fusion poolings (0: the window is too short)."""
    branches = [(n_times - k + 1) // _TEMPORAL_POOL for k in temporal_kernels(sfreq)]
    if min(branches) < 1:  # the longest kernel must fill one pooling window
        return 0
    return (sum(branches) // _SPATIAL_POOL) // _FUSION_POOL


@keras.saving.register_keras_serializable(package="amigos_emo")
class TSception(keras.Model):
    """TSception on raw EEG windows (functional model).

    Args:
        n_chans: electrodes in the input.
        n_times: samples per window (>= 71 at 128 Hz: the 0.5 s kernel must fill one pooling
            window; the paper uses 4 s).
        sfreq: sampling rate in Hz; sets the temporal kernels.
        n_outputs: number of classes (>= 2).
        n_filters_temporal: filters of each temporal convolution (15).
        n_filters_spatial: filters of each spatial convolution and of the fusion (15).
        hidden_units: width of the hidden dense layer (32).
        dropout: dropout rate in the classifier (0.5).
        channel_names: the input's electrode names (``n_chans`` of them), used to arrange the
            hemispheres; ``None`` keeps the input order (then ``n_chans`` must be even).
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
        sfreq=128.0,
        n_outputs=2,
        n_filters_temporal=15,
        n_filters_spatial=15,
        hidden_units=32,
        dropout=0.5,
        channel_names=None,
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
        n_filters_spatial = check_count(n_filters_spatial, "n_filters_spatial")
        hidden_units = check_count(hidden_units, "hidden_units")
        dropout = check_rate(dropout, "dropout")
        kernels = temporal_kernels(sfreq)
        if min(kernels) < 1:
            raise ValueError(
                f"sfreq must give temporal kernels of >= 1 sample (0.125 s * sfreq >= 1). "
                f"Received: sfreq={sfreq}"
            )
        if channel_names is not None:
            validate_type(channel_names, (list, tuple), "channel_names")
            channel_names = tuple(str(name) for name in channel_names)
            if len(channel_names) != n_chans:
                raise ValueError(
                    f"channel_names must name the {n_chans} input electrodes (n_chans). "
                    f"Received: {len(channel_names)} channel_names={list(channel_names)!r}"
                )
            order = hemisphere_order(channel_names)
        else:
            if n_chans % 2:
                raise ValueError(
                    "n_chans must be even when channel_names is None: the input must hold the "
                    "left hemisphere, then the mirrored right one. Received: "
                    f"n_chans={n_chans}"
                )
            order = None
        n_used = n_chans if order is None else len(order)
        if fused_length(n_times, sfreq) < 1:
            raise ValueError(
                f"n_times is too short for TSception at sfreq={sfreq:g} Hz (kernels {kernels}, "
                f"poolings {_TEMPORAL_POOL}, {_SPATIAL_POOL}, {_FUSION_POOL}). "
                f"Received: n_times={n_times}"
            )
        half = n_used // 2
        kwargs.setdefault("name", "tsception")

        # === Layers ===
        select = SelectChannels(order, name="hemisphere_order") if order is not None else None
        as_image = keras.layers.Reshape((n_times, n_used, 1), name="as_image")
        temporal = []
        for index, kernel in enumerate(kernels, start=1):
            temporal.append(
                (
                    keras.layers.Conv2D(
                        n_filters_temporal, (kernel, 1), name=f"temporal_conv_{index}"
                    ),
                    keras.layers.LeakyReLU(_LEAKY_SLOPE, name=f"temporal_act_{index}"),
                    keras.layers.AveragePooling2D(
                        (_TEMPORAL_POOL, 1), name=f"temporal_pool_{index}"
                    ),
                )
            )
        temporal_concat = keras.layers.Concatenate(axis=1, name="temporal_concat")
        temporal_bn = keras.layers.BatchNormalization(name="temporal_bn", **_BN_KWARGS)
        spatial = []
        for label, kernel in (("global", n_used), ("hemisphere", half)):
            spatial.append(
                (
                    keras.layers.Conv2D(
                        n_filters_spatial,
                        (1, kernel),
                        strides=(1, kernel),
                        name=f"spatial_conv_{label}",
                    ),
                    keras.layers.LeakyReLU(_LEAKY_SLOPE, name=f"spatial_act_{label}"),
                    keras.layers.AveragePooling2D((_SPATIAL_POOL, 1), name=f"spatial_pool_{label}"),
                )
            )
        spatial_concat = keras.layers.Concatenate(axis=2, name="spatial_concat")
        spatial_bn = keras.layers.BatchNormalization(name="spatial_bn", **_BN_KWARGS)
        fusion_conv = keras.layers.Conv2D(n_filters_spatial, (1, 3), name="fusion_conv")
        fusion_act = keras.layers.LeakyReLU(_LEAKY_SLOPE, name="fusion_act")
        fusion_pool = keras.layers.AveragePooling2D((_FUSION_POOL, 1), name="fusion_pool")
        fusion_bn = keras.layers.BatchNormalization(name="fusion_bn", **_BN_KWARGS)
        time_mean = keras.layers.GlobalAveragePooling2D(name="time_mean")
        hidden = keras.layers.Dense(hidden_units, activation="relu", name="hidden")
        dropout_layer = keras.layers.Dropout(dropout, name="dropout")
        head = keras.layers.Dense(
            n_outputs, activation="softmax", dtype="float32", name=LABEL_OUTPUT
        )

        # === Functional Model ===
        inputs = {EEG_INPUT: keras.Input(shape=(n_times, n_chans), name=EEG_INPUT)}
        x = inputs[EEG_INPUT]
        if select is not None:
            x = select(x)
        x = as_image(x)
        branches = []
        for conv, act, pool in temporal:
            branches.append(pool(act(conv(x))))
        x = temporal_bn(temporal_concat(branches))
        branches = []
        for conv, act, pool in spatial:
            branches.append(pool(act(conv(x))))
        x = spatial_bn(spatial_concat(branches))
        x = fusion_bn(fusion_pool(fusion_act(fusion_conv(x))))
        x = dropout_layer(hidden(time_mean(x)))
        outputs = {LABEL_OUTPUT: head(x)}
        super().__init__(inputs=inputs, outputs=outputs, **kwargs)

        # === Config ===
        self.n_chans = n_chans
        self.n_times = n_times
        self.sfreq = float(sfreq)
        self.n_outputs = n_outputs
        self.n_filters_temporal = n_filters_temporal
        self.n_filters_spatial = n_filters_spatial
        self.hidden_units = hidden_units
        self.dropout = dropout
        self.channel_names = channel_names
        self.channel_order = order

    def get_config(self):
        return {
            "name": self.name,
            "trainable": self.trainable,
            "n_chans": self.n_chans,
            "n_times": self.n_times,
            "sfreq": self.sfreq,
            "n_outputs": self.n_outputs,
            "n_filters_temporal": self.n_filters_temporal,
            "n_filters_spatial": self.n_filters_spatial,
            "hidden_units": self.hidden_units,
            "dropout": self.dropout,
            "channel_names": None if self.channel_names is None else list(self.channel_names),
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)


_TUNABLE_ARGUMENTS = (
    "sfreq",
    "n_filters_temporal",
    "n_filters_spatial",
    "hidden_units",
    "dropout",
    "channel_names",
    "name",
)


def build_tsception(input_shapes, n_outputs=None, preset=None, signals=None, **overrides):
    """Registry ``build``: an uncompiled :class:`TSception`.

    Args:
        input_shapes: mapping with ``"eeg"``: ``(n_times, n_chans)`` (extra keys ignored).
        n_outputs: number of classes (default 2).
        preset: a name in :data:`TSCEPTION_PRESETS` (``"paper"`` by default).
        signals: the dataset's signal facts (``{"eeg": {"sfreq_hz": ..., "channels": ...}}``,
            passed by the runner): the rate sets ``sfreq`` and the electrode names
            ``channel_names`` (unless overridden).
        **overrides: :class:`TSception` arguments that replace the preset's (``sfreq`` must
            agree with ``signals``).

    Returns:
        The uncompiled model; input ``eeg``, output ``label`` ``(batch, n_outputs)``.
    """
    arguments = resolve_raw_eeg_arguments(
        "tsception",
        input_shapes,
        n_outputs,
        preset,
        overrides,
        TSCEPTION_PRESETS,
        DEFAULT_PRESET,
        _TUNABLE_ARGUMENTS,
        signals=signals,
        data_arguments=("sfreq", "channel_names"),
    )
    return TSception(**arguments)


def compile_tsception(
    model,
    *,
    steps_per_epoch=100,
    epochs=10,
    jit_compile=False,
    learning_rate=1e-3,
    label_smoothing=0.0,
):
    """Registry ``compile``: Adam at the authors' learning rate 1e-3, categorical
    cross-entropy on one-hot ``label``, accuracy.

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
