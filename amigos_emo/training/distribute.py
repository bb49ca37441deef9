"""``--distribute {none,mirrored,multi-worker}``: ``tf.distribute`` strategies for the runner.

- ``none``: TensorFlow's default strategy (one device; what the runner does today).
- ``mirrored``: :class:`tf.distribute.MirroredStrategy` across the GPUs of this machine (one
  replica per GPU, gradients all-reduced every step).
- ``multi-worker``: :class:`tf.distribute.MultiWorkerMirroredStrategy` across machines, each one
  started with its own ``TF_CONFIG`` (see ``docs/DISTRIBUTED.md``). Every worker runs the same
  command; only the chief writes the run's outputs, the others write their (identical)
  checkpoints into per-worker temporary folders that are removed afterwards, as TensorFlow's
  multi-worker guide requires (every worker must take part in saving).

How the runner uses it (see :func:`distributed_training`)::

    with distributed_training(config.distribute, config.batch_size, jit_compile) as dist:
        data = prepare_fold(builder, fold, entry, dist.global_batch_size, config.class_weights)
        with dist.scope():
            model = data.wrap(entry.build(...))
            entry.compile(model, steps_per_epoch=data.steps_per_epoch, epochs=config.epochs,
                          jit_compile=dist.jit_compile)
        ...
        result = dist.fit(model, train_ds, validation_data=val_ds, initial_epoch=epoch,
                          epochs=epoch + 1, callbacks=callbacks, verbose=verbose, shuffle=False)
        _atomic_save(model, dist.writable(best_path))      # chief: best_path; others: temp
        ...
        dist.cleanup()                                        # removes the workers' temp files
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import shutil

from amigos_emo._checks import check_option
from amigos_emo._logging import logger

DISTRIBUTE = ("none", "mirrored", "multi-worker")
WORKER_TEMP_PREFIX = ".worker_temp"


class DistributeConfigError(ValueError):
    """``TF_CONFIG`` is missing or does not describe this worker's place in a cluster."""


_TF_CONFIG_EXAMPLE = (
    'TF_CONFIG=\'{"cluster": {"worker": ["host1:12345", "host2:12345"]}, '
    '"task": {"type": "worker", "index": 0}}\' (index 1 on the second machine)'
)


def parse_tf_config(environ=None):
    """Read and check ``TF_CONFIG`` (the cluster and this process's task).

    Args:
        environ: mapping to read ``TF_CONFIG`` from (default ``os.environ``).

    Returns:
        the parsed dict, with ``cluster`` (job name -> list of ``host:port``) and ``task``
        (``type``, ``index``).

    Raises:
        DistributeConfigError: unset, not JSON, no ``worker`` list, a task whose type is not a
            job of the cluster, an index out of range, or an address without a port.
    """
    environ = os.environ if environ is None else environ
    text = environ.get("TF_CONFIG")
    if not text:
        raise DistributeConfigError(
            "--distribute multi-worker needs the TF_CONFIG environment variable on every worker, e.g. "
            f"{_TF_CONFIG_EXAMPLE}. Received: TF_CONFIG is not set. For the GPUs of one machine use "
            "--distribute mirrored."
        )
    try:
        config = json.loads(text)
    except json.JSONDecodeError as error:
        raise DistributeConfigError(
            f"TF_CONFIG is not valid JSON ({error}). Received: TF_CONFIG={text!r}"
        ) from None
    if not isinstance(config, dict):
        raise DistributeConfigError(
            f"TF_CONFIG must be a JSON object. Received: TF_CONFIG={text!r}"
        )
    cluster, task = config.get("cluster"), config.get("task")
    if not isinstance(cluster, dict) or not isinstance(
        cluster.get("worker", cluster.get("chief")), list
    ):
        raise DistributeConfigError(
            f"TF_CONFIG must have cluster.worker, a list of host:port addresses ({_TF_CONFIG_EXAMPLE}). "
            f"Received: cluster={cluster!r}"
        )
    for job, addresses in cluster.items():
        if not isinstance(addresses, list) or not addresses:
            raise DistributeConfigError(
                f"TF_CONFIG cluster.{job} must be a non-empty list. Received: {addresses!r}"
            )
        for address in addresses:
            host, _, port = str(address).rpartition(":")
            if not host or not port.isdigit():
                raise DistributeConfigError(
                    f"TF_CONFIG cluster.{job} has an address without host:port. Received: {address!r}"
                )
    if not isinstance(task, dict) or "type" not in task or "index" not in task:
        raise DistributeConfigError(
            f"TF_CONFIG must have task.type and task.index (which worker this process is). Received: task={task!r}"
        )
    if task["type"] not in cluster:
        raise DistributeConfigError(
            f"TF_CONFIG task.type must be one of the cluster's jobs ({', '.join(cluster)}). "
            f"Received: task.type={task['type']!r}"
        )
    index = task["index"]
    if (
        not isinstance(index, int)
        or isinstance(index, bool)
        or not 0 <= index < len(cluster[task["type"]])
    ):
        raise DistributeConfigError(
            f"TF_CONFIG task.index must be an int in [0, {len(cluster[task['type']])}) for job {task['type']!r}. "
            f"Received: task.index={index!r}"
        )
    return config


