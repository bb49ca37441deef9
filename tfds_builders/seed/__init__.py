"""SEED (3 classes, 15 subjects x 3 sessions x 15 film clips)."""

from amigos_emo.tfds_builders.seed.seed_dataset_builder import Builder

__all__ = ["Builder"]
