"""Trial-level feature sequences built from the spectral and LDS cores."""

from __future__ import annotations

import numpy as np

from amigos_emo._checks import check_array, check_positive, validate_type
from amigos_emo.signal.lds import lds_smooth
from amigos_emo.signal.spectral import differential_entropy
from amigos_emo.signal.windows import sliding_windows


def de_sequence(trial, sfreq, window_s=1.0, n_steps=60, smooth=True, bands=None):
    """Differential-entropy sequence of a trial, fixed length, channel-major (ResAttentioNet input).

    The trial is cut into non-overlapping windows of ``window_s`` seconds (trailing samples that
    do not fill a window are dropped); :func:`~amigos_emo.signal.spectral.differential_entropy`
    gives ``(n_windows, n_chans, n_bands)``; when ``smooth``,
    :func:`~amigos_emo.signal.lds.lds_smooth` (SEED defaults) runs along the windows of the WHOLE
    trial; the result is flattened channel-major (feature index ``chan * n_bands + band``) and
    truncated to the first ``n_steps`` windows or zero-padded at the end.

    Args:
        trial: ``(n_times, n_chans)`` real array, time-major, microvolts.
        sfreq: sampling rate in Hz.
        window_s: window length in seconds (``round(window_s * sfreq)`` samples).
        n_steps: output sequence length.
        smooth: apply the LDS smoother along time.
        bands: as in ``differential_entropy``; default the five standard bands.

    Returns:
        ``(features, n_valid_steps)``: float32 ``(n_steps, n_chans * n_bands)`` in nats and the
        int number of leading rows that hold real windows (``min(n_windows, n_steps)``); rows
        after it are zeros.

    Raises:
        ValueError: when the trial is shorter than one window, or as ``differential_entropy``.
    """
    trial = check_array(trial, "trial", ndim=2, dtype_kind="f")
    check_positive(sfreq, "sfreq")
    check_positive(window_s, "window_s")
    validate_type(n_steps, (int, np.integer), "n_steps")
    check_positive(n_steps, "n_steps")
    window_samples = int(round(window_s * sfreq))
    if window_samples < 2:
        raise ValueError(
            f"window_s * sfreq must give at least 2 samples. Received: window_s={window_s!r}, sfreq={sfreq!r}"
        )
    windows = sliding_windows(trial, window_samples, window_samples, axis=0)
    if windows.shape[0] == 0:
        raise ValueError(
            f"trial is shorter than one window of {window_s:g} s ({window_samples} samples at "
            f"{sfreq:g} Hz). Received: trial with shape {trial.shape} (n_times, n_chans)"
        )
    entropy = differential_entropy(
        windows, sfreq, bands=bands, axis=-2
    )  # (n_windows, n_chans, n_bands)
    if smooth:
        entropy = lds_smooth(entropy, axis=0)
    flat = entropy.reshape(entropy.shape[0], -1)
    n_valid_steps = int(min(flat.shape[0], n_steps))
    features = np.zeros((n_steps, flat.shape[1]), dtype=np.float32)
    features[:n_valid_steps] = flat[:n_valid_steps]
    return features, n_valid_steps
