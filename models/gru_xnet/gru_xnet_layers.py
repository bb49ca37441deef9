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
- several input channels per group: the ``kernel_size**2`` shifted windows stacked once,
  then ONE batched matmul over the groups, ``(groups, pixels, k*k*in) @ (groups, k*k*in,
  out)``, which hits the BLAS batched-GEMM kernel.

The earlier form (``implementation="einsum"``: one einsum per kernel tap, nine for 3x3, summed)
is kept for comparison. Measured at DEAP stft shapes (batch 32, 32 groups), forward + backward
of one block, 2 threads without XLA on a heavily shared 2-core CPU (absolute times inflated by
the load; the ratios are what count): block 1 (1 -> 32 per group, 33 x 23): einsum 41.5 s,
depthwise 2.1 s (20x); block 2 (32 -> 64 per group, 17 x 12): einsum 41.1 s, batched matmul
16.7 s (2.5x). A G-major variant (transpose the input once instead of the stacked windows) was
no faster (block 2: 10.4 vs 9.5 s; block 3: 4.7 vs 5.3 s). Whole GRU-XNet train step (DEAP
preset, batch 32, Adam, 2 threads, no XLA, load average about 2.5): 10.0 s with the einsum
form, 4.4 s with ``"auto"`` (2.3x).
"""

from __future__ import annotations

import keras
from keras import ops

from amigos_emo._checks import check_option, validate_type

IMPLEMENTATIONS = ("auto", "depthwise", "matmul", "einsum")


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
            ``"matmul"``), ``"depthwise"`` (only for one input channel per group),
            ``"matmul"`` (stacked windows + one batched matmul over groups) or ``"einsum"``
            (one einsum per kernel tap; the earlier, slower form). See the module docstring.
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
        return "depthwise" if in_per_group == 1 else "matmul"

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
