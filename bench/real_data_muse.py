"""GRU classifier on J. J. Bird's real Muse recordings: honest LOSO vs the LEAKY random split.

Builds ``muse/features`` (286 features per 1 s window, 0.5 s step) from
``../shared/data/muse_mental_state`` (4 subjects, 3 mental states: relaxed / neutral /
concentrating) and trains ``gru_classifier`` (default preset ``fast``) with
:func:`amigos_emo.training.runner.run` under two protocols:

- ``loso``: leave one subject out (4 folds; a subject never seen in training is tested; one of
  the other three validates). What a new user of the headset would see.
- ``random-window``: the windows of all subjects split at random 70/15/15 (by a hash of the
  window id), as in Bird et al. 2018. Overlapping windows of the same recording land in train
  and test: LEAKY, reported for comparison with the paper only.

Each is printed beside the majority-class baseline (training majority, scored on the test
windows) and beside the published 87.16 % (Bird et al. 2018, random forest on selected
features, random split of windows). Mean +/- std over folds (population std).

Run::

    python bench/real_data_muse.py              # 15 epochs per fold, several minutes on 2 cores
    python bench/real_data_muse.py --quick      # 2 epochs, 1 LOSO fold: smoke run

Needs ``../shared/data/muse_mental_state`` beside the clone (exits with a message otherwise).
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import sys
import tempfile
import time

os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

REPO_ROOT = pathlib.Path(__file__).resolve().parents[1]
MUSE_DIR = REPO_ROOT.parent / "shared" / "data" / "muse_mental_state"
PUBLISHED_ACCURACY = 0.8716  # Bird et al. 2018, random forest, random split of windows
PUBLISHED = "87.16 % (Bird et al. 2018, random forest, random split)"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="2 epochs and only the first LOSO fold"
    )
    parser.add_argument(
        "--epochs", type=int, default=None, help="epochs per fold (default 15; 2 with --quick)"
    )
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--manual-dir", default=os.fspath(MUSE_DIR), help="the muse CSV folder")
    parser.add_argument(
        "--work-dir",
        default=os.path.join(tempfile.gettempdir(), "amigos_emo_bench"),
        help="prepared data and run outputs go under here",
    )
    parser.add_argument("--json", default=None, help="also write the results to this JSON file")
    args = parser.parse_args(argv)
    if args.epochs is None:
        args.epochs = 2 if args.quick else 15
    if args.epochs < 1 or args.batch_size < 1:
        parser.error(
            f"--epochs and --batch-size must be >= 1. Received: epochs={args.epochs}, batch_size={args.batch_size}"
        )
    return args


# === Helpers (tested in tests/bench/) ===


def mean_std(values):
    """``"0.755 +/- 0.200"``: mean and population std (ddof=0) of ``values``, NaNs ignored."""
    import numpy as np

    array = np.asarray(values, np.float64)
    return f"{np.nanmean(array):.3f} +/- {np.nanstd(array):.3f}"


def fold_values(results, head, metric):
    """Per-fold values of ``metric`` of ``head`` from :func:`runner.run`'s results dict."""
    return [fold["metrics"][head][metric] for fold in results["folds"]]


def protocol_row(results, head="label"):
    """Table row: protocol, folds, accuracy, macro-F1, baseline accuracy, baseline macro-F1."""
    name = results["protocol"] + (" (LEAKY)" if results["leaky"] else "")
    return [
        name,
        results["n_folds"],
        mean_std(fold_values(results, head, "accuracy")),
        mean_std(fold_values(results, head, "macro_f1")),
        mean_std(fold_values(results, head, "baseline_accuracy")),
        mean_std(fold_values(results, head, "baseline_macro_f1")),
    ]


def main(argv=None):
    args = parse_args(argv)
    manual_dir = pathlib.Path(args.manual_dir)
    if not manual_dir.is_dir():
        print(
            f"The muse recordings are not at {manual_dir} (expected ../shared/data/muse_mental_state beside "
            "the clone, or pass --manual-dir). Nothing to run."
        )
        return 2
    import tensorflow_datasets as tfds

    from amigos_emo import datasets
    from amigos_emo.training.runner import RunConfig, run

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from bench_input_pipeline import format_table

    tfds.disable_progress_bar()
    work = pathlib.Path(args.work_dir)
    start = time.perf_counter()
    builder = datasets.prepare(
        "muse/features", data_dir=work / "muse_shared", manual_dir=manual_dir
    )
    counts = {name: split.num_examples for name, split in sorted(builder.info.splits.items())}
    print(
        f"muse/features from {manual_dir}: {sum(counts.values())} windows {counts} "
        f"(ready in {time.perf_counter() - start:.1f} s)",
        flush=True,
    )

    all_results = {}
    for protocol in ("loso", "random-window"):
        config = RunConfig(
            dataset="muse/features",
            model="gru_classifier",
            protocol=protocol,
            epochs=args.epochs,
            batch_size=args.batch_size,
            seed=args.seed,
            max_folds=1 if args.quick else None,
            output_dir=os.fspath(work / "runs" / f"muse_gru_classifier_{protocol}"),
            overwrite=True,
            export=False,
            verbose=0,
        )
        start = time.perf_counter()
        results = run(config, builder=builder)
        print(
            f"{protocol}: {results['n_folds']} fold(s) in {time.perf_counter() - start:.0f} s",
            flush=True,
        )
        all_results[protocol] = results

    loso = all_results["loso"]
    print()
    print(
        f"gru_classifier (preset fast), muse/features, {args.epochs} epochs per fold, batch {args.batch_size}, "
        f"seed {args.seed}; mean +/- std over folds"
    )
    rows = [protocol_row(r) for r in all_results.values()]
    rows.append(
        ["published (random split, LEAKY)", "-", f"{PUBLISHED_ACCURACY:.3f}", "-", "-", "-"]
    )
    print(
        format_table(
            ["protocol", "folds", "accuracy", "macro-F1", "majority acc.", "majority macro-F1"],
            rows,
        )
    )
    print()
    per_subject = [
        [
            ", ".join(fold["test"]),
            f"{fold['metrics']['label']['accuracy']:.3f}",
            f"{fold['metrics']['label']['baseline_accuracy']:.3f}",
            fold["metrics"]["label"]["n"],
            fold["best_epoch"],
        ]
        for fold in loso["folds"]
    ]
    print("LOSO per held-out subject:")
    print(
        format_table(
            ["test subject", "accuracy", "majority acc.", "test windows", "best epoch"], per_subject
        )
    )
    loso_acc = fold_values(loso, "label", "accuracy")
    leaky_acc = fold_values(all_results["random-window"], "label", "accuracy")
    print()
    print(
        f"Summary: LOSO accuracy {mean_std(loso_acc)} (majority {mean_std(fold_values(loso, 'label', 'baseline_accuracy'))}) "
        f"vs LEAKY random-window {mean_std(leaky_acc)} vs published {PUBLISHED}."
    )
    if args.json:
        summary = {
            p: {
                "aggregate": r["aggregate"],
                "folds": [{k: f[k] for k in ("test", "best_epoch", "metrics")} for f in r["folds"]],
                "leaky": r["leaky"],
            }
            for p, r in all_results.items()
        }
        pathlib.Path(args.json).write_text(
            json.dumps({"epochs": args.epochs, "results": summary}, indent=1)
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
