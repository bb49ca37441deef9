"""``python -m amigos_emo.benchmark``: several models on the same folds, with statistics.

For each dataset and model it runs :func:`amigos_emo.training.runner.run` (scikit-learn
baselines: :func:`amigos_emo.training.classic.run_classic_fold`) with the same protocol and seed, so
every model is tested on the same subjects; adds the classic feature baselines (``logreg``,
``random_forest``) where the dataset has a ``features`` input; temperature-scales classifier
heads on the validation subjects (:func:`amigos_emo.training.calibration.calibrate_run`);
writes a ``RESULT.md`` card per run, then one table of all models (CSV, Markdown, PNG) with
mean +/- std over folds, a bootstrap 95 % CI, Wilcoxon p-values against the trivial baseline and
against the best model (Holm-adjusted over the table), ECE before/after temperature scaling,
and a benchmark ``RESULT.md``.

Output layout::

    OUTPUT_DIR/
      <dataset>/<model>/            one run per model (the runner's layout, plus RESULT.md,
                                    calibration.json, fold_XX/calibrated.keras)
      <dataset>/random-window/<model>/   --audit: the same model under the LEAKY protocol
      benchmark.csv, benchmark.md, benchmark.png, benchmark.json, RESULT.md

Resumable: a model whose run has ``metrics.json`` is not rerun; an unfinished run is continued
(``resume=True``: finished folds are reused, an interrupted fold restarts from its last epoch).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys

import numpy as np

from amigos_emo._logging import logger

EPILOG = """\
examples:
  python -m amigos_emo.benchmark --dataset muse/features --models gru_classifier --protocol loso
  python -m amigos_emo.benchmark --dataset amigos/synthetic --models multimodal_lstm:lightweight,multimodal_lstm:moderate
  python -m amigos_emo.benchmark --dataset muse/features --models gru_classifier --audit --manual-dir ~/data/muse

models: registry names, optionally NAME:PRESET; the classic baselines logreg and random_forest
  are added where the dataset has a 'features' input (--no-classic to skip them).
