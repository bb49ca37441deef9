"""One training run end to end: what ``python -m amigos_emo.train`` calls.

Output directory layout::

    OUTPUT_DIR/
      config.json            resolved configuration, versions, dataset name/config/version
      fold_00/ ...           one folder per fold:
        best.keras           best epoch by validation loss (raw signals in, ratings out)
        saved_model/         tf.saved_model export of best.keras (endpoint "serve")
        checkpoint_epoch_NNN.keras, state.json   the end-of-epoch checkpoint --resume uses;
                             state.json names it, so the two always agree
        history.csv          per-epoch losses and metrics
        metrics.json         test metrics beside the trivial baselines
        confusion_<head>.png
        tensorboard/         scalars (and confusion-matrix images for classifiers)
      training_curves.png    train/validation curves, every fold
      metrics.json           per-fold and aggregate (mean +/- std) results; written LAST, so its
                             presence means the run finished
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import platform
import shutil
import sys
import time

import numpy as np

from amigos_emo._checks import check_option
from amigos_emo._logging import logger
from amigos_emo.training import reports

MIXED_PRECISION = ("auto", "off", "float16", "bfloat16")
JIT = ("auto", "on", "off")


class RunDirectoryError(RuntimeError):
    """The output directory holds a finished or unfinished run and no flag says what to do."""


@dataclasses.dataclass
class RunConfig:
    """Everything that defines a run (written to ``config.json``)."""

    dataset: str = "amigos/synthetic"
    model: str | None = None
    preset: str | None = None
    protocol: str = "subject-split"
    n_folds: int = 5
    max_folds: int | None = None
    epochs: int = 12
    batch_size: int = 64
    learning_rate: float | None = None
    label_smoothing: float | None = None
    target: str | None = None
    seed: int = 0
    output_dir: str | None = None
    data_dir: str | None = None
    manual_dir: str | None = None
    mixed_precision: str = "auto"
    jit: str = "auto"
    class_weights: str = "balanced"
    distribute: str = "none"
    resume: bool = False
    overwrite: bool = False
    export: bool = True
    verbose: int | None = None

    def validate(self):
        from amigos_emo.training.protocols import PROTOCOLS

        check_option(self.protocol, PROTOCOLS, "protocol")
        check_option(self.mixed_precision, MIXED_PRECISION, "mixed_precision")
        check_option(self.jit, JIT, "jit")
        check_option(self.class_weights, ("balanced", "none"), "class_weights")
        check_option(self.distribute, ("none", "mirrored", "multi-worker"), "distribute")
        for name in ("epochs", "batch_size", "n_folds"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name} must be >= 1. Received: {name}={getattr(self, name)}")
        if self.resume and self.overwrite:
            raise ValueError("resume and overwrite exclude each other. Received: resume=True, overwrite=True")


def library_versions():
    """Versions of everything that shapes a result (recorded in config.json)."""
    import importlib.metadata as md

    versions = {"python": sys.version.split()[0], "platform": platform.platform()}
    for package in ("amigos-emo", "tensorflow", "keras", "tensorflow-datasets", "numpy", "scipy",
                    "scikit-learn", "mne", "neurokit2"):
        try:
            versions[package] = md.version(package)
        except md.PackageNotFoundError:
            versions[package] = None
    return versions


def _has_gpu():
    import tensorflow as tf

    return bool(tf.config.list_physical_devices("GPU"))


def resolve_speed_switches(config):
    """(precision policy name, jit_compile bool) for this machine; auto means: on a GPU,
    float16 and XLA; on a CPU, float32 and no XLA (it rarely helps small recurrent models)."""
    gpu = _has_gpu()
    policy = {
        "auto": "mixed_float16" if gpu else "float32",
        "off": "float32",
        "float16": "mixed_float16",
        "bfloat16": "mixed_bfloat16",
    }[config.mixed_precision]
    jit = {"auto": gpu, "on": True, "off": False}[config.jit]
    return policy, jit


def prepare_output_dir(config):
    """Create the output directory, refusing to clobber a finished or unfinished run."""
    out = config.output_dir
    finished = os.path.exists(os.path.join(out, "metrics.json"))
    started = os.path.isdir(out) and any(os.scandir(out))
    if config.overwrite and os.path.isdir(out):
        shutil.rmtree(out)
    elif finished and not config.overwrite:
        raise RunDirectoryError(
            f"{out} holds a finished run (metrics.json exists). Pass --overwrite to replace it, or choose "
            "another --output-dir."
        )
    elif started and not config.resume:
        raise RunDirectoryError(
            f"{out} holds an unfinished run. Pass --resume to continue it from its last completed epoch, "
            "--overwrite to start over, or choose another --output-dir."
        )
    os.makedirs(out, exist_ok=True)
    saved = os.path.join(out, "config.json")
    if config.resume and os.path.exists(saved):
        with open(saved) as handle:
            previous = json.load(handle)["run"]
        changed = {
            k: (previous.get(k), v)
            for k, v in dataclasses.asdict(config).items()
            if k not in ("resume", "overwrite", "verbose", "output_dir") and previous.get(k) != v
        }
        if changed:
            details = ", ".join(f"{k}: {a!r} -> {b!r}" for k, (a, b) in changed.items())
            raise RunDirectoryError(f"--resume with different settings than the interrupted run ({details}).")


def default_output_dir(config):
    name = config.dataset.replace("/", "-")
    return os.path.join("runs", f"{name}_{config.model}_{config.protocol}_seed{config.seed}")


def _split_string(splits):
    return "+".join(splits)


def _count_examples(builder, splits):
    return int(sum(builder.info.splits[s].num_examples for s in splits))


def _load_fold_data(builder, fold):
    """(train, validation, test) unbatched example datasets of one fold, filters applied."""
    import tensorflow as tf

    from amigos_emo.training.pipeline import window_hash_fraction

    def part(name, splits):
        dataset = builder.as_dataset(split=_split_string(splits), shuffle_files=False)
        for field, allowed in ((fold.select or {}).get(name) or {}).items():
            if field == "window_fraction":
                low, high = float(allowed[0]), float(allowed[1])
                dataset = dataset.filter(
                    lambda e, low=low, high=high: tf.logical_and(window_hash_fraction(e) >= low, window_hash_fraction(e) < high)
                )
            else:
                values = tf.constant(list(allowed), dtype=tf.int32)
                dataset = dataset.filter(
                    lambda e, field=field, values=values: tf.reduce_any(tf.equal(tf.cast(e[field], tf.int32), values))
                )
        return dataset

    return part("train", fold.train), part("validation", fold.validation), part("test", fold.test)


def _count_part(builder, fold, part, dataset=None):
    """Examples in one part of a fold (counted when filters apply, else from split sizes)."""
    splits = {"train": fold.train, "validation": fold.validation, "test": fold.test}[part]
    if not fold.select or not fold.select.get(part):
        return _count_examples(builder, splits)
    if dataset is None:
        dataset = dict(zip(("train", "validation", "test"), _load_fold_data(builder, fold), strict=True))[part]
    return int(dataset.reduce(0, lambda count, _: count + 1).numpy())


def subject_trials(builder, subjects):
    """subject split -> sorted unique (session_id, trial_id), reading only those two fields."""
    import tensorflow_datasets as tfds

    decoders = tfds.decode.PartialDecoding({"session_id": True, "trial_id": True})
    result = {}
    for subject in subjects:
        dataset = builder.as_dataset(split=subject, decoders=decoders, shuffle_files=False)
        pairs = {(int(e["session_id"]), int(e["trial_id"])) for e in dataset.as_numpy_iterator()}
        result[subject] = sorted(pairs)
    return result


def _majority(values):
    values = np.asarray(values).astype(np.int64).ravel()
    return int(np.bincount(values).argmax())


class _ConfusionMatrixImages:
    """Keras callback factory: per-epoch validation confusion matrices as TensorBoard images."""

    @staticmethod
    def make(log_dir, dataset, specs, truth):
        import keras
        import tensorflow as tf

        heads = [s for s in specs if s.kind in ("classification", "binary")]
        writer = tf.summary.create_file_writer(os.path.join(log_dir, "confusion_matrix"))

        class Callback(keras.callbacks.Callback):
            def on_epoch_end(self, epoch, logs=None):
                if not heads:
                    return
                predictions = self.model.predict(dataset, verbose=0)
                from sklearn.metrics import confusion_matrix

                with writer.as_default():
                    for spec in heads:
                        predicted = _decode_prediction(spec, predictions[spec.name])
                        names = list(spec.class_names)
                        matrix = confusion_matrix(truth[spec.name], predicted, labels=list(range(len(names))))
                        image = reports.confusion_matrix_image(matrix, names, f"{spec.name}, epoch {epoch + 1}")
                        tf.summary.image(f"confusion_matrix/{spec.name}", image, step=epoch)
                writer.flush()

        return Callback()


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


def _decode_prediction(spec, prediction):
    prediction = np.asarray(prediction)
    if spec.kind == "classification":
        return prediction.argmax(axis=-1)
    if spec.kind == "binary":
        return (prediction.reshape(len(prediction), -1)[:, 0] >= 0.5).astype(np.int64)
    return prediction.reshape(len(prediction), -1)[:, 0].astype(np.float64)


def _seed_state_variables(model):
    """The random-generator states of dropout and friends (``.keras`` files do not keep them)."""
    return [v for v in model.variables if v.path.endswith("seed_generator_state")]


def _restore_seed_states(model, states):
    """Put back the generator states saved with the last checkpoint, so a resumed run draws the
    same dropout masks as an uninterrupted one."""
    variables = _seed_state_variables(model)
    if states is None or len(states) != len(variables):
        logger.warning("Could not restore %d random-generator state(s); the resumed run will not be "
                       "bit-identical to an uninterrupted one.", len(variables))
        return
    for variable, value in zip(variables, states, strict=True):
        variable.assign(np.asarray(value, dtype=variable.dtype))


decode_prediction = _decode_prediction  # public name for evaluate/predict


def _remove_checkpoints(fold_dir, keep):
    """Delete end-of-epoch checkpoints other than ``keep`` (all of them when ``keep`` is None)."""
    for name in os.listdir(fold_dir):
        if name.startswith("checkpoint_epoch_") and name != keep:
            os.remove(os.path.join(fold_dir, name))


def _atomic_save(model, path):
    tmp = path + ".tmp.keras"
    model.save(tmp)
    os.replace(tmp, path)


def _atomic_export(model, path):
    tmp = path + ".tmp"
    if os.path.exists(tmp):
        shutil.rmtree(tmp)
    model.export(tmp, format="tf_saved_model", verbose=False)
    if os.path.exists(path):
        shutil.rmtree(path)
    os.replace(tmp, path)


@dataclasses.dataclass
class FoldData:
    """Everything fitted on one fold's training subjects, and its input pipelines.

    Used by :func:`run_fold` and by the tuner (``amigos_emo.tuning``), so both train on exactly
    the same data with the same train-only statistics.
    """

    fold: object
    entry: object
    specs: list
    input_shapes: dict
    n_outputs: int | None
    input_stats: dict
    regression_stats: dict
    majority: dict
    class_weight_spec: tuple | None
    n_train: int
    steps_per_epoch: int
    batch_size: int
    cache: bool
    train_raw: object
    val_raw: object
    test_raw: object

    def train_dataset(self, epoch_seed):
        """Shuffled, batched training data; ``epoch_seed`` fixes the order (resumable)."""
        from amigos_emo.training import pipeline

        return pipeline.make_dataset(self.train_raw, self.entry.inputs, self.specs, self.batch_size,
                                     shuffle=True, seed=epoch_seed, sample_weights=self.class_weight_spec)

    def eval_dataset(self, part):
        """Batched ``"validation"`` or ``"test"`` data in a fixed order."""
        from amigos_emo.training import pipeline

        raw = {"validation": self.val_raw, "test": self.test_raw}[part]
        return pipeline.make_dataset(raw, self.entry.inputs, self.specs, self.batch_size)

    def targets(self, part):
        """Encoded targets (class indices, 0/1 or floats) of ``"validation"`` or ``"test"``."""
        from amigos_emo.training import pipeline

        raw = {"validation": self.val_raw, "test": self.test_raw}[part]
        values = pipeline.collect_targets(raw, self.specs)
        return {s.name: pipeline.encode_target_numpy(s, values[s.name]) for s in self.specs}

    def wrap(self, core):
        """Put the train-only normalisation and the regression rescaling around ``core``."""
        from amigos_emo.training.modeling import wrap_model

        return wrap_model(core, self.input_stats, self.regression_stats, name=f"{self.entry.name}_trained")

    def evaluate(self, model):
        """Test-set metrics of ``model`` beside the trivial baselines, head by head."""
        from amigos_emo.training import evaluation

        predictions = model.predict(self.eval_dataset("test"), verbose=0)
        truth = self.targets("test")
        metrics = {}
        for spec in self.specs:
            y_pred = _decode_prediction(spec, predictions[spec.name])
            if spec.kind == "regression":
                metrics[spec.name] = evaluation.regression_metrics(truth[spec.name], y_pred, self.regression_stats[spec.name][0])
            else:
                metrics[spec.name] = evaluation.classification_metrics(truth[spec.name], y_pred, spec.class_names, self.majority[spec.name])
        return metrics


def prepare_fold(builder, fold, entry, batch_size, class_weights="balanced", target=None):
    """Load one fold's splits and fit every statistic on its training subjects only.

    ``target`` (``--target``) names the dataset feature a classifier's ``label`` output trains
    on instead of ``label`` (e.g. SEED-IV's ``label_binary``).
    """
    from amigos_emo.training import pipeline
    from amigos_emo.training.tasks import target_specs

    sources = {"label": target} if target else None
    specs = target_specs(entry, builder.info.features, dataset_name=builder.name, sources=sources)
    train_raw, val_raw, test_raw = _load_fold_data(builder, fold)
    import tensorflow as tf

    n_train = _count_part(builder, fold, "train", train_raw)
    parts = {"train": train_raw, "validation": val_raw, "test": test_raw}
    for part, raw in parts.items():
        count = n_train if part == "train" else _count_part(builder, fold, part, raw)
        if count == 0:
            raise ValueError(
                f"fold {fold.index}: the {part} part is empty ({fold.describe()}). The prepared dataset "
                f"{builder.info.full_name} has too few subjects, trials or windows for this protocol; "
                "choose another --protocol or a larger corpus."
            )
        # Filtered parts have an unknown length; state it so Keras knows where an epoch ends.
        parts[part] = raw.apply(tf.data.experimental.assert_cardinality(count))
    train_raw, val_raw, test_raw = parts["train"], parts["validation"], parts["test"]
    input_stats = pipeline.fit_input_stats(train_raw, entry.inputs)
    train_targets = pipeline.collect_targets(train_raw, specs)
    regression_stats, majority, class_weight_spec = {}, {}, None
    for spec in specs:
        values = pipeline.encode_target_numpy(spec, train_targets[spec.name])
        if spec.kind == "regression":
            std = float(values.std()) or 1.0
            regression_stats[spec.name] = (float(values.mean()), std)
        else:
            majority[spec.name] = _majority(values)
            if spec.kind == "classification" and class_weights == "balanced":
                from sklearn.utils.class_weight import compute_class_weight

                present = np.unique(values)
                weights = np.ones(spec.n_classes)
                weights[present] = compute_class_weight("balanced", classes=present, y=values)
                class_weight_spec = (spec.name, weights)
    input_shapes = {name: tuple(builder.info.features[name].shape) for name in entry.inputs}
    size_bytes = n_train * sum(int(np.prod(s)) * 4 for s in input_shapes.values())
    cache = size_bytes < 2 * 1024**3
    return FoldData(
        fold=fold, entry=entry, specs=specs, input_shapes=input_shapes,
        n_outputs=next((s.n_classes for s in specs if s.kind == "classification"), None),
        input_stats=input_stats, regression_stats=regression_stats, majority=majority,
        class_weight_spec=class_weight_spec, n_train=n_train,
        steps_per_epoch=max(1, int(np.ceil(n_train / batch_size))), batch_size=batch_size, cache=cache,
        train_raw=train_raw.cache() if cache else train_raw,
        val_raw=val_raw.cache() if cache else val_raw, test_raw=test_raw,
    )


def run_fold(config, builder, fold, entry, fold_dir, policy, jit_compile, dist=None):
    """Train, select, evaluate and export one fold; returns its metrics dict.

    ``dist`` is the :class:`~amigos_emo.training.distribute.DistributedTraining` context
    (``--distribute``); only the chief writes outputs.
    """
    import contextlib

    import keras

    from amigos_emo.training.modeling import load_trained_model

    chief = dist is None or dist.chief
    scope = dist.scope if dist is not None else contextlib.nullcontext
    writable = dist.writable if dist is not None else (lambda path: path)
    os.makedirs(fold_dir, exist_ok=True)
    logger.info(fold.describe())
    batch_size = dist.global_batch_size if dist is not None else config.batch_size
    jit_compile = dist.jit_compile if dist is not None else jit_compile
    data = prepare_fold(builder, fold, entry, batch_size, config.class_weights, target=config.target)
    specs = data.specs
    # Each fold seeds itself, so a fold resumed after earlier folds were reused from disk starts
    # from the same weights as in an uninterrupted run.
    keras.utils.set_random_seed(config.seed * 1000 + fold.index)

    # --- model (or the interrupted run's last checkpoint) ---------------------------------
    state_path = os.path.join(fold_dir, "state.json")
    best_path = os.path.join(fold_dir, "best.keras")
    state = {"epochs_completed": 0, "best_val_loss": None, "best_epoch": None, "history": {}}
    previous = None
    if config.resume and os.path.exists(state_path):
        with open(state_path) as handle:
            previous = json.load(handle)
    if previous is not None and os.path.exists(os.path.join(fold_dir, previous.get("checkpoint") or "-")):
        state = previous
        last_path = os.path.join(fold_dir, state["checkpoint"])
        with scope():
            model = load_trained_model(last_path)
        _restore_seed_states(model, state.get("seed_states"))
        logger.info("Resuming fold %d after epoch %d", fold.index, state["epochs_completed"])
    else:
        with scope():
            keras.mixed_precision.set_global_policy(policy)
            try:
                core = entry.build(data.input_shapes, n_outputs=data.n_outputs, preset=config.preset)
            finally:
                keras.mixed_precision.set_global_policy("float32")
            model = data.wrap(core)
            compile_overrides = _compile_overrides(config, entry)
            entry.compile(model, steps_per_epoch=data.steps_per_epoch, epochs=config.epochs,
                          jit_compile=jit_compile, **compile_overrides)

    val_ds = data.eval_dataset("validation")
    tensorboard_dir = os.path.join(fold_dir, "tensorboard")
    callbacks = [
        keras.callbacks.TensorBoard(log_dir=tensorboard_dir, write_graph=False),
        _ConfusionMatrixImages.make(tensorboard_dir, val_ds, specs, data.targets("validation")),
    ]
    if entry.callbacks is not None:  # the seed's own schedule, e.g. reduce-on-plateau
        callbacks += [_AcrossEpochs.wrap(callback) for callback in entry.callbacks()]
    verbose = config.verbose if config.verbose is not None else (1 if sys.stdout.isatty() else 2)
    history = state["history"]
    for epoch in range(state["epochs_completed"], config.epochs):
        train_ds = data.train_dataset(epoch_seed=config.seed * 10_000 + epoch)
        fit = dist.fit if dist is not None else (lambda m, *a, **k: m.fit(*a, **k))
        result = fit(model, train_ds, validation_data=val_ds, initial_epoch=epoch, epochs=epoch + 1,
                     callbacks=callbacks, verbose=verbose, shuffle=False)
        for key, values in result.history.items():
            history.setdefault(key, []).extend(float(v) for v in values)
        val_loss = float(result.history["val_loss"][-1])
        if not np.isfinite(val_loss):
            raise FloatingPointError(f"fold {fold.index}, epoch {epoch + 1}: validation loss is {val_loss}; stopping.")
        if state["best_val_loss"] is None or val_loss < state["best_val_loss"]:
            state["best_val_loss"], state["best_epoch"] = val_loss, epoch + 1
            _atomic_save(model, writable(best_path))
        # A new file per epoch, named in state.json: a kill between the two writes leaves the
        # previous pair intact, so a resumed run never mixes one epoch's weights with another's.
        last_path = os.path.join(fold_dir, f"checkpoint_epoch_{epoch + 1:03d}.keras")
        _atomic_save(model, writable(last_path))
        state["checkpoint"] = os.path.basename(last_path)
        state["epochs_completed"] = epoch + 1
        state["history"] = history
        state["seed_states"] = [np.asarray(v).tolist() for v in _seed_state_variables(model)]
        if chief:
            reports.write_json(state_path, state)
            _remove_checkpoints(fold_dir, keep=state["checkpoint"])
    if not chief:  # workers stop here: the chief evaluates, exports and writes the results
        return None, history
    _write_history_csv(history, os.path.join(fold_dir, "history.csv"))

    # --- test on held-out subjects ----------------------------------------------------------
    best = load_trained_model(best_path)
    metrics = data.evaluate(best)
    for spec in specs:
        if spec.kind != "regression":
            reports.write_classification_report(
                metrics[spec.name], os.path.join(fold_dir, f"classification_report_{spec.name}.txt"),
                f"{spec.name}: fold {fold.index}, test subjects {', '.join(fold.test)}",
            )
            reports.plot_confusion_matrix(
                metrics[spec.name]["confusion_matrix"], spec.class_names,
                os.path.join(fold_dir, f"confusion_{spec.name}.png"),
                f"{spec.name}: fold {fold.index}, test subjects",
            )
    fold_result = {
        "fold": fold.index,
        "train": list(fold.train),
        "validation": list(fold.validation),
        "test": list(fold.test),
        "leaky": fold.leaky,
        "best_epoch": state["best_epoch"],
        "n_train_examples": data.n_train,
        "kinds": {s.name: s.kind for s in specs},
        "metrics": metrics,
        "training_targets": {"regression_mean_std": data.regression_stats, "majority_class": data.majority},
        "input_normalisation": {k: (v.to_json() if v is not None else None) for k, v in data.input_stats.items()},
    }
    if config.export:
        _atomic_export(best, os.path.join(fold_dir, "saved_model"))
    reports.write_json(os.path.join(fold_dir, "metrics.json"), fold_result)
    _remove_checkpoints(fold_dir, keep=None)
    return fold_result, history


def _write_history_csv(history, path):
    keys = sorted(history)
    n = max((len(v) for v in history.values()), default=0)
    with open(path, "w") as handle:
        handle.write("epoch," + ",".join(keys) + "\n")
        for i in range(n):
            row = [str(history[k][i]) if i < len(history[k]) else "" for k in keys]
            handle.write(f"{i + 1}," + ",".join(row) + "\n")


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


def _run_or_reuse_fold(config, builder, fold, entry, policy, jit_compile, dist):
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
    return run_fold(config, builder, fold, entry, fold_dir, policy, jit_compile, dist)


def run(config, builder=None):
    """Run ``config`` and return the final results dict (also written to metrics.json).

    Args:
        config: a :class:`RunConfig`.
        builder: an already prepared TFDS builder to use instead of ``config.dataset`` (tests).
    """

    from amigos_emo import datasets
    from amigos_emo.training.tasks import DEFAULT_MODELS

    name, dataset_config = datasets.split_dataset_name(config.dataset)
    if config.model is None:
        default_config, default_model = DEFAULT_MODELS.get(name, (None, None))
        if default_model is None:
            raise ValueError(f"Dataset {name!r} has no default model; pass --model.")
        config.model = default_model
        if dataset_config is None and default_config is not None:
            config.dataset = f"{name}/{default_config}"
    config.validate()
    config.output_dir = config.output_dir or default_output_dir(config)
    from amigos_emo.training import distribute

    # The strategy comes first: multi-worker collectives must be set up before any TF op.
    policy, jit_compile = resolve_speed_switches(config)
    with _op_determinism(not jit_compile), \
            distribute.distributed_training(config.distribute, config.batch_size, jit_compile) as dist:
        return _run(config, builder, dist, policy, jit_compile)


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
    import keras

    from amigos_emo import datasets
    from amigos_emo.models import get_model_entry
    from amigos_emo.training.protocols import LEAKY_PROTOCOLS, TRIAL_PROTOCOLS, make_folds

    if dist.chief:
        prepare_output_dir(config)
    started = time.time()

    entry = get_model_entry(config.model)
    if builder is None:
        builder = datasets.prepare(config.dataset, data_dir=config.data_dir, manual_dir=config.manual_dir)
    # Seed after preparing the data: building a corpus (NeuroKit2's simulators, for one) draws
    # from the global generators, and a run must not depend on whether its data were already built.
    keras.utils.set_random_seed(config.seed)
    subjects = datasets.subject_splits(builder)
    trials = subject_trials(builder, subjects) if config.protocol in TRIAL_PROTOCOLS else None
    folds = make_folds(config.protocol, subjects, seed=config.seed, n_folds=config.n_folds, trials=trials)
    if config.max_folds is not None:
        folds = folds[: config.max_folds]
    leaky = config.protocol in LEAKY_PROTOCOLS
    if leaky:
        logger.warning("Protocol %r is LEAKY: windows of the same subjects are in train and test; "
                       "its scores overstate what a new subject would see.", config.protocol)
    if dist.chief:
        _write_config(config, builder, entry, folds, policy, jit_compile, leaky, subjects)

    fold_results, histories = [], []
    for fold in folds:
        result, history = _run_or_reuse_fold(config, builder, fold, entry, policy, jit_compile, dist)
        fold_results.append(result)
        histories.append(history)
    if not dist.chief:
        return None
    return _finish(config, entry, folds, fold_results, histories, leaky, started)


def _write_config(config, builder, entry, folds, policy, jit_compile, leaky, subjects):
    reports.write_json(os.path.join(config.output_dir, "config.json"), {
        "run": dataclasses.asdict(config),
        "resolved": {"precision_policy": policy, "jit_compile": jit_compile, "n_folds": len(folds),
                     "leaky": leaky, "gpu": _has_gpu()},
        "dataset": {"name": builder.name, "config": builder.builder_config.name if builder.builder_config else None,
                    "version": str(builder.version), "data_dir": builder.data_dir,
                    "subjects": subjects},
        "model": {"name": entry.name, "task": entry.task, "preset": config.preset},
        "folds": [dataclasses.asdict(f) for f in folds],
        "versions": library_versions(),
    })



def _finish(config, entry, folds, fold_results, histories, leaky, started):
    from amigos_emo.training.evaluation import aggregate_folds

    kinds = fold_results[0]["kinds"]
    summary = aggregate_folds([r["metrics"] for r in fold_results], kinds)
    table = reports.summary_table(summary, kinds, config.protocol, leaky, len(folds))
    reports.plot_training_curves(histories, os.path.join(config.output_dir, "training_curves.png"),
                                 f"{entry.name} on {config.dataset} ({config.protocol})")
    results = {
        "dataset": config.dataset,
        "model": entry.name,
        "protocol": config.protocol,
        "leaky": leaky,
        "leak_warning": ("windows of the same subjects are in train and test; not subject-independent"
                         if leaky else None),
        "synthetic": "synthetic" in config.dataset,
        "seed": config.seed,
        "n_folds": len(folds),
        "aggregate": summary,
        "folds": fold_results,
        "summary_table": table,
        "seconds": round(time.time() - started, 1),
    }
    reports.write_json(os.path.join(config.output_dir, "metrics.json"), results)
    print("\n" + table)
    if results["synthetic"]:
        print("(SYNTHETIC data: these numbers test the pipeline, they say nothing about real recordings.)")
    print(f"\nOutputs in {os.path.abspath(config.output_dir)}")
    return results
