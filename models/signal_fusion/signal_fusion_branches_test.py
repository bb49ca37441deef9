"""The shared branch code: the fused LSTM loop against Keras's LSTM layers, and the multimodal
LSTM built through it against its per-layer layout (outputs, parameter counts, old files)."""

import json
import zipfile

import keras
import numpy as np
import pytest

from amigos_emo.models import build_model
from amigos_emo.models.signal_fusion.signal_fusion_branches import (
    StackedLSTM,
    WindowStandardization,
    branch_layers,
    copy_lstm_weights,
)

AMIGOS_SHAPES = {"eeg": (64, 14), "ecg": (64, 2), "gsr": (64, 1)}


def _inputs(shapes, batch_size=3, seed=0):
    rng = np.random.default_rng(seed)
    return {k: rng.standard_normal((batch_size, *v)).astype("float32") for k, v in shapes.items()}


def _max_difference(a, b):
    return max(float(np.max(np.abs(np.asarray(a[k]) - np.asarray(b[k])))) for k in a)


@pytest.mark.parametrize("n_times", [7, None])
def test_stacked_lstm_equals_keras_lstm_layers(n_times):
    units, n_features = (6, 5, 3), 4
    inputs = keras.Input((n_times, n_features))
    fused = StackedLSTM(units)
    fused_model = keras.Model(inputs, fused(inputs))
    x = inputs
    layers = [
        keras.layers.LSTM(u, return_sequences=i < len(units) - 1) for i, u in enumerate(units)
    ]
    for layer in layers:
        x = layer(x)
    reference = keras.Model(inputs, x)
    rng = np.random.default_rng(3)
    for layer, cell in zip(layers, fused.cells, strict=True):  # random biases too
        for weight, target in zip(layer.cell.weights, cell.weights, strict=True):
            value = rng.normal(0, 0.5, weight.shape).astype("float32")
            weight.assign(value)
            target.assign(value)
    batch = rng.standard_normal((5, 7, n_features)).astype("float32")
    expected = np.asarray(reference(batch))
    got = np.asarray(fused_model(batch))
    assert got.shape == (5, 3) and got.dtype == np.float32
    np.testing.assert_allclose(got, expected, atol=1e-6, rtol=0)


def test_stacked_lstm_regulariser_config_and_errors():
    layer = StackedLSTM((4, 2), kernel_regularizer=keras.regularizers.L2(0.5))
    layer.build((None, 6, 3))
    assert [w.shape for w in layer.weights] == [(3, 16), (4, 16), (16,), (4, 8), (2, 8), (8,)]
    # The penalty is on the input kernels only, as keras.layers.LSTM(kernel_regularizer=...).
    expected = 0.5 * sum(float(np.sum(np.square(cell.kernel.numpy()))) for cell in layer.cells)
    layer(np.zeros((1, 6, 3), "float32"))
    assert sum(float(v) for v in layer.losses) == pytest.approx(expected, rel=1e-5)
    clone = StackedLSTM.from_config(layer.get_config())
    assert clone.units == (4, 2) and clone.get_config() == layer.get_config()
    with pytest.raises(ValueError, match="units must be a list of at least 1 positive ints"):
        StackedLSTM(())


def test_branch_layers_names_and_errors():
    names = [
        layer.name
        for layer in branch_layers(
            "bvp",
            front_end="filter_bank",
            stride=12,
            lstm_units=(4,),
            dense_units=(3,),
            dropout=0.1,
        )
    ]
    assert names == ["bvp_filter_bank", "bvp_pool", "bvp_lstm", "bvp_dense_1", "bvp_dropout_1"]
    legacy = branch_layers("ecg", stride=4, lstm_units=(4, 2), fused_lstm=False)
    assert [layer.name for layer in legacy] == ["ecg_pool", "ecg_lstm_1", "ecg_lstm_2"]
    assert [layer.return_sequences for layer in legacy[1:]] == [True, False]
    with pytest.raises(ValueError, match="front_end"):
        branch_layers("x", front_end="wavelet")
    with pytest.raises(ValueError, match="stride"):
        branch_layers("x", stride=0)


@pytest.mark.parametrize(
    ("preset", "n_params"), [("lightweight", 3559), ("moderate", 5244), ("maximum", 57913)]
)
def test_multimodal_lstm_fused_equals_its_per_layer_layout(preset, n_params):
    fused = build_model("multimodal_lstm", AMIGOS_SHAPES, preset=preset, fused_lstm=True)
    legacy = build_model("multimodal_lstm", AMIGOS_SHAPES, preset=preset)
    assert legacy.fused_lstm is False  # the default layout is the one of existing files
    assert fused.count_params() == legacy.count_params() == n_params
    copy_lstm_weights(legacy, fused)
    inputs = _inputs(AMIGOS_SHAPES)
    assert _max_difference(legacy(inputs), fused(inputs)) < 1e-6
    # And back: fused weights into the per-layer layout.
    other = build_model("multimodal_lstm", AMIGOS_SHAPES, preset=preset, fused_lstm=False)
    copy_lstm_weights(fused, other)
    assert _max_difference(other(inputs), fused(inputs)) < 1e-6
    assert sum(float(v) for v in legacy.losses) == pytest.approx(
        sum(float(v) for v in fused.losses), rel=1e-6
    )


