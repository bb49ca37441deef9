"""The shared model test harness (our own, in the spirit of keras-hub's ``test_case.py``).

For one :class:`~amigos_emo.models.harness_cases.HarnessCase` it checks, through the registry:

- output names, shapes and dtypes (:func:`check_outputs`);
- config round-trip: ``get_config`` -> ``from_config`` gives the same structure and, with the
  weights copied, the same outputs (:func:`check_config_round_trip`);
- ``.keras`` save and reload with identical outputs (:func:`check_keras_save_reload`);
- ``model.export`` (TF SavedModel) with the named endpoint ``serve``, reloaded with
  ``tf.saved_model.load``, outputs within 1e-5 (:func:`check_export`);
- every weight the forward pass uses (the variables a ``tf.GradientTape`` watching everything
  records during a training-mode forward pass) is one of the model's ``weights``, so it is
  counted by ``count_params()``, saved and handed to the optimiser (:func:`check_weights_counted`);
- one ``jit_compile=True`` training step through the registry's ``compile`` on random inputs
  and targets of the right kind: loss finite, and EVERY trainable weight changes, both those the
  model tracks and those the forward pass uses (:func:`check_jit_train_step`); a weight that
  legitimately gets no gradient for a case's inputs must be listed, with the reason, in
  :data:`NO_GRADIENT_WEIGHTS`;
- a forward pass under ``mixed_float16`` and ``mixed_bfloat16`` with float32 outputs, restoring
  the global dtype policy afterwards even on failure (:func:`check_mixed_precision`).

Each check raises ``AssertionError`` with a message naming the case. Use it from pytest as in
``models/model_harness_test.py``, or call :func:`run_all_checks` directly.
"""

from __future__ import annotations

import contextlib
import pathlib

import numpy as np

from amigos_emo.models.harness_cases import HARNESS_CASES, HarnessCase
from amigos_emo.models.registry import build_model, get_model_entry

__all__ = [
    "CHECKS",
    "HARNESS_CASES",
    "HarnessCase",
    "NO_GRADIENT_WEIGHTS",
    "build_case_model",
    "check_config_round_trip",
    "check_export",
    "check_jit_train_step",
    "check_keras_save_reload",
    "check_mixed_precision",
    "check_outputs",
    "check_weights_counted",
    "dtype_policy",
    "make_inputs",
    "make_targets",
    "run_all_checks",
    "unchanged_after_train_step",
    "untracked_used_variables",
    "used_variables",
]

BATCH_SIZE = 4
SERVING_ENDPOINT = "serve"

# Case test id -> {weight path: why a training step on the harness inputs gives it no
# gradient}. Each entry is a justified exception to "a training step changes every weight";
# keep it empty unless a case really needs one.
NO_GRADIENT_WEIGHTS: dict[str, dict[str, str]] = {}


def build_case_model(case):
    """Build the (uncompiled) model of ``case`` through the registry."""
    return build_model(case.name, case.input_shapes, n_outputs=case.n_outputs, **case.build_kwargs)


def make_inputs(case, batch_size=BATCH_SIZE, seed=0):
    """Random float32 inputs for ``case``: input name -> ``(batch_size, *shape)`` array."""
    rng = np.random.default_rng(seed)
    return {
        name: rng.standard_normal((batch_size, *shape)).astype("float32")
        for name, shape in case.input_shapes.items()
    }


def _output_activation(model, name):
    """The activation name of the layer that produces output ``name`` (or ``None``)."""
    try:
        layer = model.get_layer(name)
    except ValueError:
        return None
    activation = getattr(layer, "activation", None)
    return getattr(activation, "__name__", None)


