"""What the builder tests share: preparing a builder on its dummy data.

Each ``tfds_builders/<name>/<name>_dataset_builder_test.py`` builds its corpus from the files in
``dummy_data/`` beside it (or from an edited copy in ``tmp_path``) with :func:`build`.
"""

from __future__ import annotations

import os
import pathlib


def dummy_data(test_file):
    """The ``dummy_data/`` folder beside a test module (pass ``__file__``)."""
    return pathlib.Path(test_file).resolve().parent / "dummy_data"


def build(builder, data_dir, manual_dir=None, config=None):
    """Prepare a builder and return it.

    Args:
        builder: a ``Builder`` class, or a registered TFDS name (``"seed"``).
        data_dir: where TFDS writes the prepared dataset (a test's ``tmp_path``...).
        manual_dir: the folder of corpus files the builder reads (``None``: the builder needs
            none, e.g. ``custom``, whose description names its files).
        config: the builder config (a name, or a ``BuilderConfig``); ``None`` for the default.

    Returns:
        the prepared builder (``builder.as_dataset(split=...)`` reads it).
    """
    import tensorflow_datasets as tfds

    kwargs = {"data_dir": os.fspath(data_dir)}
    if config is not None:
        kwargs["config"] = config
    builder = tfds.builder(builder, **kwargs) if isinstance(builder, str) else builder(**kwargs)
    if manual_dir is None:
        builder.download_and_prepare()
    else:
        builder.download_and_prepare(
            download_config=tfds.download.DownloadConfig(manual_dir=os.fspath(manual_dir))
        )
    return builder
