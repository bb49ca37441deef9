"""Multimodal LSTM on real AMIGOS participant 1: leave-one-video-out valence/arousal MAE.

Assembles ``Data_Preprocessed_P01.mat`` in the real release's layout from
``../shared/data/amigos_p01`` (``1_1.csv`` ... ``1_16.csv``: the rows of ``joined_data{1..16}``;
the first 16 rows of ``labels_all_participants_short_videos.csv``: ``labels_selfassessment``;
cells 17-20, the long videos, left empty as in the real release for some participants), builds
it with the AMIGOS builder (config ``preprocessed``: 4 s windows after the 5 s baseline, EEG
minus the baseline template) and trains ``multimodal_lstm`` (default preset ``lightweight``)
with :func:`amigos_emo.training.runner.run`, ``protocol="within-subject"``, ``n_folds=16``:
each fold tests one video, validates on the next one and trains on the other 14 (no window of
the test video is seen in training).

Reported per head beside the training-mean predictor (the mean rating of the training windows;
a model that ignores its input): MAE on the 1-9 rating scale, mean +/- std over the 16 folds.
Every window of a video carries that video's rating, so a fold's MAE is how far the predictions
for the held-out video land from its one rating.

Run::

    python bench/real_data_amigos.py            # 16 folds x 6 epochs, ~10 min on 2 busy cores
    python bench/real_data_amigos.py --quick    # 2 folds x 1 epoch: smoke run

Needs ``../shared/data/amigos_p01`` beside the clone (exits with a message otherwise).
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
AMIGOS_DIR = REPO_ROOT.parent / "shared" / "data" / "amigos_p01"
N_SHORT_VIDEOS, N_TRIALS, N_COLUMNS, N_LABELS = 16, 20, 17, 12


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1 epoch, first 2 folds")
    parser.add_argument(
        "--epochs", type=int, default=None, help="epochs per fold (default 6; 1 with --quick)"
    )
    parser.add_argument(
        "--batch-size", type=int, default=32, help="default 32 (about 300 training windows)"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--source-dir",
        default=os.fspath(AMIGOS_DIR),
        help="folder with 1_1.csv ... and the labels CSV",
    )
    parser.add_argument(
        "--work-dir",
        default=os.path.join(tempfile.gettempdir(), "amigos_emo_bench"),
        help="the assembled .mat, prepared data and run outputs go under here",
    )
    parser.add_argument("--json", default=None, help="also write the results to this JSON file")
    args = parser.parse_args(argv)
    if args.epochs is None:
        args.epochs = 1 if args.quick else 6
    if args.epochs < 1 or args.batch_size < 1:
        parser.error(
            f"--epochs and --batch-size must be >= 1. Received: epochs={args.epochs}, batch_size={args.batch_size}"
        )
    return args


# === Helpers (tested in tests/bench/) ===


def object_cell(items):
    """A (1, n) object array, one item per cell: how ``scipy.io.savemat`` writes a MATLAB cell."""
    import numpy as np

    cell = np.empty((1, len(items)), dtype=object)
    for index, item in enumerate(items):
        cell[0, index] = item
    return cell


def assemble_participant_1(source_dir, output_path):
    """Write ``Data_Preprocessed_P01.mat`` from the shared CSVs (cells 17-20 empty).

    Args:
        source_dir: folder with ``1_{1..16}.csv`` (17 columns, no header, 128 Hz) and
            ``labels_all_participants_short_videos.csv`` (640 x 12, participant-major).
        output_path: the ``.mat`` file to write (its folder is created).

    Returns:
        ``(trials, labels)``: the 16 ``(n_samples, 17)`` float64 arrays and the ``(16, 12)``
        ratings written.

    Raises:
        FileNotFoundError: a CSV is missing (names it).
        ValueError: a CSV has the wrong number of columns (names the file, expected and found).
    """
    import numpy as np
    import pandas as pd
    import scipy.io

    source_dir = pathlib.Path(source_dir)
    trials = []
    for video in range(1, N_SHORT_VIDEOS + 1):
        path = source_dir / f"1_{video}.csv"
        if not path.is_file():
            raise FileNotFoundError(
                f"{path}: missing; expected the 16 files 1_1.csv ... 1_16.csv in {source_dir}"
            )
        data = pd.read_csv(path, header=None, float_precision="round_trip").to_numpy(np.float64)
        if data.ndim != 2 or data.shape[1] != N_COLUMNS:
            raise ValueError(
                f"{path}: expected {N_COLUMNS} columns (14 EEG, 2 ECG, GSR). Found shape {data.shape}"
            )
        trials.append(data)
    labels_path = source_dir / "labels_all_participants_short_videos.csv"
    if not labels_path.is_file():
        raise FileNotFoundError(f"{labels_path}: missing (the 640 x 12 self-assessment table)")
    labels = pd.read_csv(labels_path, header=None, float_precision="round_trip").to_numpy(
        np.float64
    )
    if labels.ndim != 2 or labels.shape[1] != N_LABELS or labels.shape[0] < N_SHORT_VIDEOS:
        raise ValueError(
            f"{labels_path}: expected at least {N_SHORT_VIDEOS} rows of {N_LABELS} ratings. "
            f"Found shape {labels.shape}"
        )
    labels = labels[:N_SHORT_VIDEOS]
    empty = np.zeros((0, 0))
    n_empty = N_TRIALS - N_SHORT_VIDEOS
    output_path = pathlib.Path(output_path)
    output_path.parent.mkdir(parents=True, exist_ok=True)
    scipy.io.savemat(
        output_path,
        {
            "joined_data": object_cell(trials + [empty] * n_empty),
            "labels_selfassessment": object_cell(
                [row[np.newaxis] for row in labels] + [empty] * n_empty
            ),
        },
    )
    return trials, labels


def fold_values(results, head, metric):
    """Per-fold values of ``metric`` of ``head`` from :func:`runner.run`'s results dict."""
    return [fold["metrics"][head][metric] for fold in results["folds"]]


