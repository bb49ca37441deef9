"""Search space of the GRU feature-vector classifier (``gru_classifier``).

Hyperparameters (defaults: the preset's, ``fast`` unless another is chosen):

- ``n_steps``: chunks the feature vector is cut into (7-56, never above ``n_features``; a
  preset's ``None``, one feature per step, is the value ``n_features``);
- ``gru_units`` (16-256), ``dropout`` (0-0.5);
- ``learning_rate`` (1e-4-1e-2, log), ``lr_schedule`` (constant or cosine).

Label smoothing is not searched: it changes the scale of ``val_loss``, the default objective.
"""

from __future__ import annotations

from amigos_emo.models.gru_classifier.gru_classifier_backbone import GRUClassifierBackbone
from amigos_emo.models.gru_classifier.gru_classifier_presets import DEFAULT_PRESET
from amigos_emo.tuning.base_hypermodel import RegistryHyperModel, float_range, int_choice


class GRUClassifierHyperModel(RegistryHyperModel):
    """Hypermodel of ``gru_classifier``; arguments: see :class:`RegistryHyperModel`."""

    model_name = "gru_classifier"
    backbone_class = GRUClassifierBackbone
    default_preset = DEFAULT_PRESET

    def search_space(self, hp):
        seed = self.seed_values()
        n_features = self.input_shapes["features"][0]
        default_steps = (
            n_features if seed["n_steps"] is None else min(int(seed["n_steps"]), n_features)
        )
        steps = [s for s in (7, 14, 28, 56) if s <= n_features]
        compile_defaults = self.compile_defaults()
        build_args = {
            "n_steps": int_choice(hp, "n_steps", steps, default_steps),
            "gru_units": int_choice(hp, "gru_units", (16, 32, 64, 128, 256), seed["gru_units"]),
            "dropout": float_range(hp, "dropout", 0.0, 0.5, seed["dropout"], step=0.05),
        }
        compile_args = {
            "learning_rate": float_range(
                hp, "learning_rate", 1e-4, 1e-2, compile_defaults["learning_rate"], log=True
            ),
            "lr_schedule": hp.Choice(
                "lr_schedule", ["constant", "cosine"], default=compile_defaults["lr_schedule"]
            ),
        }
        return build_args, compile_args
