import numpy as np
import pytest

from amigos_emo.signal.lds import lds_gains, lds_smooth


def _scalar_kalman_rts(y, a=1.0, c=1.0, q=1e-4, r=1.0, v0=0.01, mu0=None, backward=True):
    """Plain-Python scalar Kalman filter + RTS smoother for one series."""
    n = len(y)
    mu0 = float(np.mean(y)) if mu0 is None else mu0
    u, v, p = [0.0] * n, [0.0] * n, [0.0] * n
    prior_mean, prior_var = mu0, v0
    for t in range(n):
        k = prior_var * c / (c * prior_var * c + r)
        u[t] = prior_mean + k * (y[t] - c * prior_mean)
        v[t] = (1 - k * c) * prior_var
        p[t] = a * v[t] * a + q
        prior_mean, prior_var = a * u[t], p[t]
    if not backward:
        return np.array(u)
    s = list(u)
    for t in range(n - 2, -1, -1):
        j = v[t] * a / p[t]
        s[t] = u[t] + j * (s[t + 1] - a * u[t])
    return np.array(s)


@pytest.mark.parametrize(
    "shape,axis", [((60, 4, 5), 0), ((7, 31), 1), ((1, 3), 0), ((2, 3, 240), -1)]
)
@pytest.mark.parametrize("backward", [True, False])
def test_lds_matches_scalar_loop(shape, axis, backward):
    series = np.random.default_rng(len(shape)).normal(loc=3.0, size=shape).cumsum(axis=axis)
    got = lds_smooth(series, axis=axis, backward=backward)
    assert got.shape == series.shape and got.dtype == np.float64
    moved, got_moved = np.moveaxis(series, axis, -1), np.moveaxis(got, axis, -1)
    for index in np.ndindex(moved.shape[:-1]):
        ref = _scalar_kalman_rts(list(moved[index]), backward=backward)
        np.testing.assert_allclose(got_moved[index], ref, rtol=0, atol=1e-8)


def test_lds_custom_parameters_match_loop():
    y = np.random.default_rng(2).normal(size=(50, 3))
    kwargs = dict(
        transition=0.9,
        observation=2.0,
        process_noise=0.05,
        observation_noise=0.5,
        prior_variance=1.0,
    )
    got = lds_smooth(y, prior_mean=0.5, **kwargs)
    for c in range(3):
        ref = _scalar_kalman_rts(list(y[:, c]), a=0.9, c=2.0, q=0.05, r=0.5, v0=1.0, mu0=0.5)
        np.testing.assert_allclose(got[:, c], ref, atol=1e-8)


def test_lds_smooths_noise_and_keeps_constants():
    rng = np.random.default_rng(3)
    trend = np.linspace(0, 1, 200)[:, None]
    noisy = trend + rng.normal(scale=0.5, size=(200, 8))
    smoothed = lds_smooth(noisy)
    assert np.abs(smoothed - trend).mean() < 0.5 * np.abs(noisy - trend).mean()
    np.testing.assert_allclose(lds_smooth(np.full((30, 2), 4.2)), 4.2, atol=1e-12)


def test_lds_gains_are_consistent():
    gains = lds_gains(100)
    assert all(g.shape == (100,) for g in gains.values())
    assert (gains["smoothed_variance"] <= gains["filtered_variance"] + 1e-15).all()
    np.testing.assert_allclose(gains["kalman_gain"][0], 0.01 / 1.01)


def test_lds_errors():
    with pytest.raises(ValueError, match="series must hold finite values. Received: 1 NaN"):
        lds_smooth(np.array([1.0, np.nan, 2.0]))
    with pytest.raises(ValueError, match="process_noise must be > 0"):
        lds_smooth(np.ones(5), process_noise=0)
    with pytest.raises(ValueError, match="at least one time step"):
        lds_smooth(np.ones((0, 3)))
