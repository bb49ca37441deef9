"""Command-line options shared by ``python -m amigos_emo.train`` and ``python -m amigos_emo.tune``.

One definition per option (:func:`add_common_arguments`), so the two commands never drift, and
one way to turn parsed options into a config (:func:`config_from_args`): defaults, then a named
``--run-preset``, then a ``--config`` file, then the flags typed on the command line.
"""

from __future__ import annotations

import dataclasses


def add_common_arguments(parser, defaults):
    """Options of :class:`~amigos_emo.training.config.CommonConfig` (``defaults`` gives values)."""
    from amigos_emo.training.config import CLASS_WEIGHTS, JIT, MIXED_PRECISION, NORMALISE, ONEDNN

    parser.add_argument(
        "--dataset",
        default=defaults.dataset,
        help="corpus as NAME or NAME/CONFIG, e.g. amigos/synthetic (default), amigos (the real "
        "download: needs --manual-dir), deap/stft, seed/de, custom",
    )
    parser.add_argument(
        "--model",
        default=None,
        help="registered model, or MODULE:NAME for a model registered by your own module "
        "(default: the corpus's default, multimodal_lstm for amigos, signal_fusion for custom)",
    )
    parser.add_argument(
        "--target",
        default=None,
        help="dataset feature the 'label' output trains on, e.g. label_binary (SEED-IV's 2-class "
        "mapping) or a column of your own labels CSV; default: label",
    )
    parser.add_argument(
        "--preset", default=None, help="model preset, e.g. lightweight, moderate, maximum"
    )
    parser.add_argument(
        "--epochs", type=int, default=defaults.epochs, help="training epochs (default: %(default)s)"
    )
    parser.add_argument(
        "--batch-size",
        type=int,
        default=defaults.batch_size,
        help="batch size (default: %(default)s)",
    )
    parser.add_argument(
        "--seed", type=int, default=defaults.seed, help="random seed: subjects, weights, shuffling"
    )
    parser.add_argument(
        "--output-dir",
        default=None,
        help="where results go (default: runs/DATASET_MODEL_PROTOCOL_seedN)",
    )
    parser.add_argument(
        "--data-dir",
        default=None,
        help="where prepared TFDS datasets live (default: ~/amigos_emo_data)",
    )
    parser.add_argument(
        "--manual-dir", default=None, help="folder holding the corpus files exactly as downloaded"
    )
    parser.add_argument(
        "--mixed-precision",
        default=defaults.mixed_precision,
        choices=MIXED_PRECISION,
        help="auto: float16 on a GPU, off on a CPU; outputs and losses stay float32",
    )
    parser.add_argument(
        "--jit", default=defaults.jit, choices=JIT, help="XLA compilation; auto: on a GPU only"
    )
    parser.add_argument(
        "--onednn",
        default=defaults.onednn,
        choices=ONEDNN,
        help="TensorFlow's oneDNN CPU kernels (TF_ENABLE_ONEDNN_OPTS); auto: on for the "
        "convolutional vae_gnn and gru_xnet, TensorFlow's default otherwise",
    )
    parser.add_argument(
        "--class-weights",
        default=defaults.class_weights,
        choices=CLASS_WEIGHTS,
        help="balanced class weights for every binary and classification head (default: %(default)s)",
    )
    parser.add_argument(
        "--normalise",
        default=defaults.normalise,
        choices=NORMALISE,
        help="input normalisation: 'train' = one mean/std per input fitted on the training "
        "subjects only (default); 'subject' = first standardise every subject, test subjects "
        "included, with its own windows (TRANSDUCTIVE, reported as such: removes individual "
        "offsets, as wearable studies often do; a deployed model needs the person's own "
        "recording to calibrate on)",
    )
    parser.add_argument(
        "--augment",
        default=None,
        help="training-batch augmentations, comma-separated, e.g. noise,scale,time_mask "
        "(python -m amigos_emo.train --list-augmentations); never applied to validation/test",
    )
    parser.add_argument(
        "--augment-ratio",
        type=int,
        default=defaults.augment_ratio,
        help="augmented copies of each training example per epoch (the GRU-XNet seed's 1:2 is 2); "
        "0 with --augment: augment in place (default)",
    )
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="replace a finished or unfinished run in --output-dir",
    )
    parser.add_argument(
        "--no-export", dest="export", action="store_false", help="skip the SavedModel export"
    )
    parser.add_argument(
        "--verbose", type=int, default=None, choices=(0, 1, 2), help="Keras progress output"
    )
    parser.add_argument(
        "--config",
        dest="config_file",
        default=None,
        help="TOML or JSON file of options (an earlier run's config.json works too); flags typed on "
        "the command line override it",
    )
    return parser


def config_from_args(parser, argv, config_class):
    """Parse ``argv`` into ``config_class``: defaults < ``--run-preset`` < ``--config`` < flags."""
    from amigos_emo.training.config import RUN_PRESETS, load_config_file

    first = parser.parse_args(argv)
    layered = {}
    preset = getattr(first, "run_preset", None)
    if preset:
        layered.update(RUN_PRESETS[preset])
    if getattr(first, "config_file", None):
        layered.update(load_config_file(first.config_file, config_class))
    if layered:
        known = {action.dest for action in parser._actions}
        parser.set_defaults(**{k: v for k, v in layered.items() if k in known})
        args = parser.parse_args(argv)
        values = vars(args)
        # options a file may set that have no flag of their own keep the file's value
        values.update({k: v for k, v in layered.items() if k not in known})
    else:
        values = vars(first)
    fields = {f.name for f in dataclasses.fields(config_class)}
    return config_class(**{k: v for k, v in values.items() if k in fields})
