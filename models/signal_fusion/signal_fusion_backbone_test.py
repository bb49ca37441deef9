"""Tests of ``signal_fusion`` (the shared harness covers save/export/jit/mixed precision)."""

import keras
import numpy as np
import pytest

from amigos_emo.models import build_model, get_model_entry
from amigos_emo.models.signal_fusion import SignalFusionBackbone, head_kinds

E4_SHAPES = {"bvp": (3840, 1), "gsr": (240, 1), "acc": (1920, 3), "temperature": (240, 1)}
AMIGOS_SHAPES = {"eeg": (32, 14), "ecg": (32, 2), "gsr": (32, 1)}
HEADS = {
    "condition": {"kind": "classification", "n_classes": 3},
    "stress": {"kind": "binary", "n_classes": None},
    "arousal": {"kind": "regression", "n_classes": None},
}


def _inputs(shapes, batch_size=4, seed=0):
    rng = np.random.default_rng(seed)
    return {k: rng.standard_normal((batch_size, *v)).astype("float32") for k, v in shapes.items()}


def test_one_branch_per_input_at_comparable_lengths():
    model = build_model("signal_fusion", E4_SHAPES, n_outputs=3)
    assert sorted(t.name.split(":")[0] for t in model.inputs) == sorted(E4_SHAPES)
    steps = {s: model.get_layer(f"{s}_lstm_1").input.shape[1] for s in E4_SHAPES}
    # 60 s at 64, 4, 32 and 4 Hz all end at 30-32 steps (target_steps=32).
    assert all(30 <= n <= 32 for n in steps.values()), steps
    assert model.output_names == ["label"]
    out = np.asarray(model(_inputs(E4_SHAPES), training=False)["label"])
    assert out.shape == (4, 3) and out.dtype == np.float32
    np.testing.assert_allclose(out.sum(axis=-1), 1.0, atol=1e-5)


def test_heads_of_every_kind_and_the_compile_losses():
    shapes = {"eeg": (64, 4)}
    model = build_model("signal_fusion", shapes, heads=HEADS, target_steps=8, lstm_units=(4,))
    outputs = model(_inputs(shapes), training=False)
    assert {k: tuple(v.shape) for k, v in outputs.items()} == {
        "condition": (4, 3),
        "stress": (4, 1),
        "arousal": (4, 1),
    }
    assert np.all((np.asarray(outputs["stress"]) > 0) & (np.asarray(outputs["stress"]) < 1))
    assert model.get_layer("arousal").activation.__name__ == "linear"
    assert head_kinds(model) == {k: v["kind"] for k, v in HEADS.items() if k in model.output_names}
    get_model_entry("signal_fusion").compile(model, loss_weights={"stress": 0.5})
    losses = model.loss
    assert isinstance(losses["condition"], keras.losses.CategoricalCrossentropy)
    assert isinstance(losses["stress"], keras.losses.BinaryCrossentropy)
    assert isinstance(losses["arousal"], keras.losses.MeanSquaredError)
    # The runner's encoding: one-hot, 0/1 float, float.
    targets = {
        "condition": np.eye(3, dtype="float32")[[0, 1, 2, 1]],
        "stress": np.array([[0], [1], [1], [0]], "float32"),
        "arousal": np.array([[1.0], [2.0], [3.0], [4.0]], "float32"),
    }
    logs = model.train_on_batch(_inputs(shapes), targets, return_dict=True)
    assert np.isfinite(logs["loss"]) and "condition_accuracy" in logs and "arousal_mae" in logs


def test_head_kinds_of_a_wrapped_model():
    from amigos_emo.training.modeling import wrap_model

    core = build_model("signal_fusion", {"gsr": (16, 1)}, heads=HEADS, target_steps=4)
    wrapped = wrap_model(core, {"gsr": None}, {"arousal": (5.0, 2.0)}, name="wrapped")
    assert head_kinds(wrapped) == {
        "arousal": "regression",
        "condition": "classification",
        "stress": "binary",
    }


def test_amigos_preset_is_the_multimodal_lstm():
    fusion = build_model("signal_fusion", AMIGOS_SHAPES, preset="amigos")
    seed = build_model("multimodal_lstm", AMIGOS_SHAPES, preset="maximum")
    assert fusion.count_params() == seed.count_params() == 57913
    assert sorted(fusion.output_names) == ["arousal", "transition", "valence"]
    by_name = {layer.name: layer for layer in fusion.layers}
    assert sorted(by_name) == sorted(layer.name for layer in seed.layers)
    for layer in seed.layers:
        by_name[layer.name].set_weights(layer.get_weights())
    inputs = _inputs(AMIGOS_SHAPES)
    a, b = seed(inputs, training=False), fusion(inputs, training=False)
    for name in a:
        np.testing.assert_allclose(np.asarray(b[name]), np.asarray(a[name]), atol=1e-6, rtol=0)


