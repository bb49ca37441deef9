"""Build and compile helpers shared by the zoo families (EEGNet, ConvNets, TSception, DGCNN).

The raw-EEG families read the input ``eeg`` in the package's time-major layout
``(n_times, n_chans)`` (float32, microvolts, normalised by the trainer) and takes the signal
parameters ``n_times`` and ``n_chans`` from the per-example input shape, as braindecode's models
take ``n_times``/``n_chans``/``sfreq`` and check that they agree. ``sfreq`` (Hz) and, for models
that arrange electrodes, ``channel_names`` come from the data: the families are registered
``signal_aware``, so the runner and the tuner pass ``signals`` (the ``eeg`` input's rate and
electrode names as its builder declares them). Without ``signals`` (a direct API call) the
preset's or an override's values apply. No table by corpus name is kept here.
"""

from __future__ import annotations

from collections.abc import Mapping

from amigos_emo._checks import check_option, validate_type
from amigos_emo._logging import logger

EEG_INPUT = "eeg"
LABEL_OUTPUT = "label"
DEFAULT_N_OUTPUTS = 2


def eeg_signal_facts(signals, data_arguments=("sfreq",)):
    """The ``eeg`` input's facts as constructor arguments, from a dataset's ``signals``.

    Args:
        signals: ``None`` or ``{input: {"sfreq_hz": float, "channels": [names]}}`` (a
            :class:`~amigos_emo.preprocessing_spec.SignalSpec` per input is accepted too).
        data_arguments: which facts the family takes: ``"sfreq"`` and/or ``"channel_names"``.

    Returns:
        dict, e.g. ``{"sfreq": 200.0}``; empty without ``signals`` or without an ``eeg`` entry.
    """
    if signals is None:
        return {}
    validate_type(signals, Mapping, "signals")
    eeg = signals.get(EEG_INPUT)
    if eeg is None:
        return {}

    def fact(key):
        return eeg[key] if isinstance(eeg, Mapping) else getattr(eeg, key)

    facts = {}
    if "sfreq" in data_arguments:
        facts["sfreq"] = float(fact("sfreq_hz"))
    if "channel_names" in data_arguments:
        facts["channel_names"] = tuple(str(name) for name in fact("channels"))
    return facts


def resolve_raw_eeg_arguments(
    family,
    input_shapes,
    n_outputs,
    preset,
    overrides,
    presets,
    default_preset,
    tunable,
    signals=None,
    data_arguments=("sfreq",),
):
    """Merge a preset, the overrides and the signal shape into constructor arguments.

    Args:
        family: registry name, used in messages (e.g. ``"eegnet"``).
        input_shapes: mapping with ``"eeg"``: ``(n_times, n_chans)`` (extra keys are ignored).
        n_outputs: number of classes; ``None`` takes the preset's, else 2.
        preset: a key of ``presets``; ``None`` means ``default_preset``.
        overrides: constructor arguments that replace the preset's.
        presets: preset name -> dict of constructor arguments.
        default_preset: the family's default preset name.
        tunable: names of the constructor arguments an override may set (``n_times`` and
            ``n_chans`` are always accepted and must agree with ``input_shapes``).
        signals: the dataset's signal facts (:func:`eeg_signal_facts`), or ``None``. Its rate
            replaces the preset's; an explicit ``sfreq`` override must agree with it. Its
            electrode names replace the preset's unless ``channel_names`` is overridden.
        data_arguments: the facts this family takes from ``signals``.

    Returns:
        dict of constructor arguments including ``n_times``, ``n_chans`` and ``n_outputs``.

    Raises:
        ValueError: a missing or non 2-D ``eeg`` shape, an unknown preset or argument, or an
            ``n_times``/``n_chans`` override that disagrees with ``input_shapes``.
    """
    validate_type(input_shapes, Mapping, "input_shapes")
    if EEG_INPUT not in input_shapes:
        raise ValueError(
            f"input_shapes must give the per-example shape of {EEG_INPUT!r} for {family}: "
            f"(n_times, n_chans). Received: input_shapes={dict(input_shapes)!r}"
        )
    shape = tuple(int(s) for s in input_shapes[EEG_INPUT])
    if len(shape) != 2:
        raise ValueError(
            f"input_shapes[{EEG_INPUT!r}] must be (n_times, n_chans), time-major without the "
            f"batch axis. Received: input_shapes[{EEG_INPUT!r}]={shape!r}"
        )
    extra = sorted(set(input_shapes) - {EEG_INPUT})
    if extra:
        logger.debug("%s ignores the inputs %s", family, extra)
    preset = default_preset if preset is None else preset
    check_option(preset, tuple(presets), "preset")
    unknown = sorted(set(overrides) - set(tunable) - {"n_times", "n_chans"})
    if unknown:
        raise ValueError(
            f"Unknown {family} arguments {unknown}. Expected some of {sorted(tunable)}. "
            f"Received: overrides={overrides!r}"
        )
    signal = {"n_times": shape[0], "n_chans": shape[1]}
    for key, value in signal.items():
        if key in overrides and overrides[key] != value:
            raise ValueError(
                f"{key} disagrees with input_shapes[{EEG_INPUT!r}]={shape}: expected {value}. "
                f"Received: {key}={overrides[key]!r}"
            )
    facts = eeg_signal_facts(signals, data_arguments)
    if "sfreq" in facts and "sfreq" in overrides and float(overrides["sfreq"]) != facts["sfreq"]:
        raise ValueError(
            f"sfreq disagrees with the dataset: its builder declares the {EEG_INPUT!r} input at "
            f"{facts['sfreq']:g} Hz. Received: sfreq={overrides['sfreq']!r}"
        )
    if "channel_names" in overrides:
        facts.pop("channel_names", None)
    arguments = {**presets[preset], **overrides, **facts, **signal}
    if n_outputs is not None:
        arguments["n_outputs"] = n_outputs
    arguments.setdefault("n_outputs", DEFAULT_N_OUTPUTS)
    return arguments


def check_label_output(model):
    """Raise ``ValueError`` unless ``model`` has an output named ``label``."""
    import keras

    validate_type(model, keras.Model, "model")
    if LABEL_OUTPUT not in model.output_names:
        raise ValueError(
            f"model must have an output {LABEL_OUTPUT!r}. "
            f"Received: model with outputs {model.output_names}"
        )


def compile_softmax_classifier(model, *, jit_compile, learning_rate, label_smoothing):
    """Adam, categorical cross-entropy on one-hot ``label``, accuracy (the families' recipe).

    Args:
        model: a model with a softmax output ``label``.
        jit_compile: compile the train step with XLA.
        learning_rate: Adam learning rate (> 0).
        label_smoothing: in [0, 1).
    """
    import keras

    from amigos_emo._checks import check_positive, check_rate

    check_label_output(model)
    check_positive(learning_rate, "learning_rate")
    label_smoothing = check_rate(label_smoothing, "label_smoothing")
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
        loss={LABEL_OUTPUT: keras.losses.CategoricalCrossentropy(label_smoothing=label_smoothing)},
        metrics={LABEL_OUTPUT: [keras.metrics.CategoricalAccuracy(name="accuracy")]},
        jit_compile=jit_compile,
    )
    return model
