"""Access to the corpus builders: ``get_builder("amigos/synthetic")`` and friends.

The builders live in ``tfds_builders/`` (installed as ``amigos_emo.tfds_builders``); importing
``amigos_emo.tfds_builders.<name>`` registers ``<name>`` with TFDS. This module does that
import, points TFDS at the user's ``manual_dir``, and prepares the data once.
"""

from __future__ import annotations

import importlib
import os
import pkgutil

from amigos_emo._logging import logger

DEFAULT_DATA_DIR = os.path.join(os.path.expanduser("~"), "amigos_emo_data")


def list_datasets():
    """Names of the corpora that have a builder folder under ``tfds_builders/``."""
    package = importlib.import_module("amigos_emo.tfds_builders")
    return sorted(info.name for info in pkgutil.iter_modules(package.__path__) if info.ispkg)


def split_dataset_name(dataset):
    """``"amigos/synthetic"`` -> ``("amigos", "synthetic")``; ``"deap"`` -> ``("deap", None)``."""
    name, _, config = str(dataset).partition("/")
    return name, (config or None)


def get_builder(dataset, data_dir=None, manual_dir=None):
    """The TFDS builder for ``dataset`` (``name`` or ``name/config``).

    Args:
        dataset: e.g. ``"amigos/synthetic"``, ``"amigos"`` (the real download), ``"deap/raw"``.
        data_dir: where prepared datasets are stored (default ``~/amigos_emo_data``).
        manual_dir: the folder holding the files as downloaded (licensed corpora).

    Returns:
        ``(builder, download_config)``; call :func:`prepare` to build it.
    """
    import tensorflow_datasets as tfds

    name, config = split_dataset_name(dataset)
    known = list_datasets()
    if name not in known:
        raise ValueError(f"Unknown dataset. Expected one of: {', '.join(known)}. Received: dataset={dataset!r}")
    module = importlib.import_module(f"amigos_emo.tfds_builders.{name}")
    kwargs = {"data_dir": os.fspath(data_dir or DEFAULT_DATA_DIR)}
    if name == "custom":
        # A user's own recordings: the JSON description in manual_dir defines the features.
        if not manual_dir:
            raise ValueError(
                "dataset 'custom' (bring your own data) needs --manual-dir pointing at the folder that holds "
                "amigos_emo_dataset.json (or at the JSON file itself); see tfds_builders/custom/README.md."
            )
        kwargs["config"] = module.CustomConfig.from_json(manual_dir, name=config)
    elif config:
        kwargs["config"] = config
    builder = tfds.builder(name, **kwargs)
    download_config = tfds.download.DownloadConfig(manual_dir=os.fspath(manual_dir) if manual_dir else None)
    return builder, download_config


def prepare(dataset, data_dir=None, manual_dir=None):
    """Build ``dataset`` if it is not prepared yet and return its builder.

    TFDS writes into an ``incomplete`` folder and renames it only when every split is written,
    so an interrupted build never leaves a dataset that looks complete; rerunning restarts it.
    """
    builder, download_config = get_builder(dataset, data_dir=data_dir, manual_dir=manual_dir)
    if builder.is_prepared():
        logger.info("Using prepared dataset %s at %s", builder.info.full_name, builder.data_dir)
    else:
        logger.info("Preparing %s into %s (once; later runs reuse it)", builder.info.full_name, builder.data_dir)
        builder.download_and_prepare(download_config=download_config)
    return builder


def subject_splits(builder):
    """Per-subject split names (``subject_XX``) of a prepared builder, sorted."""
    names = sorted(s for s in builder.info.splits if s.startswith("subject_"))
    if not names:
        raise ValueError(
            f"{builder.info.full_name} has no per-subject splits (found: {', '.join(builder.info.splits)}); "
            "subject-independent protocols need them."
        )
    return names