def make_targets(model, task, batch_size=BATCH_SIZE, seed=1):
    """Random float32 targets of the right kind for every output of ``model``.

    Softmax outputs (and every output of a ``"classification"`` model) get one-hot vectors,
    sigmoid outputs (and every output of a ``"binary"`` model) get 0/1, the rest standard
    normal values.
    """
    rng = np.random.default_rng(seed)
    targets = {}
    for name, tensor in _named_outputs(model).items():
        shape = (batch_size, *tensor.shape[1:])
        activation = _output_activation(model, name)
        if task == "classification" or activation == "softmax":
            n_classes = shape[-1]
            classes = rng.integers(0, n_classes, size=shape[:-1])
            targets[name] = np.eye(n_classes, dtype="float32")[classes]
        elif task == "binary" or activation == "sigmoid":
            targets[name] = rng.integers(0, 2, size=shape).astype("float32")
        else:
            targets[name] = rng.standard_normal(shape).astype("float32")
    return targets


def _named_outputs(model):
    """Output name -> symbolic output tensor, for dict- or list-output functional models."""
    outputs = model.outputs
    names = model.output_names
    return dict(zip(names, outputs, strict=True))


def _predict(model, inputs):
    """Forward pass in inference mode, as a dict of NumPy arrays keyed by output name."""
    outputs = model(inputs, training=False)
    if not isinstance(outputs, dict):
        outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
        outputs = dict(zip(model.output_names, outputs, strict=True))
    return {name: np.asarray(value) for name, value in outputs.items()}


def _assert_outputs_close(case, reference, other, what, atol=1e-6):
    assert set(reference) == set(other), (
        f"[{case.test_id}] {what}: output names differ: {sorted(reference)} vs {sorted(other)}"
    )
    for name in reference:
        np.testing.assert_allclose(
            np.asarray(other[name], dtype="float64"),
            np.asarray(reference[name], dtype="float64"),
            atol=atol,
            rtol=0,
            err_msg=f"[{case.test_id}] {what}: output {name!r} differs",
        )


@contextlib.contextmanager
def dtype_policy(policy):
    """Set the global Keras dtype policy inside the block; always restore the previous one."""
    import keras

    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(policy)
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)


# === Checks ===


def check_outputs(case):
    """Inputs and outputs carry the registered names; outputs have batch shape and float32."""
    entry = get_model_entry(case.name)
    model = build_case_model(case)
    input_names = [tensor.name.split(":")[0] for tensor in model.inputs]
    expected_inputs = entry.input_names(list(case.input_shapes))
    assert set(input_names) == set(expected_inputs), (
        f"[{case.test_id}] input names {input_names} != registered {list(expected_inputs)}"
    )
    expected_outputs = entry.output_names(case.build_kwargs.get("heads"))
    if entry.dynamic_outputs and case.build_kwargs.get("heads") is None:
        expected_outputs = model.output_names  # a preset's own default heads
    assert set(model.output_names) == set(expected_outputs), (
        f"[{case.test_id}] output names {model.output_names} != registered {list(expected_outputs)}"
    )
    outputs = _predict(model, make_inputs(case))
    symbolic = _named_outputs(model)
    for name, value in outputs.items():
        expected_shape = (BATCH_SIZE, *symbolic[name].shape[1:])
        assert value.shape == expected_shape, (
            f"[{case.test_id}] output {name!r} has shape {value.shape}, expected {expected_shape}"
        )
        assert value.dtype == np.float32, (
            f"[{case.test_id}] output {name!r} has dtype {value.dtype}, expected float32"
        )
        assert np.all(np.isfinite(value)), f"[{case.test_id}] output {name!r} is not finite"
        if _output_activation(model, name) == "softmax":
            np.testing.assert_allclose(value.sum(axis=-1), 1.0, atol=1e-5)
    return outputs


