import keras
import numpy as np
import pytest

from amigos_emo.models.gru_xnet.gru_xnet_layers import BatchNormalization as FusedBatchNormalization
from amigos_emo.models.gru_xnet.gru_xnet_layers import (
    GroupedConv2D,
    _window_statistics,
    can_fuse_conv_block,
    can_fuse_grouped_blocks,
    fused_conv_block,
    grouped_conv_blocks,
)


@pytest.mark.parametrize("implementation", ["auto", "split", "matmul", "einsum"])
@pytest.mark.parametrize(
    ("groups", "in_channels", "filters", "kernel_size"),
    [(1, 2, 3, 3), (4, 4, 8, 3), (3, 6, 9, 5), (5, 10, 5, 3)],
)
def test_grouped_conv_matches_keras_conv2d_with_groups(
    groups, in_channels, filters, kernel_size, implementation
):
    x = np.random.default_rng(0).normal(size=(2, 7, 6, in_channels)).astype("float32")
    layer = GroupedConv2D(
        filters,
        kernel_size,
        groups=groups,
        bias_initializer="random_normal",
        implementation=implementation,
        name="gconv",
    )
    out = np.asarray(layer(x))
    reference = keras.layers.Conv2D(filters, kernel_size, padding="same", groups=groups, name="ref")
    reference.build(x.shape)
    reference.set_weights(layer.get_weights())  # same kernel layout and bias
    assert out.shape == (2, 7, 6, filters) and out.dtype == np.float32
    np.testing.assert_allclose(out, np.asarray(reference(x)), atol=1e-5)


def _numpy_grouped_conv(x, kernel, groups):
    """A slow obvious reference: float64 loops over groups, taps and output channels."""
    batch, height, width, in_channels = x.shape
    k, _, in_per_group, filters = kernel.shape
    out_per_group, pad = filters // groups, k // 2
    padded = np.pad(x.astype("float64"), ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    out = np.zeros((batch, height, width, filters))
    for f in range(filters):
        g = f // out_per_group
        for row in range(k):
            for col in range(k):
                window = padded[:, row : row + height, col : col + width]
                block = window[..., g * in_per_group : (g + 1) * in_per_group]
                out[..., f] += block @ kernel[row, col, :, f]
    return out


@pytest.mark.parametrize(
    ("implementation", "groups", "in_channels", "filters"),
    [
        ("depthwise", 4, 4, 12),
        ("auto", 4, 4, 12),
        ("auto", 3, 6, 6),
        ("split", 3, 6, 6),
        ("matmul", 3, 6, 6),
        ("einsum", 3, 6, 6),
    ],
)
def test_every_implementation_matches_a_numpy_loop(implementation, groups, in_channels, filters):
    x = np.random.default_rng(2).normal(size=(3, 5, 7, in_channels)).astype("float32")
    layer = GroupedConv2D(filters, 3, groups=groups, use_bias=False, implementation=implementation)
    out = np.asarray(layer(x))
    expected = _numpy_grouped_conv(x, layer.kernel.numpy(), groups)
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-5)


def test_implementations_give_the_same_outputs_for_the_same_weights():
    x = np.random.default_rng(3).normal(size=(2, 9, 6, 8)).astype("float32")
    layers = {
        name: GroupedConv2D(16, 3, groups=4, implementation=name, name=f"gconv_{name}")
        for name in ("split", "matmul", "einsum")
    }
    for layer in layers.values():
        layer.build(x.shape)
        layer.set_weights(layers["split"].get_weights())
    for name in ("matmul", "einsum"):
        np.testing.assert_allclose(
            np.asarray(layers["split"](x)), np.asarray(layers[name](x)), rtol=1e-5, atol=1e-5
        )


@pytest.mark.parametrize(
    ("implementation", "groups", "channels"),
    [("split", 3, 6), ("matmul", 3, 6), ("depthwise", 6, 6)],
)
def test_grouped_conv_gradient_matches_keras_conv2d(implementation, groups, channels):
    import tensorflow as tf

    x = tf.constant(np.random.default_rng(1).normal(size=(2, 5, 4, channels)).astype("float32"))
    layer = GroupedConv2D(
        6, 3, groups=groups, use_bias=False, implementation=implementation, name="gconv"
    )
    reference = keras.layers.Conv2D(6, 3, padding="same", groups=groups, use_bias=False, name="ref")
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
    with pytest.raises(ValueError, match="implementation"):
        GroupedConv2D(8, groups=4, implementation="fft")
    with pytest.raises(ValueError, match="in_channels=8, groups=4"):
        GroupedConv2D(8, groups=4, implementation="depthwise")(np.zeros((1, 3, 3, 8), "float32"))
    # Configs written before `implementation` existed load with the default.
    config = layer.get_config()
    del config["implementation"]
    assert GroupedConv2D.from_config(config).implementation == "auto"


