import keras
import numpy as np
import pytest

from amigos_emo.models.vae_gnn.vae_gnn_layers import GaussianSampling, GraphConv, TripletCenterLoss
from amigos_emo.signal.graph import normalize_adjacency

RNG = np.random.default_rng(0)


def _weights(layer):
    kernel, bias = (np.asarray(w, np.float64) for w in layer.get_weights())
    return kernel, bias


def _random_graph(n_nodes, batch=None):
    shape = (n_nodes, n_nodes) if batch is None else (batch, n_nodes, n_nodes)
    a = RNG.random(shape)
    a = (a + np.swapaxes(a, -1, -2)) / 2
    return normalize_adjacency(a).astype("float32")


def test_graph_conv_mixed_mode_matches_dense_reference():
    x = RNG.normal(size=(6, 5, 3)).astype("float32")
    a = _random_graph(5)
    layer = GraphConv(4, bias_initializer="random_normal", name="gcn")
    out = np.asarray(layer([x, a]))
    kernel, bias = _weights(layer)
    expected = np.stack(
        [a.astype(np.float64) @ x[b].astype(np.float64) @ kernel + bias for b in range(6)]
    )
    assert out.shape == (6, 5, 4) and out.dtype == np.float32
    np.testing.assert_allclose(out, expected, atol=1e-5)


def test_graph_conv_batch_mode_matches_dense_reference_with_activation():
    x = RNG.normal(size=(3, 5, 2)).astype("float32")
    a = _random_graph(5, batch=3)
    layer = GraphConv(7, activation="relu", bias_initializer="random_normal", name="gcn")
    out = np.asarray(layer([x, a]))
    kernel, bias = _weights(layer)
    expected = np.stack(
        [np.maximum(a[b].astype(np.float64) @ x[b] @ kernel + bias, 0) for b in range(3)]
    )
    np.testing.assert_allclose(out, expected, atol=1e-5)


def test_graph_conv_single_mode_and_no_bias():
    x = RNG.normal(size=(5, 3)).astype("float32")
    a = _random_graph(5)
    layer = GraphConv(2, use_bias=False, name="gcn")
    out = np.asarray(layer([x, a]))
    (kernel,) = [np.asarray(w, np.float64) for w in layer.get_weights()]
    np.testing.assert_allclose(out, a.astype(np.float64) @ x @ kernel, atol=1e-5)
    assert len(layer.weights) == 1


def test_graph_conv_in_a_functional_model_and_config_round_trip():
    x_in, a_in = keras.Input((5, 3), name="x"), keras.Input((5, 5), name="a")
    layer = GraphConv(4, activation="tanh", kernel_regularizer="l2", name="gcn")
    assert layer([x_in, a_in]).shape == (None, 5, 4)
    clone = GraphConv.from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
    assert keras.saving.get_registered_name(GraphConv) == "amigos_emo>GraphConv"


def test_graph_conv_errors_name_the_shapes():
    with pytest.raises(ValueError, match="Received: channels=0"):
        GraphConv(0)
    with pytest.raises(ValueError, match="n_nodes = x.shape\\[-2\\] = 5"):
        GraphConv(2)([np.zeros((2, 5, 3), "float32"), np.zeros((2, 4, 4), "float32")])
    with pytest.raises(ValueError, match="two inputs"):
        GraphConv(2).build((2, 5, 3))


def test_gaussian_sampling_is_deterministic_at_inference_and_matches_moments_in_training():
    mean = np.tile(np.array([[1.0, -2.0, 0.5]], "float32"), (20000, 1))
    log_var = np.tile(np.log(np.array([[0.25, 1.0, 4.0]], "float32")), (20000, 1))
    layer = GaussianSampling(seed=3, name="z")
    np.testing.assert_array_equal(np.asarray(layer([mean, log_var], training=False)), mean)
    z = np.asarray(layer([mean, log_var], training=True))
    np.testing.assert_allclose(z.mean(0), [1.0, -2.0, 0.5], atol=0.05)
    np.testing.assert_allclose(z.std(0), [0.5, 1.0, 2.0], rtol=0.05)
    # Extreme log-variances are clipped, so exp() cannot overflow.
    assert np.all(
        np.isfinite(np.asarray(layer([mean[:2], np.full((2, 3), 1e4, "float32")], training=True)))
    )


def _reference_triplet_center(features, labels, centers, margin):
    losses = []
    for f, y in zip(features.astype(np.float64), labels, strict=True):
        d = [float(np.sum((f - c) ** 2)) for c in centers.astype(np.float64)]
        nearest_other = min(d[k] for k in range(len(centers)) if k != y)
        losses.append(max(0.0, margin + d[y] - nearest_other))
    return np.array(losses)


@pytest.mark.parametrize("margin", [0.0, 1.0, 5.0])
def test_triplet_center_loss_matches_numpy_reference(margin):
    features = RNG.normal(size=(16, 6)).astype("float32")
    labels = RNG.integers(0, 4, 16)
    layer = TripletCenterLoss(4, margin=margin, center_initializer="random_normal", name="tcl")
    out = np.asarray(layer(features, labels))
    (centers,) = layer.get_weights()
    assert out.shape == (16,) and out.dtype == np.float32
    np.testing.assert_allclose(
        out, _reference_triplet_center(features, labels, centers, margin), rtol=1e-5, atol=1e-5
    )
    assert (out > 0).any()


def test_triplet_center_loss_centers_are_learnable():
    layer = TripletCenterLoss(4, margin=1.0, name="tcl")
    layer.build((None, 3))
    assert [w.name for w in layer.trainable_weights] == ["centers"] and layer.centers.shape == (
        4,
        3,
    )
    with pytest.raises(ValueError, match="Received: n_classes=1"):
        TripletCenterLoss(1)
