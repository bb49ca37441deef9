"""Cheap folds: one-pass evaluation, the lean SavedModel writer, the per-fold cost accounting."""

import logging
import os
import types

import numpy as np
import pytest

from amigos_emo.training import artifacts, runner
from amigos_emo.training.fold_data import FoldData
from amigos_emo.training.tasks import TargetSpec

SPECS = [
    TargetSpec("rating", "regression", "valence"),
    TargetSpec("high", "binary", "arousal", class_names=("low", "high"), threshold=5.0),
    TargetSpec("state", "classification", "label", n_classes=3, class_names=("a", "b", "c")),
]


def _tiny_model(seed=0):
    import keras

    keras.utils.set_random_seed(seed)
    x = keras.Input(shape=(6, 2), name="x")
    hidden = keras.layers.Dense(4, activation="tanh")(keras.layers.Flatten()(x))
    outputs = {
        "rating": keras.layers.Dense(1, name="rating")(hidden),
        "high": keras.layers.Dense(1, activation="sigmoid", name="high")(hidden),
        "state": keras.layers.Dense(3, activation="softmax", name="state")(hidden),
    }
    return keras.Model({"x": x}, outputs)


def _fold_data(n=37, batch_size=8, seed=0):
    import tensorflow as tf

    rng = np.random.default_rng(seed)
    part = {
        "x": rng.normal(size=(n, 6, 2)).astype(np.float32),
        "valence": rng.uniform(1, 9, n).astype(np.float32),
        "arousal": rng.uniform(1, 9, n).astype(np.float32),
        "label": rng.integers(0, 3, n).astype(np.int64),
    }
    raw = tf.data.Dataset.from_tensor_slices(part)
    data = FoldData(
        fold=None,
        entry=types.SimpleNamespace(name="tiny"),
        specs=SPECS,
        inputs=("x",),
        input_shapes={"x": (6, 2)},
        n_outputs=3,
        input_stats={},
        regression_stats={"rating": (5.0, 2.0)},
        majority={"high": 1, "state": 0},
        class_weights={},
        n_train=n,
        steps_per_epoch=1,
        batch_size=batch_size,
        cache=False,
        train_raw=raw,
        val_raw=raw,
        test_raw=raw,
    )
    return data, part


def test_one_pass_gives_every_heads_outputs_and_encoded_targets():
    data, part = _fold_data()
    model = _tiny_model()
    outputs, truth = data.predict_with_targets(model, "test")
    # the slow obvious reference: Keras's predict on all inputs, targets encoded by hand
    expected = model.predict({"x": part["x"]}, verbose=0)
    for name in ("rating", "high", "state"):
        np.testing.assert_allclose(outputs[name], expected[name], rtol=1e-6, atol=1e-6)
        assert outputs[name].shape == expected[name].shape
    np.testing.assert_array_equal(truth["rating"], part["valence"].astype(np.float64))
    np.testing.assert_array_equal(truth["high"], (part["arousal"] >= 5.0).astype(np.int64))
    np.testing.assert_array_equal(truth["state"], part["label"])
    assert truth["high"].dtype == np.int64 and truth["rating"].dtype == np.float64
    # metrics from the pass equal metrics from a fresh predict + a separate read of the targets
    from amigos_emo.training.evaluation import evaluate_heads

    batched = model.predict(data.eval_dataset("test"), verbose=0)  # the same batches
    reference = evaluate_heads(SPECS, batched, data.targets("test"), {"rating": 5.0}, data.majority)
    assert data.evaluate(model, "test", outputs=outputs, truth=truth) == reference
    assert data.evaluate(model, "test") == reference
    assert data.evaluate(model, "test", outputs=batched) == reference  # targets read alone


def test_one_trace_serves_every_batch_every_part_and_the_export(tmp_path):
    data, _ = _fold_data(n=20, batch_size=8)  # batches of 8, 8 and 4
    model = _tiny_model()
    data.predict_with_targets(model, "validation")
    data.predict_with_targets(model, "test")
    infer = artifacts.inference_function(model)
    assert artifacts.inference_function(model) is infer
    assert infer.experimental_get_tracing_count() == 1
    artifacts.export_saved_model(model, os.fspath(tmp_path / "saved_model"))
    # tf.saved_model.save traces once more in its own saving context, and only once
    assert infer.experimental_get_tracing_count() == 2


