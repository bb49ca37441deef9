"""The two element-wise layers of Shallow ConvNet: squaring and a floored logarithm.

Both compute in float32 whatever the dtype policy (a square of a float16 activation overflows
above 256, and the log floor 1e-6 is below float16's normal range), and return float32; Keras
casts the next layer's input back to its compute dtype.
"""

from __future__ import annotations

import keras

from amigos_emo._checks import check_positive


@keras.saving.register_keras_serializable(package="amigos_emo")
class Square(keras.layers.Layer):
    """``x ** 2`` element-wise (Shallow ConvNet's "squaring nonlinearity").

    Args:
        **kwargs: forwarded to ``keras.layers.Layer`` (``name``, ...); the dtype is float32.

    Inputs: any float tensor. Outputs: float32 tensor of the same shape.
    """

    def __init__(self, **kwargs):
        kwargs["dtype"] = "float32"
        super().__init__(**kwargs)

    def call(self, inputs):
        return keras.ops.square(keras.ops.cast(inputs, "float32"))

    def compute_output_shape(self, input_shape):
        return input_shape


@keras.saving.register_keras_serializable(package="amigos_emo")
class SafeLog(keras.layers.Layer):
    """``log(max(x, epsilon))`` element-wise (Shallow ConvNet's log of the pooled power).

    Args:
        epsilon: floor applied before the logarithm (> 0); 1e-6 as in braindecode.
        **kwargs: forwarded to ``keras.layers.Layer`` (``name``, ...); the dtype is float32.

    Inputs: any float tensor (non-negative in Shallow ConvNet). Outputs: float32, same shape.
    """

    def __init__(self, epsilon=1e-6, **kwargs):
        check_positive(epsilon, "epsilon")
        kwargs["dtype"] = "float32"
        super().__init__(**kwargs)
        self.epsilon = float(epsilon)

    def call(self, inputs):
        return keras.ops.log(keras.ops.maximum(keras.ops.cast(inputs, "float32"), self.epsilon))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon}
