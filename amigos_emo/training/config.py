"""What defines a run: the options shared by training and tuning, checked in one place.

:class:`CommonConfig` holds every option that ``python -m amigos_emo.train`` and
``python -m amigos_emo.tune`` share; :class:`RunConfig` adds what only training has (folds,
resume, early stopping, distribution). A run can also be described by a file (``--config
run.toml`` or ``run.json``) or a named preset (``--run-preset quick``); :func:`load_config_file`
and :data:`RUN_PRESETS` turn those into keyword defaults that explicit command-line flags override.
"""

from __future__ import annotations

import dataclasses
import json
import os
import platform
import sys

from amigos_emo._checks import check_option
from amigos_emo.models.registry import (  # noqa: F401 (onednn_enabled: public here too)
    ONEDNN_ENV,
    ONEDNN_MODELS,
    onednn_enabled,
)

MIXED_PRECISION = ("auto", "off", "float16", "bfloat16")
JIT = ("auto", "on", "off")
ONEDNN = ("auto", "on", "off")
# The models that train with oneDNN under --onednn auto live with the models (registry).
CLASS_WEIGHTS = ("balanced", "none")
# Input normalisation: "train" fits one mean/std per input on the training subjects only (the
# default, inductive); "subject" first standardises every subject, test subjects included, with
# its own windows' statistics (TRANSDUCTIVE: no labels are read, but the test subjects' data is).
NORMALISE = ("train", "subject")

# Named run presets (``--run-preset``): option defaults for common intents. Explicit flags win.
RUN_PRESETS = {
    "quick": {"epochs": 2, "max_folds": 1, "export": False},
    "full": {"epochs": 30, "early_stopping_patience": 5},
}


@dataclasses.dataclass
class CommonConfig:
    """Options shared by a training run and a hyperparameter search."""

    dataset: str = "amigos/synthetic"
    model: str | None = None
    preset: str | None = None
    protocol: str = "subject-split"
    epochs: int = 12
    batch_size: int = 64
    target: str | None = None
    seed: int = 0
    output_dir: str | None = None
    data_dir: str | None = None
    manual_dir: str | None = None
    mixed_precision: str = "auto"
    jit: str = "auto"
    onednn: str = "auto"
    class_weights: str = "balanced"
    normalise: str = "train"
    augment: str | None = None
    augment_ratio: int = 0
    overwrite: bool = False
    export: bool = True
    verbose: int | None = None

    def validate_common(self, protocols):
        check_option(self.protocol, protocols, "protocol")
        check_option(self.mixed_precision, MIXED_PRECISION, "mixed_precision")
        check_option(self.jit, JIT, "jit")
        check_option(self.onednn, ONEDNN, "onednn")
        check_option(self.class_weights, CLASS_WEIGHTS, "class_weights")
        check_option(self.normalise, NORMALISE, "normalise")
        for name in ("epochs", "batch_size"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name} must be an int >= 1. Received: {name}={value!r}")
        if not isinstance(self.augment_ratio, int) or self.augment_ratio < 0:
            raise ValueError(
                f"augment_ratio must be an int >= 0. Received: augment_ratio={self.augment_ratio!r}"
            )
        if self.augment_ratio and not self.augment:
            raise ValueError(
                f"augment_ratio={self.augment_ratio} needs --augment NAME[,NAME...] (which transforms to apply)."
            )

    def resolve_defaults(self):
        """Fill in the dataset's default configuration and model (each corpus declares its own)."""
        from amigos_emo import datasets
        from amigos_emo.training.multi_corpus import parse_datasets

        parts = parse_datasets(self.dataset)
        if len(parts) > 1:  # several corpora: each resolved on its own; the first's model
            resolved_parts = []
            for part in parts:
                single = dataclasses.replace(self, dataset=part, manual_dir=None, model=self.model)
                single.resolve_defaults()
                resolved_parts.append(single.dataset)
                self.model = self.model or single.model
            self.dataset = ",".join(resolved_parts)
            return
        resolved, default_model = datasets.resolve_dataset(self.dataset)
        name, config = datasets.split_dataset_name(resolved)
        if name == "custom" and config is None and self.manual_dir:
            # a study is known by its own name (runs/custom-<name>_..., config.json)
            from amigos_emo.tfds_builders.custom.custom_spec import load_spec

            study = load_spec(self.manual_dir)
            resolved = f"custom/{study.name}"
            if study.representation == "features":  # per-window feature vectors: a feature model
                default_model = "gru_classifier"
            if self.model is None:
                _say_representation(study)
        self.dataset = resolved
        if self.model is None:
            if default_model is None:
                name = datasets.split_dataset_name(resolved)[0]
                raise ValueError(f"Dataset {name!r} has no default model; pass --model.")
            self.model = default_model


