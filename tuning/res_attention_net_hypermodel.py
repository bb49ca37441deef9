"""Search space of ResAttentioNet (``res_attention_net``).

The ResNet-18 depth is fixed by the architecture; its width is not. Hyperparameters
(defaults: the preset's, ``seed_iv`` unless another is chosen):

- ``base_width`` (4-32: stage widths are 1, 2, 4, 8 times it), ``n_heads`` of the attention
  pooling (1-4; lowered to a divisor of ``8 * base_width`` when needed), ``hidden_units``
  (32-256), ``dropout`` (0-0.7);
- ``learning_rate`` (1e-5-1e-3, log) and ``weight_decay`` (1e-6-1e-2, log) of AdamW.

Training keeps the seed's reduce-on-plateau callback
(:func:`amigos_emo.models.res_attention_net.default_callbacks`). Label smoothing is not
searched: it changes the scale of ``val_loss``, the default objective.
"""

from __future__ import annotations

from amigos_emo.models.res_attention_net.res_attention_net_backbone import (
    ResAttentioNet,
    default_callbacks,
)
from amigos_emo.models.res_attention_net.res_attention_net_presets import DEFAULT_PRESET
from amigos_emo.tuning.base_hypermodel import (
    RegistryHyperModel,
    divisor_at_most,
    float_range,
    int_choice,
)


class ResAttentioNetHyperModel(RegistryHyperModel):
    """Hypermodel of ``res_attention_net``; arguments: see :class:`RegistryHyperModel`."""

    model_name = "res_attention_net"
    backbone_class = ResAttentioNet
    default_preset = DEFAULT_PRESET

    def search_space(self, hp):
        seed = self.seed_values()
        compile_defaults = self.compile_defaults()
        base_width = int_choice(hp, "base_width", (4, 8, 16, 32), seed["base_width"])
        n_heads = int_choice(hp, "n_heads", (1, 2, 4), seed["n_heads"])
        build_args = {
            "base_width": base_width,
            "n_heads": divisor_at_most(8 * base_width, n_heads),
            "hidden_units": int_choice(
                hp, "hidden_units", (32, 64, 128, 256), seed["hidden_units"]
            ),
            "dropout": float_range(hp, "dropout", 0.0, 0.7, seed["dropout"], step=0.05),
        }
        compile_args = {
            "learning_rate": float_range(
                hp, "learning_rate", 1e-5, 1e-3, compile_defaults["learning_rate"], log=True
            ),
            "weight_decay": float_range(
                hp, "weight_decay", 1e-6, 1e-2, compile_defaults["weight_decay"], log=True
            ),
        }
        return build_args, compile_args

    def callbacks(self):
        return default_callbacks()
