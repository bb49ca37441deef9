"""J. J. Bird's raw Muse mental-state recordings as a TFDS builder (``muse``)."""

from amigos_emo.tfds_builders.muse.muse_dataset_builder import Builder

__all__ = ["Builder"]
