"""SEED-IV (4 classes, 15 subjects x 3 sessions x 24 film clips)."""

from amigos_emo.tfds_builders.seed_iv.seed_iv_dataset_builder import Builder

__all__ = ["Builder"]
