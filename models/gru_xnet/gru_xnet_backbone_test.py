import keras
import numpy as np
import pytest

from amigos_emo.models import build_model, get_model_entry
from amigos_emo.models.gru_xnet.gru_xnet_backbone import (
    GRUXNet,
    build_gru_xnet,
    cnn_output_frames,
    compile_gru_xnet,
)
from amigos_emo.models.gru_xnet.gru_xnet_presets import GRU_XNET_PRESETS

# 3 channels, 12 frames, 10 freqs, 3 classes; filters 2/3/4.
TINY = {**GRU_XNET_PRESETS["tiny"], "n_chans": 3, "n_frames": 12, "n_freqs": 10, "n_outputs": 3}
# The ``stft`` shapes the package's builders write (DEAP, GAMEEMO, SEED-IV): only for tests.
CORPUS_STFT_SHAPES = {"deap": (32, 33, 23), "gameemo": (14, 9, 23), "seed_iv": (62, 9, 51)}


def _inputs(batch=2, seed=0, shape=(3, 12, 10)):
    return {"stft": np.random.default_rng(seed).normal(size=(batch, *shape)).astype("float32")}


def _randomise_batch_norm(model, rng):
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            gamma, beta, mean, var = layer.get_weights()
            layer.set_weights(
                [
                    rng.uniform(0.5, 2, gamma.shape),
                    rng.normal(size=beta.shape),
                    rng.normal(size=mean.shape),
                    rng.uniform(0.5, 2, var.shape),
                ]
            )


