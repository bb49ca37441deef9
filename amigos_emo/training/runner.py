"""One training run end to end: what ``python -m amigos_emo.train`` calls.

Where things live: :mod:`~amigos_emo.training.config` (the options), :mod:`~amigos_emo.training.fold_data`
(a fold's data and its train-only statistics), :mod:`~amigos_emo.training.artifacts` (files written
safely, the output-directory lock), :mod:`~amigos_emo.training.evaluation` (metrics beside
baselines); this module is the loop that ties them together.

Output directory layout::

    OUTPUT_DIR/
      config.json            resolved configuration, versions, dataset name/config/version and
                             provenance (the folder it was built from and its fingerprint)
      fold_00/ ...           one folder per fold:
        best.keras           best epoch by validation loss (raw signals in, ratings out)
        preprocessing.json   what a recording must look like for best.keras (predict/stream read it)
        saved_model/         SavedModel of best.keras (endpoint "serve", signature
                             "serving_default"), when the run exports
        checkpoint_epoch_NNN.npz, best_weights.npz, state.json   while the fold trains: the
                             end-of-epoch checkpoint --resume uses (every model and optimizer
                             variable) and the best epoch's weights; state.json names them, so
                             they always agree; removed when the fold is done
        history.csv          per-epoch losses and metrics
        metrics.json         test metrics beside the trivial baselines
        confusion_<head>.png
        tensorboard/         scalars (and the fold's test confusion matrices)
      training_curves.png    train/validation curves, every fold
      metrics.json           per-fold and aggregate (mean +/- std) results; written LAST, so its
                             presence means the run finished

Per-fold cost: the log prints, after each fold, ``fold N: training T s, fixed cost F s = P % of
training (...)`` with the fixed stages (fold data and statistics, model build, checkpoints,
evaluation, reports, export) one by one; each fold's ``metrics.json`` keeps them as
``stage_seconds``. What keeps the fixed part small: the folds share one compiled model
(:func:`_fold_model`; each fold's seeded core is built with deferred variables,
:func:`build_deferred`), each subject is read once a run
(:func:`~amigos_emo.training.fold_data.subjects_in_memory`) and a fold's statistics are its
training subjects' sums, each computed once (:func:`~amigos_emo.training.fold_data.train_moments`);
the best epoch's weights stay in
memory, so evaluation runs the fold's own model (no reload of ``best.keras``) with one pass over
the test part through one compiled inference function; the per-epoch checkpoints are the
variables as arrays, copied in one call (:func:`~amigos_emo.training.artifacts.variable_arrays`)
and written in the background (:class:`_EpochWriter`) rather than ``.keras`` files (about 1 s
each), and ``best.keras`` is written once, after training; the SavedModel is written with one
traced inference function (:func:`~amigos_emo.training.artifacts.export_saved_model`), a
later fold's being the first fold's graph with that fold's variables.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import json
import os
import sys
import time

import numpy as np

from amigos_emo._logging import logger
from amigos_emo.training import artifacts, reports
from amigos_emo.training.artifacts import RunDirectoryError, default_output_dir  # noqa: F401 (public names)
from amigos_emo.training.config import (  # noqa: F401 (public names)
    JIT,
    MIXED_PRECISION,
    RUN_CONTROL_FIELDS,
    RunConfig,
    library_versions,
    resolve_speed_switches,
)
from amigos_emo.training.fold_data import (  # noqa: F401 (public names)
    FoldData,
    prepare_fold,
    subject_trials,
    subjects_in_memory,
)
from amigos_emo.training.pipeline import SUBJECT_NORMALISATION_NOTE


class _StageTimer:
    """Wall time of each stage of a run (printed at the end, recorded in metrics.json)."""

    def __init__(self):
        self.seconds = {}

    @contextlib.contextmanager
    def stage(self, name):
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - started

    def snapshot(self):
        """A copy of the seconds so far (diff two with :meth:`since` for one fold's share)."""
        return dict(self.seconds)

    def since(self, snapshot):
        """Stage -> seconds spent after ``snapshot`` (stages with no time left out)."""
        spent = {k: v - snapshot.get(k, 0.0) for k, v in self.seconds.items()}
        return {k: v for k, v in spent.items() if v > 0.0}

    def table(self):
        total = sum(self.seconds.values()) or 1.0
        lines = ["Time per stage:"]
        for name, seconds in self.seconds.items():
            lines.append(f"  {name:<26}{seconds:8.1f} s  {100 * seconds / total:5.1f} %")
        return "\n".join(lines)


def _confusion_images(log_dir, figures, epoch):
    """The fold's test confusion matrices in TensorBoard, from the PNG files just drawn.

    ``figures``: head -> ``confusion_<head>.png``. The same pictures as the report's, at the
    selected epoch's step: no second pass over any part and no second figure. (A validation
    confusion image at the selected epoch cost a validation pass and a figure, about 0.6 s of a
    300-window fold of the multimodal LSTM, 5 % of its training; measured in
    ``bench/bench_fold_overhead.py``.)
    """
    if not figures:
        return
    import tensorflow as tf

    writer = tf.summary.create_file_writer(os.path.join(log_dir, "confusion_matrix"))
    with writer.as_default():
        for head, path in figures.items():
            image = tf.io.decode_png(tf.io.read_file(path), channels=4)
            tf.summary.image(f"confusion_matrix/test_{head}", image[tf.newaxis], step=epoch)
    writer.flush()


class _AcrossEpochs:
    """Keep a callback's state across the one-epoch ``fit`` calls of the resumable loop.

    The loop calls ``fit`` once per epoch; callbacks such as ``ReduceLROnPlateau`` reset their
    counters in ``on_train_begin``, so only the first ``on_train_begin`` is passed on.
    """

    @staticmethod
    def wrap(inner):
        import keras

        class Callback(keras.callbacks.Callback):
            def __init__(self):
                super().__init__()
                self.inner = inner
                self.started = False

            def set_model(self, model):
                super().set_model(model)
                self.inner.set_model(model)

            def on_train_begin(self, logs=None):
                if not self.started:
                    self.started = True
                    self.inner.on_train_begin(logs)

            def on_epoch_begin(self, epoch, logs=None):
                self.inner.on_epoch_begin(epoch, logs)

            def on_epoch_end(self, epoch, logs=None):
                self.inner.on_epoch_end(epoch, logs)

        return Callback()


def _write_preprocessing(builder, config, data, fold_dir):
    """``fold_dir/preprocessing.json``: the builder's description of its examples plus the
    run's targets and model, so ``predict``/``evaluate``/``stream`` need no corpus tables."""
    from amigos_emo import preprocessing_spec

    describe = getattr(builder, "preprocessing_spec", None)
    spec = describe() if describe is not None else None
    if spec is None:
        logger.warning(
            "%s does not describe its preprocessing; predict/stream cannot use this model on new "
            "recordings.",
            builder.info.full_name,
        )
        return None
    spec = spec.with_targets(data.specs)
    spec.input_normalisation = config.normalise
    spec.extra = dict(spec.extra, model=config.model, inputs=list(data.inputs))
    return preprocessing_spec.write(spec, fold_dir)


def _should_stop(state, patience):
    """Early stopping: ``patience`` epochs without a better validation loss since the best one."""
    if patience is None or state["best_epoch"] is None:
        return False
    return state["epochs_completed"] - state["best_epoch"] >= patience


def run_fold(config, builder, fold, entry, fold_dir, policy, jit_compile, dist=None, timer=None):
    """Train, select, evaluate and export one fold; returns ``(fold metrics dict, history)``.

    ``dist`` is the :class:`~amigos_emo.training.distribute.DistributedTraining` context
    (``--distribute``); only the chief writes outputs. ``timer`` collects stage times.
    """
    import keras

    from amigos_emo.training.modeling import load_trained_model

    timer = timer or _StageTimer()
    fold_started = timer.snapshot()
    chief = dist is None or dist.chief
    scope = dist.scope if dist is not None else contextlib.nullcontext
    writable = dist.writable if dist is not None else (lambda path: path)
    os.makedirs(fold_dir, exist_ok=True)
    logger.info(fold.describe())
    batch_size = dist.global_batch_size if dist is not None else config.batch_size
    jit_compile = dist.jit_compile if dist is not None else jit_compile
    with timer.stage("fold data and statistics"):
        target = (
            None if hasattr(builder, "corpora") else config.target
        )  # a MultiCorpus maps it already
        data = prepare_fold(
            builder,
            fold,
            entry,
            batch_size,
            config.class_weights,
            target=target,
            augmenter=make_augmenter(config, builder),
            normalise=config.normalise,
        )
    specs = data.specs
    if chief:
        _write_preprocessing(builder, config, data, fold_dir)
    # Each fold seeds itself, so a fold resumed after earlier folds were reused from disk starts
    # from the same weights as in an uninterrupted run.
    fold_seed = config.seed * 1000 + fold.index
    _seed_fold(fold_seed)

    # --- model (or the interrupted run's last checkpoint) ---------------------------------
    state_path = os.path.join(fold_dir, "state.json")
    best_path = os.path.join(fold_dir, "best.keras")
    best_weights_path = os.path.join(fold_dir, BEST_WEIGHTS)
    state = {
        "epochs_completed": 0,
        "best_val_loss": None,
        "best_epoch": None,
        "stopped_early": False,
        "history": {},
    }
    previous = None
    if config.resume and os.path.exists(state_path):
        with open(state_path) as handle:
            previous = json.load(handle)
    best_weights = None  # the best epoch's weights in memory: evaluation needs no reload
    with timer.stage("model build and compile"):
        resume_from = None
        if previous is not None and os.path.exists(
            os.path.join(fold_dir, previous.get("checkpoint") or "-")
        ):
            state = {**state, **previous}
            resume_from = os.path.join(fold_dir, state["checkpoint"])
        if resume_from is not None and resume_from.endswith(".keras"):
            # a run interrupted before checkpoints were arrays (its best.keras is on disk)
            with scope():
                model = load_trained_model(resume_from)
        else:
            with scope():
                model = _fold_model(
                    config,
                    data,
                    entry,
                    policy,
                    jit_compile,
                    reuse=dist is None or not dist.distributed,
                    # deferred variables outside --distribute only (plain build inside a strategy)
                    reseed=(
                        (lambda: _seed_fold(fold_seed))
                        if dist is None or not dist.distributed
                        else None
                    ),
                )
                if resume_from is not None:
                    artifacts.load_variables(model, resume_from)
            if resume_from is not None and os.path.exists(best_weights_path):
                best_weights = artifacts.read_weights(best_weights_path)
        if resume_from is not None:
            artifacts.restore_seed_states(model, state.get("seed_states"))
            logger.info("Resuming fold %d after epoch %d", fold.index, state["epochs_completed"])

    val_ds = data.eval_dataset("validation")
    tensorboard_dir = os.path.join(fold_dir, "tensorboard")
    callbacks = [keras.callbacks.TensorBoard(log_dir=tensorboard_dir, write_graph=False)]
    if entry.callbacks is not None:  # the seed's own schedule, e.g. reduce-on-plateau
        callbacks += [_AcrossEpochs.wrap(callback) for callback in entry.callbacks()]
    verbose = config.verbose if config.verbose is not None else (1 if sys.stdout.isatty() else 2)
    history = state["history"]
    epoch_seconds = []
    with _EpochWriter() as writer:
        for epoch in range(state["epochs_completed"], config.epochs):
            if _should_stop(state, config.early_stopping_patience):
                break
            epoch_started = time.perf_counter()
            with timer.stage(TRAINING_STAGE):
                train_ds = data.train_dataset(epoch_seed=config.seed * 10_000 + epoch)
                fit = dist.fit if dist is not None else (lambda m, *a, **k: m.fit(*a, **k))
                result = fit(
                    model,
                    train_ds,
                    validation_data=val_ds,
                    initial_epoch=epoch,
                    epochs=epoch + 1,
                    callbacks=callbacks,
                    verbose=verbose,
                    shuffle=False,
                )
            epoch_seconds.append(time.perf_counter() - epoch_started)
            for key, values in result.history.items():
                history.setdefault(key, []).extend(float(v) for v in values)
            val_loss = float(result.history["val_loss"][-1])
            if not np.isfinite(val_loss):
                raise FloatingPointError(
                    f"fold {fold.index}, epoch {epoch + 1}: validation loss is {val_loss}; stopping."
                )
            with timer.stage("checkpoints"):
                # A new file per epoch, named in state.json: a kill between the two writes leaves
                # the previous pair intact, so a resumed run never mixes two epochs' weights.
                last_path = os.path.join(fold_dir, f"checkpoint_epoch_{epoch + 1:03d}.npz")
                arrays = artifacts.variable_arrays(model)  # this epoch's snapshot
                writes = [(arrays, writable(last_path))]
                if state["best_val_loss"] is None or val_loss < state["best_val_loss"]:
                    state["best_val_loss"], state["best_epoch"] = val_loss, epoch + 1
                    best = artifacts.model_arrays(arrays)
                    best_weights = [best[f"model_{i}"] for i in range(len(model.weights))]
                    writes.append((best, writable(best_weights_path)))
                state["checkpoint"] = os.path.basename(last_path)
                state["epochs_completed"] = epoch + 1
                state["stopped_early"] = _should_stop(state, config.early_stopping_patience)
                state["history"] = history
                state["seed_states"] = [
                    np.asarray(v).tolist() for v in artifacts.seed_state_variables(model)
                ]
                writer.submit(
                    _write_epoch,
                    writes,
                    state_path if chief else None,
                    copy.deepcopy(state),  # the next epoch changes the history
                )
    _split_first_epoch(timer, epoch_seconds)
    if state["stopped_early"]:
        logger.info(
            "fold %d: early stopping after epoch %d (best epoch %d, patience %d)",
            fold.index,
            state["epochs_completed"],
            state["best_epoch"],
            config.early_stopping_patience,
        )
    if best_weights is not None:  # best.keras: the best epoch's model, written once
        with timer.stage("checkpoints"):
            _assign(model.weights, best_weights)  # the model is only evaluated from here on
            artifacts.atomic_save(model, writable(best_path))
    if not chief:  # workers stop here: the chief evaluates, exports and writes the results
        return None, history
    artifacts.write_history_csv(history, os.path.join(fold_dir, "history.csv"))

    # --- test on held-out subjects ----------------------------------------------------------
    with timer.stage("evaluation"):
        best = _best_model(
            model, best_weights, best_path, distributed=dist is not None and dist.distributed
        )
        # one pass over the test part through the model's one compiled inference function;
        # the outputs serve the metrics, the baselines and the confusion matrices alike
        test_outputs, test_truth = data.predict_with_targets(best, "test")
        metrics = data.evaluate(best, "test", outputs=test_outputs, truth=test_truth)
        per_corpus = None
        if hasattr(builder, "corpora"):
            from amigos_emo.training.multi_corpus import per_corpus_metrics

            per_corpus = per_corpus_metrics(builder, data, best, fold)
    with timer.stage("reports"):
        figures = {}
        for spec in specs:
            if spec.kind != "regression":
                reports.write_classification_report(
                    metrics[spec.name],
                    os.path.join(fold_dir, f"classification_report_{spec.name}.txt"),
                    f"{spec.name}: fold {fold.index}, test subjects {', '.join(fold.test)}",
                )
                figures[spec.name] = reports.plot_confusion_matrix(
                    metrics[spec.name]["confusion_matrix"],
                    spec.class_names,
                    os.path.join(fold_dir, f"confusion_{spec.name}.png"),
                    f"{spec.name}: fold {fold.index}, test subjects (best epoch {state['best_epoch']})",
                )
        _confusion_images(tensorboard_dir, figures, state["best_epoch"])
    fold_result = {
        "fold": fold.index,
        "train": list(fold.train),
        "validation": list(fold.validation),
        "test": list(fold.test),
        "leaky": fold.leaky,
        "normalise": config.normalise,
        "best_epoch": state["best_epoch"],
        "epochs_trained": state["epochs_completed"],
        "stopped_early": bool(state["stopped_early"]),
        "n_train_examples": data.n_train,
        "kinds": {s.name: s.kind for s in specs},
        "targets": {s.name: s.source for s in specs},
        "inputs": list(data.inputs),
        "metrics": metrics,
        "per_corpus": per_corpus,
        "training_targets": {
            "regression_mean_std": data.regression_stats,
            "majority_class": data.majority,
        },
        "class_weights": {k: [float(x) for x in v] for k, v in data.class_weights.items()},
        "input_normalisation": {
            k: (v.to_json() if v is not None else None) for k, v in data.input_stats.items()
        },
    }
    if config.export:
        with timer.stage("export (SavedModel)"):
            artifacts.atomic_export(best, os.path.join(fold_dir, "saved_model"))
    # this fold's own stage times (the run's log prints its fixed cost beside its training)
    fold_result["stage_seconds"] = {k: round(v, 3) for k, v in timer.since(fold_started).items()}
    reports.write_json(os.path.join(fold_dir, "metrics.json"), fold_result)
    artifacts.remove_checkpoints(fold_dir, keep=None)
    if os.path.exists(best_weights_path):
        os.remove(best_weights_path)
    _log_fold_cost(fold.index, fold_result["stage_seconds"])
    return fold_result, history


class _EpochWriter:
    """Writes each epoch's checkpoint files on one background thread, in order.

    The epoch's arrays are copied out of the model first (:func:`artifacts.variable_arrays`),
    so the next epoch trains while they are written; only the copy is paid in the training
    loop (the ``.npz`` files and ``state.json`` took about 60 ms an epoch of the multimodal
    LSTM, measured in ``bench/bench_fold_overhead.py``). The writes keep their order: an
    epoch's ``.npz`` files, then the ``state.json`` that names them, then the older checkpoints'
    removal, so a kill at any point leaves a consistent pair on disk. Leaving the ``with``
    block waits for every write and raises the first write's error.
    """

    def __init__(self):
        import concurrent.futures

        self._pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="checkpoints")
        self._pending = None

    def submit(self, fn, *args):
        self._check()  # the previous epoch's write, normally long done
        self._pending = self._pool.submit(fn, *args)

    def _check(self):
        if self._pending is not None:
            pending, self._pending = self._pending, None
            pending.result()

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        try:
            if exc_type is None:
                self._check()
            elif self._pending is not None:
                self._pending.exception()  # wait, but keep the error already raising
        finally:
            self._pool.shutdown(wait=True)