def test_lean_saved_model_serves_what_keras_predicts(tmp_path):
    import tensorflow as tf

    model = _tiny_model(seed=3)
    x = np.random.default_rng(1).normal(size=(5, 6, 2)).astype(np.float32)
    expected = model.predict({"x": x}, verbose=0)
    path = tmp_path / "saved_model"
    artifacts.atomic_export(model, os.fspath(path))
    artifacts.atomic_export(model, os.fspath(path))  # replacing an existing export
    assert (path / "saved_model.pb").is_file()
    assert not [p for p in os.listdir(tmp_path) if p != "saved_model"]  # no temporary left
    loaded = tf.saved_model.load(os.fspath(path))
    served = loaded.serve({"x": x})
    signature = loaded.signatures["serving_default"](x=tf.constant(x[:2]))
    for name in ("rating", "high", "state"):
        np.testing.assert_allclose(np.asarray(served[name]), expected[name], atol=1e-6)
        np.testing.assert_allclose(np.asarray(signature[name]), expected[name][:2], atol=1e-6)


def _served(path, x):
    import tensorflow as tf

    loaded = tf.saved_model.load(path)
    return {k: np.asarray(v) for k, v in loaded.serve(x).items()}, loaded.signatures[
        "serving_default"
    ](**{k: tf.constant(v) for k, v in x.items()})


def _checkpoint_values(path):
    import tensorflow as tf

    reader = tf.train.load_checkpoint(os.path.join(path, "variables", "variables"))
    keys = [k for k in reader.get_variable_to_shape_map() if k != "_CHECKPOINTABLE_OBJECT_GRAPH"]
    return {k: reader.get_tensor(k) for k in keys}


