"""Shallow ConvNet tests (the shared harness covers save/export/XLA/mixed precision)."""

import keras
import numpy as np
import pytest

from amigos_emo.models import build_model, get_model_entry


def _trainable(model):
    return sum(int(np.prod(w.shape)) for w in model.trainable_weights)


def test_parameter_count_at_bci_iv_2a():
    model = build_model("shallow_convnet", {"eeg": (1125, 22)}, n_outputs=4)
    n_pooled = (1125 - 25 + 1 - 75) // 15 + 1
    assert n_pooled == 69
    expected = (25 * 40 + 40) + 40 * 40 * 22 + 2 * 40 + (40 * n_pooled * 4 + 4)
    assert _trainable(model) == expected == 47_364  # braindecode's ShallowFBCSPNet count
    assert model.get_layer("log").output.shape == (None, n_pooled, 1, 40)


def test_log_power_features_match_a_numpy_reference():
    """Probe the features after the log: log(mean of squares over each pooling window)."""
    model = build_model("shallow_convnet", {"eeg": (32, 3)}, preset="tiny")
    rng = np.random.default_rng(0)
    eeg = rng.standard_normal((2, 32, 3)).astype("float32")
    probe_in = keras.Model(model.inputs, model.get_layer("spatial_bn").output)
    probe_out = keras.Model(model.inputs, model.get_layer("log").output)
    before = np.asarray(probe_in({"eeg": eeg}, training=False)).astype("float64")
    after = np.asarray(probe_out({"eeg": eeg}, training=False))
    n_windows = (before.shape[1] - 10) // 5 + 1
    expected = np.stack(
        [
            np.log(np.maximum((before[:, 5 * w : 5 * w + 10] ** 2).mean(axis=1), 1e-6))
            for w in range(n_windows)
        ],
        axis=1,
    )
    np.testing.assert_allclose(after, expected, rtol=1e-4, atol=1e-5)


def test_registered_entry_and_errors():
    entry = get_model_entry("shallow_convnet")
    assert (entry.inputs, entry.outputs, entry.task) == (("eeg",), ("label",), "classification")
    with pytest.raises(ValueError, match="Received: n_times=13"):
        build_model("shallow_convnet", {"eeg": (13, 3)}, preset="tiny")
    with pytest.raises(ValueError, match="Unknown shallow_convnet arguments"):
        build_model("shallow_convnet", {"eeg": (32, 3)}, preset="tiny", sfreq=128.0)
    with pytest.raises(ValueError, match="n_times disagrees"):
        build_model("shallow_convnet", {"eeg": (32, 3)}, preset="tiny", n_times=64)
