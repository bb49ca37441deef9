"""Per-fold fixed cost of a leave-one-subject-out run, from the run's own stage timer.

Builds a small synthetic AMIGOS-format corpus (``--participants`` subjects with ``--video-s``
short videos, by default about 300 training windows per LOSO fold), runs
``amigos_emo.training.runner.run`` on it under LOSO and reads ``stage_seconds`` from its
``metrics.json``: everything but "training (fit + validation)" is fixed cost (fold data and
statistics, model build and compile, checkpoints, evaluation, reports, export). Prints each
stage per fold and the fixed cost as a share of training time (the run's log prints the same
per fold: ``fold N: training ... s, fixed cost ... s = ... % of training``).

    python bench/bench_fold_overhead.py                  # 3 folds x 12 epochs, no SavedModel
    python bench/bench_fold_overhead.py --export         # with the per-fold SavedModel export
    python bench/bench_fold_overhead.py --quick          # 2 folds x 3 epochs (smoke run)
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile

TRAINING = "training (fit + validation)"


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--folds", type=int, default=3, help="LOSO folds to run (default: %(default)s)"
    )
    parser.add_argument(
        "--epochs",
        type=int,
        default=12,
        help="epochs per fold (default: %(default)s, as python -m amigos_emo.train)",
    )
    parser.add_argument("--model", default="multimodal_lstm")
    parser.add_argument("--preset", default=None)
    parser.add_argument(
        "--export",
        action="store_true",
        help="also export each fold's SavedModel, as a run does unless --no-export",
    )
    parser.add_argument(
        "--participants", type=int, default=4, help="synthetic subjects (default: %(default)s)"
    )
    parser.add_argument(
        "--video-s",
        type=float,
        default=30.0,
        help="short-video length in s; 30 s gives ~150 windows a subject (default: %(default)s)",
    )
    parser.add_argument("--quick", action="store_true", help="2 folds x 3 epochs")
    parser.add_argument(
        "--data-dir", default=None, help="prepared datasets (default: a temporary folder)"
    )
    args = parser.parse_args(argv)

    if args.quick:
        args.folds, args.epochs = 2, 3

    from amigos_emo.tfds_builders.amigos.amigos_dataset_builder import AmigosConfig, Builder
    from amigos_emo.training.runner import RunConfig, run

    video_s = float(args.video_s)
    name = f"bench_n{args.participants}_v{video_s:g}"
    with tempfile.TemporaryDirectory() as tmp:
        builder = Builder(
            config=AmigosConfig(
                name=name,
                synthetic=True,
                n_participants=args.participants,
                seed=0,
                video_s=video_s,
                long_video_s=1.5 * video_s,
            ),
            data_dir=args.data_dir or os.path.join(tmp, "data"),
        )
        builder.download_and_prepare()
        config = RunConfig(
            dataset=f"amigos/{name}",
            model=args.model,
            preset=args.preset,
            protocol="loso",
            max_folds=args.folds,
            epochs=args.epochs,
            export=args.export,
            verbose=0,
            output_dir=os.path.join(tmp, "run"),
        )
        results = run(config, builder=builder)
        with open(os.path.join(tmp, "run", "metrics.json")) as handle:
            stages = json.load(handle)["stage_seconds"]
    n = results["n_folds"]
    windows = [fold["n_train_examples"] for fold in results["folds"]]
    print(
        f"\n{args.model} LOSO on synthetic AMIGOS ({args.participants} subjects): {n} fold(s) x "
        f"{args.epochs} epochs, {min(windows)}-{max(windows)} training windows a fold, "
        f"SavedModel export {'on' if args.export else 'off'}"
    )
    print(f"{'stage':<34}{'s total':>10}{'s per fold':>12}")
    for name, seconds in stages.items():
        print(f"{name:<34}{seconds:10.1f}{seconds / n:12.2f}")
    per_fold = [fold.get("stage_seconds") for fold in results["folds"]]
    if all(per_fold):  # the run's own per-fold accounting (what its log prints)
        print(f"\n{'fold':<6}{'training s':>12}{'fixed s':>10}{'fixed %':>9}")
        for fold, seconds in zip(results["folds"], per_fold, strict=True):
            training = seconds.get(TRAINING, 0.0)
            fixed = sum(v for k, v in seconds.items() if k != TRAINING)
            print(
                f"{fold['fold']:<6}{training:12.2f}{fixed:10.2f}{fixed / max(training, 1e-9):9.1%}"
            )
        stage_names = [name for name in stages if any(name in s for s in per_fold)]
        print(f"\n{'stage, s a fold':<48}" + "".join(f"{f['fold']:>8}" for f in results["folds"]))
        for name in stage_names:
            print(f"{name:<48}" + "".join(f"{s.get(name, 0.0):8.2f}" for s in per_fold))
        training = sum(s.get(TRAINING, 0.0) for s in per_fold)
        fixed = sum(v for s in per_fold for k, v in s.items() if k != TRAINING)
    else:  # an older runner: per-fold stages from the run's totals
        once = (
            "start-up (imports, options)",
            "model registry",
            "dataset (write, build or reuse)",
            "reports",
        )
        training = stages.get(TRAINING, 0.0)
        fixed = sum(v for k, v in stages.items() if k not in once and k != TRAINING)
    print(
        f"\nper-fold fixed cost / training time: {fixed / max(training, 1e-9):.1%} "
        f"({fixed / n:.2f} s vs {training / n:.2f} s per fold; target < 10 %)"
    )


if __name__ == "__main__":
    main()
