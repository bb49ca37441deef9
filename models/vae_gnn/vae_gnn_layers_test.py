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


# --- Conv3D / Conv3DTranspose in the time-blocked form ---

# (input shape per example, filters, kernel, strides, padding); the first five are the
# dreamer preset's encoder / decoder blocks on a shorter time axis.
CONV_CASES = [
    ((32, 9, 9, 1), 3, (8, 3, 3), (4, 1, 1), "same"),
    ((16, 9, 9, 3), 4, (8, 3, 3), (4, 1, 1), "same"),
    ((16, 9, 9, 4), 5, (4, 3, 3), (4, 3, 3), "same"),
    ((13, 5, 6, 3), 2, (3, 3, 3), (1, 1, 1), "same"),
    ((21, 7, 8, 2), 3, (5, 2, 3), (3, 2, 1), "same"),
    ((21, 7, 8, 2), 3, (5, 2, 3), (3, 2, 1), "valid"),
    ((15, 5, 6, 3), 2, (7, 1, 2), (2, 2, 2), "valid"),
    ((13, 5, 6, 3), 2, (2, 2, 2), (4, 1, 1), "same"),
]
# Transposed: the preset's decoder blocks (input = the encoder's output) and odd cases.
TRANSPOSE_CASES = [
    ((4, 3, 3, 5), 4, (4, 3, 3), (4, 3, 3), "same"),
    ((4, 9, 9, 4), 3, (8, 3, 3), (4, 1, 1), "same"),
    ((8, 9, 9, 3), 1, (8, 3, 3), (4, 1, 1), "same"),
    ((8, 9, 9, 3), 2, (8, 3, 3), (4, 1, 1), "valid"),
    ((7, 7, 8, 2), 3, (5, 2, 3), (3, 2, 1), "same"),
    ((7, 7, 8, 2), 3, (5, 2, 3), (3, 2, 1), "valid"),
    ((13, 5, 6, 3), 2, (3, 3, 3), (1, 1, 1), "same"),
    ((6, 4, 4, 3), 2, (2, 2, 2), (2, 2, 2), "valid"),
]


def _conv_pair(transpose, filters, kernel, strides, padding, input_shape):
    """(ours, keras's) built on ``input_shape`` with the same random weights."""
    from amigos_emo.models.vae_gnn.vae_gnn_layers import Conv3D, Conv3DTranspose

    ours_cls, keras_cls = (
        (Conv3DTranspose, keras.layers.Conv3DTranspose)
        if transpose
        else (Conv3D, keras.layers.Conv3D)
    )
    kwargs = dict(strides=strides, padding=padding, activation="relu")
    ours = ours_cls(filters, kernel, name="ours", **kwargs)
    reference = keras_cls(filters, kernel, name="reference", **kwargs)
    ours.build((None, *input_shape))
    reference.build((None, *input_shape))
    weights = [RNG.normal(size=w.shape).astype("float32") for w in reference.get_weights()]
    reference.set_weights(weights)
    ours.set_weights(weights)
    return ours, reference


def _outputs_and_gradients(layer, x, probe):
    import tensorflow as tf

    x = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = layer(x)
        loss = tf.reduce_sum(y * probe)
    grads = tape.gradient(loss, [x, *layer.trainable_variables])
    return np.asarray(y), [np.asarray(g) for g in grads]


@pytest.mark.parametrize("transpose", [False, True], ids=["conv", "transpose"])
@pytest.mark.parametrize("case", range(8))
def test_blocked_conv_outputs_and_gradients_equal_keras(transpose, case):
    input_shape, filters, kernel, strides, padding = (TRANSPOSE_CASES if transpose else CONV_CASES)[
        case
    ]
    ours, reference = _conv_pair(transpose, filters, kernel, strides, padding, input_shape)
    x = RNG.normal(size=(2, *input_shape)).astype("float32")
    expected_shape = reference.compute_output_shape((2, *input_shape))
    probe = RNG.normal(size=expected_shape).astype("float32")  # a random output gradient
    y, grads = _outputs_and_gradients(ours, x, probe)
    y_ref, grads_ref = _outputs_and_gradients(reference, x, probe)
    assert y.shape == y_ref.shape == tuple(expected_shape) and y.dtype == np.float32
    assert ours.compute_output_shape((2, *input_shape)) == expected_shape
    np.testing.assert_allclose(y, y_ref, atol=2e-5, rtol=1e-5)
    for name, g, g_ref in zip(("input", "kernel", "bias"), grads, grads_ref, strict=True):
        scale = max(float(np.max(np.abs(g_ref))), 1.0)
        np.testing.assert_allclose(g, g_ref, atol=2e-5 * scale, rtol=1e-5, err_msg=name)


