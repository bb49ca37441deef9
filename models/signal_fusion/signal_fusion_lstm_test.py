"""``LSTM`` (hand-written backward pass) against ``keras.layers.LSTM`` with the same weights:
outputs, gradients of inputs, weights and initial states, under XLA too; the fallbacks; and
weight files exchanged between the two."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from amigos_emo.models import build_model
from amigos_emo.models.signal_fusion.signal_fusion_lstm import LSTM


def _pair(units, input_shape, seed, **kwargs):
    """A Keras LSTM and ours with the same random weights (biases included)."""
    rng = np.random.default_rng(seed)
    reference, ours = keras.layers.LSTM(units, **kwargs), LSTM(units, **kwargs)
    reference.build(input_shape)
    ours.build(input_shape)
    for a, b in zip(reference.weights, ours.weights, strict=True):
        value = rng.normal(0, 0.5, a.shape).astype("float32")
        a.assign(value)
        b.assign(value)
    return reference, ours


def _value_and_gradients(layer, x, states, jit):
    @tf.function(jit_compile=jit)
    def run():
        with tf.GradientTape() as tape:
            tape.watch([x, *states])
            y = layer(x, initial_state=states) if states else layer(x)
            loss = tf.reduce_sum(tf.sin(y) * y)  # a loss whose gradient differs per element
        return y, tape.gradient(loss, [x, *layer.trainable_variables, *states])

    y, grads = run()
    return np.asarray(y), [np.asarray(g) for g in grads]


@pytest.mark.parametrize("return_sequences", [True, False])
@pytest.mark.parametrize("with_states", [False, True])
@pytest.mark.parametrize("jit", [False, True])
def test_outputs_and_gradients_equal_keras_lstm(return_sequences, with_states, jit):
    batch, steps, channels, units = 5, 9, 3, 4
    reference, ours = _pair(units, (batch, steps, channels), 1, return_sequences=return_sequences)
    assert ours._plain(None, True)
    rng = np.random.default_rng(2)
    x = tf.constant(rng.standard_normal((batch, steps, channels)).astype("float32"))
    states = (
        [tf.constant(rng.standard_normal((batch, units)).astype("float32")) for _ in range(2)]
        if with_states
        else []
    )
    y_ref, g_ref = _value_and_gradients(reference, x, states, jit)
    y, g = _value_and_gradients(ours, x, states, jit)
    assert y.shape == y_ref.shape == ((batch, steps, units) if return_sequences else (batch, units))
    assert y.dtype == np.float32
    np.testing.assert_allclose(y, y_ref, atol=1e-6, rtol=0)
    assert len(g) == len(g_ref) == 4 + len(states)
    for got, expected in zip(g, g_ref, strict=True):
        assert got.shape == expected.shape
        np.testing.assert_allclose(got, expected, atol=1e-5, rtol=1e-5)
        assert np.abs(expected).max() > 0  # every gradient is exercised


def test_unknown_length_and_return_state():
    reference, ours = _pair(3, (2, 6, 2), 4, return_sequences=True, return_state=True)
    inputs = keras.Input((None, 2))
    model = keras.Model(inputs, ours(inputs))
    x = np.random.default_rng(5).standard_normal((2, 6, 2)).astype("float32")
    for got, expected in zip(model(x), reference(x), strict=True):
        np.testing.assert_allclose(np.asarray(got), np.asarray(expected), atol=1e-6, rtol=0)


def test_masks_and_dropout_take_kerass_own_loop():
    reference, ours = _pair(3, (2, 6, 2), 6, dropout=0.5)
    assert not ours._plain(None, True)  # dropout in training
    assert ours._plain(None, False)
    assert not ours._plain(np.ones((2, 6), bool), False)
    x = np.random.default_rng(7).standard_normal((2, 6, 2)).astype("float32")
    mask = np.array([[1, 1, 1, 1, 0, 0], [1, 1, 1, 1, 1, 1]], bool)
    np.testing.assert_allclose(
        np.asarray(ours(x, mask=mask)), np.asarray(reference(x, mask=mask)), atol=1e-6, rtol=0
    )
    _, relu = _pair(3, (2, 6, 2), 8, activation="relu")
    assert not relu._plain(None, False)


def test_weights_move_between_keras_and_our_lstm_files(tmp_path):
    def model(layer_class):
        inputs = keras.Input((7, 3))
        x = layer_class(5, return_sequences=True, name="first")(inputs)
        return keras.Model(inputs, layer_class(2, name="second")(x))

    keras_model, ours = model(keras.layers.LSTM), model(LSTM)
    x = np.random.default_rng(9).standard_normal((4, 7, 3)).astype("float32")
    keras_model.save(tmp_path / "keras.keras")
    ours.load_weights(tmp_path / "keras.keras")
    np.testing.assert_allclose(np.asarray(ours(x)), np.asarray(keras_model(x)), atol=1e-6)
    ours.save(tmp_path / "ours.keras")
    reloaded = keras.saving.load_model(tmp_path / "ours.keras")
    assert [type(layer) for layer in reloaded.layers[1:]] == [LSTM, LSTM]
    np.testing.assert_allclose(np.asarray(reloaded(x)), np.asarray(ours(x)), atol=0)


def test_the_recurrent_models_use_it():
    shapes = {"eeg": (16, 14), "ecg": (16, 2), "gsr": (16, 1)}
    model = build_model("multimodal_lstm", shapes, preset="lightweight")
    lstms = [layer for layer in model.layers if isinstance(layer, keras.layers.LSTM)]
    assert len(lstms) == 6
    assert all(isinstance(layer, LSTM) and layer._plain(None, True) for layer in lstms)


def test_mixed_bfloat16_runs_close_to_float32():
    _, ours = _pair(4, (3, 8, 2), 10)
    x = np.random.default_rng(11).standard_normal((3, 8, 2)).astype("float32")
    expected = np.asarray(ours(x))
    ours.dtype_policy = keras.DTypePolicy("mixed_bfloat16")
    got = ours(x.astype("float32"))
    assert keras.backend.standardize_dtype(got.dtype) == "bfloat16"
    np.testing.assert_allclose(np.asarray(tf.cast(got, tf.float32)), expected, atol=0.05)
