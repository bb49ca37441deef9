"""Search space of EEGNet (``eegnet``).

Hyperparameters (defaults: the preset's, ``eegnet_8_2`` unless another is chosen):

- ``n_filters_temporal`` (``F1``: 4-16), ``depth_multiplier`` (``D``: 1-4),
  ``n_filters_separable`` (``F2``: 8-64), ``dropout`` (0-0.5);
- ``learning_rate`` (1e-4-1e-2, log) of Adam.

The kernel lengths are not searched: they follow ``sfreq`` (half a second, an eighth of a
second), as in the paper, and ``sfreq`` is the dataset's (``signals``). Label smoothing is not searched: it changes the scale of ``val_loss``.
"""

from __future__ import annotations

from amigos_emo.models.eegnet.eegnet_backbone import EEGNet
from amigos_emo.models.eegnet.eegnet_presets import DEFAULT_PRESET
from amigos_emo.tuning.base_hypermodel import RegistryHyperModel, float_range, int_choice


class EEGNetHyperModel(RegistryHyperModel):
    """Hypermodel of ``eegnet``; arguments: see :class:`RegistryHyperModel`."""

    model_name = "eegnet"
    backbone_class = EEGNet
    default_preset = DEFAULT_PRESET

    def search_space(self, hp):
        seed = self.seed_values()
        compile_defaults = self.compile_defaults()
        build_args = {
            "n_filters_temporal": int_choice(
                hp, "n_filters_temporal", (4, 8, 16), seed["n_filters_temporal"]
            ),
            "depth_multiplier": int_choice(
                hp, "depth_multiplier", (1, 2, 4), seed["depth_multiplier"]
            ),
            "n_filters_separable": int_choice(
                hp, "n_filters_separable", (8, 16, 32, 64), seed["n_filters_separable"]
            ),
            "dropout": float_range(hp, "dropout", 0.0, 0.5, seed["dropout"], step=0.05),
        }
        compile_args = {
            "learning_rate": float_range(
                hp, "learning_rate", 1e-4, 1e-2, compile_defaults["learning_rate"], log=True
            ),
        }
        return build_args, compile_args