@pytest.mark.parametrize("wrapped", [False, True], ids=["plain", "fold wrapper"])
def test_a_second_export_of_the_same_model_writes_its_new_weights_and_the_same_graph(
    tmp_path, wrapped
):
    import tensorflow as tf

    artifacts._EXPORT_TEMPLATE.clear()
    model = _wrapped_fold_model(1) if wrapped else _tiny_model(seed=3)
    x = {"x": np.random.default_rng(1).normal(size=(5, 6, 2)).astype(np.float32)}
    first, second, full = (os.fspath(tmp_path / name) for name in ("first", "second", "full"))
    artifacts.atomic_export(model, first)
    first_outputs = {k: np.asarray(v) for k, v in model(x, training=False).items()}
    rng = np.random.default_rng(7)
    for variable in model.variables:  # the next fold: the same model, other weights
        variable.assign(rng.normal(size=variable.shape).astype(variable.dtype))
    expected = {k: np.asarray(v) for k, v in model(x, training=False).items()}
    traces = artifacts._EXPORT_TEMPLATE["last"].module.serve.experimental_get_tracing_count()
    artifacts.atomic_export(model, second)
    assert (
        artifacts._EXPORT_TEMPLATE["last"].module.serve.experimental_get_tracing_count() == traces
    )
    assert sorted(os.listdir(second)) == sorted(os.listdir(first))
    assert not [p for p in os.listdir(tmp_path) if p not in ("first", "second")]  # no temporary
    served, signature = _served(second, x)
    for name, value in expected.items():
        assert served[name].dtype == np.float32 and served[name].shape == value.shape
        np.testing.assert_allclose(served[name], value, rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(np.asarray(signature[name]), value, rtol=1e-6, atol=1e-6)
    assert not np.allclose(expected["rating"], first_outputs["rating"])
    # the first export still serves the first weights
    served_first, _ = _served(first, x)
    np.testing.assert_allclose(served_first["rating"], first_outputs["rating"], atol=1e-6)
    # what a full export of the new weights writes: the same variables under the same keys
    artifacts._EXPORT_TEMPLATE.clear()
    artifacts.atomic_export(model, full)
    written, reference = _checkpoint_values(second), _checkpoint_values(full)
    assert sorted(written) == sorted(reference) and len(reference) == len(model.variables)
    for key, value in reference.items():
        np.testing.assert_array_equal(written[key], value)
    # its fingerprint is its own: the first export's graph, its own variables
    read = tf.saved_model.experimental.read_fingerprint
    assert read(second).saved_model_checksum == read(first).saved_model_checksum
    assert read(second).checkpoint_hash != read(first).checkpoint_hash


def test_another_model_gets_a_full_export(tmp_path):
    artifacts._EXPORT_TEMPLATE.clear()
    x = {"x": np.random.default_rng(2).normal(size=(3, 6, 2)).astype(np.float32)}
    for seed in (1, 2):  # two models of the same architecture: each its own graph
        model = _tiny_model(seed=seed)
        path = os.fspath(tmp_path / f"model_{seed}")
        artifacts.atomic_export(model, path)
        assert artifacts._EXPORT_TEMPLATE["last"].serves(model)
        served, _ = _served(path, x)
        np.testing.assert_allclose(
            served["state"], np.asarray(model(x, training=False)["state"]), atol=1e-6
        )


def test_stage_timer_per_fold_share(monkeypatch):
    timer = runner._StageTimer()
    timer.seconds = {"start-up (imports, options)": 4.0, runner.TRAINING_STAGE: 1.0}
    before = timer.snapshot()
    timer.seconds[runner.TRAINING_STAGE] += 20.0
    timer.seconds["evaluation"] = 1.5
    timer.seconds["model build and compile"] = 0.5
    spent = timer.since(before)
    assert spent == {runner.TRAINING_STAGE: 20.0, "evaluation": 1.5, "model build and compile": 0.5}
    assert runner.fold_cost(spent) == (20.0, 2.0)


def test_fold_cost_log_line(caplog):
    from amigos_emo._logging import logger

    logger.addHandler(caplog.handler)
    try:
        with caplog.at_level(logging.INFO, logger=logger.name):
            runner._log_fold_cost(
                3, {runner.TRAINING_STAGE: 40.0, "evaluation": 2.0, "export (SavedModel)": 2.0}
            )
    finally:
        logger.removeHandler(caplog.handler)
    line = caplog.messages[-1]
    assert line.startswith("fold 3: training 40.0 s, fixed cost 4.0 s = 10 % of training")
    assert "evaluation 2.0" in line and "export 2.0" in line


@pytest.mark.parametrize("weights", [None, "memory"])
def test_best_model_from_memory_or_file(tmp_path, weights):
    model = _tiny_model(seed=1)
    best = _tiny_model(seed=2)
    path = tmp_path / "best.keras"
    best.save(path)
    x = np.random.default_rng(0).normal(size=(4, 6, 2)).astype(np.float32)
    expected = best.predict({"x": x}, verbose=0)
    snapshot = [np.array(v.numpy()) for v in best.weights] if weights else None
    chosen = runner._best_model(model, snapshot, os.fspath(path))
    assert (chosen is model) == (weights is not None)
    got = chosen.predict({"x": x}, verbose=0)
    for name in expected:
        np.testing.assert_allclose(got[name], expected[name], rtol=1e-6, atol=1e-6)


def _trained_tiny(seed):
    import keras

    model = _tiny_model(seed)
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss={"rating": "mse"})
    rng = np.random.default_rng(seed)
    model.train_on_batch(
        {"x": rng.normal(size=(8, 6, 2)).astype(np.float32)},
        {"rating": rng.normal(size=(8, 1)).astype(np.float32)},
    )
    return model