--audit: every model also runs under random-window (LEAKY) and the gap is reported.
"""

AUDIT_PROTOCOL = "random-window"


@dataclasses.dataclass
class BenchmarkConfig:
    """Everything that defines a benchmark (written to ``benchmark.json``)."""

    datasets: tuple = ("amigos/synthetic",)
    models: tuple = ("multimodal_lstm",)
    protocol: str = "loso"
    audit: bool = False
    classic: bool = True
    calibrate: bool = True
    epochs: int = 12
    batch_size: int = 64
    max_folds: int | None = None
    n_folds: int = 5
    seed: int = 0
    output_dir: str = "benchmarks"
    data_dir: str | None = None
    manual_dir: str | None = None
    n_boot: int = 10_000
    verbose: int = 0

    def validate(self):
        from amigos_emo._checks import check_option
        from amigos_emo.training.protocols import PROTOCOLS

        check_option(self.protocol, PROTOCOLS, "protocol")
        if not self.datasets:
            raise ValueError("datasets must name at least one dataset. Received: datasets=()")
        for name in ("epochs", "batch_size", "n_boot"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name} must be >= 1. Received: {name}={getattr(self, name)}")
        if self.audit and self.protocol == AUDIT_PROTOCOL:
            raise ValueError(
                f"--audit compares an honest protocol with {AUDIT_PROTOCOL}; choose another --protocol. "
                f"Received: protocol={self.protocol!r}"
            )


def parse_model_spec(spec):
    """``"multimodal_lstm:moderate"`` -> ``("multimodal_lstm", "moderate")``; no preset -> None."""
    name, _, preset = str(spec).strip().partition(":")
    if not name:
        raise ValueError(f"model names must not be empty. Received: models entry {spec!r}")
    return name, (preset or None)


def model_label(name, preset):
    """Folder and table name of a model: ``name`` or ``name-preset``."""
    return name if preset is None else f"{name}-{preset}"


def dataset_slug(dataset):
    return str(dataset).replace("/", "-")


def models_for_dataset(config, features):
    """The ``(name, preset)`` pairs to run on a dataset with ``features``, and skipped ones.

    Returns:
        ``(selected, skipped)``: a list of pairs, and a dict label -> reason.
    """
    from amigos_emo.models import get_model_entry, list_models

    requested = [parse_model_spec(m) for m in config.models]
    if config.classic and "features" in features:
        for name in list_models(framework="sklearn"):
            if name not in {n for n, _ in requested}:
                requested.append((name, None))
    selected, skipped = [], {}
    for name, preset in requested:
        entry = get_model_entry(name)
        missing = [i for i in entry.inputs if i not in features]
        if missing:
            skipped[model_label(name, preset)] = (
                f"needs input(s) {', '.join(missing)} the dataset lacks"
            )
            continue
        if preset is not None and preset not in entry.presets:
            raise ValueError(
                f"Unknown preset for {name}. Expected one of: {', '.join(sorted(entry.presets))}. "
                f"Received: preset={preset!r}"
            )
        selected.append((name, preset))
    return selected, skipped


def run_one(config, dataset, builder, name, preset, protocol, run_dir):
    """Run (or reuse, or resume) one model under one protocol; returns its results dict."""
    from amigos_emo.training import runner

    done = os.path.join(run_dir, "metrics.json")
    if os.path.exists(done):
        logger.info("%s already finished; reusing %s", model_label(name, preset), done)
        with open(done) as handle:
            return json.load(handle)
    started = os.path.isdir(run_dir) and any(os.scandir(run_dir))
    run_config = runner.RunConfig(
        dataset=dataset,
        model=name,
        preset=preset,
        protocol=protocol,
        n_folds=config.n_folds,
        max_folds=config.max_folds,
        epochs=config.epochs,
        batch_size=config.batch_size,
        seed=config.seed,
        output_dir=run_dir,
        data_dir=config.data_dir,
        manual_dir=config.manual_dir,
        resume=started,
        export=False,
        verbose=config.verbose,
    )
    if started:
        logger.info("%s: continuing the unfinished run in %s", model_label(name, preset), run_dir)
    return runner.run(run_config, builder=builder)  # dispatches scikit-learn entries to classic


def _finish_run(config, run_dir, builder):
    """Calibration and the per-run RESULT.md (both skip work already done)."""
    from amigos_emo.training import calibration, result_card

    summary = None
    if config.calibrate:
        summary = calibration.calibrate_run(run_dir, builder)
    result_card.write_result_card(run_dir)
    return summary


def _headline_groups(runs):
    """(head, kind) pairs in first-seen order across runs."""
    groups = {}
    for results in runs.values():
        for head, kind in results["folds"][0]["kinds"].items():
            groups.setdefault(head, kind)
    return groups


def table_rows(dataset, protocol, runs, calibrations, n_boot=10_000, seed=0):
    """Benchmark table rows for one dataset and protocol.

    Args:
        dataset: the dataset name (for the rows).
        protocol: the protocol every run used.
        runs: dict model label -> results dict (``metrics.json``), all with the same folds.
        calibrations: dict model label -> ``calibrate_run`` summary (or None).

    Returns:
        list of dicts (one per model and head; see :data:`CSV_COLUMNS`).

    Raises:
        ValueError: the runs were not made on the same folds (different test subjects).
    """
    from amigos_emo.training import statistics
    from amigos_emo.training.evaluation import HEADLINE

    rows = []
    for head, kind in _headline_groups(runs).items():
        metric, baseline_metric = HEADLINE[kind]
        having = {label: r for label, r in runs.items() if head in r["folds"][0]["kinds"]}
        keys, scores, baseline = None, {}, None
        for label, results in having.items():
            fold_keys, values = statistics.fold_scores(results, head, metric)
            _, base = statistics.fold_scores(results, head, baseline_metric)
            if keys is None:
                keys, baseline = fold_keys, base
            elif fold_keys != keys:
                raise ValueError(
                    f"{dataset} ({protocol}): model {label!r} was tested on folds {fold_keys}, the first model "
                    f"on {keys}; a benchmark compares runs made with the same protocol and seed."
                )
            elif not np.allclose(base, baseline, equal_nan=True):
                logger.warning(
                    "%s: %s's trivial baseline differs from the first model's (%s vs %s)",
                    head,
                    label,
                    base.tolist(),
                    baseline.tolist(),
                )
            scores[label] = values
        name = "training-mean baseline" if kind == "regression" else "majority-class baseline"
        compared = statistics.compare_models(
            scores, baseline, metric, baseline_name=name, n_boot=n_boot, seed=seed
        )
        for row in compared:
            calibration = ((calibrations.get(row.model) or {}).get("heads") or {}).get(head, {})
            rows.append(
                {
                    "dataset": dataset,
                    "protocol": protocol,
                    "leaky": bool(having[row.model]["leaky"]),
                    "head": head,
                    "metric": metric,
                    **row.to_json(),
                    "baseline": name,
                    "fold_keys": keys,
                    "fold_scores": scores[row.model].tolist(),
                    "baseline_scores": baseline.tolist(),
                    "ece_before": calibration.get("ece_before", {}).get("mean"),
                    "ece_after": calibration.get("ece_after", {}).get("mean"),
                    "temperature": calibration.get("temperature", {}).get("mean"),
                    "folds_t_at_bound": calibration.get("folds_at_bound"),
                }
            )
    return rows


CSV_COLUMNS = (
    "dataset",
    "protocol",
    "leaky",
    "head",
    "metric",
    "model",
    "n_folds",
    "mean",
    "std",
    "ci_low",
    "ci_high",
    "baseline",
    "baseline_mean",
    "p_vs_baseline",
    "p_vs_baseline_holm",
    "best",
    "p_vs_best",
    "p_vs_best_holm",
    "ece_before",
    "ece_after",
    "temperature",
    "folds_t_at_bound",
    "sentence",
)


def _fmt(value, digits=3):
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "-"
    return f"{value:.{digits}f}" if isinstance(value, float) else str(value)


def write_csv(rows, path):
    import csv

    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_COLUMNS, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: row.get(k) for k in CSV_COLUMNS})
    return path


def markdown_tables(rows):
    """One Markdown table per (dataset, protocol, head), with the sentences below it."""
    out = []
    groups = {}
    for row in rows:
        groups.setdefault((row["dataset"], row["protocol"], row["head"]), []).append(row)
    for (dataset, protocol, head), group in groups.items():
        leaky = " - **LEAKY**" if group[0]["leaky"] else ""
        metric = group[0]["metric"]
        out += [f"### {dataset}, {protocol}{leaky}: {head} ({metric}, test subjects)", ""]
        out.append(
            f"| model | {metric} mean +/- std | 95 % CI | {group[0]['baseline']} | p vs baseline (Holm) | "
            "p vs best (Holm) | ECE before | ECE after T | folds |"
        )
        out.append("|---|---|---|---|---|---|---|---|---|")
        for r in group:
            out.append(
                f"| {r['model']} | {_fmt(r['mean'])} +/- {_fmt(r['std'])} | [{_fmt(r['ci_low'])}, "
                f"{_fmt(r['ci_high'])}] | {_fmt(r['baseline_mean'])} | {_fmt(r['p_vs_baseline_holm'])} | "
                f"{_fmt(r['p_vs_best_holm']) if r['p_vs_best_holm'] is not None else 'best'} | "
                f"{_fmt(r['ece_before'])} | {_fmt(r['ece_after'])} | {r['n_folds']} |"
            )
        out.append("")
        out += [f"- {r['sentence']}" for r in group]
        out.append("")
    return "\n".join(out)


def audit_gaps(rows):
    """Honest vs LEAKY rows of the same dataset, model and head: ``leaky mean - honest mean``."""
    honest = {(r["dataset"], r["model"], r["head"]): r for r in rows if not r["leaky"]}
    gaps = []
    for r in rows:
        key = (r["dataset"], r["model"], r["head"])
        if r["leaky"] and key in honest:
            h = honest[key]
            gaps.append(
                {
                    "dataset": r["dataset"],
                    "model": r["model"],
                    "head": r["head"],
                    "metric": r["metric"],
                    "honest_protocol": h["protocol"],
                    "honest": h["mean"],
                    "leaky": r["mean"],
                    "gap": r["mean"] - h["mean"],
                }
            )
    return gaps


def plot_benchmark(rows, path):
    """Bar chart: one panel per (dataset, protocol, head); bars are means over folds, dots the
    per-fold (per-subject) scores, the dashed line the trivial baseline's mean."""
    from amigos_emo.training.reports import _pyplot

    plt = _pyplot()
    groups = {}
    for row in rows:
        groups.setdefault((row["dataset"], row["protocol"], row["head"]), []).append(row)
    n = len(groups)
    n_cols = min(3, n)
    n_rows = int(np.ceil(n / n_cols))
    fig, axes = plt.subplots(n_rows, n_cols, figsize=(4.6 * n_cols, 3.6 * n_rows), squeeze=False)
    rng = np.random.default_rng(0)
    for ax, ((dataset, protocol, head), group) in zip(axes.ravel(), groups.items(), strict=False):
        x = np.arange(len(group))
        ax.bar(x, [r["mean"] for r in group], color=[f"C{i % 10}" for i in x], alpha=0.6)
        for i, r in enumerate(group):
            scores = np.asarray(r["fold_scores"], np.float64)
            ax.plot(i + rng.uniform(-0.18, 0.18, scores.size), scores, "o", color="k", ms=3)
        ax.axhline(group[0]["baseline_mean"], color="C3", ls="--", lw=1, label=group[0]["baseline"])
        ax.set_xticks(x, [r["model"] for r in group], rotation=30, ha="right", fontsize=8)
        ax.set_ylabel(group[0]["metric"])
        leaky = " LEAKY" if group[0]["leaky"] else ""
        ax.set_title(f"{dataset} {protocol}{leaky}: {head}", fontsize=9)
        ax.legend(fontsize=7)
        ax.grid(axis="y", alpha=0.3)
    for ax in axes.ravel()[n:]:
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _command(config):
    import shlex

    parts = [
        "python",
        "-m",
        "amigos_emo.benchmark",
        "--dataset",
        ",".join(config.datasets),
        "--models",
        ",".join(config.models),
        "--protocol",
        config.protocol,
        "--epochs",
        str(config.epochs),
        "--batch-size",
        str(config.batch_size),
        "--seed",
        str(config.seed),
        "--output-dir",
        config.output_dir,
    ]
    if config.audit:
        parts.append("--audit")
    if not config.classic:
        parts.append("--no-classic")
    if not config.calibrate:
        parts.append("--no-calibration")
    if config.max_folds is not None:
        parts += ["--max-folds", str(config.max_folds)]
    if config.protocol == "kfold":
        parts += ["--n-folds", str(config.n_folds)]
    for flag, value in (("--data-dir", config.data_dir), ("--manual-dir", config.manual_dir)):
        if value:
            parts += [flag, value]
    return " ".join(shlex.quote(p) for p in parts)


