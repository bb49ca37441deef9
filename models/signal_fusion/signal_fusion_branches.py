"""Per-signal branches shared by ``signal_fusion`` and ``multimodal_lstm``.

A branch turns one signal input ``(batch, n_times, n_chans)`` into one vector ``(batch, units)``:

1. a strided front-end that brings every signal to a comparable number of steps whatever its
   rate (``"average"``: mean of ``stride`` consecutive samples; ``"depthwise"``: a learnable
   per-channel FIR filter bank with ReLU rectification and stride ``stride``; ``"filter_bank"``:
   a learnable multi-channel FIR bank ``Conv1D`` with ReLU, then averaging of the rectified
   outputs, i.e. a band-power envelope);
2. stacked LSTMs (:class:`~amigos_emo.models.signal_fusion.signal_fusion_lstm.LSTM`, Keras's
   layer with a hand-written backward pass; ``fused_lstm=True``: one unrolled
   :class:`StackedLSTM`), the top layer's last state being the branch output;
3. ReLU dense layers with dropout.

:class:`StackedLSTM` computes what a stack of ``keras.layers.LSTM`` layers (the last with
``return_sequences=False``) computes with the same weights (tested to 1e-6), as one loop: the
first layer's input projection for every step is one product before the loop and each step then
updates every layer. It was written for speed (a ``keras.layers.LSTM`` on a CPU runs a ``while``
loop per layer; a 2-layer, 3-branch model over 128 steps executes thousands of tiny products per
training step), but on our loaded 2-core machine it was NOT measured faster than Keras's layers
for 128-step branches, and its full unrolling (static ``n_times``) makes the first training step
(graph optimisation) several times slower: on ``signal_fusion``'s 32-step wearable branches the
first training step took 50.5 s against 10.9 s and the inference trace 7.4 s against 0.5 s, and
every fold of a leave-one-subject-out run pays them. Both ``signal_fusion`` and
``multimodal_lstm`` therefore keep per-layer LSTMs unless ``fused_lstm=True``. With
``n_times=None`` it runs ``keras.ops.fori_loop`` (not XLA-compilable).

What did pay is the backward pass, not the loop: ``signal_fusion_lstm.LSTM`` differentiates the
whole sequence by hand (one forward and one backward ``while`` loop, weight gradients as products
over all steps) and took the ``maximum`` multimodal LSTM's training step from 227 to 148 ms
(XLA off) and from 130 to 85 ms (XLA on), measured in ``bench/RESULTS.md``.

Loop forms measured and NOT adopted (TensorFlow CPU, 2 intra-op / 1 inter-op threads, batch 32,
forward and backward of the ``maximum`` preset's 128-step EEG stack (64, 32); medians of rounds
interleaved in one process on the shared 2-core machine), each against two
``keras.layers.LSTM`` in the same run: Keras's own ``rnn`` loop (the one ``keras.layers.LSTM``
runs) updating both layers in each step, 126 against 109 ms; the same with 4, 8 or 16 steps per
loop iteration, 113-150 against 136 ms; a wavefront over the layers (iteration ``t`` advances
layer ``k`` to step ``t - k``, so ONE product with a block matrix of every recurrent and upper
input kernel serves the whole stack), 192 against 109 ms; a hand-written ``tf.while_loop`` over
a ``tf.TensorArray``, slower still (the gradient of its reads builds a sequence-sized list per
step); a custom gradient for the cell update alone (one saved tensor per step instead of about
ten; TensorFlow still differentiates the loop), 151 against 144 ms; one loop for the three branches' six layers, 400 against 326 ms. Whole
training steps of ``multimodal_lstm`` were within the noise of each other for every form. The
cost is not the width either: a 32/16-wide ECG stack took 130 ms, near the 157 ms of the EEG one.
"""

from __future__ import annotations

import keras
from keras import ops

from amigos_emo._checks import check_count, check_option, check_positive, check_rate, validate_type
from amigos_emo.models.signal_fusion.signal_fusion_lstm import LSTM

FRONT_ENDS = ("average", "depthwise", "filter_bank", "none")


def check_units(units, name, min_length=1):
    """A tuple of positive ints from a list/tuple of ints, or a clear error."""
    validate_type(units, (list, tuple), name)
    if len(units) < min_length or not all(
        isinstance(u, int) and not isinstance(u, bool) and u > 0 for u in units
    ):
        raise ValueError(
            f"{name} must be a list of at least {min_length} positive ints. Received: {name}={units!r}"
        )
    return tuple(units)


