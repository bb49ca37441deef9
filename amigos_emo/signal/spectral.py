"""Band power, differential entropy and STFT spectrograms, one vectorised scipy call per array.

Definitions (``windows`` time-major ``(n_windows, n_times, n_chans)``, ``n_times`` samples at
``sfreq`` Hz, frequency resolution ``df = sfreq / n_times``):

- PSD: ``scipy.signal.periodogram`` of each window and channel with a Hann window, the window's
  mean removed (``detrend="constant"``), one-sided density scaling (units**2 / Hz), bins
  ``f_k = k * df``.
- Band power of ``[low, high)``: ``P = sum(PSD(f_k) for low <= f_k < high) * df``, the rectangle
  rule integral of the PSD over the half-open band, in units**2 (microvolts**2 for EEG). For a
  sine of amplitude ``a`` inside the band it is ``a**2 / 2``.
- Differential entropy: ``DE = 0.5 * ln(2 * pi * e * P)``, the entropy in nats of a Gaussian
  with the variance ``P`` of the band-limited signal (Shi, Jiao & Lu 2013; the SEED features).
"""

from __future__ import annotations

import numpy as np

from amigos_emo._checks import check_array, check_positive, validate_type
from amigos_emo._logging import logger
from amigos_emo.constants.common import FREQUENCY_BANDS

_TWO_PI_E = 2.0 * np.pi * np.e


def _normalize_bands(bands, sfreq):
    """Return ``(names, edges)`` with ``edges`` a float64 ``(n_bands, 2)`` array in Hz."""
    if bands is None:
        bands = FREQUENCY_BANDS
    if isinstance(bands, dict):
        names, pairs = list(bands), list(bands.values())
    else:
        pairs = list(bands)
        names = [f"band {i}" for i in range(len(pairs))]
    if not pairs:
        raise ValueError("bands must hold at least one (low_hz, high_hz) pair. Received: bands=[]")
    try:
        edges = np.asarray(pairs, dtype=np.float64)
    except (TypeError, ValueError):
        edges = None
    if edges is None or edges.ndim != 2 or edges.shape[1] != 2:
        raise ValueError(
            "bands must be a dict {name: (low_hz, high_hz)} or a sequence of (low_hz, high_hz) "
            f"pairs. Received: bands={bands!r}"
        )
    nyquist = sfreq / 2.0
    for name, (low, high) in zip(names, edges, strict=True):
        if not (0.0 <= low < high):
            raise ValueError(
                f"bands[{name!r}] must satisfy 0 <= low_hz < high_hz. Received: ({low:g}, {high:g}) Hz"
            )
        if high > nyquist:
            raise ValueError(
                f"bands[{name!r}] = ({low:g}, {high:g}) Hz reaches above the Nyquist frequency "
                f"sfreq/2 = {nyquist:g} Hz. Received: sfreq={sfreq!r}; resample less or drop the band"
            )
    return names, edges


def band_matrix(n_times, sfreq, bands=None):
    """The ``(n_freqs, n_bands)`` 0/1 matrix that sums periodogram bins into bands.

    Args:
        n_times: samples per window.
        sfreq: sampling rate in Hz.
        bands: dict ``{name: (low_hz, high_hz)}`` or sequence of pairs; default
            :data:`~amigos_emo.constants.common.FREQUENCY_BANDS`.

    Returns:
        ``(freqs_hz, matrix)``: the ``n_times // 2 + 1`` bin frequencies ``k * sfreq / n_times``
        and the float64 matrix whose column ``b`` is 1 where ``low_b <= f_k < high_b``.

    Raises:
        ValueError: for bands outside ``[0, sfreq / 2]`` or bands holding no bin at this
            resolution (window too short).
    """
    check_positive(sfreq, "sfreq")
    names, edges = _normalize_bands(bands, sfreq)
    freqs_hz = np.fft.rfftfreq(n_times, d=1.0 / sfreq)
    matrix = ((freqs_hz[:, None] >= edges[:, 0]) & (freqs_hz[:, None] < edges[:, 1])).astype(
        np.float64
    )
    empty = np.flatnonzero(matrix.sum(axis=0) == 0)
    if empty.size:
        name = names[empty[0]]
        low, high = edges[empty[0]]
        raise ValueError(
            f"band {name!r} = [{low:g}, {high:g}) Hz holds no frequency bin: windows of {n_times} "
            f"samples at {sfreq:g} Hz resolve only multiples of {sfreq / n_times:g} Hz. "
            "Use longer windows (window_s >= 1 s for the standard bands)"
        )
    return freqs_hz, matrix


