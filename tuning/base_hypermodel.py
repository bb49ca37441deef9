"""The base of every family's hypermodel: build through the model registry, wrap, compile.

A family's hypermodel only says which constructor and compile arguments it searches and how
(:meth:`RegistryHyperModel.search_space`); this base turns the chosen values into a model the
same way a training run does:

1. ``entry.build(input_shapes, n_outputs, preset, **build_args)`` (the registered architecture),
2. ``fold_data.wrap(core)`` (input normalisation fitted on the fold's TRAINING subjects only,
   and the rescaling of regression heads), when a :class:`~amigos_emo.training.fold_data.FoldData`
   is given,
3. ``entry.compile(model, steps_per_epoch=, epochs=, jit_compile=, **compile_args)``.

Defaults of every hyperparameter are the seed's: the family's constructor defaults, overridden
by the chosen preset (the family's default preset when ``preset=None``), and the compile
function's keyword defaults. So ``build(keras_tuner.HyperParameters())`` builds the model a
plain ``python -m amigos_emo.train`` run would train.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping

import keras_tuner

from amigos_emo._checks import check_option, validate_type
from amigos_emo._logging import logger


def constructor_defaults(cls):
    """Keyword defaults of ``cls.__init__`` (arguments without a default are left out)."""
    return {
        name: parameter.default
        for name, parameter in inspect.signature(cls.__init__).parameters.items()
        if parameter.default is not inspect.Parameter.empty
    }


def keyword_defaults(function):
    """Keyword defaults of ``function`` (e.g. a registry ``compile``)."""
    return {
        name: parameter.default
        for name, parameter in inspect.signature(function).parameters.items()
        if parameter.default is not inspect.Parameter.empty
    }


def int_choice(hp, name, values, default):
    """``hp.Choice`` over sorted ints that always contains ``default`` (the seed's value)."""
    default = int(default)
    values = sorted({int(v) for v in values} | {default})
    return hp.Choice(name, values, default=default)


def float_range(hp, name, min_value, max_value, default, log=False, step=None):
    """``hp.Float`` whose range is widened to contain ``default`` (the seed's value).

    A log-sampled range cannot hold 0; a seed default of 0 turns sampling linear.
    """
    default = float(default)
    min_value, max_value = min(float(min_value), default), max(float(max_value), default)
    if log and default <= 0:
        log = False
    sampling = "log" if log else "linear"
    if step is not None and not log:
        return hp.Float(name, min_value, max_value, step=step, default=default)
    return hp.Float(name, min_value, max_value, sampling=sampling, default=default)


def layer_widths(hp, prefix, widths, choices, min_layers, max_layers):
    """Tuned depth and per-layer widths: ``{prefix}_layers`` and ``{prefix}_units_{i}`` (1-based).

    Args:
        hp: the ``keras_tuner.HyperParameters``.
        prefix: e.g. ``"eeg_lstm"``.
        widths: the seed's widths (its length is the default depth).
        choices: candidate widths; each seed width is added to them.
        min_layers, max_layers: depth range (widened to hold the seed's depth).

    Returns:
        tuple of ints, one width per layer.
    """
    widths = tuple(int(w) for w in widths)
    n_default = len(widths)
    n_layers = hp.Int(
        f"{prefix}_layers",
        min(min_layers, n_default),
        max(max_layers, n_default),
        default=n_default,
    )
    chosen = []
    for index in range(1, n_layers + 1):
        default = (
            widths[index - 1] if index <= n_default else (chosen[-1] if chosen else choices[0])
        )
        chosen.append(int_choice(hp, f"{prefix}_units_{index}", choices, default))
    return tuple(chosen)


class RegistryHyperModel(keras_tuner.HyperModel):
    """A registered architecture as a ``keras_tuner.HyperModel`` (subclass per family).

    Subclasses set ``model_name`` (the registry name), ``backbone_class`` and
    ``default_preset``, and implement :meth:`search_space`.

    Args:
        fold_data: a :class:`~amigos_emo.training.fold_data.FoldData` (from
            :func:`~amigos_emo.training.fold_data.prepare_fold`); gives the input shapes, the
            number of classes, the steps per epoch, and the train-only normalisation that
            :meth:`build` wraps around the architecture. ``None`` builds the bare architecture
            (tests, or a caller that normalises elsewhere); then ``input_shapes`` is required.
        input_shapes: per-example input shapes (no batch axis); taken from ``fold_data`` when
            omitted.
        n_outputs: number of classes for classifiers (``None``: the fold's, or the preset's).
        preset: the family preset whose values are the defaults (``None``: the family default).
        epochs: epochs planned per trial (sets learning-rate schedules).
        steps_per_epoch: optimiser steps per epoch (default: the fold's, else 100).
        jit_compile: compile the train step with XLA.
        precision_policy: Keras dtype policy while building (``"float32"``,
            ``"mixed_float16"``, ``"mixed_bfloat16"``); outputs stay float32.
        name, tunable: see ``keras_tuner.HyperModel``.
    """

    model_name: str = ""
    backbone_class: type | None = None
    default_preset: str | None = None
    # What ``python -m amigos_emo.tune`` optimises unless told otherwise.
    default_objective: object = "val_loss"

    def __init__(
        self,
        fold_data=None,
        input_shapes=None,
        n_outputs=None,
        preset=None,
        epochs=10,
        steps_per_epoch=None,
        jit_compile=False,
        precision_policy="float32",
        name=None,
        tunable=True,
    ):
        from amigos_emo.models import get_model_entry

        super().__init__(name=name or f"{self.model_name}_hypermodel", tunable=tunable)
        self.entry = get_model_entry(self.model_name)
        if fold_data is not None:
            for attribute in ("wrap", "input_shapes", "steps_per_epoch", "n_outputs"):
                if not hasattr(fold_data, attribute):
                    raise TypeError(
                        "fold_data must be a FoldData from amigos_emo.training.fold_data.prepare_fold "
                        f"(it has no {attribute!r}). Received: fold_data of type {type(fold_data).__name__}"
                    )
        if input_shapes is None:
            if fold_data is None:
                raise ValueError(
                    f"{type(self).__name__} needs fold_data or input_shapes. "
                    "Received: fold_data=None, input_shapes=None"
                )
            input_shapes = fold_data.input_shapes
        validate_type(input_shapes, Mapping, "input_shapes")
        # A model that reads any signal set (registered inputs=None) takes the fold's inputs.
        inputs = tuple(self.entry.inputs or getattr(fold_data, "inputs", None) or input_shapes)
        missing = [name for name in inputs if name not in input_shapes]
        if missing:
            raise ValueError(
                f"input_shapes must give the per-example shapes of {list(inputs)} for "
                f"{self.model_name}; missing {missing}. Received: input_shapes={dict(input_shapes)!r}"
            )
        preset = self.default_preset if preset is None else preset
        if self.entry.presets or preset is not None:
            check_option(preset, tuple(self.entry.presets), "preset")
        for value, label in ((epochs, "epochs"), (steps_per_epoch, "steps_per_epoch")):
            if value is not None and (
                not isinstance(value, int) or isinstance(value, bool) or value < 1
            ):
                raise ValueError(f"{label} must be an int >= 1. Received: {label}={value!r}")
        validate_type(jit_compile, bool, "jit_compile")
        check_option(
            precision_policy, ("float32", "mixed_float16", "mixed_bfloat16"), "precision_policy"
        )
        if n_outputs is None and fold_data is not None:
            n_outputs = fold_data.n_outputs
        if steps_per_epoch is None:
            steps_per_epoch = (
                getattr(fold_data, "train_steps_per_epoch", fold_data.steps_per_epoch)
                if fold_data is not None
                else 100
            )

        self.fold_data = fold_data
        self.input_shapes = {name: tuple(int(s) for s in input_shapes[name]) for name in inputs}
        self.n_outputs = n_outputs
        self.preset = preset
        self.epochs = epochs
        self.steps_per_epoch = int(steps_per_epoch)
        self.jit_compile = jit_compile
        self.precision_policy = precision_policy

    # --- what a family defines ---------------------------------------------------------------
    def seed_values(self):
        """The seed's constructor values: backbone defaults overridden by the preset."""
        values = constructor_defaults(self.backbone_class) if self.backbone_class else {}
        values.update(self.entry.presets[self.preset])
        return values

    def compile_defaults(self):
        """The registry compile function's keyword defaults (learning rate, ...)."""
        return keyword_defaults(self.entry.compile)

    def search_space(self, hp):
        """Declare the hyperparameters and return ``(build_args, compile_args)``."""
        raise NotImplementedError

    def callbacks(self):
        """Extra training callbacks the family's seed recipe uses (fresh instances)."""
        return []

    # --- keras_tuner.HyperModel ------------------------------------------------------------
    def build_core(self, hp):
        """The bare registered architecture for ``hp`` and the compile arguments chosen."""
        import keras

        build_args, compile_args = self.search_space(hp)
        keras.mixed_precision.set_global_policy(self.precision_policy)
        try:
            heads = getattr(self.fold_data, "heads", None)
            if getattr(self.entry, "dynamic_outputs", False) and heads is not None:
                build_args = {"heads": heads, **build_args}
            signals = getattr(self.fold_data, "signals", None)
            if getattr(self.entry, "signal_aware", False) and signals:
                build_args = {"signals": signals, **build_args}
            core = self.entry.build(
                self.input_shapes, n_outputs=self.n_outputs, preset=self.preset, **build_args
            )
        finally:
            keras.mixed_precision.set_global_policy("float32")
        return core, compile_args

    def wrap(self, core):
        """``fold_data.wrap(core)`` (train-only normalisation), or ``core`` without a fold."""
        return self.fold_data.wrap(core) if self.fold_data is not None else core

    def build(self, hp):
        """Build, wrap and compile the model for ``hp``; returns a compiled ``keras.Model``."""
        core, compile_args = self.build_core(hp)
        model = self.wrap(core)
        self.entry.compile(
            model,
            steps_per_epoch=self.steps_per_epoch,
            epochs=self.epochs,
            jit_compile=self.jit_compile,
            **compile_args,
        )
        return model

    def fit(self, hp, model, *args, **kwargs):
        """``model.fit`` with the family's own callbacks appended."""
        extra = self.callbacks()
        if extra:
            kwargs["callbacks"] = list(kwargs.get("callbacks") or []) + extra
        return model.fit(*args, **kwargs)


def divisor_at_most(value, limit):
    """The largest divisor of ``value`` that is <= ``limit`` (attention heads that fit a width)."""
    best = 1
    for candidate in range(1, int(limit) + 1):
        if value % candidate == 0:
            best = candidate
    if best != limit:
        logger.info(
            "using %d attention heads (the largest divisor of %d not above %d)", best, value, limit
        )
    return best


__all__ = [
    "RegistryHyperModel",
    "constructor_defaults",
    "divisor_at_most",
    "float_range",
    "int_choice",
    "keyword_defaults",
    "layer_widths",
]
