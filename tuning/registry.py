"""Hypermodels by registered model name.

Every model in :func:`amigos_emo.models.list_models` must have one;
``tuning/hypermodels_test.py::test_every_registered_model_has_a_hypermodel_and_a_test_case``
fails when a registered model has none (models without a family hypermodel, e.g. ``MODULE:NAME``
models from outside the package, get a learning-rate search).
"""

from __future__ import annotations

from amigos_emo.tuning.deep_convnet_hypermodel import DeepConvNetHyperModel
from amigos_emo.tuning.dgcnn_hypermodel import DGCNNHyperModel
from amigos_emo.tuning.eegnet_hypermodel import EEGNetHyperModel
from amigos_emo.tuning.gru_classifier_hypermodel import GRUClassifierHyperModel
from amigos_emo.tuning.gru_xnet_hypermodel import GRUXNetHyperModel
from amigos_emo.tuning.multimodal_lstm_hypermodel import MultimodalLSTMHyperModel
from amigos_emo.tuning.res_attention_net_hypermodel import ResAttentioNetHyperModel
from amigos_emo.tuning.shallow_convnet_hypermodel import ShallowConvNetHyperModel
from amigos_emo.tuning.signal_fusion_hypermodel import SignalFusionHyperModel
from amigos_emo.tuning.tsception_hypermodel import TSceptionHyperModel
from amigos_emo.tuning.vae_gnn_hypermodel import VAEGNNHyperModel

HYPERMODELS = {
    cls.model_name: cls
    for cls in (
        MultimodalLSTMHyperModel,
        GRUXNetHyperModel,
        ResAttentioNetHyperModel,
        VAEGNNHyperModel,
        GRUClassifierHyperModel,
        EEGNetHyperModel,
        ShallowConvNetHyperModel,
        DeepConvNetHyperModel,
        TSceptionHyperModel,
        DGCNNHyperModel,
        SignalFusionHyperModel,
    )
}


def list_hypermodels():
    """Model names that have a hypermodel, sorted."""
    return sorted(HYPERMODELS)


def get_hypermodel_class(model_name):
    """The hypermodel class of the registered model ``model_name``.

    A model from outside the package (``MODULE:NAME``) or any registered model without a
    family hypermodel gets :func:`learning_rate_hypermodel`: its compile function's learning
    rate is searched on a log scale around its default (the architecture stays as built).
    """
    if model_name in HYPERMODELS:
        return HYPERMODELS[model_name]
    from amigos_emo.models import get_model_entry

    try:
        entry = get_model_entry(model_name)
    except ValueError:
        raise ValueError(
            f"No hypermodel for this model. Expected one of: {', '.join(list_hypermodels())}, or a registered "
            f"model / MODULE:NAME. Received: model={model_name!r}"
        ) from None
    return learning_rate_hypermodel(model_name, entry)


def learning_rate_hypermodel(model_name, entry):
    """A hypermodel class that searches only the learning rate of ``entry``'s compile function."""
    import inspect

    from amigos_emo.tuning.base_hypermodel import RegistryHyperModel, float_range, keyword_defaults

    default = keyword_defaults(entry.compile).get("learning_rate")
    if "learning_rate" not in inspect.signature(entry.compile).parameters:
        raise ValueError(
            f"Model {model_name!r} has no family hypermodel, and its compile function takes no learning_rate to "
            "search. Give compile(model, ..., learning_rate=1e-3) a learning_rate argument, or write a hypermodel."
        )
    center = float(default) if default else 1e-3

    class LearningRateHyperModel(RegistryHyperModel):
        def search_space(self, hp):
            rate = float_range(hp, "learning_rate", center / 10, center * 10, center, log=True)
            return {}, {"learning_rate": rate}

    LearningRateHyperModel.model_name = model_name
    LearningRateHyperModel.default_preset = next(iter(entry.presets), None)
    LearningRateHyperModel.__name__ = f"LearningRateHyperModel[{model_name}]"
    return LearningRateHyperModel


def make_hypermodel(model_name, fold_data=None, **kwargs):
    """``get_hypermodel_class(model_name)(fold_data, **kwargs)``."""
    return get_hypermodel_class(model_name)(fold_data, **kwargs)
