"""Custom layers of the VAE-GNN family: graph convolution, VAE sampling, triplet centers, and
the 3-D convolutions of the VAE in a faster form.

:class:`GraphConv` ports the *design* of spektral's ``GCNConv`` to Keras 3 ops (Dense-like
arguments, ``call([x, a])``, the adjacency normalised OUTSIDE the layer, e.g. by
:func:`amigos_emo.signal.graph.normalize_adjacency`, and "mixed mode": a batch of node
features sharing one fixed electrode graph).

:class:`Conv3D` and :class:`Conv3DTranspose` are ``keras.layers.Conv3D`` /
``keras.layers.Conv3DTranspose`` (same arguments, config, kernel and bias variables and
layout, same snake-cased weight paths in saved files) computed in a "time-blocked" form
(:func:`time_blocked_conv3d`, :func:`time_blocked_conv3d_transpose`): the time stride is
turned into channels (space to depth over time), so each 3-D convolution becomes ONE 2-D
convolution over the (row, col) grid plus reshapes; a kernel that tiles its input
(``kernel_size == strides``, the VAE's third encoder and first decoder block) becomes one
matrix product. The multiply-adds are exactly those of the 3-D convolution.

Why: on CPU without XLA, TensorFlow 2.21's ``Conv3D`` forward is acceptable but its
gradients (``Conv3DBackpropInputV2`` / ``Conv3DBackpropFilterV2``, which are also the forward
and filter gradient of ``Conv3DTranspose``) run at a fraction of the speed of the 2-D ones;
in the DREAMER preset (batch 32) the six 3-D convolutions took about 12.6 s of forward and
backward, against 5.4 s for PyTorch's (oneDNN) ``Conv3d`` / ``ConvTranspose3d`` on the same
shapes, measured side by side on a loaded 2-core host. Profiled op by op, the first blocked
version then lost most of its gain to ``StridedSliceGrad`` (the gradient of ``x[:, a:b]``):
the slices are ``ops.slice`` / ``ops.split`` here, whose gradients are a pad and a concat.

Measured with ``python bench/train_throughput.py --no-xla --models vae_gnn --rounds 3
--steps 4`` (full training step, batch 32, Adam, 2 intra-op threads in both frameworks,
interleaved rounds in one process; the 2-core host was shared, load average 5-8, so single
rounds vary by +-25 %): before, Keras 2.9 samples/s against torch 6.3 (0.42x); after, in two
runs, Keras 4.8 against torch 5.0 (1.05x, rounds 0.96-1.05) and 4.4 against 4.9 (0.94x,
rounds 0.79-0.95). Layer by layer (forward + backward, same shapes, side by side) the six
blocks went from 2.3x torch's time to parity: the two wide blocks (``encoder_conv2``,
``decoder_deconv2``, 64 -> 64 channels after blocking, 85 % of the multiply-adds) are still
slower than PyTorch's oneDNN kernels, the narrow and the patch-wise ones faster. What
remained was the 2-D convolution kernels themselves (``Conv2D``, ``Conv2DBackpropInput``,
``Conv2DBackpropFilter``: ~4.5 s of ~6.3 s of op time, at 25-50 GFLOP/s), then the memory
copies of the form (transposes, pads, slices, concats: ~1.1 s). TensorFlow's own oneDNN
kernels close that gap, but TensorFlow turns them on by itself only on CPUs with
AVX512-VNNI/BF16 or AMX: on this 2-core AVX2 host one 3x3 convolution of the wide block
(2592 x 9 x 9 x 64 -> 64, forward and both gradients) took 0.50 s with them against 0.76 s
without (PyTorch: 0.86 s), and the whole training step 1.50 s against 2.39 s, 1.7-1.9x
PyTorch's. ``python -m amigos_emo.train`` turns them on for this model (``--onednn auto``,
:data:`amigos_emo.models.registry.ONEDNN_MODELS`). Tried and dropped:
the 3-D ``Conv3D`` op at stride 1 on the blocked tensor (its gradients are the slow kernels
again), explicit im2col + matmul (9-18x the activations in memory), the filter gradient as a
forward convolution with batch and channels swapped, and the input gradient as a forward
convolution with the flipped kernel (no gain beyond noise).
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


# === 3-D convolutions in the time-blocked form ===


def _conv_time_padding(n_times, kernel, stride, padding):
    """Output length and left padding of a strided convolution along one axis (Keras rules)."""
    if padding == "same":
        n_out = -(-n_times // stride)
        return n_out, max((n_out - 1) * stride + kernel - n_times, 0) // 2
    return (n_times - kernel) // stride + 1, 0


def _time_slice(x, start, length):
    """``x[:, start : start + length]`` as ``ops.slice``, whose gradient is a cheap pad (the
    gradient of a strided slice, ``StridedSliceGrad``, is several times slower on CPU)."""
    if start == 0 and length == x.shape[1]:
        return x
    begin = [0, start] + [0] * (len(x.shape) - 2)
    return ops.slice(x, begin, [ops.shape(x)[0], length, *x.shape[2:]])


def _time_pad(x, before, after):
    """Zero frames before and after along axis 1."""
    if before == after == 0:
        return x
    return ops.pad(x, [[0, 0], [before, after]] + [[0, 0]] * (len(x.shape) - 2))


def _taps_on(taps_on, n_taps, input_side_size, output_side_size):
    """Where the time taps meet: ``"input"`` (concatenated inputs, one convolution summing all
    taps) or ``"output"`` (all taps on the output channels, shifted sum); ``None`` picks the
    side with the smaller intermediate tensor."""
    if n_taps == 1:
        return "input"
    if taps_on is None:
        return "input" if n_taps * input_side_size <= n_taps * output_side_size else "output"
    return taps_on


def _blocked_kernel(kernel, stride, n_taps):
    """(k, ...) kernel -> (n_taps, stride, ...): time taps zero-padded to ``n_taps * stride``."""
    k = kernel.shape[0]
    pad = [[0, n_taps * stride - k]] + [[0, 0]] * (len(kernel.shape) - 1)
    return ops.reshape(ops.pad(kernel, pad), (n_taps, stride, *kernel.shape[1:]))


def _is_patchwise(kernel_size, strides, spatial_shape):
    """Kernel == stride on every axis and the grid divisible: non-overlapping patches."""
    return tuple(kernel_size) == tuple(strides) and all(
        size is not None and size % k == 0
        for size, k in zip(spatial_shape, kernel_size[1:], strict=True)
    )


def _patchwise_conv3d(inputs, kernel):
    """A convolution whose kernel tiles the input (kernel == strides): patches @ kernel."""
    k, kh, kw, in_channels, filters = kernel.shape
    n_times, n_rows, n_cols = inputs.shape[1:4]
    n_out = n_times // k
    x = _time_slice(inputs, 0, n_out * k)
    x = ops.reshape(x, (-1, n_out, k, n_rows // kh, kh, n_cols // kw, kw, in_channels))
    x = ops.transpose(x, (0, 1, 3, 5, 2, 4, 6, 7))
    x = ops.reshape(x, (-1, k * kh * kw * in_channels))
    y = ops.matmul(x, ops.reshape(kernel, (k * kh * kw * in_channels, filters)))
    return ops.reshape(y, (-1, n_out, n_rows // kh, n_cols // kw, filters))


def _patchwise_conv3d_transpose(inputs, kernel):
    """The transposed convolution of :func:`_patchwise_conv3d`: kernel @ each input voxel."""
    k, kh, kw, filters, in_channels = kernel.shape
    n_times, n_rows, n_cols = inputs.shape[1:4]
    w = ops.reshape(ops.transpose(kernel, (4, 0, 1, 2, 3)), (in_channels, k * kh * kw * filters))
    y = ops.matmul(ops.reshape(inputs, (-1, in_channels)), w)
    y = ops.reshape(y, (-1, n_times, n_rows, n_cols, k, kh, kw, filters))
    y = ops.transpose(y, (0, 1, 4, 2, 5, 3, 6, 7))
    return ops.reshape(y, (-1, n_times * k, n_rows * kh, n_cols * kw, filters))


def time_blocked_conv3d(inputs, kernel, strides, padding, taps_on=None):
    """``ops.conv`` (channels-last 3-D, no dilation, one group) as ONE 2-D convolution.

    The time axis (axis 1) is padded like ``padding`` pads it and cut into blocks of
    ``strides[0]`` frames that move into the channels (space to depth), so the strided time
    convolution becomes a stride-1 one with ``n_taps = ceil(k / stride)`` taps over blocks
    (the kernel (8, 3, 3) at time stride 4: 2 taps of 4 frames). The taps meet either on the
    input side (the ``n_taps`` shifted block sequences side by side on the channels, one 2-D
    convolution summing them) or on the output side (one 2-D convolution computing every tap
    of every block on its output channels, then a sum with a shift of one block per tap);
    ``taps_on=None`` picks the side whose intermediate tensor is smaller (input side for
    narrow inputs such as the 1-channel grid, output side otherwise). A kernel that tiles
    its input (``kernel == strides`` and the grid divisible) is one matrix product of the
    non-overlapping patches. The multiply-adds are exactly those of the 3-D convolution (when
    ``stride`` divides ``k``; otherwise the kernel is zero-padded to whole blocks). Every
    slice is an ``ops.slice`` (its gradient a pad), not ``x[:, a:b]``, whose gradient
    (``StridedSliceGrad``) cost more than the convolutions it surrounds.

    Args:
        inputs: (batch, n_times, n_rows, n_cols, in_channels); ``n_times`` static.
        kernel: (k, kh, kw, in_channels, filters), the ``keras.layers.Conv3D`` layout.
        strides: 3 ints (time, row, col).
        padding: ``"same"`` or ``"valid"``.
        taps_on: ``"input"``, ``"output"`` or ``None`` (the smaller intermediate).

    Returns:
        (batch, n_out, out_rows, out_cols, filters), equal to ``ops.conv`` up to rounding.
    """
    k, kh, kw, in_channels, filters = kernel.shape
    stride = strides[0]
    n_times, n_rows, n_cols = inputs.shape[1:4]
    if _is_patchwise(kernel.shape[:3], strides, (n_rows, n_cols)) and (
        padding == "valid" or n_times % k == 0
    ):
        return _patchwise_conv3d(inputs, kernel)
    n_out, pad_before = _conv_time_padding(n_times, k, stride, padding)
    n_taps = -(-k // stride)
    n_blocks = n_out + n_taps - 1
    length = n_blocks * stride
    pad_after = length - n_times - pad_before
    x = ops.pad(inputs, [[0, 0], [pad_before, max(pad_after, 0)], [0, 0], [0, 0], [0, 0]])
    if pad_after < 0:
        x = _time_slice(x, 0, length)
    if stride > 1:  # (batch, block, phase, row, col, c) -> (batch, block, row, col, phase * c)
        x = ops.reshape(x, (-1, n_blocks, stride, n_rows, n_cols, in_channels))
        x = ops.transpose(x, (0, 1, 3, 4, 2, 5))
    blocked = stride * in_channels
    taps_on = _taps_on(taps_on, n_taps, n_out * blocked, n_blocks * filters)
    kernel = _blocked_kernel(kernel, stride, n_taps)  # (tap, phase, kh, kw, c, f)
    if taps_on == "input":  # the taps' input blocks side by side on the channels
        x = ops.reshape(x, (-1, n_blocks, n_rows, n_cols, blocked))
        x = ops.concatenate([_time_slice(x, tap, n_out) for tap in range(n_taps)], axis=-1)
        w = ops.transpose(kernel, (2, 3, 0, 1, 4, 5))  # (kh, kw, tap * phase * c, f)
        w = ops.reshape(w, (kh, kw, n_taps * blocked, filters))
    else:  # every tap of every block on the output channels, summed with a shift below
        w = ops.transpose(kernel, (2, 3, 1, 4, 0, 5))  # (kh, kw, phase * c, tap * f)
        w = ops.reshape(w, (kh, kw, blocked, n_taps * filters))
    x = ops.reshape(x, (-1, n_rows, n_cols, w.shape[2]))
    u = ops.conv(x, w, strides=tuple(strides[1:]), padding=padding)
    out_rows, out_cols = u.shape[1:3]
    if taps_on == "input":
        return ops.reshape(u, (-1, n_out, out_rows, out_cols, filters))
    u = ops.reshape(u, (-1, n_blocks, out_rows, out_cols, n_taps * filters))
    taps = ops.split(u, n_taps, axis=-1)
    outputs = _time_slice(taps[0], 0, n_out)
    for tap in range(1, n_taps):
        outputs = outputs + _time_slice(taps[tap], tap, n_out)
    return outputs


def time_blocked_conv3d_transpose(inputs, kernel, strides, padding, taps_on=None):
    """``ops.conv_transpose`` (channels-last 3-D, no dilation or output padding), sub-pixel.

    The exact adjoint of :func:`time_blocked_conv3d`: every input frame produces ``stride``
    output frames per tap, so a stride-1-in-time 2-D convolution over (row, col) computes
    ``stride * filters`` channels per block (the phases of the block), the taps meeting on
    the input side (each block reads input frames q - tap side by side) or on the output side
    (all taps of every frame on the output channels, summed with a shift of one block);
    then the blocks are unfolded into frames (depth to space) and cropped where ``padding``
    crops. For the kernel (8, 3, 3) at time stride 4 this is the stride-1 (2, 3, 3)
    convolution producing 4 x filters channels followed by a depth-to-space along time. With
    spatial stride 1 the 2-D transposed convolution is a plain convolution with the flipped
    kernel; a kernel that tiles its output (``kernel == strides``) is one matrix product per
    input voxel. The multiply-adds are those of the 3-D transposed convolution (when
    ``stride`` divides ``k``).

    Args:
        inputs: (batch, n_times, n_rows, n_cols, in_channels); ``n_times`` static.
        kernel: (k, kh, kw, filters, in_channels), the ``keras.layers.Conv3DTranspose`` layout.
        strides: 3 ints (time, row, col).
        padding: ``"same"`` or ``"valid"``.
        taps_on: ``"input"``, ``"output"`` or ``None`` (the smaller intermediate).

    Returns:
        (batch, n_out, out_rows, out_cols, filters) with ``n_out = n_times * stride`` ("same")
        or ``n_times * stride + max(k - stride, 0)`` ("valid"), equal to
        ``ops.conv_transpose`` up to rounding.
    """
    k, kh, kw, filters, in_channels = kernel.shape
    stride = strides[0]
    n_in = inputs.shape[1]
    if tuple(kernel.shape[:3]) == tuple(strides):
        return _patchwise_conv3d_transpose(inputs, kernel)
    n_out = n_in * stride + (max(k - stride, 0) if padding == "valid" else 0)
    _, pad_before = _conv_time_padding(n_out, k, stride, padding)
    n_taps = -(-k // stride)
    n_blocks = n_in + n_taps - 1
    block = stride * filters
    taps_on = _taps_on(taps_on, n_taps, n_blocks * in_channels, n_in * block)
    kernel = _blocked_kernel(kernel, stride, n_taps)  # (tap, phase, kh, kw, f, c)
    x = inputs
    if taps_on == "input":  # block q reads frame q - tap for every tap, side by side
        n_frames = n_blocks
        x = ops.concatenate([_time_pad(x, tap, n_taps - 1 - tap) for tap in range(n_taps)], axis=-1)
        w = ops.transpose(kernel, (2, 3, 1, 4, 0, 5))  # (kh, kw, phase * f, tap * c)
        w = ops.reshape(w, (kh, kw, block, n_taps * in_channels))
    else:  # every tap of every frame on the output channels, summed with a shift below
        n_frames = n_in
        w = ops.transpose(kernel, (2, 3, 0, 1, 4, 5))  # (kh, kw, tap * phase * f, c)
        w = ops.reshape(w, (kh, kw, n_taps * block, in_channels))
    x = ops.reshape(x, (-1, *inputs.shape[2:4], w.shape[3]))
    if tuple(strides[1:]) == (1, 1):  # stride 1: a plain convolution with the flipped kernel
        w = ops.transpose(ops.flip(w, axis=(0, 1)), (0, 1, 3, 2))
        if padding == "same" and kh % 2 and kw % 2:  # symmetric padding either way
            v = ops.conv(x, w, padding="same")
        else:  # the transposed padding (k - 1 - before, k - 1 - after), explicitly
            pads = [[0, 0]]
            for ksize in (kh, kw):
                total = ksize - 1 if padding == "same" else 0
                pads.append([ksize - 1 - total // 2, ksize - 1 - (total - total // 2)])
            v = ops.conv(ops.pad(x, pads + [[0, 0]]), w, padding="valid")
    else:
        v = ops.conv_transpose(x, w, strides=tuple(strides[1:]), padding=padding)
    out_rows, out_cols = v.shape[1:3]
    v = ops.reshape(v, (-1, n_frames, out_rows, out_cols, v.shape[-1]))
    if taps_on == "input":
        y = v
    else:
        y = None
        for tap, part in enumerate(ops.split(v, n_taps, axis=-1)):
            part = _time_pad(part, tap, n_taps - 1 - tap)
            y = part if y is None else y + part
    if stride > 1:  # (batch, block, row, col, phase * f) -> (batch, block * phase, row, col, f)
        y = ops.reshape(y, (-1, n_blocks, out_rows, out_cols, stride, filters))
        y = ops.transpose(y, (0, 1, 4, 2, 3, 5))
    y = ops.reshape(y, (-1, n_blocks * stride, out_rows, out_cols, filters))
    missing = pad_before + n_out - n_blocks * stride
    if missing > 0:
        y = ops.pad(y, [[0, 0], [0, missing], [0, 0], [0, 0], [0, 0]])
    return _time_slice(y, pad_before, n_out)


def _time_blockable(layer, inputs):
    return (
        layer.data_format == "channels_last"
        and all(d == 1 for d in layer.dilation_rate)
        and getattr(layer, "groups", 1) == 1
        and layer.padding in ("same", "valid")
        and len(inputs.shape) == 5
        and inputs.shape[1] is not None
    )


@keras.saving.register_keras_serializable(package="amigos_emo")
class Conv3D(keras.layers.Conv3D):
    """:class:`keras.layers.Conv3D`, computed by :func:`time_blocked_conv3d`.

    Same arguments, config, weights (``kernel`` (k_time, k_row, k_col, in_channels, filters),
    ``bias``) and outputs as the Keras layer (tested, gradients included). Named like it on
    purpose: Keras 3 files address a layer's weights by its snake-cased class name
    (``layers/conv3d_1/vars``), so ``.keras`` / ``.weights.h5`` files saved with
    ``keras.layers.Conv3D`` load into this layer unchanged, and back. Registered as
    ``amigos_emo>Conv3D``.

    The time-blocked form is used for channels-last inputs of known length with no dilation
    and one group (every VAE-GNN block); anything else runs the Keras layer's own
    convolution.
    """

    def convolution_op(self, inputs, kernel):
        if not _time_blockable(self, inputs):
            return super().convolution_op(inputs, kernel)
        return time_blocked_conv3d(inputs, kernel, self.strides, self.padding)


@keras.saving.register_keras_serializable(package="amigos_emo")
class Conv3DTranspose(keras.layers.Conv3DTranspose):
    """:class:`keras.layers.Conv3DTranspose`, computed by :func:`time_blocked_conv3d_transpose`.

    Same arguments, config, weights (``kernel`` (k_time, k_row, k_col, filters, in_channels),
    ``bias``), output shape and outputs as the Keras layer (tested, gradients included), and
    the same weight paths in saved files (see :class:`Conv3D`). Registered as
    ``amigos_emo>Conv3DTranspose``.

    The sub-pixel form is used for channels-last inputs of known length with no dilation and
    no ``output_padding`` (every VAE-GNN block); anything else runs the Keras layer's own
    ``call``.
    """

    def call(self, inputs):
        if self.output_padding is not None or not _time_blockable(self, inputs):
            return super().call(inputs)
        outputs = time_blocked_conv3d_transpose(inputs, self.kernel, self.strides, self.padding)
        if self.use_bias:
            outputs = ops.add(outputs, self.bias)
        if self.activation is not None:
            return self.activation(outputs)
        return outputs
