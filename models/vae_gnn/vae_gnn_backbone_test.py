import logging
import zipfile

import h5py
import keras
import numpy as np
import pytest

from amigos_emo._logging import logger
from amigos_emo.models import build_model, get_model_entry
from amigos_emo.models.vae_gnn.vae_gnn_backbone import VAEGNN
from amigos_emo.models.vae_gnn.vae_gnn_presets import VAE_GNN_PRESETS

TINY = dict(VAE_GNN_PRESETS["tiny"])  # grid (64, 9, 9), 5 bands x 4 nodes x 3 features


def _data(n=8, seed=0, learnable=False):
    rng = np.random.default_rng(seed)
    x = {
        "eeg_grid": rng.normal(size=(n, 64, 9, 9)).astype("float32"),
        "node_features": rng.normal(size=(n, 5, 4, 3)).astype("float32"),
        "adjacency": rng.random((n, 5, 4, 4)).astype("float32") / 4,
    }
    valence, arousal = rng.integers(0, 2, n), rng.integers(0, 2, n)
    if learnable:  # the labels are written into the node features of two bands
        x["node_features"][:, 0] += 2.0 * (2 * valence - 1)[:, None, None]
        x["node_features"][:, 1] += 2.0 * (2 * arousal - 1)[:, None, None]
    y = {
        "valence": valence[:, None].astype("float32"),
        "arousal": arousal[:, None].astype("float32"),
    }
    return x, y


def test_outputs_and_auxiliary_graph_shapes():
    model = VAEGNN(**TINY)
    x, _ = _data(3)
    out = model(x, training=False)
    assert set(out) == {"valence", "arousal"}
    for value in out.values():
        value = np.asarray(value)
        assert value.shape == (3, 1) and value.dtype == np.float32
        assert np.all((value > 0) & (value < 1))
    full = model._full_graph(x, training=False)
    assert full["reconstruction"].shape == (3, 64, 9, 9)
    assert full["fusion"].shape == (3, TINY["gru_units"] + TINY["latent_dim"])
    assert full["z_mean"].shape == (3, TINY["latent_dim"])


def test_no_weight_is_duplicated_and_centers_are_trainable():
    model = VAEGNN(**TINY)
    ids = [id(w) for w in model.weights]
    assert len(ids) == len(set(ids))
    assert "triplet_center/centers" in [w.path for w in model.trainable_weights]


def test_xla_on_cpu_hint_is_readable_from_the_class_and_instances():
    assert VAEGNN.xla_on_cpu is False and VAEGNN(**TINY).xla_on_cpu is False


def test_decoder_weights_are_tracked_counted_and_trained():
    model = VAEGNN(**TINY)
    tracked = {id(w) for w in model.trainable_weights}
    used = model._full_graph.trainable_weights + model.triplet_center.trainable_weights
    assert {id(w) for w in used} == tracked
    decoder = [w for w in model.trainable_weights if w.path.startswith("decoder_")]
    assert sorted(w.path for w in decoder) == sorted(
        f"decoder_{layer}/{kind}"
        for layer in ("dense", "deconv1", "deconv2", "deconv3")
        for kind in ("kernel", "bias")
    )
    assert model.count_params() == sum(int(np.prod(w.shape)) for w in used)
    x, y = _data(4, seed=3)
    model.compile(optimizer=keras.optimizers.Adam(1e-2))
    before = [w.numpy().copy() for w in decoder]
    model.train_on_batch(x, y)
    for weight, old in zip(decoder, before, strict=True):
        assert not np.array_equal(weight.numpy(), old), weight.path


class _Records(logging.Handler):
    def __init__(self):
        super().__init__()
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def test_old_layout_with_an_untracked_decoder_loads_every_weight_with_a_warning(tmp_path):
    model = VAEGNN(**TINY)
    model.save(tmp_path / "new.keras")
    # Without the attribute Keras saves the decoder as it did before the fix: under
    # _full_graph/ (the untracked view), with no decoder_layers/ group.
    del model.decoder_layers
    model.save(tmp_path / "old.keras")
    with zipfile.ZipFile(tmp_path / "old.keras") as archive:
        archive.extract("model.weights.h5", tmp_path)
    with h5py.File(tmp_path / "model.weights.h5") as h5:
        assert "decoder_layers" not in h5 and "_full_graph/layers/dense_2/vars/0" in h5
    records = _Records()
    logger.addHandler(records)
    try:
        reloaded = keras.saving.load_model(tmp_path / "new.keras")
        assert not records.messages
        old = keras.saving.load_model(tmp_path / "old.keras")
    finally:
        logger.removeHandler(records)
    assert len(records.messages) == 1 and "never trained" in records.messages[0]
    for other in (reloaded, old):
        assert [w.path for w in other.weights] == [w.path for w in model.weights]
        for weight, expected in zip(other.weights, model.weights, strict=True):
            np.testing.assert_array_equal(weight.numpy(), expected.numpy(), err_msg=weight.path)


def _h5_paths(path, tmp_path):
    with zipfile.ZipFile(path) as archive:
        archive.extract("model.weights.h5", tmp_path / path.stem)
    paths = []
    with h5py.File(tmp_path / path.stem / "model.weights.h5") as h5:
        h5.visit(paths.append)
    return sorted(paths)


