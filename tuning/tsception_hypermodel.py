"""Search space of TSception (``tsception``).

Hyperparameters (defaults: the preset's, ``paper`` unless another is chosen: 15/15/32):

- ``n_filters_temporal`` (9-30), ``n_filters_spatial`` (6-30), ``hidden_units`` (16-128),
  ``dropout`` (0-0.7);
- ``learning_rate`` (1e-4-1e-2, log) of Adam.

The temporal kernels follow ``sfreq`` (0.5, 0.25, 0.125 s) and the hemisphere arrangement the
dataset's electrode names (``signals``); neither is searched. Label smoothing is not searched.
"""

from __future__ import annotations

from amigos_emo.models.tsception.tsception_backbone import TSception
from amigos_emo.models.tsception.tsception_presets import DEFAULT_PRESET
from amigos_emo.tuning.base_hypermodel import RegistryHyperModel, float_range, int_choice


class TSceptionHyperModel(RegistryHyperModel):
    """Hypermodel of ``tsception``; arguments: see :class:`RegistryHyperModel`."""

    model_name = "tsception"
    backbone_class = TSception
    default_preset = DEFAULT_PRESET

    def search_space(self, hp):
        seed = self.seed_values()
        compile_defaults = self.compile_defaults()
        build_args = {
            "n_filters_temporal": int_choice(
                hp, "n_filters_temporal", (9, 15, 30), seed["n_filters_temporal"]
            ),
            "n_filters_spatial": int_choice(
                hp, "n_filters_spatial", (6, 15, 30), seed["n_filters_spatial"]
            ),
            "hidden_units": int_choice(hp, "hidden_units", (16, 32, 64, 128), seed["hidden_units"]),
            "dropout": float_range(hp, "dropout", 0.0, 0.7, seed["dropout"], step=0.05),
        }
        compile_args = {
            "learning_rate": float_range(
                hp, "learning_rate", 1e-4, 1e-2, compile_defaults["learning_rate"], log=True
            ),
        }
        return build_args, compile_args