def _write_epoch(writes, state_path, state):
    """One epoch's checkpoint files (see :class:`_EpochWriter`); ``state_path`` None on workers."""
    for arrays, path in writes:
        artifacts.write_variables(arrays, path)
    if state_path is not None:
        reports.write_json(state_path, state)
        artifacts.remove_checkpoints(os.path.dirname(state_path), keep=state["checkpoint"])


def _seed_fold(seed):
    """``keras.utils.set_random_seed(seed)`` but for TensorFlow's global seed, set once per run.

    Setting TensorFlow's global seed clears its kernel caches, so every compiled function is
    optimised again at its next call: about 7 s at the first step of each fold of the multimodal
    LSTM even when the fold reuses the traced model (measured). The fold's weights are drawn by
    Keras from Python's seeded generator, and TensorFlow's random ops in training all take
    explicit seeds (shuffles, augmentation), so the fold is still reproducible on its own.
    """
    import random

    try:
        from keras.src.backend.common import global_state
        from keras.src.random import seed_generator
        from keras.src.utils.rng_utils import GLOBAL_RANDOM_SEED
    except ImportError:  # another Keras layout: seed everything, TensorFlow included
        import keras

        keras.utils.set_random_seed(seed)
        return
    global_state.set_global_attribute(GLOBAL_RANDOM_SEED, seed)
    global_state.set_global_attribute(seed_generator.GLOBAL_SEED_GENERATOR, None)
    random.seed(seed)
    np.random.seed(seed)