def test_config_round_trip_keeps_overrides():
    model = build_model(
        "signal_fusion",
        {"eeg": (64, 4), "ecg": (32, 2)},
        n_outputs=2,
        branch_overrides={"eeg": {"front_end": "depthwise", "lstm_units": (5, 3)}},
        target_steps=8,
    )
    clone = SignalFusionBackbone.from_config(model.get_config())
    assert clone.get_config() == model.get_config()
    assert [clone.get_layer(f"eeg_lstm_{k}").units for k in (1, 2)] == [5, 3]
    assert clone.get_layer("ecg_lstm_1").units == 16
    assert not any(layer.name == "ecg_lstm_2" for layer in clone.layers)
    assert isinstance(clone.get_layer("eeg_filter_bank"), keras.layers.DepthwiseConv1D)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"input_shapes": {}}, "at least one signal input"),
        (
            {"input_shapes": {"eeg": (64, 4, 2)}},
            r"input_shapes\['eeg'\] must be \(n_times, n_chans\)",
        ),
        ({"input_shapes": {"features": (0,)}}, r"input_shapes\['features'\]\[0\] \(n_features\)"),
        ({"heads": {"y": {"kind": "ordinal"}}}, "kind"),
        ({"heads": {"y": {"kind": "classification", "n_classes": 1}}}, "must be >= 2"),
        ({"heads": {"y": {"kind": "regression", "n_classes": 3}}}, "must be None for a regression"),
        ({"heads": {"eeg": {"kind": "binary"}}}, "head names must differ from input names"),
        ({"input_shapes": {"eeg": (None, 4)}}, "n_times=None; give stride"),
        ({"branch_overrides": {"eeg": {"units": 3}}}, "branch_overrides\\['eeg'\\] may set"),
        ({"n_outputs": None, "heads": None}, "needs its heads"),
        ({"dropout_rate": 0.1}, "Unknown signal_fusion arguments \\['dropout_rate'\\]"),
    ],
)
def test_build_errors_name_the_argument(kwargs, match):
    arguments = {"input_shapes": {"eeg": (64, 4)}, "n_outputs": 2, **kwargs}
    shapes = arguments.pop("input_shapes")
    with pytest.raises(ValueError, match=match):
        build_model("signal_fusion", shapes, **arguments)


def test_signal_fusion_learns_a_tiny_two_class_problem():
    """Class 1 adds skin-conductance-like bumps to one input; the others are noise."""
    rng = np.random.default_rng(0)
    n, shapes = 320, {"gsr": (32, 1), "bvp": (128, 1)}
    labels = rng.integers(0, 2, n)
    gsr = rng.standard_normal((n, 32, 1)).astype("float32")
    bump = np.exp(-0.5 * ((np.arange(32) - 12) / 3.0) ** 2).astype("float32")
    gsr[labels == 1, :, 0] += 1.5 * bump
    x = {"gsr": gsr, "bvp": rng.standard_normal((n, 128, 1)).astype("float32")}
    y = {"label": np.eye(2, dtype="float32")[labels]}
    keras.utils.set_random_seed(0)
    model = build_model("signal_fusion", shapes, n_outputs=2, target_steps=8, lstm_units=(8,))
    get_model_entry("signal_fusion").compile(model, steps_per_epoch=8, epochs=8, learning_rate=1e-2)
    train, test = slice(0, 256), slice(256, None)
    model.fit(
        {k: v[train] for k, v in x.items()},
        {"label": y["label"][train]},
        batch_size=32,
        epochs=8,
        verbose=0,
    )
    predicted = model.predict({k: v[test] for k, v in x.items()}, verbose=0)["label"].argmax(-1)
    accuracy = float(np.mean(predicted == labels[test]))
    assert accuracy > 0.8, accuracy


def test_keras_lstms_by_default_and_fused_files_keep_their_loop(tmp_path):
    shapes = {"eeg": (64, 4), "ecg": (32, 2)}
    default = build_model("signal_fusion", shapes, n_outputs=2, target_steps=8)
    assert default.fused_lstm is False
    assert isinstance(default.get_layer("eeg_lstm_1"), keras.layers.LSTM)
    fused = build_model("signal_fusion", shapes, n_outputs=2, target_steps=8, fused_lstm=True)
    path = tmp_path / "fused.keras"
    fused.save(path)
    reloaded = keras.models.load_model(path)
    assert reloaded.fused_lstm is True and reloaded.get_layer("eeg_lstm").units == (16,)
    inputs = _inputs(shapes)
    np.testing.assert_allclose(
        np.asarray(reloaded(inputs, training=False)["label"]),
        np.asarray(fused(inputs, training=False)["label"]),
        atol=1e-6,
    )


def test_feature_vector_branch_and_branch_dropout():
    shapes = {"bvp": (64, 1), "gsr": (8, 1), "features": (5,)}
    heads = {"stress": {"kind": "binary", "n_classes": None}}
    model = build_model(
        "signal_fusion",
        shapes,
        heads=heads,
        target_steps=4,
        lstm_units=(3,),
        feature_units=(4, 2),
        window_norm="shape",
        branch_dropout=0.5,
        dropout=0.0,
        use_batch_norm=False,
    )
    names = [layer.name for layer in model.layers]
    assert {"features_dense_1", "features_dense_2", "features_branch_dropout"} <= set(names)
    assert "features_window_standardization" not in names
    assert model.get_layer("bvp_window_standardization").keep_levels is False
    concat = model.get_layer("fusion_concat")
    assert concat.output.shape == (None, 3 + 3 + 2)
    probe = keras.Model(model.inputs, concat.output)
    x = {
        k: np.random.default_rng(1).standard_normal((256, *v)).astype("float32")
        for k, v in shapes.items()
    }
    # inference keeps every branch; training zeroes whole branch vectors (about half of them)
    # and scales the kept ones by 1 / (1 - 0.5)
    inferred = np.asarray(probe(x, training=False))
    np.testing.assert_array_equal(inferred, np.asarray(probe(x)))
    trained = np.asarray(probe(x, training=True))
    for lo, hi in ((0, 3), (3, 6), (6, 8)):
        dropped = np.all(trained[:, lo:hi] == 0, axis=1)
        np.testing.assert_allclose(
            trained[~dropped, lo:hi], 2 * inferred[~dropped, lo:hi], rtol=1e-5, atol=1e-6
        )
        live = np.any(inferred[:, lo:hi] != 0, axis=1)
        assert 0.3 < dropped[live].mean() < 0.7
    again = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(model))
    assert again.get_config()["branch_dropout"] == 0.5 and again.get_config()["feature_units"] == [
        4,
        2,
    ]
