import keras
import numpy as np
import pytest

from amigos_emo.models import build_model, get_model_entry
from amigos_emo.models.res_attention_net import default_callbacks
from amigos_emo.models.res_attention_net.res_attention_net_backbone import ResAttentioNet

TINY = {"n_steps": 40, "n_chans": 4, "n_bands": 5, "base_width": 4, "hidden_units": 8}


def _n_trainable(model):
    return int(sum(np.prod(w.shape) for w in model.trainable_weights))


def test_parameter_count_matches_pytorch_original_for_four_classes():
    model = ResAttentioNet(n_outputs=4)
    # PyTorch EmotionResNetAttention(num_features=310, num_classes=4, base_width=16): 359,940.
    assert _n_trainable(model) == 359_940
    # Keras also counts the BN moving statistics, which PyTorch keeps as buffers.
    n_bn_channels = 16 + 4 * 16 + 5 * 32 + 5 * 64 + 5 * 128
    assert model.count_params() == 359_940 + 2 * n_bn_channels
    assert model.input_shape == (None, 60, 310)
    # Sequence lengths as in PyTorch: 60 -> conv 30 -> pool 15 -> 15 -> 8 -> 4 -> 2.
    lengths = [
        model.get_layer(n).output.shape[1]
        for n in (
            "stem_conv",
            "stem_pool",
            "stage1_block2_out",
            "stage2_block2_out",
            "stage3_block2_out",
            "stage4_block2_out",
        )
    ]
    assert lengths == [30, 15, 15, 8, 4, 2]


def test_forward_shapes_dtypes_and_probabilities():
    model = ResAttentioNet(n_outputs=3, **TINY)
    x = np.random.default_rng(0).normal(size=(5, 40, 20)).astype("float32")
    outputs = model({"de": x}, training=False)
    assert set(outputs) == {"label"}
    probs = np.asarray(outputs["label"])
    assert probs.shape == (5, 3) and probs.dtype == np.float32
    np.testing.assert_allclose(probs.sum(axis=-1), 1.0, atol=1e-5)
    assert model.output_names == ["label"]
    assert [t.name for t in model.inputs] == ["de"]


def test_config_round_trip_gives_same_outputs():
    model = ResAttentioNet(n_outputs=3, name="ran", **TINY)
    clone = ResAttentioNet.from_config(model.get_config())
    clone.set_weights(model.get_weights())
    x = {"de": np.random.default_rng(1).normal(size=(2, 40, 20)).astype("float32")}
    np.testing.assert_allclose(
        np.asarray(clone(x)["label"]), np.asarray(model(x)["label"]), atol=1e-6
    )
    assert clone.get_config() == model.get_config()


def test_keras_file_round_trip(tmp_path):
    model = ResAttentioNet(n_outputs=3, **TINY)
    path = tmp_path / "ran.keras"
    model.save(path)
    restored = keras.saving.load_model(path)
    assert isinstance(restored, ResAttentioNet)
    x = {"de": np.random.default_rng(2).normal(size=(2, 40, 20)).astype("float32")}
    np.testing.assert_allclose(
        np.asarray(restored(x)["label"]), np.asarray(model(x)["label"]), atol=1e-6
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_outputs": 0}, "Received: n_outputs=0"),
        ({"n_outputs": 3, "dropout": 1.0}, "Received: dropout=1.0"),
        ({"n_outputs": 3, "base_width": 4, "n_heads": 3}, "n_heads=3, base_width=4"),
        ({"n_outputs": 3, "n_chans": -1}, "Received: n_chans=-1"),
    ],
)
def test_bad_arguments_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ResAttentioNet(**kwargs)


# --- registry entry points (build_res_attention_net / compile_res_attention_net) ---


def test_registered_entry():
    entry = get_model_entry("res_attention_net")
    assert entry.inputs == ("de",) and entry.outputs == ("label",)
    assert entry.task == "classification"
    assert {"seed", "seed_iv", "seed_v", "seed_vii"} <= set(entry.presets)
    assert entry.presets["seed_iv"]["n_outputs"] == 4


def test_build_takes_signal_parameters_from_input_shapes():
    model = build_model("res_attention_net", {"de": (40, 15)}, n_outputs=2, preset="tiny")
    assert model.n_steps == 40 and model.n_chans == 3 and model.n_bands == 5
    assert model.output_shape == (None, 2)


def test_build_rejects_disagreeing_signal_parameters():
    with pytest.raises(ValueError, match="n_chans disagrees .* expected 3. Received: n_chans=62"):
        build_model("res_attention_net", {"de": (40, 15)}, preset="tiny", n_chans=62)
    with pytest.raises(ValueError, match="n_chans \\* n_bands"):
        build_model("res_attention_net", {"de": (40, 14)}, preset="tiny")
    with pytest.raises(ValueError, match="Received: preset='nope'"):
        build_model("res_attention_net", {"de": (40, 15)}, preset="nope")
    with pytest.raises(ValueError, match="'de'"):
        build_model("res_attention_net", {"eeg": (40, 15)}, preset="tiny")


def test_compile_and_fit_reduce_loss_on_separable_toy_data():
    keras.utils.set_random_seed(0)
    entry = get_model_entry("res_attention_net")
    model = entry.build({"de": (40, 10)}, n_outputs=2, preset="tiny", dropout=0.0)
    entry.compile(model, learning_rate=3e-3)
    assert isinstance(model.optimizer, keras.optimizers.AdamW)
    assert model.loss["label"].get_config()["label_smoothing"] == 0.1
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 64)
    x = {"de": rng.normal(size=(64, 40, 10)).astype("float32") + 1.5 * (2 * y - 1)[:, None, None]}
    targets = {"label": keras.utils.to_categorical(y, 2).astype("float32")}
    history = model.fit(x, targets, epochs=4, batch_size=16, verbose=0)
    losses = history.history["loss"]
    assert np.all(np.isfinite(losses)) and losses[-1] < losses[0]


def test_default_callbacks_hold_the_seed_schedule():
    (plateau,) = default_callbacks()
    assert isinstance(plateau, keras.callbacks.ReduceLROnPlateau)
    assert (plateau.monitor, plateau.factor, plateau.patience, plateau.min_lr) == (
        "val_loss",
        0.5,
        5,
        1e-6,
    )
    assert default_callbacks()[0] is not plateau
