"""Search space of VAE-GNN (``vae_gnn``), loss weights included.

Hyperparameters (defaults: the preset's, ``dreamer`` unless another is chosen):

- ``vae_filters_1``..``vae_filters_3`` (Conv3D widths; the decoder mirrors them),
  ``latent_dim`` (16-256);
- ``gcn_units`` (8-64), ``n_gcn_layers`` (1-3), ``gru_units`` (32-256), ``dropout`` (0-0.6);
- loss weights: ``beta_triplet`` (0.01-1, log), ``beta_vae`` (0.1-10, log), ``kl_weight``
  (1e-4-1e-2, log); ``beta_focal`` stays at the seed's value (the classification term anchors
  the scale);
- ``learning_rate`` (1e-4-1e-2, log).

Objective: because the loss weights are searched, ``val_loss`` of two trials measures
different things (smaller weights, smaller loss). The default objective is therefore the mean
validation AUC of the two heads (``val_valence_auc`` and ``val_arousal_auc``, maximised).

The composite loss is the architecture's own ``compute_loss``; ``FoldData.wrap`` (through
``amigos_emo.training.modeling.attach_core_loss``) forwards the wrapper's ``compute_loss`` to
it, on normalised inputs, exactly as in ``python -m amigos_emo.train``.
"""

from __future__ import annotations

import keras_tuner

from amigos_emo.models.vae_gnn.vae_gnn_backbone import VAEGNN
from amigos_emo.models.vae_gnn.vae_gnn_presets import DEFAULT_PRESET
from amigos_emo.tuning.base_hypermodel import RegistryHyperModel, float_range, int_choice


class VAEGNNHyperModel(RegistryHyperModel):
    """Hypermodel of ``vae_gnn``; arguments: see :class:`RegistryHyperModel`."""

    model_name = "vae_gnn"
    backbone_class = VAEGNN
    default_preset = DEFAULT_PRESET
    default_objective = [
        keras_tuner.Objective("val_valence_auc", direction="max"),
        keras_tuner.Objective("val_arousal_auc", direction="max"),
    ]

    def search_space(self, hp):
        seed = self.seed_values()
        build_args = {
            "vae_filters": tuple(
                int_choice(hp, f"vae_filters_{index}", (8, 16, 32, 64, 128), width)
                for index, width in enumerate(seed["vae_filters"], start=1)
            ),
            "latent_dim": int_choice(hp, "latent_dim", (16, 32, 64, 128, 256), seed["latent_dim"]),
            "gcn_units": int_choice(hp, "gcn_units", (8, 16, 32, 64), seed["gcn_units"]),
            "n_gcn_layers": hp.Int(
                "n_gcn_layers", 1, max(3, seed["n_gcn_layers"]), default=seed["n_gcn_layers"]
            ),
            "gru_units": int_choice(hp, "gru_units", (32, 64, 128, 256), seed["gru_units"]),
            "dropout": float_range(hp, "dropout", 0.0, 0.6, seed["dropout"], step=0.05),
            "beta_triplet": float_range(
                hp, "beta_triplet", 0.01, 1.0, seed["beta_triplet"], log=True
            ),
            "beta_vae": float_range(hp, "beta_vae", 0.1, 10.0, seed["beta_vae"], log=True),
            "kl_weight": float_range(hp, "kl_weight", 1e-4, 1e-2, seed["kl_weight"], log=True),
        }
        compile_args = {
            "learning_rate": float_range(
                hp, "learning_rate", 1e-4, 1e-2, self.compile_defaults()["learning_rate"], log=True
            )
        }
        return build_args, compile_args
