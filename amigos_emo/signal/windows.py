"""Sliding windows and baseline removal.

The convention the builders follow: a trial is cut into fixed-length windows (e.g. 1 s = 128
samples for DEAP, AMIGOS and DREAMER; 4 s for the SEED family), trailing samples that do not fill
a window are dropped. For corpora with a resting baseline (DEAP's 3 s before each trial,
DREAMER's separate baseline clip, the first 5 s of each AMIGOS trial) the baseline is cut into
non-overlapping segments of one length, averaged into one ``(segment_samples, n_chans)``
template (:func:`baseline_template`) and subtracted from every segment of that length
(:func:`remove_baseline`). SEED-family corpora have no baseline.
"""

from __future__ import annotations

import numpy as np

from amigos_emo._checks import check_array


def n_windows(n_times, window_samples, step_samples):
    """Number of complete windows of ``window_samples`` taken every ``step_samples``."""
    if window_samples <= 0 or step_samples <= 0:
        raise ValueError(
            "window_samples and step_samples must be > 0. "
            f"Received: window_samples={window_samples}, step_samples={step_samples}"
        )
    if n_times < window_samples:
        return 0
    return (n_times - window_samples) // step_samples + 1


def sliding_windows(signal, window_samples, step_samples, axis=0):
    """Cut ``signal`` into overlapping windows along its time axis, without copying.

    Args:
        signal: array whose axis ``axis`` is time, e.g. ``(n_times, n_chans)``.
        window_samples: samples per window.
        step_samples: hop between window starts (``window_samples`` means no overlap).
        axis: the time axis.

    Returns:
        A read-only view in which the time axis is replaced by ``(n_windows, window_samples)``:
        ``(n_times, n_chans)`` with ``axis=0`` gives ``(n_windows, window_samples, n_chans)``.
        Trailing samples that do not fill a window are dropped.

    Raises:
        ValueError: when window or step are not positive.
    """
    signal = np.asarray(signal)
    axis = axis % signal.ndim
    count = n_windows(signal.shape[axis], window_samples, step_samples)
    if count == 0:
        shape = list(signal.shape)
        shape[axis : axis + 1] = [0, window_samples]
        return np.empty(shape, dtype=signal.dtype)
    view = np.lib.stride_tricks.sliding_window_view(signal, window_samples, axis=axis)
    index = [slice(None)] * view.ndim
    index[axis] = slice(0, count * step_samples, step_samples)
    view = view[tuple(index)]
    return np.moveaxis(view, -1, axis + 1)


def baseline_template(baseline, window_samples):
    """Average the baseline's non-overlapping windows into one template.

    Args:
        baseline: ``(n_times, n_chans)`` baseline recording.
        window_samples: template length; trailing samples that do not fill a window are dropped.

    Returns:
        ``(window_samples, n_chans)`` float64 template.
    """
    baseline = check_array(baseline, "baseline", ndim=2)
    segments = sliding_windows(baseline, window_samples, window_samples, axis=0)
    if segments.shape[0] == 0:
        raise ValueError(
            f"baseline must hold at least one window of {window_samples} samples. "
            f"Received: baseline with shape {baseline.shape}"
        )
    return segments.astype(np.float64).mean(axis=0)


def remove_baseline(windows, baseline, window_samples=None):
    """Subtract the averaged baseline template from every window (TorchEEG/LibEER convention).

    Args:
        windows: ``(n_windows, window_samples, n_chans)``.
        baseline: ``(n_times, n_chans)`` baseline recording.
        window_samples: defaults to ``windows.shape[1]``.

    Returns:
        ``windows - template`` as float64, same shape as ``windows``.
    """
    windows = check_array(windows, "windows", ndim=3)
    window_samples = windows.shape[1] if window_samples is None else window_samples
    template = baseline_template(baseline, window_samples)
    if template.shape != windows.shape[1:]:
        raise ValueError(
            f"baseline template shape {template.shape} does not match windows of shape "
            f"{windows.shape[1:]} (window_samples, n_chans)"
        )
    return windows - template[np.newaxis]
