"""Tests of ``amigos_emo.training.distribute``: TF_CONFIG checks, chief/worker paths, strategies,
and (slow) two CPU workers on localhost training the same model as one worker."""

import json
import os
import socket
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from amigos_emo.training import distribute


def _tf_config(index=0, task_type="worker", cluster=None):
    cluster = cluster or {"worker": ["localhost:1111", "localhost:2222"]}
    return {
        "TF_CONFIG": json.dumps({"cluster": cluster, "task": {"type": task_type, "index": index}})
    }


# --- TF_CONFIG ----------------------------------------------------------------------------------


def test_parse_tf_config_valid():
    config = distribute.parse_tf_config(_tf_config(1))
    assert config["cluster"]["worker"] == ["localhost:1111", "localhost:2222"]
    assert config["task"] == {"type": "worker", "index": 1}


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({}, "needs the TF_CONFIG environment variable.*Received: TF_CONFIG is not set"),
        ({"TF_CONFIG": "{cluster: 1"}, "TF_CONFIG is not valid JSON"),
        ({"TF_CONFIG": "[1, 2]"}, "must be a JSON object"),
        (
            {"TF_CONFIG": json.dumps({"cluster": {}, "task": {"type": "worker", "index": 0}})},
            "must have cluster.worker",
        ),
        (
            {
                "TF_CONFIG": json.dumps(
                    {"cluster": {"worker": ["host1"]}, "task": {"type": "worker", "index": 0}}
                )
            },
            "without host:port. Received: 'host1'",
        ),
        (
            {"TF_CONFIG": json.dumps({"cluster": {"worker": ["h:1"]}})},
            "must have task.type and task.index",
        ),
        (_tf_config(0, task_type="ps"), r"task.type must be one of the cluster's jobs \(worker\)"),
        (_tf_config(2), r"task.index must be an int in \[0, 2\).*Received: task.index=2"),
        (_tf_config("0"), "Received: task.index='0'"),
    ],
)
def test_parse_tf_config_errors(environ, message):
    with pytest.raises(distribute.DistributeConfigError, match=message):
        distribute.parse_tf_config(environ)


def test_make_strategy_checks_before_tensorflow():
    with pytest.raises(
        ValueError, match="distribute must be one of 'none', 'mirrored', 'multi-worker'"
    ):
        distribute.make_strategy("horovod")
    with pytest.raises(distribute.DistributeConfigError, match="TF_CONFIG is not set"):
        distribute.make_strategy("multi-worker", environ={})


# --- chief, paths ---------------------------------------------------------------------------------


def test_chief_is_worker_zero_or_the_chief_task():
    assert distribute.is_chief({}) and distribute.task_id({}) == "chief_0"
    assert distribute.is_chief(_tf_config(0))
    assert not distribute.is_chief(_tf_config(1))
    with_chief = {"chief": ["h:1"], "worker": ["h:2", "h:3"]}
    assert distribute.is_chief(_tf_config(0, "chief", with_chief))
    assert not distribute.is_chief(_tf_config(0, "worker", with_chief))
    assert distribute.task_id(_tf_config(1)) == "worker_1"


def test_writable_paths_and_cleanup(tmp_path):
    target = tmp_path / "fold_00" / "best.keras"
    target.parent.mkdir()
    assert distribute.writable_path(target, _tf_config(0)) == os.fspath(target)
    other = distribute.writable_path(target, _tf_config(1))
    assert other == os.fspath(tmp_path / "fold_00" / ".worker_temp_worker_1" / "best.keras")
    assert os.path.isdir(os.path.dirname(other))
    distribute.remove_worker_temp(target.parent, _tf_config(1))
    assert not os.path.exists(os.path.dirname(other))


def test_distributed_training_default_strategy(tmp_path):
    import keras
    import tensorflow as tf

    with distribute.distributed_training(
        "none", per_replica_batch_size=16, jit_compile=True, environ={}
    ) as dist:
        assert dist.strategy is tf.distribute.get_strategy()
        assert dist.global_batch_size == 16 and dist.jit_compile is True and dist.chief
        with dist.scope():
            model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
        assert dist.writable(tmp_path / "m.keras") == os.fspath(tmp_path / "m.keras")
    assert model.count_params() == 4


def test_global_batch_and_jit_follow_the_replicas():
    class FakeStrategy:
        num_replicas_in_sync = 4

    assert distribute.global_batch_size(32, FakeStrategy()) == 128
    assert distribute.resolve_jit(True, FakeStrategy()) is False
    FakeStrategy.num_replicas_in_sync = 1
    assert distribute.resolve_jit(True, FakeStrategy()) is True


def test_shard_by_data_sets_the_policy():
    import tensorflow as tf

    dataset = distribute.shard_by_data(tf.data.Dataset.range(4))
    policy = dataset.options().experimental_distribute.auto_shard_policy
    assert policy == tf.data.experimental.AutoShardPolicy.DATA
    assert list(dataset.as_numpy_iterator()) == [0, 1, 2, 3]


# --- two workers on localhost (slow) ---------------------------------------------------------------

