"""``RESULT.md``: a one-page result card beside a run's ``metrics.json``.

Written from ``config.json`` and ``metrics.json`` alone (plus ``calibration.json`` when
:func:`amigos_emo.training.calibration.calibrate_run` left one), so a card can be regenerated
for any finished run. It states what a reader needs to judge the numbers: the data and where
they came from, the protocol and whether it leaks, what the normalisation was fitted on, how
the model was selected, the trivial baselines, statistics across folds, calibration, software
versions and the exact command that reproduces the run.
"""

from __future__ import annotations

import dataclasses
import json
import os

import numpy as np

from amigos_emo.training.evaluation import HEADLINE

PROTOCOL_TEXT = {
    "subject-split": "one split of the subjects (70/15/15 train/validation/test); no subject is in two parts",
    "loso": "leave one subject out: one fold per subject, tested on a subject never seen in training",
    "kfold": "k folds across subjects; no subject is in two parts of a fold",
    "within-subject": "subject-dependent: per subject, folds grouped by trial (no trial is split)",
    "front-back": "subject-dependent: the first trials of each session train, the last ones test (SEED)",
    "cross-session": "leave one session out across all subjects (the same subjects are in train and test)",
    "random-window": "windows split at random across all subjects",
}
LEAK_TEXT = {
    "subject-split": "No: subject-independent.",
    "loso": "No: subject-independent.",
    "kfold": "No: subject-independent.",
    "within-subject": "Not across trials, but subject-dependent: it says nothing about a new subject.",
    "front-back": "Not across trials, but subject-dependent: it says nothing about a new subject.",
    "cross-session": "Across sessions only: the test subjects were seen in training (other sessions).",
    "random-window": "**YES, LEAKY**: windows of the same trials are in train and test; the scores overstate "
    "what a new subject (or even a new recording) would see.",
}
CARD_NAME = "RESULT.md"


def reproduce_command(run):
    """The ``python -m amigos_emo.train ...`` command line of a ``config.json`` "run" block.

    Every setting that differs from :class:`~amigos_emo.training.runner.RunConfig`'s defaults
    is passed (``resume``/``overwrite``/``verbose`` are not: they do not change results).
    """
    import shlex

    from amigos_emo.training.runner import RunConfig

    defaults = dataclasses.asdict(RunConfig())
    parts = ["python", "-m", "amigos_emo.train"]
    for key, value in run.items():
        if key in ("resume", "overwrite", "verbose") or key not in defaults:
            continue
        if key == "export":
            if value is False:
                parts.append("--no-export")
            continue
        if key not in ("dataset", "model", "protocol", "epochs", "seed") and value == defaults[key]:
            continue
        if value is None:
            continue
        parts += [f"--{key.replace('_', '-')}", str(value)]
    return " ".join(shlex.quote(p) for p in parts)


def _fmt(value, digits=3):
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "n/a"
    return f"{value:.{digits}f}"


def _table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _provenance(dataset):
    provenance = dataset.get("provenance")
    if provenance is None:
        return "not recorded in config.json"
    if isinstance(provenance, dict):
        return "; ".join(f"{k}: {v}" for k, v in provenance.items())
    return str(provenance)


def _statistics_rows(results, head, kind):
    from amigos_emo.training import statistics

    metric, baseline_metric = HEADLINE[kind]
    _, scores = statistics.fold_scores(results, head, metric)
    _, baseline = statistics.fold_scores(results, head, baseline_metric)
    name = "training-mean baseline" if kind == "regression" else "majority-class baseline"
    row = statistics.compare_models(
        {results["model"]: scores}, baseline, metric, baseline_name=name
    )[0]
    return metric, row


def _calibration(run_dir, metrics):
    if metrics.get("calibration"):
        return metrics["calibration"]
    path = os.path.join(run_dir, "calibration.json")
    if os.path.exists(path):
        with open(path) as handle:
            return json.load(handle)
    return None


