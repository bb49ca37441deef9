"""SEED-V (5 classes, 16 subjects x 3 sessions x 15 film clips)."""

from amigos_emo.tfds_builders.seed_v.seed_v_dataset_builder import Builder

__all__ = ["Builder"]
