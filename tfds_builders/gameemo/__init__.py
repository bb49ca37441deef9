"""GAMEEMO as a TFDS builder (``gameemo``)."""

from amigos_emo.tfds_builders.gameemo.gameemo_dataset_builder import Builder

__all__ = ["Builder"]
