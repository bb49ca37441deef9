import keras
import numpy as np
import pytest

from amigos_emo.models import build_model, get_model_entry
from amigos_emo.models.res_attention_net import default_callbacks


def test_registered_entry():
    entry = get_model_entry("res_attention_net")
    assert entry.inputs == ("de",) and entry.outputs == ("label",)
    assert entry.task == "classification"
    assert {"seed", "seed_iv", "seed_v", "seed_vii"} <= set(entry.presets)
    assert entry.presets["seed_iv"]["n_outputs"] == 4


def test_build_takes_signal_parameters_from_input_shapes():
    model = build_model("res_attention_net", {"de": (40, 15)}, n_outputs=2, preset="tiny")
    assert model.n_steps == 40 and model.n_chans == 3 and model.n_bands == 5
    assert model.output_shape == (None, 2)


def test_build_rejects_disagreeing_signal_parameters():
    with pytest.raises(ValueError, match="n_chans disagrees .* expected 3. Received: n_chans=62"):
        build_model("res_attention_net", {"de": (40, 15)}, preset="tiny", n_chans=62)
    with pytest.raises(ValueError, match="n_chans \\* n_bands"):
        build_model("res_attention_net", {"de": (40, 14)}, preset="tiny")
    with pytest.raises(ValueError, match="Received: preset='nope'"):
        build_model("res_attention_net", {"de": (40, 15)}, preset="nope")
    with pytest.raises(ValueError, match="'de'"):
        build_model("res_attention_net", {"eeg": (40, 15)}, preset="tiny")


def test_compile_and_fit_reduce_loss_on_separable_toy_data():
    keras.utils.set_random_seed(0)
    entry = get_model_entry("res_attention_net")
    model = entry.build({"de": (40, 10)}, n_outputs=2, preset="tiny", dropout=0.0)
    entry.compile(model, learning_rate=3e-3)
    assert isinstance(model.optimizer, keras.optimizers.AdamW)
    assert model.loss["label"].get_config()["label_smoothing"] == 0.1
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 64)
    x = {"de": rng.normal(size=(64, 40, 10)).astype("float32") + 1.5 * (2 * y - 1)[:, None, None]}
    targets = {"label": keras.utils.to_categorical(y, 2).astype("float32")}
    history = model.fit(x, targets, epochs=4, batch_size=16, verbose=0)
    losses = history.history["loss"]
    assert np.all(np.isfinite(losses)) and losses[-1] < losses[0]


def test_default_callbacks_hold_the_seed_schedule():
    (plateau,) = default_callbacks()
    assert isinstance(plateau, keras.callbacks.ReduceLROnPlateau)
    assert (plateau.monitor, plateau.factor, plateau.patience, plateau.min_lr) == (
        "val_loss",
        0.5,
        5,
        1e-6,
    )
    assert default_callbacks()[0] is not plateau
