"""Search space of GRU-XNet (``gru_xnet``).

Hyperparameters (defaults: the preset's, ``standard`` unless another is chosen):

- ``cnn_filters_1``..``cnn_filters_3``: widths of the three per-channel CNN blocks;
- ``fusion_units``, ``freq_pooling`` (mean or flatten), ``variant`` (standard or dynamic);
- ``gru_units``, ``n_gru_layers`` (1-3), ``n_heads`` (1-8; lowered to the largest divisor of
  ``2 * gru_units`` when it does not divide it);
- ``head_layers`` (1-3) with ``head_units_{i}``; ``dropout`` (0-0.7);
- ``learning_rate`` (1e-4-1e-2, log).

Label smoothing is not searched: it changes the scale of ``val_loss``, the default objective.
"""

from __future__ import annotations

from amigos_emo.models.gru_xnet.gru_xnet_backbone import FREQ_POOLINGS, VARIANTS, GRUXNet
from amigos_emo.models.gru_xnet.gru_xnet_presets import DEFAULT_PRESET
from amigos_emo.tuning.base_hypermodel import (
    RegistryHyperModel,
    divisor_at_most,
    float_range,
    int_choice,
    layer_widths,
)


class GRUXNetHyperModel(RegistryHyperModel):
    """Hypermodel of ``gru_xnet``; arguments: see :class:`RegistryHyperModel`."""

    model_name = "gru_xnet"
    backbone_class = GRUXNet
    default_preset = DEFAULT_PRESET

    def search_space(self, hp):
        seed = self.seed_values()
        filters = tuple(
            int_choice(hp, f"cnn_filters_{index}", (8, 16, 32, 64, 128), width)
            for index, width in enumerate(seed["cnn_filters"], start=1)
        )
        gru_units = int_choice(hp, "gru_units", (32, 64, 128, 256), seed["gru_units"])
        n_heads = int_choice(hp, "n_heads", (1, 2, 4, 8), seed["n_heads"])
        build_args = {
            "cnn_filters": filters,
            "fusion_units": int_choice(
                hp, "fusion_units", (64, 128, 256, 512), seed["fusion_units"]
            ),
            "freq_pooling": hp.Choice(
                "freq_pooling", list(FREQ_POOLINGS), default=seed["freq_pooling"]
            ),
            "variant": hp.Choice("variant", list(VARIANTS), default=seed["variant"]),
            "gru_units": gru_units,
            "n_gru_layers": hp.Int(
                "n_gru_layers", 1, max(3, seed["n_gru_layers"]), default=seed["n_gru_layers"]
            ),
            "n_heads": divisor_at_most(2 * gru_units, n_heads),
            "head_units": layer_widths(hp, "head", seed["head_units"], (32, 64, 128, 256), 1, 3),
            "dropout": float_range(hp, "dropout", 0.0, 0.7, seed["dropout"], step=0.05),
        }
        compile_args = {
            "learning_rate": float_range(
                hp, "learning_rate", 1e-4, 1e-2, self.compile_defaults()["learning_rate"], log=True
            )
        }
        return build_args, compile_args