TRAINING_STAGE = "training (fit + validation)"
FIRST_EPOCH_STAGE = "first-epoch excess (tracing, pipeline warm-up)"


def _split_first_epoch(timer, epoch_seconds):
    """Count what the fold's first epoch took beyond its median later epoch as fixed cost.

    The first epoch traces the training and validation steps (unless the fold reused a traced
    model) and fills the input pipeline; that is per-fold set-up, not training, and the fold's
    cost accounting (:func:`fold_cost`) should say so. Needs two or more epochs in this process.
    """
    if len(epoch_seconds) < 2:
        return
    excess = max(0.0, epoch_seconds[0] - float(np.median(epoch_seconds[1:])))
    timer.seconds[TRAINING_STAGE] -= excess
    timer.seconds[FIRST_EPOCH_STAGE] = timer.seconds.get(FIRST_EPOCH_STAGE, 0.0) + excess


BEST_WEIGHTS = "best_weights.npz"


def fold_cost(stage_seconds):
    """``(training s, fixed s)`` of one fold: everything but fit + validation is fixed cost."""
    training = stage_seconds.get(TRAINING_STAGE, 0.0)
    return training, sum(v for k, v in stage_seconds.items() if k != TRAINING_STAGE)


def _log_fold_cost(index, stage_seconds):
    """One log line per fold: its fixed cost (data, build, checkpoints, evaluation, reports,
    export) beside its training time, stage by stage."""
    training, fixed = fold_cost(stage_seconds)
    parts = ", ".join(
        f"{name.split(' (')[0]} {seconds:.1f}"
        for name, seconds in stage_seconds.items()
        if name != TRAINING_STAGE
    )
    logger.info(
        "fold %d: training %.1f s, fixed cost %.1f s = %.0f %% of training (%s)",
        index,
        training,
        fixed,
        100.0 * fixed / max(training, 1e-9),
        parts,
    )


