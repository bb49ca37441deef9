"""Tests of the multimodal three-head LSTM (the shared harness covers save/export/jit/mixed)."""

import keras
import numpy as np
import pytest

from amigos_emo.models import build_model
from amigos_emo.models.multimodal_lstm import (
    MULTIMODAL_LSTM_PRESETS,
    MultimodalLSTMBackbone,
    compile_multimodal_lstm,
)

AMIGOS_SHAPES = {"eeg": (512, 14), "ecg": (512, 2), "gsr": (512, 1)}


def _inputs(n_times, batch_size=3, seed=0):
    rng = np.random.default_rng(seed)
    return {
        "eeg": rng.standard_normal((batch_size, n_times, 14)).astype("float32"),
        "ecg": rng.standard_normal((batch_size, n_times, 2)).astype("float32"),
        "gsr": rng.standard_normal((batch_size, n_times, 1)).astype("float32"),
    }


@pytest.mark.parametrize(
    ("preset", "n_params", "n_trainable"),
    [("lightweight", 3559, 3535), ("moderate", 5244, 5216), ("maximum", 57913, 57817)],
)
def test_preset_parameter_counts(preset, n_params, n_trainable):
    model = build_model("multimodal_lstm", AMIGOS_SHAPES, preset=preset)
    assert model.count_params() == n_params
    assert sum(int(np.prod(w.shape)) for w in model.trainable_weights) == n_trainable
    # The preset's widths are what the layers got.
    widths = MULTIMODAL_LSTM_PRESETS[preset]
    assert model.get_layer("eeg_lstm_1").units == widths["eeg_lstm_units"][0]
    assert model.get_layer("fusion_dense_1").units == widths["fusion_units"][0]


def test_maximum_preset_has_the_described_widths():
    model = build_model("multimodal_lstm", AMIGOS_SHAPES, preset="maximum")
    units = {layer.name: layer.units for layer in model.layers if hasattr(layer, "units")}
    assert [
        units["eeg_lstm_1"],
        units["eeg_lstm_2"],
        units["eeg_dense_1"],
        units["eeg_dense_2"],
    ] == [64, 32, 48, 24]
    for signal in ("ecg", "gsr"):
        assert [units[f"{signal}_lstm_{i}"] for i in (1, 2)] == [32, 16]
        assert [units[f"{signal}_dense_{i}"] for i in (1, 2)] == [20, 12]
    assert [units[f"fusion_dense_{i}"] for i in (1, 2, 3)] == [64, 32, 16]


def test_pooling_front_end_averages_consecutive_samples():
    model = build_model(
        "multimodal_lstm", {k: (16, v[1]) for k, v in AMIGOS_SHAPES.items()}, pool_size=4
    )
    probe = keras.Model(model.inputs, model.get_layer("ecg_pool").output)
    inputs = _inputs(16)
    pooled = np.asarray(probe(inputs))
    reference = np.stack(
        [inputs["ecg"][:, 4 * k : 4 * k + 4, :].astype("float64").mean(axis=1) for k in range(4)],
        axis=1,
    )
    assert pooled.shape == (3, 4, 2) and pooled.dtype == np.float32
    np.testing.assert_allclose(pooled, reference, atol=1e-6)
    # The LSTM reads the pooled sequence: 16 samples -> 4 steps.
    assert model.get_layer("ecg_lstm_1").input.shape[1] == 4


def test_eeg_filter_bank_is_a_strided_rectified_fir_per_channel():
    taps, stride, n_times = 16, 4, 32
    model = build_model(
        "multimodal_lstm",
        {k: (n_times, v[1]) for k, v in AMIGOS_SHAPES.items()},
        pool_size=stride,
        eeg_filter_taps=taps,
    )
    layer = model.get_layer("eeg_filter_bank")
    kernel, bias = (np.asarray(w, np.float64) for w in layer.get_weights())
    bias = bias + np.random.default_rng(1).normal(size=bias.shape)  # non-zero bias is tested too
    layer.set_weights([kernel, bias])
    probe = keras.Model(model.inputs, layer.output)
    inputs = _inputs(n_times)
    got = np.asarray(probe(inputs))
    x = inputs["eeg"].astype(np.float64)
    n_out = n_times // stride
    pad_left = ((n_out - 1) * stride + taps - n_times) // 2
    reference = np.zeros((x.shape[0], n_out, x.shape[2]))
    for t in range(n_out):  # plain loop over output steps, taps and channels
        for j in range(taps):
            i = t * stride + j - pad_left
            if 0 <= i < n_times:
                reference[:, t, :] += x[:, i, :] * kernel[j, :, 0]
    reference = np.maximum(reference + bias[np.newaxis, np.newaxis, :], 0.0)
    assert got.shape == (3, n_out, 14)
    np.testing.assert_allclose(got, reference, atol=1e-5)
    assert "eeg_pool" not in [layer.name for layer in model.layers]
    # eeg_filter_taps=0 falls back to averaging.
    plain = build_model(
        "multimodal_lstm", {k: (n_times, v[1]) for k, v in AMIGOS_SHAPES.items()}, eeg_filter_taps=0
    )
    assert "eeg_pool" in [layer.name for layer in plain.layers]