def _say_representation(study):
    """Say which representation a study without the key got, or, for one that asked for "raw",
    that "raw+features" would suit it (custom_spec.auto_representation)."""
    from amigos_emo._logging import logger
    from amigos_emo.tfds_builders.custom.custom_spec import auto_representation

    if not study.representation_given:
        logger.info(
            '%s names no "representation": using %r (chosen from its signal types and %g s windows; '
            "tfds_builders/custom/README.md section 6).",
            study.path,
            study.representation,
            study.window_s,
        )
    elif (
        study.representation == "raw"
        and auto_representation(study.types, study.sfreq, study.window_s) == "raw+features"
    ):
        logger.info(
            '%s has "representation": "raw"; "raw+features" also writes per-window heart rate, HRV, '
            "EDA and motion features, which the default model reads beside the signals "
            "(tfds_builders/custom/README.md: section 6, and section 11 for what it changed on the "
            "synthetic wearable study).",
            study.path,
        )


@dataclasses.dataclass
class RunConfig(CommonConfig):
    """Everything that defines a training run (written to ``config.json``)."""

    n_folds: int = 5
    max_folds: int | None = None
    learning_rate: float | None = None
    label_smoothing: float | None = None
    early_stopping_patience: int | None = None
    distribute: str = "none"
    resume: bool = False
    config_file: str | None = None
    run_preset: str | None = None

    def validate(self):
        from amigos_emo.training.protocols import PROTOCOLS

        self.validate_common(PROTOCOLS)
        check_option(self.distribute, ("none", "mirrored", "multi-worker"), "distribute")
        if not isinstance(self.n_folds, int) or self.n_folds < 1:
            raise ValueError(f"n_folds must be an int >= 1. Received: n_folds={self.n_folds!r}")
        if self.early_stopping_patience is not None and self.early_stopping_patience < 1:
            raise ValueError(
                f"early_stopping_patience must be >= 1. Received: early_stopping_patience={self.early_stopping_patience}"
            )
        if self.resume and self.overwrite:
            raise ValueError(
                "resume and overwrite exclude each other. Received: resume=True, overwrite=True"
            )


# Options that say how to run, not what is computed: they may differ between a run and its resume.
RUN_CONTROL_FIELDS = ("resume", "overwrite", "verbose", "output_dir", "config_file", "run_preset")


def load_config_file(path, config_class=RunConfig):
    """Option defaults from a TOML or JSON file (keys are option names, ``-`` or ``_``).

    A file may hold a whole run (``config.json`` of an earlier run works too: its ``run`` block
    is used), so ``--config runs/X/config.json`` reproduces that run.

    Raises:
        ValueError: unreadable file, or a key that is not an option (named, with the options).
    """
    if not os.path.exists(path):
        raise FileNotFoundError(f"--config {path}: no such file.")
    with open(path, "rb") as handle:
        raw = handle.read()
    try:
        if path.endswith(".toml"):
            try:
                import tomllib
            except ImportError as error:  # Python 3.10
                raise ValueError(
                    f"--config {path}: TOML needs Python 3.11+; write the options as JSON."
                ) from error
            payload = tomllib.loads(raw.decode("utf-8"))
        else:
            payload = json.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as error:
        raise ValueError(
            f"--config {path}: not valid {'TOML' if path.endswith('.toml') else 'JSON'} ({error})."
        ) from error
    earlier_run = isinstance(payload, dict) and isinstance(payload.get("run"), dict)
    if earlier_run:
        payload = payload["run"]
    if not isinstance(payload, dict):
        raise ValueError(
            f"--config {path}: expected a table of option = value. Found {type(payload).__name__}."
        )
    fields = {f.name for f in dataclasses.fields(config_class)}
    options = {key.replace("-", "_"): value for key, value in payload.items()}
    # An earlier run's config.json says how that run was controlled (its folder, --resume...):
    # reproducing it is a new run. A hand-written file may set any option but these two.
    for key in RUN_CONTROL_FIELDS if earlier_run else ("config_file", "run_preset"):
        options.pop(key, None)
    unknown = sorted(k for k in options if k not in fields)
    if unknown:
        raise ValueError(
            f"--config {path}: unknown option(s) {', '.join(unknown)}. Options: {', '.join(sorted(fields))}."
        )
    return options


