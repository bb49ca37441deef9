"""``LSTM``: :class:`keras.layers.LSTM` with its backward pass written out (TensorFlow backend).

Keras's LSTM on a CPU runs its cell step by step in a ``tf.while_loop`` and lets TensorFlow
differentiate that loop. The generated backward loop pushes and pops every intermediate of
every step and recomputes each weight gradient step by step; it is most of the training step
of the recurrent models (measured in ``bench/RESULTS.md``). :func:`lstm_sequence` instead runs

- the input projection ``x @ kernel + bias`` of all steps as one matrix product;
- a forward loop that only does the recurrent product and the gates, saving the gate
  activations and the cell state of each step;
- a hand-written backward loop (back-propagation through time) that carries ``dh`` and ``dc``
  and does one recurrent product per step, with every factor that does not depend on the
  recursion computed for all steps at once;
- the kernel, recurrent-kernel and bias gradients as three products over all steps.

The function, its outputs and its gradients are those of Keras's LSTM cell (gate order i, f,
c, o; sigmoid gates, tanh cell; tested against it to float rounding on random inputs, with and
without initial states, under XLA too).
"""

from __future__ import annotations

import keras


def lstm_sequence(inputs, kernel, recurrent_kernel, bias, h0, c0):
    """Run an LSTM over ``inputs`` ``(batch, time, channels)`` with a hand-written gradient.

    Args:
        inputs: ``(batch, time, channels)`` tensor.
        kernel: ``(channels, 4 * units)`` input kernel (gate blocks i, f, c, o).
        recurrent_kernel: ``(units, 4 * units)``.
        bias: ``(4 * units,)``.
        h0, c0: ``(batch, units)`` initial hidden and cell states.

    Returns:
        ``(h_seq, h_last, c_last)``: ``(batch, time, units)``, ``(batch, units)``,
        ``(batch, units)``.
    """
    import tensorflow as tf

    @tf.custom_gradient
    def run(x, w, u, b, h_init, c_init):
        steps = x.shape[1] if x.shape[1] is not None else tf.shape(x)[1]
        x_t = tf.transpose(x, [1, 0, 2])  # (time, batch, channels)
        projected = tf.einsum("tbc,cg->tbg", x_t, w) + b
        projected_ta = tf.TensorArray(x.dtype, size=steps).unstack(projected)

        def forward(t, h, c, record_ta):
            z = projected_ta.read(t) + tf.matmul(h, u)
            z_i, z_f, z_c, z_o = tf.split(z, 4, axis=-1)
            i, f, g, o = tf.sigmoid(z_i), tf.sigmoid(z_f), tf.tanh(z_c), tf.sigmoid(z_o)
            c = f * c + i * g
            h = o * tf.tanh(c)
            return t + 1, h, c, record_ta.write(t, tf.concat([i, f, g, o, c], axis=-1))

        _, h_last, c_last, record_ta = tf.while_loop(
            lambda t, *_: t < steps,
            forward,
            (0, h_init, c_init, tf.TensorArray(x.dtype, size=steps)),
            maximum_iterations=steps,
        )
        # gates and cell state of every step: (time, batch, units) each
        i, f, g, o, cells = tf.split(record_ta.stack(), 5, axis=-1)
        tanh_cells = tf.tanh(cells)
        hidden = o * tanh_cells  # the loop's h of every step, recomputed for all at once
        h_seq = tf.transpose(hidden, [1, 0, 2])

        def grad(d_h_seq, d_h_last, d_c_last):
            d_h_seq = tf.zeros_like(hidden) if d_h_seq is None else tf.transpose(d_h_seq, [1, 0, 2])
            d_h_last = tf.zeros_like(h_last) if d_h_last is None else d_h_last
            d_c_last = tf.zeros_like(c_last) if d_c_last is None else d_c_last
            c_prev = tf.concat([c_init[None], cells[:-1]], axis=0)
            h_prev = tf.concat([h_init[None], hidden[:-1]], axis=0)
            # dz = [dc, dc, dc, dh] * factors; dc gets dh * o * (1 - tanh(c)^2) each step.
            factors = tf.concat(
                [g * i * (1 - i), c_prev * f * (1 - f), i * (1 - g * g), tanh_cells * o * (1 - o)],
                axis=-1,
            )
            d_c_from_h = o * (1 - tanh_cells * tanh_cells)
            d_h_ta = tf.TensorArray(x.dtype, size=steps).unstack(d_h_seq)
            factors_ta = tf.TensorArray(x.dtype, size=steps).unstack(factors)
            carry_ta = tf.TensorArray(x.dtype, size=steps).unstack(
                tf.concat([d_c_from_h, f], axis=-1)
            )
            u_t = tf.transpose(u)

            def backward(t, d_h_next, d_c_next, d_z_ta):
                d_h = d_h_ta.read(t) + d_h_next
                from_h, forget = tf.split(carry_ta.read(t), 2, axis=-1)
                d_c = d_c_next + d_h * from_h
                d_z = tf.concat([d_c, d_c, d_c, d_h], axis=-1) * factors_ta.read(t)
                return t - 1, tf.matmul(d_z, u_t), d_c * forget, d_z_ta.write(t, d_z)

            _, d_h0, d_c0, d_z_ta = tf.while_loop(
                lambda t, *_: t >= 0,
                backward,
                (steps - 1, d_h_last, d_c_last, tf.TensorArray(x.dtype, size=steps)),
                maximum_iterations=steps,
            )
            d_z = d_z_ta.stack()  # (time, batch, 4 units)
            d_x = tf.transpose(tf.einsum("tbg,cg->tbc", d_z, w), [1, 0, 2])
            d_w = tf.einsum("tbc,tbg->cg", x_t, d_z)
            d_u = tf.einsum("tbh,tbg->hg", h_prev, d_z)
            d_b = tf.reduce_sum(d_z, axis=[0, 1])
            return d_x, d_w, d_u, d_b, d_h0, d_c0

        return (h_seq, h_last, c_last), grad

    dtype = inputs.dtype
    return run(
        inputs,
        tf.cast(kernel, dtype),
        tf.cast(recurrent_kernel, dtype),
        tf.cast(bias, dtype),
        tf.cast(h0, dtype),
        tf.cast(c0, dtype),
    )


