"""GRU classifier for flat feature vectors read as a sequence of chunks.

Built for the Kaggle "EEG brainwave: feeling emotions" ``emotions.csv`` (2548 statistical and
spectral features of Muse windows, 3 classes) and for the feature vectors the package computes
from raw Muse windows. The input ``features`` ``(n_features,)`` (float32, normalised by the
trainer) is cut into ``n_steps`` consecutive chunks of ``ceil(n_features / n_steps)`` features,
zero-padded at the end to fill the last chunk, so the GRU reads ``(n_steps, chunk_size)``. With
``n_steps=None`` every feature is one step (``chunk_size=1``), the seed's layout. The GRU returns
every step; they are flattened, and a float32 softmax ``label`` ``(batch, n_outputs)`` reads them.

The GRU is Keras's own layer. A ``keras.layers.GRU`` subclass computing every step's input
projection as one product before the loop (same weights and outputs to 1e-6, gradients to 1e-5)
was measured no faster on CPU (TensorFlow, 2 intra-op threads, batch 32, ``fast`` preset's
28 x 91 input, forward and backward of the GRU: 9.25 against 9.29 ms, per-round ratios
0.91-1.07), so it was not kept.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import keras

from amigos_emo._checks import check_count, check_option, check_positive, validate_type
from amigos_emo._logging import logger
from amigos_emo.models.gru_classifier.gru_classifier_presets import (
    DEFAULT_PRESET,
    GRU_CLASSIFIER_PRESETS,
)
from amigos_emo.models.schedules import CosineDecay

INPUT_NAMES = ("features",)
OUTPUT_NAMES = ("label",)
DEFAULT_N_OUTPUTS = 3


@keras.saving.register_keras_serializable(package="amigos_emo")
class GRUClassifierBackbone(keras.Model):
    """Feature vector -> chunks -> GRU (all steps) -> Flatten -> softmax ``label``.

    Args:
        n_features: length of the feature vector (2548 for ``emotions.csv``).
        n_outputs: number of classes of the softmax output.
        n_steps: number of chunks (GRU steps), ``1 <= n_steps <= n_features``; ``None`` reads
            one feature per step.
        gru_units: GRU width.
        dropout: dropout rate on the flattened GRU outputs, in [0, 1).
        **kwargs: ``name``, ``trainable`` (forwarded to ``keras.Model``).

    Example:
        >>> model = GRUClassifierBackbone(n_features=2548, n_steps=28, gru_units=64)
        >>> model.output_shape
        (None, 3)
    """

    def __init__(
        self,
        n_features,
        n_outputs=DEFAULT_N_OUTPUTS,
        n_steps=None,
        gru_units=256,
        dropout=0.0,
        **kwargs,
    ):
        n_features = check_count(n_features, "n_features")
        n_outputs = check_count(n_outputs, "n_outputs")
        if n_outputs < 2:
            raise ValueError(
                f"n_outputs must be >= 2 classes for a softmax. Received: n_outputs={n_outputs}"
            )
        n_steps = check_count(n_steps, "n_steps", allow_none=True)
        if n_steps is not None and n_steps > n_features:
            raise ValueError(
                f"n_steps must be <= n_features ({n_features}). Received: n_steps={n_steps}"
            )
        gru_units = check_count(gru_units, "gru_units")
        validate_type(dropout, "numeric", "dropout")
        if not 0 <= dropout < 1:
            raise ValueError(f"dropout must be in [0, 1). Received: dropout={dropout!r}")
        kwargs.setdefault("name", "gru_classifier")
        sequence_length = n_features if n_steps is None else n_steps
        chunk_size = math.ceil(n_features / sequence_length)
        n_padding = sequence_length * chunk_size - n_features

        # === Layers ===
        inputs = {"features": keras.Input(shape=(n_features,), name="features")}
        as_sequence = keras.layers.Reshape((n_features, 1), name="as_sequence")
        padding = (
            keras.layers.ZeroPadding1D((0, n_padding), name="pad_to_chunks") if n_padding else None
        )
        to_chunks = keras.layers.Reshape((sequence_length, chunk_size), name="to_chunks")
        gru = keras.layers.GRU(gru_units, return_sequences=True, name="gru")
        flatten = keras.layers.Flatten(name="flatten")
        dropout_layer = keras.layers.Dropout(dropout, name="dropout") if dropout > 0 else None
        head = keras.layers.Dense(n_outputs, activation="softmax", name="label", dtype="float32")

        # === Functional Model ===
        x = as_sequence(inputs["features"])
        if padding is not None:
            x = padding(x)
        x = to_chunks(x)
        x = flatten(gru(x))
        if dropout_layer is not None:
            x = dropout_layer(x)
        outputs = {"label": head(x)}
        super().__init__(inputs=inputs, outputs=outputs, **kwargs)

        # === Config ===
        self.n_features = n_features
        self.n_outputs = n_outputs
        self.n_steps = n_steps
        self.gru_units = gru_units
        self.dropout = float(dropout)
        self.chunk_size = chunk_size

    def get_config(self):
        return {
            "name": self.name,
            "trainable": self.trainable,
            "n_features": self.n_features,
            "n_outputs": self.n_outputs,
            "n_steps": self.n_steps,
            "gru_units": self.gru_units,
            "dropout": self.dropout,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)


_TUNABLE_ARGUMENTS = ("n_steps", "gru_units", "dropout", "name")


def build_gru_classifier(input_shapes, n_outputs=None, preset=None, **overrides):
    """Registry ``build``: an uncompiled :class:`GRUClassifierBackbone`.

    Args:
        input_shapes: mapping with ``"features"``: ``(n_features,)`` (extra keys are ignored).
        n_outputs: number of classes (default 3: negative, neutral, positive).
        preset: ``"fast"`` (default) or ``"seed"``. A preset's ``n_steps`` larger than
            ``n_features`` is lowered to ``n_features`` (an explicit ``n_steps`` is not).
        **overrides: constructor arguments that replace the preset's.

    Returns:
        The uncompiled model; input ``features``, output ``label`` ``(batch, n_outputs)``
        float32 softmax.
    """
    validate_type(input_shapes, Mapping, "input_shapes")
    if "features" not in input_shapes:
        raise ValueError(
            "input_shapes must give the per-example shape of 'features'. "
            f"Received: input_shapes={dict(input_shapes)!r}"
        )
    shape = tuple(input_shapes["features"])
    if len(shape) != 1:
        raise ValueError(
            "input_shapes['features'] must be (n_features,), a flat vector without the batch "
            f"axis. Received: input_shapes['features']={shape!r}"
        )
    extra = sorted(set(input_shapes) - set(INPUT_NAMES))
    if extra:
        logger.debug("gru_classifier ignores the inputs %s", extra)
    preset = DEFAULT_PRESET if preset is None else preset
    check_option(preset, tuple(GRU_CLASSIFIER_PRESETS), "preset")
    unknown = sorted(set(overrides) - set(_TUNABLE_ARGUMENTS))
    if unknown:
        raise ValueError(
            f"Unknown gru_classifier arguments {unknown}. Expected some of "
            f"{list(_TUNABLE_ARGUMENTS)}. Received: overrides={overrides!r}"
        )
    arguments = {**GRU_CLASSIFIER_PRESETS[preset], **overrides}
    preset_steps = arguments["n_steps"]
    if "n_steps" not in overrides and preset_steps is not None and preset_steps > shape[0]:
        # A preset's chunk count cannot exceed a short vector: read one feature per step.
        logger.info(
            "gru_classifier preset %r has n_steps=%d > n_features=%d; using n_steps=%d",
            preset,
            preset_steps,
            shape[0],
            shape[0],
        )
        arguments["n_steps"] = shape[0]
    return GRUClassifierBackbone(
        n_features=shape[0],
        n_outputs=DEFAULT_N_OUTPUTS if n_outputs is None else n_outputs,
        **arguments,
    )


def compile_gru_classifier(
    model,
    *,
    steps_per_epoch=100,
    epochs=10,
    jit_compile=False,
    learning_rate=1e-3,
    lr_schedule="constant",
    label_smoothing=0.0,
):
    """Registry ``compile``: Adam, categorical cross-entropy on one-hot ``label``, accuracy.

    Args:
        model: a model with a softmax output ``label``.
        steps_per_epoch: optimiser steps per epoch (used by the cosine schedule).
        epochs: epochs planned (used by the cosine schedule).
        jit_compile: compile the train step with XLA.
        learning_rate: Adam learning rate (initial one under ``"cosine"``).
        lr_schedule: ``"constant"`` (the seed's) or ``"cosine"`` (decay to 5% over
            ``steps_per_epoch * epochs``).
        label_smoothing: ``keras.losses.CategoricalCrossentropy`` label smoothing in [0, 1).
    """
    validate_type(model, keras.Model, "model")
    if "label" not in model.output_names:
        raise ValueError(
            f"model must have an output 'label'. Received: model with outputs {model.output_names}"
        )
    steps_per_epoch = check_count(steps_per_epoch, "steps_per_epoch")
    epochs = check_count(epochs, "epochs")
    check_positive(learning_rate, "learning_rate")
    check_option(lr_schedule, ("constant", "cosine"), "lr_schedule")
    validate_type(label_smoothing, "numeric", "label_smoothing")
    if not 0 <= label_smoothing < 1:
        raise ValueError(
            f"label_smoothing must be in [0, 1). Received: label_smoothing={label_smoothing!r}"
        )
    if lr_schedule == "cosine":
        learning_rate = CosineDecay(
            initial_learning_rate=learning_rate, decay_steps=steps_per_epoch * epochs, alpha=0.05
        )
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
        loss={"label": keras.losses.CategoricalCrossentropy(label_smoothing=label_smoothing)},
        metrics={"label": [keras.metrics.CategoricalAccuracy(name="accuracy")]},
        jit_compile=jit_compile,
    )
    return model
