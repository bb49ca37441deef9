"""``signal_fusion``: one branch per signal input, whatever the signal set, fused into the
heads a dataset's labels call for.

Inputs are time-major windows keyed by signal type (``eeg``, ``ecg``, ``gsr``, ``bvp``, ``ppg``,
``acc``, ``resp``, ``emg``, ``eog``, ``temperature``, ``misc``, ...), each
``(n_times, n_chans)`` float32 at its own rate, already normalised (the training runner wraps
the model with the normalisation fitted on the training subjects). Windows share a duration, so
``n_times`` is proportional to each signal's rate.

Each branch (:func:`~amigos_emo.models.signal_fusion.signal_fusion_branches.branch_layers`)
optionally starts by standardising its window over time, with each channel's window mean and log
std kept as constant channels (``window_norm="levels"``, the default preset's choice: on the
synthetic wearable study, where people differ more than conditions, it lifted LOSO balanced
accuracy from 0.306 to 0.396 on 3 classes under train-only normalisation), then has
a strided front-end whose stride brings its signal to about ``target_steps`` steps (a 60 s window
of BVP at 64 Hz, 3,840 samples, and of EDA at 4 Hz, 240 samples, both end at 30-40 steps), stacked
LSTMs run as one fused loop, and optional dense layers. The branch vectors are concatenated,
batch-normalised, fused by ReLU dense layers with dropout, and read by one float32 head per
label. An input of shape ``(n_features,)`` (the per-window physiological features the custom
builder writes beside the signals with ``"representation": "raw+features"``) is a feature
vector: its branch is ReLU dense layers (``feature_units``) with dropout, and its vector joins
the concatenation like a signal branch's. The heads:

- ``"classification"``: ``Dense(n_classes, softmax)``, ``(batch, n_classes)``;
- ``"binary"``: ``Dense(1, sigmoid)``, ``(batch, 1)``;
- ``"regression"``: ``Dense(1)`` (linear), ``(batch, 1)``.
"""

from __future__ import annotations

from collections.abc import Mapping

import keras

from amigos_emo._checks import check_count, check_option, check_positive, check_rate, validate_type
from amigos_emo.models.schedules import CosineDecay
from amigos_emo.models.signal_fusion.signal_fusion_branches import (
    FRONT_ENDS,
    WindowStandardization,
    apply_layers,
    branch_layers,
    check_units,
    dense_layers,
    fusion_layers,
)
from amigos_emo.models.signal_fusion.signal_fusion_presets import (
    DEFAULT_PRESET,
    SIGNAL_FUSION_PRESETS,
)

HEAD_KINDS = ("classification", "binary", "regression")
# ``window_norm``: "none" (the branch reads the normalised window as it is) or "levels"
# (:class:`WindowStandardization`: the branch reads the window standardised over its own time
# axis, with each channel's window mean and log std as constant channels beside it) or "shape"
# (the standardised window alone, without the levels). "auto" (the default preset's) resolves
# to "shape" when a feature vector input carries the levels, else to "levels".
WINDOW_NORMS = ("none", "levels", "shape")
DEFAULT_HEAD_NAME = "label"
# Per-branch arguments that ``branch_overrides`` may set for one signal.
BRANCH_ARGUMENTS = ("front_end", "stride", "filter_taps", "n_filters", "lstm_units", "dense_units")


def check_input_shapes(input_shapes, name="input_shapes"):
    """``{signal: (n_times, n_chans)}`` with ints (``n_times`` may be ``None``), and at most
    feature vectors ``{name: (n_features,)}`` beside them, or a clear error."""
    validate_type(input_shapes, Mapping, name)
    if not input_shapes:
        raise ValueError(
            f"{name} must name at least one signal input, e.g. {{'bvp': (3840, 1)}}. "
            f"Received: {name}={dict(input_shapes)!r}"
        )
    shapes = {}
    for signal, shape in input_shapes.items():
        validate_type(signal, str, f"{name} key")
        shape = tuple(shape)
        if len(shape) == 1:  # a per-window feature vector (e.g. "features")
            shapes[signal] = (check_count(shape[0], f"{name}[{signal!r}][0] (n_features)"),)
            continue
        if len(shape) != 2:
            raise ValueError(
                f"{name}[{signal!r}] must be (n_times, n_chans), time-major and without the "
                f"batch axis, or (n_features,) for a feature vector. "
                f"Received: {name}[{signal!r}]={shape!r}"
            )
        n_times = check_count(shape[0], f"{name}[{signal!r}][0] (n_times)", allow_none=True)
        n_chans = check_count(shape[1], f"{name}[{signal!r}][1] (n_chans)")
        shapes[signal] = (n_times, n_chans)
    return shapes


