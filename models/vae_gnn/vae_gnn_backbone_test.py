import keras
import numpy as np
import pytest

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


def test_compute_loss_is_the_weighted_sum_of_its_terms_and_honours_sample_weights():
    model = VAEGNN(**TINY)
    x, y = _data(6, seed=2)
    y_pred = model(x, training=False)
    total = float(model.compute_loss(x, y, y_pred, training=False))
    terms = {k: float(v) for k, v in model.loss_terms(x, y, training=False).items()}
    assert set(terms) == {"focal", "triplet", "vae"} and all(v >= 0 for v in terms.values())
    np.testing.assert_allclose(total, sum(terms.values()), rtol=1e-5)
    # Zero weight on the last three examples == the loss of the first three alone.
    weights = np.array([1, 1, 1, 0, 0, 0], "float32")
    weighted = float(
        model.compute_loss(x, y, model(x, training=False), sample_weight=weights, training=False)
    )
    first = {k: v[:3] for k, v in x.items()}
    alone = float(
        model.compute_loss(
            first, {k: v[:3] for k, v in y.items()}, model(first, training=False), training=False
        )
    )
    np.testing.assert_allclose(weighted, alone, rtol=1e-5)


def test_twenty_training_steps_on_random_data_stay_finite():
    keras.utils.set_random_seed(0)
    model = VAEGNN(**TINY)
    model.compile(optimizer=keras.optimizers.Adam(1e-2, clipnorm=1.0))
    x, y = _data(16, seed=3)
    history = model.fit(x, y, batch_size=4, epochs=5, verbose=0)  # 4 steps x 5 epochs = 20 steps
    assert len(history.history["loss"]) == 5
    assert np.all(np.isfinite(history.history["loss"]))
    assert all(np.all(np.isfinite(w.numpy())) for w in model.weights)


def test_loss_decreases_and_heads_learn_on_a_learnable_toy_problem():
    keras.utils.set_random_seed(1)
    model = VAEGNN(**{**TINY, "dropout": 0.0})
    model.compile(
        optimizer=keras.optimizers.Adam(3e-3, clipnorm=1.0),
        metrics={"valence": ["binary_accuracy"], "arousal": ["binary_accuracy"]},
    )
    x, y = _data(64, seed=4, learnable=True)
    before = {k: float(v) for k, v in model.loss_terms(x, y, training=False).items()}
    history = model.fit(x, y, batch_size=16, epochs=12, verbose=0).history
    after = {k: float(v) for k, v in model.loss_terms(x, y, training=False).items()}
    # The grid is pure noise (its reconstruction error cannot go far below 1), but the total
    # falls and the label-driven terms fall a lot.
    assert history["loss"][-1] < history["loss"][0]
    assert after["focal"] < 0.5 * before["focal"] and after["triplet"] < before["triplet"]
    assert (
        history["valence_binary_accuracy"][-1] > 0.8
        and history["arousal_binary_accuracy"][-1] > 0.8
    )


def test_keras_round_trip_keeps_the_triplet_centers(tmp_path):
    model = VAEGNN(**TINY)
    model.triplet_center.centers.assign(
        np.random.default_rng(5).normal(size=(4, 16)).astype("float32")
    )
    path = tmp_path / "vae_gnn.keras"
    model.save(path)
    restored = keras.saving.load_model(path)
    np.testing.assert_array_equal(
        restored.triplet_center.centers.numpy(), model.triplet_center.centers.numpy()
    )
    x, y = _data(2)
    np.testing.assert_allclose(
        float(restored.compute_loss(x, y, restored(x), training=False)),
        float(model.compute_loss(x, y, model(x), training=False)),
        rtol=1e-6,
    )


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"n_times": 100}, "n_times=100, time_strides=\\[4, 4, 4\\]"),
        ({"spatial_stride": 2}, "spatial_stride=2, grid 9x9"),
        ({"vae_filters": [2, 3]}, "Received: vae_filters=\\[2, 3\\]"),
        ({"focal_alpha": 1.5}, "Received: focal_alpha=1.5"),
        ({"beta_vae": -1.0}, "Received: beta_vae=-1.0"),
    ],
)
def test_bad_arguments_are_named(override, message):
    with pytest.raises(ValueError, match=message):
        VAEGNN(**{**TINY, **override})


@pytest.mark.parametrize("policy", ["mixed_float16", "mixed_bfloat16"])
def test_composite_loss_under_mixed_precision_is_float32_and_finite(policy):
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(policy)
    try:
        model = VAEGNN(**TINY)
        x, y = _data(4, seed=6)
        loss = model.compute_loss(x, y, model(x, training=True), training=True)
    finally:
        keras.config.set_dtype_policy(previous)
    assert keras.backend.standardize_dtype(loss.dtype) == "float32"
    assert np.isfinite(float(loss))


def test_compute_loss_runs_a_fresh_pass_for_foreign_predictions():
    model = VAEGNN(**TINY)
    x, y = _data(3, seed=7)
    other_x, _ = _data(3, seed=8)
    expected = float(model.compute_loss(x, y, model(x, training=False), training=False))
    model(other_x, training=False)  # the last pass now belongs to other inputs
    foreign = {k: v for k, v in model(x, training=False).items()}  # a copy, not the returned dict
    model(other_x, training=False)
    np.testing.assert_allclose(
        float(model.compute_loss(x, y, foreign, training=False)), expected, rtol=1e-6
    )


def test_fit_and_evaluate_log_the_three_loss_terms():
    model = VAEGNN(**TINY)
    model.compile(optimizer=keras.optimizers.Adam(1e-3, clipnorm=1.0))
    x, y = _data(8, seed=9)
    history = model.fit(x, y, batch_size=4, epochs=1, verbose=0).history
    assert {"loss", "focal_loss", "triplet_loss", "vae_loss"} <= set(history)
    logs = model.evaluate(x, y, batch_size=4, verbose=0, return_dict=True)
    parts = logs["focal_loss"] + logs["triplet_loss"] + logs["vae_loss"]
    np.testing.assert_allclose(logs["loss"], parts, rtol=1e-5)


@pytest.mark.slow
def test_dreamer_preset_builds_runs_and_trains_one_step():
    model = VAEGNN(**VAE_GNN_PRESETS["dreamer"])
    assert model.count_params() == 3_291_762
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
