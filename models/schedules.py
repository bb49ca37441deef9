"""Learning-rate schedules shared by the registered models' ``compile`` functions."""

from __future__ import annotations

import keras


@keras.saving.register_keras_serializable(package="amigos_emo")
class CosineDecay(keras.optimizers.schedules.CosineDecay):
    """:class:`keras.optimizers.schedules.CosineDecay` whose length can change after tracing.

    Same arguments, config and values. Keras's schedule puts ``decay_steps`` into the traced
    training step as a constant; here it is read from a variable, so :meth:`set_decay_steps`
    gives a compiled model the decay length of another fold (the runner reuses one compiled
    model across folds whose training sets differ by a batch or two). Registered as
    ``amigos_emo>CosineDecay``.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._steps = keras.Variable(
            float(self.decay_steps), dtype="float32", trainable=False, name="decay_steps"
        )

    def set_decay_steps(self, decay_steps):
        """Decay over ``decay_steps`` optimiser steps from now on (config included)."""
        if decay_steps <= 0:
            raise ValueError(f"decay_steps must be > 0. Received: decay_steps={decay_steps}")
        self.decay_steps = decay_steps
        self._steps.assign(float(decay_steps))

    def __call__(self, step):
        fixed = self.decay_steps
        self.decay_steps = self._steps.value  # the traced step reads the variable
        try:
            return super().__call__(step)
        finally:
            self.decay_steps = fixed