def _bn_pair(channels, rank=4, **kwargs):
    rng = np.random.default_rng(7)
    fused = FusedBatchNormalization(momentum=0.9, name="fused", **kwargs)
    plain = keras.layers.BatchNormalization(momentum=0.9, name="plain", **kwargs)
    for layer in (fused, plain):
        layer.build((None, *(3, 4)[: rank - 2], channels))
    weights = [rng.uniform(0.5, 2, channels), rng.normal(size=channels)][: len(fused.weights) - 2]
    weights += [rng.normal(size=channels), rng.uniform(0.5, 2, channels)]
    for layer in (fused, plain):
        layer.set_weights([np.asarray(w, "float32") for w in weights])
    return fused, plain


@pytest.mark.parametrize("scale_and_center", [True, False])
def test_fused_batch_norm_equals_keras_batch_norm_in_training(scale_and_center):
    import tensorflow as tf

    x = tf.constant(np.random.default_rng(8).normal(2.0, 3.0, size=(5, 3, 4, 6)).astype("float32"))
    fused, plain = _bn_pair(6, scale=scale_and_center, center=scale_and_center)
    assert fused._fusable(x, True, None) and not fused._fusable(x, False, None)
    results = []
    for layer in (fused, plain):
        with tf.GradientTape() as tape:
            tape.watch(x)
            out = layer(x, training=True)
            loss = tf.reduce_sum(out * tf.cos(x))  # a loss whose gradient is not trivial
        grads = tape.gradient(loss, [x, *layer.trainable_weights])
        results.append([out.numpy(), *(g.numpy() for g in grads), *layer.get_weights()])
    # Outputs, gradients (input, gamma, beta) and the updated moving mean / variance.
    for ours, theirs in zip(*results, strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-4)
    # The moving variance follows the biased batch variance, like Keras.
    moving = 0.9 * _bn_pair(6)[1].moving_variance.numpy() + 0.1 * x.numpy().var(axis=(0, 1, 2))
    np.testing.assert_allclose(fused.moving_variance.numpy(), moving, rtol=1e-5)


def test_fused_batch_norm_falls_back_to_keras_outside_training():
    x = np.random.default_rng(9).normal(size=(2, 3, 4, 6)).astype("float32")
    fused, plain = _bn_pair(6)
    np.testing.assert_allclose(
        np.asarray(fused(x, training=False)), np.asarray(plain(x, training=False)), atol=1e-6
    )
    x3 = x.reshape(2, 12, 6)  # rank 3: Keras's own call
    fused3, plain3 = _bn_pair(6, rank=3)
    np.testing.assert_allclose(
        np.asarray(fused3(x3, training=True)), np.asarray(plain3(x3, training=True)), atol=1e-5
    )
    clone = FusedBatchNormalization.from_config(fused.get_config())
    assert clone.get_config() == fused.get_config()


def test_weight_files_of_the_keras_batch_norm_load_into_the_fused_one(tmp_path):
    def model(norm):
        inputs = keras.Input((3, 4, 6))
        return keras.Model(inputs, norm(name="bn")(keras.layers.ReLU()(inputs)))

    old, new = model(keras.layers.BatchNormalization), model(FusedBatchNormalization)
    rng = np.random.default_rng(10)
    old.set_weights([rng.uniform(0.5, 2, 6).astype("float32") for _ in old.weights])
    old.save_weights(tmp_path / "old.weights.h5")
    new.load_weights(tmp_path / "old.weights.h5")
    for ours, theirs in zip(new.get_weights(), old.get_weights(), strict=True):
        np.testing.assert_array_equal(ours, theirs)


