"""Custom layers of the ResAttentioNet family.

:class:`AttentionPooling1D` is the "multi-head temporal attention pooling" of ResAttentioNet:
one learnable query attends over the time steps of a sequence, so a (batch, n_steps, dim)
sequence becomes one (batch, dim) vector. Its parameters match ``torch.nn.MultiheadAttention``
with biases (query/key/value input projections and an output projection, each ``dim x dim``
plus a ``dim`` bias) plus the ``dim``-sized query, i.e. ``4 * dim * (dim + 1) + dim``.
"""

from __future__ import annotations

import keras
from keras import ops

from amigos_emo._checks import validate_type


@keras.saving.register_keras_serializable(package="amigos_emo")
class AttentionPooling1D(keras.layers.Layer):
    """Pool a sequence into one vector with a learnable multi-head attention query.

    For each head ``h`` the pooled vector is ``softmax(q_h . k_h(t) / sqrt(d)) @ v_h(t)``
    summed over time ``t``, where ``q`` is the projected learnable query, ``k``/``v`` are the
    projected inputs and ``d = dim / n_heads``; the heads are concatenated and projected back
    to ``dim``.

    Args:
        n_heads: number of attention heads; must divide the feature dimension.
        use_bias: whether the four projections have biases (PyTorch's default: yes).
        kernel_initializer: initialiser of the projection kernels.
        bias_initializer: initialiser of the projection biases.
        query_initializer: initialiser of the learnable query (PyTorch seed: standard normal).
        **kwargs: forwarded to :class:`keras.layers.Layer` (``name``, ``dtype``, ...).

    Call arguments:
        inputs: float tensor (batch, n_steps, dim).

    Returns:
        float tensor (batch, dim).

    Example:
        >>> pool = AttentionPooling1D(n_heads=2, name="attention_pool")
        >>> pool(keras.ops.ones((4, 10, 8))).shape
        (4, 8)
    """

    def __init__(
        self,
        n_heads=2,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        query_initializer=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        validate_type(n_heads, int, "n_heads")
        if n_heads < 1:
            raise ValueError(f"n_heads must be >= 1. Received: n_heads={n_heads}")
        validate_type(use_bias, bool, "use_bias")
        self.n_heads = n_heads
        self.use_bias = use_bias
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.query_initializer = keras.initializers.get(
            query_initializer or keras.initializers.RandomNormal(stddev=1.0)
        )

    def build(self, input_shape):
        if len(input_shape) != 3 or input_shape[-1] is None:
            raise ValueError(
                "AttentionPooling1D expects inputs of shape (batch, n_steps, dim) with a known dim. "
                f"Received: input_shape={tuple(input_shape)}"
            )
        dim = int(input_shape[-1])
        if dim % self.n_heads:
            raise ValueError(
                f"The feature dimension must be divisible by n_heads. Received: dim={dim}, "
                f"n_heads={self.n_heads}"
            )
        self.query = self.add_weight(
            name="query", shape=(1, dim), initializer=self.query_initializer
        )
        for role in ("query", "key", "value", "output"):
            kernel = self.add_weight(
                name=f"{role}_kernel", shape=(dim, dim), initializer=self.kernel_initializer
            )
            setattr(self, f"{role}_kernel", kernel)
            bias = None
            if self.use_bias:
                bias = self.add_weight(
                    name=f"{role}_bias", shape=(dim,), initializer=self.bias_initializer
                )
            setattr(self, f"{role}_bias", bias)

    def _project(self, x, role):
        y = ops.matmul(x, getattr(self, f"{role}_kernel"))
        bias = getattr(self, f"{role}_bias")
        return y + bias if bias is not None else y

    def call(self, inputs):
        batch, n_steps, dim = ops.shape(inputs)[0], ops.shape(inputs)[1], inputs.shape[-1]
        head_dim = dim // self.n_heads
        query = ops.reshape(
            self._project(ops.cast(self.query, inputs.dtype), "query"), (self.n_heads, head_dim)
        )
        keys = ops.reshape(self._project(inputs, "key"), (batch, n_steps, self.n_heads, head_dim))
        values = ops.reshape(
            self._project(inputs, "value"), (batch, n_steps, self.n_heads, head_dim)
        )
        scores = ops.einsum("hd,bthd->bht", query, keys) / ops.sqrt(
            ops.cast(head_dim, inputs.dtype)
        )
        weights = ops.cast(ops.softmax(ops.cast(scores, "float32"), axis=-1), inputs.dtype)
        context = ops.einsum("bht,bthd->bhd", weights, values)
        return self._project(ops.reshape(context, (batch, dim)), "output")

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[-1])

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "n_heads": self.n_heads,
                "use_bias": self.use_bias,
                "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
                "bias_initializer": keras.initializers.serialize(self.bias_initializer),
                "query_initializer": keras.initializers.serialize(self.query_initializer),
            }
        )
        return config
