"""Electrode graphs: histogram mutual-information adjacency and GCN normalisation (VAE-GNN inputs).

No library computes all pairwise histogram MIs at once (``sklearn.metrics.mutual_info_score``
takes one pair per call), so :func:`mutual_information_adjacency` is our own: every pair's
joint histogram comes from one ``np.bincount`` over pair-encoded bin indices.
"""

from __future__ import annotations

import numpy as np

from amigos_emo._checks import check_array, validate_type

# Elements per bincount chunk (n_pairs * n_times); bounds memory at about 128 MiB of int64.
_MAX_CHUNK_ELEMENTS = 1 << 24


def histogram_bins(x, n_bins=16):
    """Equal-width bin index of every sample, per channel.

    Channel ``c`` is split into ``n_bins`` equal-width bins spanning ``[min(x_c), max(x_c)]``
    (the maximum falls into the last bin); a constant channel falls entirely into bin 0.

    Args:
        x: ``(n_times, n_chans)`` real array.
        n_bins: bins per channel (int >= 2).

    Returns:
        int64 ``(n_times, n_chans)`` indices in ``[0, n_bins)``.
    """
    x = check_array(x, "x", ndim=2, dtype_kind="f").astype(np.float64, copy=False)
    low = x.min(axis=0)
    width = x.max(axis=0) - low
    scale = np.divide(n_bins, width, out=np.zeros_like(width), where=width > 0)
    bins = np.floor((x - low) * scale).astype(np.int64)
    return np.minimum(bins, n_bins - 1)


def mutual_information_adjacency(x, n_bins=16):
    """Pairwise mutual information between channels, from equal-width histograms.

    ``MI(i, j) = sum_ab p_ij(a, b) * ln(p_ij(a, b) / (p_i(a) * p_j(b)))`` in nats, with the
    probabilities the joint and marginal frequencies of the :func:`histogram_bins` indices
    (the plug-in estimate; equal to ``sklearn.metrics.mutual_info_score`` on those indices).

    Args:
        x: ``(n_times, n_chans)`` real array, time-major (e.g. one band-filtered EEG window).
        n_bins: equal-width bins per channel (int >= 2).

    Returns:
        float64 ``(n_chans, n_chans)``: symmetric, zero diagonal, non-negative entries.

    Raises:
        ValueError: for fewer than 2 samples or channels, ``n_bins < 2``, or non-finite samples.
    """
    x = check_array(x, "x", ndim=2, dtype_kind="f")
    validate_type(n_bins, (int, np.integer), "n_bins")
    if n_bins < 2:
        raise ValueError(f"n_bins must be >= 2. Received: n_bins={n_bins}")
    n_times, n_chans = x.shape
    if n_times < 2 or n_chans < 2:
        raise ValueError(
            "x must be (n_times, n_chans) with at least 2 samples and 2 channels. "
            f"Received: x with shape {x.shape}"
        )
    if not np.isfinite(x).all():
        raise ValueError(
            f"x must hold finite values. Received: {int((~np.isfinite(x)).sum())} NaN or infinite samples"
        )
    bins = histogram_bins(x, n_bins)
    channel_codes = (bins + np.arange(n_chans) * n_bins).ravel()
    marginal = np.bincount(channel_codes, minlength=n_chans * n_bins).reshape(n_chans, n_bins)
    p_marginal = marginal / n_times  # (n_chans, n_bins)
    rows, cols = np.triu_indices(n_chans, k=1)
    n_pairs = rows.size
    n_cells = n_bins * n_bins
    mutual_info = np.empty(n_pairs)
    chunk = max(1, _MAX_CHUNK_ELEMENTS // n_times)
    for start in range(0, n_pairs, chunk):
        pair_rows, pair_cols = rows[start : start + chunk], cols[start : start + chunk]
        count = pair_rows.size
        codes = bins[:, pair_rows] * n_bins + bins[:, pair_cols] + np.arange(count) * n_cells
        joint = np.bincount(codes.ravel(), minlength=count * n_cells).reshape(count, n_bins, n_bins)
        p_joint = joint / n_times
        independent = p_marginal[pair_rows][:, :, None] * p_marginal[pair_cols][:, None, :]
        with np.errstate(divide="ignore", invalid="ignore"):
            terms = np.where(p_joint > 0, p_joint * np.log(p_joint / independent), 0.0)
        mutual_info[start : start + count] = terms.sum(axis=(1, 2))
    adjacency = np.zeros((n_chans, n_chans))
    # Plug-in MI is >= 0; tiny negatives are float round-off.
    adjacency[rows, cols] = np.maximum(mutual_info, 0.0)
    adjacency[cols, rows] = adjacency[rows, cols]
    return adjacency


def normalize_adjacency(a, add_self_loops=True):
    """Symmetric GCN normalisation ``D^-1/2 (A + I) D^-1/2`` (Kipf & Welling 2017).

    ``D`` is the diagonal of row sums of ``A + I`` (of ``A`` when ``add_self_loops`` is False);
    nodes with zero degree get zero rows and columns instead of infinities.

    Args:
        a: ``(..., n_nodes, n_nodes)`` non-negative weights, e.g. one ``(n_chans, n_chans)``
            graph or a batch ``(batch, n_chans, n_chans)``.
        add_self_loops: add the identity before normalising.

    Returns:
        float64 array of the same shape.

    Raises:
        ValueError: when the last two axes are not square, or a degree is negative or not finite.
    """
    a = check_array(a, "a", dtype_kind="f").astype(np.float64)
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise ValueError(
            f"a must be a square matrix or a batch of them (..., n_nodes, n_nodes). Received: a with shape {a.shape}"
        )
    if add_self_loops:
        a = a + np.eye(a.shape[-1])
    degree = a.sum(axis=-1)
    if not np.isfinite(degree).all() or (degree < 0).any():
        raise ValueError(
            "a must have finite, non-negative row sums (degrees). "
            f"Received: degrees from {np.nanmin(degree):g} to {np.nanmax(degree):g}"
        )
    inv_sqrt = np.divide(1.0, np.sqrt(degree), out=np.zeros_like(degree), where=degree > 0)
    return inv_sqrt[..., :, None] * a * inv_sqrt[..., None, :]