def _block(groups=3, per_group=4, seed=11, **conv_kwargs):
    """A depthwise GroupedConv2D and a Keras batch norm with random weights (not initial)."""
    rng = np.random.default_rng(seed)
    channels = groups * per_group
    conv = GroupedConv2D(channels, 3, groups=groups, use_bias=False, name="conv", **conv_kwargs)
    conv.build((None, 5, 5, groups))
    norm = keras.layers.BatchNormalization(momentum=0.9, name="bn")
    norm.build((None, 5, 5, channels))
    signs = rng.choice([-1.0, 1.0], channels)  # negative gammas flip the order max-pool sees
    norm.set_weights(
        [
            rng.uniform(0.5, 2, channels) * signs,
            rng.normal(size=channels),
            rng.normal(size=channels),
            rng.uniform(0.5, 2, channels),
        ]
    )
    return conv, norm, keras.layers.MaxPooling2D(2, padding="same"), keras.layers.ReLU()


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize(("height", "width"), [(7, 6), (8, 5), (6, 8), (1, 4), (5, 1), (2, 2)])
def test_fused_conv_block_equals_its_four_layers(height, width, training):
    import tensorflow as tf

    rng = np.random.default_rng(height * 10 + width)
    x = tf.constant(rng.normal(1.5, 2.0, size=(4, height, width, 3)).astype("float32"))
    conv, norm, pool, relu = _block()
    assert can_fuse_conv_block(conv, norm, pool, relu, x)
    initial = norm.get_weights()
    results = []
    for fused in (True, False):
        norm.set_weights(initial)
        with tf.GradientTape() as tape:
            tape.watch(x)
            if fused:
                out = fused_conv_block(x, conv, norm, training=training)
            else:
                out = relu(pool(norm(conv(x), training=training)))
            # A loss whose gradient is not trivial and that sees every output element.
            loss = tf.reduce_sum(out * tf.cos(tf.range(tf.size(out), dtype="float32")[:1] + out))
        grads = tape.gradient(loss, [x, conv.kernel, norm.gamma, norm.beta])
        results.append([out.numpy(), *(g.numpy() for g in grads), *norm.get_weights()[2:]])
    assert results[0][0].shape == (4, -(-height // 2), -(-width // 2), 12)
    # Output, gradients (input, kernel, gamma, beta), moving mean and variance.
    for ours, theirs in zip(*results, strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=2e-4, atol=2e-4)
    if not training:
        np.testing.assert_array_equal(results[0][-1], initial[3])  # untouched in inference


def test_window_statistics_equal_a_float64_loop():
    # A large mean on a small spread: the case where raw float32 moments would cancel.
    rng = np.random.default_rng(12)
    x = (50.0 + rng.normal(size=(3, 5, 4, 2))).astype("float32")
    mean, covariance = (np.asarray(a) for a in _window_statistics(x, 3))
    padded = np.pad(x.astype("float64"), ((0, 0), (1, 1), (1, 1), (0, 0)))
    windows = np.stack(
        [padded[:, r : r + 5, c : c + 4] for r in range(3) for c in range(3)], axis=-1
    ).reshape(-1, 2, 9)  # (positions, channels, taps)
    for channel in range(2):
        expected_mean = windows[:, channel].mean(axis=0)
        expected_cov = np.cov(windows[:, channel], rowvar=False, bias=True)
        np.testing.assert_allclose(mean[channel], expected_mean, rtol=1e-5)
        np.testing.assert_allclose(covariance[channel], expected_cov, rtol=1e-4, atol=1e-3)


def test_can_fuse_conv_block_only_for_the_block_it_computes():
    x = keras.KerasTensor((None, 6, 5, 3), dtype="float32")
    conv, norm, pool, relu = _block()
    assert can_fuse_conv_block(conv, norm, pool, relu, x)
    with_bias = GroupedConv2D(12, 3, groups=3, use_bias=True)
    wide = GroupedConv2D(12, 3, groups=3)  # 6 input channels: not one per group
    cases = [
        (with_bias, norm, pool, relu, x),
        (wide, norm, pool, relu, keras.KerasTensor((None, 6, 5, 6))),
        (conv, norm, keras.layers.MaxPooling2D(3, padding="same"), relu, x),
        (conv, norm, keras.layers.MaxPooling2D(2), relu, x),
        (conv, norm, pool, keras.layers.ReLU(max_value=6.0), x),
        (conv, norm, pool, relu, keras.KerasTensor((None, None, 5, 3))),
        (conv, norm, pool, relu, keras.KerasTensor((None, 6, 5, 3), dtype="bfloat16")),
    ]
    for case in cases:
        assert not can_fuse_conv_block(*case)


def _grouped_blocks(groups=3, widths=(2, 4, 3), seed=17, use_bias=False):
    """Two grouped blocks (in 2 -> 4 -> 3 per group) with random batch-norm weights."""
    rng = np.random.default_rng(seed)
    blocks = []
    for index, (n_in, n_out) in enumerate(zip(widths[:-1], widths[1:], strict=True)):
        channels = groups * n_out
        conv = GroupedConv2D(
            channels,
            3,
            groups=groups,
            use_bias=use_bias,
            bias_initializer="random_normal",
            name=f"conv{index}",
        )
        conv.build((None, 5, 5, groups * n_in))
        norm = keras.layers.BatchNormalization(momentum=0.8, name=f"bn{index}")
        norm.build((None, 5, 5, channels))
        signs = rng.choice([-1.0, 1.0], channels)
        norm.set_weights(
            [
                rng.uniform(0.5, 2, channels) * signs,
                rng.normal(size=channels),
                rng.normal(size=channels),
                rng.uniform(0.5, 2, channels),
            ]
        )
        blocks.append(
            (conv, norm, keras.layers.MaxPooling2D(2, padding="same"), keras.layers.ReLU())
        )
    return blocks


@pytest.mark.parametrize("use_bias", [False, True])
@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize(("height", "width"), [(7, 6), (4, 5)])
def test_grouped_conv_blocks_equal_their_layers(height, width, training, use_bias):
    import tensorflow as tf

    rng = np.random.default_rng(height + 10 * width)
    x = tf.constant(rng.normal(size=(3, height, width, 6)).astype("float32"))
    blocks = _grouped_blocks(use_bias=use_bias)
    assert can_fuse_grouped_blocks(blocks, x)
    norms = [block[1] for block in blocks]
    initial = [norm.get_weights() for norm in norms]
    variables = [
        v for conv, norm, _, _ in blocks for v in conv.trainable_weights + norm.trainable_weights
    ]
    results = []
    for grouped in (True, False):
        for norm, weights in zip(norms, initial, strict=True):
            norm.set_weights(weights)
        with tf.GradientTape() as tape:
            tape.watch(x)
            if grouped:
                out = grouped_conv_blocks(x, blocks, training=training)
            else:
                out = x
                for conv, norm, pool, relu in blocks:
                    out = relu(pool(norm(conv(out), training=training)))
            loss = tf.reduce_sum(out * tf.sin(out + 1.0))
        grads = tape.gradient(loss, [x, *variables])
        results.append(
            [out.numpy(), *(g.numpy() for g in grads)]
            + [w for norm in norms for w in norm.get_weights()[2:]]
        )
    assert results[0][0].shape == (3, -(-height // 4), -(-width // 4), 9)
    # Output, gradients (input, kernels, biases, gammas, betas), moving means and variances.
    for ours, theirs in zip(*results, strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=2e-4, atol=2e-4)


def test_grouped_conv_blocks_keep_moving_statistics_of_frozen_norms():
    x = np.random.default_rng(18).normal(size=(2, 6, 6, 6)).astype("float32")
    blocks = _grouped_blocks()
    blocks[0][1].trainable = False
    before = blocks[0][1].get_weights()
    out = np.asarray(grouped_conv_blocks(x, blocks, training=True))
    reference = x
    for conv, norm, pool, relu in blocks:
        reference = relu(pool(norm(conv(reference), training=True)))
    np.testing.assert_allclose(out, np.asarray(reference), rtol=2e-4, atol=2e-4)
    for ours, theirs in zip(blocks[0][1].get_weights(), before, strict=True):
        np.testing.assert_array_equal(ours, theirs)


def test_can_fuse_grouped_blocks_only_for_the_blocks_it_computes():
    x = keras.KerasTensor((None, 6, 5, 6), dtype="float32")
    blocks = _grouped_blocks()
    assert can_fuse_grouped_blocks(blocks, x)
    conv, norm, pool, relu = blocks[1]
    other_groups = GroupedConv2D(6, 3, groups=2)
    cases = [
        [blocks[0], (other_groups, norm, pool, relu)],
        [blocks[0], (conv, norm, keras.layers.MaxPooling2D(2), relu)],
        [blocks[0], (conv, norm, pool, keras.layers.ReLU(negative_slope=0.1))],
        [blocks[0], (conv, keras.layers.BatchNormalization(renorm=True), pool, relu)],
    ]
    for case in cases:
        assert not can_fuse_grouped_blocks(case, x)
    assert not can_fuse_grouped_blocks(blocks, keras.KerasTensor((None, 6, 5, 3)))  # 1 per group
    assert not can_fuse_grouped_blocks(blocks, keras.KerasTensor((None, 6, 5, 6), "bfloat16"))
    assert not can_fuse_grouped_blocks([], x)