# structure key -> (compiled model, its optimizer's variables before any training): the last
# fold's model, kept for the next fold of the same run (cleared when the run ends)
_COMPILED = {}


def _fold_model(config, data, entry, policy, jit_compile, reuse=True, reseed=None):
    """This fold's compiled model, with this fold's statistics and initial weights.

    The fold's model is built from the fold's seed as always. When the previous fold compiled a
    model of the same structure and compile settings (every fold of a run, normally), that
    model is reused instead: the new one's variables (initial weights, statistics, dropout
    generator states) are copied into it, its optimizer is put back to its state before
    training, and its cosine schedule is given this fold's length
    (:class:`~amigos_emo.models.schedules.CosineDecay`); the two models' compile configs must
    then be equal, or the new model is used. Its traced training, validation and inference
    functions are then reused, which saves their tracing (most of a LOSO fold's fixed cost; measured in
    ``bench/bench_fold_overhead.py``), and the fold trains exactly as a new model would (same
    weights, same optimizer state, same graph; tested). Not under ``--distribute``.
    ``reseed`` seeds the fold again (:func:`build_deferred`).
    """
    import keras

    from amigos_emo.models.schedules import CosineDecay

    keras.mixed_precision.set_global_policy(policy)
    try:
        core = build_deferred(lambda: data.build_core(preset=config.preset), reseed)
    finally:
        keras.mixed_precision.set_global_policy("float32")
    model = data.wrap(core)
    compile_kwargs = {
        "steps_per_epoch": data.train_steps_per_epoch,
        "epochs": config.epochs,
        "jit_compile": jit_compile,
        **_compile_overrides(config, entry),
    }
    entry.compile(model, **compile_kwargs)  # cheap: nothing is traced before the first step
    if not reuse:
        return model
    key = json.dumps(
        [
            entry.name,
            policy,
            artifacts.structure_key(model).replace(json.dumps(core.name), '"<core>"'),
            {k: v for k, v in compile_kwargs.items() if k != "steps_per_epoch"},
        ],
        default=repr,
    )
    cached = _COMPILED.get(key)
    if cached is not None:
        reused, optimizer_start = cached
        schedule = getattr(reused.optimizer, "_learning_rate", None)
        wanted = getattr(model.optimizer, "_learning_rate", None)
        if isinstance(schedule, CosineDecay) and isinstance(wanted, CosineDecay):
            schedule.set_decay_steps(wanted.decay_steps)  # this fold's number of batches
        if _compile_config(reused) == _compile_config(model):
            _assign(reused.variables, [v.value for v in model.variables])
            _assign(reused.optimizer.variables, optimizer_start)
            return reused
    model.optimizer.build(model.trainable_variables)
    _COMPILED.clear()
    _COMPILED[key] = (model, [np.array(v.numpy()) for v in model.optimizer.variables])
    return model