def check_heads(heads, name="heads"):
    """``{head: {"kind": ..., "n_classes": ...}}`` normalised, or a clear error."""
    validate_type(heads, Mapping, name)
    if not heads:
        raise ValueError(f"{name} must name at least one head. Received: {name}={dict(heads)!r}")
    checked = {}
    for head, spec in heads.items():
        validate_type(head, str, f"{name} key")
        validate_type(spec, Mapping, f"{name}[{head!r}]")
        unknown = sorted(set(spec) - {"kind", "n_classes"})
        if unknown or "kind" not in spec:
            raise ValueError(
                f"{name}[{head!r}] must be {{'kind': one of {list(HEAD_KINDS)}, 'n_classes': int "
                f"or None}}. Received: {name}[{head!r}]={dict(spec)!r}"
            )
        kind = spec["kind"]
        check_option(kind, HEAD_KINDS, f"{name}[{head!r}]['kind']")
        n_classes = spec.get("n_classes")
        if kind == "classification":
            n_classes = check_count(n_classes, f"{name}[{head!r}]['n_classes']")
            if n_classes < 2:
                raise ValueError(
                    f"{name}[{head!r}]['n_classes'] must be >= 2 for a classification head. "
                    f"Received: {name}[{head!r}]['n_classes']={n_classes}"
                )
        elif n_classes not in (None, 2 if kind == "binary" else None):
            raise ValueError(
                f"{name}[{head!r}]['n_classes'] must be None for a {kind} head (one output "
                f"unit). Received: {name}[{head!r}]['n_classes']={n_classes!r}"
            )
        else:
            n_classes = None
        checked[head] = {"kind": kind, "n_classes": n_classes}
    return checked


def resolve_window_norm(window_norm, input_shapes):
    """``window_norm`` with ``"auto"`` resolved for ``input_shapes`` (see :data:`WINDOW_NORMS`)."""
    check_option(window_norm, (*WINDOW_NORMS, "auto"), "window_norm")
    if window_norm != "auto":
        return window_norm
    return "shape" if any(len(shape) == 1 for shape in input_shapes.values()) else "levels"


def auto_stride(n_times, target_steps):
    """Front-end stride that brings ``n_times`` samples to about ``target_steps`` steps."""
    if n_times is None:
        return 1
    return max(1, round(n_times / target_steps))


