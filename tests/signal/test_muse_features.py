"""Bird-style Muse feature vector against a slow per-window float64 reference."""

import numpy as np
import pytest
from scipy import stats

from amigos_emo.signal.muse_features import muse_feature_names, muse_features, n_muse_features

CHANNELS = ("TP9", "AF7", "AF8", "TP10")


def _reference(window, n_fft_bins):
    """One window (n_times, n_chans) -> dict name -> value, written the obvious way."""
    values = {}
    n_times = window.shape[0]
    half = n_times // 2
    for c, ch in enumerate(CHANNELS):
        x = window[:, c].astype(np.float64)
        values[f"mean_{ch}"] = np.mean(x)
        values[f"std_{ch}"] = np.sqrt(np.mean((x - x.mean()) ** 2))
        values[f"skew_{ch}"] = stats.skew(x)
        values[f"kurtosis_{ch}"] = stats.kurtosis(x)
        values[f"max_{ch}"] = np.max(x)
        values[f"min_{ch}"] = np.min(x)
        for name, part in (("a", x[:half]), ("b", x[half:])):
            values[f"mean_{name}_{ch}"] = part.mean()
            values[f"std_{name}_{ch}"] = part.std()
            values[f"max_{name}_{ch}"] = part.max()
            values[f"min_{name}_{ch}"] = part.min()
        for stat in ("mean", "std", "max", "min"):
            values[f"diff_{stat}_{ch}"] = values[f"{stat}_b_{ch}"] - values[f"{stat}_a_{ch}"]
        for k in range(1, n_fft_bins + 1):
            # Plain DFT sum for bin k.
            t = np.arange(n_times)
            coefficient = np.sum((x - x.mean()) * np.exp(-2j * np.pi * k * t / n_times))
            values[f"fft_{k}_{ch}"] = np.abs(coefficient) / n_times
    covariance = np.cov(window.astype(np.float64), rowvar=False, ddof=0)
    for i in range(len(CHANNELS)):
        for j in range(i, len(CHANNELS)):
            values[f"cov_{CHANNELS[i]}_{CHANNELS[j]}"] = covariance[i, j]
    for k, eigenvalue in enumerate(sorted(np.linalg.eigvals(covariance).real)):
        values[f"logeig_{k}"] = np.log(eigenvalue)
    return values


def test_matches_slow_reference():
    rng = np.random.default_rng(0)
    windows = rng.normal(scale=20.0, size=(5, 64, 4)) + rng.normal(size=(5, 1, 4)) * 5
    features = muse_features(windows, n_fft_bins=8)
    names = muse_feature_names(CHANNELS, n_fft_bins=8)
    assert features.shape == (5, n_muse_features(4, 8)) == (5, len(names))
    assert features.dtype == np.float32
    assert len(set(names)) == len(names)
    for w in range(5):
        reference = _reference(windows[w], 8)
        assert set(reference) == set(names)
        expected = np.array([reference[name] for name in names])
        np.testing.assert_allclose(features[w], expected, rtol=1e-4, atol=1e-4)


def test_default_size_and_odd_length_halves():
    windows = np.random.default_rng(1).normal(size=(2, 257, 4)).astype(np.float32)
    features = muse_features(windows)
    assert features.shape == (2, 286)
    names = muse_feature_names(CHANNELS)
    # odd length: half a = 128 samples, half b = 129 samples
    index = names.index("mean_b_AF7")
    np.testing.assert_allclose(features[:, index], windows[:, 128:, 1].mean(axis=1), rtol=1e-5)


def test_constant_channel_gives_finite_features():
    windows = np.random.default_rng(2).normal(size=(3, 32, 4))
    windows[:, :, 2] = 7.0
    features = muse_features(windows, n_fft_bins=4)
    names = muse_feature_names(CHANNELS, n_fft_bins=4)
    assert np.all(np.isfinite(features))
    assert np.all(features[:, names.index("skew_AF8")] == 0)
    assert np.all(features[:, names.index("kurtosis_AF8")] == 0)
    np.testing.assert_allclose(features[:, names.index("logeig_0")], np.log(1e-12), rtol=1e-4)


@pytest.mark.parametrize(
    ("windows", "kwargs", "match"),
    [
        (np.zeros((2, 64)), {}, "must have 3 dimensions"),
        (np.zeros((2, 3, 4)), {}, "at least 4 samples"),
        (
            np.zeros((2, 64, 4)),
            {"n_fft_bins": 33},
            "n_fft_bins must be between 1 and n_times // 2 = 32",
        ),
        (np.full((2, 64, 4), np.nan), {"n_fft_bins": 4}, "finite"),
    ],
)
def test_bad_input(windows, kwargs, match):
    with pytest.raises(ValueError, match=match):
        muse_features(windows, **kwargs)
