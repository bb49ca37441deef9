"""Bring-your-own-data builder (``custom``): EDF/CSV/NPZ recordings + labels CSV + JSON."""

from amigos_emo.tfds_builders.custom.custom_dataset_builder import (
    Builder,
    CustomConfig,
    read_trial_signals,
)
from amigos_emo.tfds_builders.custom.custom_spec import DatasetSpec, load_spec

__all__ = ["Builder", "CustomConfig", "DatasetSpec", "load_spec", "read_trial_signals"]
