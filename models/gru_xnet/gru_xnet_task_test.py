import keras
import numpy as np
import pytest

from amigos_emo.models import build_model, get_model_entry


def test_registered_entry_and_preset_shapes():
    entry = get_model_entry("gru_xnet")
    assert (
        entry.inputs == ("stft",) and entry.outputs == ("label",) and entry.task == "classification"
    )
    shapes = {
        name: (p["n_chans"], p["n_frames"], p["n_freqs"]) for name, p in entry.presets.items()
    }
    assert shapes["deap"] == (32, 33, 23)
    assert shapes["gameemo"] == (14, 9, 23)
    assert shapes["seed_iv"] == (62, 9, 51)


def test_build_takes_signal_parameters_from_input_shapes():
    model = build_model("gru_xnet", {"stft": (2, 9, 7)}, n_outputs=2, preset="tiny")
    assert (model.n_chans, model.n_frames, model.n_freqs, model.n_outputs) == (2, 9, 7, 2)
    assert model.output_shape == (None, 2)


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