def is_chief(environ=None):
    """Whether this process writes the run's outputs.

    Without ``TF_CONFIG`` (one machine) it is always the chief. In a cluster the chief is the
    ``chief`` task when the cluster has one, else worker 0 (TensorFlow's convention).
    """
    environ = os.environ if environ is None else environ
    if not environ.get("TF_CONFIG"):
        return True
    config = parse_tf_config(environ)
    task_type, index = config["task"]["type"], config["task"]["index"]
    if task_type == "chief":
        return True
    return task_type == "worker" and index == 0 and "chief" not in config["cluster"]


def task_id(environ=None):
    """``"<type>_<index>"`` of this process (``"chief_0"`` without ``TF_CONFIG``)."""
    environ = os.environ if environ is None else environ
    if not environ.get("TF_CONFIG"):
        return "chief_0"
    task = parse_tf_config(environ)["task"]
    return f"{task['type']}_{task['index']}"


def writable_path(path, environ=None):
    """Where this process saves a file the chief saves at ``path``.

    The chief gets ``path``; any other worker gets ``<dir>/.worker_temp_<type>_<index>/<name>``
    (each worker its own, so they never write the same file).
    """
    if is_chief(environ):
        return os.fspath(path)
    directory, name = os.path.split(os.fspath(path))
    temp = os.path.join(directory, f"{WORKER_TEMP_PREFIX}_{task_id(environ)}")
    os.makedirs(temp, exist_ok=True)
    return os.path.join(temp, name)


def remove_worker_temp(directory, environ=None):
    """Remove this worker's temporary folder in ``directory`` (no-op on the chief)."""
    if is_chief(environ):
        return
    temp = os.path.join(os.fspath(directory), f"{WORKER_TEMP_PREFIX}_{task_id(environ)}")
    shutil.rmtree(temp, ignore_errors=True)


def make_strategy(kind, environ=None):
    """The ``tf.distribute`` strategy for ``--distribute kind``.

    Args:
        kind: ``"none"``, ``"mirrored"`` or ``"multi-worker"``.
        environ: where ``TF_CONFIG`` is read from (default ``os.environ``).

    Returns:
        a ``tf.distribute.Strategy``. Create it before any other TensorFlow op runs in the
        process (``MultiWorkerMirroredStrategy`` must start its collective ops first).

    Raises:
        ValueError: unknown ``kind``.
        DistributeConfigError: ``multi-worker`` with a missing or malformed ``TF_CONFIG``.
    """
    check_option(kind, DISTRIBUTE, "distribute")
    config = parse_tf_config(environ) if kind == "multi-worker" else None  # clear errors first
    import tensorflow as tf

    if kind == "none":
        return tf.distribute.get_strategy()
    if kind == "mirrored":
        gpus = tf.config.list_logical_devices("GPU")
        strategy = tf.distribute.MirroredStrategy()
        if len(gpus) < 2:
            logger.warning(
                "--distribute mirrored on %d GPU(s): one replica, no speed-up over --distribute none.",
                len(gpus),
            )
        logger.info("MirroredStrategy over %d replica(s)", strategy.num_replicas_in_sync)
        return strategy
    resolver = tf.distribute.cluster_resolver.SimpleClusterResolver(
        tf.train.ClusterSpec(config["cluster"]),
        task_type=config["task"]["type"],
        task_id=config["task"]["index"],
        rpc_layer=config.get("rpc_layer", "grpc"),
    )
    strategy = tf.distribute.MultiWorkerMirroredStrategy(cluster_resolver=resolver)
    logger.info(
        "MultiWorkerMirroredStrategy: task %s, %d replica(s) in sync, chief=%s",
        task_id(environ),
        strategy.num_replicas_in_sync,
        is_chief(environ),
    )
    return strategy


