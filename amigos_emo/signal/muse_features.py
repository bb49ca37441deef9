"""A Bird-style statistical feature vector per EEG window (Muse recordings, emotions.csv family).

J. J. Bird's pipeline (the one behind the Kaggle ``emotions.csv`` and the mental-state data)
describes each sliding window by per-channel statistics of the window and of its two halves,
the channel covariance matrix, its log-eigenvalues and FFT magnitudes. This module computes a
feature vector in that spirit for any time-major windows, vectorised over all windows at once.
It is written from that description; it does not reproduce ``emotions.csv`` column for column.

For windows ``(n_windows, n_times, n_chans)`` the vector is the concatenation of these blocks
(inside a block: statistic-major, channel-minor, i.e. ``mean_TP9, mean_AF7, ..., std_TP9, ...``):

1. whole window, per channel: ``mean``, ``std`` (population, ddof=0), ``skew`` and ``kurtosis``
   (Fisher excess, biased moment estimators, :func:`scipy.stats.skew` / :func:`scipy.stats.kurtosis`;
   0 for a constant channel), ``max``, ``min``: ``6 * n_chans``;
2. each half (``a`` = first ``n_times // 2`` samples, ``b`` = the rest), per channel: ``mean``,
   ``std``, ``max``, ``min``: ``8 * n_chans`` (order ``mean_a, std_a, max_a, min_a, mean_b, ...``);
3. half differences ``b - a`` of ``mean``, ``std``, ``max``, ``min``: ``4 * n_chans``;
4. the upper triangle (diagonal included, ``numpy.triu_indices`` order) of the channel covariance
   matrix of the whole window (ddof=0): ``n_chans * (n_chans + 1) / 2``;
5. the natural log of the covariance eigenvalues, ascending, floored at ``1e-12``: ``n_chans``;
6. FFT magnitudes ``|rfft(x - mean(x))| / n_times`` of bins ``1 .. n_fft_bins`` per channel
   (channel-major: all bins of the first channel, then the next); bin ``k`` is at
   ``k * sfreq / n_times`` Hz, so 1 s windows give 1 Hz bins and the default 50 bins span 1-50 Hz:
   ``n_chans * n_fft_bins``.

With the Muse's 4 channels and 50 bins that is 24 + 32 + 16 + 10 + 4 + 200 = 286 features.
"""

from __future__ import annotations

import warnings

import numpy as np

from amigos_emo._checks import check_array, validate_type

N_FFT_BINS = 50
_EIGENVALUE_FLOOR = 1e-12
_HALF_STATISTICS = ("mean", "std", "max", "min")


def n_muse_features(n_chans, n_fft_bins=N_FFT_BINS):
    """Length of the feature vector for ``n_chans`` channels and ``n_fft_bins`` FFT bins."""
    return (
        6 * n_chans
        + 8 * n_chans
        + 4 * n_chans
        + n_chans * (n_chans + 1) // 2
        + n_chans
        + n_chans * n_fft_bins
    )


def muse_feature_names(ch_names, n_fft_bins=N_FFT_BINS):
    """Names of the features returned by :func:`muse_features`, in order.

    Args:
        ch_names: channel names, e.g. ``("TP9", "AF7", "AF8", "TP10")``.
        n_fft_bins: number of FFT bins per channel.

    Returns:
        tuple of str, e.g. ``"mean_TP9"``, ``"std_b_AF7"``, ``"diff_max_TP10"``,
        ``"cov_TP9_AF7"``, ``"logeig_0"``, ``"fft_3_AF8"`` (bin 3).
    """
    ch_names = tuple(ch_names)
    names = [
        f"{stat}_{ch}"
        for stat in ("mean", "std", "skew", "kurtosis", "max", "min")
        for ch in ch_names
    ]
    for half in ("a", "b"):
        names += [f"{stat}_{half}_{ch}" for stat in _HALF_STATISTICS for ch in ch_names]
    names += [f"diff_{stat}_{ch}" for stat in _HALF_STATISTICS for ch in ch_names]
    rows, cols = np.triu_indices(len(ch_names))
    names += [f"cov_{ch_names[i]}_{ch_names[j]}" for i, j in zip(rows, cols, strict=False)]
    names += [f"logeig_{k}" for k in range(len(ch_names))]
    names += [f"fft_{k}_{ch}" for ch in ch_names for k in range(1, n_fft_bins + 1)]
    return tuple(names)


