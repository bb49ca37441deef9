"""One hyperparameter search end to end: what ``python -m amigos_emo.tune`` calls.

The search trains on the training subjects of a subject-independent fold and scores every trial
on that fold's VALIDATION SUBJECTS (never on windows of training subjects). The best
configuration is then retrained on training + validation subjects for the best trial's epoch
count and tested once on the held-out TEST subjects.

Output directory layout::

    OUTPUT_DIR/
      tune_config.json       resolved configuration, fold, versions
      search/                KerasTuner's project: oracle.json (the oracle's state) and one
                             trial_<id>/ per trial (trial.json, checkpoint); a rerun with the
                             same OUTPUT_DIR continues from here without repeating finished trials
      tensorboard/<trial_id>/execution0/   per-trial scalars and HParams (tensorboard --logdir)
      trials.json, trials.csv              ranked trials: rank, trial id, objective, best epoch,
                                           hyperparameters (rewritten after every search)
      best/                  the best configuration retrained on train + validation subjects:
        best.keras           raw signals in, ratings/classes out
        saved_model/         tf.saved_model export (endpoint "serve")
        history.csv
      metrics.json           test metrics beside the trivial baselines, the best trial and its
                             hyperparameters; written LAST, so its presence means the run finished

Distributed search (KerasTuner chief/worker over gRPC; ``pip install amigos-emo[tune-distributed]``):
run the same command once per process with ``KERASTUNER_TUNER_ID`` (``chief`` for the oracle,
``tuner0``, ``tuner1``, ... for workers), ``KERASTUNER_ORACLE_IP`` and
``KERASTUNER_ORACLE_PORT`` set. Workers run trials; the chief serves the oracle, and when every
trial has finished, ranks them and retrains the best configuration. See ``tuning/README.md``.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import json
import os
import sys
import time

from amigos_emo._checks import check_option
from amigos_emo._logging import logger
from amigos_emo.training.config import CommonConfig

TUNERS = ("random", "bayesian", "hyperband")
SEARCH_PROTOCOLS = ("subject-split", "loso", "kfold")


class TuneDirectoryError(RuntimeError):
    """The output directory holds a search made with other settings."""


@dataclasses.dataclass
class TuneConfig(CommonConfig):
    """Everything that defines a search (written to ``tune_config.json``): every option the
    training run shares (:class:`~amigos_emo.training.config.CommonConfig`, ``--target`` and
    ``--augment`` included) plus the search's own."""

    epochs: int = 10
    tuner: str = "random"
    max_trials: int = 10
    objective: str | None = None
    executions_per_trial: int = 1
    hyperband_factor: int = 3

    def validate(self):
        self.validate_common(SEARCH_PROTOCOLS)
        check_option(self.tuner, TUNERS, "tuner")
        for name in ("max_trials", "executions_per_trial"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be an int >= 1. Received: {name}={value!r}")
        if self.hyperband_factor < 2:
            raise ValueError(
                f"hyperband_factor must be >= 2. Received: hyperband_factor={self.hyperband_factor}"
            )
        if self.tuner == "hyperband" and self.epochs < self.hyperband_factor:
            raise ValueError(
                "tuner='hyperband' trains up to --epochs per trial and needs epochs >= hyperband_factor "
                f"({self.hyperband_factor}). Received: epochs={self.epochs}"
            )


def trial_seed(search_seed, trial_id):
    """The seed of one trial: a function of the search seed and the trial id only, so a trial
    run after a restart draws the same weights, dropout masks and batches as without one."""
    import zlib

    return (int(search_seed) * 1_000_003 + zlib.crc32(str(trial_id).encode())) % (2**31 - 1)


def seed_each_trial(tuner, search_seed):
    """Make ``tuner`` seed every trial with :func:`trial_seed` before building its model."""
    import keras

    original = tuner.run_trial

    def run_trial(trial, *args, **kwargs):
        keras.utils.set_random_seed(trial_seed(search_seed, trial.trial_id))
        return original(trial, *args, **kwargs)

    tuner.run_trial = run_trial
    return tuner


def parse_objective(text, default):
    """``"val_loss"``, ``"val_valence_auc:max"`` or a comma-separated list -> KerasTuner objective.

    ``None`` gives ``default`` (the hypermodel's). A name without ``:min``/``:max`` gets the
    direction KerasTuner infers from it (``loss``/``mae`` minimised, ``accuracy``/``auc``
    maximised), or an error that says to add one.
    """
    import keras_tuner
    from keras_tuner.src.engine import metrics_tracking

    if text is None:
        return default
    objectives = []
    for item in str(text).split(","):
        item = item.strip()
        name, _, direction = item.partition(":")
        if not name:
            raise ValueError(
                f"objective names a metric, e.g. val_loss. Received: objective={text!r}"
            )
        if direction:
            check_option(direction, ("min", "max"), f"direction of objective {name!r}")
        else:
            direction = metrics_tracking.infer_metric_direction(name)
            if direction is None:
                last = name.rsplit("_", 1)[-1]
                direction = {
                    "loss": "min",
                    "mae": "min",
                    "mse": "min",
                    "auc": "max",
                    "accuracy": "max",
                }.get(last)
            if direction is None:
                raise ValueError(
                    f"Cannot tell whether to minimise or maximise {name!r}; write {name}:min or {name}:max. "
                    f"Received: objective={text!r}"
                )
        objectives.append(keras_tuner.Objective(name, direction=direction))
    return objectives[0] if len(objectives) == 1 else objectives


def _objective_names(objective):
    items = objective if isinstance(objective, list) else [objective]
    return [f"{o.name}:{o.direction}" if hasattr(o, "name") else str(o) for o in items]


def distributed_role():
    """``"chief"``, ``"worker"`` or ``None`` (not distributed), from KerasTuner's variables."""
    if "KERASTUNER_ORACLE_IP" not in os.environ:
        return None
    missing = [v for v in ("KERASTUNER_ORACLE_PORT", "KERASTUNER_TUNER_ID") if v not in os.environ]
    if missing:
        raise ValueError(
            f"Distributed search needs KERASTUNER_TUNER_ID, KERASTUNER_ORACLE_IP and KERASTUNER_ORACLE_PORT; "
            f"missing {missing}. Received: KERASTUNER_ORACLE_IP={os.environ['KERASTUNER_ORACLE_IP']!r}"
        )
    try:
        import google.protobuf  # noqa: F401
        import grpc  # noqa: F401
    except ImportError as error:
        raise ImportError(
            "Distributed search needs grpcio and protobuf: pip install 'amigos-emo[tune-distributed]'"
        ) from error
    return "chief" if os.environ["KERASTUNER_TUNER_ID"] == "chief" else "worker"


def make_tuner(config, hypermodel, objective):
    """The KerasTuner tuner of ``config.tuner`` with its state in ``OUTPUT_DIR/search``."""
    import keras_tuner

    common = {
        "objective": objective,
        "seed": config.seed,
        "directory": config.output_dir,
        "project_name": "search",
        "overwrite": False,  # resume: the oracle's state in search/ is reloaded
        "executions_per_trial": config.executions_per_trial,
    }
    if config.tuner == "random":
        return keras_tuner.RandomSearch(hypermodel, max_trials=config.max_trials, **common)
    if config.tuner == "bayesian":
        return keras_tuner.BayesianOptimization(hypermodel, max_trials=config.max_trials, **common)
    tuner = keras_tuner.Hyperband(
        hypermodel, max_epochs=config.epochs, factor=config.hyperband_factor, **common
    )
    tuner.oracle.max_trials = config.max_trials  # a cap on Hyperband's brackets
    return tuner


def epoch_datasets(fold_data, seed, n_epochs):
    """Training data for ``n_epochs`` epochs, each shuffled with the trainer's epoch seed
    (``seed * 10000 + epoch``), as one stream; fit with ``steps_per_epoch=fold_data.steps_per_epoch``."""
    dataset = fold_data.train_dataset(epoch_seed=seed * 10_000)
    for epoch in range(1, n_epochs):
        dataset = dataset.concatenate(fold_data.train_dataset(epoch_seed=seed * 10_000 + epoch))
    return dataset


def _trial_epochs(trial):
    """The trial's best epoch as an absolute 1-based epoch count (Hyperband resumes trials)."""
    initial = int(trial.hyperparameters.values.get("tuner/initial_epoch", 0) or 0)
    return initial + int(trial.best_step or 0) + 1


def rank_trials(oracle):
    """Rows for trials.json/.csv: completed trials best first, then the others (unranked)."""
    best = oracle.get_best_trials(num_trials=len(oracle.trials))
    best_ids = [t.trial_id for t in best]
    rows = []
    for rank, trial in enumerate(best, start=1):
        rows.append(_trial_row(trial, rank))
    for trial_id in sorted(oracle.trials):
        if trial_id not in best_ids:
            rows.append(_trial_row(oracle.trials[trial_id], None))
    return rows


def _trial_row(trial, rank):
    values = {k: v for k, v in trial.hyperparameters.values.items()}
    return {
        "rank": rank,
        "trial_id": trial.trial_id,
        "status": str(trial.status),
        "objective": None if trial.score is None else float(trial.score),
        "best_epoch": _trial_epochs(trial) if trial.score is not None else None,
        "hyperparameters": values,
    }


def write_trials(rows, output_dir):
    from amigos_emo.training import reports

    reports.write_json(os.path.join(output_dir, "trials.json"), rows)
    names = sorted({k for row in rows for k in row["hyperparameters"]})
    path = os.path.join(output_dir, "trials.csv")
    with open(path + ".tmp", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["rank", "trial_id", "status", "objective", "best_epoch", *names])
        for row in rows:
            writer.writerow(
                [
                    "" if row["rank"] is None else row["rank"],
                    row["trial_id"],
                    row["status"],
                    "" if row["objective"] is None else row["objective"],
                    "" if row["best_epoch"] is None else row["best_epoch"],
                    *[row["hyperparameters"].get(n, "") for n in names],
                ]
            )
    os.replace(path + ".tmp", path)


def format_trials(rows, objective_label, limit=10):
    """The ranked table printed after a search."""
    names = sorted(
        {k for row in rows for k in row["hyperparameters"] if not k.startswith("tuner/")}
    )
    lines = [f"Trials ranked by {objective_label} (score: lower is better)"]
    header = ["rank", "trial", "score", "epochs"] + names
    body = []
    for row in rows[:limit]:
        body.append(
            [
                "-" if row["rank"] is None else str(row["rank"]),
                row["trial_id"],
                "-" if row["objective"] is None else f"{row['objective']:.4g}",
                "-" if row["best_epoch"] is None else str(row["best_epoch"]),
                *[_short(row["hyperparameters"].get(n, "")) for n in names],
            ]
        )
    widths = [
        max(len(h), *(len(r[i]) for r in body)) if body else len(h) for i, h in enumerate(header)
    ]
    lines.append("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    lines.extend("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in body)
    if len(rows) > limit:
        lines.append(f"... {len(rows) - limit} more in trials.csv")
    return "\n".join(lines)


def _short(value):
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value)