def global_batch_size(per_replica_batch_size, strategy):
    """``per_replica_batch_size`` times the replicas in sync (what the input pipeline batches)."""
    return int(per_replica_batch_size) * int(strategy.num_replicas_in_sync)


def resolve_jit(jit_compile, strategy):
    """XLA off when more than one replica trains in sync.

    Keras 3 compiles the whole cross-replica step (``strategy.run`` and the all-reduce) when
    ``jit_compile=True``; under ``MirroredStrategy`` that fails to access the other replicas'
    variables (keras-team/keras#19005, #20763), so it is switched off with a warning.
    """
    if jit_compile and strategy.num_replicas_in_sync > 1:
        logger.warning(
            "XLA (--jit) is switched off under a %d-replica strategy: Keras 3 cannot compile the "
            "cross-replica training step.",
            strategy.num_replicas_in_sync,
        )
        return False
    return bool(jit_compile)


def shard_by_data(dataset):
    """Shard ``dataset`` across workers by example rather than by file.

    TFDS stores one or few files per subject split; the default AUTO policy shards by file and
    fails (or leaves a worker idle) when there are fewer files than workers.
    """
    import tensorflow as tf

    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return dataset.with_options(options)


def in_multi_worker_mode(strategy):
    """Whether ``strategy`` all-reduces across more than one worker process."""
    import tensorflow as tf

    return isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy) and (
        strategy.extended._in_multi_worker_mode()  # noqa: SLF001 (no public equivalent)
    )


class _History:
    """The part of ``keras.callbacks.History`` the runner reads: ``.history`` (name -> list)."""

    def __init__(self):
        self.history = {}

    def append(self, logs):
        for key, value in logs.items():
            self.history.setdefault(key, []).append(float(value))


def _build_model_state(model, dataset, strategy):
    """Create the model's, loss's, metrics' and optimizer's variables inside the scope."""
    if getattr(model, "_amigos_emo_multi_worker_built", False):
        return
    batch = next(iter(dataset.take(1)))
    with strategy.scope():
        model._symbolic_build(data_batch=batch)  # noqa: SLF001 (keras-team/keras#20585)
        if model.optimizer is not None and not model.optimizer.built:
            model.optimizer.build(model.trainable_variables)
    model._amigos_emo_multi_worker_built = True  # noqa: SLF001


def multi_worker_fit(model, dataset, strategy, epochs=1, initial_epoch=0, validation_data=None):
    """``model.fit`` for :class:`tf.distribute.MultiWorkerMirroredStrategy` (Keras 3 cannot).

    Keras 3.15's ``fit`` fails across workers twice: building the model reduces a nested
    per-replica batch (``Attempt to convert a value (PerReplica...)``) and the logs are reduced
    with ``axis=0`` on scalars (``Invalid reduction dimension 0``); keras-team/keras#20585 is
    open. This loop runs the model's own ``train_step``/``test_step`` under ``strategy.run``
    (what ``fit`` does inside), so losses, loss scaling, metrics and the optimizer are Keras's;
    only the epoch loop and the cross-replica averaging of the logs are here. Callbacks are not
    run (the runner saves checkpoints itself).

    Args:
        model: a compiled ``keras.Model`` built inside ``strategy.scope()``.
        dataset: batched training ``tf.data.Dataset`` of ``(x, y[, sample_weight])`` with the
            GLOBAL batch size (:func:`global_batch_size`); apply :func:`shard_by_data`.
        strategy: the ``MultiWorkerMirroredStrategy``.
        epochs: index of the last epoch (as in ``fit``: trains ``epochs - initial_epoch``).
        initial_epoch: epoch to start from.
        validation_data: optional batched dataset evaluated after each epoch (``val_`` logs).

    Returns:
        an object with ``.history`` (name -> list of per-epoch floats), like ``fit``'s.
    """
    import tensorflow as tf

    _build_model_state(model, dataset, strategy)

    def make_step(step_fn):
        @tf.function
        def step(data):
            logs = strategy.run(step_fn, args=(data,))
            return {name: strategy.reduce("MEAN", value, axis=None) for name, value in logs.items()}

        return step

    train_step, test_step = make_step(model.train_step), make_step(model.test_step)
    distributed_train = strategy.experimental_distribute_dataset(shard_by_data(dataset))
    distributed_val = (
        strategy.experimental_distribute_dataset(shard_by_data(validation_data))
        if validation_data is not None
        else None
    )
    history = _History()
    for epoch in range(initial_epoch, epochs):
        model.reset_metrics()
        logs = {}
        for data in distributed_train:
            logs = train_step(data)
        epoch_logs = {name: float(value) for name, value in logs.items()}
        if distributed_val is not None:
            model.reset_metrics()
            val_logs = {}
            for data in distributed_val:
                val_logs = test_step(data)
            epoch_logs.update({f"val_{name}": float(value) for name, value in val_logs.items()})
        logger.info(
            "epoch %d: %s", epoch + 1, ", ".join(f"{k}={v:.4g}" for k, v in epoch_logs.items())
        )
        history.append(epoch_logs)
    return history


