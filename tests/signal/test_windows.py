import numpy as np
import pytest

from amigos_emo.signal.windows import baseline_template, n_windows, remove_baseline, sliding_windows


def _loop_windows(x, w, s):
    return np.stack([x[i : i + w] for i in range(0, x.shape[0] - w + 1, s)])


@pytest.mark.parametrize("w,s", [(128, 128), (128, 64), (100, 37), (7, 1)])
def test_sliding_windows_matches_loop(w, s):
    x = np.random.default_rng(0).normal(size=(1000, 5))
    got = sliding_windows(x, w, s, axis=0)
    np.testing.assert_array_equal(got, _loop_windows(x, w, s))
    assert got.shape == (n_windows(1000, w, s), w, 5)


def test_sliding_windows_channel_major():
    x = np.random.default_rng(1).normal(size=(3, 500))
    got = sliding_windows(x, 50, 25, axis=-1)
    ref = np.stack([_loop_windows(ch, 50, 25) for ch in x])
    np.testing.assert_array_equal(got, ref)


def test_too_short_gives_zero_windows():
    assert sliding_windows(np.zeros((10, 2)), 20, 5).shape == (0, 20, 2)


def test_bad_window_names_argument():
    with pytest.raises(ValueError, match="window_samples"):
        sliding_windows(np.zeros((10, 2)), 0, 5)


def test_remove_baseline_against_loop():
    rng = np.random.default_rng(2)
    base = rng.normal(size=(640 + 30, 4))
    wins = rng.normal(size=(6, 128, 4))
    template = np.mean([base[i * 128 : (i + 1) * 128] for i in range(5)], axis=0)
    np.testing.assert_allclose(baseline_template(base, 128), template)
    np.testing.assert_allclose(remove_baseline(wins, base), wins - template)
