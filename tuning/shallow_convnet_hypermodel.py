"""Search space of Shallow ConvNet (``shallow_convnet``).

Hyperparameters (defaults: the preset's, ``paper`` unless another is chosen):

- ``n_filters_time`` (20-80), ``n_filters_spat`` (20-80), ``dropout`` (0-0.7);
- ``learning_rate`` (1e-4-1e-2, log) of Adam.

Kernel and pooling lengths are not searched: they set the shortest window the model accepts.
Label smoothing is not searched: it changes the scale of ``val_loss``.
"""

from __future__ import annotations

from amigos_emo.models.shallow_convnet.shallow_convnet_backbone import ShallowConvNet
from amigos_emo.models.shallow_convnet.shallow_convnet_presets import DEFAULT_PRESET
from amigos_emo.tuning.base_hypermodel import RegistryHyperModel, float_range, int_choice


class ShallowConvNetHyperModel(RegistryHyperModel):
    """Hypermodel of ``shallow_convnet``; arguments: see :class:`RegistryHyperModel`."""

    model_name = "shallow_convnet"
    backbone_class = ShallowConvNet
    default_preset = DEFAULT_PRESET

    def search_space(self, hp):
        seed = self.seed_values()
        compile_defaults = self.compile_defaults()
        build_args = {
            "n_filters_time": int_choice(
                hp, "n_filters_time", (20, 40, 80), seed["n_filters_time"]
            ),
            "n_filters_spat": int_choice(
                hp, "n_filters_spat", (20, 40, 80), seed["n_filters_spat"]
            ),
            "dropout": float_range(hp, "dropout", 0.0, 0.7, seed["dropout"], step=0.05),
        }
        compile_args = {
            "learning_rate": float_range(
                hp, "learning_rate", 1e-4, 1e-2, compile_defaults["learning_rate"], log=True
            ),
        }
        return build_args, compile_args