WORKER_SCRIPT = textwrap.dedent(
    """
    import json, os, sys
    os.environ["CUDA_VISIBLE_DEVICES"] = ""
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
    out, kind, per_replica = sys.argv[1], sys.argv[2], int(sys.argv[3])
    from amigos_emo.training.distribute import distributed_training, shard_by_data
    with distributed_training(kind, per_replica) as dist:
        import keras
        import numpy as np
        import tensorflow as tf

        rng = np.random.default_rng(0)
        x = rng.normal(size=(256, 6)).astype("float32")
        y = (x @ rng.normal(size=(6, 1)) + 0.1 * rng.normal(size=(256, 1))).astype("float32")
        data = shard_by_data(tf.data.Dataset.from_tensor_slices((x, y)).batch(dist.global_batch_size))
        keras.utils.set_random_seed(0)
        with dist.scope():
            model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(8, activation="tanh"),
                                      keras.layers.Dense(1)])
            model.compile(optimizer=keras.optimizers.SGD(0.05), loss="mse", jit_compile=dist.jit_compile)
        history = dist.fit(model, data, epochs=4, verbose=0, shuffle=False)
        path = dist.writable(os.path.join(out, "model.keras"))
        model.save(path)
        written = os.path.exists(path)
        task = os.environ.get("TF_CONFIG") and json.loads(os.environ["TF_CONFIG"])["task"]["index"]
        result = {"loss": history.history["loss"], "weights": [w.tolist() for w in model.get_weights()],
                  "chief": dist.chief, "replicas": dist.strategy.num_replicas_in_sync, "saved": written,
                  "path": path}
    result["temp_left"] = os.path.exists(os.path.dirname(path)) if not dist.chief else None
    with open(os.path.join(out, f"result_{kind}_{task or 0}.json"), "w") as handle:
        json.dump(result, handle)
    """
)


def _free_ports(n):
    sockets = [socket.socket() for _ in range(n)]
    for s in sockets:
        s.bind(("localhost", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


@pytest.mark.slow
def test_two_cpu_workers_match_one_worker(tmp_path):
    script = tmp_path / "worker.py"
    script.write_text(WORKER_SCRIPT)
    ports = _free_ports(2)
    cluster = {"worker": [f"localhost:{p}" for p in ports]}
    base = {k: v for k, v in os.environ.items() if k != "TF_CONFIG"}
    processes = []
    for index in range(2):
        env = dict(
            base,
            TF_CONFIG=json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}}),
        )
        processes.append(
            subprocess.Popen(
                [sys.executable, os.fspath(script), os.fspath(tmp_path), "multi-worker", "8"],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
        )
    single = subprocess.run(
        [sys.executable, os.fspath(script), os.fspath(tmp_path), "none", "16"],
        env=base,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert single.returncode == 0, single.stdout + single.stderr
    for process in processes:
        try:
            output, _ = process.communicate(timeout=300)
        finally:
            process.kill()
        assert process.returncode == 0, output[-3000:]
    chief = json.loads((tmp_path / "result_multi-worker_0.json").read_text())
    worker = json.loads((tmp_path / "result_multi-worker_1.json").read_text())
    alone = json.loads((tmp_path / "result_none_0.json").read_text())
    assert chief["chief"] and not worker["chief"]
    assert chief["replicas"] == worker["replicas"] == 2
    assert chief["path"] == os.fspath(tmp_path / "model.keras") and chief["saved"]
    assert (
        ".worker_temp_worker_1" in worker["path"]
        and worker["saved"]
        and worker["temp_left"] is False
    )
    for a, b in zip(chief["weights"], worker["weights"], strict=True):
        np.testing.assert_allclose(a, b, atol=1e-6)  # all-reduced updates: identical replicas
    # Same global batch (2 x 8 = 16), same data and initial weights as one worker with 16.
    np.testing.assert_allclose(chief["loss"], alone["loss"], rtol=1e-3)
    for a, b in zip(chief["weights"], alone["weights"], strict=True):
        np.testing.assert_allclose(a, b, atol=1e-4)


def _tiny_regression(seed=0):
    import keras
    import tensorflow as tf

    rng = np.random.default_rng(seed)
    x = rng.normal(size=(96, 5)).astype("float32")
    y = (x @ rng.normal(size=(5, 1))).astype("float32")
    data = tf.data.Dataset.from_tensor_slices((x, y)).batch(16)
    keras.utils.set_random_seed(seed)
    model = keras.Sequential(
        [keras.Input((5,)), keras.layers.Dense(4, activation="tanh"), keras.layers.Dense(1)]
    )
    model.compile(optimizer=keras.optimizers.SGD(0.05), loss="mse", metrics=["mae"])
    return model, data


def test_multi_worker_loop_matches_keras_fit_on_one_replica():
    """The epoch loop around Keras's train_step/test_step gives fit's losses, metrics and weights."""
    import tensorflow as tf

    reference, data = _tiny_regression()
    expected = reference.fit(
        data, validation_data=data.take(2), epochs=3, verbose=0, shuffle=False
    ).history
    model, data = _tiny_regression()
    found = distribute.multi_worker_fit(
        model, data, tf.distribute.get_strategy(), epochs=3, validation_data=data.take(2)
    ).history
    assert sorted(found) == sorted(expected) == ["loss", "mae", "val_loss", "val_mae"]
    for key in expected:
        np.testing.assert_allclose(found[key], expected[key], rtol=1e-5)
    for a, b in zip(model.get_weights(), reference.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, atol=1e-6)


def test_mirrored_on_this_machine_has_one_replica_per_gpu():
    import tensorflow as tf

    strategy = distribute.make_strategy("mirrored")
    assert isinstance(strategy, tf.distribute.MirroredStrategy)
    assert strategy.num_replicas_in_sync == max(1, len(tf.config.list_logical_devices("GPU")))
    assert not distribute.in_multi_worker_mode(strategy)
