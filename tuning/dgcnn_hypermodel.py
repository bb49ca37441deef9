"""Search space of DGCNN (``dgcnn``).

Hyperparameters (defaults: the preset's, ``seed`` unless another is chosen):

- ``n_filters`` (8-64), ``chebyshev_order`` (``K``: 1-5), ``dropout`` (0-0.5);
- ``learning_rate`` (1e-4-1e-2, log) of Adam.

The L1/L2 penalties (adjacency and kernels) are not searched: Keras adds them to ``val_loss``,
the default objective, so searching them would change what is compared. Label smoothing is
not searched for the same reason.
"""

from __future__ import annotations

from amigos_emo.models.dgcnn.dgcnn_backbone import DGCNN
from amigos_emo.models.dgcnn.dgcnn_presets import DEFAULT_PRESET
from amigos_emo.tuning.base_hypermodel import RegistryHyperModel, float_range, int_choice


class DGCNNHyperModel(RegistryHyperModel):
    """Hypermodel of ``dgcnn``; arguments: see :class:`RegistryHyperModel`."""

    model_name = "dgcnn"
    backbone_class = DGCNN
    default_preset = DEFAULT_PRESET

    def search_space(self, hp):
        seed = self.seed_values()
        compile_defaults = self.compile_defaults()
        order = int(seed["chebyshev_order"])
        build_args = {
            "n_filters": int_choice(hp, "n_filters", (8, 16, 32, 64), seed["n_filters"]),
            "chebyshev_order": hp.Int(
                "chebyshev_order", min(1, order), max(5, order), default=order
            ),
            "dropout": float_range(hp, "dropout", 0.0, 0.5, seed["dropout"], step=0.05),
        }
        compile_args = {
            "learning_rate": float_range(
                hp, "learning_rate", 1e-4, 1e-2, compile_defaults["learning_rate"], log=True
            ),
        }
        return build_args, compile_args