def _half_statistics(x):
    """(n_windows, n_times, n_chans) -> (n_windows, 4, n_chans): mean, std, max, min over time."""
    return np.stack([x.mean(axis=1), x.std(axis=1), x.max(axis=1), x.min(axis=1)], axis=1)


def muse_features(windows, n_fft_bins=N_FFT_BINS):
    """Bird-style feature vectors for a batch of time-major windows.

    Args:
        windows: float array ``(n_windows, n_times, n_chans)``, microvolts; ``n_times >= 4``.
        n_fft_bins: FFT bins kept per channel (bins ``1..n_fft_bins``); at most ``n_times // 2``.

    Returns:
        float32 array ``(n_windows, n_muse_features(n_chans, n_fft_bins))``; the layout is in the
        module docstring and :func:`muse_feature_names`.

    Raises:
        ValueError: wrong rank, too few samples, ``n_fft_bins`` out of range or non-finite input.

    Example:
        >>> x = np.random.default_rng(0).normal(size=(3, 256, 4))
        >>> muse_features(x).shape
        (3, 286)
    """
    windows = check_array(windows, "windows", ndim=3, dtype_kind="f")
    n_windows, n_times, n_chans = windows.shape
    if n_times < 4:
        raise ValueError(
            f"windows must hold at least 4 samples per window. Received: windows with shape {windows.shape}"
        )
    validate_type(n_fft_bins, (int, np.integer), "n_fft_bins")
    if not 1 <= n_fft_bins <= n_times // 2:
        raise ValueError(
            f"n_fft_bins must be between 1 and n_times // 2 = {n_times // 2}. Received: n_fft_bins={n_fft_bins}"
        )
    if not np.all(np.isfinite(windows)):
        raise ValueError("windows must be finite. Received: windows containing NaN or inf")
    from scipy import stats  # heavy import where it is needed

    x = windows.astype(np.float64, copy=False)
    mean = x.mean(axis=1)
    centred = x - mean[:, np.newaxis, :]
    std = x.std(axis=1)
    constant = std == 0
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        # scipy warns about precision loss for (near-)constant channels; those are set to 0.
        warnings.filterwarnings("ignore", message="Precision loss", category=RuntimeWarning)
        skew = np.where(constant, 0.0, stats.skew(x, axis=1, bias=True))
        kurtosis = np.where(constant, 0.0, stats.kurtosis(x, axis=1, fisher=True, bias=True))
    whole = np.stack([mean, std, skew, kurtosis, x.max(axis=1), x.min(axis=1)], axis=1)

    half = n_times // 2
    stats_a = _half_statistics(x[:, :half])
    stats_b = _half_statistics(x[:, half:])

    covariance = np.einsum("wtc,wtd->wcd", centred, centred) / n_times
    rows, cols = np.triu_indices(n_chans)
    eigenvalues = np.linalg.eigvalsh(covariance)  # ascending
    log_eigenvalues = np.log(np.maximum(eigenvalues, _EIGENVALUE_FLOOR))

    spectrum = np.abs(np.fft.rfft(centred, axis=1)) / n_times  # (n_windows, n_freqs, n_chans)
    fft_bins = spectrum[:, 1 : n_fft_bins + 1, :].transpose(0, 2, 1)  # channel-major

    blocks = [
        whole.reshape(n_windows, -1),
        stats_a.reshape(n_windows, -1),
        stats_b.reshape(n_windows, -1),
        (stats_b - stats_a).reshape(n_windows, -1),
        covariance[:, rows, cols],
        log_eigenvalues,
        fft_bins.reshape(n_windows, -1),
    ]
    return np.concatenate(blocks, axis=1).astype(np.float32)
