import numpy as np
import pytest

from amigos_emo.signal.features import de_sequence
from amigos_emo.signal.lds import lds_smooth
from amigos_emo.signal.spectral import differential_entropy


def _loop_reference(trial, sfreq, window_s, n_steps, smooth):
    w = int(round(window_s * sfreq))
    n_windows = trial.shape[0] // w
    de = np.stack(
        [differential_entropy(trial[i * w : (i + 1) * w][None], sfreq)[0] for i in range(n_windows)]
    )
    if smooth:
        de = lds_smooth(de, axis=0)
    flat = np.zeros((n_steps, trial.shape[1] * 5))
    for i in range(min(n_windows, n_steps)):
        for c in range(trial.shape[1]):
            for b in range(5):
                flat[i, c * 5 + b] = de[i, c, b]
    return flat, min(n_windows, n_steps)


@pytest.mark.parametrize(
    "n_times,n_steps,smooth", [(200 * 10 + 57, 20, True), (200 * 30, 12, True), (200 * 8, 8, False)]
)
def test_de_sequence_matches_loop(n_times, n_steps, smooth):
    trial = np.random.default_rng(n_times).normal(scale=20.0, size=(n_times, 4))
    got, n_valid = de_sequence(trial, 200.0, window_s=1.0, n_steps=n_steps, smooth=smooth)
    ref, ref_valid = _loop_reference(trial, 200.0, 1.0, n_steps, smooth)
    assert got.shape == (n_steps, 20) and got.dtype == np.float32
    assert n_valid == ref_valid
    np.testing.assert_allclose(got, ref, rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(got[n_valid:], 0.0)


def test_de_sequence_smooths_whole_trial_before_truncating():
    trial = np.random.default_rng(1).normal(size=(128 * 20, 2))
    got, n_valid = de_sequence(trial, 128.0, window_s=2.0, n_steps=4)
    full, _ = de_sequence(trial, 128.0, window_s=2.0, n_steps=10)
    assert n_valid == 4
    np.testing.assert_array_equal(got, full[:4])


def test_de_sequence_too_short():
    with pytest.raises(
        ValueError, match=r"trial is shorter than one window of 4 s \(800 samples at 200 Hz\)"
    ):
        de_sequence(np.zeros((500, 62)), 200.0, window_s=4.0)
