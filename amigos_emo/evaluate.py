"""``python -m amigos_emo.evaluate``: score a trained model on any split of a prepared corpus.

Loads a run's ``best.keras`` (or a run directory and ``--fold K``), works out each head's target
from the model's output names (the saved model is named ``<registry name>_trained``, so its
registry entry and :func:`amigos_emo.training.tasks.target_specs` give the same targets as in
training), runs it over the split and prints per-head metrics beside the trivial baselines of the
run: the training-subject mean (regression) and majority class (binary/classification), read from
the fold's ``metrics.json`` (``training_targets``). Without that file, regression heads fall back
to the mean stored in the model's own rescaling layer (the same training mean), and
classification heads to the majority class of the evaluated split itself, with a note saying so.

Example::

    python -m amigos_emo.evaluate --model runs/RUN --fold 0 --dataset amigos/synthetic \\
        --split subject_03+subject_07 --output scores.json
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np

from amigos_emo._logging import logger


def resolve_model_path(model, fold=None):
    """``best.keras`` of a fold from a file path, or from a run directory and a fold index.

    Args:
        model: a ``.keras`` file, a ``fold_XX`` directory, or a run directory (with ``fold``).
        fold: fold index (run directories only; defaults to the only fold when there is one).

    Returns:
        the ``best.keras`` path.

    Raises:
        FileNotFoundError: naming what was looked for.
    """
    model = os.fspath(model)
    if os.path.isfile(model):
        if fold is not None:
            logger.warning("--fold %s ignored: --model is a file (%s)", fold, model)
        return model
    if not os.path.isdir(model):
        raise FileNotFoundError(
            f"--model {model}: no such file or directory (expected best.keras or a run directory)."
        )
    if os.path.isfile(os.path.join(model, "best.keras")):
        return os.path.join(model, "best.keras")
    folds = sorted(
        d
        for d in os.listdir(model)
        if d.startswith("fold_") and os.path.isdir(os.path.join(model, d))
    )
    if fold is None:
        if len(folds) != 1:
            raise FileNotFoundError(
                f"--model {model} is a run directory with {len(folds)} folds ({', '.join(folds) or 'none'}); "
                "pass --fold K to choose one."
            )
        chosen = folds[0]
    else:
        chosen = f"fold_{int(fold):02d}"
    path = os.path.join(model, chosen, "best.keras")
    if not os.path.isfile(path):
        raise FileNotFoundError(
            f"{path} does not exist (run directory {model} has: {', '.join(folds) or 'no fold_XX folders'})."
        )
    return path


def load_fold_metrics(model_path):
    """The fold's ``metrics.json`` beside ``best.keras``, or ``None`` when absent."""
    path = os.path.join(os.path.dirname(os.path.abspath(model_path)), "metrics.json")
    if not os.path.exists(path):
        return None
    with open(path) as handle:
        return json.load(handle)


def _run_model_name(model_path):
    """The ``--model`` the run trained (``MODULE:NAME`` for a model from outside the package),
    from ``preprocessing.json`` beside the model; None when unknown."""
    from amigos_emo import preprocessing_spec

    try:
        return preprocessing_spec.read(model_path).extra.get("model")
    except (FileNotFoundError, ValueError):
        return None


def _rescaling_mean(keras_model, head):
    """Training mean stored in a regression head's rescaling layer (its offset: a weight of
    :class:`~amigos_emo.training.modeling.ScaleShift`, a float of the ``Rescaling`` in older
    files), or None."""
    try:
        layer = keras_model.get_layer(head)
    except ValueError:
        return None
    offset = getattr(layer, "offset", None)
    return None if offset is None else float(np.asarray(offset))