def test_a_file_saved_with_keras_conv3d_layers_loads_into_the_blocked_layers(tmp_path, monkeypatch):
    from amigos_emo.models.vae_gnn import vae_gnn_backbone, vae_gnn_layers

    # The model as it was built before the time-blocked layers: keras's own classes.
    with monkeypatch.context() as patch:
        patch.setattr(vae_gnn_backbone, "Conv3D", keras.layers.Conv3D)
        patch.setattr(vae_gnn_backbone, "Conv3DTranspose", keras.layers.Conv3DTranspose)
        old = VAEGNN(**TINY)
    assert type(old.get_layer("encoder_conv1")) is keras.layers.Conv3D
    old.save(tmp_path / "old.keras")
    loaded = keras.saving.load_model(tmp_path / "old.keras")
    convs = [loaded.get_layer(f"encoder_conv{i}") for i in (1, 2, 3)]
    deconvs = [layer for layer in loaded.decoder_layers if "deconv" in layer.name]
    assert all(type(layer) is vae_gnn_layers.Conv3D for layer in convs)
    assert len(deconvs) == 3
    assert all(type(layer) is vae_gnn_layers.Conv3DTranspose for layer in deconvs)
    assert [w.path for w in loaded.weights] == [w.path for w in old.weights]
    for weight, expected in zip(loaded.weights, old.weights, strict=True):
        np.testing.assert_array_equal(weight.numpy(), expected.numpy(), err_msg=weight.path)
    x, _ = _data(3, seed=4)
    expected, got = old._full_graph(x, training=False), loaded._full_graph(x, training=False)
    for name in ("valence", "arousal", "reconstruction"):
        np.testing.assert_allclose(np.asarray(got[name]), np.asarray(expected[name]), atol=1e-5)
    # Saved again, the file has exactly the old layout (same weight paths in the .h5).
    loaded.save(tmp_path / "new.keras")
    old_paths = _h5_paths(tmp_path / "old.keras", tmp_path)
    assert _h5_paths(tmp_path / "new.keras", tmp_path) == old_paths
    assert any("conv3d_transpose" in p for p in old_paths)


@pytest.mark.slow
def test_dreamer_preset_builds_runs_and_trains_one_step():
    model = VAEGNN(**VAE_GNN_PRESETS["dreamer"])
    # 3,291,762 encoder, graph and head weights + 1,597,873 decoder weights.
    assert model.count_params() == 4_889_635
    rng = np.random.default_rng(10)
    x = {
        "eeg_grid": rng.normal(size=(2, 1280, 9, 9)).astype("float32"),
        "node_features": rng.normal(size=(2, 5, 14, 10)).astype("float32"),
        "adjacency": rng.random((2, 5, 14, 14)).astype("float32") / 14,
    }
    y = {
        "valence": np.array([[0.0], [1.0]], "float32"),
        "arousal": np.array([[1.0], [1.0]], "float32"),
    }
    model.compile(optimizer=keras.optimizers.Adam(1e-3, clipnorm=1.0))
    logs = model.train_on_batch(x, y, return_dict=True)
    assert np.isfinite(logs["loss"])
    assert model._full_graph(x)["reconstruction"].shape == (2, 1280, 9, 9)


def test_compute_loss_reuses_the_forward_pass_when_a_wrapper_passes_the_heads_through():
    model = VAEGNN(**TINY)
    x, y = _data(3, seed=11)
    passes = []
    full_graph = model._full_graph
    object.__setattr__(
        model, "_full_graph", lambda *a, **k: passes.append(1) or full_graph(*a, **k)
    )
    y_pred = dict(model(x, training=False))  # a new dict holding the same head tensors
    model.compute_loss(x, y, y_pred, training=False)
    assert len(passes) == 1
    model.compute_loss(x, y, {k: v + 0 for k, v in y_pred.items()}, training=False)
    assert len(passes) == 2  # other tensors: a fresh pass


# --- registry entry points (build_vae_gnn / compile_vae_gnn) ---

SHAPES = {"eeg_grid": (64, 9, 9), "node_features": (5, 4, 3), "adjacency": (5, 4, 4)}


def test_registered_entry():
    entry = get_model_entry("vae_gnn")
    assert entry.inputs == ("eeg_grid", "node_features", "adjacency")
    assert entry.outputs == ("valence", "arousal") and entry.task == "binary"
    dreamer = entry.presets["dreamer"]
    assert (
        dreamer["n_times"],
        dreamer["n_bands"],
        dreamer["n_nodes"],
        dreamer["n_node_feats"],
    ) == (1280, 5, 14, 10)


def test_build_takes_shapes_from_input_shapes_and_compile_clips_gradients():
    entry = get_model_entry("vae_gnn")
    model = entry.build(SHAPES, preset="tiny")
    assert (model.n_times, model.n_nodes, model.n_node_feats) == (64, 4, 3)
    entry.compile(model)
    assert isinstance(model.optimizer, keras.optimizers.Adam) and model.optimizer.clipnorm == 1.0


def test_build_errors_name_the_problem():
    with pytest.raises(ValueError, match="leave n_outputs at None. Received: n_outputs=2"):
        build_model("vae_gnn", SHAPES, n_outputs=2, preset="tiny")
    with pytest.raises(ValueError, match="Missing: \\['adjacency'\\]"):
        build_model("vae_gnn", {k: v for k, v in SHAPES.items() if k != "adjacency"}, preset="tiny")
    with pytest.raises(ValueError, match="\\(5, 4, 4\\) to match node_features"):
        build_model("vae_gnn", {**SHAPES, "adjacency": (5, 14, 14)}, preset="tiny")
    with pytest.raises(ValueError, match="n_nodes disagrees .* expected 4. Received: n_nodes=14"):
        build_model("vae_gnn", SHAPES, preset="tiny", n_nodes=14)
