"""The model registry: name -> how to build, compile and feed a model.

Every family calls :func:`register_model` at import time. The trainer, the tuner and the shared
test harness only ever go through this registry, and ``models/registry_test.py``
fails when a registered model has no harness case.
"""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil
from collections.abc import Callable

# Models whose CPU training step is faster with TensorFlow's oneDNN kernels, which TensorFlow
# turns on by itself only on CPUs with AVX512-VNNI/BF16 or AMX. Measured on a 2-core AVX2 CPU
# (bench/RESULTS.md, "oneDNN"): vae_gnn 1.5-1.6x and gru_xnet 1.3x faster with them (their 2-D
# convolutions); multimodal_lstm, gru_classifier and res_attention_net 1.2-1.8x SLOWER, which is
# why this is a per-model choice and not a package-wide one.
ONEDNN_MODELS = frozenset({"vae_gnn", "gru_xnet"})
ONEDNN_ENV = "TF_ENABLE_ONEDNN_OPTS"

_REGISTRY: dict[str, ModelEntry] = {}
_DISCOVERED = False
_SAID_ONEDNN: set[str] = set()


@dataclasses.dataclass(frozen=True)
class ModelEntry:
    """What the rest of the package needs to know about one model.

    Attributes:
        name: registry name, e.g. ``"multimodal_lstm"``.
        build: ``build(input_shapes, n_outputs=None, preset=None, **overrides) -> keras.Model``.
            ``input_shapes`` maps each name in ``inputs`` to a per-example shape (no batch
            axis). Returns an uncompiled model whose inputs and outputs carry these names.
        compile: ``compile(model, **overrides) -> None``: compiles with the seed's defaults
            (optimiser, learning-rate schedule, losses, metrics).
        inputs: the feature keys the model consumes, in order (the model's input names);
            ``()`` when ``dynamic_inputs``.
        outputs: the model's output names (also the target keys the trainer feeds); ``()``
            when ``dynamic_outputs``.
        task: ``"regression+binary"`` (multimodal LSTM heads), ``"classification"``,
            ``"binary"``, or ``"any"`` (heads chosen at build time, each with its own kind).
        presets: preset name -> dict of build overrides.
        description: one line for ``--help`` and the README.
        callbacks: optional ``callbacks() -> list[keras.callbacks.Callback]``: the seed's
            training callbacks (e.g. ResAttentioNet's reduce-on-plateau) the trainer adds.
        framework: ``"keras"`` (a ``keras.Model``, trained by the runner's epoch loop) or
            ``"sklearn"`` (a scikit-learn pipeline fitted once by
            :func:`amigos_emo.training.classic.run_classic_fold`; ``build`` returns an unfitted
            estimator, ``compile`` does nothing).
        dynamic_inputs: registered with ``inputs=None``: the model takes every signal input
            the dataset provides; the runner passes ``input_shapes`` for each signal feature of
            the builder's preprocessing spec (see :meth:`input_names`).
        dynamic_outputs: registered with ``outputs=None``: the heads are given at build time,
            ``build(input_shapes, n_outputs=None, preset=None, heads=None)`` with
            ``heads = {name: {"kind": "classification" | "binary" | "regression",
            "n_classes": int | None}}`` (``None``: one classification head ``"label"`` with
            ``n_outputs`` classes); output names are the head names (see
            :meth:`output_names`).
        signal_aware: ``build`` also accepts ``signals={input: {"sfreq_hz": float,
            "channels": [names]}}``, the facts of each signal input as the dataset's builder
            declares them (its preprocessing spec); the runner and the tuner pass them, so a
            model takes its sampling rate and electrode names from the data, never from a
            table by corpus name.
    """

    name: str
    build: Callable
    compile: Callable
    inputs: tuple
    outputs: tuple
    task: str
    presets: dict = dataclasses.field(default_factory=dict)
    description: str = ""
    callbacks: Callable | None = None
    framework: str = "keras"
    dynamic_inputs: bool = False
    dynamic_outputs: bool = False
    signal_aware: bool = False

    def input_names(self, available=None):
        """The model's input names: ``inputs``, or every name in ``available`` when dynamic.

        Args:
            available: the signal features the dataset provides, in order (needed, and only
                used, when ``dynamic_inputs``).
        """
        if not self.dynamic_inputs:
            return self.inputs
        if available is None or not len(available):
            raise ValueError(
                f"Model {self.name!r} takes every signal input the dataset provides; pass them "
                f"as available=[...]. Received: available={available!r}"
            )
        return tuple(available)

    def output_names(self, heads=None):
        """The model's output names: ``outputs``, or the names of ``heads`` when dynamic
        (``heads=None``: the default single head ``("label",)``)."""
        if not self.dynamic_outputs:
            return self.outputs
        return tuple(heads) if heads else ("label",)


FRAMEWORKS = ("keras", "sklearn")