def _reference_channel_cnn(model, x):
    """Float64 NumPy loop: one separate CNN per channel built from that channel's weight slices."""
    features = []
    for c in range(x.shape[1]):
        h = x[:, c, :, :, None].astype(np.float64)  # (batch, frames, freqs, 1)
        for block in (1, 2, 3):
            (kernel,) = model.get_layer(f"channel_cnn{block}_conv").get_weights()
            gamma, beta, mean, var = model.get_layer(f"channel_cnn{block}_bn").get_weights()
            eps = model.get_layer(f"channel_cnn{block}_bn").epsilon
            n_out = kernel.shape[-1] // x.shape[1]
            own = slice(c * n_out, (c + 1) * n_out)
            k = kernel[..., own].astype(np.float64)  # (3, 3, n_in_per_channel, n_out)
            padded = np.pad(h, ((0, 0), (1, 1), (1, 1), (0, 0)))
            conv = np.zeros(h.shape[:3] + (n_out,))
            for di in range(3):
                for dj in range(3):
                    conv += padded[:, di : di + h.shape[1], dj : dj + h.shape[2], :] @ k[di, dj]
            h = np.maximum((conv - mean[own]) / np.sqrt(var[own] + eps) * gamma[own] + beta[own], 0)
            rows, cols = -(-h.shape[1] // 2) * 2, -(-h.shape[2] // 2) * 2
            h = np.pad(
                h,
                ((0, 0), (0, rows - h.shape[1]), (0, cols - h.shape[2]), (0, 0)),
                constant_values=-np.inf,
            )
            h = h.reshape(h.shape[0], rows // 2, 2, cols // 2, 2, n_out).max(axis=(2, 4))
        features.append(h)
    return np.concatenate(features, axis=-1)  # channel-major filters, like the grouped conv


def test_grouped_channel_cnn_equals_one_cnn_per_channel():
    model = GRUXNet(**TINY)
    _randomise_batch_norm(model, np.random.default_rng(3))
    cnn = keras.Model(model.inputs, model.get_layer("channel_cnn3_relu").output)
    x = _inputs(batch=2, seed=1)
    got = np.asarray(cnn(x, training=False))
    assert got.shape == (2, 2, 2, 3 * 4)
    np.testing.assert_allclose(got, _reference_channel_cnn(model, x["stft"]), atol=1e-4)


def test_channel_features_depend_only_on_their_own_channel():
    model = GRUXNet(**TINY)
    cnn = keras.Model(model.inputs, model.get_layer("channel_cnn3_relu").output)
    x = _inputs(batch=1, seed=2)
    base = np.asarray(cnn(x, training=False))
    n_filters = TINY["cnn_filters"][-1]
    for channel in range(3):
        perturbed = {"stft": x["stft"].copy()}
        perturbed["stft"][:, channel] += np.random.default_rng(channel).normal(size=(12, 10)) * 5
        changed = (
            np.abs(np.asarray(cnn(perturbed, training=False)) - base).max(axis=(0, 1, 2)) > 1e-6
        )
        own = np.zeros(3 * n_filters, bool)
        own[channel * n_filters : (channel + 1) * n_filters] = True
        assert not changed[~own].any(), f"channel {channel} leaked into other channels' features"
        assert changed[own].any()


@pytest.mark.parametrize("variant", ["standard", "dynamic"])
def test_forward_shapes_dtypes_probabilities(variant):
    model = GRUXNet(**{**TINY, "variant": variant})
    out = model(_inputs(batch=3), training=False)
    assert set(out) == {"label"}
    probs = np.asarray(out["label"])
    assert probs.shape == (3, 3) and probs.dtype == np.float32
    np.testing.assert_allclose(probs.sum(-1), 1.0, atol=1e-5)


def test_dynamic_variant_averages_per_frame_probabilities():
    model = GRUXNet(**{**TINY, "variant": "dynamic"})
    frames = keras.Model(model.inputs, model.get_layer("frame_probabilities").output)
    x = _inputs(batch=2, seed=4)
    per_frame = np.asarray(frames(x, training=False))
    assert per_frame.shape == (2, cnn_output_frames(12), 3)
    np.testing.assert_allclose(
        np.asarray(model(x, training=False)["label"]), per_frame.mean(axis=1), atol=1e-6
    )


def test_flatten_frequency_pooling_feeds_every_bin_to_the_fusion():
    model = GRUXNet(**{**TINY, "freq_pooling": "flatten"})
    assert model.get_layer("channel_fusion").input.shape == (None, 2, 2 * 3 * 4)


def test_cnn_output_frames():
    assert [cnn_output_frames(n) for n in (1, 8, 9, 33, 51)] == [1, 1, 2, 5, 7]


def test_config_round_trip():
    model = GRUXNet(**{**TINY, "variant": "dynamic"}, name="gx")
    clone = GRUXNet.from_config(model.get_config())
    assert clone.get_config() == model.get_config()
    clone.set_weights(model.get_weights())
    x = _inputs()
    np.testing.assert_allclose(
        np.asarray(clone(x)["label"]), np.asarray(model(x)["label"]), atol=1e-6
    )


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"n_heads": 3}, "n_heads=3, gru_units=4"),
        ({"variant": "static"}, "Received: variant='static'"),
        ({"cnn_filters": [2, 3]}, "Received: cnn_filters=\\[2, 3\\]"),
        ({"n_chans": 0}, "Received: n_chans=0"),
        ({"freq_pooling": "max"}, "Received: freq_pooling='max'"),
    ],
)
def test_bad_arguments_are_named(override, message):
    with pytest.raises(ValueError, match=message):
        GRUXNet(**{**TINY, **override})


def test_outputs_equal_the_earlier_einsum_form_for_the_same_weights():
    model = GRUXNet(**TINY)
    _randomise_batch_norm(model, np.random.default_rng(5))
    x = _inputs(batch=3, seed=6)
    convs = [layer for layer in model.layers if hasattr(layer, "groups")]
    assert [layer.implementation for layer in convs] == ["auto"] * 3
    assert [layer._resolved_implementation(layer.kernel.shape[2]) for layer in convs] == [
        "depthwise",
        "split",
        "split",
    ]
    fast = np.asarray(model(x, training=False)["label"])
    for layer in convs:
        layer.implementation = "einsum"
    slow = np.asarray(model(x, training=False)["label"])
    np.testing.assert_allclose(fast, slow, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    ("override", "message"),
    [
        (
            {"cnn_filters": [2, 0, 4]},
            "cnn_filters\\[1\\] must be > 0. Received: cnn_filters\\[1\\]=0",
        ),
        (
            {"head_units": []},
            "head_units must have at least one entry. Received: head_units=\\[\\]",
        ),
        ({"dropout": 1.0}, "dropout must be in \\[0, 1\\). Received: dropout=1.0"),
        ({"gru_units": 2.5}, "gru_units must be int. Received: gru_units=2.5"),
    ],
)
def test_shared_checks_name_the_argument(override, message):
    with pytest.raises((ValueError, TypeError), match=message):
        GRUXNet(**{**TINY, **override})