@pytest.mark.parametrize("taps_on", ["input", "output"])
def test_both_tap_sides_equal_keras_conv_ops(taps_on):
    from keras import ops

    from amigos_emo.models.vae_gnn.vae_gnn_layers import (
        time_blocked_conv3d,
        time_blocked_conv3d_transpose,
    )

    for input_shape, filters, kernel, strides, padding in CONV_CASES[:2] + CONV_CASES[4:6]:
        x = RNG.normal(size=(2, *input_shape)).astype("float32")
        w = RNG.normal(size=(*kernel, input_shape[-1], filters)).astype("float32")
        out = time_blocked_conv3d(ops.convert_to_tensor(x), w, strides, padding, taps_on)
        ref = ops.conv(x, w, strides=strides, padding=padding)
        np.testing.assert_allclose(np.asarray(out), np.asarray(ref), atol=2e-5, rtol=1e-5)
    for input_shape, filters, kernel, strides, padding in TRANSPOSE_CASES[1:6]:
        x = RNG.normal(size=(2, *input_shape)).astype("float32")
        w = RNG.normal(size=(*kernel, filters, input_shape[-1])).astype("float32")
        out = time_blocked_conv3d_transpose(ops.convert_to_tensor(x), w, strides, padding, taps_on)
        ref = ops.conv_transpose(x, w, strides=strides, padding=padding)
        np.testing.assert_allclose(np.asarray(out), np.asarray(ref), atol=2e-5, rtol=1e-5)


def test_blocked_conv_falls_back_to_keras_where_the_form_does_not_apply():
    from amigos_emo.models.vae_gnn.vae_gnn_layers import Conv3D, Conv3DTranspose

    x = RNG.normal(size=(2, 12, 7, 7, 2)).astype("float32")
    for ours_cls, keras_cls, kwargs in (
        (Conv3D, keras.layers.Conv3D, {"dilation_rate": 2}),
        (Conv3D, keras.layers.Conv3D, {"groups": 2}),
        (Conv3DTranspose, keras.layers.Conv3DTranspose, {"output_padding": (1, 0, 0)}),
    ):
        strides = (2, 1, 1) if "output_padding" in kwargs else (1, 1, 1)
        ours = ours_cls(4, 3, strides=strides, padding="same", **kwargs)
        reference = keras_cls(4, 3, strides=strides, padding="same", **kwargs)
        ours.build(x.shape)
        reference.build(x.shape)
        ours.set_weights(reference.get_weights())
        np.testing.assert_allclose(np.asarray(ours(x)), np.asarray(reference(x)), atol=1e-5)


def test_blocked_conv_layers_keep_keras_config_and_weight_names():
    from amigos_emo.models.vae_gnn.vae_gnn_layers import Conv3D, Conv3DTranspose

    for ours_cls, keras_cls in (
        (Conv3D, keras.layers.Conv3D),
        (Conv3DTranspose, keras.layers.Conv3DTranspose),
    ):
        reference = keras_cls(3, (8, 3, 3), strides=(4, 1, 1), padding="same", name="block")
        clone = ours_cls.from_config(reference.get_config())  # an old file's config loads
        assert clone.get_config() == reference.get_config()
        clone.build((None, 16, 9, 9, 2))
        reference.build((None, 16, 9, 9, 2))
        assert [w.path for w in clone.weights] == [w.path for w in reference.weights]
        assert [w.shape for w in clone.weights] == [w.shape for w in reference.weights]
        name = keras.saving.get_registered_name(ours_cls)
        assert name == f"amigos_emo>{keras_cls.__name__}"
