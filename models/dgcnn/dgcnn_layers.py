"""DGCNN's graph filtering: Chebyshev graph convolution over a learnable electrode adjacency.

Functions (Keras ops, XLA-safe; tested on their own against NumPy):

- :func:`normalized_adjacency`: ``D^-1/2 relu(W) D^-1/2`` with ``D`` the row sums (degrees) of
  ``relu(W)``; the ReLU keeps the learned edge weights non-negative, as in the paper;
- :func:`chebyshev_basis`: ``T_0 .. T_{K-1}`` of the scaled Laplacian by the recursion
  ``T_k = 2 L~ T_{k-1} - T_{k-2}``.

The scaled Laplacian is ``L~ = 2 L / lambda_max - I`` with ``L = I - D^-1/2 A D^-1/2``; like
ChebNet and DGCNN we take ``lambda_max = 2`` (the bound of a normalised Laplacian), so
``L~ = -D^-1/2 A D^-1/2`` and no eigen-decomposition is needed in the training step.
"""

from __future__ import annotations

import keras

from amigos_emo._checks import check_count, check_positive

DEGREE_EPSILON = 1e-6


def normalized_adjacency(adjacency, epsilon=DEGREE_EPSILON):
    """``D^-1/2 relu(W) D^-1/2`` of a square weight matrix.

    Args:
        adjacency: float tensor ``(n_nodes, n_nodes)``, the raw learnable weights ``W``.
        epsilon: added to every degree, so an electrode whose edges are all <= 0 gets a zero
            row instead of a division by zero.

    Returns:
        float tensor ``(n_nodes, n_nodes)``.
    """
    positive = keras.ops.relu(adjacency)
    degree = keras.ops.sum(positive, axis=1)
    inverse_sqrt = keras.ops.rsqrt(degree + epsilon)
    return inverse_sqrt[:, None] * positive * inverse_sqrt[None, :]


def chebyshev_basis(scaled_laplacian, order):
    """``[T_0(L~), ..., T_{order-1}(L~)]`` stacked: ``(order, n_nodes, n_nodes)``.

    Args:
        scaled_laplacian: float tensor ``(n_nodes, n_nodes)``.
        order: number of Chebyshev terms ``K`` (>= 1); ``T_0 = I``, ``T_1 = L~``.
    """
    n_nodes = scaled_laplacian.shape[0]
    identity = keras.ops.eye(n_nodes, dtype=scaled_laplacian.dtype)
    terms = [identity]
    if order > 1:
        terms.append(scaled_laplacian)
    for _ in range(2, order):
        terms.append(2.0 * keras.ops.matmul(scaled_laplacian, terms[-1]) - terms[-2])
    return keras.ops.stack(terms, axis=0)


@keras.saving.register_keras_serializable(package="amigos_emo")
class DynamicGraphConv(keras.layers.Layer):
    """Chebyshev graph convolution whose adjacency is a trained weight (DGCNN).

    ``y = sum_k T_k(L~) x Theta_k + b`` over the ``chebyshev_order`` terms, with ``L~`` from
    the learnable ``adjacency`` (see the module docstring). One graph for the whole batch
    ("mixed mode"): every example's node features are filtered on the same electrode graph.

    Args:
        units: output features per node.
        chebyshev_order: number of Chebyshev terms ``K`` (``T_0 .. T_{K-1}``).
        adjacency_l1: L1 penalty on the raw adjacency weights (0 disables it).
        adjacency_l2: L2 penalty on the raw adjacency weights (0 disables it).
        kernel_l2: L2 penalty on the filter weights ``Theta`` (0 disables it).
        use_bias: add a bias per output feature.
        **kwargs: forwarded to ``keras.layers.Layer`` (``name``, ``dtype``...).

    Inputs: ``(batch, n_nodes, n_features)``. Outputs: ``(batch, n_nodes, units)``.

    The adjacency starts uniform in [0, 1) (every edge active under the ReLU); the filter
    weights Glorot-uniform.
    """

    def __init__(
        self,
        units,
        chebyshev_order=2,
        adjacency_l1=0.0,
        adjacency_l2=0.0,
        kernel_l2=0.0,
        use_bias=True,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.units = check_count(units, "units")
        self.chebyshev_order = check_count(chebyshev_order, "chebyshev_order")
        self.adjacency_l1 = float(check_positive(adjacency_l1, "adjacency_l1", allow_zero=True))
        self.adjacency_l2 = float(check_positive(adjacency_l2, "adjacency_l2", allow_zero=True))
        self.kernel_l2 = float(check_positive(kernel_l2, "kernel_l2", allow_zero=True))
        self.use_bias = bool(use_bias)

    def build(self, input_shape):
        if len(input_shape) != 3 or input_shape[1] is None or input_shape[2] is None:
            raise ValueError(
                "DynamicGraphConv expects inputs (batch, n_nodes, n_features) with known "
                f"n_nodes and n_features. Received: input_shape={tuple(input_shape)}"
            )
        n_nodes, n_features = int(input_shape[1]), int(input_shape[2])
        adjacency_penalty = None
        if self.adjacency_l1 or self.adjacency_l2:
            adjacency_penalty = keras.regularizers.L1L2(l1=self.adjacency_l1, l2=self.adjacency_l2)
        self.adjacency = self.add_weight(
            name="adjacency",
            shape=(n_nodes, n_nodes),
            initializer=keras.initializers.RandomUniform(0.0, 1.0),
            regularizer=adjacency_penalty,
        )
        self.kernel = self.add_weight(
            name="kernel",
            shape=(self.chebyshev_order, n_features, self.units),
            initializer="glorot_uniform",
            regularizer=keras.regularizers.L2(self.kernel_l2) if self.kernel_l2 else None,
        )
        self.bias = (
            self.add_weight(name="bias", shape=(self.units,), initializer="zeros")
            if self.use_bias
            else None
        )

    def scaled_laplacian(self):
        """``L~ = -D^-1/2 relu(W) D^-1/2`` (float32), ``(n_nodes, n_nodes)``."""
        return -normalized_adjacency(keras.ops.convert_to_tensor(self.adjacency, "float32"))

    def call(self, inputs):
        # The basis is computed in float32 (degrees, rsqrt), then cast to the compute dtype.
        basis = keras.ops.cast(
            chebyshev_basis(self.scaled_laplacian(), self.chebyshev_order), inputs.dtype
        )
        filtered = keras.ops.einsum("knm,bmf->bknf", basis, inputs)
        kernel = keras.ops.cast(self.kernel, inputs.dtype)
        outputs = keras.ops.einsum("bknf,kfu->bnu", filtered, kernel)
        if self.bias is not None:
            outputs = outputs + keras.ops.cast(self.bias, inputs.dtype)
        return outputs

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[1], self.units)

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "chebyshev_order": self.chebyshev_order,
            "adjacency_l1": self.adjacency_l1,
            "adjacency_l2": self.adjacency_l2,
            "kernel_l2": self.kernel_l2,
            "use_bias": self.use_bias,
        }
