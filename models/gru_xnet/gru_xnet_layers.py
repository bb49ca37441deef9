"""Custom layers of the GRU-XNet family.

:class:`GroupedConv2D` is a stride-1, ``"same"``-padded grouped 2-D convolution. It computes
exactly what ``keras.layers.Conv2D(groups=...)`` computes, with the same kernel layout (so the
weights, ``count_params()`` and saved files are those of every earlier version of this layer),
but not with TensorFlow's grouped convolution: in TF 2.21 on CPU a grouped ``Conv2D`` inside a
``tf.function`` without XLA has no kernel-gradient implementation (``Conv2DBackpropFilter``:
"filter_size does not have enough elements"), and under XLA its gradient is very slow.
The layer picks its form from the group width (``implementation="auto"``):

- one input channel per group (GRU-XNet's first block: one spectrogram per EEG channel):
  a depthwise convolution with channel multiplier ``filters // groups``
  (``keras.ops.depthwise_conv``), the native op for exactly this case;
- several input channels per group (blocks 2 and 3): ``"split"``, one ordinary convolution
  per group on its slice of the channels (``ops.split`` -> ``groups`` x ``ops.conv`` ->
  ``ops.concatenate``). The graph holds ``groups`` small Conv2D ops, traced once, whose
  forward and both gradients are TensorFlow's native CPU kernels (oneDNN's where it is on:
  ``--onednn auto`` turns it on for GRU-XNet, 1.3x faster a training step on a 2-core AVX2
  CPU).

Two slower forms are kept for comparison: ``"matmul"`` (the ``kernel_size**2`` shifted
windows stacked once, then one batched matmul over the groups; the previous default, which
materialises 9x the input and transposes it) and ``"einsum"`` (one einsum per kernel tap).
Forward + backward of one block at DEAP stft shapes (batch 32, 32 groups), 2 threads, no XLA,
on a shared 2-core CPU (load average 7-10; only the ratios count): block 2 (32 -> 64 per
group, 17 x 12): matmul 8.3 s, split 1.7 s (4.9x); block 3 (64 -> 128, 9 x 6): matmul 5.4 s,
split 1.3 s (4.1x); block 1 (1 -> 32, 33 x 23): depthwise 0.55 s, split 0.86 s, matmul
1.4 s. A grouped ``tf.nn.conv2d`` runs forward on CPU but its input gradient fails too
("Conv2DBackpropInput"), so it cannot serve even with a custom gradient.

:class:`BatchNormalization` is Keras's batch norm trained through TensorFlow's fused kernel
(same weights, outputs and statistics): on the channel-stacked maps Keras's unfused form cost
2.8 / 1.4 / 0.47 s forward + backward in the three blocks against 1.6 / 0.78 / 0.34 s fused
(same load). Together with max-pooling before the ReLU (see :mod:`.gru_xnet_backbone`) the
whole GRU-XNet training step (DEAP shapes, batch 32, Adam, 2 threads, no XLA) went from 12.2
to 4.1 s and from 15.0 to 5.8 s in two interleaved A/Bs (2.6-3.0x). Against the PyTorch peer
(``bench/train_throughput.py``) that is from 0.46x to 1.05-1.28x its samples/s over four runs at
load average 4-8 (per-round ratios 0.6-1.6): on par or faster, not yet a steady 1.2x.

:func:`fused_conv_block` then took block 1 (about a third of that step: batch norm and
pooling of the 32 x 33 x 23 x 1024 maps) from 1620 to 670 ms forward + backward (2.4x), by
computing the batch statistics from the input, folding the batch norm into the kernel and
max-pooling as four stride-2 phase convolutions (GRU-XNet's ``call`` uses it; same weights and
outputs). The whole training step: 1.32x in an interleaved A/B (3 rounds, load average 5);
against the PyTorch peer 0.96x before, 1.70x, 1.50x and 1.40x after over three runs (per-round
ratios 1.38-2.42, load average 5-8). Measured and not kept, block 1: the folded batch norm
with a max-pool on the full maps (1.12-1.15x; the pool and its gradient there are the larger
part), a slice-and-concatenate maximum over the phases instead of ``-inf`` padding (1.37x
against 1.91x); blocks 2 and 3: the convolution on the kernel times ``sign(gamma)`` so that the
pool runs before the affine part of the batch norm, with statistics from ``tf.nn.moments`` or the
fused kernel (0.85x, 0.95x: the statistics and their gradient cost as much as the normalisation
saved), and TensorFlow's grouped ``Conv2D`` forward (265 ms against 207 ms for ``"split"``).

Blocks 2 and 3 then ran group by group (:func:`grouped_conv_blocks`): the fused batch norm,
pool and ReLU on one EEG channel's maps at a time (1/32 of the channel-stacked maps, small
enough to stay in the CPU caches) instead of the 13.4M- and 7M-element stacks, and no splits
and concatenations between the blocks: 2684 to 1945 ms for both blocks forward + backward
(1.38x), 1.16x on the whole training step on top of the fused block 1. Against the PyTorch
peer, both together: 1.82x and 1.69x its samples/s in two runs (per-round ratios 1.37-1.94,
load average 6.5-7.4; 12.8 and 10.7 samples/s against 7.1 and 6.5). The price is tracing: the
graph holds each group's ops, and the bench's three warm-up steps took 30-36 s instead of
19-28 s. Also measured and not kept: a batch norm with a hand-written gradient and matmul
reductions on the stacked maps of block 2 (0.83x the fused kernel). What is left: the
per-group convolutions (about 0.5 s forward + backward for block 2) and block 1's four phase
convolutions and their filter gradients.
"""