# === Registry glue: build_gru_xnet / compile_gru_xnet ===


def test_registered_entry_uses_the_backbone_functions():
    entry = get_model_entry("gru_xnet")
    assert entry.build is build_gru_xnet and entry.compile is compile_gru_xnet
    assert entry.inputs == ("stft",) and entry.outputs == ("label",)
    assert entry.task == "classification"
    assert {"standard", "tiny"} <= set(entry.presets)
    for preset in entry.presets.values():  # sizes only: the shape and classes come from the data
        assert not {"n_chans", "n_frames", "n_freqs", "n_outputs"} & set(preset)


def test_build_takes_signal_parameters_from_input_shapes():
    model = build_model("gru_xnet", {"stft": (2, 9, 7)}, n_outputs=2, preset="tiny")
    assert (model.n_chans, model.n_frames, model.n_freqs, model.n_outputs) == (2, 9, 7, 2)
    assert model.output_shape == (None, 2)
    default = build_gru_xnet({"stft": (2, 9, 7)}, preset="tiny")
    assert default.n_outputs == 4 and default.cnn_filters == [2, 3, 4]


def test_default_preset_is_standard_and_corpus_names_are_deprecated_aliases():
    shapes = {"stft": CORPUS_STFT_SHAPES["gameemo"]}
    model = build_gru_xnet(shapes)
    expected = {k: v for k, v in GRU_XNET_PRESETS["standard"].items()}
    assert {k: model.get_config()[k] for k in expected} == expected
    with pytest.warns(DeprecationWarning, match="preset 'seed_iv' is deprecated.*'standard'"):
        old = build_gru_xnet(shapes, preset="seed_iv")
    assert old.get_config() | {"name": None} == model.get_config() | {"name": None}


def test_build_errors_name_the_argument():
    with pytest.raises(ValueError, match="n_chans disagrees .* expected 2. Received: n_chans=32"):
        build_model("gru_xnet", {"stft": (2, 9, 7)}, preset="tiny", n_chans=32)
    with pytest.raises(ValueError, match="Received: preset='deap_v2'"):
        build_model("gru_xnet", {"stft": (2, 9, 7)}, preset="deap_v2")
    with pytest.raises(ValueError, match="'stft'"):
        build_model("gru_xnet", {"stft": (9, 7)}, preset="tiny")


def test_compile_cosine_schedule_and_fit_lowers_loss():
    keras.utils.set_random_seed(0)
    entry = get_model_entry("gru_xnet")
    model = entry.build({"stft": (3, 12, 10)}, n_outputs=2, preset="tiny", dropout=0.0)
    entry.compile(model, steps_per_epoch=4, epochs=5, lr_schedule="cosine", learning_rate=1e-2)
    schedule = model.optimizer._learning_rate  # Keras keeps the schedule object here
    assert isinstance(schedule, keras.optimizers.schedules.CosineDecay)
    assert schedule.decay_steps == 20 and schedule.initial_learning_rate == 1e-2
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 64)
    x = {
        "stft": rng.normal(size=(64, 3, 12, 10)).astype("float32")
        + (2 * y - 1)[:, None, None, None]
    }
    history = model.fit(
        x, {"label": np.eye(2, dtype="float32")[y]}, epochs=5, batch_size=16, verbose=0
    )
    losses = history.history["loss"]
    assert np.all(np.isfinite(losses)) and losses[-1] < losses[0]
    with pytest.raises(ValueError, match="Received: lr_schedule='linear'"):
        entry.compile(model, lr_schedule="linear")