def _prepare_windows(windows, sfreq, axis):
    windows = check_array(windows, "windows", dtype_kind="f")
    validate_type(axis, (int, np.integer), "axis")
    check_positive(sfreq, "sfreq")
    if windows.ndim == 0 or not -windows.ndim <= axis < windows.ndim:
        raise ValueError(
            f"axis must index a time axis of windows. Received: axis={axis} for windows with "
            f"shape {windows.shape}"
        )
    axis = axis % windows.ndim
    if windows.shape[axis] < 2:
        raise ValueError(
            f"windows must hold at least 2 samples along the time axis {axis}. "
            f"Received: windows with shape {windows.shape}"
        )
    return windows, axis


def _check_finite_windows(windows):
    """Raise naming the first NaN / infinite sample of ``windows``; ``False`` if there is none."""
    bad = ~np.isfinite(windows)
    if bad.any():
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(
            f"windows must hold finite values. Received: windows with {int(bad.sum())} NaN or "
            f"infinite samples (first at index {first})"
        )
    return False


def band_power(windows, sfreq, bands=None, axis=-2):
    """Band power of every window and channel from one Hann-windowed periodogram call.

    ``P_b = sum(PSD(f_k) for low_b <= f_k < high_b) * sfreq / n_times`` (module docstring):
    the rectangle-rule integral of the one-sided Hann periodogram density over ``[low, high)``.

    Args:
        windows: real array with time along ``axis``; time-major windows
            ``(n_windows, n_times, n_chans)`` in microvolts with the default ``axis=-2``.
        sfreq: sampling rate in Hz.
        bands: dict ``{name: (low_hz, high_hz)}`` or sequence of pairs, half-open; default
            :data:`~amigos_emo.constants.common.FREQUENCY_BANDS` (delta, theta, alpha, beta,
            gamma).
        axis: the time axis of ``windows``.

    Returns:
        float64 array: ``windows`` with the time axis removed and a trailing band axis
        appended, e.g. ``(n_windows, n_chans, n_bands)``, in units**2 (microvolts**2).

    Raises:
        ValueError: for non-finite samples, bands above Nyquist, or bands with no frequency bin.
    """
    import scipy.fft
    from scipy import signal

    windows, axis = _prepare_windows(windows, sfreq, axis)
    given = windows  # searched for the bad sample's index, in the caller's axis order
    single_series = windows.ndim == 1
    if single_series:
        windows = windows[:, None]
    # Time to axis -2; the other axes keep their order (the last one stays last).
    windows = np.moveaxis(windows.astype(np.float64, copy=False), axis, -2)
    n_times = windows.shape[-2]
    freqs_hz, matrix = band_matrix(n_times, sfreq, bands)
    # scipy.signal.periodogram(window="hann", detrend="constant", scaling="density"), written out
    # with scipy.fft to skip its detrended copy (equality with periodogram is tested). Only the
    # bins inside some band are squared and summed (for the standard bands at 200 Hz that is
    # half of them). The mean is removed in the frequency domain: by linearity
    # FFT((x - m) * w) = FFT(x * w) - m * FFT(w), and FFT(w) of the periodic Hann window is
    # non-zero only at bins 0 and 1, so the mean is computed only when a band uses those bins.
    used = np.flatnonzero(matrix.any(axis=1))
    first, stop = int(used[0]), int(used[-1]) + 1
    hann = signal.get_window("hann", n_times)
    hann_spectrum = scipy.fft.rfft(hann)
    leaky = np.flatnonzero(np.abs(hann_spectrum) > 1e-9 * np.abs(hann_spectrum[0]))
    leaky = leaky[(leaky >= first) & (leaky < stop)]
    # One-sided density (x2 except DC and an even-length Nyquist bin), 1 / (sfreq * sum(w^2)),
    # and the integration step df = sfreq / n_times, folded into the band matrix.
    one_sided = np.full(freqs_hz.size, 2.0)
    one_sided[0] = 1.0
    if n_times % 2 == 0:
        one_sided[-1] = 1.0
    weights = matrix * (one_sided / (sfreq * np.sum(hann**2)) * (sfreq / n_times))[:, None]
    weights = weights[first:stop]
    # Non-finite samples are reported below, from the band powers they turn non-finite.
    with np.errstate(invalid="ignore", over="ignore"):
        spectrum = scipy.fft.rfft(windows * hann[:, None], axis=-2)[..., first:stop, :]
        if leaky.size:
            spectrum[..., leaky - first, :] -= (
                windows.mean(axis=-2, keepdims=True) * hann_spectrum[leaky, None]
            )
        power = spectrum.real**2
        power += spectrum.imag**2  # (..., stop - first, n_chans)
        band_first = np.matmul(weights.T, power)  # (..., n_bands, n_chans)
    # A NaN or infinite sample makes every bin of its window and channel NaN or infinite (the
    # Hann window is zero only at one sample, and NaN * 0 is NaN), so checking the few band
    # powers replaces a pass over all samples; the samples are searched only to name the bad one.
    if not np.isfinite(band_first).all() and not _check_finite_windows(given):
        raise ValueError(
            "windows hold finite samples but their band power overflows float64. Received: "
            f"windows with maximum magnitude {np.max(np.abs(given)):g}; rescale the input"
        )
    band_power = np.swapaxes(band_first, -1, -2)  # (..., n_chans, n_bands)
    return band_power[0] if single_series else band_power


