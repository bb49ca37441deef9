"""DEAP builder (``tfds.builder("deap")`` once imported)."""

from amigos_emo.tfds_builders.deap.deap_dataset_builder import Builder, DeapConfig

__all__ = ["Builder", "DeapConfig"]