def build_deferred(build, reseed=None):
    """``build()`` inside ``keras.StatelessScope``: Keras creates the variables at the end.

    The scope defers each variable's initialisation to its exit, where the same initialisers
    draw the same values (every registered model is tested against a plain build from the
    same seed); building the multimodal LSTM's core took 0.25-0.39 s this way against
    0.41-0.46 s (interleaved, same process), part of every fold's fixed cost. The scope also
    holds back any variable assignment made inside it, so a model that assigns a variable (or
    reads one) while it is built is built again the plain way, after ``reseed()`` has put the
    random generators back where they were (without ``reseed``, it is built the plain way
    from the start).
    """
    import keras

    if reseed is None:
        return build()
    model = None
    with contextlib.suppress(Exception):  # a model that reads its variables while built
        with keras.StatelessScope() as scope:
            model = build()
    if model is not None and all(scope.get_current_value(v) is None for v in model.variables):
        return model
    reseed()
    return build()


def _compile_config(model):
    """Optimizer (with its schedule), losses, metrics and switches, comparable as a string
    (the optimizer's auto-numbered name, ``adam_1``, left out)."""
    config = model.get_compile_config()
    optimizer = config.get("optimizer")
    if isinstance(optimizer, dict) and isinstance(optimizer.get("config"), dict):
        optimizer["config"].pop("name", None)
    return json.dumps(config, sort_keys=True, default=repr)


