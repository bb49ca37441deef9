"""Keras functional architectures, one folder per model family (keras-hub style).

Each family folder holds ``<family>_backbone.py`` (the functional ``keras.Model``),
``<family>_presets.py`` (named configs as plain dicts), and ``*_test.py`` beside each module.
A family registers itself in :mod:`amigos_emo.models.registry` when imported;
:func:`amigos_emo.models.registry.list_models` imports every family folder first.
"""

from amigos_emo.models.registry import build_model, get_model_entry, list_models, register_model

__all__ = ["build_model", "get_model_entry", "list_models", "register_model"]
