"""Each family's hypermodel: the seed defaults build a compiled model that trains a step, an
``hp.Fixed`` override reaches the architecture, bad arguments fail clearly, and every
registered model has a hypermodel."""

import keras
import keras_tuner
import numpy as np
import pytest

from amigos_emo.models import get_model_entry, list_models
from amigos_emo.tuning import HYPERMODELS, get_hypermodel_class, make_hypermodel

# Tiny per-family cases: (preset, input shapes, n_outputs, hp.Fixed name, value, how to read it back).
CASES = {
    "multimodal_lstm": (
        "lightweight",
        {"eeg": (16, 14), "ecg": (16, 2), "gsr": (16, 1)},
        None,
        "eeg_lstm_units_1",
        5,
        lambda m: m.eeg_lstm_units[0],
    ),
    "gru_xnet": ("tiny", {"stft": (3, 12, 10)}, 3, "gru_units", 6, lambda m: m.gru_units),
    "res_attention_net": (
        "tiny",
        {"de": (40, 20)},
        3,
        "hidden_units",
        12,
        lambda m: m.get_layer("classifier_dense").units,
    ),
    "vae_gnn": (
        "tiny",
        {"eeg_grid": (64, 9, 9), "node_features": (5, 4, 3), "adjacency": (5, 4, 4)},
        None,
        "gcn_units",
        6,
        lambda m: m.gcn_units,
    ),
    "gru_classifier": ("fast", {"features": (40,)}, 3, "gru_units", 7, lambda m: m.gru_units),
    "eegnet": (
        "tiny",
        {"eeg": (32, 4)},
        3,
        "n_filters_temporal",
        6,
        lambda m: m.n_filters_temporal,
    ),
    "shallow_convnet": (
        "tiny",
        {"eeg": (32, 3)},
        2,
        "n_filters_spat",
        6,
        lambda m: m.n_filters_spat,
    ),
    "deep_convnet": ("tiny", {"eeg": (48, 3)}, 3, "n_filters_time", 6, lambda m: m.n_filters_time),
    "tsception": ("tiny", {"eeg": (64, 4)}, 2, "hidden_units", 12, lambda m: m.hidden_units),
    "dgcnn": ("tiny", {"de": (6, 20)}, 3, "chebyshev_order", 4, lambda m: m.chebyshev_order),
    "signal_fusion": (
        "small",
        {"bvp": (128, 1), "gsr": (8, 1)},
        3,
        "lstm_units_1",
        5,
        lambda m: m.lstm_units[0],
    ),
}


def _batch(model, n=4, seed=0):
    rng = np.random.default_rng(seed)
    x = {
        t.name.split(":")[0]: rng.standard_normal((n, *t.shape[1:])).astype("float32")
        for t in model.inputs
    }
    return x


def test_every_registered_model_has_a_hypermodel_and_a_test_case():
    # scikit-learn baselines (framework="sklearn") have no hypermodel: they are not Keras models.
    assert sorted(HYPERMODELS) == list_models(framework="keras")
    assert sorted(CASES) == list_models(framework="keras")


@pytest.mark.parametrize("name", sorted(CASES))
def test_defaults_build_the_seed_model(name):
    preset, shapes, n_outputs, *_ = CASES[name]
    hypermodel = make_hypermodel(
        name, input_shapes=shapes, n_outputs=n_outputs, preset=preset, epochs=1
    )
    hp = keras_tuner.HyperParameters()
    model = hypermodel.build(hp)
    assert model.compiled  # a COMPILED model
    assert sorted(model.output_names) == sorted(get_model_entry(name).output_names())
    # The defaults are the preset's: same parameter count as the registry's own preset build.
    reference = get_model_entry(name).build(shapes, n_outputs=n_outputs, preset=preset)
    assert model.count_params() == reference.count_params()
    assert hp.values  # the space was declared
    predictions = model.predict(_batch(model), verbose=0)
    for output in get_model_entry(name).output_names():
        assert predictions[output].shape[0] == 4
        assert predictions[output].dtype == np.float32
        assert np.isfinite(predictions[output]).all()


@pytest.mark.parametrize("name", sorted(CASES))
def test_fixed_override_takes_effect(name):
    preset, shapes, n_outputs, hp_name, value, read_back = CASES[name]
    hypermodel = make_hypermodel(name, input_shapes=shapes, n_outputs=n_outputs, preset=preset)
    hp = keras_tuner.HyperParameters()
    hp.Fixed(hp_name, value)
    core, _ = hypermodel.build_core(hp)
    assert read_back(core) == value
    default_core, _ = hypermodel.build_core(keras_tuner.HyperParameters())
    assert read_back(default_core) != value


