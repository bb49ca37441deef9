import keras
import numpy as np
import pytest

from amigos_emo.models.dgcnn.dgcnn_layers import (
    DEGREE_EPSILON,
    DynamicGraphConv,
    chebyshev_basis,
    normalized_adjacency,
)


def _normalized_reference(weights):
    """Slow obvious reference in float64: loops over every edge."""
    positive = np.maximum(weights.astype("float64"), 0.0)
    degree = positive.sum(axis=1) + DEGREE_EPSILON
    out = np.zeros_like(positive)
    for i in range(positive.shape[0]):
        for j in range(positive.shape[1]):
            out[i, j] = positive[i, j] / np.sqrt(degree[i] * degree[j])
    return out


def _chebyshev_reference(laplacian, order):
    """T_k(L) from the closed form cos(k arccos(lambda)) on the eigen-decomposition (symmetric L)."""
    values, vectors = np.linalg.eigh(laplacian.astype("float64"))
    values = np.clip(values, -1.0, 1.0)
    return np.stack(
        [vectors @ np.diag(np.cos(k * np.arccos(values))) @ vectors.T for k in range(order)]
    )


def test_normalized_adjacency_matches_reference_and_keeps_edges_non_negative():
    weights = np.random.default_rng(0).standard_normal((6, 6)).astype("float32")
    weights[2] = -1.0  # an electrode whose edges are all negative: a zero row, no NaN
    result = np.asarray(normalized_adjacency(weights))
    np.testing.assert_allclose(result, _normalized_reference(weights), rtol=1e-5, atol=1e-6)
    assert (result >= 0).all() and np.isfinite(result).all()
    np.testing.assert_array_equal(result[2], 0.0)


@pytest.mark.parametrize("order", [1, 2, 3, 5])
def test_chebyshev_basis_matches_the_closed_form(order):
    rng = np.random.default_rng(order)
    weights = rng.uniform(0, 1, (7, 7))
    weights = (weights + weights.T) / 2  # symmetric: eigenvalues of -D^-1/2 A D^-1/2 in [-1, 1]
    laplacian = -_normalized_reference(weights)
    basis = np.asarray(chebyshev_basis(keras.ops.convert_to_tensor(laplacian, "float32"), order))
    assert basis.shape == (order, 7, 7)
    np.testing.assert_allclose(basis, _chebyshev_reference(laplacian, order), atol=1e-5)


def test_dynamic_graph_conv_matches_a_loop_reference():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 5, 3)).astype("float32")
    layer = DynamicGraphConv(4, chebyshev_order=3, name="graph")
    y = np.asarray(layer(x))
    assert y.shape == (2, 5, 4) and y.dtype == np.float32
    laplacian = -_normalized_reference(layer.adjacency.numpy())
    terms = [np.eye(5), laplacian]
    terms.append(2 * laplacian @ terms[1] - terms[0])
    kernel, bias = layer.kernel.numpy().astype("float64"), layer.bias.numpy()
    expected = np.zeros((2, 5, 4))
    for b in range(2):
        for k in range(3):
            expected[b] += terms[k] @ x[b].astype("float64") @ kernel[k]
    np.testing.assert_allclose(y, expected + bias, rtol=1e-4, atol=1e-5)


def test_adjacency_regularisation_and_config():
    layer = DynamicGraphConv(2, adjacency_l1=0.01, adjacency_l2=0.1, kernel_l2=0.0)
    layer(np.ones((1, 4, 3), "float32"))
    (penalty,) = layer.losses
    weights = layer.adjacency.numpy().astype("float64")
    expected = 0.01 * np.abs(weights).sum() + 0.1 * (weights**2).sum()
    assert float(penalty) == pytest.approx(expected, rel=1e-5)
    clone = DynamicGraphConv.from_config(layer.get_config())
    assert (clone.adjacency_l1, clone.adjacency_l2, clone.chebyshev_order) == (0.01, 0.1, 2)
    with pytest.raises(ValueError, match="Received: chebyshev_order=0"):
        DynamicGraphConv(2, chebyshev_order=0)
    with pytest.raises(ValueError, match="n_nodes"):
        DynamicGraphConv(2)(np.ones((2, 3), "float32"))