def test_options_single_lstm_no_pool_no_batch_norm_variable_length():
    model = MultimodalLSTMBackbone(
        n_times=None,
        pool_size=1,
        eeg_lstm_units=(5,),
        ecg_lstm_units=(3,),
        gsr_lstm_units=(3,),
        eeg_dense_units=(),
        fusion_units=(4,),
        dropout=0.0,
        l2=0.0,
        use_batch_norm=False,
    )
    names = [layer.name for layer in model.layers]
    assert not any("pool" in n or "batch_norm" in n or "dropout" in n for n in names)
    assert "eeg_lstm_2" not in names and "eeg_dense_1" not in names
    for n_times in (5, 9):
        outputs = model(_inputs(n_times), training=False)
        assert sorted(outputs) == ["arousal", "transition", "valence"]
        for value in outputs.values():
            assert tuple(value.shape) == (3, 1) and value.dtype == "float32"
        transition = np.asarray(outputs["transition"])
        assert np.all((transition > 0) & (transition < 1))
    assert model.losses == []  # l2=0: no penalty


def test_l2_penalty_and_config():
    model = MultimodalLSTMBackbone(n_times=8, l2=1e-3, **MULTIMODAL_LSTM_PRESETS["lightweight"])
    assert len(model.losses) > 0
    config = model.get_config()
    assert config["l2"] == 1e-3 and config["eeg_lstm_units"] == [12, 8] and config["n_times"] == 8
    assert MultimodalLSTMBackbone.from_config(config).count_params() == model.count_params()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"input_shapes": {"eeg": (8, 14), "ecg": (8, 2)}}, r"missing \['gsr'\]"),
        ({"input_shapes": {"eeg": (8, 14), "ecg": (4, 2), "gsr": (8, 1)}}, "share one n_times"),
        (
            {"input_shapes": {"eeg": (8,), "ecg": (8, 2), "gsr": (8, 1)}},
            r"input_shapes\['eeg'\]=\(8,\)",
        ),
        ({"n_outputs": 2}, "Received: n_outputs=2"),
        ({"preset": "huge"}, "Received: preset='huge'"),
        ({"lstm_units": (3,)}, "Unknown multimodal_lstm arguments"),
        ({"eeg_lstm_units": (4, -1)}, r"Received: eeg_lstm_units=\(4, -1\)"),
        ({"dropout": 1.5}, "Received: dropout=1.5"),
        ({"pool_size": 0}, "Received: pool_size=0"),
        ({"pool_size": 16}, "n_times must be >= pool_size"),
    ],
)
def test_build_errors_name_the_argument(kwargs, match):
    arguments = {"input_shapes": {"eeg": (8, 14), "ecg": (8, 2), "gsr": (8, 1)}, **kwargs}
    with pytest.raises(ValueError, match=match):
        build_model("multimodal_lstm", **arguments)


def test_compile_losses_metrics_and_schedule():
    model = build_model("multimodal_lstm", {"eeg": (8, 14), "ecg": (8, 2), "gsr": (8, 1)})
    compile_multimodal_lstm(
        model, steps_per_epoch=10, epochs=3, learning_rate=2e-3, loss_weights={"transition": 0.5}
    )
    schedule = model.optimizer.learning_rate
    # Cosine decay from 2e-3 to 5% of it over 30 steps.
    assert isinstance(model.optimizer._learning_rate, keras.optimizers.schedules.CosineDecay)
    np.testing.assert_allclose(float(model.optimizer._learning_rate(0)), 2e-3, rtol=1e-6)
    np.testing.assert_allclose(float(model.optimizer._learning_rate(30)), 1e-4, rtol=1e-5)
    assert float(schedule) == pytest.approx(2e-3)
    assert model.get_compile_config()["loss_weights"] == {
        "valence": 1.0,
        "arousal": 1.0,
        "transition": 0.5,
    }
    assert isinstance(model.loss["transition"], keras.losses.BinaryCrossentropy)
    assert isinstance(model.loss["valence"], keras.losses.MeanSquaredError)
    with pytest.raises(ValueError, match="Received: loss_weights="):
        compile_multimodal_lstm(model, loss_weights={"dominance": 1.0})
    with pytest.raises(ValueError, match="Received: steps_per_epoch=0"):
        compile_multimodal_lstm(model, steps_per_epoch=0)


def test_training_reduces_the_loss():
    keras.utils.set_random_seed(0)
    # One LSTM per branch: tracing the train step costs seconds per LSTM on CPU.
    model = build_model(
        "multimodal_lstm",
        {"eeg": (8, 14), "ecg": (8, 2), "gsr": (8, 1)},
        dropout=0.0,
        pool_size=2,
        eeg_lstm_units=(8,),
        ecg_lstm_units=(3,),
        gsr_lstm_units=(3,),
        l2=0.0,
    )
    compile_multimodal_lstm(model, steps_per_epoch=100, epochs=1, learning_rate=1e-2)
    inputs = _inputs(8, batch_size=16, seed=3)
    signal = inputs["eeg"].mean(axis=(1, 2)) * 10  # a target the EEG branch can learn (std ~1)
    targets = {
        "valence": signal[:, None],
        "arousal": -signal[:, None],
        "transition": (signal > 0).astype("float32")[:, None],
    }
    first = model.train_on_batch(inputs, targets, return_dict=True)["loss"]
    for _ in range(99):
        last = model.train_on_batch(inputs, targets, return_dict=True)
    assert np.isfinite(last["loss"]) and last["loss"] < 0.5 * first
    assert set(last) >= {"valence_mae", "arousal_mae", "transition_auc", "transition_accuracy"}
