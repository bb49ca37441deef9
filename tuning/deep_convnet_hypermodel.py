"""Search space of Deep ConvNet (``deep_convnet``).

Hyperparameters (defaults: the preset's, ``paper`` unless another is chosen):

- ``n_filters_time`` and ``n_filters_spat`` of the first block (10-50), ``width_multiplier``
  of the later blocks (0.5, 1, 2 times the preset's ``block_filters``), ``dropout`` (0-0.7);
- ``learning_rate`` (1e-4-1e-2, log) of Adam.

Kernel and pooling lengths are not searched: they set the shortest window the model accepts.
Label smoothing is not searched: it changes the scale of ``val_loss``.
"""

from __future__ import annotations

from amigos_emo.models.deep_convnet.deep_convnet_backbone import DeepConvNet
from amigos_emo.models.deep_convnet.deep_convnet_presets import DEFAULT_PRESET
from amigos_emo.tuning.base_hypermodel import RegistryHyperModel, float_range, int_choice


class DeepConvNetHyperModel(RegistryHyperModel):
    """Hypermodel of ``deep_convnet``; arguments: see :class:`RegistryHyperModel`."""

    model_name = "deep_convnet"
    backbone_class = DeepConvNet
    default_preset = DEFAULT_PRESET

    def search_space(self, hp):
        seed = self.seed_values()
        compile_defaults = self.compile_defaults()
        multiplier = hp.Choice("width_multiplier", [0.5, 1.0, 2.0], default=1.0)
        build_args = {
            "n_filters_time": int_choice(
                hp, "n_filters_time", (10, 25, 50), seed["n_filters_time"]
            ),
            "n_filters_spat": int_choice(
                hp, "n_filters_spat", (10, 25, 50), seed["n_filters_spat"]
            ),
            "block_filters": tuple(max(1, round(f * multiplier)) for f in seed["block_filters"]),
            "dropout": float_range(hp, "dropout", 0.0, 0.7, seed["dropout"], step=0.05),
        }
        compile_args = {
            "learning_rate": float_range(
                hp, "learning_rate", 1e-4, 1e-2, compile_defaults["learning_rate"], log=True
            ),
        }
        return build_args, compile_args