def test_array_checkpoints_restore_every_model_and_optimizer_variable(tmp_path):
    trained, fresh = _trained_tiny(0), _trained_tiny(1)
    path = os.fspath(tmp_path / "checkpoint_epoch_001.npz")
    artifacts.save_variables(trained, path)
    assert not [name for name in os.listdir(tmp_path) if name != "checkpoint_epoch_001.npz"]
    before = [np.array(v.numpy()) for v in fresh.optimizer.variables]
    artifacts.load_variables(fresh, path)
    for mine, theirs in zip(fresh.weights, trained.weights, strict=True):
        np.testing.assert_array_equal(mine.numpy(), theirs.numpy())
    for mine, theirs in zip(fresh.optimizer.variables, trained.optimizer.variables, strict=True):
        np.testing.assert_array_equal(mine.numpy(), theirs.numpy())
    assert any(
        not np.array_equal(a, v.numpy())
        for a, v in zip(before, fresh.optimizer.variables, strict=True)
    )
    # weights only (the best epoch's file): the optimizer is left as it was
    weights_only = os.fspath(tmp_path / "best_weights.npz")
    artifacts.save_variables(trained, weights_only, with_optimizer=False)
    with np.load(weights_only) as stored:
        assert "optimizer_paths" not in stored.files
    for stored, variable in zip(artifacts.read_weights(weights_only), trained.weights, strict=True):
        np.testing.assert_array_equal(stored, variable.numpy())


def test_a_snapshot_is_every_variable_copied_now():
    """:func:`artifacts.variable_arrays` reads all variables in one traced call: the same values
    as reading them one by one, copies that a later training step leaves alone, and read
    again correctly after the variables are assigned (a reused fold model)."""
    trained = _trained_tiny(0)
    variables = list(trained.weights) + list(trained.optimizer.variables)
    snapshot = artifacts.variable_arrays(trained)
    values = [snapshot[f"model_{i}"] for i in range(len(trained.weights))]
    values += [snapshot[f"optimizer_{i}"] for i in range(len(trained.optimizer.variables))]
    assert len(values) == len(variables)
    for value, variable in zip(values, variables, strict=True):
        np.testing.assert_array_equal(value, variable.numpy())
        assert value.dtype == np.dtype(variable.dtype)
    kernel = trained.weights[0]
    before = np.array(kernel.numpy())
    kernel.assign(before + 1.0)
    np.testing.assert_array_equal(snapshot["model_0"], before)
    np.testing.assert_array_equal(artifacts.variable_arrays(trained)["model_0"], before + 1.0)
    only = artifacts.model_arrays(snapshot)
    assert set(only) == {k for k in snapshot if k.startswith("model_")}


def test_the_epoch_writer_keeps_order_and_raises_a_failed_write(tmp_path):
    written = []
    with runner._EpochWriter() as writer:
        for epoch in range(3):
            writer.submit(written.append, epoch)
    assert written == [0, 1, 2]

    def fail():
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        with runner._EpochWriter() as writer:
            writer.submit(fail)
    with pytest.raises(OSError, match="disk full"):  # raised at the next epoch's submit
        with runner._EpochWriter() as writer:
            writer.submit(fail)
            import time

            time.sleep(0.05)
            writer.submit(written.append, "never")
    assert "never" not in written


def test_a_checkpoint_of_another_model_is_refused(tmp_path):
    import keras

    path = os.fspath(tmp_path / "checkpoint_epoch_002.npz")
    artifacts.save_variables(_trained_tiny(0), path)
    x = keras.Input(shape=(6, 2), name="x")
    other = keras.Model(
        {"x": x}, {"rating": keras.layers.Dense(1, name="rating")(keras.layers.Flatten()(x))}
    )
    other.compile(optimizer="adam", loss="mse")
    with pytest.raises(ValueError, match=r"checkpoint_epoch_002\.npz.*model variables.*--resume"):
        artifacts.load_variables(other, path)


def test_the_default_strategy_is_not_distributed():
    """``--distribute none`` evaluates the fold's own model from memory; only a strategy of its
    own makes the chief reload ``best.keras`` (it evaluates outside the strategy)."""
    from amigos_emo.training.distribute import distributed_training

    with distributed_training("none", 32) as dist:
        assert dist.distributed is False and dist.kind == "none"
    with distributed_training("mirrored", 32) as dist:
        assert dist.distributed is True


