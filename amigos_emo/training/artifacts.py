"""What a run leaves on disk, written so that no interruption or second process corrupts it.

- The output directory is locked for the run's lifetime (:class:`~amigos_emo.io.locks.ProcessLock`
  on ``OUTPUT_DIR/.lock``): a second trainer, or a ``--resume`` while the first run is alive, is
  refused with a message naming the live process. The OS drops the lock when its holder dies.
- Model files are written to a per-process temporary name and renamed into place, so a reader
  never sees half a file and two writers never share a temporary file.
- ``metrics.json`` is written last; a folder without it is unfinished. A run that failed before
  any fold saved state (bad data, a wrong option) leaves nothing worth resuming, so the next
  run simply starts over instead of demanding ``--resume``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import glob
import json
import os
import shutil
import weakref

import numpy as np

from amigos_emo._logging import logger
from amigos_emo.io.locks import LockedError, ProcessLock, temp_name

LOCK_NAME = ".lock"


class RunDirectoryError(RuntimeError):
    """The output directory holds a finished or unfinished run and no flag says what to do, or
    another live process is using it."""


def default_output_dir(config, root="runs"):
    """``runs/<dataset>[-<target>]_<model>_<protocol>_seed<N>``; the dataset part keeps a custom
    study's name (``custom-wesad_like``), so two studies never share a folder."""
    name = config.dataset.replace("/", "-")
    if config.target:
        name += f"-{config.target}"
    model = str(config.model).replace(":", "-").replace(".", "-")
    return os.path.join(root, f"{name}_{model}_{config.protocol}_seed{config.seed}")


def _has_saved_state(out):
    patterns = ("fold_*/state.json", "fold_*/metrics.json", "search/oracle.json")
    return any(glob.glob(os.path.join(out, pattern)) for pattern in patterns)


def _clear(out):
    for entry in os.scandir(out):
        if entry.name == LOCK_NAME:
            continue
        if entry.is_dir(follow_symlinks=False):
            shutil.rmtree(entry.path)
        else:
            os.remove(entry.path)


@contextlib.contextmanager
def locked_output_dir(config, control_fields, config_name="config.json", config_key="run"):
    """Lock ``config.output_dir`` for a run and check what it holds (a context manager).

    - another live process holds it: :class:`RunDirectoryError` naming that process;
    - ``--overwrite``: its contents are removed;
    - finished (``metrics.json``) without ``--overwrite``: refused;
    - unfinished with saved state and no ``--resume``: refused, suggesting ``--resume``;
    - ``--resume``: the saved settings must match (``control_fields`` may differ).
    """
    out = config.output_dir
    os.makedirs(out, exist_ok=True)
    lock = ProcessLock(os.path.join(out, LOCK_NAME), what=f"output directory {out}", blocking=False)
    try:
        lock.acquire()
    except LockedError as error:
        raise RunDirectoryError(str(error)) from None
    try:
        finished = os.path.exists(os.path.join(out, "metrics.json"))
        if config.overwrite:
            _clear(out)
        elif finished:
            raise RunDirectoryError(
                f"{out} holds a finished run (metrics.json exists). Pass --overwrite to replace it, or choose "
                "another --output-dir."
            )
        elif _has_saved_state(out):
            if not getattr(config, "resume", False):
                raise RunDirectoryError(
                    f"{out} holds an unfinished run. Pass --resume to continue it from its last completed epoch, "
                    "--overwrite to start over, or choose another --output-dir."
                )
            _check_same_settings(config, os.path.join(out, config_name), config_key, control_fields)
        else:
            if getattr(config, "resume", False):
                _check_same_settings(
                    config, os.path.join(out, config_name), config_key, control_fields
                )
            if any(entry.name != LOCK_NAME for entry in os.scandir(out)):
                logger.info(
                    "%s holds a run that stopped before saving any state; starting it over.", out
                )
                _clear(out)
        yield out
    finally:
        lock.release()


