"""The multimodal three-head LSTM: one LSTM branch per signal, a dense fusion, three heads.

Inputs are time-major windows (AMIGOS: 4 s at 128 Hz, so ``n_times=512``, but any length):

- ``eeg`` ``(n_times, n_eeg_chans)`` (14 channels), ``ecg`` ``(n_times, n_ecg_chans)`` (2),
  ``gsr`` ``(n_times, n_gsr_chans)`` (1), all float32 and already normalised by the trainer.

Each branch first shortens the sequence by ``pool_size`` (``pool_size=4`` turns 128 Hz into
32 Hz, which divides the LSTM steps by four and keeps CPU training fast): ECG and GSR average
``pool_size`` consecutive samples; EEG passes through a learnable per-channel FIR filter bank
with ReLU rectification and stride ``pool_size`` (``eeg_filter_taps``; 0 falls back to
averaging), so band power such as frontal alpha asymmetry reaches the LSTM. Then it runs two stacked
LSTMs (the second returns its last state only; optionally as one fused loop, see ``fused_lstm``)
and two ReLU dense layers. The branch code is shared with ``signal_fusion``
(:mod:`amigos_emo.models.signal_fusion.signal_fusion_branches`). The three branch
vectors are concatenated, batch-normalised, and fused by three ReLU dense layers. Three float32
heads read the fused vector:

- ``valence`` and ``arousal``: linear regressions of the self-assessed ratings, ``(batch, 1)``;
- ``transition``: sigmoid probability that the window lies on an emotional transition,
  ``(batch, 1)``.

Dropout follows every dense layer; the LSTM and dense kernels carry an L2 penalty.
"""

from __future__ import annotations

from collections.abc import Mapping

import keras

from amigos_emo._checks import check_count, check_option, check_positive, check_rate, validate_type
from amigos_emo._logging import logger
from amigos_emo.models.multimodal_lstm.multimodal_lstm_presets import (
    DEFAULT_PRESET,
    MULTIMODAL_LSTM_PRESETS,
)
from amigos_emo.models.schedules import CosineDecay
from amigos_emo.models.signal_fusion.signal_fusion_branches import (
    apply_layers,
    branch_layers,
    fusion_layers,
)
from amigos_emo.models.signal_fusion.signal_fusion_branches import check_units as _check_units

INPUT_NAMES = ("eeg", "ecg", "gsr")
OUTPUT_NAMES = ("valence", "arousal", "transition")