def _wrapped_fold_model(seed):
    """A fold's model as the runner makes it: a core (explicitly named layers, as the
    registered architectures have) between this fold's normalisation and rescaling."""
    import keras

    from amigos_emo.training.modeling import wrap_model
    from amigos_emo.training.pipeline import InputStats

    keras.utils.set_random_seed(seed)
    x = keras.Input(shape=(6, 2), name="x")
    hidden = keras.layers.Dense(4, activation="tanh", name="hidden")(
        keras.layers.Flatten(name="flat")(x)
    )
    hidden = keras.layers.Dropout(0.5, name="drop")(hidden)  # a seed state (auto-numbered)
    core = keras.Model(
        {"x": x},
        {
            "rating": keras.layers.Dense(1, name="rating")(hidden),
            "state": keras.layers.Dense(3, activation="softmax", name="state")(hidden),
        },
        name="core",
    )
    rng = np.random.default_rng(seed)
    stats = {"x": InputStats(rng.normal(size=(1, 2)).astype("float32"), np.ones((1, 2)) * 2, (0,))}
    return wrap_model(core, stats, {"rating": (5.0 + seed, 2.0 + seed)}, name="tiny_trained")


def test_folds_share_one_evaluation_trace_and_each_uses_its_own_weights(tmp_path):
    import tensorflow as tf

    artifacts._SHARED_INFERENCE.clear()
    x = {"x": tf.constant(np.random.default_rng(0).normal(size=(5, 6, 2)).astype("float32"))}
    folds = [_wrapped_fold_model(seed) for seed in (1, 2)]
    results = []
    for model in folds:
        expected = {k: np.asarray(v) for k, v in model(x, training=False).items()}
        got = {k: np.asarray(v) for k, v in artifacts.evaluation_function(model)(x).items()}
        assert sorted(got) == ["rating", "state"]
        for name in expected:
            assert got[name].shape == expected[name].shape and got[name].dtype == np.float32
            np.testing.assert_allclose(got[name], expected[name], rtol=1e-6, atol=1e-6)
        results.append(got)
    assert not np.allclose(results[0]["rating"], results[1]["rating"])  # two different folds
    assert len(artifacts._SHARED_INFERENCE) == 1
    ((_, shared),) = artifacts._SHARED_INFERENCE.values()
    assert shared.experimental_get_tracing_count() == 1
    # the second fold's SavedModel serves the second fold's predictions
    path = os.fspath(tmp_path / "saved_model")
    artifacts.atomic_export(folds[1], path)
    loaded = tf.saved_model.load(path)
    for name, value in loaded.serve(x).items():
        np.testing.assert_allclose(np.asarray(value), results[1][name], rtol=1e-6, atol=1e-6)
    signature = loaded.signatures["serving_default"](x=x["x"])
    np.testing.assert_allclose(np.asarray(signature["state"]), results[1]["state"], atol=1e-6)


def test_another_architecture_gets_its_own_trace():
    import keras

    artifacts._SHARED_INFERENCE.clear()
    first = _wrapped_fold_model(1)
    other = _tiny_model(3)  # not wrapped: the model's own inference function
    assert artifacts._wrapper_parts(other) is None
    assert artifacts.evaluation_function(other) is artifacts.inference_function(other)
    artifacts.evaluation_function(first)
    keras.utils.set_random_seed(4)
    inputs = keras.Input(shape=(6, 2), name="x")
    flat = keras.layers.Flatten(name="flat")(inputs)
    wider = keras.Model(
        {"x": inputs},
        {"rating": keras.layers.Dense(1, name="rating")(flat)},
        name="core",
    )
    from amigos_emo.training.modeling import wrap_model

    artifacts.evaluation_function(wrap_model(wider, {}, {}, name="wider"))
    assert len(artifacts._SHARED_INFERENCE) == 2


def test_the_first_epochs_excess_counts_as_fixed_cost():
    timer = runner._StageTimer()
    timer.seconds = {runner.TRAINING_STAGE: 20.0}
    runner._split_first_epoch(timer, [11.0, 3.0, 2.5, 3.5])  # median later epoch 3.0
    assert timer.seconds[runner.TRAINING_STAGE] == pytest.approx(12.0)
    assert timer.seconds[runner.FIRST_EPOCH_STAGE] == pytest.approx(8.0)
    assert runner.fold_cost(timer.seconds) == pytest.approx((12.0, 8.0))
    runner._split_first_epoch(timer, [2.0, 3.0])  # a first epoch as fast as the rest: nothing
    assert timer.seconds[runner.FIRST_EPOCH_STAGE] == pytest.approx(8.0)
    single = runner._StageTimer()
    single.seconds = {runner.TRAINING_STAGE: 5.0}
    runner._split_first_epoch(single, [5.0])  # one epoch: nothing to compare with
    assert single.seconds == {runner.TRAINING_STAGE: 5.0}


