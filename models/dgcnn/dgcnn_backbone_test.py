"""DGCNN tests (the shared harness covers save/export/XLA/mixed precision)."""

import keras
import numpy as np
import pytest

from amigos_emo.models import build_model, get_model_entry


def test_parameter_count_on_seed_de():
    model = build_model("dgcnn", {"de": (60, 310)})
    chans, bands, filters, order, classes = 62, 5, 32, 2, 3
    expected = (
        chans * chans  # learnable adjacency
        + order * bands * filters
        + filters  # Chebyshev filters
        + filters * filters
        + filters  # 1x1 convolution
        + chans * filters * classes
        + classes
    )
    assert model.count_params() == expected == 11_207
    assert len(model.losses) == 4  # adjacency L2 + three kernel L2 penalties


def test_de_sequence_is_averaged_over_time_then_read_channel_major():
    model = build_model("dgcnn", {"de": (6, 20)}, preset="tiny")
    assert (model.n_chans, model.n_bands, model.n_steps) == (4, 5, 6)
    de = np.random.default_rng(0).standard_normal((3, 6, 20)).astype("float32")
    probe = keras.Model(model.inputs, model.get_layer("to_nodes").output)
    expected = np.zeros((3, 4, 5))
    for example in range(3):
        for channel in range(4):
            for band in range(5):
                expected[example, channel, band] = de[example, :, channel * 5 + band].mean()
    np.testing.assert_allclose(np.asarray(probe({"de": de})), expected, rtol=1e-5, atol=1e-6)
    window = build_model("dgcnn", {"de": (14, 5)}, n_outputs=2)
    assert (window.n_chans, window.n_steps) == (14, None)


def test_learned_adjacency_is_non_negative_after_training():
    keras.utils.set_random_seed(0)
    entry = get_model_entry("dgcnn")
    model = entry.build({"de": (4, 5)}, n_outputs=2, preset="tiny")
    entry.compile(model, learning_rate=0.5)
    rng = np.random.default_rng(0)
    x = {"de": rng.standard_normal((16, 4, 5)).astype("float32")}
    y = {"label": np.eye(2, dtype="float32")[rng.integers(0, 2, 16)]}
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    raw = model.get_layer("graph_conv").adjacency.numpy()
    assert (raw < 0).any()  # the big step pushed some raw weights below zero ...
    assert (model.learned_adjacency() >= 0).all()  # ... and the ReLU removes those edges


def test_registered_entry_and_errors():
    entry = get_model_entry("dgcnn")
    assert (entry.inputs, entry.outputs, entry.task) == (("de",), ("label",), "classification")
    assert entry.presets["seed_iv"]["n_outputs"] == 4
    with pytest.raises(ValueError, match="n_chans \\* n_bands features"):
        build_model("dgcnn", {"de": (60, 311)})
    with pytest.raises(ValueError, match="'de'"):
        build_model("dgcnn", {"eeg": (60, 310)})
    with pytest.raises(ValueError, match="Received: preset='nope'"):
        build_model("dgcnn", {"de": (60, 310)}, preset="nope")
    with pytest.raises(ValueError, match="Unknown dgcnn arguments"):
        build_model("dgcnn", {"de": (60, 310)}, n_chans=62)


def test_every_preset_builds_on_seed_de():
    entry = get_model_entry("dgcnn")
    for preset, values in entry.presets.items():
        model = build_model("dgcnn", {"de": (60, 310)}, preset=preset)
        assert model.output_shape == (None, values["n_outputs"]), preset


def test_single_window_layout_reloads_from_keras_file(tmp_path):
    model = build_model("dgcnn", {"de": (4, 5)}, n_outputs=2, preset="tiny")
    path = tmp_path / "dgcnn_window.keras"
    model.save(path)
    reloaded = keras.saving.load_model(path)
    de = np.random.default_rng(1).standard_normal((3, 4, 5)).astype("float32")
    np.testing.assert_array_equal(
        np.asarray(reloaded({"de": de})["label"]), np.asarray(model({"de": de})["label"])
    )
    assert reloaded.n_steps is None