def mean_std(values):
    """``"1.234 +/- 0.567"``: mean and population std (ddof=0), NaNs ignored."""
    import numpy as np

    array = np.asarray(values, np.float64)
    return f"{np.nanmean(array):.3f} +/- {np.nanstd(array):.3f}"


def main(argv=None):
    args = parse_args(argv)
    source = pathlib.Path(args.source_dir)
    if not source.is_dir():
        print(
            f"The AMIGOS participant-1 CSVs are not at {source} (expected ../shared/data/amigos_p01 beside the "
            "clone, or pass --source-dir). Nothing to run."
        )
        return 2
    import tensorflow_datasets as tfds

    from amigos_emo.tfds_builders.amigos.amigos_dataset_builder import Builder
    from amigos_emo.training.runner import RunConfig, run

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from bench_input_pipeline import format_table

    tfds.disable_progress_bar()
    work = pathlib.Path(args.work_dir) / "amigos_p01"
    builder = Builder(config="preprocessed", data_dir=os.fspath(work / "data"))
    start = time.perf_counter()
    if not builder.is_prepared():
        manual = work / "manual"
        assemble_participant_1(
            source, manual / "Data_Preprocessed_P01" / "Data_Preprocessed_P01.mat"
        )
        builder.download_and_prepare(
            download_config=tfds.download.DownloadConfig(manual_dir=os.fspath(manual))
        )
    n_windows = builder.info.splits["subject_01"].num_examples
    print(
        f"AMIGOS participant 1 (16 real short videos): {n_windows} windows of 4 s "
        f"(ready in {time.perf_counter() - start:.1f} s)",
        flush=True,
    )

    config = RunConfig(
        dataset="amigos/preprocessed",
        model="multimodal_lstm",
        protocol="within-subject",
        n_folds=16,
        epochs=args.epochs,
        batch_size=args.batch_size,
        seed=args.seed,
        max_folds=2 if args.quick else None,
        output_dir=os.fspath(work / "runs" / "multimodal_lstm_within-subject"),
        overwrite=True,
        export=False,
        verbose=0,
    )
    start = time.perf_counter()
    results = run(config, builder=builder)
    seconds = time.perf_counter() - start

    print()
    print(
        f"multimodal_lstm (preset lightweight), leave-one-video-out on participant 1 ({results['n_folds']} folds), "
        f"{args.epochs} epochs per fold, batch {args.batch_size}, seed {args.seed}; {seconds:.0f} s; "
        "mean +/- std over folds"
    )
    rows = []
    for head in ("valence", "arousal"):
        model_mae = fold_values(results, head, "mae")
        base_mae = fold_values(results, head, "baseline_mae")
        better = sum(m < b for m, b in zip(model_mae, base_mae, strict=True))
        rows.append([head, mean_std(model_mae), mean_std(base_mae), f"{better}/{len(model_mae)}"])
    print(
        format_table(
            ["head", "MAE (1-9 scale)", "training-mean MAE", "folds model < baseline"], rows
        )
    )
    print()
    test_trials = test_trials_by_fold(os.path.join(config.output_dir, "config.json"))
    per_fold = [
        [
            ", ".join(str(t) for t in test_trials[fold["fold"]]),
            fold["metrics"]["valence"]["n"],
            f"{fold['metrics']['valence']['mae']:.2f}",
            f"{fold['metrics']['valence']['baseline_mae']:.2f}",
            f"{fold['metrics']['arousal']['mae']:.2f}",
            f"{fold['metrics']['arousal']['baseline_mae']:.2f}",
            fold["best_epoch"],
        ]
        for fold in results["folds"]
    ]
    print(
        format_table(
            [
                "test video",
                "windows",
                "valence MAE",
                "baseline",
                "arousal MAE",
                "baseline",
                "best epoch",
            ],
            per_fold,
        )
    )
    valence, arousal = (fold_values(results, h, "mae") for h in ("valence", "arousal"))
    print()
    print(
        f"Summary: valence MAE {mean_std(valence)} vs training mean {mean_std(fold_values(results, 'valence', 'baseline_mae'))}; "
        f"arousal MAE {mean_std(arousal)} vs training mean {mean_std(fold_values(results, 'arousal', 'baseline_mae'))} "
        f"({results['n_folds']} leave-one-video-out folds, one participant)."
    )
    if args.json:
        keep = [{k: f[k] for k in ("best_epoch", "metrics")} for f in results["folds"]]
        pathlib.Path(args.json).write_text(
            json.dumps(
                {"epochs": args.epochs, "aggregate": results["aggregate"], "folds": keep}, indent=1
            )
        )
    return 0


def test_trials_by_fold(run_config_json):
    """Fold index -> its test trial ids, from a run's ``config.json`` (``folds[i].select``)."""
    folds = json.loads(pathlib.Path(run_config_json).read_text())["folds"]
    return {
        int(f["index"]): list(((f.get("select") or {}).get("test") or {}).get("trial_id", []))
        for f in folds
    }


if __name__ == "__main__":
    sys.exit(main())
