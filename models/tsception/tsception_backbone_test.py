"""TSception tests (the shared harness covers save/export/XLA/mixed precision)."""

import keras
import numpy as np
import pytest

from amigos_emo.constants import deap
from amigos_emo.models import build_model, get_model_entry
from amigos_emo.models.tsception.tsception_layers import hemisphere_order
from amigos_emo.models.tsception.tsception_presets import TSCEPTION_PRESETS


def _trainable(model):
    return sum(int(np.prod(w.shape)) for w in model.trainable_weights)


def test_parameter_count_at_the_papers_deap_setting():
    model = build_model("tsception", {"eeg": (512, 32)}, n_outputs=2, preset="deap")
    t, s, chans, hidden = 15, 15, 28, 32
    expected = (
        (64 * t + t)
        + (32 * t + t)
        + (16 * t + t)  # temporal kernels 0.5/0.25/0.125 s
        + 2 * t
        + (t * s * chans + s)
        + (t * s * chans // 2 + s)  # global and hemisphere kernels
        + 2 * s
        + (s * s * 3 + s)  # fusion
        + 2 * s
        + (s * hidden + hidden)
        + (hidden * 2 + 2)
    )
    assert _trainable(model) == expected == 12_563
    assert model.get_layer("spatial_concat").output.shape[2] == 3  # global + two hemispheres


def test_temporal_kernels_follow_sfreq():
    model = build_model("tsception", {"eeg": (800, 62)}, n_outputs=3, preset="seed")
    kernels = [model.get_layer(f"temporal_conv_{i}").kernel_size[0] for i in (1, 2, 3)]
    assert kernels == [100, 50, 25]
    assert len(model.channel_order) == 54


def test_the_hemisphere_gather_feeds_the_convolutions():
    model = build_model("tsception", {"eeg": (512, 32)}, preset="deap")
    probe = keras.Model(model.inputs, model.get_layer("hemisphere_order").output)
    eeg = np.random.default_rng(0).standard_normal((2, 512, 32)).astype("float32")
    order = list(hemisphere_order(deap.EEG_CHANNELS))
    np.testing.assert_array_equal(np.asarray(probe({"eeg": eeg})), eeg[:, :, order])


def test_every_corpus_preset_names_electrodes_that_pair_up():
    for name, preset in TSCEPTION_PRESETS.items():
        if preset["channel_names"] is not None:
            order = hemisphere_order(preset["channel_names"])
            assert len(order) >= 4 and len(order) % 2 == 0, name
        assert preset["sfreq"] in (16.0, 128.0, 200.0, 256.0), name


def test_registered_entry_and_errors():
    entry = get_model_entry("tsception")
    assert (entry.inputs, entry.outputs, entry.task) == (("eeg",), ("label",), "classification")
    with pytest.raises(ValueError, match="preset 'amigos' names 14 electrodes .* n_chans=32"):
        build_model("tsception", {"eeg": (512, 32)})
    build_model("tsception", {"eeg": (512, 32)}, channel_names=None)  # input already arranged
    with pytest.raises(ValueError, match="n_chans must be even .* Received: n_chans=5"):
        build_model("tsception", {"eeg": (64, 5)}, preset="tiny")
    with pytest.raises(ValueError, match="Received: 2 channel_names"):
        build_model("tsception", {"eeg": (64, 4)}, preset="tiny", channel_names=("F3", "F4"))
    with pytest.raises(ValueError, match="too short .* Received: n_times=70"):
        build_model("tsception", {"eeg": (70, 14)})


@pytest.mark.parametrize("preset", sorted(set(TSCEPTION_PRESETS) - {"tiny", "arranged_128hz"}))
def test_every_corpus_preset_builds_on_a_4_s_window_of_its_corpus(preset):
    names = TSCEPTION_PRESETS[preset]["channel_names"]
    n_times = int(4 * TSCEPTION_PRESETS[preset]["sfreq"])
    model = build_model("tsception", {"eeg": (n_times, len(names))}, n_outputs=3, preset=preset)
    assert model.output_shape == (None, 3)
    assert model.get_layer("temporal_conv_1").kernel_size[0] == n_times // 8  # 0.5 s
