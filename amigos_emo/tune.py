"""``python -m amigos_emo.tune``: KerasTuner search for a registered architecture.

Trials train on the training subjects of a subject-independent fold and are scored on its
held-out VALIDATION subjects; the best configuration is retrained on train + validation subjects
and tested once on the TEST subjects. Rerunning the same command continues an interrupted search
(finished trials are not repeated); a larger ``--max-trials`` extends a finished one.
"""

from __future__ import annotations

import argparse
import sys

EPILOG = """\
examples:
  python -m amigos_emo.tune --model multimodal_lstm --dataset amigos/synthetic --max-trials 10 --epochs 8
  python -m amigos_emo.tune --model gru_xnet --dataset deap/stft --manual-dir ~/data/DEAP --tuner hyperband
  python -m amigos_emo.tune --model vae_gnn --dataset dreamer/graph --objective val_valence_auc:max

objective: a logged metric, optionally with :min or :max, or several separated by commas
  (their sum is optimised); default val_loss (vae_gnn: the mean validation AUC of its two heads,
  because its loss weights are searched).

distributed (pip install 'amigos-emo[tune-distributed]'): run the same command in every process,
  with KERASTUNER_ORACLE_IP, KERASTUNER_ORACLE_PORT and KERASTUNER_TUNER_ID=chief (one process)
  or tuner0, tuner1, ... (workers). The chief ranks and retrains when all trials are done.

outputs (in --output-dir): search/ (KerasTuner state), tensorboard/<trial_id>/, trials.json,
trials.csv, best/best.keras, best/saved_model/, metrics.json (written last), tune_config.json.
"""


def build_parser():
    from amigos_emo.training.cli import add_common_arguments
    from amigos_emo.tuning.search import SEARCH_PROTOCOLS, TUNERS, TuneConfig

    defaults = TuneConfig()
    parser = argparse.ArgumentParser(
        prog="python -m amigos_emo.tune",
        description="KerasTuner search validated on held-out subjects; the best configuration is retrained "
        "on train + validation subjects and tested once.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_common_arguments(parser, defaults)
    parser.add_argument(
        "--tuner",
        default=defaults.tuner,
        choices=TUNERS,
        help="search algorithm (default: %(default)s)",
    )
    parser.add_argument(
        "--max-trials",
        type=int,
        default=defaults.max_trials,
        help="trials in total (a rerun with more extends the search) (default: %(default)s)",
    )
    parser.add_argument(
        "--objective",
        default=None,
        help="metric to optimise, e.g. val_loss (default) or val_label_accuracy:max",
    )
    parser.add_argument(
        "--protocol",
        default=defaults.protocol,
        choices=SEARCH_PROTOCOLS,
        help="which fold the search validates on (its first fold) (default: %(default)s)",
    )
    parser.add_argument(
        "--executions-per-trial",
        type=int,
        default=defaults.executions_per_trial,
        help="trainings per trial, averaged (default: %(default)s)",
    )
    parser.add_argument(
        "--hyperband-factor",
        type=int,
        default=defaults.hyperband_factor,
        help="Hyperband's reduction factor (default: %(default)s)",
    )
    return parser


def main(argv=None, builder=None):
    """Parse ``argv`` and run the search; ``builder`` replaces ``--dataset`` (tests). Returns an exit code."""
    import os

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

    from amigos_emo.training.cli import config_from_args
    from amigos_emo.training.config import choose_onednn
    from amigos_emo.tuning.search import TuneConfig, TuneDirectoryError, run_search

    try:
        config = config_from_args(build_parser(), argv, TuneConfig)
        choose_onednn(config)  # before TensorFlow is imported
        run_search(config, builder=builder)
    except (TuneDirectoryError, ValueError, FileNotFoundError, ImportError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