def write_benchmark_card(config, rows, gaps, runs_info, path):
    """The benchmark's ``RESULT.md``: settings, data, protocol, tables, audit, reproduce."""
    from amigos_emo.training import statistics
    from amigos_emo.training.result_card import LEAK_TEXT, PROTOCOL_TEXT
    from amigos_emo.training.runner import library_versions

    lines = ["# Benchmark", ""]
    if any("synthetic" in d for d in config.datasets):
        lines += [
            "> **SYNTHETIC data** in this benchmark: those numbers test the pipeline only.",
            "",
        ]
    lines += ["## Settings", ""]
    lines.append(
        f"- Protocol `{config.protocol}`: {PROTOCOL_TEXT.get(config.protocol)}. Leaks? "
        f"{LEAK_TEXT.get(config.protocol)}"
    )
    if config.audit:
        lines.append(
            f"- Audit: every model also ran under `{AUDIT_PROTOCOL}`: {LEAK_TEXT[AUDIT_PROTOCOL]}"
        )
    lines.append(
        f"- Same protocol and seed ({config.seed}) for every model of a dataset: the same folds and test "
        "subjects. Normalisation fitted on each fold's training subjects only; Keras models keep the "
        "epoch with the lowest validation loss on the validation subjects; classic models are fitted once."
    )
    lines.append(
        f"- {config.epochs} epochs per fold (Keras models), batch {config.batch_size}"
        + (f", first {config.max_folds} fold(s) only" if config.max_folds else "")
        + "."
    )
    lines.append(
        f"- Statistics: per-fold scores are the observations; 95 % CI by percentile bootstrap of the mean "
        f"({config.n_boot} resamples, seed {config.seed}); two-sided Wilcoxon signed-rank tests of paired "
        "per-fold scores vs the trivial baseline and vs the best model, Holm-adjusted over all tests of "
        f"a table (2M - 1 tests for M models); sentences at alpha = {statistics.ALPHA}."
    )
    lines.append(
        "- Calibration: ECE with 15 equal-width confidence bins on the test subjects, before and after a "
        "temperature fitted on the validation subjects (NLL). The validation subjects are not the test subjects: "
        "under a subject-independent protocol T need not transfer, and ECE after T can be worse than before "
        "(reported as measured)."
    )
    lines.append("")
    lines += ["## Data and runs", ""]
    for info in runs_info:
        lines.append(
            f"- `{info['dataset']}` / `{info['model']}` ({info['protocol']}): `{info['run_dir']}` "
            f"({info['n_folds']} folds; provenance: {info['provenance']})"
        )
    for dataset, skipped in _skipped(runs_info).items():
        for model, reason in skipped.items():
            lines.append(f"- `{dataset}`: `{model}` skipped ({reason})")
    lines.append("")
    lines += ["## Results", "", markdown_tables(rows)]
    if gaps:
        lines += [
            "## Audit: honest protocol vs LEAKY random-window",
            "",
            "| dataset | model | head | metric | honest | random-window (LEAKY) | gap |",
            "|---|---|---|---|---|---|---|",
        ]
        for g in gaps:
            lines.append(
                f"| {g['dataset']} | {g['model']} | {g['head']} | {g['metric']} | {g['honest_protocol']} "
                f"{_fmt(g['honest'])} | {_fmt(g['leaky'])} | {g['gap']:+.3f} |"
            )
        lines.append("")
    lines += [
        "## Software",
        "",
        ", ".join(f"{k} {v}" for k, v in library_versions().items() if v),
        "",
    ]
    lines += ["## Reproduce", "", "```bash", _command(config), "```", ""]
    with open(path, "w") as handle:
        handle.write("\n".join(lines))
    return path