def _best_model(model, best_weights, best_path, distributed=False):
    """The best epoch's model for evaluation and export.

    The fold's own model with the best epoch's weights put back from memory (its predict
    function is reused, nothing is deserialised); ``best.keras`` is loaded instead when the best
    epoch was trained before a ``--resume`` (its weights were never in this process) or under
    ``--distribute`` (the chief evaluates alone, outside the strategy).
    """
    from amigos_emo.training.modeling import load_trained_model

    if best_weights is None or distributed:
        return load_trained_model(best_path)
    _assign(model.weights, best_weights)
    return model


def _assign(variables, values):
    for variable, value in zip(variables, values, strict=True):
        variable.assign(value)


def make_augmenter(config, builder):
    """The training-batch augmenter of ``--augment`` (None without it)."""
    if not config.augment:
        return None
    from amigos_emo.training.augment import Augmenter

    describe = getattr(builder, "preprocessing_spec", None)
    spec = describe() if describe is not None else None
    rates = (
        {name: signal.sfreq_hz for name, signal in spec.signals.items()} if spec is not None else {}
    )
    return Augmenter.from_names(
        config.augment, ratio=config.augment_ratio, seed=config.seed, sfreq_hz=rates
    )


def _compile_overrides(config, entry):
    """``--learning-rate`` / ``--label-smoothing`` for the model's compile function, checked."""
    import inspect

    accepted = inspect.signature(entry.compile).parameters
    overrides = {}
    for name in ("learning_rate", "label_smoothing"):
        value = getattr(config, name)
        if value is None:
            continue
        if name not in accepted:
            raise ValueError(
                f"Model {entry.name!r} does not take {name} (its compile arguments: "
                f"{', '.join(p for p in accepted if p != 'model')}). Received: {name}={value!r}"
            )
        overrides[name] = value
    return overrides


def _run_or_reuse_fold(config, builder, fold, entry, policy, jit_compile, dist, timer):
    """Run one fold, or reuse its results when ``--resume`` finds it finished."""
    fold_dir = os.path.join(config.output_dir, f"fold_{fold.index:02d}")
    done = os.path.join(fold_dir, "metrics.json")
    if config.resume and os.path.exists(done):
        with open(done) as handle:
            result = json.load(handle)
        with open(os.path.join(fold_dir, "state.json")) as handle:
            history = json.load(handle)["history"]
        logger.info("Fold %d already finished; reusing its results", fold.index)
        return result, history
    if getattr(entry, "framework", "keras") == "sklearn":
        from amigos_emo.training.classic import run_classic_fold

        with timer.stage("classic model (fit + evaluation)"):
            return run_classic_fold(config, builder, fold, entry, fold_dir)
    return run_fold(config, builder, fold, entry, fold_dir, policy, jit_compile, dist, timer=timer)


def run(config, builder=None):
    """Run ``config`` and return the final results dict (also written to metrics.json).

    Args:
        config: a :class:`RunConfig`.
        builder: an already prepared TFDS builder to use instead of ``config.dataset`` (tests).
    """
    from amigos_emo.training import distribute

    if builder is None:
        config.resolve_defaults()
    elif config.model is None:
        config.model = getattr(builder, "DEFAULT_MODEL", None)
        if config.model is None:
            raise ValueError(f"Dataset {builder.name!r} has no default model; pass --model.")
    config.validate()
    config.output_dir = config.output_dir or default_output_dir(config)

    # The strategy comes first: multi-worker collectives must be set up before any TF op.
    policy, jit_compile = resolve_speed_switches(config)
    try:
        with (
            _op_determinism(not jit_compile),
            distribute.distributed_training(
                config.distribute, config.batch_size, jit_compile
            ) as dist,
        ):
            if not dist.chief:
                return _run(config, builder, dist, policy, jit_compile)
            with artifacts.locked_output_dir(config, RUN_CONTROL_FIELDS):
                return _run(config, builder, dist, policy, jit_compile)
    finally:
        _COMPILED.clear()  # a model is reused between the folds of one run only


