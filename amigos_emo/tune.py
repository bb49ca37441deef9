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
    from amigos_emo.tuning.search import SEARCH_PROTOCOLS, TUNERS, TuneConfig

    defaults = TuneConfig()
    parser = argparse.ArgumentParser(
        prog="python -m amigos_emo.tune",
        description="Hyperparameter search (KerasTuner) validated on held-out subjects.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--model", default=None, help="registered model (default: the corpus's default)")
    parser.add_argument("--dataset", default=defaults.dataset, help="corpus as NAME or NAME/CONFIG (default: %(default)s)")
    parser.add_argument("--tuner", default=defaults.tuner, choices=TUNERS, help="search algorithm (default: %(default)s)")
    parser.add_argument("--max-trials", type=int, default=defaults.max_trials,
                        help="trials in total, finished ones included (default: %(default)s)")
    parser.add_argument("--objective", default=None,
                        help="metric to optimise, e.g. val_loss or val_label_accuracy:max (default: the model's)")
    parser.add_argument("--epochs", type=int, default=defaults.epochs,
                        help="epochs per trial (hyperband: the most any trial gets) (default: %(default)s)")
    parser.add_argument("--batch-size", type=int, default=defaults.batch_size, help="batch size (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=defaults.seed, help="subjects, tuner and weights seed")
    parser.add_argument("--protocol", default=defaults.protocol, choices=SEARCH_PROTOCOLS,
                        help="subject-independent protocol whose first fold is searched (default: %(default)s)")
    parser.add_argument("--preset", default=None, help="model preset whose values are the search's defaults")
    parser.add_argument("--output-dir", default=None, help="where the search lives (default: tuning_runs/...)")
    parser.add_argument("--data-dir", default=None, help="where prepared TFDS datasets live")
    parser.add_argument("--manual-dir", default=None, help="folder holding the corpus files exactly as downloaded")
    parser.add_argument("--executions-per-trial", type=int, default=defaults.executions_per_trial,
                        help="trainings averaged per trial (default: %(default)s)")
    parser.add_argument("--hyperband-factor", type=int, default=defaults.hyperband_factor,
                        help="Hyperband reduction factor (default: %(default)s)")
    parser.add_argument("--mixed-precision", default=defaults.mixed_precision, choices=("auto", "off", "float16", "bfloat16"))
    parser.add_argument("--jit", default=defaults.jit, choices=("auto", "on", "off"))
    parser.add_argument("--class-weights", default=defaults.class_weights, choices=("balanced", "none"))
    parser.add_argument("--overwrite", action="store_true", help="delete the search in --output-dir and start over")
    parser.add_argument("--no-export", dest="export", action="store_false", help="skip the SavedModel export")
    parser.add_argument("--verbose", type=int, default=None, choices=(0, 1, 2), help="Keras progress output")
    return parser


def main(argv=None, builder=None):
    """Parse ``argv`` and run the search; ``builder`` replaces ``--dataset`` (tests). Returns an exit code."""
    import dataclasses
    import os

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

    from amigos_emo.tuning.search import TuneConfig, TuneDirectoryError, run_search

    args = build_parser().parse_args(argv)
    fields = {f.name for f in dataclasses.fields(TuneConfig)}
    config = TuneConfig(**{k: v for k, v in vars(args).items() if k in fields})
    try:
        run_search(config, builder=builder)
    except (TuneDirectoryError, ValueError, FileNotFoundError, ImportError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
