"""The trained-model wrapper: train-only normalisation and rescaling baked in, own losses kept."""

import numpy as np
import pytest

from amigos_emo.models import get_model_entry
from amigos_emo.training.modeling import load_trained_model, wrap_model
from amigos_emo.training.pipeline import InputStats


def test_wrapper_normalises_inputs_and_rescales_regression_heads():
    entry = get_model_entry("multimodal_lstm")
    shapes = {"eeg": (16, 14), "ecg": (16, 2), "gsr": (16, 1)}
    core = entry.build(shapes, preset="lightweight")
    rng = np.random.default_rng(0)
    stats = {
        name: InputStats(
            rng.normal(size=(1, shape[1])).astype("float32"),
            rng.uniform(0.5, 3.0, size=(1, shape[1])).astype("float32"),
            (0,),
        )
        for name, shape in shapes.items()
    }
    model = wrap_model(core, stats, {"valence": (5.0, 2.0), "arousal": (4.0, 0.5)}, name="w")
    assert sorted(model.output_names) == ["arousal", "transition", "valence"]
    x = {name: rng.normal(size=(3, *shape)).astype("float32") * 4 for name, shape in shapes.items()}
    normalised = {name: (x[name] - stats[name].mean) / stats[name].std for name in shapes}
    expected = core.predict(normalised, verbose=0)
    got = model.predict(x, verbose=0)
    np.testing.assert_allclose(
        got["valence"], expected["valence"] * 2.0 + 5.0, rtol=1e-4, atol=1e-4
    )
    np.testing.assert_allclose(
        got["arousal"], expected["arousal"] * 0.5 + 4.0, rtol=1e-4, atol=1e-4
    )
    np.testing.assert_allclose(got["transition"], expected["transition"], atol=1e-5)


def test_statistics_are_weights_saved_with_the_model_and_old_files_still_load(tmp_path):
    import keras

    from amigos_emo.evaluate import _rescaling_mean
    from amigos_emo.training import artifacts
    from amigos_emo.training.modeling import ScaleShift, Standardize

    inputs = keras.Input((6, 2), name="x")
    flat = keras.layers.Flatten(name="flat")(inputs)
    core = keras.Model({"x": inputs}, {"rating": keras.layers.Dense(1, name="rating")(flat)})
    mean, std = np.array([[0.5, -1.0]], "float32"), np.array([[2.0, 0.25]], "float32")
    model = wrap_model(core, {"x": InputStats(mean, std, (0,))}, {"rating": (6.0, 1.5)}, "w")
    layer = model.get_layer("normalise_x")
    assert isinstance(layer, Standardize) and isinstance(model.get_layer("rating"), ScaleShift)
    assert [w.path for w in layer.weights] == ["normalise_x/mean", "normalise_x/std"]
    assert not layer.trainable_weights
    np.testing.assert_array_equal(np.asarray(layer.std), std)
    x = np.random.default_rng(1).normal(size=(4, 6, 2)).astype("float32")
    expected = core.predict({"x": (x - mean) / std}, verbose=0)["rating"] * 1.5 + 6.0
    np.testing.assert_allclose(model.predict({"x": x}, verbose=0)["rating"], expected, atol=1e-5)
    model.save(tmp_path / "new.keras")
    reloaded = load_trained_model(tmp_path / "new.keras", compile=False)
    np.testing.assert_allclose(reloaded.predict({"x": x}, verbose=0)["rating"], expected, atol=1e-5)
    assert _rescaling_mean(reloaded, "rating") == 6.0
    # a file from before: Keras's Normalization (constants) and Rescaling around the core
    old_in = keras.Input((6, 2), name="x")
    normalised = keras.layers.Normalization(
        axis=-1, mean=mean[0], variance=std[0] ** 2, name="normalise_x"
    )(old_in)
    old_out = keras.layers.Rescaling(1.5, 6.0, name="rating")(core({"x": normalised})["rating"])
    keras.Model({"x": old_in}, {"rating": old_out}).save(tmp_path / "old.keras")
    old = load_trained_model(tmp_path / "old.keras", compile=False)
    assert _rescaling_mean(old, "rating") == 6.0
    got = artifacts.evaluation_function(old)({"x": x})["rating"]
    np.testing.assert_allclose(np.asarray(got), expected, atol=1e-5)