@keras.saving.register_keras_serializable(package="amigos_emo")
class MultimodalLSTMBackbone(keras.Model):
    """Three-branch (EEG, ECG, GSR) LSTM with valence, arousal and transition heads.

    Args:
        n_times: samples per window (``None`` for variable length), e.g. 512 for 4 s at 128 Hz.
        n_eeg_chans: EEG channels (14 on AMIGOS).
        n_ecg_chans: ECG leads (2 on AMIGOS).
        n_gsr_chans: GSR channels (1 on AMIGOS).
        pool_size: down-sampling factor of the front-end: ECG and GSR average this many
            samples, the EEG filter bank uses it as its stride (1 keeps the full rate).
        eeg_filter_taps: taps of the EEG branch's learnable front-end, a per-channel FIR
            filter bank with ReLU rectification (``DepthwiseConv1D`` with stride
            ``pool_size``) that replaces plain averaging for EEG; 0 keeps averaging. Band-limited
            rhythms (alpha asymmetry, the valence cue) need a filter and a rectifier before an
            LSTM can integrate their power: averaging alone left valence unlearned in our
            synthetic-corpus runs, while 16 taps (14 x 17 = 238 weights) learned it.
        eeg_lstm_units: widths of the stacked EEG LSTMs; the last returns its final state.
        eeg_dense_units: widths of the EEG dense layers after the LSTMs.
        ecg_lstm_units, ecg_dense_units, gsr_lstm_units, gsr_dense_units: likewise.
        fusion_units: widths of the dense layers after the concatenation.
        dropout: dropout rate after every dense layer, in [0, 1).
        l2: L2 penalty on LSTM and dense kernels (0 disables it).
        use_batch_norm: batch-normalise the concatenated branch vectors.
        fused_lstm: run each branch's stacked LSTMs as one unrolled
            :class:`~amigos_emo.models.signal_fusion.signal_fusion_branches.StackedLSTM`
            (``{signal}_lstm``) instead of separate ``keras.layers.LSTM`` layers
            (``{signal}_lstm_1``, ...; the default). Both compute the same function with the
            same weights and have the same parameter count;
            :func:`~amigos_emo.models.signal_fusion.signal_fusion_branches.copy_lstm_weights`
            moves weights between them. Not the default: on our loaded 2-core machine the fused
            form was not measured faster for 128-step windows, and full unrolling makes the
            first training step (graph optimisation) several times slower.
        **kwargs: ``name``, ``trainable`` (forwarded to ``keras.Model``).

    Example:
        >>> model = MultimodalLSTMBackbone(n_times=512)
        >>> sorted(model.output_names)
        ['arousal', 'transition', 'valence']
    """

    def __init__(
        self,
        n_times=512,
        n_eeg_chans=14,
        n_ecg_chans=2,
        n_gsr_chans=1,
        pool_size=4,
        eeg_filter_taps=16,
        eeg_lstm_units=(64, 32),
        eeg_dense_units=(48, 24),
        ecg_lstm_units=(32, 16),
        ecg_dense_units=(20, 12),
        gsr_lstm_units=(32, 16),
        gsr_dense_units=(20, 12),
        fusion_units=(64, 32, 16),
        dropout=0.2,
        l2=1e-4,
        use_batch_norm=True,
        fused_lstm=False,
        **kwargs,
    ):
        n_times = check_count(n_times, "n_times", allow_none=True)
        n_chans = {
            "eeg": check_count(n_eeg_chans, "n_eeg_chans"),
            "ecg": check_count(n_ecg_chans, "n_ecg_chans"),
            "gsr": check_count(n_gsr_chans, "n_gsr_chans"),
        }
        pool_size = check_count(pool_size, "pool_size")
        validate_type(eeg_filter_taps, int, "eeg_filter_taps")
        check_positive(eeg_filter_taps, "eeg_filter_taps", allow_zero=True)
        if n_times is not None and n_times < pool_size:
            raise ValueError(
                f"n_times must be >= pool_size ({pool_size}) so that pooling leaves at least one "
                f"step. Received: n_times={n_times}"
            )
        lstm_units = {
            "eeg": _check_units(eeg_lstm_units, "eeg_lstm_units"),
            "ecg": _check_units(ecg_lstm_units, "ecg_lstm_units"),
            "gsr": _check_units(gsr_lstm_units, "gsr_lstm_units"),
        }
        dense_units = {
            "eeg": _check_units(eeg_dense_units, "eeg_dense_units", min_length=0),
            "ecg": _check_units(ecg_dense_units, "ecg_dense_units", min_length=0),
            "gsr": _check_units(gsr_dense_units, "gsr_dense_units", min_length=0),
        }
        fusion_units = _check_units(fusion_units, "fusion_units", min_length=0)
        dropout = check_rate(dropout, "dropout")
        validate_type(l2, "numeric", "l2")
        check_positive(l2, "l2", allow_zero=True)
        validate_type(use_batch_norm, bool, "use_batch_norm")
        validate_type(fused_lstm, bool, "fused_lstm")
        kwargs.setdefault("name", "multimodal_lstm")

        def regularizer():
            return keras.regularizers.L2(l2) if l2 > 0 else None

        # === Layers ===
        inputs = {
            signal: keras.Input(shape=(n_times, n_chans[signal]), name=signal)
            for signal in INPUT_NAMES
        }
        branches = {}
        for signal in INPUT_NAMES:
            if signal == "eeg" and eeg_filter_taps > 0:
                front_end = {"front_end": "depthwise", "filter_taps": eeg_filter_taps}
            else:
                front_end = {"front_end": "average"}
            branches[signal] = branch_layers(
                signal,
                stride=pool_size,
                lstm_units=lstm_units[signal],
                dense_units=dense_units[signal],
                dropout=dropout,
                l2=l2,
                fused_lstm=fused_lstm,
                **front_end,
            )
        concatenate = keras.layers.Concatenate(axis=-1, name="fusion_concat")
        fusion = fusion_layers(fusion_units, dropout, regularizer, use_batch_norm)
        heads = {
            "valence": keras.layers.Dense(1, name="valence", dtype="float32"),
            "arousal": keras.layers.Dense(1, name="arousal", dtype="float32"),
            "transition": keras.layers.Dense(
                1, activation="sigmoid", name="transition", dtype="float32"
            ),
        }

        # === Functional Model ===
        branch_outputs = []
        for signal in INPUT_NAMES:
            branch_outputs.append(apply_layers(branches[signal], inputs[signal]))
        x = apply_layers(fusion, concatenate(branch_outputs))
        outputs = {name: head(x) for name, head in heads.items()}
        super().__init__(inputs=inputs, outputs=outputs, **kwargs)

        # === Config ===
        self.n_times = n_times
        self.n_eeg_chans = n_chans["eeg"]
        self.n_ecg_chans = n_chans["ecg"]
        self.n_gsr_chans = n_chans["gsr"]
        self.pool_size = pool_size
        self.eeg_filter_taps = int(eeg_filter_taps)
        self.eeg_lstm_units = lstm_units["eeg"]
        self.eeg_dense_units = dense_units["eeg"]
        self.ecg_lstm_units = lstm_units["ecg"]
        self.ecg_dense_units = dense_units["ecg"]
        self.gsr_lstm_units = lstm_units["gsr"]
        self.gsr_dense_units = dense_units["gsr"]
        self.fusion_units = fusion_units
        self.dropout = dropout
        self.l2 = float(l2)
        self.use_batch_norm = use_batch_norm
        self.fused_lstm = fused_lstm

    def get_config(self):
        return {
            "name": self.name,
            "trainable": self.trainable,
            "n_times": self.n_times,
            "n_eeg_chans": self.n_eeg_chans,
            "n_ecg_chans": self.n_ecg_chans,
            "n_gsr_chans": self.n_gsr_chans,
            "pool_size": self.pool_size,
            "eeg_filter_taps": self.eeg_filter_taps,
            "eeg_lstm_units": list(self.eeg_lstm_units),
            "eeg_dense_units": list(self.eeg_dense_units),
            "ecg_lstm_units": list(self.ecg_lstm_units),
            "ecg_dense_units": list(self.ecg_dense_units),
            "gsr_lstm_units": list(self.gsr_lstm_units),
            "gsr_dense_units": list(self.gsr_dense_units),
            "fusion_units": list(self.fusion_units),
            "dropout": self.dropout,
            "l2": self.l2,
            "use_batch_norm": self.use_batch_norm,
            "fused_lstm": self.fused_lstm,
        }

    @classmethod
    def from_config(cls, config):
        # Files saved before the option existed have no "fused_lstm": they used the per-layer
        # LSTM layout, whose weight paths they hold.
        config = {"fused_lstm": False, **config}
        return cls(**config)


