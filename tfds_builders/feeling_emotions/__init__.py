"""The Kaggle "Feeling Emotions" emotions.csv as a TFDS builder (``feeling_emotions``)."""

from amigos_emo.tfds_builders.feeling_emotions.feeling_emotions_dataset_builder import Builder

__all__ = ["Builder"]
