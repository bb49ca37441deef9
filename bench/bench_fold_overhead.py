"""Per-fold fixed cost of a leave-one-subject-out run, from the run's own stage timer.

Runs ``amigos_emo.training.runner.run`` on the synthetic AMIGOS-format corpus under LOSO and
reads ``stage_seconds`` from its ``metrics.json``: everything but "training (fit + validation)"
is fixed cost (fold data and statistics, model build and compile, checkpoints, evaluation,
reports, export). Prints each stage per fold and the fixed cost as a share of training time.

    python bench/bench_fold_overhead.py --folds 3 --epochs 8
    python bench/bench_fold_overhead.py --folds 3 --epochs 8 --no-export
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--folds", type=int, default=3, help="LOSO folds to run (default: %(default)s)"
    )
    parser.add_argument(
        "--epochs", type=int, default=8, help="epochs per fold (default: %(default)s)"
    )
    parser.add_argument("--model", default="multimodal_lstm")
    parser.add_argument("--preset", default=None)
    parser.add_argument("--no-export", dest="export", action="store_false")
    parser.add_argument(
        "--data-dir", default=None, help="prepared datasets (default: a temporary folder)"
    )
    args = parser.parse_args(argv)

    from amigos_emo.training.runner import RunConfig, run

    with tempfile.TemporaryDirectory() as tmp:
        config = RunConfig(
            dataset="amigos/synthetic",
            model=args.model,
            preset=args.preset,
            protocol="loso",
            max_folds=args.folds,
            epochs=args.epochs,
            export=args.export,
            verbose=0,
            data_dir=args.data_dir or os.path.join(tmp, "data"),
            output_dir=os.path.join(tmp, "run"),
        )
        results = run(config)
        with open(os.path.join(tmp, "run", "metrics.json")) as handle:
            stages = json.load(handle)["stage_seconds"]
    n = results["n_folds"]
    windows = results["folds"][0]["n_train_examples"]
    print(
        f"\n{args.model} LOSO on synthetic AMIGOS: {n} fold(s) x {args.epochs} epochs, ~{windows} training windows/fold"
    )
    print(f"{'stage':<34}{'s total':>10}{'s per fold':>12}")
    for name, seconds in stages.items():
        print(f"{name:<34}{seconds:10.1f}{seconds / n:12.2f}")
    per_fold = [
        k
        for k in stages
        if k
        not in (
            "start-up (imports, options)",
            "model registry",
            "dataset (write, build or reuse)",
            "reports",
        )
    ]
    training = stages.get("training (fit + validation)", 0.0)
    fixed = sum(stages[k] for k in per_fold if k != "training (fit + validation)")
    print(
        f"\nper-fold fixed cost / training time: {fixed / max(training, 1e-9):.1%} "
        f"({fixed / n:.2f} s vs {training / n:.2f} s per fold; target < 10 %)"
    )


if __name__ == "__main__":
    main()
