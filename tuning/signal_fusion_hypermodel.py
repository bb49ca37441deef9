"""Search space of the any-signal fusion model (``signal_fusion``).

Hyperparameters (defaults: the preset's, ``small`` unless another preset is chosen):

- ``target_steps`` (16/32/64): steps every branch's front-end aims at (only when the preset
  derives the stride from it, i.e. its ``stride`` is ``None``);
- ``n_filters`` (4-16) and ``filter_taps`` (8-32) of the filter-bank front-end;
- ``lstm_layers`` (1-2) with ``lstm_units_{i}``; ``dense_layers`` (0-2) with
  ``dense_units_{i}`` (every branch alike; a preset's ``branch_overrides`` stay fixed);
- ``fusion_layers`` (1-3) with ``fusion_units_{i}``;
- ``dropout`` (0-0.5), ``l2`` (1e-6-1e-2, log), ``use_batch_norm``;
- ``window_norm`` (``none`` / ``levels``: whether each branch reads its window standardised
  over time, with the levels beside, see :class:`SignalFusionBackbone`);
- ``learning_rate`` (1e-4-1e-2, log).

The heads come from the fold's targets (``fold_data.specs``) or the ``heads`` argument, never
from the search. Head loss weights are not searched: they change the scale of ``val_loss``.
"""

from __future__ import annotations

from amigos_emo.models.signal_fusion.signal_fusion_backbone import (
    WINDOW_NORMS,
    SignalFusionBackbone,
    check_heads,
    check_input_shapes,
    resolve_window_norm,
)
from amigos_emo.models.signal_fusion.signal_fusion_presets import DEFAULT_PRESET
from amigos_emo.tuning.base_hypermodel import (
    RegistryHyperModel,
    float_range,
    int_choice,
    layer_widths,
)

LSTM_WIDTHS = (4, 8, 16, 32, 64)
DENSE_WIDTHS = (4, 8, 16, 32)
FUSION_WIDTHS = (8, 16, 32, 64)


def heads_from_specs(specs):
    """``heads`` for :class:`SignalFusionBackbone` from a fold's ``TargetSpec`` list."""
    return {
        spec.name: {
            "kind": spec.kind,
            "n_classes": spec.n_classes if spec.kind == "classification" else None,
        }
        for spec in specs
    }


class SignalFusionHyperModel(RegistryHyperModel):
    """Hypermodel of ``signal_fusion``; arguments: see :class:`RegistryHyperModel`, plus

    Args:
        heads: ``{head: {"kind": ..., "n_classes": ...}}``; default: from ``fold_data.specs``,
            else the preset's heads or one classification head with ``n_outputs`` classes.

    Every entry of ``input_shapes`` (or of the fold's) becomes a branch.
    """

    model_name = "signal_fusion"
    backbone_class = SignalFusionBackbone
    default_preset = DEFAULT_PRESET

    def __init__(self, fold_data=None, input_shapes=None, heads=None, **kwargs):
        super().__init__(fold_data, input_shapes=input_shapes, **kwargs)
        shapes = input_shapes if input_shapes is not None else fold_data.input_shapes
        self.input_shapes = check_input_shapes(shapes)
        if heads is None and fold_data is not None and getattr(fold_data, "specs", None):
            heads = heads_from_specs(fold_data.specs)
        self.heads = None if heads is None else check_heads(heads)

    def search_space(self, hp):
        seed = self.seed_values()
        build_args = {}
        if seed.get("stride") is None:
            build_args["target_steps"] = int_choice(
                hp, "target_steps", (16, 32, 64), seed["target_steps"]
            )
        build_args["n_filters"] = int_choice(hp, "n_filters", (4, 8, 16), seed["n_filters"])
        build_args["filter_taps"] = int_choice(hp, "filter_taps", (8, 16, 32), seed["filter_taps"])
        build_args["lstm_units"] = layer_widths(hp, "lstm", seed["lstm_units"], LSTM_WIDTHS, 1, 2)
        build_args["dense_units"] = layer_widths(
            hp, "dense", seed["dense_units"], DENSE_WIDTHS, 0, 2
        )
        build_args["fusion_units"] = layer_widths(
            hp, "fusion", seed["fusion_units"], FUSION_WIDTHS, 1, 3
        )
        build_args["dropout"] = float_range(hp, "dropout", 0.0, 0.5, seed["dropout"], step=0.05)
        build_args["l2"] = float_range(hp, "l2", 1e-6, 1e-2, seed["l2"], log=True)
        build_args["use_batch_norm"] = hp.Boolean(
            "use_batch_norm", default=bool(seed["use_batch_norm"])
        )
        build_args["window_norm"] = hp.Choice(
            "window_norm",
            list(WINDOW_NORMS),
            default=resolve_window_norm(seed["window_norm"], self.input_shapes),
        )
        if any(len(shape) == 1 for shape in self.input_shapes.values()):  # a feature vector
            build_args["feature_units"] = layer_widths(
                hp, "feature", seed["feature_units"], DENSE_WIDTHS, 1, 2
            )
        if self.heads is not None:
            build_args["heads"] = self.heads
        compile_args = {
            "learning_rate": float_range(
                hp, "learning_rate", 1e-4, 1e-2, self.compile_defaults()["learning_rate"], log=True
            )
        }
        return build_args, compile_args