def check_config_round_trip(case):
    """``from_config(get_config())`` rebuilds the same structure and, with copied weights,
    the same outputs."""
    model = build_case_model(case)
    config = model.get_config()
    clone = type(model).from_config(config)
    assert clone.get_config() == config, f"[{case.test_id}] config changed in the round-trip"
    assert [layer.name for layer in clone.layers] == [layer.name for layer in model.layers], (
        f"[{case.test_id}] layer names changed in the config round-trip"
    )
    assert [w.shape for w in clone.weights] == [w.shape for w in model.weights], (
        f"[{case.test_id}] weight shapes changed in the config round-trip"
    )
    clone.set_weights(model.get_weights())
    inputs = make_inputs(case)
    _assert_outputs_close(
        case, _predict(model, inputs), _predict(clone, inputs), "config round-trip"
    )


def check_keras_save_reload(case, tmp_dir):
    """``model.save("x.keras")`` then ``keras.saving.load_model`` gives identical outputs."""
    import keras

    model = build_case_model(case)
    path = pathlib.Path(tmp_dir) / f"{case.test_id}.keras"
    model.save(path)
    reloaded = keras.saving.load_model(path)
    assert type(reloaded) is type(model), (
        f"[{case.test_id}] reloaded a {type(reloaded).__name__}, expected {type(model).__name__}"
    )
    inputs = make_inputs(case)
    _assert_outputs_close(
        case, _predict(model, inputs), _predict(reloaded, inputs), ".keras reload", atol=0
    )


def check_export(case, tmp_dir):
    """``model.export`` writes a SavedModel whose ``serve`` endpoint matches within 1e-5."""
    import tensorflow as tf

    model = build_case_model(case)
    path = pathlib.Path(tmp_dir) / f"{case.test_id}_savedmodel"
    model.export(str(path), format="tf_saved_model", verbose=False)
    reloaded = tf.saved_model.load(str(path))
    assert hasattr(reloaded, SERVING_ENDPOINT), (
        f"[{case.test_id}] the SavedModel has no endpoint {SERVING_ENDPOINT!r}"
    )
    inputs = make_inputs(case)
    served = getattr(reloaded, SERVING_ENDPOINT)({k: tf.constant(v) for k, v in inputs.items()})
    if not isinstance(served, dict):
        served = served if isinstance(served, (list, tuple)) else [served]
        served = dict(zip(model.output_names, served, strict=True))
    served = {name: value.numpy() for name, value in served.items()}
    _assert_outputs_close(case, _predict(model, inputs), served, "SavedModel export", atol=1e-5)


def used_variables(model, inputs):
    """The trainable variables one training-mode forward pass of ``model`` reads.

    Found with a ``tf.GradientTape`` that watches every variable it sees accessed, so weights
    held outside the model's tracking (an untracked inner model, a layer kept in a plain
    attribute set with ``object.__setattr__``) are found too.

    Returns:
        list of ``tf.Variable`` in first-use order, without duplicates.
    """
    import tensorflow as tf

    with tf.GradientTape(watch_accessed_variables=True) as tape:
        model(inputs, training=True)
    return list(tape.watched_variables())


def _variable_name(variable):
    return getattr(variable, "path", None) or variable.name.split(":")[0]


def untracked_used_variables(model, inputs):
    """The variables the forward pass reads that are not among ``model.weights``.

    Returns:
        list of ``(name, shape)`` of those variables (empty when every one is tracked).
    """
    tracked = {id(weight.value) for weight in model.weights}
    return [
        (_variable_name(variable), tuple(variable.shape))
        for variable in used_variables(model, inputs)
        if id(variable) not in tracked
    ]


def check_weights_counted(case):
    """Every weight the forward pass uses is in ``model.weights``, hence in ``count_params()``
    (which sums ``model.weights``), in saved files and in ``trainable_variables``."""
    model = build_case_model(case)
    missing = untracked_used_variables(model, make_inputs(case))
    n_missing = sum(int(np.prod(shape)) for _, shape in missing)
    assert not missing, (
        f"[{case.test_id}] the forward pass uses {len(missing)} variables ({n_missing} "
        f"parameters) that are not in model.weights, so count_params()={model.count_params()} "
        f"misses them and they are neither trained nor saved: {missing}"
    )
    expected = sum(int(np.prod(weight.shape)) for weight in model.weights)
    assert model.count_params() == expected, (
        f"[{case.test_id}] count_params()={model.count_params()} but model.weights hold "
        f"{expected} parameters"
    )