def evaluate_model(
    model, builder, split, batch_size=256, fold_metrics=None, target=None, model_name=None
):
    """Metrics of a trained model on ``split`` of a prepared builder, beside the baselines.

    Args:
        model: a loaded ``keras.Model`` named ``<registry name>_trained`` (a run's best.keras).
        builder: a prepared TFDS builder (:func:`amigos_emo.datasets.prepare`).
        split: a split string, e.g. ``"subject_03"`` or ``"subject_01+subject_02"``.
        batch_size: examples per forward pass.
        fold_metrics: the fold's ``metrics.json`` contents (training baselines, the run's target
            and inputs), or None.
        target: the dataset feature the ``label`` output is scored against; must equal the
            run's ``--target`` when that is known (a mismatch is refused).
        model_name: the registered name (``MODULE:NAME`` for a model from outside the package);
            default from the model's own name.

    Returns:
        dict with ``model``, ``dataset``, ``split``, ``n_examples``, ``metrics`` (head -> metrics
        dict as in a run's fold ``metrics.json``), ``kinds``, ``baseline_source`` and ``notes``.

    Raises:
        ValueError: the model name is not a registered model, the split is unknown or empty,
            the dataset lacks the model's inputs/targets, or ``target`` contradicts the run's.
    """
    from amigos_emo.models import get_model_entry
    from amigos_emo.training import evaluation, pipeline
    from amigos_emo.training.tasks import target_specs

    registry_name = model_name or (
        model.name[: -len("_trained")] if model.name.endswith("_trained") else model.name
    )
    entry = get_model_entry(registry_name)
    run_target = (fold_metrics or {}).get("targets", {}).get("label") if fold_metrics else None
    run_target = run_target if run_target != "label" else None
    if fold_metrics and "targets" in fold_metrics and (target or None) != run_target:
        raise ValueError(
            f"The run trained output 'label' on {run_target or 'label'!r}, not {target or 'label'!r}. Evaluate "
            f"with --target {run_target or 'label'} (the default is the run's own target)."
        )
    target = target or run_target
    inputs = tuple(
        (fold_metrics or {}).get("inputs")
        or entry.inputs
        or [t.name.split(":")[0] for t in model.inputs]
    )
    specs = target_specs(
        entry,
        builder.info.features,
        dataset_name=builder.name,
        sources={"label": target} if target else None,
        inputs=inputs,
    )
    missing_heads = [s.name for s in specs if s.name not in model.output_names]
    if missing_heads:
        raise ValueError(
            f"Model {model.name!r} has outputs {model.output_names}, not the registry's {missing_heads}."
        )
    known = set(builder.info.splits)
    unknown = [s for s in split.split("+") if s.split("[")[0] not in known]
    if unknown:
        raise ValueError(
            f"Split(s) {', '.join(unknown)} not in {builder.info.full_name}. Available: {', '.join(sorted(known))}."
        )
    notes = []
    if fold_metrics:
        seen = set(fold_metrics.get("train", [])) | set(fold_metrics.get("validation", []))
        overlap = sorted(seen & {s.split("[")[0] for s in split.split("+")})
        if overlap:
            notes.append(
                f"LEAK: {', '.join(overlap)} trained or selected this model (fold train/validation subjects); "
                "these scores are not subject-independent."
            )
    raw = builder.as_dataset(split=split, shuffle_files=False)
    if (fold_metrics or {}).get("normalise") == "subject":
        axes = pipeline.normalisation_axes(builder, inputs)
        stats = pipeline.subject_input_stats(raw, inputs, axes=axes)
        raw = pipeline.standardise_per_subject(raw, stats, inputs)
        notes.append(
            f"{pipeline.SUBJECT_NORMALISATION_NOTE} (as in training: each subject of {split} "
            "standardised with its own windows)."
        )
    dataset = pipeline.make_dataset(raw, inputs, specs, batch_size)
    predictions = model.predict(dataset, verbose=0)
    truth_raw = pipeline.collect_targets(raw, specs)
    n_examples = len(next(iter(truth_raw.values()))) if truth_raw else 0
    if n_examples == 0:
        raise ValueError(f"Split {split!r} of {builder.info.full_name} holds no examples.")

    training = (fold_metrics or {}).get("training_targets") or {}
    truth = {spec.name: pipeline.encode_target_numpy(spec, truth_raw[spec.name]) for spec in specs}
    means, majority, baseline_source = {}, {}, {}
    for spec in specs:
        if spec.kind == "regression":
            stats = (training.get("regression_mean_std") or {}).get(spec.name)
            if stats is not None:
                mean, source = float(stats[0]), "training mean (fold metrics.json)"
            else:
                mean = _rescaling_mean(model, spec.name)
                source = "training mean (from the model's rescaling layer; no metrics.json)"
                if mean is None:
                    mean, source = (
                        float(truth[spec.name].mean()),
                        "mean of the EVALUATED split (no training statistics found)",
                    )
                    notes.append(
                        f"{spec.name}: baseline is the evaluated split's own mean (it has seen the answers)."
                    )
            means[spec.name] = mean
        else:
            value = (training.get("majority_class") or {}).get(spec.name)
            if value is not None:
                source = "training majority class (fold metrics.json)"
            else:
                value = int(np.bincount(truth[spec.name].astype(np.int64)).argmax())
                source = "majority class of the EVALUATED split (no fold metrics.json)"
                notes.append(
                    f"{spec.name}: no fold metrics.json beside the model, so the baseline is the majority class of "
                    "the evaluated split itself (an optimistic baseline: it has seen the labels)."
                )
            majority[spec.name] = int(value)
        baseline_source[spec.name] = source
    metrics = evaluation.evaluate_heads(specs, predictions, truth, means, majority)
    return {
        "model": model.name,
        "dataset": builder.info.full_name,
        "split": split,
        "target": target or "label",
        "n_examples": int(n_examples),
        "kinds": {s.name: s.kind for s in specs},
        "metrics": metrics,
        "baseline_source": baseline_source,
        "notes": notes,
    }


