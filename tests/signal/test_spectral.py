import numpy as np
import pytest
from scipy import signal

from amigos_emo.constants.common import FREQUENCY_BANDS
from amigos_emo.signal.spectral import (
    band_matrix,
    band_power,
    differential_entropy,
    stft_grids,
    stft_spectrogram,
)


def _loop_band_power(windows, sfreq, bands=FREQUENCY_BANDS):
    """Obvious float64 reference: one periodogram per window and channel."""
    n_windows, n_times, n_chans = windows.shape
    out = np.zeros((n_windows, n_chans, len(bands)))
    for w in range(n_windows):
        for c in range(n_chans):
            freqs, psd = signal.periodogram(
                windows[w, :, c].astype(np.float64), fs=sfreq, window="hann"
            )
            for b, (low, high) in enumerate(bands.values()):
                sel = (freqs >= low) & (freqs < high)
                out[w, c, b] = psd[sel].sum() * (freqs[1] - freqs[0])
    return out


@pytest.mark.parametrize(
    "shape,sfreq",
    [((3, 128, 4), 128.0), ((5, 200, 2), 200.0), ((1, 512, 7), 128.0), ((4, 801, 3), 200.0)],
)
def test_band_power_and_de_match_loop(shape, sfreq):
    windows = np.random.default_rng(sum(shape)).normal(scale=10.0, size=shape)
    ref = _loop_band_power(windows, sfreq)
    got = band_power(windows, sfreq)
    assert got.shape == (shape[0], shape[2], 5) and got.dtype == np.float64
    np.testing.assert_allclose(got, ref, rtol=1e-10)
    de = differential_entropy(windows, sfreq)
    np.testing.assert_allclose(de, 0.5 * np.log(2 * np.pi * np.e * ref), rtol=1e-6)


def test_band_power_other_axis_and_leading_dims():
    windows = np.random.default_rng(3).normal(size=(2, 3, 4, 256))  # channel-major, time last
    got = band_power(windows, 128.0, axis=-1)
    assert got.shape == (2, 3, 4, 5)
    ref = _loop_band_power(np.moveaxis(windows.reshape(6, 4, 256), -1, 1), 128.0).reshape(
        2, 3, 4, 5
    )
    np.testing.assert_allclose(got, ref, rtol=1e-10)


def test_band_power_of_sine_is_half_amplitude_squared():
    sfreq, n_times = 128.0, 512
    t = np.arange(n_times) / sfreq
    windows = (3.0 * np.sin(2 * np.pi * 10.0 * t))[None, :, None]  # alpha, on a bin
    power = band_power(windows, sfreq)[0, 0]
    np.testing.assert_allclose(power[2], 4.5, rtol=1e-10)
    assert power[[0, 1, 3, 4]].max() < 1e-20


def test_custom_bands_as_pairs():
    windows = np.random.default_rng(4).normal(size=(2, 256, 3))
    got = band_power(windows, 128.0, bands=[(4.0, 8.0), (8.0, 30.0)])
    ref = _loop_band_power(windows, 128.0, {"a": (4.0, 8.0), "b": (8.0, 30.0)})
    np.testing.assert_allclose(got, ref, rtol=1e-10)


def test_flat_channel_gives_finite_de(caplog):
    windows = np.zeros((2, 128, 2))
    windows[:, :, 1] = np.random.default_rng(5).normal(size=(2, 128))
    de = differential_entropy(windows, 128.0)
    assert np.isfinite(de).all()
    np.testing.assert_allclose(de[:, 0], 0.5 * np.log(2 * np.pi * np.e * np.finfo(float).tiny))


def test_band_errors():
    with pytest.raises(ValueError, match="reaches above the Nyquist frequency sfreq/2 = 32 Hz"):
        band_power(np.zeros((1, 64, 1)), 64.0)
    with pytest.raises(ValueError, match=r"band 'delta' = \[1, 4\) Hz holds no frequency bin"):
        band_power(np.zeros((1, 32, 1)), 128.0)
    windows = np.zeros((2, 128, 2))
    windows[1, 5, 0] = np.nan
    with pytest.raises(
        ValueError, match=r"windows must hold finite values.*first at index \(1, 5, 0\)"
    ):
        differential_entropy(windows, 128.0)
    freqs, matrix = band_matrix(128, 128.0)
    assert matrix.shape == (65, 5) and matrix.sum() == 49


