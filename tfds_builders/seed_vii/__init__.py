"""SEED-VII (7 classes, 20 subjects x 4 sessions x 20 clips)."""

from amigos_emo.tfds_builders.seed_vii.seed_vii_dataset_builder import Builder

__all__ = ["Builder"]