def format_report(result):
    """A plain-text table: head, metric, model, baseline, where the baseline comes from."""
    from amigos_emo.training.evaluation import AGGREGATED

    lines = [
        f"{result['model']} on {result['dataset']} split {result['split']} ({result['n_examples']} examples)",
        f"{'head':<12} {'metric':<10} {'model':>9} {'baseline':>9}  baseline is",
    ]
    for head, kind in result["kinds"].items():
        values = result["metrics"][head]
        for metric in AGGREGATED[kind]:
            if metric.startswith("baseline_") or metric not in values:
                continue
            baseline = values.get(f"baseline_{metric}")
            shown = "-" if baseline is None else f"{baseline:9.3f}"
            lines.append(
                f"{head:<12} {metric:<10} {values[metric]:9.3f} {shown:>9}  "
                f"{result['baseline_source'][head] if baseline is not None else ''}"
            )
    for note in result["notes"]:
        lines.append(f"NOTE: {note}")
    if "synthetic" in result["dataset"]:
        lines.append(
            "(SYNTHETIC data: these numbers test the pipeline, they say nothing about real recordings.)"
        )
    return "\n".join(lines)


def build_parser():
    parser = argparse.ArgumentParser(
        prog="python -m amigos_emo.evaluate",
        description="Score a trained model (a run's best.keras) on a split of a prepared corpus, beside the "
        "run's trivial baselines.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--model",
        required=True,
        help="fold_XX/best.keras, a fold_XX folder, or a run directory with --fold",
    )
    parser.add_argument(
        "--fold", type=int, default=None, help="fold index when --model is a run directory"
    )
    parser.add_argument(
        "--dataset", required=True, help="NAME or NAME/CONFIG, e.g. amigos/synthetic"
    )
    parser.add_argument(
        "--split", required=True, help="split string, e.g. subject_03 or subject_01+subject_02"
    )
    parser.add_argument("--data-dir", default=None, help="where prepared TFDS datasets live")
    parser.add_argument(
        "--manual-dir", default=None, help="folder holding the corpus files as downloaded"
    )
    parser.add_argument(
        "--target",
        default=None,
        help="dataset feature the 'label' output is scored on; default and only allowed value: the "
        "run's own --target",
    )
    parser.add_argument("--batch-size", type=int, default=256, help="examples per forward pass")
    parser.add_argument("--output", default=None, help="write the results to this JSON file")
    return parser


def main(argv=None, builder=None):
    """Command-line entry point; ``builder`` replaces ``--dataset`` preparation (tests)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from amigos_emo import datasets
    from amigos_emo.training.modeling import load_trained_model
    from amigos_emo.training.reports import write_json

    args = build_parser().parse_args(argv)
    try:
        path = resolve_model_path(args.model, args.fold)
        model_name = _run_model_name(path)
        model = load_trained_model(path, compile=False, model_name=model_name)
        fold_metrics = load_fold_metrics(path)
        if builder is None:
            builder = datasets.prepare(
                args.dataset, data_dir=args.data_dir, manual_dir=args.manual_dir
            )
        result = evaluate_model(
            model,
            builder,
            args.split,
            batch_size=args.batch_size,
            fold_metrics=fold_metrics,
            target=args.target,
            model_name=model_name,
        )
    except (ValueError, FileNotFoundError, ImportError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    result["model_path"] = os.path.abspath(path)
    print(format_report(result))
    if args.output:
        write_json(args.output, result)
        print(f"\nWrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
