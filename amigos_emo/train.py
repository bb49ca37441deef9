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

protocols:
  subject-split   70/15/15 of the subjects train/validate/test (one fold)
  loso            leave one subject out: one fold per subject, mean +/- std over folds
  kfold           --n-folds folds across subjects
  random-window   windows of all subjects split at random: LEAKY, reported as such

outputs (in --output-dir): config.json, metrics.json, training_curves.png and per fold
best.keras, saved_model/, history.csv, confusion_*.png, tensorboard/ (tensorboard --logdir DIR).
"""


def build_parser():
    from amigos_emo.training.protocols import PROTOCOLS
    from amigos_emo.training.runner import JIT, MIXED_PRECISION, RunConfig

    defaults = RunConfig()
    parser = argparse.ArgumentParser(
        prog="python -m amigos_emo.train",
        description="Train a model on a corpus under an explicit, subject-independent protocol.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--dataset", default=defaults.dataset,
                        help="corpus as NAME or NAME/CONFIG, e.g. amigos/synthetic (default), amigos, deap/stft, seed/de")
    parser.add_argument("--model", default=None,
                        help="registered model (default: the corpus's default, multimodal_lstm for amigos)")
    parser.add_argument("--target", default=None,
                        help="dataset feature a classifier's 'label' output trains on, e.g. label_binary "
                             "(SEED-IV's 2-class mapping); default: label")
    parser.add_argument("--preset", default=None, help="model preset, e.g. lightweight, moderate, maximum")
    parser.add_argument("--protocol", default=defaults.protocol, choices=PROTOCOLS,
                        help="evaluation protocol (default: %(default)s)")
    parser.add_argument("--n-folds", type=int, default=defaults.n_folds, help="folds for --protocol kfold")
    parser.add_argument("--max-folds", type=int, default=None, help="run only the first N folds (quick checks)")
    parser.add_argument("--epochs", type=int, default=defaults.epochs, help="training epochs (default: %(default)s)")
    parser.add_argument("--batch-size", type=int, default=defaults.batch_size, help="batch size (default: %(default)s)")
    parser.add_argument("--learning-rate", type=float, default=None,
                        help="initial learning rate (default: the model's published default)")
    parser.add_argument("--label-smoothing", type=float, default=None,
                        help="label smoothing of classification losses (default: the model's, 0.1 for res_attention_net)")
    parser.add_argument("--seed", type=int, default=defaults.seed, help="random seed: subjects, weights, shuffling")
    parser.add_argument("--output-dir", default=None, help="where results go (default: runs/DATASET_MODEL_PROTOCOL_seedN)")
    parser.add_argument("--data-dir", default=None, help="where prepared TFDS datasets live (default: ~/amigos_emo_data)")
    parser.add_argument("--manual-dir", default=None, help="folder holding the corpus files exactly as downloaded")
    parser.add_argument("--mixed-precision", default=defaults.mixed_precision, choices=MIXED_PRECISION,
                        help="auto: float16 on a GPU, off on a CPU; outputs and losses stay float32")
    parser.add_argument("--jit", default=defaults.jit, choices=JIT, help="XLA compilation; auto: on a GPU only")
    parser.add_argument("--class-weights", default=defaults.class_weights, choices=("balanced", "none"),
                        help="class weights for classification heads (default: %(default)s)")
    parser.add_argument("--distribute", default="none", choices=("none", "mirrored", "multi-worker"),
                        help="tf.distribute: mirrored = all local GPUs; multi-worker = machines listed in TF_CONFIG "
                             "(see docs/DISTRIBUTED.md)")
    parser.add_argument("--resume", action="store_true", help="continue an interrupted run in --output-dir")
    parser.add_argument("--overwrite", action="store_true", help="replace a finished or unfinished run in --output-dir")
    parser.add_argument("--no-export", dest="export", action="store_false", help="skip the SavedModel export")
    parser.add_argument("--verbose", type=int, default=None, choices=(0, 1, 2), help="Keras progress output")
    return parser


def main(argv=None):
    import dataclasses
    import os

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TensorFlow's C++ start-up chatter out

    from amigos_emo.training.runner import RunConfig, RunDirectoryError, run

    args = build_parser().parse_args(argv)
    fields = {f.name for f in dataclasses.fields(RunConfig)}
    config = RunConfig(**{k: v for k, v in vars(args).items() if k in fields})
    try:
        run(config)
    except (RunDirectoryError, ValueError, FileNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
