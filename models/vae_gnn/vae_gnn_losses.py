"""Losses of the VAE-GNN family.

:class:`BinaryFocalLoss` is Keras's own :class:`keras.losses.BinaryFocalCrossentropy` with the
focal-loss paper's defaults (alpha-balanced, ``alpha=0.25``, ``gamma=2``), registered under the
package name so saved configs keep loading; no loss maths is re-implemented here. The
triplet-center term lives in :class:`~.vae_gnn_layers.TripletCenterLoss` (it holds weights);
:func:`vae_loss_per_example` is the VAE term.
"""

from __future__ import annotations

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="amigos_emo")
class BinaryFocalLoss(keras.losses.BinaryFocalCrossentropy):
    """Alpha-balanced binary focal loss ``-alpha_t (1 - p_t)^gamma log(p_t)`` on probabilities.

    Args:
        alpha: weight of the positive class (``1 - alpha`` for the negative class).
        gamma: focusing exponent (0 gives alpha-weighted cross-entropy).
        **kwargs: forwarded to :class:`keras.losses.BinaryFocalCrossentropy` (``reduction``,
            ``name``, ``from_logits``, ``label_smoothing``).
    """

    def __init__(self, alpha=0.25, gamma=2.0, name="binary_focal_loss", **kwargs):
        kwargs.pop("apply_class_balancing", None)
        super().__init__(apply_class_balancing=True, alpha=alpha, gamma=gamma, name=name, **kwargs)

    def get_config(self):
        config = super().get_config()
        config.pop("apply_class_balancing", None)
        return config


def vae_loss_per_example(
    grid, reconstruction, z_mean, z_log_var, kl_weight=1e-3, log_var_limit=10.0
):
    """VAE loss per example: mean-squared reconstruction error + ``kl_weight`` * KL divergence.

    Args:
        grid: float (batch, ...) the VAE input.
        reconstruction: float, same shape as ``grid``.
        z_mean, z_log_var: float (batch, latent_dim) posterior parameters.
        kl_weight: weight of ``KL(N(mean, var) || N(0, I))`` (summed over latent dimensions)
            relative to the per-element MSE.
        log_var_limit: clip bound of the log-variance (as in the sampling layer).

    Returns:
        float32 (batch,) per-example losses.
    """
    grid = ops.cast(grid, "float32")
    reconstruction = ops.cast(reconstruction, "float32")
    batch = ops.shape(grid)[0]
    mse = ops.mean(ops.reshape(ops.square(grid - reconstruction), (batch, -1)), axis=-1)
    z_mean = ops.cast(z_mean, "float32")
    z_log_var = ops.clip(ops.cast(z_log_var, "float32"), -log_var_limit, log_var_limit)
    kl = -0.5 * ops.sum(1.0 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var), axis=-1)
    return mse + kl_weight * kl