def _lstm_update(z, c, units, activation, recurrent_activation):
    """One LSTM cell update from the pre-activations ``z`` (gate order i, f, c, o as Keras)."""
    gates = recurrent_activation(z)  # i, f and o read from it; the c block is unused
    i = gates[:, :units]
    f = gates[:, units : 2 * units]
    o = gates[:, 3 * units :]
    c = f * c + i * activation(z[:, 2 * units : 3 * units])
    return o * activation(c), c


@keras.saving.register_keras_serializable(package="amigos_emo")
class StackedLSTM(keras.layers.Layer):
    """Stacked LSTMs in one recurrent loop; returns the top layer's last hidden state.

    Equal (to float rounding) to ``keras.layers.LSTM(units[0], return_sequences=True)`` -> ... ->
    ``keras.layers.LSTM(units[-1])`` with the same weights: each layer is a
    ``keras.layers.LSTMCell`` (tanh / sigmoid, unit forget bias, Glorot kernel, orthogonal
    recurrent kernel) whose ``kernel``, ``recurrent_kernel`` and ``bias`` are used as Keras's LSTM
    uses them.

    Args:
        units: widths of the stacked layers, bottom first, e.g. ``(64, 32)``.
        kernel_regularizer: regulariser of every layer's input kernel (as
            ``keras.layers.LSTM(kernel_regularizer=...)``), or ``None``.
        **kwargs: ``name``, ``dtype``, ``trainable`` (forwarded to ``keras.layers.Layer``).

    Input: ``(batch, n_steps, n_features)``. Output: ``(batch, units[-1])``.
    """

    def __init__(self, units, kernel_regularizer=None, **kwargs):
        super().__init__(**kwargs)
        self.units = check_units(units, "units")
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)
        # === Layers ===
        self.cells = [
            keras.layers.LSTMCell(
                width,
                kernel_regularizer=keras.regularizers.get(kernel_regularizer),
                dtype=self.dtype_policy,
                name=f"cell_{index}",
            )
            for index, width in enumerate(self.units, start=1)
        ]

    def build(self, input_shape):
        n_features = input_shape[-1]
        for cell, width in zip(self.cells, self.units, strict=True):
            cell.build((None, n_features))
            n_features = width
        self.built = True

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.units[-1])

    def call(self, inputs):
        first = self.cells[0]
        # The first layer's input projection for every step at once: (batch, n_steps, 4 * units).
        projected = ops.matmul(inputs, first.kernel)
        # Upper layers read [input, state] through one product with [kernel; recurrent_kernel].
        stacked_kernels = [
            ops.concatenate([cell.kernel, cell.recurrent_kernel], axis=0) for cell in self.cells[1:]
        ]
        batch = ops.shape(inputs)[0]
        states = [
            (ops.zeros((batch, w), dtype=inputs.dtype), ops.zeros((batch, w), dtype=inputs.dtype))
            for w in self.units
        ]

        def step(z_first, states):
            new_states = []
            below = None
            for index, (cell, width) in enumerate(zip(self.cells, self.units, strict=True)):
                h, c = states[index]
                if index == 0:
                    z = z_first + ops.matmul(h, cell.recurrent_kernel) + cell.bias
                else:
                    z = ops.matmul(ops.concatenate([below, h], axis=-1), stacked_kernels[index - 1])
                    z = z + cell.bias
                h, c = _lstm_update(z, c, width, cell.activation, cell.recurrent_activation)
                new_states.append((h, c))
                below = h
            return new_states

        if inputs.shape[1] is not None:
            for z_first in ops.unstack(projected, num=inputs.shape[1], axis=1):
                states = step(z_first, states)
            return states[-1][0]
        time_major = ops.transpose(projected, (1, 0, 2))

        def body(index, flat):
            pairs = [(flat[2 * k], flat[2 * k + 1]) for k in range(len(self.units))]
            pairs = step(ops.take(time_major, index, axis=0), pairs)
            return [tensor for pair in pairs for tensor in pair]

        flat = [tensor for pair in states for tensor in pair]
        flat = ops.fori_loop(0, ops.shape(time_major)[0], body, flat)
        return flat[-2]

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "units": list(self.units),
                "kernel_regularizer": keras.regularizers.serialize(self.kernel_regularizer),
            }
        )
        return config