@dataclasses.dataclass
class DistributedTraining:
    """What :func:`distributed_training` yields: the strategy and the settings that follow.

    Attributes:
        strategy: the ``tf.distribute.Strategy``.
        global_batch_size: examples per step across all replicas.
        jit_compile: the XLA switch to pass to ``compile`` (see :func:`resolve_jit`).
        chief: whether this process writes the run's outputs.
        environ: where ``TF_CONFIG`` was read from (None: ``os.environ``).
        kind: the ``--distribute`` value (``"none"``: the default strategy).
    """

    strategy: object
    global_batch_size: int
    jit_compile: bool
    chief: bool
    environ: object = None
    kind: str = "none"
    _written: list = dataclasses.field(default_factory=list)

    @property
    def distributed(self):
        """Whether a strategy of its own runs (``--distribute mirrored`` or ``multi-worker``), not
        the default one of ``--distribute none``."""
        return self.kind != "none"

    def scope(self):
        """``strategy.scope()``: build and compile the model inside it."""
        return self.strategy.scope()

    def fit(
        self,
        model,
        dataset,
        validation_data=None,
        epochs=1,
        initial_epoch=0,
        callbacks=None,
        **fit_kwargs,
    ):
        """``model.fit``, or :func:`multi_worker_fit` across workers (callbacks are then not run).

        Returns:
            ``keras.callbacks.History`` or an object with the same ``.history`` dict.
        """
        if not in_multi_worker_mode(self.strategy):
            return model.fit(
                dataset,
                validation_data=validation_data,
                epochs=epochs,
                initial_epoch=initial_epoch,
                callbacks=callbacks,
                **fit_kwargs,
            )
        if callbacks:
            logger.info(
                "Multi-worker training runs no Keras callbacks (TensorBoard, confusion images)."
            )
        return multi_worker_fit(
            model,
            dataset,
            self.strategy,
            epochs=epochs,
            initial_epoch=initial_epoch,
            validation_data=validation_data,
        )

    def writable(self, path):
        """``path`` on the chief, a per-worker temporary path elsewhere (see :func:`writable_path`)."""
        target = writable_path(path, self.environ)
        if target != os.fspath(path):
            self._written.append(os.path.dirname(os.fspath(path)))
        return target

    def cleanup(self):
        """Remove every temporary folder this worker wrote through :meth:`writable`."""
        for directory in sorted(set(self._written)):
            remove_worker_temp(directory, self.environ)
        self._written.clear()


@contextlib.contextmanager
def distributed_training(kind, per_replica_batch_size, jit_compile=False, environ=None):
    """Context for one distributed run: strategy, global batch, XLA switch, chief and cleanup.

    Args:
        kind: ``--distribute`` value.
        per_replica_batch_size: ``--batch-size`` (per replica).
        jit_compile: the resolved ``--jit`` switch.
        environ: where ``TF_CONFIG`` is read from (default ``os.environ``).

    Yields:
        a :class:`DistributedTraining`. On exit, workers' temporary checkpoints are removed.
    """
    strategy = make_strategy(kind, environ)
    training = DistributedTraining(
        strategy=strategy,
        global_batch_size=global_batch_size(per_replica_batch_size, strategy),
        jit_compile=resolve_jit(jit_compile, strategy),
        chief=is_chief(environ),
        environ=environ,
        kind=kind,
    )
    try:
        yield training
    finally:
        training.cleanup()