def register_model(
    name,
    *,
    build,
    compile,
    inputs,
    outputs,
    task,
    presets=None,
    description="",
    callbacks=None,
    framework="keras",
    signal_aware=False,
):
    """Register a model family under ``name``. Registering the same name twice is an error.

    ``inputs=None`` registers a model that takes every signal input of the dataset
    (``entry.dynamic_inputs``); ``outputs=None`` one whose heads are given at build time
    (``entry.dynamic_outputs``); ``signal_aware=True`` one whose ``build`` takes ``signals``
    (``entry.signal_aware``). See :class:`ModelEntry`.
    """
    if framework not in FRAMEWORKS:
        raise ValueError(
            f"framework must be one of {', '.join(map(repr, FRAMEWORKS))}. Received: framework={framework!r}"
        )
    if name in _REGISTRY and _REGISTRY[name].build is not build:
        raise ValueError(f"A model named {name!r} is already registered. Received: name={name!r}")
    entry = ModelEntry(
        name=name,
        build=build,
        compile=compile,
        inputs=() if inputs is None else tuple(inputs),
        outputs=() if outputs is None else tuple(outputs),
        task=task,
        presets=dict(presets or {}),
        description=description,
        callbacks=callbacks,
        framework=framework,
        dynamic_inputs=inputs is None,
        dynamic_outputs=outputs is None,
        signal_aware=bool(signal_aware),
    )
    _REGISTRY[name] = entry
    return entry


def _discover():
    """Import every family folder under ``amigos_emo.models`` so that each registers itself."""
    global _DISCOVERED
    if _DISCOVERED:
        return
    package = importlib.import_module("amigos_emo.models")
    for info in pkgutil.iter_modules(package.__path__):
        if info.ispkg:
            importlib.import_module(f"amigos_emo.models.{info.name}")
    _DISCOVERED = True
    from importlib.metadata import entry_points

    for point in entry_points(group="amigos_emo.models"):
        try:
            importlib.import_module(point.value.partition(":")[0])
        except ImportError as error:  # a broken plug-in must not break the package's own models
            import logging

            logging.getLogger("amigos_emo").warning(
                "Model plug-in %s (%s) failed to import: %s", point.name, point.value, error
            )


def list_models(framework=None):
    """Names of all registered models, sorted; only those of ``framework`` when given."""
    _discover()
    return sorted(
        name
        for name, entry in _REGISTRY.items()
        if framework is None or entry.framework == framework
    )


def get_model_entry(name):
    """The :class:`ModelEntry` registered under ``name``.

    ``name`` may be ``MODULE:NAME``: a model from outside the package. ``MODULE`` is imported
    (it registers its models with :func:`register_model` at import time, exactly like a family
    folder) and ``NAME`` is looked up. Packages can also declare an entry point in the group
    ``amigos_emo.models`` (``name = "my_package.my_module"``); those modules are imported with the
    families, so their models are found by their plain names.
    """
    _discover()
    if ":" in str(name):
        module_name, _, name = str(name).partition(":")
        try:
            importlib.import_module(module_name)
        except ImportError as error:
            raise ImportError(
                f"--model {module_name}:{name}: module {module_name!r} could not be imported ({error}). It must be "
                "importable (installed, or on PYTHONPATH) and call amigos_emo.models.register_model at import time."
            ) from error
        if name not in _REGISTRY:
            raise ValueError(
                f"Module {module_name!r} was imported but registers no model named {name!r} (registered: "
                f"{', '.join(sorted(_REGISTRY))}). Call amigos_emo.models.register_model({name!r}, ...) in it."
            )
    if name not in _REGISTRY:
        known = ", ".join(sorted(_REGISTRY)) or "(none)"
        raise ValueError(f"Unknown model. Expected one of: {known}. Received: name={name!r}")
    return _REGISTRY[name]


def build_model(name, input_shapes, n_outputs=None, preset=None, heads=None, **overrides):
    """Build the registered model ``name`` (uncompiled). See :class:`ModelEntry`.

    ``heads`` is only for models registered with ``outputs=None`` (``entry.dynamic_outputs``).
    """
    entry = get_model_entry(name)
    _say_onednn(name)
    if heads is not None:
        if not entry.dynamic_outputs:
            raise ValueError(
                f"Model {name!r} has fixed outputs {list(entry.outputs)}; heads are only for "
                f"models whose heads are given at build time. Received: heads={heads!r}"
            )
        return entry.build(
            input_shapes, n_outputs=n_outputs, preset=preset, heads=heads, **overrides
        )
    return entry.build(input_shapes, n_outputs=n_outputs, preset=preset, **overrides)


def _say_onednn(name):
    """Once per model and process: a convolutional model built on a CPU whose TensorFlow runs
    without oneDNN kernels trains much slower than it could (:data:`ONEDNN_MODELS`)."""
    if name not in ONEDNN_MODELS or name in _SAID_ONEDNN:
        return
    _SAID_ONEDNN.add(name)
    import tensorflow as tf

    if onednn_enabled() is False and not tf.config.list_physical_devices("GPU"):
        from amigos_emo._logging import logger

        logger.info(
            "%s trains faster on a CPU with TensorFlow's oneDNN kernels, which are off in this "
            "process: set %s=1 before importing TensorFlow (python -m amigos_emo.train does it "
            "for this model; README, 'Speed switches').",
            name,
            ONEDNN_ENV,
        )


def onednn_enabled():
    """Whether this process's TensorFlow runs oneDNN kernels (None when it cannot tell)."""
    try:
        from tensorflow.python.util import _pywrap_util_port
    except ImportError:
        return None
    return bool(_pywrap_util_port.IsMklEnabled())