def _check_directory(config, fold):
    """Refuse to continue a search made with other settings (the oracle would mix them)."""
    path = os.path.join(config.output_dir, "tune_config.json")
    if config.overwrite:
        from amigos_emo.training.artifacts import _clear

        _clear(config.output_dir)
    if not os.path.exists(path):
        return
    with open(path) as handle:
        previous = json.load(handle)["search"]
    keep = (
        "model",
        "dataset",
        "tuner",
        "objective",
        "epochs",
        "batch_size",
        "seed",
        "protocol",
        "preset",
        "executions_per_trial",
        "hyperband_factor",
        "class_weights",
        "target",
        "augment",
        "augment_ratio",
    )
    changed = {
        k: (previous.get(k), getattr(config, k))
        for k in keep
        if previous.get(k) != getattr(config, k)
    }
    if changed:
        details = ", ".join(f"{k}: {a!r} -> {b!r}" for k, (a, b) in changed.items())
        raise TuneDirectoryError(
            f"{config.output_dir} holds a search with other settings ({details}). Continue it with the same "
            "settings (only --max-trials may grow), pass --overwrite to start over, or choose another --output-dir."
        )


def run_search(config, builder=None):
    """Search, rank, retrain the best configuration and test it; returns the results dict.

    Args:
        config: a :class:`TuneConfig`.
        builder: an already prepared TFDS builder to use instead of ``config.dataset`` (tests).

    Returns:
        dict (also ``metrics.json``); on a distributed worker, ``{"role": "worker", ...}`` once
        the chief has no trial left for it.
    """
    from amigos_emo.tuning.registry import get_hypermodel_class

    if builder is None:
        config.resolve_defaults()
    elif config.model is None:
        config.model = getattr(builder, "DEFAULT_MODEL", None)
        if config.model is None:
            raise ValueError(f"Dataset {builder.name!r} has no default model; pass --model.")
    config.validate()
    hypermodel_class = get_hypermodel_class(config.model)
    role = distributed_role()
    config.output_dir = config.output_dir or os.path.join(
        "tuning_runs",
        f"{config.dataset.replace('/', '-')}{'-' + config.target if config.target else ''}_"
        f"{str(config.model).replace(':', '-').replace('.', '-')}_{config.tuner}_seed{config.seed}",
    )
    if role == "worker" and config.overwrite:
        raise ValueError(
            "--overwrite on a distributed worker would delete the chief's search; pass it to the chief only."
        )
    with contextlib.ExitStack() as stack:
        if role != "worker":  # one chief per search folder; workers share the chief's folder
            from amigos_emo.io.locks import LockedError, ProcessLock

            os.makedirs(config.output_dir, exist_ok=True)
            lock = ProcessLock(
                os.path.join(config.output_dir, ".lock"),
                what=f"search folder {config.output_dir}",
                blocking=False,
            )
            try:
                stack.enter_context(lock)
            except LockedError as error:
                raise TuneDirectoryError(str(error)) from None
        return _search(config, builder, role, hypermodel_class)


