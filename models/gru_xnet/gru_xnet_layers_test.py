import keras
import numpy as np
import pytest

from amigos_emo.models.gru_xnet.gru_xnet_layers import GroupedConv2D


@pytest.mark.parametrize(
    ("groups", "in_channels", "filters", "kernel_size"), [(1, 2, 3, 3), (4, 4, 8, 3), (3, 6, 9, 5)]
)
def test_grouped_conv_matches_keras_conv2d_with_groups(groups, in_channels, filters, kernel_size):
    x = np.random.default_rng(0).normal(size=(2, 7, 6, in_channels)).astype("float32")
    layer = GroupedConv2D(
        filters, kernel_size, groups=groups, bias_initializer="random_normal", name="gconv"
    )
    out = np.asarray(layer(x))
    reference = keras.layers.Conv2D(filters, kernel_size, padding="same", groups=groups, name="ref")
    reference.build(x.shape)
    reference.set_weights(layer.get_weights())  # same kernel layout and bias
    assert out.shape == (2, 7, 6, filters) and out.dtype == np.float32
    np.testing.assert_allclose(out, np.asarray(reference(x)), atol=1e-5)


def test_grouped_conv_gradient_matches_keras_conv2d():
    import tensorflow as tf

    x = tf.constant(np.random.default_rng(1).normal(size=(2, 5, 4, 6)).astype("float32"))
    layer = GroupedConv2D(6, 3, groups=3, use_bias=False, name="gconv")
    reference = keras.layers.Conv2D(6, 3, padding="same", groups=3, use_bias=False, name="ref")
    layer.build(x.shape)
    reference.build(x.shape)
    reference.set_weights(layer.get_weights())
    grads = []
    for conv in (layer, reference):
        with tf.GradientTape() as tape:
            tape.watch(x)
            loss = tf.reduce_sum(tf.square(conv(x)))
        grads.append([g.numpy() for g in tape.gradient(loss, [x, conv.kernel])])
    for ours, theirs in zip(*grads, strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-4)


def test_grouped_conv_config_round_trip_and_errors():
    layer = GroupedConv2D(8, 3, groups=4, use_bias=False, name="gconv")
    clone = GroupedConv2D.from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
    with pytest.raises(ValueError, match="filters=6, groups=4"):
        GroupedConv2D(6, groups=4)
    with pytest.raises(ValueError, match="Received: kernel_size=2"):
        GroupedConv2D(4, 2)
    with pytest.raises(ValueError, match="multiple of groups=4"):
        GroupedConv2D(8, groups=4)(np.zeros((1, 3, 3, 6), "float32"))