# Constructor arguments a preset or an override may set (the shapes come from input_shapes).
_TUNABLE_ARGUMENTS = (
    "pool_size",
    "eeg_filter_taps",
    "eeg_lstm_units",
    "eeg_dense_units",
    "ecg_lstm_units",
    "ecg_dense_units",
    "gsr_lstm_units",
    "gsr_dense_units",
    "fusion_units",
    "dropout",
    "l2",
    "use_batch_norm",
    "fused_lstm",
    "name",
)


def build_multimodal_lstm(input_shapes, n_outputs=None, preset=None, **overrides):
    """Registry ``build``: an uncompiled :class:`MultimodalLSTMBackbone`.

    Args:
        input_shapes: mapping with ``"eeg"``, ``"ecg"`` and ``"gsr"`` per-example shapes
            ``(n_times, n_chans)`` sharing one ``n_times`` (extra keys are ignored).
        n_outputs: must be ``None``: the three heads are fixed (one unit each).
        preset: ``"maximum"`` (default), ``"moderate"`` or ``"lightweight"``.
        **overrides: constructor arguments that replace the preset's (e.g. ``pool_size=1``).

    Returns:
        The uncompiled model; inputs ``eeg``/``ecg``/``gsr``, outputs
        ``valence``/``arousal``/``transition``, each ``(batch, 1)`` float32.

    Raises:
        ValueError: missing inputs, shapes that are not ``(n_times, n_chans)`` or disagree on
            ``n_times``, ``n_outputs`` other than ``None``, unknown preset or override.
    """
    validate_type(input_shapes, Mapping, "input_shapes")
    missing = [name for name in INPUT_NAMES if name not in input_shapes]
    if missing:
        raise ValueError(
            f"input_shapes must give the per-example shapes of {list(INPUT_NAMES)}; "
            f"missing {missing}. Received: input_shapes={dict(input_shapes)!r}"
        )
    shapes = {}
    for name in INPUT_NAMES:
        shape = tuple(input_shapes[name])
        if len(shape) != 2:
            raise ValueError(
                f"input_shapes[{name!r}] must be (n_times, n_chans), time-major and without the "
                f"batch axis. Received: input_shapes[{name!r}]={shape!r}"
            )
        shapes[name] = shape
    n_times_by_input = {name: shape[0] for name, shape in shapes.items()}
    if len(set(n_times_by_input.values())) != 1:
        raise ValueError(
            "eeg, ecg and gsr windows must share one n_times (resample them to one rate "
            f"first). Received: n_times per input {n_times_by_input}"
        )
    extra = sorted(set(input_shapes) - set(INPUT_NAMES))
    if extra:
        logger.debug("multimodal_lstm ignores the inputs %s", extra)
    if n_outputs is not None:
        raise ValueError(
            "multimodal_lstm has three fixed one-unit heads (valence, arousal, transition); "
            f"leave n_outputs at None. Received: n_outputs={n_outputs!r}"
        )
    preset = DEFAULT_PRESET if preset is None else preset
    check_option(preset, tuple(MULTIMODAL_LSTM_PRESETS), "preset")
    unknown = sorted(set(overrides) - set(_TUNABLE_ARGUMENTS))
    if unknown:
        raise ValueError(
            f"Unknown multimodal_lstm arguments {unknown}. Expected some of "
            f"{list(_TUNABLE_ARGUMENTS)}. Received: overrides={overrides!r}"
        )
    arguments = {**MULTIMODAL_LSTM_PRESETS[preset], **overrides}
    return MultimodalLSTMBackbone(
        n_times=shapes["eeg"][0],
        n_eeg_chans=shapes["eeg"][1],
        n_ecg_chans=shapes["ecg"][1],
        n_gsr_chans=shapes["gsr"][1],
        **arguments,
    )


