"""Bring-your-own-data builder (``custom``): EDF/CSV/NPZ/E4 recordings + labels CSV + JSON."""

from amigos_emo.tfds_builders.custom.custom_dataset_builder import (
    Builder,
    CustomConfig,
    read_trial_signals,
)
from amigos_emo.tfds_builders.custom.custom_spec import (
    DatasetSpec,
    load_spec,
    segments_from_label_track,
)

__all__ = [
    "Builder",
    "CustomConfig",
    "DatasetSpec",
    "load_spec",
    "read_trial_signals",
    "segments_from_label_track",
]
