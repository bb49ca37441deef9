"""EEGNet tests (the shared harness covers config/.keras/SavedModel/XLA/mixed precision)."""

import keras
import numpy as np
import pytest

from amigos_emo.models import build_model, get_model_entry
from amigos_emo.models.eegnet import EEGNET_PRESETS, EEGNet, compile_eegnet


def _trainable(model):
    return sum(int(np.prod(w.shape)) for w in model.trainable_weights)


def test_eegnet_8_2_parameter_count_at_22_channels_256_samples():
    model = build_model("eegnet", {"eeg": (256, 22)}, n_outputs=4)
    f1, d, f2, chans, kernel, separable = 8, 2, 16, 22, 64, 16
    expected = (
        kernel * f1  # temporal conv, no bias
        + 2 * f1  # batch norm scale and offset
        + chans * f1 * d  # depthwise spatial conv
        + 2 * f1 * d
        + separable * f1 * d
        + f1 * d * f2  # separable: depthwise + pointwise
        + 2 * f2
        + f2 * (256 // 32) * 4
        + 4  # dense
    )
    assert _trainable(model) == expected == 1972  # braindecode's EEGNet count
    assert model.count_params() == 1972 + 2 * (f1 + f1 * d + f2)  # + moving mean/variance


@pytest.mark.parametrize(("sfreq", "kernels"), [(128.0, (64, 16)), (200.0, (100, 25))])
def test_kernels_follow_the_rate_the_dataset_declares(sfreq, kernels):
    signals = {"eeg": {"sfreq_hz": sfreq, "channels": ["A", "B", "C", "D"]}}
    model = get_model_entry("eegnet").build({"eeg": (256, 4)}, signals=signals)
    assert model.get_layer("temporal_conv").kernel_size == (kernels[0], 1)
    assert model.get_layer("separable_conv").kernel_size == (kernels[1], 1)
    assert model.sfreq == sfreq
    assert build_model("eegnet", {"eeg": (256, 4)}).sfreq == EEGNET_PRESETS["eegnet_8_2"]["sfreq"]
    with pytest.raises(ValueError, match=f"input at {sfreq:g} Hz. Received: sfreq=250"):
        get_model_entry("eegnet").build({"eeg": (256, 4)}, signals=signals, sfreq=250.0)
    model = build_model("eegnet", {"eeg": (256, 4)}, sfreq=250.0, kernel_length=33)
    assert model.get_layer("temporal_conv").kernel_size == (33, 1)
    assert model.get_layer("separable_conv").kernel_size == (31, 1)  # round(250 / 8)


def test_registered_entry():
    entry = get_model_entry("eegnet")
    assert (entry.inputs, entry.outputs, entry.task) == (("eeg",), ("label",), "classification")
    assert set(entry.presets) == {"eegnet_8_2", "tiny"} and entry.signal_aware


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"input_shapes": {"ecg": (64, 2)}}, "'eeg'"),
        ({"input_shapes": {"eeg": (64,)}}, r"Received: input_shapes\['eeg'\]=\(64,\)"),
        ({"input_shapes": {"eeg": (16, 4)}}, "Received: n_times=16"),
        ({"n_chans": 5}, "n_chans disagrees .* expected 4. Received: n_chans=5"),
        ({"n_outputs": 1}, "Received: n_outputs=1"),
        ({"dropout": 1.0}, "Received: dropout=1.0"),
        ({"preset": "bci"}, "Received: preset='bci'"),
        ({"units": 3}, "Unknown eegnet arguments"),
    ],
)
def test_build_errors_name_the_argument(kwargs, match):
    arguments = {"input_shapes": {"eeg": (64, 4)}, "preset": "tiny", **kwargs}
    with pytest.raises(ValueError, match=match):
        build_model("eegnet", **arguments)


def test_max_norm_constraints_hold_after_training():
    keras.utils.set_random_seed(0)
    model = build_model("eegnet", {"eeg": (32, 4)}, n_outputs=2, preset="tiny")
    compile_eegnet(model, learning_rate=1.0)  # a huge step, so the constraints must act
    rng = np.random.default_rng(0)
    x = {"eeg": 10 * rng.standard_normal((16, 32, 4)).astype("float32")}
    y = {"label": np.eye(2, dtype="float32")[rng.integers(0, 2, 16)]}
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    spatial = model.get_layer("spatial_conv").kernel.numpy()  # (1, n_chans, F1, D)
    assert np.sqrt((spatial**2).sum(axis=(0, 1))).max() <= 1.0 + 1e-5
    dense = model.get_layer("label").kernel.numpy()  # (features, n_outputs)
    assert np.sqrt((dense**2).sum(axis=0)).max() <= 0.25 + 1e-5


def test_learns_frequency_classes():
    """Tiny learnability check: the class sets the frequency of the rhythm (2 vs 6 Hz at 16 Hz)."""
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    n, n_times, sfreq = 64, 32, 16.0
    labels = rng.integers(0, 2, n)
    t = np.arange(n_times) / sfreq
    freqs = np.where(labels == 1, 6.0, 2.0)
    phase = rng.uniform(0, 2 * np.pi, (n, 1))
    rhythm = np.sin(2 * np.pi * freqs[:, None] * t[None, :] + phase)
    eeg = rhythm[:, :, None] * rng.uniform(0.5, 1.5, (n, 1, 4)) + 0.3 * rng.standard_normal(
        (n, n_times, 4)
    )
    model = EEGNet(n_chans=4, n_times=n_times, sfreq=sfreq, n_outputs=2, dropout=0.0)
    compile_eegnet(model, learning_rate=1e-2)
    history = model.fit(
        {"eeg": eeg.astype("float32")},
        {"label": np.eye(2, dtype="float32")[labels]},
        epochs=10,
        batch_size=16,
        verbose=0,
    )
    assert history.history["accuracy"][-1] > 0.9
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]


@pytest.mark.parametrize("preset", sorted(EEGNET_PRESETS))
def test_every_preset_builds(preset):
    model = build_model("eegnet", {"eeg": (256, 4)}, n_outputs=3, preset=preset)
    assert model.output_shape == (None, 3)
    assert model.temporal_kernel == round(EEGNET_PRESETS[preset]["sfreq"] / 2)