@keras.saving.register_keras_serializable(package="amigos_emo")
class WindowStandardization(keras.layers.Layer):
    """Each window's channels standardised over time, with the levels that took away beside.

    For every example and channel, ``mean`` and ``std`` over the window's time axis give the
    standardised signal ``(x - mean) / sqrt(std**2 + epsilon)`` (a person's baseline level and
    gain no longer set what the front-end sees) and the levels ``mean`` and ``log std``, which
    are appended as constant channels, so the branch still knows them and can weigh them against
    the shape. It uses the window alone: the same at training and at inference, reading nothing
    of other windows or subjects. Computed in float32 under any precision policy.

    Args:
        epsilon: added to the variance (the input is already normalised to about unit variance
            by the training statistics, so a flat window gives ``log std`` about -6.9).
        keep_levels: append the levels (default); ``False``: the standardised channels only
            (the shape of the window, for a model that reads levels elsewhere).
        **kwargs: ``name``, ``dtype`` (forwarded to ``keras.layers.Layer``).

    Input: ``(batch, n_times, n_chans)``. Output: ``(batch, n_times, 3 * n_chans)``: the
    standardised channels, then each channel's window mean, then its log std (both constant
    over time); ``(batch, n_times, n_chans)`` without the levels.
    """

    def __init__(self, epsilon=1e-6, keep_levels=True, **kwargs):
        super().__init__(**kwargs)
        validate_type(epsilon, "numeric", "epsilon")
        check_positive(epsilon, "epsilon")
        validate_type(keep_levels, bool, "keep_levels")
        self.epsilon = float(epsilon)
        self.keep_levels = keep_levels

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], (3 if self.keep_levels else 1) * input_shape[-1])

    def call(self, inputs):
        x = ops.cast(inputs, "float32")
        mean = ops.mean(x, axis=1, keepdims=True)
        variance = ops.mean(ops.square(x - mean), axis=1, keepdims=True) + self.epsilon
        outputs = (x - mean) * ops.rsqrt(variance)
        if self.keep_levels:
            ones = ops.ones_like(x)
            outputs = ops.concatenate(
                [outputs, ones * mean, ones * (0.5 * ops.log(variance))], axis=-1
            )
        return ops.cast(outputs, self.compute_dtype)

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon, "keep_levels": self.keep_levels}


