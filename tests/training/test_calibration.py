"""ECE by hand, temperature scaling on over-confident probabilities, the Keras layer round-trip."""

import keras
import numpy as np
import pytest

from amigos_emo.training import calibration


def test_ece_against_a_hand_computed_example():
    # 4 examples, 2 bins (0, .5], (.5, 1]:
    #   confidences .9 (correct), .8 (wrong), .6 (correct) -> bin 2: acc 2/3, conf .7667
    #   confidence .5 (class 0 on a tie; true 1, wrong)  -> bin 1: acc 0, conf .5
    p = np.array([[0.9, 0.1], [0.2, 0.8], [0.4, 0.6], [0.5, 0.5]])
    y = np.array([0, 0, 1, 1])
    expected = 3 / 4 * abs(2 / 3 - (0.9 + 0.8 + 0.6) / 3) + 1 / 4 * abs(0 - 0.5)
    assert calibration.expected_calibration_error(p, y, n_bins=2) == pytest.approx(expected)
    # A sigmoid head's p is read as [1 - p, p]: the same numbers.
    assert calibration.expected_calibration_error(p[:, 1], y, n_bins=2) == pytest.approx(expected)
    assert calibration.expected_calibration_error(p[:, 1:], y, n_bins=2) == pytest.approx(expected)


def _slow_ece(p, y, n_bins):
    total = 0.0
    for b in range(n_bins):
        lo, hi = b / n_bins, (b + 1) / n_bins
        members = [
            i for i in range(len(p)) if (lo < p[i].max() <= hi) or (b == 0 and p[i].max() == 0)
        ]
        if members:
            acc = np.mean([p[i].argmax() == y[i] for i in members])
            conf = np.mean([p[i].max() for i in members])
            total += len(members) / len(p) * abs(acc - conf)
    return total


def test_ece_matches_a_slow_loop_on_random_inputs():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(300, 4)) * 3
    p = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    y = rng.integers(0, 4, 300)
    assert calibration.expected_calibration_error(p, y, 10) == pytest.approx(_slow_ece(p, y, 10))


def test_bad_inputs_fail_clearly():
    with pytest.raises(ValueError, match="in \\[0, 1\\]"):
        calibration.expected_calibration_error(np.array([[1.5, -0.5]]), [0])
    with pytest.raises(ValueError, match="one label per prediction"):
        calibration.expected_calibration_error(np.array([[0.5, 0.5]]), [0, 1])
    with pytest.raises(ValueError, match="temperature must be > 0"):
        calibration.TemperatureScaling(temperature=0.0)


def _overconfident(n, n_classes, seed):
    """True probabilities softmax(z); the 'model' outputs softmax(3 z): over-confident."""
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(n, n_classes))
    true_p = np.exp(z) / np.exp(z).sum(1, keepdims=True)
    y = np.array([rng.choice(n_classes, p=row) for row in true_p])
    sharp = np.exp(3 * z) / np.exp(3 * z).sum(1, keepdims=True)
    return sharp, y


def test_temperature_fitted_on_validation_reduces_test_nll_and_ece():
    val_p, val_y = _overconfident(2000, 3, seed=1)
    test_p, test_y = _overconfident(2000, 3, seed=2)
    t = calibration.fit_temperature(val_p, val_y)
    assert t == pytest.approx(3.0, rel=0.15)
    summary = calibration.calibration_summary(val_p, val_y, test_p, test_y)
    assert summary["nll_after"] < summary["nll_before"]
    assert summary["ece_after"] < 0.5 * summary["ece_before"]
    assert summary["temperature_at_bound"] is False
    # Confident and always wrong on validation: T runs to the upper bound, and says so.
    wrong = calibration.calibration_summary(val_p, (val_p.argmax(1) + 1) % 3, test_p, test_y)
    assert wrong["temperature_at_bound"] is True
    assert wrong["temperature"] == pytest.approx(np.exp(calibration.LOG_T_BOUNDS[1]), rel=1e-3)
    # The predicted class never changes.
    np.testing.assert_array_equal(
        calibration.apply_temperature(test_p, t).argmax(1), test_p.argmax(1)
    )


def test_binary_temperature_matches_the_two_class_softmax():
    rng = np.random.default_rng(3)
    p = rng.uniform(0.01, 0.99, size=50)
    scaled = calibration.apply_temperature(p, 2.0)
    logit = np.log(p) - np.log1p(-p)
    np.testing.assert_allclose(scaled, 1 / (1 + np.exp(-logit / 2.0)), rtol=1e-6)


def test_layer_matches_numpy():
    rng = np.random.default_rng(4)
    z = rng.normal(size=(6, 4)).astype("float32")
    p = np.exp(z) / np.exp(z).sum(1, keepdims=True)
    out = np.asarray(calibration.TemperatureScaling(1.7)(p))
    np.testing.assert_allclose(out, calibration.apply_temperature(p, 1.7), rtol=1e-5, atol=1e-6)
    q = rng.uniform(0.05, 0.95, size=(6, 1)).astype("float32")
    out = np.asarray(calibration.TemperatureScaling(0.5, binary=True)(q))
    np.testing.assert_allclose(out, calibration.apply_temperature(q, 0.5), rtol=1e-5, atol=1e-6)


def _trained_like_model():
    inputs = {"features": keras.Input(shape=(5,), name="features")}
    hidden = keras.layers.Dense(8, activation="relu", name="hidden")(inputs["features"])
    outputs = {
        "label": keras.layers.Dense(3, activation="softmax", name="label")(hidden),
        "transition": keras.layers.Dense(1, activation="sigmoid", name="transition")(hidden),
        "valence": keras.layers.Dense(1, name="valence")(hidden),
    }
    return keras.Model(inputs, outputs)


def test_calibrated_model_round_trips_through_keras_file(tmp_path):
    model = _trained_like_model()
    x = {"features": np.random.default_rng(5).normal(size=(7, 5)).astype("float32") * 3}
    raw = model.predict(x, verbose=0)
    calibrated = calibration.calibrate_model(model, {"label": 2.5, "transition": 0.7})
    out = calibrated.predict(x, verbose=0)
    np.testing.assert_allclose(
        out["label"], calibration.apply_temperature(raw["label"], 2.5), rtol=1e-4, atol=1e-6
    )
    np.testing.assert_allclose(
        out["transition"],
        calibration.apply_temperature(raw["transition"], 0.7),
        rtol=1e-4,
        atol=1e-6,
    )
    np.testing.assert_array_equal(out["valence"], raw["valence"])
    path = tmp_path / "calibrated.keras"
    calibrated.save(path)
    reloaded = keras.saving.load_model(path)
    again = reloaded.predict(x, verbose=0)
    for head in ("label", "transition", "valence"):
        np.testing.assert_array_equal(again[head], out[head])
    with pytest.raises(ValueError, match="does not output: arousal"):
        calibration.calibrate_model(model, {"arousal": 2.0})


def test_reliability_diagram_is_written(tmp_path):
    p, y = _overconfident(200, 3, seed=6)
    path = calibration.plot_reliability_diagram(
        p, y, tmp_path / "r.png", "test", calibrated=calibration.apply_temperature(p, 3.0)
    )
    assert (tmp_path / "r.png").stat().st_size > 1000 and path == tmp_path / "r.png"
