"""Custom layers of the VAE-GNN family: graph convolution, VAE sampling, triplet centers.

:class:`GraphConv` ports the *design* of spektral's ``GCNConv`` to Keras 3 ops (Dense-like
arguments, ``call([x, a])``, the adjacency normalised OUTSIDE the layer, e.g. by
:func:`amigos_emo.signal.graph.normalize_adjacency`, and "mixed mode": a batch of node
features sharing one fixed electrode graph).
"""

from __future__ import annotations

import keras
from keras import ops

from amigos_emo._checks import check_int, check_positive, validate_type


@keras.saving.register_keras_serializable(package="amigos_emo")
class GraphConv(keras.layers.Layer):
    """Graph convolution ``activation(a @ x @ kernel + bias)`` (Kipf & Welling propagation).

    The layer does not normalise ``a``: pass an already normalised adjacency, e.g.
    ``D^-1/2 (A + I) D^-1/2`` from :func:`amigos_emo.signal.graph.normalize_adjacency`.

    Modes, picked from the ranks of ``x`` and ``a``:

    - single: ``x`` (n_nodes, n_feats), ``a`` (n_nodes, n_nodes);
    - mixed: ``x`` (batch, n_nodes, n_feats), ``a`` (n_nodes, n_nodes), one graph shared by
      the whole batch (a fixed electrode montage);
    - batch: ``x`` (batch, n_nodes, n_feats), ``a`` (batch, n_nodes, n_nodes), one graph per
      example.

    Args:
        channels: output features per node.
        activation: activation function (name or callable), ``None`` for linear.
        use_bias: add a learned bias per output feature.
        kernel_initializer, bias_initializer: initialisers.
        kernel_regularizer, bias_regularizer: regularisers.
        kernel_constraint, bias_constraint: constraints.
        **kwargs: forwarded to :class:`keras.layers.Layer` (``name``, ``dtype``,
            ``activity_regularizer``, ...).

    Call arguments:
        inputs: ``[x, a]`` as described under modes.

    Returns:
        (…, n_nodes, channels) node features, the batch axis as in ``x``.

    Example:
        >>> x = keras.ops.ones((8, 14, 10)); a = keras.ops.eye(14)
        >>> GraphConv(32, activation="relu", name="gcn")([x, a]).shape
        (8, 14, 32)
    """

    def __init__(
        self,
        channels,
        activation=None,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.channels = check_int(channels, "channels")
        self.activation = keras.activations.get(activation)
        self.use_bias = validate_type(use_bias, bool, "use_bias")
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)
        self.bias_regularizer = keras.regularizers.get(bias_regularizer)
        self.kernel_constraint = keras.constraints.get(kernel_constraint)
        self.bias_constraint = keras.constraints.get(bias_constraint)

    def build(self, input_shape):
        if (
            not isinstance(input_shape, (list, tuple))
            or len(input_shape) != 2
            or not all(isinstance(s, (list, tuple)) for s in input_shape)
        ):
            raise ValueError(
                f"GraphConv expects two inputs [x, a]. Received: input_shape={input_shape!r}"
            )
        x_shape, a_shape = (tuple(s) for s in input_shape)
        if len(x_shape) not in (2, 3) or len(a_shape) not in (2, 3) or len(a_shape) > len(x_shape):
            raise ValueError(
                "GraphConv expects x (n_nodes, n_feats) or (batch, n_nodes, n_feats) and a "
                "(n_nodes, n_nodes) or (batch, n_nodes, n_nodes), a no higher rank than x. "
                f"Received: x shape {x_shape}, a shape {a_shape}"
            )
        n_nodes = x_shape[-2]
        if a_shape[-1] != a_shape[-2] or (
            None not in (n_nodes, a_shape[-1]) and a_shape[-1] != n_nodes
        ):
            raise ValueError(
                f"a must be (…, n_nodes, n_nodes) with n_nodes = x.shape[-2] = {n_nodes}. "
                f"Received: a shape {a_shape}"
            )
        if x_shape[-1] is None:
            raise ValueError(f"x needs a known feature dimension. Received: x shape {x_shape}")
        self.kernel = self.add_weight(
            name="kernel",
            shape=(x_shape[-1], self.channels),
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                name="bias",
                shape=(self.channels,),
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )

    def call(self, inputs):
        x, a = inputs
        h = ops.matmul(x, self.kernel)  # (…, n_nodes, channels)
        if len(a.shape) == 2 and len(x.shape) == 3:  # mixed mode: one graph for the batch
            h = ops.einsum("nm,bmc->bnc", a, h)
        else:  # single or batch mode
            h = ops.matmul(a, h)
        if self.bias is not None:
            h = h + self.bias
        return self.activation(h) if self.activation is not None else h

    def compute_output_shape(self, input_shape):
        x_shape = tuple(input_shape[0])
        return x_shape[:-1] + (self.channels,)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "channels": self.channels,
                "activation": keras.activations.serialize(self.activation),
                "use_bias": self.use_bias,
                "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
                "bias_initializer": keras.initializers.serialize(self.bias_initializer),
                "kernel_regularizer": keras.regularizers.serialize(self.kernel_regularizer),
                "bias_regularizer": keras.regularizers.serialize(self.bias_regularizer),
                "kernel_constraint": keras.constraints.serialize(self.kernel_constraint),
                "bias_constraint": keras.constraints.serialize(self.bias_constraint),
            }
        )
        return config