def _skipped(runs_info):
    out = {}
    for info in runs_info:
        out.setdefault(info["dataset"], {}).update(info.get("skipped", {}))
    return out


def run_benchmark(config, builders=None):
    """Run every dataset x model (x protocol) of ``config`` and write the tables.

    Args:
        config: a :class:`BenchmarkConfig`.
        builders: optional dict dataset name -> prepared builder (tests; else
            :func:`amigos_emo.datasets.prepare`).

    Returns:
        dict with ``rows`` (table rows), ``gaps`` (audit) and ``files`` (paths written).
    """
    from tqdm.auto import tqdm

    from amigos_emo import datasets
    from amigos_emo.training import reports

    config.validate()
    os.makedirs(config.output_dir, exist_ok=True)
    protocols = [config.protocol] + ([AUDIT_PROTOCOL] if config.audit else [])
    rows, runs_info = [], []
    plan = []
    for dataset in config.datasets:
        builder = (builders or {}).get(dataset) or datasets.prepare(
            dataset, data_dir=config.data_dir, manual_dir=config.manual_dir
        )
        selected, skipped = models_for_dataset(config, builder.info.features)
        for reason in skipped.items():
            logger.warning("%s: skipping %s (%s)", dataset, *reason)
        if not selected:
            raise ValueError(
                f"No model of --models fits {dataset} ({'; '.join(f'{k}: {v}' for k, v in skipped.items())})."
            )
        plan.append((dataset, builder, selected, skipped))
    total = sum(len(selected) * len(protocols) for _, _, selected, _ in plan)
    progress = tqdm(total=total, desc="benchmark", unit="run", disable=None)
    for dataset, builder, selected, skipped in plan:
        for protocol in protocols:
            runs, calibrations = {}, {}
            for name, preset in selected:
                label = model_label(name, preset)
                parts = [config.output_dir, dataset_slug(dataset)] + (
                    [protocol] if protocol != config.protocol else []
                )
                run_dir = os.path.join(*parts, label)
                progress.set_postfix_str(f"{dataset} {protocol} {label}")
                runs[label] = run_one(config, dataset, builder, name, preset, protocol, run_dir)
                calibrations[label] = _finish_run(config, run_dir, builder)
                with open(os.path.join(run_dir, "config.json")) as handle:
                    provenance = json.load(handle)["dataset"].get("provenance", "not recorded")
                runs_info.append(
                    {
                        "dataset": dataset,
                        "model": label,
                        "protocol": protocol,
                        "run_dir": run_dir,
                        "n_folds": runs[label]["n_folds"],
                        "provenance": provenance,
                        "skipped": skipped,
                    }
                )
                progress.update(1)
            rows += table_rows(
                dataset, protocol, runs, calibrations, n_boot=config.n_boot, seed=config.seed
            )
    progress.close()
    gaps = audit_gaps(rows)
    out = config.output_dir
    files = {
        "csv": write_csv(rows, os.path.join(out, "benchmark.csv")),
        "png": plot_benchmark(rows, os.path.join(out, "benchmark.png")),
        "result": write_benchmark_card(
            config, rows, gaps, runs_info, os.path.join(out, "RESULT.md")
        ),
    }
    files["md"] = os.path.join(out, "benchmark.md")
    with open(files["md"], "w") as handle:
        handle.write(markdown_tables(rows))
    files["json"] = os.path.join(out, "benchmark.json")
    reports.write_json(
        files["json"],
        {"config": dataclasses.asdict(config), "rows": rows, "audit": gaps, "runs": runs_info},
    )
    print("\n" + markdown_tables(rows))
    if gaps:
        for g in gaps:
            print(
                f"audit {g['dataset']} {g['model']} {g['head']}: {g['honest_protocol']} {g['honest']:.3f} vs "
                f"random-window (LEAKY) {g['leaky']:.3f} ({g['gap']:+.3f})"
            )
    print(f"\nBenchmark outputs in {os.path.abspath(out)}")
    return {"rows": rows, "gaps": gaps, "files": files}


