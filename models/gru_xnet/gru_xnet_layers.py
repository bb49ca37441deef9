"""Custom layers of the GRU-XNet family.

:class:`GroupedConv2D` is a stride-1, ``"same"``-padded grouped 2-D convolution written as
``kernel_size**2`` shifted einsums. It computes exactly what ``keras.layers.Conv2D(groups=...)``
computes, with the same kernel layout, but TensorFlow's CPU gradient of grouped convolutions
is pathologically slow: on a DEAP-sized block (32 groups of 32 -> 64 filters, 17 x 12 maps,
batch 8) one forward + backward pass took 20 s with ``Conv2D(groups=32)`` (with or without
XLA) against 1.5 s eager / 0.26 s XLA for the einsum form (same forward time, 0.2 s).
"""

from __future__ import annotations

import keras
from keras import ops

from amigos_emo._checks import validate_type


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
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                name="bias", shape=(self.filters,), initializer=self.bias_initializer
            )

    def call(self, inputs):
        k, groups = self.kernel_size, self.groups
        batch, height, width = ops.shape(inputs)[0], ops.shape(inputs)[1], ops.shape(inputs)[2]
        in_per_group = inputs.shape[-1] // groups
        out_per_group = self.filters // groups
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
        out = ops.reshape(out, (batch, height, width, self.filters))
        return out + self.bias if self.bias is not None else out

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
            }
        )
        return config
