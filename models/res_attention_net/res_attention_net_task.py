"""Registry glue for ResAttentioNet: ``build``, ``compile`` and the seed's callbacks.

Training defaults (the seed's): AdamW (learning rate 5e-5, weight decay 1e-4), categorical
cross-entropy with label smoothing 0.1 on one-hot ``label`` targets, reduce-on-plateau of the
learning rate on ``val_loss`` (factor 0.5, patience 5, floor 1e-6; see
:func:`default_callbacks`), and balanced class weights, which the trainer computes from the
training labels (``sklearn.utils.class_weight.compute_class_weight("balanced", ...)``). The model
has dict outputs, for which Keras refuses ``fit(class_weight=...)``; pass the weights per
example instead: ``fit(..., sample_weight=class_weights[y_int])``.
"""

from __future__ import annotations

import keras

from amigos_emo.models.res_attention_net.res_attention_net_backbone import ResAttentioNet
from amigos_emo.models.res_attention_net.res_attention_net_presets import (
    DEFAULT_PRESET,
    RES_ATTENTION_NET_PRESETS,
)

INPUT_NAME = "de"
OUTPUT_NAME = "label"


def build(input_shapes, n_outputs=None, preset=None, **overrides):
    """Build an uncompiled :class:`ResAttentioNet` for ``input_shapes``.

    Args:
        input_shapes: ``{"de": (n_steps, n_chans * n_bands)}``, per-example, no batch axis.
        n_outputs: number of classes; ``None`` takes the preset's.
        preset: a name in :data:`RES_ATTENTION_NET_PRESETS`; ``None`` means ``"seed_iv"``.
        **overrides: any :class:`ResAttentioNet` argument, applied over the preset.

    Returns:
        The uncompiled model (input ``de``, output ``label``).

    Raises:
        ValueError: unknown preset, a missing ``de`` shape, or signal parameters (``n_steps``,
            ``n_chans``, ``n_bands``) that disagree with ``input_shapes``.
    """
    preset = DEFAULT_PRESET if preset is None else preset
    if preset not in RES_ATTENTION_NET_PRESETS:
        known = ", ".join(sorted(RES_ATTENTION_NET_PRESETS))
        raise ValueError(
            f"Unknown res_attention_net preset. Expected one of: {known}. Received: preset={preset!r}"
        )
    if INPUT_NAME not in input_shapes:
        raise ValueError(
            f"input_shapes must have the key {INPUT_NAME!r} with shape (n_steps, n_chans * n_bands). "
            f"Received: input_shapes={input_shapes!r}"
        )
    shape = tuple(input_shapes[INPUT_NAME])
    if len(shape) != 2:
        raise ValueError(
            f"input_shapes[{INPUT_NAME!r}] must be (n_steps, n_chans * n_bands). Received: {shape}"
        )
    config = dict(RES_ATTENTION_NET_PRESETS[preset])
    # The signal parameters follow the data unless the caller set them explicitly.
    n_steps, n_features = int(shape[0]), int(shape[1])
    n_bands = overrides.get("n_bands", config.get("n_bands", 5))
    if n_features % n_bands:
        raise ValueError(
            f"The number of DE features per step must be n_chans * n_bands. Received: "
            f"input_shapes[{INPUT_NAME!r}]={shape} with n_bands={n_bands}"
        )
    data_params = {"n_steps": n_steps, "n_chans": n_features // n_bands, "n_bands": n_bands}
    for key, value in data_params.items():
        if key in overrides and overrides[key] != value:
            raise ValueError(
                f"{key} disagrees with input_shapes[{INPUT_NAME!r}]={shape}: expected {value}. "
                f"Received: {key}={overrides[key]}"
            )
    config.update(overrides)
    config.update(data_params)
    if n_outputs is not None:
        config["n_outputs"] = n_outputs
    return ResAttentioNet(input_name=INPUT_NAME, output_name=OUTPUT_NAME, **config)


def compile(
    model,
    *,
    steps_per_epoch=100,
    epochs=10,
    jit_compile=False,
    learning_rate=5e-5,
    weight_decay=1e-4,
    label_smoothing=0.1,
    clipnorm=None,
):
    """Compile ``model`` with the seed's optimiser, loss and metrics (in place).

    The learning rate is a plain float (not a schedule) so that
    :class:`keras.callbacks.ReduceLROnPlateau` from :func:`default_callbacks` can lower it;
    ``steps_per_epoch`` and ``epochs`` are accepted for the registry contract and unused.

    Args:
        model: a model from :func:`build`.
        steps_per_epoch: unused (registry contract).
        epochs: unused (registry contract).
        jit_compile: compile the train step with XLA.
        learning_rate: AdamW learning rate.
        weight_decay: AdamW decoupled weight decay.
        label_smoothing: categorical cross-entropy label smoothing.
        clipnorm: optional gradient-norm clipping.
    """
    del steps_per_epoch, epochs
    optimizer = keras.optimizers.AdamW(
        learning_rate=learning_rate, weight_decay=weight_decay, clipnorm=clipnorm
    )
    model.compile(
        optimizer=optimizer,
        loss={OUTPUT_NAME: keras.losses.CategoricalCrossentropy(label_smoothing=label_smoothing)},
        metrics={OUTPUT_NAME: [keras.metrics.CategoricalAccuracy(name="accuracy")]},
        jit_compile=jit_compile,
    )


def default_callbacks(monitor="val_loss"):
    """The seed's training callbacks: reduce-on-plateau (factor 0.5, patience 5, min 1e-6).

    Args:
        monitor: the logged quantity to watch (``"val_loss"`` in the seed; use ``"loss"`` when
            training without validation data).

    Returns:
        list of :class:`keras.callbacks.Callback`, fresh instances on every call.
    """
    return [
        keras.callbacks.ReduceLROnPlateau(
            monitor=monitor, factor=0.5, patience=5, min_lr=1e-6, verbose=0
        )
    ]
