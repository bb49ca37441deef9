"""AMIGOS builder (``tfds.builder("amigos")`` once imported; config ``synthetic`` is SYNTHETIC data)."""

from amigos_emo.tfds_builders.amigos.amigos_dataset_builder import AmigosConfig, Builder

__all__ = ["AmigosConfig", "Builder"]