@keras.saving.register_keras_serializable(package="amigos_emo")
class SignalFusionBackbone(keras.Model):
    """One strided-front-end + LSTM branch per signal input, dense fusion, one head per label.

    Args:
        input_shapes: ``{signal: (n_times, n_chans)}`` per-example shapes (no batch axis); the
            model's inputs, named by signal, in this order; ``(n_features,)`` marks a
            feature-vector input. ``n_times`` may be ``None`` only
            with an explicit ``stride``.
        heads: ``{head: {"kind": "classification" | "binary" | "regression", "n_classes":
            int | None}}``; the model's outputs, named by head.
        target_steps: steps each branch's front-end aims at when ``stride`` is ``None``
            (``stride = round(n_times / target_steps)``, at least 1).
        stride: one front-end stride for every branch (``None``: from ``target_steps``).
        front_end: ``"filter_bank"``, ``"depthwise"``, ``"average"`` or ``"none"`` (see
            :func:`~amigos_emo.models.signal_fusion.signal_fusion_branches.branch_layers`).
        filter_taps: FIR taps of the filter-bank front-ends, in samples of each signal.
        n_filters: filters of the ``"filter_bank"`` front-end.
        lstm_units: widths of each branch's stacked LSTMs.
        dense_units: widths of each branch's dense layers after the LSTMs (may be empty).
        branch_overrides: ``{signal: {argument: value}}`` per-signal values of
            ``front_end``, ``stride``, ``filter_taps``, ``n_filters``, ``lstm_units``,
            ``dense_units``; signals not present in ``input_shapes`` are ignored.
        fusion_units: widths of the ReLU dense layers after the concatenation (may be empty).
        dropout: dropout after every dense layer, in [0, 1).
        l2: L2 penalty on LSTM input kernels, filter banks and dense kernels (0 disables it).
        use_batch_norm: batch-normalise the concatenated branch vectors.
        window_norm: ``"none"`` (default): each branch reads the normalised window as it is;
            ``"levels"``: each branch reads its window standardised over the window's own time
            axis, with each channel's window mean and log standard deviation as constant channels
            beside it (:class:`~amigos_emo.models.signal_fusion.signal_fusion_branches.
            WindowStandardization`), so the branch sees shapes and rates (pulses,
            skin-conductance responses, motion) apart from a person's baseline level and gain,
            and the levels stay available; ``"shape"``: the standardised window alone, without
            the levels (for a model whose feature vector carries the levels); ``"auto"``:
            ``"shape"`` when an input is a feature vector, else ``"levels"``.
        fused_lstm: ``False`` (default): per-layer ``keras.layers.LSTM``; ``True``: one unrolled
            :class:`~amigos_emo.models.signal_fusion.signal_fusion_branches.StackedLSTM` per
            branch. Keras's layers are the default because they trace in a fraction of the time
            and step faster on CPU: for the E4-like study (4 branches, 10 s windows, batch 64,
            2 threads, loaded machine) the first training step took 10.9 s against 50.5 s,
            later steps 33 against 52 ms, the first validation step 0.7 against 9.2 s and the
            inference trace 0.5 against 7.4 s; a leave-one-subject-out run pays the traces
            in every fold. Files saved with ``fused_lstm=True`` load as they were.
        feature_units: widths of the ReLU dense layers (each followed by dropout) of a
            feature-vector input's branch, e.g. the custom builder's ``features`` of
            ``"representation": "raw+features"`` (heart rate, HRV, SCR rate, ...).
        branch_dropout: probability that a branch's whole vector is zeroed for an example
            during training (each branch on its own; none with a single input), so that no
            one signal, or the feature vector, carries every decision.
        **kwargs: ``name``, ``trainable`` (forwarded to ``keras.Model``).

    Example:
        >>> model = SignalFusionBackbone(
        ...     {"bvp": (3840, 1), "gsr": (240, 1)},
        ...     {"label": {"kind": "classification", "n_classes": 3}},
        ... )
        >>> model.output_names
        ['label']
    """

    def __init__(
        self,
        input_shapes,
        heads,
        target_steps=32,
        stride=None,
        front_end="filter_bank",
        filter_taps=16,
        n_filters=8,
        lstm_units=(16,),
        dense_units=(),
        branch_overrides=None,
        fusion_units=(32,),
        dropout=0.1,
        l2=1e-4,
        use_batch_norm=True,
        fused_lstm=False,
        window_norm="none",
        feature_units=(32,),
        branch_dropout=0.0,
        **kwargs,
    ):
        input_shapes = check_input_shapes(input_shapes)
        heads = check_heads(heads)
        clash = sorted(set(heads) & set(input_shapes))
        if clash:
            raise ValueError(
                f"head names must differ from input names. Received: heads and inputs both "
                f"named {clash}"
            )
        target_steps = check_count(target_steps, "target_steps")
        stride = check_count(stride, "stride", allow_none=True)
        check_option(front_end, FRONT_ENDS, "front_end")
        lstm_units = check_units(lstm_units, "lstm_units")
        dense_units = check_units(dense_units, "dense_units", min_length=0)
        branch_overrides = dict(branch_overrides or {})
        validate_type(branch_overrides, Mapping, "branch_overrides")
        for signal, values in branch_overrides.items():
            validate_type(values, Mapping, f"branch_overrides[{signal!r}]")
            unknown = sorted(set(values) - set(BRANCH_ARGUMENTS))
            if unknown:
                raise ValueError(
                    f"branch_overrides[{signal!r}] may set {list(BRANCH_ARGUMENTS)}. "
                    f"Received: unknown keys {unknown}"
                )
        fusion_units = check_units(fusion_units, "fusion_units", min_length=0)
        dropout = check_rate(dropout, "dropout")
        validate_type(l2, "numeric", "l2")
        check_positive(l2, "l2", allow_zero=True)
        validate_type(use_batch_norm, bool, "use_batch_norm")
        validate_type(fused_lstm, bool, "fused_lstm")
        resolved_norm = resolve_window_norm(window_norm, input_shapes)  # checks it too
        feature_units = check_units(feature_units, "feature_units")
        branch_dropout = check_rate(branch_dropout, "branch_dropout")
        kwargs.setdefault("name", "signal_fusion")

        def regularizer():
            return keras.regularizers.L2(l2) if l2 > 0 else None

        # === Layers ===
        inputs = {
            signal: keras.Input(shape=shape, name=signal) for signal, shape in input_shapes.items()
        }
        branches = {}
        for signal, shape in input_shapes.items():
            if len(shape) == 1:
                # the vector arrives standardised with the training subjects' statistics
                branches[signal] = dense_layers(signal, feature_units, dropout, regularizer)
                continue
            n_times = shape[0]
            arguments = {
                "front_end": front_end,
                "stride": stride,
                "filter_taps": filter_taps,
                "n_filters": n_filters,
                "lstm_units": lstm_units,
                "dense_units": dense_units,
                **branch_overrides.get(signal, {}),
            }
            if arguments["stride"] is None:
                if n_times is None and arguments["front_end"] != "none":
                    raise ValueError(
                        f"input {signal!r} has n_times=None; give stride (or "
                        f"branch_overrides[{signal!r}]['stride']) so its front-end is defined. "
                        f"Received: input_shapes[{signal!r}]={input_shapes[signal]!r}"
                    )
                arguments["stride"] = auto_stride(n_times, target_steps)
            if n_times is not None and arguments["front_end"] == "average":
                arguments["stride"] = min(arguments["stride"], n_times)
            branches[signal] = branch_layers(
                signal, dropout=dropout, l2=l2, fused_lstm=fused_lstm, **arguments
            )
        # the window's own standardisation runs first in each branch (window_norm="levels")
        standardise = {
            signal: [
                WindowStandardization(
                    keep_levels=resolved_norm == "levels", name=f"{signal}_window_standardization"
                )
            ]
            for signal in inputs
            if resolved_norm != "none" and len(input_shapes[signal]) == 2
        }
        concatenate = (
            keras.layers.Concatenate(axis=-1, name="fusion_concat") if len(inputs) > 1 else None
        )
        # a whole branch vector dropped per example (the others must carry the decision)
        if branch_dropout > 0 and concatenate is not None:
            for signal in inputs:
                branches[signal].append(
                    keras.layers.Dropout(
                        branch_dropout, noise_shape=(None, 1), name=f"{signal}_branch_dropout"
                    )
                )
        fusion = fusion_layers(fusion_units, dropout, regularizer, use_batch_norm)
        head_layers = {}
        for head, spec in heads.items():
            if spec["kind"] == "classification":
                units, activation = spec["n_classes"], "softmax"
            elif spec["kind"] == "binary":
                units, activation = 1, "sigmoid"
            else:
                units, activation = 1, None
            head_layers[head] = keras.layers.Dense(
                units, activation=activation, name=head, dtype="float32"
            )

        # === Functional Model ===
        vectors = [
            apply_layers([*standardise.get(signal, ()), *branches[signal]], x)
            for signal, x in inputs.items()
        ]
        x = apply_layers(fusion, concatenate(vectors) if concatenate is not None else vectors[0])
        outputs = {head: layer(x) for head, layer in head_layers.items()}
        super().__init__(inputs=inputs, outputs=outputs, **kwargs)

        # === Config ===
        self.input_shapes = input_shapes
        self.heads = heads
        self.target_steps = target_steps
        self.stride = stride
        self.front_end = front_end
        self.filter_taps = filter_taps
        self.n_filters = n_filters
        self.lstm_units = lstm_units
        self.dense_units = dense_units
        self.branch_overrides = {
            signal: {
                key: tuple(value) if isinstance(value, list) else value
                for key, value in values.items()
            }
            for signal, values in branch_overrides.items()
        }
        self.fusion_units = fusion_units
        self.dropout = dropout
        self.l2 = float(l2)
        self.use_batch_norm = use_batch_norm
        self.fused_lstm = fused_lstm
        self.window_norm = window_norm
        self.feature_units = feature_units
        self.branch_dropout = branch_dropout

    def get_config(self):
        return {
            "name": self.name,
            "trainable": self.trainable,
            "input_shapes": {signal: list(shape) for signal, shape in self.input_shapes.items()},
            "heads": {head: dict(spec) for head, spec in self.heads.items()},
            "target_steps": self.target_steps,
            "stride": self.stride,
            "front_end": self.front_end,
            "filter_taps": self.filter_taps,
            "n_filters": self.n_filters,
            "lstm_units": list(self.lstm_units),
            "dense_units": list(self.dense_units),
            "branch_overrides": {
                signal: {
                    key: list(value) if isinstance(value, tuple) else value
                    for key, value in values.items()
                }
                for signal, values in self.branch_overrides.items()
            },
            "fusion_units": list(self.fusion_units),
            "dropout": self.dropout,
            "l2": self.l2,
            "use_batch_norm": self.use_batch_norm,
            "fused_lstm": self.fused_lstm,
            "window_norm": self.window_norm,
            "feature_units": list(self.feature_units),
            "branch_dropout": self.branch_dropout,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        overrides = config.get("branch_overrides") or {}
        config["branch_overrides"] = {
            signal: {k: tuple(v) if isinstance(v, list) else v for k, v in values.items()}
            for signal, values in overrides.items()
        }
        for key in ("lstm_units", "dense_units", "fusion_units", "feature_units"):
            if key in config:
                config[key] = tuple(config[key])
        # every file written before the default became False recorded the fused loop it used
        config.setdefault("fused_lstm", True)
        return cls(**config)


# Constructor arguments a preset or an override may set (shapes and heads come separately).
_TUNABLE_ARGUMENTS = (
    "target_steps",
    "stride",
    "front_end",
    "filter_taps",
    "n_filters",
    "lstm_units",
    "dense_units",
    "branch_overrides",
    "fusion_units",
    "dropout",
    "l2",
    "use_batch_norm",
    "fused_lstm",
    "window_norm",
    "feature_units",
    "branch_dropout",
    "name",
)


def build_signal_fusion(input_shapes, n_outputs=None, preset=None, heads=None, **overrides):
    """Registry ``build``: an uncompiled :class:`SignalFusionBackbone`.

    Args:
        input_shapes: ``{signal: (n_times, n_chans)}`` for every signal input the dataset
            provides (all become branches).
        n_outputs: classes of the default head when ``heads`` is ``None`` and the preset has
            no heads of its own: one ``"label"`` classification head with ``n_outputs``
            classes (``n_outputs`` must then be >= 2).
        preset: ``"small"`` (default) or ``"amigos"`` (whose default heads are valence,
            arousal and transition).
        heads: ``{head: {"kind": ..., "n_classes": ...}}`` (see :class:`SignalFusionBackbone`).
        **overrides: constructor arguments that replace the preset's.

    Returns:
        The uncompiled model; inputs named by signal, outputs named by head.

    Raises:
        ValueError: bad shapes or heads, no heads and no ``n_outputs``, unknown preset or
            override.
    """
    preset = DEFAULT_PRESET if preset is None else preset
    check_option(preset, tuple(SIGNAL_FUSION_PRESETS), "preset")
    unknown = sorted(set(overrides) - set(_TUNABLE_ARGUMENTS))
    if unknown:
        raise ValueError(
            f"Unknown signal_fusion arguments {unknown}. Expected some of "
            f"{list(_TUNABLE_ARGUMENTS)}. Received: overrides={overrides!r}"
        )
    arguments = {**SIGNAL_FUSION_PRESETS[preset], **overrides}
    default_heads = arguments.pop("default_heads", None)
    if heads is None:
        if n_outputs is not None:
            n_outputs = check_count(n_outputs, "n_outputs")
            heads = {DEFAULT_HEAD_NAME: {"kind": "classification", "n_classes": n_outputs}}
        elif default_heads is not None:
            heads = default_heads
        else:
            raise ValueError(
                "signal_fusion needs its heads: pass heads={'label': {'kind': "
                "'classification', 'n_classes': 3}} (or 'binary' / 'regression'), or n_outputs "
                "for one classification head. Received: heads=None, n_outputs=None"
            )
    input_shapes = check_input_shapes(input_shapes)
    return SignalFusionBackbone(input_shapes, heads, **arguments)


def _find_backbone(model):
    """The :class:`SignalFusionBackbone` that is ``model`` or is nested in it (or ``None``)."""
    if isinstance(model, SignalFusionBackbone):
        return model
    for layer in model.layers:
        if isinstance(layer, SignalFusionBackbone):
            return layer
    return None


def head_kinds(model):
    """``{output name: kind}`` of a (possibly wrapped) signal-fusion model.

    Read from the backbone's ``heads`` when there is one, otherwise from each output layer's
    activation and width (softmax: classification, sigmoid: binary, else regression).
    """
    backbone = _find_backbone(model)
    if backbone is not None:
        kinds = {head: spec["kind"] for head, spec in backbone.heads.items()}
        return {name: kinds[name] for name in model.output_names if name in kinds}
    kinds = {}
    for name in model.output_names:
        activation = getattr(getattr(model.get_layer(name), "activation", None), "__name__", None)
        kinds[name] = {"softmax": "classification", "sigmoid": "binary"}.get(
            activation, "regression"
        )
    return kinds


def compile_signal_fusion(
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
    """Registry ``compile``: Adam with cosine decay; loss and metrics chosen per head kind.

    Targets follow the runner's encoding (``amigos_emo.training.pipeline.encode_target``):

    - classification: one-hot ``(batch, n_classes)``; categorical cross-entropy, accuracy;
    - binary: 0/1 float ``(batch, 1)``; binary cross-entropy, AUC and accuracy;
    - regression: float ``(batch, 1)``; mean squared error, MAE.

    Args:
        model: a :class:`SignalFusionBackbone`, or a model wrapping one (same output names).
        steps_per_epoch: optimiser steps per epoch (sets the decay length).
        epochs: epochs planned; the learning rate decays over ``steps_per_epoch * epochs``.
        jit_compile: compile the train step with XLA.
        learning_rate: initial Adam learning rate.
        final_learning_rate_fraction: the cosine decay ends at this fraction of
            ``learning_rate``.
        loss_weights: per-head loss weights; missing heads keep 1.0.
        clipnorm: gradient-norm clipping of Adam (``None`` disables it).
    """
    validate_type(model, keras.Model, "model")
    steps_per_epoch = check_count(steps_per_epoch, "steps_per_epoch")
    epochs = check_count(epochs, "epochs")
    check_positive(learning_rate, "learning_rate")
    validate_type(final_learning_rate_fraction, "numeric", "final_learning_rate_fraction")
    if not 0 <= final_learning_rate_fraction <= 1:
        raise ValueError(
            "final_learning_rate_fraction must be in [0, 1]. "
            f"Received: final_learning_rate_fraction={final_learning_rate_fraction!r}"
        )
    kinds = head_kinds(model)
    weights = {name: 1.0 for name in kinds}
    if loss_weights is not None:
        validate_type(loss_weights, Mapping, "loss_weights")
        unknown = sorted(set(loss_weights) - set(kinds))
        if unknown:
            raise ValueError(
                f"loss_weights keys must be among the heads {list(kinds)}. "
                f"Received: loss_weights={dict(loss_weights)!r}"
            )
        for name, weight in loss_weights.items():
            check_positive(weight, f"loss_weights[{name!r}]", allow_zero=True)
            weights[name] = float(weight)
    losses, metrics = {}, {}
    for name, kind in kinds.items():
        if kind == "classification":
            losses[name] = keras.losses.CategoricalCrossentropy(name=f"{name}_cross_entropy")
            metrics[name] = [keras.metrics.CategoricalAccuracy(name="accuracy")]
        elif kind == "binary":
            losses[name] = keras.losses.BinaryCrossentropy(name=f"{name}_bce")
            metrics[name] = [
                keras.metrics.AUC(name="auc"),
                keras.metrics.BinaryAccuracy(name="accuracy"),
            ]
        else:
            losses[name] = keras.losses.MeanSquaredError(name=f"{name}_mse")
            metrics[name] = [keras.metrics.MeanAbsoluteError(name="mae")]
    schedule = CosineDecay(
        initial_learning_rate=learning_rate,
        decay_steps=steps_per_epoch * epochs,
        alpha=final_learning_rate_fraction,
    )
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=schedule, clipnorm=clipnorm),
        loss=losses,
        loss_weights=weights,
        metrics=metrics,
        jit_compile=jit_compile,
    )
    return model
