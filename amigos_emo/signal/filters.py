"""Zero-phase filters and rational resampling, thin validated wrappers over ``scipy.signal``.

All functions work along one time axis (``axis``, default 0 for time-major ``(n_times, n_chans)``)
and are vectorised over every other axis. Float32 input stays float32; anything else (integers,
float64) comes back as float64.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from amigos_emo._checks import check_array, check_positive, validate_type


def _check_signal(x, name, axis):
    """Validate a real signal array and its time axis; return ``(array, axis)``."""
    x = check_array(x, name, dtype_kind="f")
    validate_type(axis, (int, np.integer), "axis")
    if x.ndim == 0:
        raise ValueError(f"{name} must have a time axis. Received: a 0-d {name}")
    if not -x.ndim <= axis < x.ndim:
        raise ValueError(
            f"axis must index one of the {x.ndim} axes of {name}. Received: axis={axis} for "
            f"{name} with shape {x.shape}"
        )
    return x, axis % x.ndim


def _out_dtype(x):
    return np.float32 if x.dtype == np.float32 else np.float64


def _check_finite(x, name):
    bad = ~np.isfinite(x)
    if bad.any():
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(
            f"{name} must hold finite values. Received: {name} with {int(bad.sum())} NaN or "
            f"infinite samples (first at index {first})"
        )


def _check_cutoff(value, name, sfreq):
    check_positive(value, name)
    nyquist = sfreq / 2.0
    if value >= nyquist:
        raise ValueError(
            f"{name} must be below the Nyquist frequency sfreq/2 = {nyquist:g} Hz. "
            f"Received: {name}={value!r} with sfreq={sfreq!r}"
        )


def _check_length(x, axis, needed, name, what):
    n_times = x.shape[axis]
    if n_times <= needed:
        raise ValueError(
            f"{name} is too short for {what}: it needs more than {needed} samples along axis "
            f"{axis}. Received: {name} with shape {x.shape} ({n_times} samples)"
        )


def bandpass(x, sfreq, low_hz, high_hz, order=4, axis=0):
    """Zero-phase Butterworth band-pass filter.

    A Butterworth band-pass of ``order`` (scipy's ``N``; the band-pass has ``2 * order`` poles),
    designed as second-order sections and applied forward and backward with
    ``scipy.signal.sosfiltfilt``. The forward-backward pass doubles the attenuation in dB and makes
    the phase exactly zero, so the magnitude response is ``|H(f)|**2`` of the single-pass design
    (-6 dB at ``low_hz`` and ``high_hz``).

    Args:
        x: real array with time along ``axis``, e.g. ``(n_times, n_chans)`` microvolts.
        sfreq: sampling rate in Hz.
        low_hz: lower cut-off in Hz, ``0 < low_hz < high_hz``.
        high_hz: upper cut-off in Hz, ``high_hz < sfreq / 2``.
        order: Butterworth order (positive int).
        axis: the time axis.

    Returns:
        The filtered array, same shape as ``x``; float32 for float32 input, float64 otherwise.

    Raises:
        ValueError: for cut-offs outside ``(0, sfreq / 2)`` or not increasing, non-finite
            samples, or a signal shorter than the filter's edge padding.
    """
    from scipy import signal

    x, axis = _check_signal(x, "x", axis)
    check_positive(sfreq, "sfreq")
    validate_type(order, (int, np.integer), "order")
    check_positive(order, "order")
    _check_cutoff(low_hz, "low_hz", sfreq)
    _check_cutoff(high_hz, "high_hz", sfreq)
    if low_hz >= high_hz:
        raise ValueError(
            f"low_hz must be below high_hz. Received: low_hz={low_hz!r}, high_hz={high_hz!r}"
        )
    _check_finite(x, "x")
    sos = signal.butter(order, [low_hz, high_hz], btype="bandpass", output="sos", fs=sfreq)
    # sosfiltfilt's default edge padding: 3 * (2 * n_sections + 1 - min(#zeros, #poles at 0)).
    padlen = 3 * (2 * len(sos) + 1 - min((sos[:, 2] == 0).sum(), (sos[:, 5] == 0).sum()))
    _check_length(x, axis, padlen, "x", f"an order-{order} band-pass")
    out = signal.sosfiltfilt(sos, x, axis=axis)
    return out.astype(_out_dtype(x), copy=False)


def notch(x, sfreq, freq_hz=50.0, quality=30.0, axis=0):
    """Zero-phase IIR notch (mains interference removal).

    A second-order notch from ``scipy.signal.iirnotch(freq_hz, quality, fs=sfreq)`` (-3 dB width
    ``freq_hz / quality``), applied forward and backward with ``scipy.signal.filtfilt``.

    Args:
        x: real array with time along ``axis``, e.g. ``(n_times, n_chans)``.
        sfreq: sampling rate in Hz.
        freq_hz: the frequency to remove, in Hz, ``0 < freq_hz < sfreq / 2`` (50 Hz in Europe
            and China, 60 Hz in the Americas).
        quality: quality factor ``freq_hz / bandwidth_hz`` (> 0).
        axis: the time axis.

    Returns:
        The filtered array, same shape as ``x``; float32 for float32 input, float64 otherwise.

    Raises:
        ValueError: for ``freq_hz`` outside ``(0, sfreq / 2)``, non-finite samples or a signal of
            at most 9 samples (filtfilt's edge padding).
    """
    from scipy import signal

    x, axis = _check_signal(x, "x", axis)
    check_positive(sfreq, "sfreq")
    check_positive(quality, "quality")
    _check_cutoff(freq_hz, "freq_hz", sfreq)
    _check_finite(x, "x")
    b, a = signal.iirnotch(freq_hz, quality, fs=sfreq)
    _check_length(x, axis, 3 * max(len(a), len(b)), "x", "a notch filter")
    out = signal.filtfilt(b, a, x, axis=axis)
    return out.astype(_out_dtype(x), copy=False)


def resample_factors(sfreq_in, sfreq_out, max_denominator=10_000):
    """The reduced rational factor ``up / down = sfreq_out / sfreq_in``.

    Args:
        sfreq_in: input sampling rate in Hz.
        sfreq_out: output sampling rate in Hz.
        max_denominator: bound on ``down`` when the ratio of two non-integer rates has no exact
            small fraction (the closest fraction with ``down <= max_denominator`` is used).

    Returns:
        ``(up, down)`` coprime positive ints, e.g. ``(25, 32)`` for 256 Hz -> 200 Hz.
    """
    check_positive(sfreq_in, "sfreq_in")
    check_positive(sfreq_out, "sfreq_out")
    ratio = (Fraction(sfreq_out) / Fraction(sfreq_in)).limit_denominator(max_denominator)
    if ratio == 0:
        raise ValueError(
            "sfreq_out / sfreq_in is too small to resample. "
            f"Received: sfreq_in={sfreq_in!r}, sfreq_out={sfreq_out!r}"
        )
    return ratio.numerator, ratio.denominator


def resample(x, sfreq_in, sfreq_out, axis=0):
    """Polyphase resampling from ``sfreq_in`` to ``sfreq_out``.

    ``scipy.signal.resample_poly(x, up, down)`` with ``up / down`` the reduced fraction
    ``sfreq_out / sfreq_in`` (see :func:`resample_factors`) and scipy's default Kaiser-windowed
    anti-aliasing FIR. The output has ``ceil(n_times * up / down)`` samples.

    Args:
        x: real array with time along ``axis``, e.g. ``(n_times, n_chans)``.
        sfreq_in: sampling rate of ``x`` in Hz.
        sfreq_out: wanted sampling rate in Hz.
        axis: the time axis.

    Returns:
        The resampled array (time axis resized); float32 for float32 input, float64 otherwise.
        When the rates are equal, a copy of ``x`` in that dtype.

    Raises:
        ValueError: for non-positive rates or non-finite samples.
    """
    from scipy import signal

    x, axis = _check_signal(x, "x", axis)
    up, down = resample_factors(sfreq_in, sfreq_out)
    _check_finite(x, "x")
    if up == down:
        return x.astype(_out_dtype(x), copy=True)
    out = signal.resample_poly(x, up, down, axis=axis)
    return out.astype(_out_dtype(x), copy=False)
