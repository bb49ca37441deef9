"""Hypermodels by registered model name.

Every model in :func:`amigos_emo.models.list_models` must have one;
``tuning/registry_test.py`` fails when a registered model has none.
"""

from __future__ import annotations

from amigos_emo.tuning.gru_classifier_hypermodel import GRUClassifierHyperModel
from amigos_emo.tuning.gru_xnet_hypermodel import GRUXNetHyperModel
from amigos_emo.tuning.multimodal_lstm_hypermodel import MultimodalLSTMHyperModel
from amigos_emo.tuning.res_attention_net_hypermodel import ResAttentioNetHyperModel
from amigos_emo.tuning.signal_fusion_hypermodel import SignalFusionHyperModel
from amigos_emo.tuning.vae_gnn_hypermodel import VAEGNNHyperModel

HYPERMODELS = {
    cls.model_name: cls
    for cls in (
        MultimodalLSTMHyperModel,
        GRUXNetHyperModel,
        ResAttentioNetHyperModel,
        VAEGNNHyperModel,
        GRUClassifierHyperModel,
        SignalFusionHyperModel,
    )
}


def list_hypermodels():
    """Model names that have a hypermodel, sorted."""
    return sorted(HYPERMODELS)


def get_hypermodel_class(model_name):
    """The hypermodel class of the registered model ``model_name``."""
    if model_name not in HYPERMODELS:
        raise ValueError(
            f"No hypermodel for this model. Expected one of: {', '.join(list_hypermodels())}. "
            f"Received: model={model_name!r}"
        )
    return HYPERMODELS[model_name]


def make_hypermodel(model_name, fold_data=None, **kwargs):
    """``get_hypermodel_class(model_name)(fold_data, **kwargs)``."""
    return get_hypermodel_class(model_name)(fold_data, **kwargs)