@keras.saving.register_keras_serializable(package="amigos_emo")
class LSTM(keras.layers.LSTM):
    """:class:`keras.layers.LSTM`, trained through :func:`lstm_sequence` where it applies.

    Same arguments, config, weights (``cell.kernel``, ``cell.recurrent_kernel``, ``cell.bias``)
    and outputs as the Keras layer. Named like it on purpose: Keras 3 files address a layer's
    weights by its snake-cased class name, so weights saved from ``keras.layers.LSTM`` load
    into this layer unchanged, and back. Registered as ``amigos_emo>LSTM``.

    The hand-written loop is used on the TensorFlow backend for the plain configuration (no
    mask, no dropout in training, tanh and sigmoid activations, a bias, forwards, not stateful,
    not unrolled); anything else runs Keras's own loop (cuDNN on a GPU included).
    """

    def _plain(self, mask, training):
        return (
            keras.backend.backend() == "tensorflow"
            and mask is None
            and not (training and (self.dropout or self.recurrent_dropout))
            and self.cell.use_bias
            and self.activation is keras.activations.tanh
            and self.recurrent_activation is keras.activations.sigmoid
            and not (self.go_backwards or self.stateful or self.unroll)
            and self.use_cudnn != True  # noqa: E712 (use_cudnn may be "auto")
            and not _on_gpu()
        )

    def inner_loop(self, sequences, initial_state, mask, training=False):
        if not self._plain(mask, training):
            return super().inner_loop(sequences, initial_state, mask, training=training)
        h0, c0 = initial_state
        h_seq, h_last, c_last = lstm_sequence(
            sequences, self.cell.kernel, self.cell.recurrent_kernel, self.cell.bias, h0, c0
        )
        return h_last, h_seq, [h_last, c_last]


def _on_gpu():
    import tensorflow as tf

    return bool(tf.config.list_logical_devices("GPU"))
