"""Tests of the GRU classifier (the shared harness covers save/export/jit/mixed)."""

import math

import keras
import numpy as np
import pytest

from amigos_emo.models import build_model
from amigos_emo.models.gru_classifier import GRUClassifierBackbone, compile_gru_classifier


def _chunks_reference(features, n_steps):
    """Slow obvious reference: pad with zeros at the end, cut into n_steps equal chunks."""
    n_features = features.shape[1]
    chunk_size = math.ceil(n_features / n_steps)
    out = np.zeros((features.shape[0], n_steps, chunk_size), dtype="float64")
    for example in range(features.shape[0]):
        for step in range(n_steps):
            for offset in range(chunk_size):
                index = step * chunk_size + offset
                if index < n_features:
                    out[example, step, offset] = features[example, index]
    return out


@pytest.mark.parametrize(("n_features", "n_steps"), [(50, 8), (12, 4), (7, 7), (10, 3)])
def test_chunking_matches_reference(n_features, n_steps):
    model = GRUClassifierBackbone(n_features=n_features, n_steps=n_steps, gru_units=4)
    probe = keras.Model(model.inputs, model.get_layer("to_chunks").output)
    features = np.random.default_rng(0).standard_normal((3, n_features)).astype("float32")
    chunks = np.asarray(probe({"features": features}))
    assert chunks.dtype == np.float32
    np.testing.assert_array_equal(chunks, _chunks_reference(features, n_steps))


def test_seed_preset_reads_one_feature_per_step_and_matches_the_seed_size():
    model = build_model("gru_classifier", {"features": (2548,)}, preset="seed")
    assert model.get_layer("gru").units == 256
    assert tuple(model.get_layer("gru").input.shape) == (None, 2548, 1)
    # GRU(256) on 1 input (reset_after: 3 * 256 * (1 + 256 + 2)) + Dense(2548 * 256 -> 3).
    assert model.count_params() == 3 * 256 * 259 + 2548 * 256 * 3 + 3 == 2_155_779


def test_default_preset_is_fast_and_small():
    model = build_model("gru_classifier", {"features": (2548,)})
    assert tuple(model.get_layer("gru").input.shape) == (None, 28, 91)
    assert model.count_params() == 3 * 64 * (91 + 64 + 2) + 28 * 64 * 3 + 3 == 35_523
    outputs = model({"features": np.ones((2, 2548), "float32")}, training=False)
    probabilities = np.asarray(outputs["label"])
    assert probabilities.shape == (2, 3) and probabilities.dtype == np.float32
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-6)


def test_preset_steps_are_capped_for_short_vectors():
    model = build_model("gru_classifier", {"features": (10,)})
    assert tuple(model.get_layer("gru").input.shape) == (None, 10, 1)
    with pytest.raises(ValueError, match="Received: n_steps=11"):
        build_model("gru_classifier", {"features": (10,)}, n_steps=11)


def test_n_outputs_and_config():
    model = build_model("gru_classifier", {"features": (20,)}, n_outputs=5, n_steps=4, gru_units=6)
    assert model.output_shape == (None, 5)
    config = model.get_config()
    assert config == {
        "name": "gru_classifier",
        "trainable": True,
        "n_features": 20,
        "n_outputs": 5,
        "n_steps": 4,
        "gru_units": 6,
        "dropout": 0.2,
    }


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"input_shapes": {"x": (10,)}}, "'features'"),
        (
            {"input_shapes": {"features": (10, 2)}},
            r"Received: input_shapes\['features'\]=\(10, 2\)",
        ),
        ({"n_outputs": 1}, "Received: n_outputs=1"),
        ({"n_steps": 11}, "Received: n_steps=11"),
        ({"gru_units": 0, "n_steps": 5}, "Received: gru_units=0"),
        ({"preset": "slow"}, "Received: preset='slow'"),
        ({"units": 3}, "Unknown gru_classifier arguments"),
    ],
)
def test_build_errors_name_the_argument(kwargs, match):
    arguments = {"input_shapes": {"features": (10,)}, **kwargs}
    with pytest.raises(ValueError, match=match):
        build_model("gru_classifier", **arguments)


def test_compile_and_train_on_separable_classes():
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 3, size=96)
    features = rng.standard_normal((96, 24)).astype("float32") + 2.0 * labels[:, None]
    targets = np.eye(3, dtype="float32")[labels]
    model = build_model("gru_classifier", {"features": (24,)}, n_steps=6, gru_units=8)
    compile_gru_classifier(
        model,
        learning_rate=1e-2,
        label_smoothing=0.1,
        lr_schedule="cosine",
        steps_per_epoch=3,
        epochs=10,
    )
    assert model.loss["label"].get_config()["label_smoothing"] == pytest.approx(0.1)
    history = model.fit(
        {"features": features}, {"label": targets}, batch_size=32, epochs=10, verbose=0
    )
    assert history.history["loss"][-1] < 0.6 * history.history["loss"][0]
    assert history.history["accuracy"][-1] > 0.8
    with pytest.raises(ValueError, match="Received: lr_schedule='step'"):
        compile_gru_classifier(model, lr_schedule="step")
    with pytest.raises(ValueError, match="Received: label_smoothing=1.0"):
        compile_gru_classifier(model, label_smoothing=1.0)