@contextlib.contextmanager
def _op_determinism(enabled):
    """Deterministic TF ops for the run (same seed, same metrics on CPU), restored afterwards.

    XLA is not covered by op determinism, and Keras silently turns ``jit_compile`` off while it
    is enabled, so runs with XLA (``--jit on``, or ``auto`` on a GPU) are fast rather than
    bit-reproducible.
    """
    from tensorflow.python.framework import config as tf_config  # public API lacks is/disable

    before = tf_config.is_op_determinism_enabled()
    (tf_config.enable_op_determinism if enabled else tf_config.disable_op_determinism)()
    try:
        yield
    finally:
        (tf_config.enable_op_determinism if before else tf_config.disable_op_determinism)()


def _run(config, builder, dist, policy, jit_compile):
    import amigos_emo

    timer = _StageTimer()
    started = time.time()
    # from the package's import to here (Python, TensorFlow/TFDS imports, options, locking); only
    # the first run of a process has a start-up
    if not getattr(amigos_emo, "_startup_counted", False):
        amigos_emo._startup_counted = True
        timer.seconds["start-up (imports, options)"] = time.perf_counter() - amigos_emo.IMPORTED_AT
    with timer.stage("model registry"):
        import keras

        from amigos_emo import datasets
        from amigos_emo.models import get_model_entry
        from amigos_emo.training.protocols import LEAKY_PROTOCOLS, TRIAL_PROTOCOLS, make_folds

        entry = get_model_entry(config.model)
    if builder is None:
        with timer.stage("dataset (write, build or reuse)"):
            builder = _prepare_datasets(config, entry)
    # Seed after preparing the data: building a corpus (NeuroKit2's simulators, for one) draws
    # from the global generators, and a run must not depend on whether its data were already built.
    keras.utils.set_random_seed(config.seed)
    subjects = datasets.subject_splits(builder)
    trials = subject_trials(builder, subjects) if config.protocol in TRIAL_PROTOCOLS else None
    if hasattr(builder, "corpora"):
        from amigos_emo.training import multi_corpus

        folds = multi_corpus.make_folds(
            config.protocol, builder, seed=config.seed, n_folds=config.n_folds
        )
    else:
        folds = make_folds(
            config.protocol, subjects, seed=config.seed, n_folds=config.n_folds, trials=trials
        )
    if config.max_folds is not None:
        folds = folds[: config.max_folds]
    leaky = config.protocol in LEAKY_PROTOCOLS
    if config.normalise == "subject":
        logger.warning("--normalise subject: %s.", SUBJECT_NORMALISATION_NOTE)
    if leaky:
        logger.warning(
            "Protocol %r is LEAKY: windows of the same subjects are in train and test; "
            "its scores overstate what a new subject would see.",
            config.protocol,
        )
    if dist.chief:
        _write_config(config, builder, entry, folds, policy, jit_compile, leaky, subjects)

    fold_results, histories = [], []
    one_read = (
        contextlib.nullcontext()
        if hasattr(builder, "corpora")  # each corpus of a MultiCorpus reads its own
        else subjects_in_memory(builder)
    )
    with one_read:
        for fold in folds:
            result, history = _run_or_reuse_fold(
                config, builder, fold, entry, policy, jit_compile, dist, timer
            )
            fold_results.append(result)
            histories.append(history)
    if not dist.chief:
        return None
    return _finish(config, entry, folds, fold_results, histories, leaky, started, timer)


def _prepare_datasets(config, entry):
    """The prepared builder of ``--dataset`` (several comma-separated corpora: a MultiCorpus)."""
    from amigos_emo import datasets
    from amigos_emo.training import multi_corpus

    parts = multi_corpus.parse_datasets(config.dataset)
    if len(parts) == 1:
        return datasets.prepare(
            config.dataset, data_dir=config.data_dir, manual_dir=config.manual_dir
        )
    names = [part.partition("/")[0] for part in parts]
    folders = multi_corpus.parse_manual_dirs(config.manual_dir, names)
    builders = {
        name: datasets.prepare(part, data_dir=config.data_dir, manual_dir=folders[name])
        for name, part in zip(names, parts, strict=True)
    }
    if not entry.inputs:
        raise ValueError(
            f"Model {entry.name!r} reads any signal set; several corpora need a model with fixed inputs."
        )
    return multi_corpus.MultiCorpus(builders, entry.inputs, target=config.target)