@pytest.mark.slow
@pytest.mark.parametrize(
    ("corpus", "n_params"),
    [("deap", 4_991_620), ("gameemo", 2_721_604), ("seed_iv", 8_774_980)],
)
def test_standard_preset_at_each_corpus_shape_builds_and_runs(corpus, n_params):
    shape = CORPUS_STFT_SHAPES[corpus]
    model = build_gru_xnet({"stft": shape}, n_outputs=4, preset="standard")
    assert model.count_params() == n_params
    probs = np.asarray(model(_inputs(batch=1, shape=shape), training=False)["label"])
    assert probs.shape == (1, 4)
    np.testing.assert_allclose(probs.sum(), 1.0, atol=1e-5)


@pytest.mark.parametrize("variant", ["standard", "dynamic"])
def test_fused_call_equals_the_functional_graph(variant, monkeypatch):
    """``model(x)`` (block 1 fused) == the graph run layer by layer: outputs, grads, stats."""
    import tensorflow as tf

    from amigos_emo.models.gru_xnet import gru_xnet_backbone
    from amigos_emo.models.gru_xnet.gru_xnet_layers import (
        can_fuse_conv_block,
        fused_conv_block,
        grouped_conv_blocks,
    )

    fused_calls, grouped_calls = [], []

    def counting_fused_conv_block(*args, **kwargs):
        fused_calls.append(kwargs["training"])
        return fused_conv_block(*args, **kwargs)

    def counting_grouped_conv_blocks(*args, **kwargs):
        grouped_calls.append(kwargs["training"])
        return grouped_conv_blocks(*args, **kwargs)

    monkeypatch.setattr(gru_xnet_backbone, "fused_conv_block", counting_fused_conv_block)
    monkeypatch.setattr(gru_xnet_backbone, "grouped_conv_blocks", counting_grouped_conv_blocks)

    model = GRUXNet(**{**TINY, "variant": variant, "dropout": 0.0})
    _randomise_batch_norm(model, np.random.default_rng(13))
    # The same layers, run node by node.
    graph = keras.Model({"stft": model.inputs[0]}, {"label": model.outputs[0]})
    x = _inputs(batch=4, seed=14)
    block = [model.get_layer(f"channel_cnn1_{part}") for part in ("conv", "bn", "pool", "relu")]
    assert can_fuse_conv_block(*block, keras.KerasTensor((None, 12, 10, 3)))
    initial = model.get_weights()
    for training in (False, True):
        results = []
        for net in (model, graph):
            model.set_weights(initial)
            with tf.GradientTape() as tape:
                probs = net(x, training=training)["label"]
                loss = tf.reduce_sum(probs * tf.math.log(probs + 1e-3) * [1.0, 2.0, 3.0])
            grads = tape.gradient(loss, model.trainable_weights)
            assert all(g is not None for g in grads)
            results.append([probs.numpy(), *(g.numpy() for g in grads), *model.get_weights()])
        for ours, theirs in zip(*results, strict=True):
            np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-5)
    # The model took the fused and group-by-group paths, the graph did not.
    assert fused_calls == [False, True] and grouped_calls == [False, True]


@pytest.mark.slow  # about 20-30 s: two models traced through fit on the loaded CPU
def test_fused_call_trains_like_the_graph_under_fit():
    """A few fit steps through ``model.fit`` (fused) and the graph end at the same weights."""
    rng = np.random.default_rng(15)
    x = _inputs(batch=8, seed=16)
    y = {"label": np.eye(3, dtype="float32")[rng.integers(0, 3, 8)]}
    finals = []
    for use_graph in (False, True):
        keras.utils.set_random_seed(1)
        model = GRUXNet(**{**TINY, "dropout": 0.0})
        graph = keras.Model({"stft": model.inputs[0]}, {"label": model.outputs[0]})
        net = graph if use_graph else model
        net.compile(optimizer=keras.optimizers.Adam(1e-2), loss="categorical_crossentropy")
        net.fit(x, y, epochs=2, batch_size=4, shuffle=False, verbose=0)
        finals.append(model.get_weights())
    for ours, theirs in zip(*finals, strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-3, atol=1e-4)