def test_keras_saving_skipsets_change_nothing_in_the_saved_file(tmp_path):
    import zipfile

    import keras
    from keras.src.saving import saving_lib

    def contents(path):
        with zipfile.ZipFile(path) as archive:
            config = archive.read("config.json")
        weights = [np.asarray(w) for w in keras.saving.load_model(path).get_weights()]
        return config, weights

    keras.backend.clear_session()  # no skip-set stored under the key Keras reads
    model = _tiny_model(seed=5)
    model.compile(optimizer="adam", loss={"rating": "mse", "high": "bce", "state": "mse"})
    plain = os.fspath(tmp_path / "plain.keras")
    model.save(plain)
    reference = {t: set(saving_lib.get_attr_skipset(t)) for t in artifacts._SKIPSET_TYPES}
    primed = os.fspath(tmp_path / "primed.keras")
    artifacts.atomic_save(model, primed)  # stores the sets, then saves
    for obj_type, expected in reference.items():
        found = saving_lib.get_attr_skipset(obj_type)
        assert found is saving_lib.get_attr_skipset(obj_type)  # read back, not rebuilt
        assert set(found) == expected
    (config_a, weights_a), (config_b, weights_b) = contents(plain), contents(primed)
    assert config_a == config_b
    assert len(weights_a) == len(weights_b) == len(model.get_weights())
    for a, b in zip(weights_a, weights_b, strict=True):
        np.testing.assert_array_equal(a, b)


def _harness_cases():
    from amigos_emo.models.harness_cases import HARNESS_CASES

    return pytest.mark.parametrize("case", HARNESS_CASES, ids=[c.test_id for c in HARNESS_CASES])


@_harness_cases()
def test_a_deferred_build_draws_the_weights_of_a_plain_build(case):
    import keras

    from amigos_emo.models import model_harness

    def reseed():
        keras.utils.set_random_seed(11)

    reseed()
    plain = model_harness.build_case_model(case)
    reseed()
    deferred = runner.build_deferred(lambda: model_harness.build_case_model(case), reseed)
    assert len(deferred.variables) == len(plain.variables) > 0
    for a, b in zip(plain.variables, deferred.variables, strict=True):
        assert a.dtype == b.dtype and tuple(a.shape) == tuple(b.shape)
        np.testing.assert_array_equal(np.asarray(b), np.asarray(a), err_msg=a.path)
    x = model_harness.make_inputs(case, batch_size=2)
    first, second = plain(x, training=False), deferred(x, training=False)
    for name in first:
        np.testing.assert_allclose(np.asarray(second[name]), np.asarray(first[name]), atol=1e-6)


def test_a_model_that_assigns_a_variable_while_built_is_built_the_plain_way():
    import keras

    def build():
        inputs = keras.Input(shape=(3,), name="x")
        layer = keras.layers.Dense(2, name="y")
        outputs = layer(inputs)
        layer.bias.assign(np.full(2, 5.0, np.float32))  # held back inside a StatelessScope
        return keras.Model(inputs, outputs)

    builds = []

    def reseed():
        builds.append("again")
        keras.utils.set_random_seed(4)

    keras.utils.set_random_seed(4)
    plain = build()
    keras.utils.set_random_seed(4)
    model = runner.build_deferred(build, reseed)
    assert builds == ["again"]  # the deferred build was dropped
    np.testing.assert_array_equal(np.asarray(model.get_layer("y").bias), [5.0, 5.0])
    np.testing.assert_array_equal(
        np.asarray(model.get_layer("y").kernel), np.asarray(plain.get_layer("y").kernel)
    )