def differential_entropy(windows, sfreq, bands=None, axis=-2):
    """Gaussian differential entropy of each band-limited window: ``0.5 * ln(2 pi e P)``.

    ``P`` is :func:`band_power` (units**2). A band with exactly zero power (a flat channel)
    would give ``-inf``; its power is floored at the smallest positive float64
    (``DE ~= -352.9``) and a warning is logged.

    Args:
        windows: real array with time along ``axis``; time-major windows
            ``(n_windows, n_times, n_chans)`` with the default ``axis=-2``.
        sfreq: sampling rate in Hz.
        bands: as in :func:`band_power`; default the five standard bands.
        axis: the time axis of ``windows``.

    Returns:
        float64 array, ``windows`` with the time axis removed and a trailing band axis, e.g.
        ``(n_windows, n_chans, n_bands)``, in nats (shifts by ``ln(k)`` when the signal is
        scaled by ``k``).

    Raises:
        ValueError: as :func:`band_power`.
    """
    power = band_power(windows, sfreq, bands=bands, axis=axis)
    tiny = np.finfo(np.float64).tiny
    n_zero = int(np.count_nonzero(power < tiny))
    if n_zero:
        logger.warning(
            "differential_entropy: %d of %d band powers are zero (flat channel?); floored at %g",
            n_zero,
            power.size,
            tiny,
        )
        power = np.maximum(power, tiny)
    return 0.5 * np.log(_TWO_PI_E * power)


def _check_stft_args(sfreq, nperseg, noverlap, max_freq_hz):
    check_positive(sfreq, "sfreq")
    validate_type(nperseg, (int, np.integer), "nperseg")
    check_positive(nperseg, "nperseg")
    validate_type(noverlap, (int, np.integer), "noverlap")
    if not 0 <= noverlap < nperseg:
        raise ValueError(
            "noverlap must satisfy 0 <= noverlap < nperseg. "
            f"Received: noverlap={noverlap}, nperseg={nperseg}"
        )
    if max_freq_hz is not None:
        check_positive(max_freq_hz, "max_freq_hz")