def test_architecture_with_its_own_loss_trains_behind_the_wrapper(tmp_path):
    entry = get_model_entry("vae_gnn")
    shapes = {"eeg_grid": (64, 9, 9), "node_features": (5, 4, 3), "adjacency": (5, 4, 4)}
    core = entry.build(shapes, preset="tiny")
    rng = np.random.default_rng(1)
    stats = {
        "eeg_grid": InputStats(
            np.zeros((1, 9, 9), "float32"), np.full((1, 9, 9), 2.0, "float32"), (0,)
        ),
        "node_features": InputStats(
            np.zeros((5, 4, 1), "float32"), np.ones((5, 4, 1), "float32"), (2,)
        ),
        "adjacency": None,
    }
    model = wrap_model(core, stats, {}, name="vae_gnn_trained")
    entry.compile(model)
    x = {name: rng.normal(size=(8, *shape)).astype("float32") for name, shape in shapes.items()}
    y = {
        "valence": rng.integers(0, 2, (8, 1)).astype("float32"),
        "arousal": rng.integers(0, 2, (8, 1)).astype("float32"),
    }
    history = model.fit(x, y, epochs=2, batch_size=4, verbose=0)
    losses = history.history["loss"]
    assert len(losses) == 2 and all(np.isfinite(losses))
    path = tmp_path / "m.keras"
    model.save(path)
    reloaded = load_trained_model(path)
    np.testing.assert_allclose(
        reloaded.predict(x, verbose=0)["valence"], model.predict(x, verbose=0)["valence"], atol=1e-5
    )
    assert np.isfinite(reloaded.fit(x, y, epochs=1, batch_size=4, verbose=0).history["loss"][0])


def test_seed_callbacks_keep_their_state_across_one_epoch_fits():
    """ReduceLROnPlateau must see every epoch, not be reset by each one-epoch ``fit`` call."""
    import keras

    from amigos_emo.training.runner import _AcrossEpochs

    plateau = keras.callbacks.ReduceLROnPlateau(
        monitor="loss", factor=0.5, patience=1, min_delta=1e9
    )
    wrapped = _AcrossEpochs.wrap(plateau)
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(keras.optimizers.SGD(0.1), "mse")
    x, y = np.ones((4, 2), "float32"), np.ones((4, 1), "float32")
    for epoch in range(3):
        model.fit(x, y, initial_epoch=epoch, epochs=epoch + 1, verbose=0, callbacks=[wrapped])
    # No improvement counts as min_delta is huge: the rate halves after epochs 2 and 3.
    assert float(model.optimizer.learning_rate) == pytest.approx(0.025)


def test_run_restores_op_determinism_so_xla_stays_available():
    from tensorflow.python.framework import config as tf_config

    from amigos_emo.training.runner import _op_determinism

    before = tf_config.is_op_determinism_enabled()
    with _op_determinism(True):
        assert tf_config.is_op_determinism_enabled()
    assert tf_config.is_op_determinism_enabled() == before
    with _op_determinism(False):
        assert not tf_config.is_op_determinism_enabled()
    assert tf_config.is_op_determinism_enabled() == before


def test_compile_overrides_are_checked_against_the_model():
    from amigos_emo.training.runner import RunConfig, _compile_overrides

    assert _compile_overrides(
        RunConfig(label_smoothing=0.2), get_model_entry("res_attention_net")
    ) == {"label_smoothing": 0.2}
    with pytest.raises(ValueError, match="'multimodal_lstm' does not take label_smoothing"):
        _compile_overrides(RunConfig(label_smoothing=0.2), get_model_entry("multimodal_lstm"))


def test_target_override_trains_a_classifier_on_another_class_feature():
    import tensorflow_datasets as tfds

    from amigos_emo.training.tasks import target_specs

    features = tfds.features.FeaturesDict(
        {
            "de": tfds.features.Tensor(shape=(60, 310), dtype=np.float32),
            "label": tfds.features.ClassLabel(names=["neutral", "sad", "fear", "happy"]),
            "label_binary": tfds.features.ClassLabel(names=["not_happy", "happy"]),
        }
    )
    entry = get_model_entry("res_attention_net")
    (default,) = target_specs(entry, features)
    assert (default.source, default.n_classes) == ("label", 4)
    (binary,) = target_specs(entry, features, sources={"label": "label_binary"})
    assert (binary.name, binary.source, binary.kind, binary.n_classes) == (
        "label",
        "label_binary",
        "classification",
        2,
    )
    assert binary.class_names == ("not_happy", "happy")
    with pytest.raises(ValueError, match="no feature 'valence_binary'"):
        target_specs(entry, features, sources={"label": "valence_binary"})