def dataset_record(builder, subjects=None):
    """The ``dataset`` block of config.json: name, config, version, where it lives and where it
    came from (the folder it was built from, its file count and fingerprint)."""
    from amigos_emo import datasets

    if hasattr(builder, "corpora"):  # several corpora: one record each
        record = {
            "name": builder.name,
            "corpora": {c: dataset_record(b) for c, b in builder.builders.items()},
            "target": builder.target,
        }
        if subjects is not None:
            record["subjects"] = subjects
        return record
    record = {
        "name": builder.name,
        "config": builder.builder_config.name if builder.builder_config else None,
        "version": str(builder.version),
        "data_dir": builder.data_dir,
    }
    record["provenance"] = datasets.provenance(builder)
    if subjects is not None:
        record["subjects"] = subjects
    return record


def _write_config(config, builder, entry, folds, policy, jit_compile, leaky, subjects):
    from amigos_emo.training.config import has_gpu, onednn_enabled

    reports.write_json(
        os.path.join(config.output_dir, "config.json"),
        {
            "run": dataclasses.asdict(config),
            "command": "python -m amigos_emo.train " + " ".join(sys.argv[1:])
            if sys.argv and "train" in sys.argv[0]
            else None,
            "resolved": {
                "precision_policy": policy,
                "jit_compile": jit_compile,
                "onednn": onednn_enabled(),
                "n_folds": len(folds),
                "leaky": leaky,
                "gpu": has_gpu(),
            },
            "dataset": dataset_record(builder, subjects),
            "model": {
                "name": entry.name,
                "task": entry.task,
                "preset": config.preset,
                "framework": getattr(entry, "framework", "keras"),
            },
            "augmentation": make_augmenter(config, builder).describe() if config.augment else None,
            "folds": [dataclasses.asdict(f) for f in folds],
            "versions": library_versions(),
        },
    )


def _finish(config, entry, folds, fold_results, histories, leaky, started, timer):
    from amigos_emo.training.evaluation import aggregate_folds

    with timer.stage("reports"):
        kinds = fold_results[0]["kinds"]
        summary = aggregate_folds([r["metrics"] for r in fold_results], kinds)
        table = reports.summary_table(summary, kinds, config.protocol, leaky, len(folds))
        per_corpus = None
        if any(r.get("per_corpus") for r in fold_results):
            corpora = sorted({c for r in fold_results for c in (r.get("per_corpus") or {})})
            per_corpus = {
                c: aggregate_folds(
                    [r["per_corpus"][c] for r in fold_results if c in (r.get("per_corpus") or {})],
                    kinds,
                )
                for c in corpora
            }
            for corpus_name, corpus_summary in per_corpus.items():
                n = sum(1 for r in fold_results if corpus_name in (r.get("per_corpus") or {}))
                table += "\n\n" + reports.summary_table(
                    corpus_summary, kinds, config.protocol, leaky, n
                ).replace("Test results:", f"Test results on {corpus_name} subjects:", 1)
        reports.plot_training_curves(
            histories,
            os.path.join(config.output_dir, "training_curves.png"),
            f"{entry.name} on {config.dataset} ({config.protocol})",
        )
    results = {
        "dataset": config.dataset,
        "model": entry.name,
        "protocol": config.protocol,
        "leaky": leaky,
        "leak_warning": (
            "windows of the same subjects are in train and test; not subject-independent"
            if leaky
            else None
        ),
        "normalise": config.normalise,
        "transductive_warning": (
            SUBJECT_NORMALISATION_NOTE if config.normalise == "subject" else None
        ),
        "synthetic": "synthetic" in config.dataset,
        "seed": config.seed,
        "n_folds": len(folds),
        "aggregate": summary,
        "per_corpus": per_corpus,
        "folds": fold_results,
        "summary_table": table,
        "seconds": round(time.time() - started, 1),
        "stage_seconds": {k: round(v, 2) for k, v in timer.seconds.items()},
    }
    reports.write_json(os.path.join(config.output_dir, "metrics.json"), results)
    from amigos_emo.training.result_card import write_result_card

    write_result_card(config.output_dir)  # RESULT.md beside metrics.json
    print("\n" + table)
    if results["transductive_warning"]:
        print(f"({results['transductive_warning']}.)")
    if results["synthetic"]:
        print(
            "(SYNTHETIC data: these numbers test the pipeline, they say nothing about real recordings.)"
        )
    print("\n" + timer.table())
    timed = [r["stage_seconds"] for r in fold_results if r.get("stage_seconds")]
    if timed:
        training = sum(fold_cost(seconds)[0] for seconds in timed)
        fixed = sum(fold_cost(seconds)[1] for seconds in timed)
        print(
            f"Per-fold fixed cost: {fixed / len(timed):.1f} s a fold beside "
            f"{training / len(timed):.1f} s of training ({100 * fixed / max(training, 1e-9):.0f} %)"
        )
    print(f"\nOutputs in {os.path.abspath(config.output_dir)}")
    return results