@keras.saving.register_keras_serializable(package="amigos_emo")
class GaussianSampling(keras.layers.Layer):
    """VAE reparameterisation: ``z = mean + exp(log_var / 2) * eps`` while training.

    At inference ``z = mean`` (deterministic predictions, reproducible exports). ``log_var`` is
    clipped to ``[-log_var_limit, log_var_limit]`` so ``exp`` cannot overflow.

    Args:
        log_var_limit: clip bound of the log-variance.
        seed: seed of the noise generator.
        **kwargs: forwarded to :class:`keras.layers.Layer`.

    Call arguments:
        inputs: ``[mean, log_var]``, each (batch, latent_dim).
        training: whether to sample.

    Returns:
        (batch, latent_dim) latent code.
    """

    def __init__(self, log_var_limit=10.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.log_var_limit = float(check_positive(log_var_limit, "log_var_limit"))
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs, training=None):
        mean, log_var = inputs
        if not training:
            return mean
        log_var = ops.clip(log_var, -self.log_var_limit, self.log_var_limit)
        noise = keras.random.normal(ops.shape(mean), dtype=mean.dtype, seed=self.seed_generator)
        return mean + ops.exp(0.5 * log_var) * noise

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[0])

    def get_config(self):
        config = super().get_config()
        config.update({"log_var_limit": self.log_var_limit, "seed": self.seed})
        return config


@keras.saving.register_keras_serializable(package="amigos_emo")
class TripletCenterLoss(keras.layers.Layer):
    """Triplet-center loss with learnable class centers (He et al., CVPR 2018).

    For a feature ``f`` of class ``y`` and centers ``c_k``, with ``D`` the squared Euclidean
    distance: ``max(0, margin + D(f, c_y) - min_{k != y} D(f, c_k))``. The centers are trainable
    weights of this layer and move with the gradient of the loss.

    Args:
        n_classes: number of classes (VAE-GNN: 4 = 2 * arousal + valence).
        margin: the required gap between the own-center and the nearest other-center
            distance (squared feature units).
        center_initializer: initialiser of the (n_classes, n_feats) centers.
        **kwargs: forwarded to :class:`keras.layers.Layer`.

    Call arguments:
        features: float (batch, n_feats).
        labels: int (batch,) class indices in ``[0, n_classes)``.

    Returns:
        float32 (batch,) per-example losses (average them yourself).
    """

    def __init__(self, n_classes, margin=1.0, center_initializer="glorot_uniform", **kwargs):
        super().__init__(**kwargs)
        self.n_classes = check_int(n_classes, "n_classes", minimum=2)
        self.margin = float(check_positive(margin, "margin", allow_zero=True))
        self.center_initializer = keras.initializers.get(center_initializer)

    def build(self, features_shape, labels_shape=None):
        self.centers = self.add_weight(
            name="centers",
            shape=(self.n_classes, int(features_shape[-1])),
            initializer=self.center_initializer,
            dtype="float32",
        )

    def distances(self, features):
        """Squared Euclidean distances (batch, n_classes) from ``features`` to the centers."""
        features = ops.cast(features, "float32")
        diff = ops.expand_dims(features, 1) - ops.expand_dims(ops.cast(self.centers, "float32"), 0)
        return ops.sum(ops.square(diff), axis=-1)

    def call(self, features, labels):
        distances = self.distances(features)
        own = ops.one_hot(ops.cast(labels, "int32"), self.n_classes, dtype="float32")
        positive = ops.sum(distances * own, axis=-1)
        big = ops.max(distances) + self.margin + 1.0
        negative = ops.min(distances + own * big, axis=-1)
        return ops.relu(self.margin + positive - negative)

    def compute_output_shape(self, features_shape, labels_shape=None):
        return (features_shape[0],)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "n_classes": self.n_classes,
                "margin": self.margin,
                "center_initializer": keras.initializers.serialize(self.center_initializer),
            }
        )
        return config
