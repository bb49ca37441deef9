"""TSception tests (the shared harness covers save/export/XLA/mixed precision)."""

import keras
import numpy as np
import pytest

from amigos_emo.constants import amigos, deap, dreamer, gameemo, muse, seed
from amigos_emo.models import build_model, get_model_entry
from amigos_emo.models.tsception.tsception_layers import hemisphere_order

# What the builders declare for their ``eeg`` input (rate, electrodes in order).
CORPUS_SIGNALS = {
    "amigos": (128.0, amigos.EEG_CHANNELS),
    "deap": (128.0, deap.EEG_CHANNELS),
    "dreamer": (128.0, dreamer.EEG_CHANNELS),
    "gameemo": (128.0, gameemo.EEG_CHANNELS),
    "muse": (256.0, muse.EEG_CHANNELS),
    "seed": (200.0, seed.EEG_CHANNELS),
}


def _signals(corpus):
    sfreq, names = CORPUS_SIGNALS[corpus]
    return {"eeg": {"sfreq_hz": sfreq, "channels": list(names)}}


def _trainable(model):
    return sum(int(np.prod(w.shape)) for w in model.trainable_weights)


def test_parameter_count_at_the_papers_deap_setting():
    model = get_model_entry("tsception").build(
        {"eeg": (512, 32)}, n_outputs=2, signals=_signals("deap")
    )
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
    model = get_model_entry("tsception").build(
        {"eeg": (800, 62)}, n_outputs=3, signals=_signals("seed")
    )
    kernels = [model.get_layer(f"temporal_conv_{i}").kernel_size[0] for i in (1, 2, 3)]
    assert kernels == [100, 50, 25]
    assert len(model.channel_order) == 54


def test_the_hemisphere_gather_feeds_the_convolutions():
    model = get_model_entry("tsception").build({"eeg": (512, 32)}, signals=_signals("deap"))
    probe = keras.Model(model.inputs, model.get_layer("hemisphere_order").output)
    eeg = np.random.default_rng(0).standard_normal((2, 512, 32)).astype("float32")
    order = list(hemisphere_order(deap.EEG_CHANNELS))
    np.testing.assert_array_equal(np.asarray(probe({"eeg": eeg})), eeg[:, :, order])


def test_every_corpus_montage_has_electrodes_that_pair_up():
    for corpus, (_, names) in CORPUS_SIGNALS.items():
        order = hemisphere_order(names)
        assert len(order) >= 4 and len(order) % 2 == 0, corpus


def test_registered_entry_and_errors():
    entry = get_model_entry("tsception")
    assert (entry.inputs, entry.outputs, entry.task) == (("eeg",), ("label",), "classification")
    assert entry.signal_aware
    build = entry.build
    with pytest.raises(ValueError, match="must name the 32 input electrodes .* Received: 14"):
        build({"eeg": (512, 32)}, signals=_signals("amigos"))
    build({"eeg": (512, 32)})  # no signals: input already arranged (the preset's None)
    with pytest.raises(ValueError, match="declares the 'eeg' input at 128 Hz. Received: sfreq=200"):
        build({"eeg": (512, 14)}, signals=_signals("amigos"), sfreq=200.0)
    with pytest.raises(ValueError, match="n_chans must be even .* Received: n_chans=5"):
        build_model("tsception", {"eeg": (64, 5)}, preset="tiny")
    with pytest.raises(ValueError, match="Received: 2 channel_names"):
        build_model("tsception", {"eeg": (64, 4)}, preset="tiny", channel_names=("F3", "F4"))
    with pytest.raises(ValueError, match="too short .* Received: n_times=70"):
        build_model("tsception", {"eeg": (70, 14)})


@pytest.mark.parametrize("corpus", sorted(CORPUS_SIGNALS))
def test_builds_on_a_4_s_window_of_every_corpus_from_its_declared_signals(corpus):
    sfreq, names = CORPUS_SIGNALS[corpus]
    n_times = int(4 * sfreq)
    model = get_model_entry("tsception").build(
        {"eeg": (n_times, len(names))}, n_outputs=3, signals=_signals(corpus)
    )
    assert model.output_shape == (None, 3)
    assert model.get_layer("temporal_conv_1").kernel_size[0] == n_times // 8  # 0.5 s
