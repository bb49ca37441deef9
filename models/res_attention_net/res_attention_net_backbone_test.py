import keras
import numpy as np
import pytest

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