def branch_layers(
    signal,
    *,
    front_end="average",
    stride=1,
    filter_taps=16,
    n_filters=8,
    lstm_units=(32, 16),
    dense_units=(),
    dropout=0.0,
    l2=0.0,
    fused_lstm=True,
):
    """The layers of one branch, in call order (layer names start with ``signal``).

    Args:
        signal: the input name, e.g. ``"eeg"``; prefixes every layer name.
        front_end: ``"average"`` (``{signal}_pool``: mean of ``stride`` samples, nothing when
            ``stride == 1``), ``"depthwise"`` (``{signal}_filter_bank``: per-channel FIR of
            ``filter_taps`` taps, ReLU, stride ``stride``), ``"filter_bank"``
            (``{signal}_filter_bank``: ``n_filters`` FIR filters over all channels with ReLU and
            stride ``min(stride, 4)``, then ``{signal}_pool`` averaging the rest of the stride,
            ``"same"`` padding) or ``"none"``.
        stride: overall down-sampling factor of the front-end (samples per LSTM step).
        filter_taps: FIR length of the filter-bank front-ends, in samples.
        n_filters: filters of the ``"filter_bank"`` front-end.
        lstm_units: widths of the stacked LSTMs (the top one's last state is the output).
        dense_units: widths of the ReLU dense layers after the LSTMs (may be empty).
        dropout: rate of the dropout after every dense layer, in [0, 1).
        l2: L2 penalty on LSTM input kernels and dense kernels (0: none).
        fused_lstm: ``True``: one :class:`StackedLSTM` named ``{signal}_lstm``; ``False``: the
            equivalent ``keras.layers.LSTM`` layers ``{signal}_lstm_1``, ``{signal}_lstm_2``...
            (slower on CPU; the layout of models saved before the fused loop existed).

    Returns:
        list of ``keras.layers.Layer``.
    """
    validate_type(signal, str, "signal")
    check_option(front_end, FRONT_ENDS, "front_end")
    stride = check_count(stride, "stride")
    validate_type(filter_taps, int, "filter_taps")
    check_positive(filter_taps, "filter_taps")
    n_filters = check_count(n_filters, "n_filters")
    lstm_units = check_units(lstm_units, "lstm_units")
    dense_units = check_units(dense_units, "dense_units", min_length=0)
    dropout = check_rate(dropout, "dropout")
    validate_type(l2, "numeric", "l2")
    check_positive(l2, "l2", allow_zero=True)
    validate_type(fused_lstm, bool, "fused_lstm")

    def regularizer():
        return keras.regularizers.L2(l2) if l2 > 0 else None

    layers = []
    if front_end == "depthwise":
        layers.append(
            keras.layers.DepthwiseConv1D(
                kernel_size=filter_taps,
                strides=stride,
                padding="same",
                activation="relu",
                name=f"{signal}_filter_bank",
            )
        )
    elif front_end == "filter_bank":
        conv_stride = min(stride, 4)
        layers.append(
            keras.layers.Conv1D(
                n_filters,
                kernel_size=filter_taps,
                strides=conv_stride,
                padding="same",
                activation="relu",
                kernel_regularizer=regularizer(),
                name=f"{signal}_filter_bank",
            )
        )
        pool = -(-stride // conv_stride)
        if pool > 1:
            layers.append(
                keras.layers.AveragePooling1D(pool_size=pool, padding="same", name=f"{signal}_pool")
            )
    elif front_end == "average" and stride > 1:
        layers.append(keras.layers.AveragePooling1D(pool_size=stride, name=f"{signal}_pool"))
    if fused_lstm:
        layers.append(
            StackedLSTM(lstm_units, kernel_regularizer=regularizer(), name=f"{signal}_lstm")
        )
    else:
        for index, units in enumerate(lstm_units, start=1):
            layers.append(
                LSTM(
                    units,
                    return_sequences=index < len(lstm_units),
                    kernel_regularizer=regularizer(),
                    name=f"{signal}_lstm_{index}",
                )
            )
    return layers + dense_layers(signal, dense_units, dropout, regularizer)


def dense_layers(prefix, units, dropout, regularizer):
    """ReLU dense layers ``{prefix}_dense_1, ...`` of widths ``units``, each followed by
    ``{prefix}_dropout_K`` when ``dropout > 0``; ``regularizer()`` gives each kernel's penalty."""
    layers = []
    for index, width in enumerate(units, start=1):
        layers.append(
            keras.layers.Dense(
                width,
                activation="relu",
                kernel_regularizer=regularizer(),
                name=f"{prefix}_dense_{index}",
            )
        )
        if dropout > 0:
            layers.append(keras.layers.Dropout(dropout, name=f"{prefix}_dropout_{index}"))
    return layers


def fusion_layers(fusion_units, dropout, regularizer, use_batch_norm):
    """The fusion stack shared by ``signal_fusion`` and ``multimodal_lstm``.

    Args:
        fusion_units: widths of the ReLU dense layers (``fusion_dense_1``, ...).
        dropout: dropout after each dense layer (``fusion_dropout_K``; none when 0).
        regularizer: a callable returning a fresh kernel regularizer (or None).
        use_batch_norm: put ``fusion_batch_norm`` in front (on the concatenated branches).

    Returns:
        the layers in order, for :func:`apply_layers`.
    """
    layers = [keras.layers.BatchNormalization(name="fusion_batch_norm")] if use_batch_norm else []
    return layers + dense_layers("fusion", fusion_units, dropout, regularizer)


def apply_layers(layers, x):
    """Call ``layers`` in order on ``x`` (a symbolic tensor); returns the last output."""
    for layer in layers:
        x = layer(x)
    return x


def copy_lstm_weights(source, target):
    """Copy every branch's LSTM weights between a fused and a per-layer model (either way).

    Layers other than the LSTMs are matched by name. ``source`` and ``target`` are models built
    by :func:`branch_layers` users (``multimodal_lstm``, ``signal_fusion``) that differ only in
    ``fused_lstm``.
    """

    def lstm_weights(model):
        found = {}
        for layer in model.layers:
            if isinstance(layer, StackedLSTM):
                signal = layer.name[: -len("_lstm")]
                found[signal] = [w for cell in layer.cells for w in cell.weights]
            elif isinstance(layer, keras.layers.LSTM):
                signal, _, _ = layer.name.rpartition("_lstm_")
                found.setdefault(signal, []).extend(layer.cell.weights)
        return found

    target_lstms = lstm_weights(target)
    for signal, weights in lstm_weights(source).items():
        for source_weight, target_weight in zip(weights, target_lstms[signal], strict=True):
            target_weight.assign(source_weight)
    target_layers = {layer.name: layer for layer in target.layers}
    for layer in source.layers:
        if isinstance(layer, (StackedLSTM, keras.layers.LSTM)) or not layer.weights:
            continue
        target_layers[layer.name].set_weights(layer.get_weights())