def compile_multimodal_lstm(
    model,
    *,
    steps_per_epoch=100,
    epochs=10,
    jit_compile=False,
    learning_rate=1e-3,
    final_learning_rate_fraction=0.05,
    loss_weights=None,
    clipnorm=1.0,
):
    """Registry ``compile``: Adam with cosine decay, MSE/MSE/binary cross-entropy.

    Args:
        model: a model with outputs ``valence``, ``arousal`` and ``transition``.
        steps_per_epoch: optimiser steps per epoch (sets the decay length).
        epochs: epochs planned; the learning rate decays over ``steps_per_epoch * epochs``.
        jit_compile: compile the train step with XLA.
        learning_rate: initial Adam learning rate.
        final_learning_rate_fraction: the cosine decay ends at this fraction of
            ``learning_rate`` (``alpha`` of ``keras.optimizers.schedules.CosineDecay``).
        loss_weights: per-head weights; missing heads keep weight 1.0.
        clipnorm: gradient-norm clipping of Adam (``None`` disables it).

    Metrics: MAE for ``valence`` and ``arousal``; AUC and binary accuracy for ``transition``.
    """
    validate_type(model, keras.Model, "model")
    missing = [name for name in OUTPUT_NAMES if name not in model.output_names]
    if missing:
        raise ValueError(
            f"model must have the outputs {list(OUTPUT_NAMES)}; missing {missing}. "
            f"Received: model with outputs {model.output_names}"
        )
    steps_per_epoch = check_count(steps_per_epoch, "steps_per_epoch")
    epochs = check_count(epochs, "epochs")
    check_positive(learning_rate, "learning_rate")
    validate_type(final_learning_rate_fraction, "numeric", "final_learning_rate_fraction")
    if not 0 <= final_learning_rate_fraction <= 1:
        raise ValueError(
            "final_learning_rate_fraction must be in [0, 1]. "
            f"Received: final_learning_rate_fraction={final_learning_rate_fraction!r}"
        )
    weights = {name: 1.0 for name in OUTPUT_NAMES}
    if loss_weights is not None:
        validate_type(loss_weights, Mapping, "loss_weights")
        unknown = sorted(set(loss_weights) - set(OUTPUT_NAMES))
        if unknown:
            raise ValueError(
                f"loss_weights keys must be among {list(OUTPUT_NAMES)}. Received: loss_weights={dict(loss_weights)!r}"
            )
        for name, weight in loss_weights.items():
            check_positive(weight, f"loss_weights[{name!r}]", allow_zero=True)
        weights.update({name: float(weight) for name, weight in loss_weights.items()})
    schedule = CosineDecay(
        initial_learning_rate=learning_rate,
        decay_steps=steps_per_epoch * epochs,
        alpha=final_learning_rate_fraction,
    )
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=schedule, clipnorm=clipnorm),
        loss={
            "valence": keras.losses.MeanSquaredError(name="valence_mse"),
            "arousal": keras.losses.MeanSquaredError(name="arousal_mse"),
            "transition": keras.losses.BinaryCrossentropy(name="transition_bce"),
        },
        loss_weights=weights,
        metrics={
            "valence": [keras.metrics.MeanAbsoluteError(name="mae")],
            "arousal": [keras.metrics.MeanAbsoluteError(name="mae")],
            "transition": [
                keras.metrics.AUC(name="auc"),
                keras.metrics.BinaryAccuracy(name="accuracy"),
            ],
        },
        jit_compile=jit_compile,
    )
    return model