def _check_same_settings(config, saved, key, control_fields):
    if not os.path.exists(saved):
        return
    with open(saved) as handle:
        previous = json.load(handle)[key]
    changed = {
        k: (previous.get(k), v)
        for k, v in dataclasses.asdict(config).items()
        if k not in control_fields and previous.get(k) != v
    }
    if changed:
        details = ", ".join(f"{k}: {a!r} -> {b!r}" for k, (a, b) in changed.items())
        raise RunDirectoryError(
            f"--resume with different settings than the interrupted run ({details})."
        )


def atomic_save(model, path):
    """``model.save(path)`` through a per-process temporary file and a rename."""
    keras_saving_skipsets()
    tmp = temp_name(path)
    try:
        model.save(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


# the object types Keras's saving walk asks a skip-set of attributes for
_SKIPSET_TYPES = ("Operation", "Layer", "Functional", "Sequential", "Metric", "Optimizer", "Loss")


def keras_saving_skipsets():
    """Store Keras's per-type attribute skip-sets where its saving walk looks them up.

    ``keras.src.saving.saving_lib.get_attr_skipset`` (Keras 3.15) caches the set it computes
    under ``saving_attr_skipset_<type>`` but looks it up under ``saving_attr_skiplist_<type>``,
    so every object that ``model.save`` or ``load_model`` walks builds a throw-away reference
    ``Layer`` to list its attributes: about a third of writing a fold's ``best.keras``
    (measured with cProfile: 0.18 of 0.48 s for ``multimodal_lstm``). This stores each set
    under the key that is read; the sets depend on the type alone, so the files are the same
    (tested). Cheap to call again (Keras's global state is per thread and
    ``keras.backend.clear_session`` empties it); does nothing where that function is gone.
    """
    try:
        from keras.src.backend.common import global_state
        from keras.src.saving.saving_lib import get_attr_skipset
    except ImportError:
        return
    for obj_type in _SKIPSET_TYPES:
        key = f"saving_attr_skiplist_{obj_type}"
        if global_state.get_global_attribute(key, None) is None:
            global_state.set_global_attribute(key, get_attr_skipset(obj_type))


def saved_model_signature(model):
    """Input name -> ``tf.TensorSpec`` (any batch size, float32) of a Keras model's inputs."""
    import tensorflow as tf

    names = [tensor.name.split(":")[0] for tensor in model.inputs]
    return {
        name: tf.TensorSpec((None, *tensor.shape[1:]), tf.float32, name=name)
        for name, tensor in zip(names, model.inputs, strict=True)
    }


_INFERENCE = weakref.WeakKeyDictionary()


def _named_outputs(outputs, names):
    """A model's outputs as head name -> tensor (a single tensor or a list become a dict)."""
    if isinstance(outputs, dict):
        return outputs
    return dict(
        zip(names, outputs if isinstance(outputs, list | tuple) else [outputs], strict=True)
    )


def inference_function(model):
    """The model's inference as one ``tf.function`` over any batch size, made once per model.

    Inputs: a dict of float32 ``(batch, *shape)`` tensors named like the model's inputs; outputs:
    a dict of head name -> tensor. Evaluation (every batch of validation and test, the last
    partial one too) and :func:`export_saved_model` share it, so the model is traced once for
    both instead of once per batch shape and again for the export.
    """
    import tensorflow as tf

    function = _INFERENCE.get(model)
    if function is not None:
        return function
    names = list(model.output_names)

    @tf.function(input_signature=[saved_model_signature(model)], autograph=False)
    def serve(inputs):
        outputs = model(inputs, training=False)
        return _named_outputs(outputs, names)

    _INFERENCE[model] = serve
    return serve


# architecture key -> (template core, tf.function over (weights, inputs)); few entries: a run
# trains one architecture, a multi-model script a handful
_SHARED_INFERENCE = {}
_SHARED_LIMIT = 4


def evaluation_function(model):
    """Inference for evaluation that traces ONCE per architecture, not once per fold.

    Every fold wraps a new core (the registered architecture) between its own train-only
    normalisation and regression rescaling (:func:`~amigos_emo.training.modeling.wrap_model`),
    and :func:`inference_function` traces each such model anew (about 0.8 s for the multimodal
    LSTM, paid by every fold of a LOSO run). Here the core runs through
    ``keras.Model.stateless_call`` in one ``tf.function`` that takes the weights as arguments;
    folds whose cores have the same config and weight layout share it, each passing its own
    weights, and the wrapper's normalisation and rescaling layers run eagerly around it (the
    same layers, so the same values as ``model(x)``; tested). Any other model (no wrapper, other
    layers in the wrapper) gets :func:`inference_function`.

    Returns:
        A callable: dict of float32 ``(batch, *shape)`` tensors -> dict of head -> tensor.
    """
    parts = _wrapper_parts(model)
    if parts is None:
        return inference_function(model)
    core, normalisers, heads = parts
    shared = _shared_core_function(core)

    def infer(inputs):
        normalised = {k: (normalisers[k](v) if k in normalisers else v) for k, v in inputs.items()}
        outputs = shared(
            [v.value for v in core.trainable_variables],
            [v.value for v in core.non_trainable_variables],
            normalised,
        )
        return {name: layer(outputs[name]) for name, layer in heads.items()}

    return infer


def _wrapper_parts(model):
    """``(core, input name -> normalisation layer, output name -> head layer)`` of a model made
    by ``wrap_model`` (``Standardize``/``ScaleShift``, or the ``Normalization``/``Rescaling`` of
    older files), or None for any other structure."""
    import keras

    from amigos_emo.training.modeling import ScaleShift, Standardize, _core_of

    core = _core_of(model)
    if core is None:
        return None
    normalisers, heads = {}, {}
    output_names = list(model.output_names)
    for layer in model.layers:
        if layer is core or isinstance(layer, keras.layers.InputLayer):
            continue
        if isinstance(layer, Standardize | keras.layers.Normalization) and layer.name.startswith(
            "normalise_"
        ):
            normalisers[layer.name[len("normalise_") :]] = layer
        elif (
            isinstance(layer, ScaleShift | keras.layers.Rescaling | keras.layers.Identity)
            and layer.name in output_names
        ):
            heads[layer.name] = layer
        else:
            return None
    if sorted(heads) != sorted(output_names) or sorted(heads) != sorted(core.output_names):
        return None
    return core, normalisers, heads


def _config_value(value):
    """JSON stand-in for a config value: arrays in full (``repr`` would elide the middle of a
    large one, and two cores differing there must not share a trace), other objects by repr."""
    if isinstance(value, np.ndarray | np.generic):
        return np.asarray(value).tolist()
    return repr(value)


def structure_key(model):
    """A string equal for two models built the same way (config, weight layout), whatever
    their weights: the model's config without its own name (auto-numbered per build for some,
    ``vaegnn_1``), the trainable weights' paths, shapes and dtypes, and the shapes and dtypes
    of the others (seed-generator states are auto-numbered per build: their paths differ)."""
    config = dict(model.get_config())
    config.pop("name", None)
    return json.dumps(
        [
            type(model).__module__,
            type(model).__qualname__,
            config,
            [(v.path, list(v.shape), str(v.dtype)) for v in model.trainable_variables],
            [(list(v.shape), str(v.dtype)) for v in model.non_trainable_variables],
        ],
        sort_keys=True,
        default=_config_value,
    )


def _shared_core_function(core):
    """The cached ``tf.function`` for cores built like ``core`` (traced on first use)."""
    import tensorflow as tf

    key = structure_key(core)
    cached = _SHARED_INFERENCE.get(key)
    if cached is not None:
        return cached[1]
    template, names = core, list(core.output_names)

    def specs(variables):
        return [tf.TensorSpec(v.shape, v.dtype) for v in variables]

    @tf.function(
        input_signature=[
            specs(core.trainable_variables),
            specs(core.non_trainable_variables),
            saved_model_signature(core),
        ],
        autograph=False,
    )
    def run(trainable, non_trainable, inputs):
        outputs, _ = template.stateless_call(trainable, non_trainable, inputs, training=False)
        return _named_outputs(outputs, names)

    while len(_SHARED_INFERENCE) >= _SHARED_LIMIT:
        _SHARED_INFERENCE.pop(next(iter(_SHARED_INFERENCE)))
    _SHARED_INFERENCE[key] = (template, run)
    return run


def export_saved_model(model, path):
    """Write ``model`` as a TensorFlow SavedModel with one traced inference function.

    The folder holds the endpoint ``serve`` (a dict of float32 ``(batch, *shape)`` inputs named
    like the model's inputs -> a dict of outputs named like its heads) and the same function
    as the ``serving_default`` signature, over the model's variables only. ``model.export``
    writes the same endpoint but walks every layer of the model for resources and traces the
    call several times; for a recurrent model that is about twice as slow (measured ~25 s
    against ~11 s for ``multimodal_lstm`` on a loaded 2-core machine).

    The endpoint is :func:`evaluation_function`'s computation, so a trained fold's core reuses
    the trace that evaluation made (once per architecture), and no gradient function is saved
    (``experimental_custom_gradients=False``: the endpoint serves inference; saving the
    recurrent layers' hand-written gradients as well traced the backward loops per fold).

    Exporting the same model object again (the folds of a run share one model, each with its
    own weights) writes only what changed: the graph (``saved_model.pb``) is the one written
    the first time, since the same function over the same variables serialises to the same
    graph, and the variables are written as the checkpoint the SavedModel loader restores
    (same keys; tested against a full export). Building the graph is about 0.9 s of a
    ``multimodal_lstm`` fold's 1 s export; the variables take a few ms.
    """
    template = _EXPORT_TEMPLATE.get("last")
    if template is not None and template.serves(model):
        template.write(path)
        return
    module = _export_module(model)
    _save_module(module, path)
    _EXPORT_TEMPLATE["last"] = _ExportTemplate.read(model, module, path)


# the model exported last and its SavedModel graph (one entry: a run exports one shared model;
# it keeps that model alive until another is exported)
_EXPORT_TEMPLATE = {}


def _export_module(model):
    import tensorflow as tf

    module = tf.Module()
    module.variables_of_model = list(model.variables)
    if _wrapper_parts(model) is None:
        module.serve = inference_function(model)
    else:
        module.serve = tf.function(
            evaluation_function(model),
            input_signature=[saved_model_signature(model)],
            autograph=False,
        )
    return module


def _save_module(module, path):
    import tensorflow as tf

    tf.saved_model.save(
        module,
        path,
        signatures={"serving_default": module.serve.get_concrete_function()},
        options=tf.saved_model.SaveOptions(experimental_custom_gradients=False),
    )


@dataclasses.dataclass
class _ExportTemplate:
    """A written SavedModel's files other than its variables, to write again with new values."""

    model: weakref.ref
    variable_ids: tuple
    module: object
    files: dict  # path inside the SavedModel -> bytes (saved_model.pb; assets, if any)
    folders: list

    @classmethod
    def read(cls, model, module, path):
        files, folders = {}, []
        for root, dirs, names in os.walk(path):
            relative = os.path.relpath(root, path)
            if relative.split(os.sep)[0] == "variables":
                continue
            folders += [os.path.normpath(os.path.join(relative, d)) for d in dirs]
            for name in names:
                if relative == "." and name == FINGERPRINT:
                    continue  # written again: it hashes the variables too
                with open(os.path.join(root, name), "rb") as handle:
                    files[os.path.normpath(os.path.join(relative, name))] = handle.read()
        return cls(weakref.ref(model), _variable_ids(model), module, files, folders)

    def serves(self, model):
        return self.model() is model and self.variable_ids == _variable_ids(model)

    def write(self, path):
        import tensorflow as tf

        for folder in self.folders:
            os.makedirs(os.path.join(path, folder), exist_ok=True)
        # the variables first, saved_model.pb last: its presence marks a complete SavedModel
        tf.train.Checkpoint(root=self.module).write(os.path.join(path, "variables", "variables"))
        for name, content in sorted(
            self.files.items(), key=lambda item: item[0] == "saved_model.pb"
        ):
            with open(os.path.join(path, name), "wb") as handle:
                handle.write(content)
        _write_fingerprint(path)


FINGERPRINT = "fingerprint.pb"


def _variable_ids(model):
    return tuple(id(v) for v in model.variables)


def _write_fingerprint(path):
    """The SavedModel's ``fingerprint.pb`` (hashes of its graph and variables), as
    ``tf.saved_model.save`` writes it; skipped where TensorFlow has no such writer."""
    try:
        from tensorflow.python.saved_model import fingerprinting_utils
    except ImportError:
        return
    fingerprinting_utils.write_fingerprint(path)


def atomic_export(model, path):
    """:func:`export_saved_model` into a per-process temporary folder, then renamed."""
    tmp = temp_name(path)
    if os.path.exists(tmp):
        shutil.rmtree(tmp)
    export_saved_model(model, tmp)
    if os.path.exists(path):
        shutil.rmtree(path)
    os.replace(tmp, path)


def write_history_csv(history, path):
    """Per-epoch history (dict metric -> list) as CSV with an ``epoch`` column (1-based)."""
    keys = sorted(history)
    n = max((len(v) for v in history.values()), default=0)
    tmp = temp_name(path)
    with open(tmp, "w") as handle:
        handle.write("epoch," + ",".join(keys) + "\n")
        for i in range(n):
            row = [str(history[k][i]) if i < len(history[k]) else "" for k in keys]
            handle.write(f"{i + 1}," + ",".join(row) + "\n")
    os.replace(tmp, path)


def _variable_groups(model, with_optimizer):
    groups = {"model": list(model.weights)}
    if with_optimizer:
        optimizer = model.optimizer
        if not optimizer.built:
            optimizer.build(model.trainable_variables)
        groups["optimizer"] = list(optimizer.variables)
    return groups


def save_variables(model, path, with_optimizer=True):
    """Every weight of ``model`` (and of its optimizer) as one ``.npz``, atomically.

    The resume checkpoint of one epoch: ``model.save`` walks every layer and writes a ``.keras``
    zip (about 1 s a call for the wearable ``signal_fusion`` on a loaded 2-core machine, paid
    every epoch), this writes the arrays (tens of ms). :func:`load_variables` puts them back
    into a model built the same way (the runner rebuilds the fold's model from its seed and
    statistics before it resumes). The ``.keras`` file of the fold (``best.keras``) is still
    written with ``model.save``, once.

    Arrays are named ``<group>_<index>`` with ``group`` ``model`` (``model.weights``, in order)
    or ``optimizer`` (``model.optimizer.variables``); ``<group>_paths`` keeps each variable's
    path for messages (auto-numbered names such as ``adam_2`` differ between two builds of the
    same model in one process, so a different layout is recognised by count and shapes).
    """
    write_variables(variable_arrays(model, with_optimizer), path)


def variable_arrays(model, with_optimizer=True):
    """The arrays :func:`save_variables` writes, copied out of the model now (a snapshot: a
    later training step does not change them)."""
    groups = _variable_groups(model, with_optimizer)
    values = iter(_read_all(model, [v for variables in groups.values() for v in variables]))
    arrays = {}
    for group, variables in groups.items():
        arrays[f"{group}_paths"] = np.array([v.path for v in variables], dtype=str)
        for index in range(len(variables)):
            arrays[f"{group}_{index}"] = next(values)
    return arrays


# model -> (ids of the variables, a function reading them all in one call)
_READERS = weakref.WeakKeyDictionary()


def _read_all(model, variables):
    """Copies of ``variables``' values, read in one traced call.

    Reading 142 variables one by one costs about 30 ms (an op dispatch each); one traced
    function returning all of them about 3 ms, which an epoch's checkpoint pays every epoch.
    The function is kept for the model (the folds of a run share one) and rebuilt when it is
    asked for other variables (with or without the optimizer's, say).
    """
    import tensorflow as tf

    key = tuple(id(v) for v in variables)
    try:
        known, reader = _READERS.get(model, (None, None))
        if known != key:
            reader = tf.function(lambda: [tf.identity(v.value) for v in variables], autograph=False)
            _READERS[model] = (key, reader)
        return [np.array(value) for value in reader()]
    except (TypeError, ValueError, tf.errors.OpError):  # e.g. a distributed variable
        return [np.array(v.numpy()) for v in variables]


def model_arrays(arrays):
    """Only the ``model`` group of :func:`variable_arrays` (what ``with_optimizer=False`` holds)."""
    return {k: v for k, v in arrays.items() if k.startswith("model_")}


def write_variables(arrays, path):
    """Write :func:`variable_arrays` to ``path`` as one ``.npz``, atomically."""
    tmp = temp_name(path)
    try:
        with open(tmp, "wb") as handle:
            np.savez(handle, **arrays)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def read_weights(path):
    """The ``model.weights`` arrays, in order, that :func:`save_variables` wrote to ``path``."""
    with np.load(path, allow_pickle=False) as stored:
        return [stored[f"model_{index}"] for index in range(len(stored["model_paths"]))]


def load_variables(model, path):
    """Assign what :func:`save_variables` wrote to the same-layout ``model`` (and optimizer).

    Raises:
        ValueError: the file's variables (count or shapes) are not the model's, naming the
            file and the first difference.
    """
    with np.load(path, allow_pickle=False) as stored:
        with_optimizer = "optimizer_paths" in stored.files
        for group, variables in _variable_groups(model, with_optimizer).items():
            paths = [str(p) for p in stored[f"{group}_paths"]]
            if len(paths) != len(variables):
                raise ValueError(
                    f"{path}: the checkpoint holds {len(paths)} {group} variables, this model "
                    f"{len(variables)}. It was written by another model or version; rerun the "
                    "fold without --resume."
                )
            for index, variable in enumerate(variables):
                value = stored[f"{group}_{index}"]
                if tuple(value.shape) != tuple(variable.shape):
                    raise ValueError(
                        f"{path}: {group} variable #{index} ({paths[index]!r} in the "
                        f"checkpoint, {variable.path!r} in the model) has shape "
                        f"{tuple(value.shape)} in the checkpoint, {tuple(variable.shape)} in the "
                        "model. It was written by another model or version; rerun the fold "
                        "without --resume."
                    )
                variable.assign(value.astype(variable.dtype))


def remove_checkpoints(fold_dir, keep):
    """Delete end-of-epoch checkpoints other than ``keep`` (all of them when ``keep`` is None)."""
    for name in os.listdir(fold_dir):
        if name.startswith("checkpoint_epoch_") and name != keep:
            os.remove(os.path.join(fold_dir, name))


def seed_state_variables(model):
    """The random-generator states of dropout and friends (``.keras`` files do not keep them)."""
    return [v for v in model.variables if v.path.endswith("seed_generator_state")]


def restore_seed_states(model, states):
    """Put back the generator states saved with the last checkpoint, so a resumed run draws the
    same dropout masks as an uninterrupted one."""
    variables = seed_state_variables(model)
    if states is None or len(states) != len(variables):
        logger.warning(
            "Could not restore %d random-generator state(s); the resumed run will not be "
            "bit-identical to an uninterrupted one.",
            len(variables),
        )
        return
    for variable, value in zip(variables, states, strict=True):
        variable.assign(np.asarray(value, dtype=variable.dtype))