def _search(config, builder, role, hypermodel_class):
    import keras

    from amigos_emo import datasets
    from amigos_emo.models import get_model_entry
    from amigos_emo.training import reports
    from amigos_emo.training.artifacts import atomic_export, atomic_save, write_history_csv
    from amigos_emo.training.config import has_gpu, library_versions, resolve_speed_switches
    from amigos_emo.training.fold_data import prepare_fold_for
    from amigos_emo.training.protocols import Fold, make_folds
    from amigos_emo.training.runner import dataset_record, make_augmenter

    started = time.time()
    keras.utils.set_random_seed(config.seed)
    policy, jit_compile = resolve_speed_switches(config)
    entry = get_model_entry(config.model)

    if builder is None:
        builder = datasets.prepare(
            config.dataset, data_dir=config.data_dir, manual_dir=config.manual_dir
        )
    subjects = datasets.subject_splits(builder)
    fold = make_folds(config.protocol, subjects, seed=config.seed)[0]
    if role != "worker":
        _check_directory(config, fold)
    objective = parse_objective(config.objective, hypermodel_class.default_objective)
    if role != "worker":
        reports.write_json(
            os.path.join(config.output_dir, "tune_config.json"),
            {
                "search": dataclasses.asdict(config),
                "resolved": {
                    "objective": _objective_names(objective),
                    "precision_policy": policy,
                    "jit_compile": jit_compile,
                    "gpu": has_gpu(),
                    "distributed_role": role,
                },
                "dataset": dataset_record(builder, subjects),
                "fold": dataclasses.asdict(fold),
                "versions": library_versions(),
            },
        )
    logger.info(
        "search: %s; trials validate on the held-out subjects %s",
        fold.describe(),
        ", ".join(fold.validation),
    )
    print(
        f"Searching {config.model} with {config.tuner} ({config.max_trials} trials max, {config.epochs} epochs each); "
        f"train on {len(fold.train)} subjects, validate on {', '.join(fold.validation)}",
        flush=True,
    )

    data = prepare_fold_for(config, builder, fold, entry, make_augmenter(config, builder))
    hypermodel = hypermodel_class(
        data,
        preset=config.preset,
        epochs=config.epochs,
        jit_compile=jit_compile,
        precision_policy=policy,
    )
    tuner = seed_each_trial(make_tuner(config, hypermodel, objective), config.seed)
    verbose = config.verbose if config.verbose is not None else (1 if sys.stdout.isatty() else 2)
    tuner.search(
        epoch_datasets(data, config.seed, config.epochs),
        validation_data=data.eval_dataset("validation"),
        epochs=config.epochs,
        steps_per_epoch=data.train_steps_per_epoch,
        callbacks=[
            keras.callbacks.TensorBoard(
                log_dir=os.path.join(config.output_dir, "tensorboard"), write_graph=False
            )
        ],
        verbose=verbose,
    )
    if role == "worker":
        print(
            f"Worker {os.environ['KERASTUNER_TUNER_ID']}: no trials left; the chief ranks and retrains."
        )
        return {"role": "worker", "tuner_id": os.environ["KERASTUNER_TUNER_ID"]}

    # --- rank -----------------------------------------------------------------------------------
    oracle = tuner.oracle
    rows = rank_trials(oracle)
    write_trials(rows, config.output_dir)
    objective_label = ", ".join(_objective_names(objective))
    table = format_trials(rows, objective_label)
    print("\n" + table, flush=True)
    best_trials = oracle.get_best_trials(1)
    if not best_trials:
        raise RuntimeError(
            f"No trial of the search in {config.output_dir}/search completed (statuses: "
            f"{sorted({str(t.status) for t in oracle.trials.values()})}); see the trial messages in trials.json "
            "and search/trial_*/trial.json."
        )
    best_trial = best_trials[0]
    best_epochs = _trial_epochs(best_trial)

    # --- retrain the best configuration on train + validation subjects, test once --------------
    retrain_fold = Fold(
        index=fold.index,
        train=tuple(sorted(fold.train + fold.validation)),
        validation=fold.validation,
        test=fold.test,
        note=f"retraining of trial {best_trial.trial_id} on train + validation subjects",
    )
    print(
        f"\nRetraining trial {best_trial.trial_id} for {best_epochs} epoch(s) on {len(retrain_fold.train)} subjects "
        f"(train + validation); testing on {', '.join(fold.test)}",
        flush=True,
    )
    keras.utils.set_random_seed(config.seed)
    retrain_data = prepare_fold_for(
        config, builder, retrain_fold, entry, make_augmenter(config, builder)
    )
    retrain_hypermodel = hypermodel_class(
        retrain_data,
        preset=config.preset,
        epochs=best_epochs,
        jit_compile=jit_compile,
        precision_policy=policy,
    )
    model = retrain_hypermodel.build(best_trial.hyperparameters.copy())
    callbacks = [
        c
        for c in retrain_hypermodel.callbacks()
        if not isinstance(c, keras.callbacks.ReduceLROnPlateau)
    ]  # no validation data to watch
    history = model.fit(
        epoch_datasets(retrain_data, config.seed, best_epochs),
        epochs=best_epochs,
        steps_per_epoch=retrain_data.train_steps_per_epoch,
        callbacks=callbacks,
        verbose=verbose,
    )
    best_dir = os.path.join(config.output_dir, "best")
    os.makedirs(best_dir, exist_ok=True)
    write_history_csv(
        {k: [float(v) for v in vs] for k, vs in history.history.items()},
        os.path.join(best_dir, "history.csv"),
    )
    atomic_save(model, os.path.join(best_dir, "best.keras"))
    if config.export:
        atomic_export(model, os.path.join(best_dir, "saved_model"))
    metrics = retrain_data.evaluate(model)
    kinds = {s.name: s.kind for s in retrain_data.specs}
    results = {
        "dataset": config.dataset,
        "model": config.model,
        "tuner": config.tuner,
        "objective": _objective_names(objective),
        "protocol": config.protocol,
        "synthetic": "synthetic" in config.dataset,
        "n_trials": len(oracle.trials),
        "n_completed_trials": sum(1 for r in rows if r["rank"] is not None),
        "best_trial": {
            "trial_id": best_trial.trial_id,
            "objective": float(best_trial.score),
            "best_epoch": best_epochs,
            "hyperparameters": dict(best_trial.hyperparameters.values),
        },
        "search_fold": {
            "train": list(fold.train),
            "validation": list(fold.validation),
            "test": list(fold.test),
        },
        "retrained_on": list(retrain_fold.train),
        "kinds": kinds,
        "metrics": metrics,
        "training_targets": {
            "regression_mean_std": retrain_data.regression_stats,
            "majority_class": retrain_data.majority,
        },
        "seconds": round(time.time() - started, 1),
    }
    reports.write_json(os.path.join(config.output_dir, "metrics.json"), results)
    print(
        "\nTest subjects "
        + ", ".join(fold.test)
        + " (best configuration, beside the trivial baselines):"
    )
    print(_metrics_lines(metrics, kinds))
    if results["synthetic"]:
        print(
            "(SYNTHETIC data: these numbers test the pipeline, they say nothing about real recordings.)"
        )
    print(f"\nOutputs in {os.path.abspath(config.output_dir)}")
    return results


def _metrics_lines(metrics, kinds):
    lines = []
    for head, values in metrics.items():
        shown = {
            k: v
            for k, v in values.items()
            if isinstance(v, int | float) and not isinstance(v, bool)
        }
        text = ", ".join(f"{k} {v:.3f}" for k, v in sorted(shown.items()))
        lines.append(f"  {head} ({kinds.get(head)}): {text}")
    return "\n".join(lines)


__all__ = [
    "TUNERS",
    "TuneConfig",
    "TuneDirectoryError",
    "make_tuner",
    "parse_objective",
    "rank_trials",
    "run_search",
]