def build_parser():
    from amigos_emo.training.protocols import PROTOCOLS

    defaults = BenchmarkConfig()
    parser = argparse.ArgumentParser(
        prog="python -m amigos_emo.benchmark",
        description="Several models on the same folds: mean +/- std, CI, Wilcoxon vs baseline and best (Holm), ECE.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--dataset", required=True, help="NAME/CONFIG, several separated by commas")
    parser.add_argument(
        "--models", required=True, help="registry names (NAME or NAME:PRESET), separated by commas"
    )
    parser.add_argument(
        "--protocol",
        default=defaults.protocol,
        choices=PROTOCOLS,
        help="the protocol every model runs under (default: %(default)s)",
    )
    parser.add_argument(
        "--audit", action="store_true", help="also run every model under random-window (LEAKY)"
    )
    parser.add_argument(
        "--no-classic",
        dest="classic",
        action="store_false",
        help="do not add logreg/random_forest on datasets with a 'features' input",
    )
    parser.add_argument(
        "--no-calibration",
        dest="calibrate",
        action="store_false",
        help="skip temperature scaling and ECE",
    )
    parser.add_argument(
        "--epochs", type=int, default=defaults.epochs, help="epochs per fold (default: %(default)s)"
    )
    parser.add_argument(
        "--batch-size", type=int, default=defaults.batch_size, help="default: %(default)s"
    )
    parser.add_argument(
        "--max-folds", type=int, default=None, help="only the first N folds (quick checks)"
    )
    parser.add_argument(
        "--n-folds", type=int, default=defaults.n_folds, help="folds for --protocol kfold"
    )
    parser.add_argument(
        "--seed", type=int, default=defaults.seed, help="subjects, weights, bootstrap seed"
    )
    parser.add_argument("--output-dir", default=defaults.output_dir, help="default: %(default)s")
    parser.add_argument("--data-dir", default=None, help="where prepared TFDS datasets live")
    parser.add_argument(
        "--manual-dir", default=None, help="folder holding the corpus files exactly as downloaded"
    )
    parser.add_argument(
        "--n-boot",
        type=int,
        default=defaults.n_boot,
        help="bootstrap resamples (default: %(default)s)",
    )
    parser.add_argument(
        "--verbose", type=int, default=0, choices=(0, 1, 2), help="Keras progress output"
    )
    return parser


def config_from_args(args):
    return BenchmarkConfig(
        datasets=tuple(d.strip() for d in args.dataset.split(",") if d.strip()),
        models=tuple(m.strip() for m in args.models.split(",") if m.strip()),
        protocol=args.protocol,
        audit=args.audit,
        classic=args.classic,
        calibrate=args.calibrate,
        epochs=args.epochs,
        batch_size=args.batch_size,
        max_folds=args.max_folds,
        n_folds=args.n_folds,
        seed=args.seed,
        output_dir=args.output_dir,
        data_dir=args.data_dir,
        manual_dir=args.manual_dir,
        n_boot=args.n_boot,
        verbose=args.verbose,
    )


def main(argv=None):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from amigos_emo.training.runner import RunDirectoryError

    args = build_parser().parse_args(argv)
    try:
        run_benchmark(config_from_args(args))
    except (RunDirectoryError, ValueError, FileNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
