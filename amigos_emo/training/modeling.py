"""The model that is trained and saved: the registered architecture behind float32 input
normalisation (fitted on training subjects) and, for regression heads, a rescaling to the
rating scale. A saved ``.keras`` file or exported SavedModel therefore takes raw signals and
predicts ratings on their own scale."""

from __future__ import annotations

import keras
import numpy as np


@keras.saving.register_keras_serializable(package="amigos_emo")
class Standardize(keras.layers.Layer):
    """``(x - mean) / max(std, epsilon)`` with the training subjects' statistics as weights.

    ``mean`` and ``std`` are non-trainable float32 weights of shape ``stats_shape`` (one
    example's shape with size 1 on the pooled axes, broadcast over the batch). Being weights
    rather than constants of the graph, one fold's statistics are assigned to a model traced for
    another fold (the runner reuses one compiled model across folds), and they are saved in the
    ``.keras`` file. Files written with ``keras.layers.Normalization`` (before) still load.
    """

    def __init__(self, stats_shape, **kwargs):
        kwargs.setdefault("dtype", "float32")
        super().__init__(**kwargs)
        self.stats_shape = tuple(int(n) for n in stats_shape)

    def build(self, input_shape):
        self.mean = self.add_weight(
            name="mean", shape=self.stats_shape, initializer="zeros", trainable=False
        )
        self.std = self.add_weight(
            name="std", shape=self.stats_shape, initializer="ones", trainable=False
        )

    def call(self, inputs):
        std = keras.ops.maximum(self.std, keras.backend.epsilon())
        return (inputs - self.mean) / std

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "stats_shape": list(self.stats_shape)}


@keras.saving.register_keras_serializable(package="amigos_emo")
class ScaleShift(keras.layers.Layer):
    """``x * scale + offset`` (a regression head back to the rating scale), both scalar
    non-trainable weights: the training targets' std and mean, assigned per fold like
    :class:`Standardize`. Files written with ``keras.layers.Rescaling`` still load."""

    def __init__(self, **kwargs):
        kwargs.setdefault("dtype", "float32")
        super().__init__(**kwargs)

    def build(self, input_shape):
        self.scale = self.add_weight(name="scale", shape=(), initializer="ones", trainable=False)
        self.offset = self.add_weight(name="offset", shape=(), initializer="zeros", trainable=False)

    def call(self, inputs):
        return keras.ops.cast(inputs, self.compute_dtype) * self.scale + self.offset

    def compute_output_shape(self, input_shape):
        return input_shape


def wrap_model(core, input_stats, regression_stats, name):
    """Put normalisation in front of ``core`` and rescaling behind its regression heads.

    Args:
        core: the registered architecture (functional model with named inputs/outputs).
        input_stats: name -> :class:`~amigos_emo.training.pipeline.InputStats` (mean, std and the
            pooled axes) or None.
        regression_stats: output name -> (mean, std) of the training targets.
        name: the wrapper's name.

    Returns:
        A functional ``keras.Model`` with the same input and output names as ``core``.
    """
    import keras

    inputs, normalised = {}, {}
    for tensor in core.inputs:
        input_name = tensor.name.split(":")[0]
        shape = tuple(tensor.shape[1:])
        inputs[input_name] = keras.Input(shape=shape, name=input_name, dtype="float32")
        stats = input_stats.get(input_name)
        if stats is None:
            normalised[input_name] = inputs[input_name]
            continue
        layer = Standardize(np.shape(stats.mean), name=f"normalise_{input_name}")
        normalised[input_name] = layer(inputs[input_name])
        layer.mean.assign(np.asarray(stats.mean, np.float32))
        layer.std.assign(np.asarray(stats.std, np.float32))
    core_outputs = core(normalised)
    if not isinstance(core_outputs, dict):
        names = list(core.output_names)
        core_outputs = dict(
            zip(
                names,
                core_outputs if isinstance(core_outputs, list | tuple) else [core_outputs],
                strict=False,
            )
        )
    outputs = {}
    for output_name, tensor in core_outputs.items():
        if output_name in regression_stats:
            mean, std = regression_stats[output_name]
            layer = ScaleShift(name=output_name)
            tensor = layer(tensor)
            layer.scale.assign(float(std))
            layer.offset.assign(float(mean))
        else:
            tensor = keras.layers.Identity(dtype="float32", name=output_name)(tensor)
        outputs[output_name] = tensor
    return attach_core_loss(keras.Model(inputs=inputs, outputs=outputs, name=name))


