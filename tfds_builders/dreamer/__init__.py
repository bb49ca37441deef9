"""DREAMER builder (``tfds.builder("dreamer")`` once imported)."""

from amigos_emo.tfds_builders.dreamer.dreamer_dataset_builder import Builder, DreamerConfig

__all__ = ["Builder", "DreamerConfig"]