def stft_grids(n_times, sfreq, nperseg, noverlap, max_freq_hz=None, boundary="zeros", padded=True):
    """Frequency and time grids of :func:`stft_spectrogram` for a signal of ``n_times`` samples.

    Args:
        n_times: samples in the signal.
        sfreq, nperseg, noverlap, max_freq_hz, boundary, padded: as in :func:`stft_spectrogram`.

    Returns:
        ``(freqs_hz, times_s)``: float64 ``(n_freqs,)`` bin frequencies (cropped at
        ``max_freq_hz``) and ``(n_frames,)`` frame centres in seconds.
    """
    from scipy import signal

    _check_stft_args(sfreq, nperseg, noverlap, max_freq_hz)
    if n_times < nperseg:
        raise ValueError(
            f"the signal must hold at least nperseg={nperseg} samples. Received: n_times={n_times}"
        )
    freqs_hz, times_s, _ = signal.stft(
        np.zeros(n_times),
        fs=sfreq,
        nperseg=nperseg,
        noverlap=noverlap,
        boundary=boundary,
        padded=padded,
    )
    if max_freq_hz is not None:
        freqs_hz = freqs_hz[freqs_hz <= max_freq_hz]
    return freqs_hz, times_s


def stft_spectrogram(
    x,
    sfreq,
    nperseg,
    noverlap,
    axis=0,
    log=True,
    max_freq_hz=None,
    window="hann",
    boundary="zeros",
    padded=True,
):
    """Magnitude STFT of every channel, channel-major ``(n_chans, n_frames, n_freqs)`` float32.

    One ``scipy.signal.stft`` call over all channels (default ``'spectrum'`` scaling, Hann window,
    zero-padded boundaries as in scipy), then ``|Z|``, frequencies above ``max_freq_hz``
    dropped, and ``log1p(|Z|) = ln(1 + |Z|)`` when ``log`` (finite for silent frames, monotone,
    close to ``|Z|`` for small magnitudes). Grids: :func:`stft_grids`.

    Args:
        x: real array with time along ``axis``; time-major ``(n_times, n_chans)`` by default.
        sfreq: sampling rate in Hz.
        nperseg: samples per STFT segment.
        noverlap: samples shared by consecutive segments, ``0 <= noverlap < nperseg``
            (hop ``nperseg - noverlap``).
        axis: the time axis of ``x``.
        log: return ``ln(1 + |Z|)`` instead of ``|Z|``.
        max_freq_hz: keep only bins with ``f <= max_freq_hz`` (``None`` keeps all up to Nyquist).
        window: scipy window spec.
        boundary: scipy ``stft`` ``boundary`` (``"zeros"`` pads ``nperseg // 2`` zeros at both ends,
            ``None`` does not).
        padded: scipy ``stft`` ``padded`` (zero-pad the end to a whole number of segments).

    Returns:
        float32 array: ``x``'s time axis removed and ``(n_frames, n_freqs)`` appended; a
        time-major ``(n_times, n_chans)`` input gives ``(n_chans, n_frames, n_freqs)``, and
        time-major windows ``(n_windows, n_times, n_chans)`` with ``axis=1`` give
        ``(n_windows, n_chans, n_frames, n_freqs)``.

    Raises:
        ValueError: for bad segment arguments, signals shorter than ``nperseg`` or non-finite
            samples.
    """
    from scipy import signal

    x = check_array(x, "x", dtype_kind="f")
    validate_type(axis, (int, np.integer), "axis")
    _check_stft_args(sfreq, nperseg, noverlap, max_freq_hz)
    if x.ndim == 0 or not -x.ndim <= axis < x.ndim:
        raise ValueError(
            f"axis must index a time axis of x. Received: axis={axis} for x with shape {x.shape}"
        )
    x = np.moveaxis(x, axis, -1)
    if x.shape[-1] < nperseg:
        raise ValueError(
            f"x must hold at least nperseg={nperseg} samples along its time axis. "
            f"Received: {x.shape[-1]} samples (x moved to shape {x.shape})"
        )
    if not np.isfinite(x).all():
        raise ValueError(
            f"x must hold finite values. Received: {int((~np.isfinite(x)).sum())} NaN or infinite samples"
        )
    freqs_hz, _, z = signal.stft(
        x,
        fs=sfreq,
        window=window,
        nperseg=nperseg,
        noverlap=noverlap,
        boundary=boundary,
        padded=padded,
        axis=-1,
    )
    if max_freq_hz is not None:
        z = z[..., freqs_hz <= max_freq_hz, :]
    magnitude = np.abs(z)
    if log:
        magnitude = np.log1p(magnitude)
    return np.swapaxes(magnitude, -1, -2).astype(np.float32)
