"""Registry glue for GRU-XNet: ``build`` and ``compile``.

Training defaults: Adam (learning rate 1e-3), optionally on a cosine-decay schedule over
``steps_per_epoch * epochs`` steps, categorical cross-entropy on one-hot ``label`` targets,
accuracy metric.
"""

from __future__ import annotations

import keras

from amigos_emo._checks import check_option
from amigos_emo.models.gru_xnet.gru_xnet_backbone import GRUXNet
from amigos_emo.models.gru_xnet.gru_xnet_presets import DEFAULT_PRESET, GRU_XNET_PRESETS

INPUT_NAME = "stft"
OUTPUT_NAME = "label"
_SIGNAL_PARAMS = ("n_chans", "n_frames", "n_freqs")


def build(input_shapes, n_outputs=None, preset=None, **overrides):
    """Build an uncompiled :class:`GRUXNet` for ``input_shapes``.

    Args:
        input_shapes: ``{"stft": (n_chans, n_frames, n_freqs)}``, per example, no batch axis.
        n_outputs: number of classes; ``None`` takes the preset's.
        preset: a name in :data:`GRU_XNET_PRESETS`; ``None`` means ``"deap"``.
        **overrides: any :class:`GRUXNet` argument, applied over the preset (e.g.
            ``variant="dynamic"``).

    Returns:
        The uncompiled model (input ``stft``, output ``label``).

    Raises:
        ValueError: unknown preset, a missing ``stft`` shape, or ``n_chans``/``n_frames``/
            ``n_freqs`` overrides that disagree with ``input_shapes``.
    """
    preset = DEFAULT_PRESET if preset is None else preset
    if preset not in GRU_XNET_PRESETS:
        known = ", ".join(sorted(GRU_XNET_PRESETS))
        raise ValueError(
            f"Unknown gru_xnet preset. Expected one of: {known}. Received: preset={preset!r}"
        )
    shape = input_shapes.get(INPUT_NAME) if isinstance(input_shapes, dict) else None
    if shape is None or len(tuple(shape)) != 3:
        raise ValueError(
            f"input_shapes must map {INPUT_NAME!r} to (n_chans, n_frames, n_freqs). "
            f"Received: input_shapes={input_shapes!r}"
        )
    data_params = dict(zip(_SIGNAL_PARAMS, (int(s) for s in shape), strict=True))
    for key, value in data_params.items():
        if key in overrides and overrides[key] != value:
            raise ValueError(
                f"{key} disagrees with input_shapes[{INPUT_NAME!r}]={tuple(shape)}: expected "
                f"{value}. Received: {key}={overrides[key]}"
            )
    config = {**GRU_XNET_PRESETS[preset], **overrides, **data_params}
    if n_outputs is not None:
        config["n_outputs"] = n_outputs
    return GRUXNet(input_name=INPUT_NAME, output_name=OUTPUT_NAME, **config)


def compile(
    model,
    *,
    steps_per_epoch=100,
    epochs=10,
    jit_compile=False,
    learning_rate=1e-3,
    lr_schedule=None,
    label_smoothing=0.0,
    clipnorm=None,
):
    """Compile ``model`` with Adam and categorical cross-entropy (in place).

    Args:
        model: a model from :func:`build`.
        steps_per_epoch: optimiser steps per epoch (for the cosine schedule).
        epochs: epochs (for the cosine schedule).
        jit_compile: compile the train step with XLA.
        learning_rate: the (initial) Adam learning rate.
        lr_schedule: ``None`` (constant) or ``"cosine"`` (cosine decay to 0 over
            ``steps_per_epoch * epochs`` steps).
        label_smoothing: categorical cross-entropy label smoothing.
        clipnorm: optional gradient-norm clipping.
    """
    check_option(lr_schedule, (None, "cosine"), "lr_schedule")
    if lr_schedule == "cosine":
        learning_rate = keras.optimizers.schedules.CosineDecay(
            learning_rate, decay_steps=max(1, int(steps_per_epoch) * int(epochs))
        )
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=learning_rate, clipnorm=clipnorm),
        loss={OUTPUT_NAME: keras.losses.CategoricalCrossentropy(label_smoothing=label_smoothing)},
        metrics={OUTPUT_NAME: [keras.metrics.CategoricalAccuracy(name="accuracy")]},
        jit_compile=jit_compile,
    )