from __future__ import annotations

import keras
from keras import ops

from amigos_emo._checks import check_option, validate_type

IMPLEMENTATIONS = ("auto", "depthwise", "split", "matmul", "einsum")


@keras.saving.register_keras_serializable(package="amigos_emo")
class GroupedConv2D(keras.layers.Layer):
    """Grouped 2-D convolution (stride 1, ``"same"`` padding), channels-last.

    Input channels are split into ``groups`` equal consecutive blocks; output block ``g``
    (``filters // groups`` channels) sees input block ``g`` only. With ``groups`` = number of
    EEG channels and one input feature per EEG channel this is one independent CNN per channel.

    Args:
        filters: total output channels (a multiple of ``groups``).
        kernel_size: odd int, the square kernel size.
        groups: number of independent groups (must divide the input channels and ``filters``).
        use_bias: add a bias per output channel.
        kernel_initializer, bias_initializer: initialisers; the kernel has the layout of
            ``keras.layers.Conv2D(groups=groups)``: ``(k, k, in_channels // groups, filters)``.
        implementation: how the convolution is computed (same result, same weights):
            ``"auto"`` (depthwise when each group has one input channel, else
            ``"split"``), ``"depthwise"`` (only for one input channel per group),
            ``"split"`` (one convolution per group), ``"matmul"`` (stacked windows + one
            batched matmul over groups) or ``"einsum"`` (one einsum per kernel tap); the last
            two are earlier, slower forms. See the module docstring.
        **kwargs: forwarded to :class:`keras.layers.Layer`.

    Call arguments:
        inputs: float (batch, height, width, in_channels).

    Returns:
        float (batch, height, width, filters).
    """

    def __init__(
        self,
        filters,
        kernel_size=3,
        groups=1,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        implementation="auto",
        **kwargs,
    ):
        super().__init__(**kwargs)
        for name, value in (("filters", filters), ("kernel_size", kernel_size), ("groups", groups)):
            validate_type(value, int, name)
            if value < 1:
                raise ValueError(f"{name} must be >= 1. Received: {name}={value}")
        if kernel_size % 2 == 0:
            raise ValueError(f"kernel_size must be odd. Received: kernel_size={kernel_size}")
        if filters % groups:
            raise ValueError(
                f"filters must be a multiple of groups. Received: filters={filters}, groups={groups}"
            )
        self.filters = filters
        self.kernel_size = kernel_size
        self.groups = groups
        self.use_bias = validate_type(use_bias, bool, "use_bias")
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.implementation = check_option(implementation, IMPLEMENTATIONS, "implementation")

    def build(self, input_shape):
        in_channels = input_shape[-1]
        if len(input_shape) != 4 or in_channels is None or in_channels % self.groups:
            raise ValueError(
                "GroupedConv2D expects (batch, height, width, in_channels) with in_channels a "
                f"multiple of groups={self.groups}. Received: input_shape={tuple(input_shape)}"
            )
        self.kernel = self.add_weight(
            name="kernel",
            shape=(self.kernel_size, self.kernel_size, in_channels // self.groups, self.filters),
            initializer=self.kernel_initializer,
        )
        if self.implementation == "depthwise" and in_channels != self.groups:
            raise ValueError(
                "implementation='depthwise' needs one input channel per group. Received: "
                f"in_channels={in_channels}, groups={self.groups}"
            )
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                name="bias", shape=(self.filters,), initializer=self.bias_initializer
            )

    def _resolved_implementation(self, in_per_group):
        if self.implementation != "auto":
            return self.implementation
        return "depthwise" if in_per_group == 1 else "split"

    def call(self, inputs):
        k, groups = self.kernel_size, self.groups
        in_channels = inputs.shape[-1]
        in_per_group = in_channels // groups
        out_per_group = self.filters // groups
        implementation = self._resolved_implementation(in_per_group)
        if implementation == "depthwise":
            # (k, k, 1, groups * out) -> (k, k, groups, out): output channel g * out + o in
            # both layouts.
            kernel = ops.reshape(self.kernel, (k, k, in_channels, out_per_group))
            out = ops.depthwise_conv(inputs, kernel, strides=1, padding="same")
        elif implementation == "split":
            out = self._split_conv(inputs)
        elif implementation == "matmul":
            out = self._matmul_conv(inputs, in_per_group, out_per_group)
        else:
            out = self._einsum_conv(inputs, in_per_group, out_per_group)
        return out + self.bias if self.bias is not None else out

    def _spatial_shape(self, inputs):
        shape = ops.shape(inputs)
        height = inputs.shape[1] if inputs.shape[1] is not None else shape[1]
        width = inputs.shape[2] if inputs.shape[2] is not None else shape[2]
        return shape[0], height, width

    def _split_conv(self, inputs):
        # One ordinary convolution per group on its slice of the channels; the graph holds
        # `groups` Conv2D ops (traced once), whose gradients are TF's native CPU kernels.
        slices = ops.split(inputs, self.groups, axis=-1)
        kernels = ops.split(self.kernel, self.groups, axis=-1)
        outputs = [
            ops.conv(x, kernel, strides=1, padding="same")
            for x, kernel in zip(slices, kernels, strict=True)
        ]
        return ops.concatenate(outputs, axis=-1)

    def _matmul_conv(self, inputs, in_per_group, out_per_group):
        k, groups = self.kernel_size, self.groups
        batch, height, width = self._spatial_shape(inputs)
        pad = k // 2
        x = ops.pad(inputs, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
        # (batch, height, width, k*k, channels), taps in kernel (row, col) order.
        windows = ops.stack(
            [x[:, row : row + height, col : col + width] for row in range(k) for col in range(k)],
            axis=3,
        )
        windows = ops.reshape(windows, (-1, k * k, groups, in_per_group))
        windows = ops.reshape(
            ops.transpose(windows, (2, 0, 1, 3)), (groups, -1, k * k * in_per_group)
        )
        kernel = ops.reshape(self.kernel, (k * k, in_per_group, groups, out_per_group))
        kernel = ops.reshape(
            ops.transpose(kernel, (2, 0, 1, 3)), (groups, k * k * in_per_group, out_per_group)
        )
        out = ops.matmul(windows, kernel)  # (groups, batch * height * width, out_per_group)
        out = ops.transpose(out, (1, 0, 2))
        return ops.reshape(out, (batch, height, width, self.filters))

    def _einsum_conv(self, inputs, in_per_group, out_per_group):
        k, groups = self.kernel_size, self.groups
        batch, height, width = self._spatial_shape(inputs)
        x = ops.reshape(inputs, (batch, height, width, groups, in_per_group))
        pad = k // 2
        x = ops.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0), (0, 0)))
        kernel = ops.reshape(self.kernel, (k, k, in_per_group, groups, out_per_group))
        out = None
        for row in range(k):
            for col in range(k):
                window = x[:, row : row + height, col : col + width]
                term = ops.einsum("bhwgi,igo->bhwgo", window, kernel[row, col])
                out = term if out is None else out + term
        return ops.reshape(out, (batch, height, width, self.filters))

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.filters)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "filters": self.filters,
                "kernel_size": self.kernel_size,
                "groups": self.groups,
                "use_bias": self.use_bias,
                "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
                "bias_initializer": keras.initializers.serialize(self.bias_initializer),
                "implementation": self.implementation,
            }
        )
        return config


