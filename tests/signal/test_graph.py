import numpy as np
import pytest
from sklearn.metrics import mutual_info_score

from amigos_emo.signal.graph import (
    histogram_bins,
    mutual_information_adjacency,
    normalize_adjacency,
)


def _loop_bins(x, n_bins):
    out = np.zeros(x.shape, dtype=int)
    for c in range(x.shape[1]):
        edges = np.linspace(x[:, c].min(), x[:, c].max(), n_bins + 1)
        out[:, c] = np.clip(np.digitize(x[:, c], edges[1:-1]), 0, n_bins - 1)
    return out


@pytest.mark.parametrize("n_times,n_chans,n_bins", [(1280, 14, 16), (300, 5, 4), (97, 3, 32)])
def test_mi_matches_sklearn(n_times, n_chans, n_bins):
    rng = np.random.default_rng(n_chans)
    x = rng.normal(size=(n_times, n_chans))
    x[:, 1] = x[:, 0] + 0.3 * rng.normal(size=n_times)  # one strongly coupled pair
    bins = histogram_bins(x, n_bins)
    np.testing.assert_array_equal(bins, _loop_bins(x, n_bins))
    got = mutual_information_adjacency(x, n_bins=n_bins)
    assert got.shape == (n_chans, n_chans) and got.dtype == np.float64
    for i in range(n_chans):
        for j in range(n_chans):
            ref = 0.0 if i == j else mutual_info_score(bins[:, i], bins[:, j])
            np.testing.assert_allclose(got[i, j], ref, atol=1e-12)
    assert got[0, 1] == got.max()


def test_mi_chunked_equals_unchunked(monkeypatch):
    import amigos_emo.signal.graph as graph

    x = np.random.default_rng(9).normal(size=(200, 6))
    full = mutual_information_adjacency(x)
    monkeypatch.setattr(graph, "_MAX_CHUNK_ELEMENTS", 450)  # 2 pairs per chunk
    np.testing.assert_allclose(graph.mutual_information_adjacency(x), full, atol=1e-14)


def test_mi_constant_channel_and_errors():
    x = np.random.default_rng(10).normal(size=(100, 3))
    x[:, 2] = 5.0
    got = mutual_information_adjacency(x)
    np.testing.assert_array_equal(got[2], 0.0)
    with pytest.raises(ValueError, match="n_bins must be >= 2"):
        mutual_information_adjacency(x, n_bins=1)
    with pytest.raises(
        ValueError, match=r"at least 2 samples and 2 channels. Received: x with shape \(100, 1\)"
    ):
        mutual_information_adjacency(x[:, :1])
    x[3, 0] = np.nan
    with pytest.raises(ValueError, match="x must hold finite values"):
        mutual_information_adjacency(x)


def _loop_normalize(a, add_self_loops):
    n = a.shape[0]
    a = a + np.eye(n) if add_self_loops else a
    d = a.sum(axis=1)
    out = np.zeros_like(a)
    for i in range(n):
        for j in range(n):
            if d[i] > 0 and d[j] > 0:
                out[i, j] = a[i, j] / np.sqrt(d[i] * d[j])
    return out


@pytest.mark.parametrize("add_self_loops", [True, False])
def test_normalize_matches_loop_batched(add_self_loops):
    a = np.random.default_rng(11).uniform(size=(3, 6, 6))
    a = (a + a.transpose(0, 2, 1)) / 2
    a[1, 2, :] = a[1, :, 2] = 0.0  # isolated node
    got = normalize_adjacency(a, add_self_loops=add_self_loops)
    assert got.shape == a.shape and got.dtype == np.float64
    for k in range(3):
        np.testing.assert_allclose(got[k], _loop_normalize(a[k], add_self_loops), rtol=1e-12)
    with pytest.raises(ValueError, match="square matrix"):
        normalize_adjacency(np.ones((3, 4)))
    with pytest.raises(ValueError, match="non-negative row sums"):
        normalize_adjacency(-np.ones((3, 3)))