def test_a_keras_file_saved_before_the_fused_loop_still_loads(tmp_path):
    """Old files' configs have no ``fused_lstm`` and weights under per-layer LSTM paths."""
    shapes = {k: (16, v[1]) for k, v in AMIGOS_SHAPES.items()}
    legacy = build_model("multimodal_lstm", shapes, preset="lightweight", fused_lstm=False)
    saved = tmp_path / "saved.keras"
    legacy.save(saved)
    old = tmp_path / "old.keras"
    with zipfile.ZipFile(saved) as source, zipfile.ZipFile(old, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "config.json":
                config = json.loads(data)
                assert config["config"].pop("fused_lstm") is False
                data = json.dumps(config).encode()
            target.writestr(item, data)
    reloaded = keras.saving.load_model(old)
    assert reloaded.fused_lstm is False
    inputs = _inputs(shapes)
    assert _max_difference(legacy(inputs), reloaded(inputs)) == 0
    # Converted to the fused layout, it still predicts the same.
    fused = build_model("multimodal_lstm", shapes, preset="lightweight", fused_lstm=True)
    copy_lstm_weights(reloaded, fused)
    assert _max_difference(fused(inputs), reloaded(inputs)) < 1e-6


def test_window_standardization_against_a_per_window_loop():
    rng = np.random.default_rng(3)
    # channels with very different levels and gains, as different people's skin conductance
    x = (rng.standard_normal((5, 40, 3)) * [0.1, 2.0, 30.0] + [5.0, -1.0, 200.0]).astype("float32")
    x[1, :, 0] = 4.0  # a flat channel: finite, log std from epsilon
    out = np.asarray(WindowStandardization(epsilon=1e-6)(x))
    assert out.shape == (5, 40, 9) and out.dtype == np.float32
    for b in range(5):
        for c in range(3):
            series = x[b, :, c].astype("float64")
            variance = series.var() + 1e-6
            expected = (series - series.mean()) / np.sqrt(variance)
            np.testing.assert_allclose(out[b, :, c], expected, rtol=1e-4, atol=1e-4)
            np.testing.assert_allclose(out[b, :, 3 + c], series.mean(), rtol=1e-5)
            np.testing.assert_allclose(
                out[b, :, 6 + c], 0.5 * np.log(variance), rtol=1e-4, atol=1e-4
            )
    # what a window carries beyond its level and gain is all the shape channels see (epsilon
    # aside)
    again = np.asarray(WindowStandardization()(x * 7.0 - 3.0))
    kept = [0, 2, 3, 4]
    np.testing.assert_allclose(again[kept, :, :3], out[kept, :, :3], rtol=1e-3, atol=1e-3)
    clone = WindowStandardization.from_config(WindowStandardization(epsilon=0.5).get_config())
    assert clone.epsilon == 0.5 and clone.keep_levels
    shape_only = WindowStandardization(epsilon=1e-6, keep_levels=False)
    assert WindowStandardization.from_config(shape_only.get_config()).keep_levels is False
    np.testing.assert_array_equal(np.asarray(shape_only(x)), out[:, :, :3])
    assert shape_only.compute_output_shape((None, 40, 3)) == (None, 40, 3)
    with pytest.raises(ValueError, match="epsilon"):
        WindowStandardization(epsilon=0.0)


def test_window_levels_reach_the_branches_and_survive_a_save(tmp_path):
    shapes = {"gsr": (40, 1), "acc": (320, 3)}
    model = build_model("signal_fusion", shapes, n_outputs=3, window_norm="levels")
    # the filter banks read the standardised channels and the two levels of each channel
    assert model.get_layer("acc_filter_bank").input.shape[-1] == 9
    assert model.get_layer("gsr_filter_bank").input.shape[-1] == 3
    path = tmp_path / "levels.keras"
    model.save(path)
    reloaded = keras.models.load_model(path)
    assert reloaded.window_norm == "levels"
    inputs = _inputs(shapes)
    np.testing.assert_allclose(
        np.asarray(reloaded(inputs, training=False)["label"]),
        np.asarray(model(inputs, training=False)["label"]),
        atol=1e-6,
    )
    # a person's gain and offset change nothing but the level channels
    shifted = {k: v * 3.0 + 1.0 for k, v in inputs.items()}
    layer = model.get_layer("gsr_window_standardization")
    np.testing.assert_allclose(
        np.asarray(layer(shifted["gsr"]))[..., :1],
        np.asarray(layer(inputs["gsr"]))[..., :1],
        atol=1e-4,
    )
