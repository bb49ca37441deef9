"""Search space of the multimodal three-head LSTM (``multimodal_lstm``).

Hyperparameters (defaults: the preset's, ``lightweight`` unless another preset is chosen):

- ``pool_size``: temporal average-pooling front-end, 2/4/8 samples;
- per signal ``eeg``/``ecg``/``gsr``: ``{signal}_lstm_layers`` (1-3) with
  ``{signal}_lstm_units_{i}``, and ``{signal}_dense_layers`` (0-2) with
  ``{signal}_dense_units_{i}``;
- ``fusion_layers`` (1-3) with ``fusion_units_{i}``;
- ``dropout`` (0-0.5), ``l2`` (1e-6-1e-2, log), ``use_batch_norm``;
- ``learning_rate`` (1e-4-1e-2, log).

The head loss weights are NOT searched: they change the scale of ``val_loss``, the default
objective, so trials would no longer be comparable.
"""

from __future__ import annotations

from amigos_emo.models.multimodal_lstm.multimodal_lstm_backbone import MultimodalLSTMBackbone
from amigos_emo.models.multimodal_lstm.multimodal_lstm_presets import DEFAULT_PRESET
from amigos_emo.tuning.base_hypermodel import (
    RegistryHyperModel,
    float_range,
    int_choice,
    layer_widths,
)

LSTM_WIDTHS = (4, 8, 12, 16, 24, 32, 48, 64)
DENSE_WIDTHS = (3, 6, 12, 24, 48)
FUSION_WIDTHS = (4, 8, 16, 32, 64)


class MultimodalLSTMHyperModel(RegistryHyperModel):
    """Hypermodel of ``multimodal_lstm``; arguments: see :class:`RegistryHyperModel`."""

    model_name = "multimodal_lstm"
    backbone_class = MultimodalLSTMBackbone
    default_preset = DEFAULT_PRESET

    def search_space(self, hp):
        seed = self.seed_values()
        n_times = self.input_shapes["eeg"][0]
        pool_choices = [p for p in (2, 4, 8) if p <= n_times] or [1]
        build_args = {
            "pool_size": int_choice(hp, "pool_size", pool_choices, min(seed["pool_size"], n_times))
        }
        for signal in ("eeg", "ecg", "gsr"):
            build_args[f"{signal}_lstm_units"] = layer_widths(
                hp, f"{signal}_lstm", seed[f"{signal}_lstm_units"], LSTM_WIDTHS, 1, 3
            )
            build_args[f"{signal}_dense_units"] = layer_widths(
                hp, f"{signal}_dense", seed[f"{signal}_dense_units"], DENSE_WIDTHS, 0, 2
            )
        build_args["fusion_units"] = layer_widths(
            hp, "fusion", seed["fusion_units"], FUSION_WIDTHS, 1, 3
        )
        build_args["dropout"] = float_range(hp, "dropout", 0.0, 0.5, seed["dropout"], step=0.05)
        build_args["l2"] = float_range(hp, "l2", 1e-6, 1e-2, seed["l2"], log=True)
        build_args["use_batch_norm"] = hp.Boolean(
            "use_batch_norm", default=bool(seed["use_batch_norm"])
        )
        compile_args = {
            "learning_rate": float_range(
                hp, "learning_rate", 1e-4, 1e-2, self.compile_defaults()["learning_rate"], log=True
            )
        }
        return build_args, compile_args