def _core_of(model):
    """The registered architecture nested inside a wrapped model (or None)."""
    import keras

    nested = [layer for layer in model.layers if isinstance(layer, keras.Model)]
    return nested[0] if len(nested) == 1 else None


def attach_core_loss(model):
    """Let a wrapped model train with its architecture's own ``compute_loss``.

    Some architectures (VAE-GNN: focal + triplet-center + VAE terms) define the loss in
    ``compute_loss`` rather than per output. The wrapper forwards to it, with the inputs
    normalised exactly as the architecture saw them in the forward pass. Not serialised: call it
    again after loading a ``.keras`` file to continue training (:func:`load_trained_model` does).
    """
    import keras

    core = _core_of(model)
    if core is None or type(core).compute_loss is keras.Model.compute_loss:
        return model
    normalisers = {}
    for tensor in model.inputs:
        name = tensor.name.split(":")[0]
        try:
            normalisers[name] = model.get_layer(f"normalise_{name}")
        except ValueError:
            continue

    def compute_loss(x=None, y=None, y_pred=None, sample_weight=None, training=True):
        normalised = {k: (normalisers[k](v) if k in normalisers else v) for k, v in x.items()}
        return core.compute_loss(
            x=normalised, y=y, y_pred=y_pred, sample_weight=sample_weight, training=training
        )

    object.__setattr__(model, "compute_loss", compute_loss)
    return model


def load_trained_model(path, compile=True, model_name=None):
    """Load a trained ``.keras`` file (``best.keras``) with every package object registered.

    Loading uses Keras's ``safe_mode``: a file whose config asks for arbitrary code (a
    ``Lambda`` layer, or a function such as ``os.system`` named as a layer or activation) is
    refused with :class:`UnsafeModelError` instead of being run.

    Args:
        path: the ``.keras`` file written by ``python -m amigos_emo.train``.
        compile: restore the optimiser and losses too (needed to continue training).
        model_name: the run's ``--model``; for ``MODULE:NAME`` the module is imported first so
            its custom objects are registered.

    Returns:
        The model: raw signals in, predictions on the targets' own scale out.

    Raises:
        FileNotFoundError: no such file. UnsafeModelError: the file would run code.
    """
    import os

    import keras

    from amigos_emo.models import get_model_entry, list_models
    from amigos_emo.training.artifacts import keras_saving_skipsets

    list_models()  # imports every model family, registering their custom objects
    if model_name and ":" in model_name:
        get_model_entry(model_name)
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path}: no such model file.")
    refuse_unregistered(path)  # before Keras sees it: a named os.system is never even imported
    keras_saving_skipsets()
    try:
        model = keras.saving.load_model(path, compile=compile, safe_mode=True)
    except Exception as error:
        text = " ".join(str(error).split())
        raise UnsafeModelError(
            f"{path}: refused or unreadable in Keras safe mode ({type(error).__name__}: {text[:400]}). Model files "
            "are code: only .keras files made of registered Keras/amigos_emo objects are loaded; Lambda layers "
            "and arbitrary callables are not."
        ) from None
    return attach_core_loss(model)


class UnsafeModelError(ValueError):
    """A model file asks for code (Lambda layers, arbitrary functions) that safe loading refuses."""


def _unregistered_callables(config):
    """``module.name`` of every object in a ``.keras`` config that is neither Keras's nor registered."""
    import keras

    found = []
    stack = [config]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict):
            stack.extend(node.values())
            module = node.get("module")
            if isinstance(module, str) and "class_name" in node:
                name = (
                    node.get("config")
                    if node.get("class_name") == "function"
                    else node.get("class_name")
                )
                registered = node.get("registered_name")
                if module == "keras" or module.startswith("keras."):
                    continue
                if (
                    isinstance(registered, str)
                    and keras.saving.get_registered_object(registered) is not None
                ):
                    continue
                found.append(f"{module}.{name}")
    return sorted(set(found))


def refuse_unregistered(path):
    """Refuse a ``.keras`` file whose config names callables outside Keras and the registry."""
    import json
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            config = json.loads(archive.read("config.json"))
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as error:
        raise UnsafeModelError(
            f"{path}: not a readable .keras file ({type(error).__name__}: {error})."
        ) from None
    names = _unregistered_callables(config)
    if names:
        raise UnsafeModelError(
            f"{path}: refused in safe mode: its config names {', '.join(names)}, which "
            f"{'is' if len(names) == 1 else 'are'} not a registered Keras/amigos_emo object. Only .keras files made "
            "of registered objects are loaded."
        )
