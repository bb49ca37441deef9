"""``python -m amigos_emo.train``: train a model on a corpus under an explicit protocol.

With no arguments it builds the synthetic AMIGOS-format corpus through the real AMIGOS
builder, trains the multimodal three-head LSTM on a participant-independent split, and prints
valence/arousal MAE and transition F1 beside the trivial baselines.
"""

from __future__ import annotations

import argparse
import sys

EPILOG = """\
examples:
  python -m amigos_emo.train                                   # synthetic AMIGOS, multimodal LSTM
  python -m amigos_emo.train --dataset amigos --manual-dir ~/data/AMIGOS/data_preprocessed
  python -m amigos_emo.train --protocol loso --epochs 5        # every participant held out once
  python -m amigos_emo.train --dataset seed/de --model res_attention_net --manual-dir ~/data/SEED
  python -m amigos_emo.train --dataset custom --manual-dir ~/my_study --protocol loso   # your own recordings
  python -m amigos_emo.train --run-preset quick                # 2 epochs, 1 fold: a smoke test
  python -m amigos_emo.train --config runs/RUN/config.json     # reproduce an earlier run

protocols:
  subject-split   70/15/15 of the subjects train/validate/test (one fold)
  loso            leave one subject out: one fold per subject, mean +/- std over folds
  kfold           --n-folds folds across subjects
  within-subject  per subject, folds grouped by trial (subject-dependent)
  front-back      SEED's first 9 / last 6 trials (subject-dependent)
  cross-session   leave one session out (sessions of the same subjects)
  random-window   windows of all subjects split at random: LEAKY, reported as such

outputs (in --output-dir): config.json, metrics.json, training_curves.png and per fold
best.keras, saved_model/, history.csv, confusion_*.png, tensorboard/ (tensorboard --logdir DIR).
"""


def build_parser():
    from amigos_emo.training.cli import add_common_arguments
    from amigos_emo.training.config import RUN_PRESETS, RunConfig
    from amigos_emo.training.protocols import PROTOCOLS

    defaults = RunConfig()
    parser = argparse.ArgumentParser(
        prog="python -m amigos_emo.train",
        description="Train a model on a corpus under an explicit, subject-independent protocol.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_common_arguments(parser, defaults)
    parser.add_argument(
        "--protocol",
        default=defaults.protocol,
        choices=PROTOCOLS,
        help="evaluation protocol (default: %(default)s)",
    )
    parser.add_argument(
        "--n-folds", type=int, default=defaults.n_folds, help="folds for --protocol kfold"
    )
    parser.add_argument(
        "--max-folds", type=int, default=None, help="run only the first N folds (quick checks)"
    )
    parser.add_argument(
        "--learning-rate",
        type=float,
        default=None,
        help="initial learning rate (default: the model's published default)",
    )
    parser.add_argument(
        "--label-smoothing",
        type=float,
        default=None,
        help="label smoothing of classification losses (default: the model's, 0.1 for res_attention_net)",
    )
    parser.add_argument(
        "--early-stopping-patience",
        type=int,
        default=None,
        help="stop a fold after N epochs without a lower validation loss (best epoch kept; "
        "resumable)",
    )
    parser.add_argument(
        "--distribute",
        default="none",
        choices=("none", "mirrored", "multi-worker"),
        help="tf.distribute: mirrored = all local GPUs; multi-worker = machines listed in TF_CONFIG "
        "(see docs/DISTRIBUTED.md)",
    )
    parser.add_argument(
        "--resume", action="store_true", help="continue an interrupted run in --output-dir"
    )
    parser.add_argument(
        "--run-preset",
        default=None,
        choices=sorted(RUN_PRESETS),
        help="named option set: "
        + "; ".join(
            f"{name} = {', '.join(f'{k}={v}' for k, v in values.items())}"
            for name, values in sorted(RUN_PRESETS.items())
        ),
    )
    parser.add_argument(
        "--list-augmentations", action="store_true", help="list the --augment transforms and exit"
    )
    return parser


def main(argv=None):
    import os

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TensorFlow's C++ start-up chatter out

    from amigos_emo.io.locks import LockedError
    from amigos_emo.training.artifacts import RunDirectoryError
    from amigos_emo.training.cli import config_from_args
    from amigos_emo.training.config import RunConfig, choose_onednn

    parser = build_parser()
    if "--list-augmentations" in (sys.argv[1:] if argv is None else argv):
        from amigos_emo.training.augment import describe_augmentations

        print(describe_augmentations())
        return 0
    try:
        config = config_from_args(parser, argv, RunConfig)
        choose_onednn(config)  # before TensorFlow is imported
        from amigos_emo.training.runner import run

        run(config)
    except (RunDirectoryError, LockedError, ValueError, FileNotFoundError, ImportError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