@keras.saving.register_keras_serializable(package="amigos_emo")
class BatchNormalization(keras.layers.BatchNormalization):
    """:class:`keras.layers.BatchNormalization` that trains with TensorFlow's fused kernel.

    Named like the Keras layer on purpose: Keras 3 files address a layer's weights by its
    snake-cased class name (``layers/batch_normalization_1/vars``), so ``.keras`` and
    ``.weights.h5`` files saved with ``keras.layers.BatchNormalization`` load into models using
    this layer, and back (tested). It is registered as ``amigos_emo>BatchNormalization``.

    Same arguments, weights (``gamma``, ``beta``, ``moving_mean``, ``moving_variance``), outputs
    and moving-statistics update as the Keras layer (tested on random inputs). Keras 3 computes
    the training-time statistics and the normalisation as separate element-wise ops
    (``tf.nn.moments`` then ``tf.nn.batch_normalization``), several passes over the tensor
    forward and more backward; on GRU-XNet's channel-stacked maps (up to 32 x 33 x 23 x 1024
    values per batch) that was the largest cost of the training step after the convolutions.
    TensorFlow's ``FusedBatchNormV3`` (and its gradient) does it in one pass each way.

    The fused path is taken in training mode with the TensorFlow backend, float32 inputs,
    rank-4 inputs normalised over the last axis, no mask, no renorm and ``synchronized=False``;
    everything else (inference, other backends, mixed precision) is the Keras layer's own
    ``call``. The fused op returns the unbiased (n - 1) batch variance; it is rescaled to the
    biased variance Keras feeds its moving average, so both layers track the same statistics.
    """

    def _fusable(self, inputs, training, mask):
        return (
            bool(training)
            and self.trainable
            and mask is None
            and not self.renorm
            and not self.synchronized
            and keras.backend.backend() == "tensorflow"
            and len(inputs.shape) == 4
            and self.axis in (-1, 3)
            and keras.backend.standardize_dtype(inputs.dtype) == "float32"
        )

    def call(self, inputs, training=None, mask=None):
        if not self._fusable(inputs, training, mask):
            return super().call(inputs, training=training, mask=mask)
        import tensorflow as tf

        channels = inputs.shape[-1]
        gamma = ops.cast(self.gamma, "float32") if self.scale else ops.ones((channels,))
        beta = ops.cast(self.beta, "float32") if self.center else ops.zeros((channels,))
        outputs, mean, variance = tf.compat.v1.nn.fused_batch_norm(
            inputs, gamma, beta, epsilon=self.epsilon, is_training=True
        )
        count = ops.cast(ops.size(inputs) // channels, "float32")
        variance = variance * (count - 1.0) / ops.maximum(count, 1.0)
        momentum = self.momentum
        self.moving_mean.assign(self.moving_mean * momentum + mean * (1.0 - momentum))
        self.moving_variance.assign(self.moving_variance * momentum + variance * (1.0 - momentum))
        return outputs


def can_fuse_conv_block(conv, norm, pool, relu, inputs):
    """Whether :func:`fused_conv_block` computes ``relu(pool(norm(conv(inputs))))`` exactly.

    True for GRU-XNet's first block: a :class:`GroupedConv2D` with one input channel per group
    and no bias, a :class:`keras.layers.BatchNormalization` over the last axis (no renorm, not
    synchronized), a 2 x 2 / stride 2 ``"same"`` max-pool, a plain ReLU, float32 compute and
    inputs with a static height and width.
    """
    shape = tuple(inputs.shape)
    return (
        isinstance(conv, GroupedConv2D)
        and isinstance(norm, keras.layers.BatchNormalization)
        and len(shape) == 4
        and None not in shape[1:]
        and shape[-1] == conv.groups
        and not conv.use_bias
        and norm.axis in (-1, 3)
        and not norm.renorm
        and not norm.synchronized
        and _is_plain_pool_and_relu(pool, relu)
        and all(
            keras.backend.standardize_dtype(dtype) == "float32"
            for dtype in (inputs.dtype, conv.compute_dtype, norm.compute_dtype)
        )
    )


def _window_statistics(inputs, kernel_size):
    """Per-channel mean and covariance of the ``kernel_size**2`` zero-padded shifted windows.

    Args:
        inputs: float32 (batch, height, width, channels).
        kernel_size: odd int; the windows are those a ``"same"`` convolution reads.

    Returns:
        ``(mean, covariance)``: float32 (channels, taps) and (channels, taps, taps), taps in
        kernel (row, col) order, over the batch * height * width window positions (biased).
    """
    k, pad = kernel_size, kernel_size // 2
    _, height, width, channels = inputs.shape
    # Covariances do not change when a constant is subtracted, so centre on the channel mean
    # first (the padded zeros become -mean): the raw second moments then hold no large
    # mean**2 term that would cancel in float32.
    channel_mean = ops.mean(inputs, axis=(0, 1, 2))
    padded = ops.pad(inputs, ((0, 0), (pad, pad), (pad, pad), (0, 0))) - channel_mean
    padded = ops.transpose(padded, (3, 0, 1, 2))  # channel-major, so no big transpose below
    windows = ops.stack(
        [
            padded[:, :, row : row + height, col : col + width]
            for row in range(k)
            for col in range(k)
        ],
        axis=1,
    )
    windows = ops.reshape(windows, (channels, k * k, -1))  # (channels, taps, positions)
    count = ops.cast(ops.shape(windows)[-1], "float32")
    mean = ops.mean(windows, axis=-1)
    covariance = ops.matmul(windows, ops.transpose(windows, (0, 2, 1))) / count
    covariance = covariance - mean[:, :, None] * mean[:, None, :]
    return mean + channel_mean[:, None], covariance


def fused_conv_block(inputs, conv, norm, training=False):
    """``relu(max_pool_2x2_same(batch_norm(depthwise_conv(inputs))))`` in one computation.

    GRU-XNet's first block, conv -> batch norm -> 2 x 2 ``"same"`` max-pool -> ReLU, computed
    from the layers' own weights without materialising the full-resolution maps
    (batch x height x width x groups * filters, 32 x 33 x 23 x 1024 at DEAP shapes) more than
    once, and with the same outputs, gradients and moving-statistics update as the layers
    called one after the other (tested on random inputs):

    1. Batch statistics without the convolution output: the conv is linear in the input, so
       the mean and (biased) variance of output channel ``(c, o)`` are ``k_co . m_c`` and
       ``k_co^T S_c k_co``, with ``m_c`` / ``S_c`` the mean / covariance of the k*k zero-padded
       shifted windows of input channel ``c`` (:func:`_window_statistics`, on the input, which
       is ``filters / groups`` times smaller than the output). In inference the moving
       statistics take their place.
    2. The normalisation folded into the kernel: ``bn(conv(x, k)) = conv(x, k * scale) +
       shift`` with ``scale = gamma / sqrt(var + eps)`` and ``shift = beta - mean * scale``.
    3. The max-pool from the convolution: the four phases of each 2 x 2 window are four
       stride-2 convolutions, and the pool is their element-wise maximum (windows that hang
       over an odd edge take the phases that exist, as ``"same"`` pooling does). The shift
       is added after the maximum (a per-channel constant commutes with it), then the ReLU,
       both on the pooled quarter of the elements.

    One training step of the block (forward and backward, DEAP shapes, batch 32, 2 threads, no
    XLA) took 1620 ms as the four layers and 670 ms fused (median of 5 interleaved runs, load
    average 4.4; the max-pool and its gradient on the full maps, and the fused batch norm
    forward and backward there, are what is saved).

    Args:
        inputs: float32 (batch, height, width, groups), one input channel per group.
        conv: the block's :class:`GroupedConv2D` (no bias).
        norm: the block's :class:`keras.layers.BatchNormalization`; in training its moving
            mean and variance are updated like the layer's own call does.
        training: batch statistics (True) or the moving ones.

    Returns:
        float32 (batch, ceil(height / 2), ceil(width / 2), conv.filters).
    """
    k, groups = conv.kernel_size, conv.groups
    _, height, width, _ = inputs.shape
    per_group = conv.filters // groups
    # (k, k, 1, groups * per_group) -> (k, k, groups, per_group), as in GroupedConv2D.call.
    kernel = ops.reshape(ops.cast(conv.kernel, "float32"), (k, k, groups, per_group))
    if training:
        window_mean, window_cov = _window_statistics(inputs, k)
        taps = ops.transpose(ops.reshape(kernel, (k * k, groups, per_group)), (1, 0, 2))
        mean = ops.reshape(ops.sum(window_mean[:, :, None] * taps, axis=1), (-1,))
        variance = ops.reshape(ops.sum(taps * ops.matmul(window_cov, taps), axis=1), (-1,))
        variance = ops.maximum(variance, 0.0)  # a quadratic form of a covariance: >= 0
        momentum = norm.momentum
        norm.moving_mean.assign(
            norm.moving_mean * momentum + ops.stop_gradient(mean) * (1.0 - momentum)
        )
        norm.moving_variance.assign(
            norm.moving_variance * momentum + ops.stop_gradient(variance) * (1.0 - momentum)
        )
    else:
        mean = ops.cast(norm.moving_mean, "float32")
        variance = ops.cast(norm.moving_variance, "float32")
    scale = ops.rsqrt(variance + norm.epsilon)
    if norm.scale:
        scale = scale * ops.cast(norm.gamma, "float32")
    shift = -mean * scale
    if norm.center:
        shift = shift + ops.cast(norm.beta, "float32")
    folded = kernel * ops.reshape(scale, (1, 1, groups, per_group))

    pad = k // 2
    padded = ops.pad(inputs, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    rows, cols = -(-height // 2), -(-width // 2)

    def phase(row, col):
        return ops.depthwise_conv(padded[:, row:, col:], folded, strides=2, padding="valid")

    def fill(x, n_rows, n_cols):  # an odd edge's missing phase: -inf, never the maximum
        missing = ((0, 0), (0, n_rows - x.shape[1]), (0, n_cols - x.shape[2]), (0, 0))
        if missing[1][1] == 0 and missing[2][1] == 0:
            return x
        return ops.pad(x, missing, constant_values=float("-inf"))

    # Row-major order, so ties go to the first element of the window as in max-pooling; a
    # one-row (one-column) input has no second row (column) phase.
    row_maxima = []
    for row in range(min(2, height)):
        row_max = phase(row, 0)
        if width > 1:
            row_max = ops.maximum(row_max, fill(phase(row, 1), row_max.shape[1], cols))
        row_maxima.append(row_max)
    pooled = row_maxima[0]
    if len(row_maxima) == 2:
        pooled = ops.maximum(pooled, fill(row_maxima[1], rows, cols))
    return ops.relu(pooled + shift)


def can_fuse_grouped_blocks(blocks, inputs):
    """Whether :func:`grouped_conv_blocks` computes ``blocks`` one after the other exactly.

    Args:
        blocks: ``(conv, norm, pool, relu)`` tuples: :class:`GroupedConv2D` layers with the
            same ``groups`` (several input channels per group), batch norms over the last axis
            (no renorm, not synchronized), 2 x 2 / stride 2 ``"same"`` max-pools, plain ReLUs.
        inputs: the first block's input (a tensor or ``keras.KerasTensor``).

    True also requires the TensorFlow backend (the batch norm is TensorFlow's fused kernel),
    float32 and a static height and width.
    """
    shape = tuple(inputs.shape)
    if keras.backend.backend() != "tensorflow" or len(shape) != 4 or None in shape[1:]:
        return False
    if keras.backend.standardize_dtype(inputs.dtype) != "float32" or not blocks:
        return False
    groups = blocks[0][0].groups if isinstance(blocks[0][0], GroupedConv2D) else None
    for conv, norm, pool, relu in blocks:
        if not (
            isinstance(conv, GroupedConv2D)
            and conv.groups == groups
            and conv._resolved_implementation(2) == "split"
            and isinstance(norm, keras.layers.BatchNormalization)
            and norm.axis in (-1, 3)
            and not norm.renorm
            and not norm.synchronized
            and _is_plain_pool_and_relu(pool, relu)
            and conv.compute_dtype == "float32"
            and norm.compute_dtype == "float32"
        ):
            return False
    return shape[-1] % groups == 0 and shape[-1] // groups > 1


def _is_plain_pool_and_relu(pool, relu):
    return (
        isinstance(pool, keras.layers.MaxPooling2D)
        and tuple(pool.pool_size) == (2, 2)
        and tuple(pool.strides) == (2, 2)
        and pool.padding == "same"
        and pool.data_format == "channels_last"
        and isinstance(relu, keras.layers.ReLU)
        and relu.max_value is None
        and relu.negative_slope == 0
        and relu.threshold == 0
    )


def grouped_conv_blocks(inputs, blocks, training=False):
    """Several grouped conv -> batch norm -> max-pool -> ReLU blocks, run group by group.

    The layers called one after the other compute every block on the channel-stacked maps
    (batch x height x width x groups * filters): split into groups, one convolution per group,
    concatenated, normalised, pooled, split again by the next block. The groups never mix
    (channel ``c``'s features depend on channel ``c`` only), so the same function runs each
    group through all the blocks on its own maps, and concatenates once at the end: the batch
    norm (TensorFlow's fused kernel, per group on the group's slice of the weights), pool and
    ReLU work on maps ``groups`` times smaller, which stay in the CPU caches, and the
    intermediate splits and concatenations (and their gradients) are gone. Same outputs,
    gradients and moving-statistics update as the layers (tested).

    GRU-XNet's blocks 2 and 3 (DEAP shapes, batch 32, 2 threads, no XLA), forward + backward:
    2684 ms as the layers, 1945 ms group by group (1.38x; median of 5 interleaved runs, load
    average 7).

    Args:
        inputs: float32 (batch, height, width, groups * in_per_group).
        blocks: ``(conv, norm, pool, relu)`` tuples, accepted by :func:`can_fuse_grouped_blocks`.
        training: batch statistics and a moving-statistics update (True), or the moving
            statistics; a norm with ``trainable=False`` always uses its moving statistics, like
            the Keras layer.

    Returns:
        float32 (batch, height', width', groups * filters of the last block), height' and
        width' halved (rounding up) once per block.
    """
    import tensorflow as tf

    groups = blocks[0][0].groups

    def by_group(value):
        return ops.split(ops.convert_to_tensor(value), groups, axis=-1)

    weights, batch_statistics = [], []
    for conv, norm, _, _ in blocks:
        ones, zeros = ops.ones((conv.filters,)), ops.zeros((conv.filters,))
        weights.append(
            {
                "kernel": by_group(conv.kernel),
                "bias": by_group(conv.bias) if conv.bias is not None else None,
                "gamma": by_group(norm.gamma if norm.scale else ones),
                "beta": by_group(norm.beta if norm.center else zeros),
                "mean": by_group(norm.moving_mean),
                "variance": by_group(norm.moving_variance),
            }
        )
        batch_statistics.append(bool(training) and norm.trainable)
    means = [[] for _ in blocks]
    variances = [[] for _ in blocks]
    counts = [None for _ in blocks]
    outputs = []
    for group, x in enumerate(ops.split(inputs, groups, axis=-1)):
        for index, ((_, norm, _, _), block) in enumerate(zip(blocks, weights, strict=True)):
            x = ops.conv(x, block["kernel"][group], strides=1, padding="same")
            if block["bias"] is not None:
                x = x + block["bias"][group]
            if batch_statistics[index]:
                x, mean, variance = tf.compat.v1.nn.fused_batch_norm(
                    x,
                    block["gamma"][group],
                    block["beta"][group],
                    epsilon=norm.epsilon,
                    is_training=True,
                )
                means[index].append(mean)
                variances[index].append(variance)
                counts[index] = ops.cast(ops.size(x) // x.shape[-1], "float32")
            else:
                x = ops.batch_normalization(
                    x,
                    block["mean"][group],
                    block["variance"][group],
                    axis=-1,
                    offset=block["beta"][group],
                    scale=block["gamma"][group],
                    epsilon=norm.epsilon,
                )
            x = ops.relu(ops.max_pool(x, 2, strides=2, padding="same"))
        outputs.append(x)
    for index, (_, norm, _, _) in enumerate(blocks):
        if not batch_statistics[index]:
            continue
        mean = ops.concatenate(means[index], axis=0)
        # The fused op returns the unbiased (n - 1) variance; Keras tracks the biased one.
        count = counts[index]
        variance = ops.concatenate(variances[index], axis=0) * (count - 1.0)
        variance = variance / ops.maximum(count, 1.0)
        momentum = norm.momentum
        norm.moving_mean.assign(norm.moving_mean * momentum + mean * (1.0 - momentum))
        norm.moving_variance.assign(norm.moving_variance * momentum + variance * (1.0 - momentum))
    return ops.concatenate(outputs, axis=-1)