def test_deep_convnet_width_multiplier_scales_the_later_blocks():
    preset, shapes, n_outputs, *_ = CASES["deep_convnet"]
    hypermodel = make_hypermodel(
        "deep_convnet", input_shapes=shapes, n_outputs=n_outputs, preset=preset
    )
    hp = keras_tuner.HyperParameters()
    hp.Fixed("width_multiplier", 2.0)
    core, _ = hypermodel.build_core(hp)
    assert core.block_filters == (8, 12, 16)  # tiny preset (4, 6, 8) doubled


def test_fixed_learning_rate_reaches_the_optimizer():
    preset, shapes, n_outputs, *_ = CASES["gru_classifier"]
    hypermodel = make_hypermodel(
        "gru_classifier", input_shapes=shapes, n_outputs=n_outputs, preset=preset
    )
    hp = keras_tuner.HyperParameters()
    hp.Fixed("learning_rate", 0.0042)
    model = hypermodel.build(hp)
    assert float(keras.ops.convert_to_numpy(model.optimizer.learning_rate)) == pytest.approx(0.0042)


def test_multimodal_depth_is_searched():
    preset, shapes, n_outputs, *_ = CASES["multimodal_lstm"]
    hypermodel = make_hypermodel("multimodal_lstm", input_shapes=shapes, preset=preset)
    hp = keras_tuner.HyperParameters()
    hp.Fixed("fusion_layers", 1)
    hp.Fixed("eeg_dense_layers", 0)
    core, _ = hypermodel.build_core(hp)
    assert core.fusion_units == (16,) and core.eeg_dense_units == ()


@pytest.mark.slow  # ~20 s: traces the VAE-GNN train step
def test_vae_gnn_wrapped_model_trains_with_its_composite_loss():
    """FoldData.wrap puts a functional model around VAE-GNN; its loss must still be the core's."""
    from amigos_emo.training.modeling import wrap_model

    preset, shapes, *_ = CASES["vae_gnn"]

    class FakeFold:  # what RegistryHyperModel reads from a FoldData
        input_shapes, n_outputs, steps_per_epoch = shapes, None, 1

        def wrap(self, core):
            stats = {"eeg_grid": None, "node_features": None, "adjacency": None}
            return wrap_model(core, stats, {}, name="wrapped")

    hypermodel = make_hypermodel("vae_gnn", FakeFold(), preset=preset)
    model = hypermodel.build(keras_tuner.HyperParameters())
    rng = np.random.default_rng(1)
    x = _batch(model, n=8)
    y = {k: rng.integers(0, 2, (8, 1)).astype("float32") for k in ("valence", "arousal")}
    history = model.fit(x, y, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0]) and history.history["loss"][0] > 0


def test_bad_arguments_fail_clearly():
    with pytest.raises(ValueError, match="needs fold_data or input_shapes"):
        make_hypermodel("gru_classifier")
    with pytest.raises(ValueError, match="missing \\['features'\\]"):
        make_hypermodel("gru_classifier", input_shapes={"eeg": (3,)})
    with pytest.raises(ValueError, match="preset"):
        make_hypermodel("gru_classifier", input_shapes={"features": (40,)}, preset="nope")
    with pytest.raises(ValueError, match="epochs must be an int >= 1. Received: epochs=0"):
        make_hypermodel("gru_classifier", input_shapes={"features": (40,)}, epochs=0)
    with pytest.raises(ValueError, match="No hypermodel for this model.*Received: model='nope'"):
        get_hypermodel_class("nope")
    with pytest.raises(TypeError, match="fold_data must be a FoldData"):
        make_hypermodel("gru_classifier", object())


def test_signal_fusion_heads_come_from_the_fold_targets():
    from amigos_emo.training.tasks import TargetSpec

    class FakeFold:  # what RegistryHyperModel reads from a FoldData
        input_shapes = {"bvp": (64, 1), "gsr": (8, 1), "acc": (32, 3)}
        n_outputs, steps_per_epoch = None, 1
        specs = [
            TargetSpec("condition", "classification", "label", 3, ("a", "b", "c")),
            TargetSpec("stress", "binary", "label_binary", 2, ("no", "yes")),
        ]

        def wrap(self, core):
            return core

    hypermodel = make_hypermodel("signal_fusion", FakeFold())
    model = hypermodel.build(keras_tuner.HyperParameters())
    assert sorted(model.output_names) == ["condition", "stress"]
    assert sorted(t.name.split(":")[0] for t in model.inputs) == ["acc", "bvp", "gsr"]
    predictions = model.predict(_batch(model), verbose=0)
    assert predictions["condition"].shape == (4, 3) and predictions["stress"].shape == (4, 1)
