"""KerasTuner searches for every registered architecture (``python -m amigos_emo.tune``).

One ``keras_tuner.HyperModel`` per model family (``<family>_hypermodel.py``), built on
:class:`~amigos_emo.tuning.base_hypermodel.RegistryHyperModel`: it builds the architecture
through the model registry, wraps it with the fold's train-only normalisation
(``FoldData.wrap``) and compiles it with the family's compile function. The search itself
(validation on held-out subjects, resume, distributed chief/worker, retraining of the best
configuration) is :mod:`amigos_emo.tuning.search`. See ``tuning/README.md``.
"""

import importlib

# Imported on first use (PEP 562), so that ``python -m amigos_emo.tune`` can parse its options,
# and set what must be set before TensorFlow is imported, without importing KerasTuner first.
_EXPORTS = {
    "HYPERMODELS": "amigos_emo.tuning.registry",
    "RegistryHyperModel": "amigos_emo.tuning.base_hypermodel",
    "get_hypermodel_class": "amigos_emo.tuning.registry",
    "list_hypermodels": "amigos_emo.tuning.registry",
    "make_hypermodel": "amigos_emo.tuning.registry",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name):
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
