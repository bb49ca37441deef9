import keras
import numpy as np
import pytest

from amigos_emo.models.vae_gnn.vae_gnn_losses import BinaryFocalLoss, vae_loss_per_example

RNG = np.random.default_rng(1)


def _reference_focal(y, p, alpha, gamma, eps=1e-7):
    p = np.clip(p.astype(np.float64), eps, 1 - eps)
    p_t = np.where(y == 1, p, 1 - p)
    alpha_t = np.where(y == 1, alpha, 1 - alpha)
    return (-alpha_t * (1 - p_t) ** gamma * np.log(p_t)).mean(axis=-1)


@pytest.mark.parametrize(("alpha", "gamma"), [(0.25, 2.0), (0.5, 0.0), (0.8, 1.5)])
def test_binary_focal_loss_matches_numpy_reference(alpha, gamma):
    y = RNG.integers(0, 2, (32, 1)).astype("float32")
    p = RNG.uniform(0.01, 0.99, (32, 1)).astype("float32")
    per_example = np.asarray(BinaryFocalLoss(alpha=alpha, gamma=gamma, reduction=None)(y, p))
    np.testing.assert_allclose(
        per_example, _reference_focal(y, p, alpha, gamma), rtol=1e-4, atol=1e-6
    )
    mean = float(BinaryFocalLoss(alpha=alpha, gamma=gamma)(y, p))
    np.testing.assert_allclose(mean, _reference_focal(y, p, alpha, gamma).mean(), rtol=1e-4)


def test_binary_focal_loss_serialises_under_the_package_name():
    loss = BinaryFocalLoss(alpha=0.3, gamma=1.0)
    restored = keras.losses.deserialize(keras.losses.serialize(loss))
    assert isinstance(restored, BinaryFocalLoss)
    assert (restored.alpha, restored.gamma) == (0.3, 1.0)


def test_vae_loss_matches_numpy_reference():
    grid = RNG.normal(size=(4, 8, 3, 3)).astype("float32")
    recon = RNG.normal(size=(4, 8, 3, 3)).astype("float32")
    mean = RNG.normal(size=(4, 5)).astype("float32")
    log_var = RNG.normal(size=(4, 5)).astype("float32")
    out = np.asarray(vae_loss_per_example(grid, recon, mean, log_var, kl_weight=0.1))
    mse = ((grid.astype(np.float64) - recon) ** 2).reshape(4, -1).mean(-1)
    kl = -0.5 * (
        1 + log_var.astype(np.float64) - mean.astype(np.float64) ** 2 - np.exp(log_var)
    ).sum(-1)
    assert out.shape == (4,)
    np.testing.assert_allclose(out, mse + 0.1 * kl, rtol=1e-5)
    # KL vanishes for the prior itself.
    zeros = np.zeros((4, 5), "float32")
    np.testing.assert_allclose(
        np.asarray(vae_loss_per_example(grid, grid, zeros, zeros)), 0.0, atol=1e-7
    )
