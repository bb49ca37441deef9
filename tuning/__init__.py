"""KerasTuner searches for every registered architecture (``python -m amigos_emo.tune``).

One ``keras_tuner.HyperModel`` per model family (``<family>_hypermodel.py``), built on
:class:`~amigos_emo.tuning.base_hypermodel.RegistryHyperModel`: it builds the architecture
through the model registry, wraps it with the fold's train-only normalisation
(``FoldData.wrap``) and compiles it with the family's compile function. The search itself
(validation on held-out subjects, resume, distributed chief/worker, retraining of the best
configuration) is :mod:`amigos_emo.tuning.search`. See ``tuning/README.md``.
"""

from amigos_emo.tuning.base_hypermodel import RegistryHyperModel
from amigos_emo.tuning.registry import (
    HYPERMODELS,
    get_hypermodel_class,
    list_hypermodels,
    make_hypermodel,
)

__all__ = [
    "HYPERMODELS",
    "RegistryHyperModel",
    "get_hypermodel_class",
    "list_hypermodels",
    "make_hypermodel",
]