def write_result_card(run_dir):
    """Write ``RESULT.md`` beside ``metrics.json`` of a finished run and return its path.

    Args:
        run_dir: the run's output directory (``config.json`` and ``metrics.json`` present).

    Raises:
        FileNotFoundError: ``config.json`` or ``metrics.json`` is missing (names it).
    """
    from amigos_emo.training import statistics

    paths = {name: os.path.join(run_dir, name) for name in ("config.json", "metrics.json")}
    for name, path in paths.items():
        if not os.path.exists(path):
            raise FileNotFoundError(
                f"{path}: missing; a result card needs a finished run ({name})."
            )
    with open(paths["config.json"]) as handle:
        config = json.load(handle)
    with open(paths["metrics.json"]) as handle:
        metrics = json.load(handle)
    run, dataset, protocol = config["run"], config["dataset"], metrics["protocol"]
    folds = metrics["folds"]
    kinds = folds[0]["kinds"]
    sklearn = folds[0].get("framework") == "sklearn"
    transductive = metrics.get("normalise") == "subject"
    title = (
        f"{metrics['model']} on {metrics['dataset']} ({protocol}"
        f"{', LEAKY' if metrics['leaky'] else ''}{', TRANSDUCTIVE' if transductive else ''})"
    )
    lines = [f"# {title}", ""]
    if metrics.get("synthetic"):
        lines += [
            "> **SYNTHETIC data**: these numbers test the pipeline; they say nothing about real recordings.",
            "",
        ]

    lines += ["## Data", ""]
    lines.append(
        f"- Dataset: `{dataset['name']}`, configuration `{dataset.get('config')}`, version {dataset.get('version')}"
    )
    lines.append(f"- Provenance: {_provenance(dataset)}")
    lines.append(f"- Subjects: {len(dataset.get('subjects') or [])}; folds: {metrics['n_folds']}")
    lines.append("")
    lines += ["## Protocol", ""]
    lines.append(f"- `{protocol}`: {PROTOCOL_TEXT.get(protocol, protocol)}.")
    lines.append(f"- Leaks? {LEAK_TEXT.get(protocol, 'see the protocol')}")
    if transductive:
        lines.append(f"- Normalisation: **{metrics['transductive_warning']}**.")
    else:
        lines.append("- Normalisation: fitted on the training subjects only.")
    lines.append(f"- Seed {metrics['seed']}: the same seed and protocol give the same folds.")
    lines.append("")
    lines += ["## Training", ""]
    if sklearn:
        lines.append(
            "- Normalisation: the pipeline's StandardScaler (where it has one) is fitted on each fold's "
            "training subjects only; trees use raw features."
        )
        lines.append(
            "- Model selection: none (one fit per fold on the training subjects; the validation "
            "subjects are used for the reported validation loss and for calibration only)."
        )
    else:
        lines.append(
            "- Normalisation: input mean/std fitted on each fold's **training subjects only** and saved "
            "inside the model; regression heads rescaled with the training targets' mean/std."
        )
        best_epochs = ", ".join(str(f.get("best_epoch")) for f in folds)
        lines.append(
            f"- Model selection: the epoch with the lowest validation loss on the fold's **validation "
            f"subjects** (never the test subjects), of {run.get('epochs')} epochs; best epochs per fold: "
            f"{best_epochs}."
        )
    lines.append(
        "- Baselines: training-subject mean (regression), training majority class (classification), "
        "scored on the same test windows."
    )
    lines.append("")

    lines += ["## Results (test subjects, mean +/- std over folds)", ""]
    rows = []
    for head, kind in kinds.items():
        metric, baseline_metric = HEADLINE[kind]
        aggregate = metrics["aggregate"][head]
        rows.append(
            [
                head,
                kind,
                metric,
                f"{_fmt(aggregate[metric]['mean'])} +/- {_fmt(aggregate[metric]['std'])}",
                f"{_fmt(aggregate[baseline_metric]['mean'])} +/- {_fmt(aggregate[baseline_metric]['std'])}",
                folds[0]["metrics"][head].get("baseline", ""),
            ]
        )
    lines += [_table(["head", "kind", "metric", "model", "baseline", "baseline is"], rows), ""]

    lines += ["## Statistics", ""]
    lines.append(
        f"Per-fold scores are the observations. 95 % CI: percentile bootstrap of the mean over folds "
        f"({statistics.N_BOOT} resamples, seed 0). p: two-sided Wilcoxon signed-rank test of the paired "
        f"per-fold scores against the baseline (Holm-adjusted; with one model the family is one test)."
    )
    lines.append("")
    rows, sentences = [], []
    for head, kind in kinds.items():
        metric, row = _statistics_rows(metrics, head, kind)
        rows.append(
            [
                head,
                metric,
                _fmt(row.mean),
                f"[{_fmt(row.ci_low)}, {_fmt(row.ci_high)}]",
                _fmt(row.baseline_mean),
                _fmt(row.p_vs_baseline_holm, 3),
                row.n_folds,
            ]
        )
        sentences.append(f"- {head}: " + row.sentence.split(";")[0] + ".")
    lines += [
        _table(["head", "metric", "mean", "95 % CI", "baseline", "p (Holm)", "folds"], rows),
        "",
    ]
    lines += sentences + [""]
    per_fold = [
        [f["fold"], ", ".join(f["test"])]
        + [
            _fmt(f["metrics"][h][HEADLINE[k][0]]) + " / " + _fmt(f["metrics"][h][HEADLINE[k][1]])
            for h, k in kinds.items()
        ]
        for f in folds
    ]
    header = ["fold", "test subjects"] + [
        f"{h} {HEADLINE[k][0]} (model / baseline)" for h, k in kinds.items()
    ]
    lines += ["Per fold:", "", _table(header, per_fold), ""]

    lines += ["## Calibration", ""]
    calibration = _calibration(run_dir, metrics)
    if not calibration or not calibration.get("heads"):
        lines += [
            "Not measured for this run (no classifier head, or `calibrate_run` was not run).",
            "",
        ]
    else:
        lines.append(
            f"Expected calibration error with {calibration.get('n_bins')} equal-width confidence bins, "
            "on the test subjects; temperature T fitted per fold on the validation subjects only."
        )
        lines.append("")
        rows = [
            [
                head,
                f"{_fmt(v['temperature']['mean'], 2)} +/- {_fmt(v['temperature']['std'], 2)}",
                f"{_fmt(v['ece_before']['mean'])}",
                f"{_fmt(v['ece_after']['mean'])}",
                f"{_fmt(v['nll_before']['mean'])}",
                f"{_fmt(v['nll_after']['mean'])}",
                str(v.get("folds_at_bound", "-")),
            ]
            for head, v in calibration["heads"].items()
        ]
        lines += [
            _table(
                [
                    "head",
                    "T",
                    "ECE before",
                    "ECE after",
                    "NLL before",
                    "NLL after",
                    "folds with T at its bound",
                ],
                rows,
            ),
            "",
        ]

    lines += ["## Software", ""]
    versions = config.get("versions", {})
    lines.append(", ".join(f"{k} {v}" for k, v in versions.items() if v is not None))
    resolved = config.get("resolved", {})
    lines.append(
        f"Precision {resolved.get('precision_policy')}, XLA {resolved.get('jit_compile')}, "
        f"GPU {resolved.get('gpu')}."
    )
    lines.append("")
    lines += ["## Reproduce", "", "```bash", reproduce_command(run), "```", ""]
    path = os.path.join(run_dir, CARD_NAME)
    tmp = path + ".tmp"
    with open(tmp, "w") as handle:
        handle.write("\n".join(lines))
    os.replace(tmp, path)
    return path