@pytest.mark.parametrize("log,max_freq_hz", [(True, None), (False, 45.0), (True, 20.0)])
def test_stft_matches_scipy_per_channel(log, max_freq_hz):
    sfreq, nperseg, noverlap = 128.0, 128, 64
    x = np.random.default_rng(6).normal(size=(1280, 5))
    got = stft_spectrogram(x, sfreq, nperseg, noverlap, log=log, max_freq_hz=max_freq_hz)
    freqs_hz, times_s = stft_grids(1280, sfreq, nperseg, noverlap, max_freq_hz=max_freq_hz)
    assert got.dtype == np.float32 and got.shape == (5, times_s.size, freqs_hz.size)
    if max_freq_hz is not None:
        assert freqs_hz.max() <= max_freq_hz
    for c in range(5):
        f, t, z = signal.stft(x[:, c], fs=sfreq, nperseg=nperseg, noverlap=noverlap)
        ref = np.abs(z[f <= (max_freq_hz or np.inf)]).T
        ref = np.log1p(ref) if log else ref
        np.testing.assert_allclose(got[c], ref, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(t, times_s)


def test_stft_channel_major_input_and_errors():
    x = np.random.default_rng(7).normal(size=(3, 512))
    np.testing.assert_array_equal(
        stft_spectrogram(x, 128.0, 64, 32, axis=-1), stft_spectrogram(x.T, 128.0, 64, 32)
    )
    with pytest.raises(ValueError, match="noverlap must satisfy 0 <= noverlap < nperseg"):
        stft_spectrogram(x.T, 128.0, 64, 64)
    with pytest.raises(ValueError, match="at least nperseg=1024 samples"):
        stft_spectrogram(x.T, 128.0, 1024, 0)


@pytest.mark.parametrize("axis", [0, 1, 2, -1])
def test_band_power_every_axis_matches_moved_loop(axis):
    windows = np.moveaxis(np.random.default_rng(13).normal(size=(3, 128, 4)), 1, axis)
    got = band_power(windows, 128.0, axis=axis)
    others = [d for i, d in enumerate(windows.shape) if i != axis % 3]
    assert got.shape == (*others, 5)
    moved = np.moveaxis(windows, axis, -1).reshape(-1, 128)  # (series, n_times)
    ref = _loop_band_power(moved.T[None], 128.0)[0].reshape(*others, 5)
    np.testing.assert_allclose(got, ref, rtol=1e-10)


def test_band_power_single_series():
    x = np.random.default_rng(14).normal(size=256)
    np.testing.assert_allclose(
        band_power(x, 128.0, axis=0), _loop_band_power(x[None, :, None], 128.0)[0, 0], rtol=1e-10
    )


def test_stft_batched_windows_time_axis_1():
    # Builders pass time-major windows (n_windows, n_times, n_chans) with axis=1.
    windows = np.random.default_rng(15).normal(size=(3, 256, 4))
    got = stft_spectrogram(windows, 128.0, 64, 32, axis=1, max_freq_hz=45.0)
    freqs_hz, times_s = stft_grids(256, 128.0, 64, 32, max_freq_hz=45.0)
    assert got.shape == (3, 4, times_s.size, freqs_hz.size) and got.dtype == np.float32
    for w in range(3):
        np.testing.assert_array_equal(
            got[w], stft_spectrogram(windows[w], 128.0, 64, 32, max_freq_hz=45.0)
        )


@pytest.mark.parametrize(
    "n_times,sfreq,bands",
    [
        (128, 128.0, FREQUENCY_BANDS),  # 1 Hz bins: delta uses bin 1, where the mean leaks
        (800, 200.0, FREQUENCY_BANDS),  # 0.25 Hz bins: no band reaches bins 0-1
        (256, 128.0, {"dc_to_2": (0.0, 2.0), "upper": (40.0, 64.0)}),  # DC and Nyquist bins
    ],
)
def test_band_power_with_large_offset_matches_periodogram(n_times, sfreq, bands):
    # A large per-window DC offset: the mean removal must be exact whether or not the bands
    # touch the bins it leaks into.
    rng = np.random.default_rng(n_times)
    windows = rng.normal(scale=3.0, size=(3, n_times, 2)) + rng.uniform(-500, 500, (3, 1, 2))
    got = band_power(windows, sfreq, bands=bands)
    np.testing.assert_allclose(got, _loop_band_power(windows, sfreq, bands), rtol=1e-9)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_sample_is_named_in_the_callers_axis_order(bad):
    windows = np.random.default_rng(0).normal(size=(2, 3, 256))  # time last
    windows[1, 2, 17] = bad
    with pytest.raises(
        ValueError, match=r"1 NaN or infinite samples \(first at index \(1, 2, 17\)"
    ):
        band_power(windows, 128.0, axis=-1)
    series = np.ones(128)
    series[100] = bad
    with pytest.raises(ValueError, match=r"first at index \(100,\)"):
        differential_entropy(series, 128.0, axis=0)


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")
def test_band_power_overflow_is_reported():
    windows = np.full((1, 128, 1), 1e300)
    windows[0, ::2, 0] = -1e300  # finite samples whose power overflows float64
    with pytest.raises(ValueError, match="band power overflows float64"):
        band_power(windows, 128.0)
