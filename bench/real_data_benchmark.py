"""The benchmark (``amigos_emo.benchmark``) on the small real recordings.

Two benchmarks, each the full pipeline (same folds for every model, trivial baselines, bootstrap
CI, Wilcoxon + Holm, temperature scaling, result cards):

1. **Muse** (J. J. Bird's muse-lsl exports, 4 subjects, relaxed / neutral / concentrating):
   ``muse/features`` (286 features per 1 s window), ``gru_classifier`` (preset ``fast``) plus
   the classic ``logreg`` and ``random_forest`` baselines, leave-one-subject-out, and with
   ``--audit`` the same models under the LEAKY random-window split (Bird et al.'s protocol).
2. **AMIGOS participant 1** (16 real short videos, assembled into the release's
   ``Data_Preprocessed_P01.mat`` layout exactly as ``bench/real_data_amigos.py`` does):
   ``multimodal_lstm`` (preset ``lightweight``), leave-one-video-out (``within-subject``, 16
   folds): one participant, so subject-dependent, and said so.

Run::

    python bench/real_data_benchmark.py PATH/TO/shared/data                 # ~10 min on 2 cores
    python bench/real_data_benchmark.py PATH/TO/shared/data --quick         # smoke run

``PATH/TO/shared/data`` holds ``muse_mental_state/`` and ``amigos_p01/``; a missing one is
skipped with a message. Outputs (tables, cards, every run) go under ``--work-dir``.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import sys
import tempfile
import time

os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", help="folder holding muse_mental_state/ and amigos_p01/")
    parser.add_argument("--quick", action="store_true", help="1 epoch, 2 folds per benchmark")
    parser.add_argument(
        "--muse-epochs", type=int, default=5, help="epochs per fold, gru_classifier (default 5)"
    )
    parser.add_argument(
        "--amigos-epochs", type=int, default=2, help="epochs per fold, multimodal_lstm (default 2)"
    )
    parser.add_argument(
        "--amigos-folds", type=int, default=None, help="only the first N of the 16 video folds"
    )
    parser.add_argument(
        "--no-audit", dest="audit", action="store_false", help="skip the LEAKY random-window runs"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--work-dir",
        default=os.path.join(tempfile.gettempdir(), "amigos_emo_real_benchmark"),
        help="prepared data and benchmark outputs go under here",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.muse_epochs = args.amigos_epochs = 1
        args.amigos_folds = 2
    for name in ("muse_epochs", "amigos_epochs"):
        if getattr(args, name) < 1:
            parser.error(
                f"--{name.replace('_', '-')} must be >= 1. Received: {getattr(args, name)}"
            )
    return args


def muse_benchmark(args, source, work):
    """Prepare ``muse/features`` from ``source`` and benchmark it; returns run_benchmark's dict."""
    from amigos_emo import datasets
    from amigos_emo.benchmark import BenchmarkConfig, run_benchmark

    builder = datasets.prepare("muse/features", data_dir=work / "data", manual_dir=source)
    config = BenchmarkConfig(
        datasets=("muse/features",),
        models=("gru_classifier",),
        protocol="loso",
        audit=args.audit,
        epochs=args.muse_epochs,
        max_folds=2 if args.quick else None,
        seed=args.seed,
        output_dir=os.fspath(work / "benchmark_muse"),
        data_dir=os.fspath(work / "data"),
        manual_dir=os.fspath(source),
    )
    return run_benchmark(config, builders={"muse/features": builder})


def amigos_benchmark(args, source, work):
    """Assemble participant 1, build ``amigos/preprocessed`` and benchmark it."""
    import tensorflow_datasets as tfds

    from amigos_emo.benchmark import BenchmarkConfig, run_benchmark
    from amigos_emo.tfds_builders.amigos.amigos_dataset_builder import Builder

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from real_data_amigos import assemble_participant_1

    builder = Builder(config="preprocessed", data_dir=os.fspath(work / "data"))
    manual = work / "manual"
    if not builder.is_prepared():
        assemble_participant_1(
            source, manual / "Data_Preprocessed_P01" / "Data_Preprocessed_P01.mat"
        )
        builder.download_and_prepare(
            download_config=tfds.download.DownloadConfig(manual_dir=os.fspath(manual))
        )
    config = BenchmarkConfig(
        datasets=("amigos/preprocessed",),
        models=("multimodal_lstm:lightweight",),
        protocol="within-subject",
        n_folds=16,
        epochs=args.amigos_epochs,
        batch_size=32,
        max_folds=args.amigos_folds,
        seed=args.seed,
        output_dir=os.fspath(work / "benchmark_amigos"),
        data_dir=os.fspath(work / "data"),
        manual_dir=os.fspath(manual),
    )
    return run_benchmark(config, builders={"amigos/preprocessed": builder})


def main(argv=None):
    args = parse_args(argv)
    data = pathlib.Path(args.data)
    if not data.is_dir():
        print(
            f"{data}: not a folder (expected the one holding muse_mental_state/ and amigos_p01/). Nothing to run."
        )
        return 2
    import tensorflow_datasets as tfds

    tfds.disable_progress_bar()
    work = pathlib.Path(args.work_dir)
    ran = 0
    for name, function in (("muse_mental_state", muse_benchmark), ("amigos_p01", amigos_benchmark)):
        source = data / name
        if not source.is_dir():
            print(f"{source}: absent; skipping that benchmark.")
            continue
        start = time.perf_counter()
        result = function(args, source, work / name)
        print(
            f"{name}: {len(result['rows'])} table rows in {time.perf_counter() - start:.0f} s; "
            f"{result['files']['result']}",
            flush=True,
        )
        ran += 1
    return 0 if ran else 2


if __name__ == "__main__":
    sys.exit(main())
