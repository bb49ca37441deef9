import keras
import numpy as np
import pytest

from amigos_emo.models.shallow_convnet.shallow_convnet_layers import SafeLog, Square


def test_square_and_safe_log_match_numpy_in_float64():
    x = np.random.default_rng(0).standard_normal((3, 7, 2)).astype("float32")
    x[0, 0, 0] = 0.0
    squared = np.asarray(Square()(x))
    np.testing.assert_allclose(squared, x.astype("float64") ** 2, rtol=1e-6)
    logged = np.asarray(SafeLog(epsilon=1e-4)(squared))
    np.testing.assert_allclose(
        logged, np.log(np.maximum(x.astype("float64") ** 2, 1e-4)), rtol=1e-5
    )
    assert logged[0, 0, 0] == pytest.approx(np.log(1e-4))


def test_float32_under_mixed_precision_and_config():
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy("mixed_float16")
    try:
        layer = SafeLog(epsilon=1e-6, name="log")
        big = keras.ops.cast(np.full((2, 3), 300.0, "float32"), "float16")
        squared = Square()(big)
        assert squared.dtype == "float32"
        assert np.isfinite(np.asarray(squared)).all()
        assert np.asarray(squared)[0, 0] == pytest.approx(90000.0)
        assert layer(squared).dtype == "float32"
    finally:
        keras.config.set_dtype_policy(previous)
    clone = SafeLog.from_config(SafeLog(epsilon=1e-3, name="x").get_config())
    assert clone.epsilon == pytest.approx(1e-3) and clone.name == "x"
    with pytest.raises(ValueError, match="Received: epsilon=0"):
        SafeLog(epsilon=0)