def library_versions():
    """Versions of everything that shapes a result (recorded in config.json)."""
    import importlib.metadata as md

    versions = {"python": sys.version.split()[0], "platform": platform.platform()}
    for package in (
        "amigos-emo",
        "tensorflow",
        "keras",
        "tensorflow-datasets",
        "numpy",
        "scipy",
        "scikit-learn",
        "mne",
        "neurokit2",
    ):
        try:
            versions[package] = md.version(package)
        except md.PackageNotFoundError:
            versions[package] = None
    return versions


def has_gpu():
    import tensorflow as tf

    return bool(tf.config.list_physical_devices("GPU"))


def choose_onednn(config, environ=None, tensorflow_loaded=None):
    """Set TensorFlow's oneDNN switch (``TF_ENABLE_ONEDNN_OPTS``) for this process, before
    TensorFlow is imported; TensorFlow reads it once, at import.

    ``config.onednn``: ``"on"`` / ``"off"`` set it; ``"auto"`` keeps a value already in the
    environment, else turns oneDNN on for the models in :data:`ONEDNN_MODELS` (the run's model,
    or the dataset's default model) and leaves TensorFlow's own default for the others.

    Args:
        config: a :class:`CommonConfig` (its ``model`` may still be ``None``).
        environ: the environment to set (default ``os.environ``).
        tensorflow_loaded: whether TensorFlow is already imported (default: looked up).

    Returns:
        a one-line description of the choice, for the run's log.
    """
    environ = os.environ if environ is None else environ
    if tensorflow_loaded is None:
        tensorflow_loaded = "tensorflow" in sys.modules
    from amigos_emo._logging import logger

    level, note = _onednn_note(config, environ, tensorflow_loaded)
    logger.log(level, "%s", note)
    return note


def _onednn_note(config, environ, tensorflow_loaded):
    """(log level, note) of :func:`choose_onednn`, setting ``environ`` where it may."""
    import logging

    model = config.model or _default_model(config.dataset)
    wanted = {"on": "1", "off": "0"}.get(config.onednn)
    if wanted is None:  # auto
        if ONEDNN_ENV in environ:
            return logging.INFO, f"oneDNN: {ONEDNN_ENV}={environ[ONEDNN_ENV]} from the environment"
        if model not in ONEDNN_MODELS:  # no line in every run's log for TensorFlow's default
            return logging.DEBUG, "oneDNN: TensorFlow's default for this CPU (--onednn auto)"
        wanted = "1"
    reason = f"--onednn {config.onednn}" + (f" for {model}" if config.onednn == "auto" else "")
    if tensorflow_loaded and environ.get(ONEDNN_ENV) != wanted:
        return logging.WARNING, (
            f"oneDNN: {reason} asks for {ONEDNN_ENV}={wanted}, but TensorFlow was imported before "
            "the run could set it, so it has no effect in this process (set the variable before "
            "importing TensorFlow, or use python -m amigos_emo.train)"
        )
    environ[ONEDNN_ENV] = wanted
    return logging.INFO, f"oneDNN: {ONEDNN_ENV}={wanted} ({reason})"


def _default_model(dataset):
    """The first corpus's default model, without importing TensorFlow (None if unknown)."""
    from amigos_emo import datasets
    from amigos_emo.training.multi_corpus import parse_datasets

    try:
        return datasets.resolve_dataset(parse_datasets(dataset)[0])[1]
    except (ValueError, ImportError, IndexError):
        return None  # an unknown corpus: the run itself says so, with the known names


def resolve_speed_switches(config):
    """(precision policy name, jit_compile bool) for this machine; auto means: on a GPU,
    float16 and XLA; on a CPU, float32 and no XLA (it rarely helps small recurrent models)."""
    gpu = has_gpu()
    policy = {
        "auto": "mixed_float16" if gpu else "float32",
        "off": "float32",
        "float16": "mixed_float16",
        "bfloat16": "mixed_bfloat16",
    }[config.mixed_precision]
    jit = {"auto": gpu, "on": True, "off": False}[config.jit]
    return policy, jit
