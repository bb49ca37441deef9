import numpy as np
import pytest
from scipy import signal

from amigos_emo.signal.filters import bandpass, notch, resample, resample_factors

SFREQ = 200.0


def _sine(freq_hz, n_times=4000, n_chans=3, sfreq=SFREQ):
    t = np.arange(n_times) / sfreq
    return np.sin(2 * np.pi * freq_hz * t)[:, None] * np.arange(1, n_chans + 1)


def _rms_gain(y, x, trim=500):
    return np.sqrt((y[trim:-trim] ** 2).mean(axis=0) / (x[trim:-trim] ** 2).mean(axis=0))


@pytest.mark.parametrize("freq_hz,expected", [(10.0, 1.0), (20.0, 1.0), (1.0, 0.0), (60.0, 0.0)])
def test_bandpass_sines_inside_and_outside(freq_hz, expected):
    x = _sine(freq_hz)
    y = bandpass(x, SFREQ, 4.0, 45.0)
    assert y.shape == x.shape and y.dtype == np.float64
    np.testing.assert_allclose(_rms_gain(y, x), expected, atol=0.02)


@pytest.mark.parametrize("freq_hz", [3.0, 7.5, 30.0, 48.0])
def test_bandpass_matches_analytic_squared_response(freq_hz):
    # filtfilt applies |H|^2 with zero phase: steady-state output = |H(f)|^2 * input.
    x = _sine(freq_hz, n_times=20000)
    y = bandpass(x, SFREQ, 4.0, 45.0, order=4)
    sos = signal.butter(4, [4.0, 45.0], btype="bandpass", output="sos", fs=SFREQ)
    _, h = signal.sosfreqz(sos, worN=[freq_hz], fs=SFREQ)
    mid = slice(5000, 15000)
    np.testing.assert_allclose(y[mid], x[mid] * np.abs(h[0]) ** 2, atol=2e-3 * np.abs(x).max())


def test_bandpass_axis_and_float32():
    x = np.random.default_rng(0).normal(size=(3, 1000)).astype(np.float32)
    y = bandpass(x, SFREQ, 4.0, 45.0, axis=1)
    assert y.dtype == np.float32
    np.testing.assert_allclose(y.T, bandpass(x.T.astype(np.float64), SFREQ, 4.0, 45.0), atol=1e-4)


@pytest.mark.parametrize(
    "low,high,match",
    [
        (4.0, 100.0, "high_hz must be below the Nyquist frequency sfreq/2 = 100 Hz"),
        (0.0, 45.0, "low_hz must be > 0"),
        (30.0, 10.0, "low_hz must be below high_hz"),
    ],
)
def test_bandpass_bad_cutoffs(low, high, match):
    with pytest.raises(ValueError, match=match):
        bandpass(np.zeros((1000, 2)), SFREQ, low, high)


def test_bandpass_too_short_and_nan():
    with pytest.raises(ValueError, match="x is too short for an order-4 band-pass"):
        bandpass(np.zeros((20, 2)), SFREQ, 4.0, 45.0)
    x = np.zeros((1000, 2))
    x[10, 1] = np.nan
    with pytest.raises(ValueError, match=r"1 NaN or infinite samples \(first at index \(10, 1\)\)"):
        bandpass(x, SFREQ, 4.0, 45.0)


def test_notch_removes_mains_keeps_alpha():
    x50, x10 = _sine(50.0), _sine(10.0)
    np.testing.assert_allclose(_rms_gain(notch(x50, SFREQ), x50), 0.0, atol=0.01)
    np.testing.assert_allclose(_rms_gain(notch(x10, SFREQ), x10), 1.0, atol=0.01)
    with pytest.raises(ValueError, match="freq_hz must be below the Nyquist"):
        notch(x10, 100.0, freq_hz=60.0)


@pytest.mark.parametrize(
    "sfreq_in,sfreq_out,up,down",
    [(512, 128, 1, 4), (256, 200, 25, 32), (1000, 200, 1, 5), (128.0, 256.0, 2, 1)],
)
def test_resample_matches_scipy(sfreq_in, sfreq_out, up, down):
    assert resample_factors(sfreq_in, sfreq_out) == (up, down)
    x = np.random.default_rng(1).normal(size=(1024, 4))
    y = resample(x, sfreq_in, sfreq_out)
    np.testing.assert_allclose(y, signal.resample_poly(x, up, down, axis=0), rtol=1e-12, atol=1e-12)
    assert y.shape == (int(np.ceil(1024 * up / down)), 4)


def test_resample_same_rate_copies_and_validates():
    x = np.ones((10, 2), dtype=np.float32)
    y = resample(x, 128, 128)
    assert y is not x and y.dtype == np.float32
    np.testing.assert_array_equal(y, x)
    with pytest.raises(ValueError, match="sfreq_out must be > 0"):
        resample(x, 128, 0)