def unchanged_after_train_step(model, inputs, targets):
    """Run one ``train_on_batch`` and name the trainable variables it left exactly unchanged.

    The variables checked are ``model.trainable_weights`` plus every trainable variable the
    forward pass reads (:func:`used_variables`), so an untracked weight that the optimiser
    never sees is reported too.

    Returns:
        ``(logs, unchanged)``: the training logs and the sorted names of unchanged variables.
    """
    variables = {id(weight.value): weight.value for weight in model.trainable_weights}
    for variable in used_variables(model, inputs):
        if variable.trainable:
            variables.setdefault(id(variable), variable)
    before = {key: variable.numpy().copy() for key, variable in variables.items()}
    logs = model.train_on_batch(inputs, targets, return_dict=True)
    unchanged = sorted(
        _variable_name(variable)
        for key, variable in variables.items()
        if np.array_equal(variable.numpy(), before[key])
    )
    return logs, unchanged


def check_jit_train_step(case):
    """One XLA-compiled training step via the registry's ``compile``: finite loss, and every
    trainable weight (tracked or used by the forward pass) changes, except those listed with a
    reason in :data:`NO_GRADIENT_WEIGHTS`."""
    entry = get_model_entry(case.name)
    model = build_case_model(case)
    entry.compile(model, steps_per_epoch=1, epochs=1, jit_compile=True)
    # Keras silently falls back to jit_compile=False when a layer does not support XLA or
    # TF op determinism is enabled (tf.config.experimental.enable_op_determinism).
    assert model.jit_compile is True, (
        f"[{case.test_id}] compile(jit_compile=True) left model.jit_compile="
        f"{model.jit_compile!r}: a layer lacks XLA support or op determinism is enabled"
    )
    inputs = make_inputs(case)
    targets = make_targets(model, entry.task)
    logs, unchanged = unchanged_after_train_step(model, inputs, targets)
    assert np.isfinite(logs["loss"]), f"[{case.test_id}] training loss is not finite: {logs}"
    allowed = NO_GRADIENT_WEIGHTS.get(case.test_id, {})
    unexpected = [name for name in unchanged if name not in allowed]
    assert not unexpected, (
        f"[{case.test_id}] a training step left {len(unexpected)} trainable weights exactly "
        f"unchanged: {unexpected} (if one legitimately gets no gradient for these inputs, "
        "add it with the reason to NO_GRADIENT_WEIGHTS)"
    )
    return logs


def check_mixed_precision(case, policies=("mixed_float16", "mixed_bfloat16")):
    """Build and run the model under each mixed policy: outputs stay float32 and finite."""
    for policy in policies:
        with dtype_policy(policy):
            model = build_case_model(case)
            outputs = _predict(model, make_inputs(case))
        for name, value in outputs.items():
            assert value.dtype == np.float32, (
                f"[{case.test_id}] under {policy} output {name!r} is {value.dtype}, expected float32"
            )
            assert np.all(np.isfinite(value)), (
                f"[{case.test_id}] under {policy} output {name!r} is not finite"
            )


CHECKS = {
    "outputs": lambda case, tmp_dir: check_outputs(case),
    "config_round_trip": lambda case, tmp_dir: check_config_round_trip(case),
    "keras_save_reload": check_keras_save_reload,
    "export": check_export,
    "weights_counted": lambda case, tmp_dir: check_weights_counted(case),
    "jit_train_step": lambda case, tmp_dir: check_jit_train_step(case),
    "mixed_precision": lambda case, tmp_dir: check_mixed_precision(case),
}


def run_all_checks(case, tmp_dir):
    """Run every check in :data:`CHECKS` on ``case`` (raises on the first failure)."""
    for check in CHECKS.values():
        check(case, tmp_dir)
