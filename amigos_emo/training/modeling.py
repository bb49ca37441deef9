"""The model that is trained and saved: the registered architecture behind float32 input
normalisation (fitted on training subjects) and, for regression heads, a rescaling to the
rating scale. A saved ``.keras`` file or exported SavedModel therefore takes raw signals and
predicts ratings on their own scale."""

from __future__ import annotations

import numpy as np


def kept_axes(stats_mean_shape, reduce_axes_):
    """Batched axis indices that keep their own statistics (for ``keras.layers.Normalization``)."""
    rank = len(stats_mean_shape)
    return tuple(a + 1 for a in range(rank) if a not in reduce_axes_)


def wrap_model(core, input_stats, regression_stats, name):
    """Put normalisation in front of ``core`` and rescaling behind its regression heads.

    Args:
        core: the registered architecture (functional model with named inputs/outputs).
        input_stats: name -> :class:`~amigos_emo.training.pipeline.InputStats` or None.
        regression_stats: output name -> (mean, std) of the training targets.
        name: the wrapper's name.

    Returns:
        A functional ``keras.Model`` with the same input and output names as ``core``.
    """
    import keras

    from amigos_emo.training.pipeline import reduce_axes

    inputs, normalised = {}, {}
    for tensor in core.inputs:
        input_name = tensor.name.split(":")[0]
        shape = tuple(tensor.shape[1:])
        inputs[input_name] = keras.Input(shape=shape, name=input_name, dtype="float32")
        stats = input_stats.get(input_name)
        if stats is None:
            normalised[input_name] = inputs[input_name]
            continue
        axes = reduce_axes(input_name, len(shape))
        keep = kept_axes(shape, axes)
        mean = np.squeeze(stats.mean, axis=tuple(axes)) if axes else stats.mean
        std = np.squeeze(stats.std, axis=tuple(axes)) if axes else stats.std
        layer = keras.layers.Normalization(
            axis=keep if keep else None,
            mean=mean,
            variance=np.square(std),
            dtype="float32",
            name=f"normalise_{input_name}",
        )
        normalised[input_name] = layer(inputs[input_name])
    core_outputs = core(normalised)
    if not isinstance(core_outputs, dict):
        names = list(core.output_names)
        core_outputs = dict(zip(names, core_outputs if isinstance(core_outputs, list | tuple) else [core_outputs], strict=False))
    outputs = {}
    for output_name, tensor in core_outputs.items():
        if output_name in regression_stats:
            mean, std = regression_stats[output_name]
            tensor = keras.layers.Rescaling(
                scale=float(std), offset=float(mean), dtype="float32", name=output_name
            )(tensor)
        else:
            tensor = keras.layers.Identity(dtype="float32", name=output_name)(tensor)
        outputs[output_name] = tensor
    return keras.Model(inputs=inputs, outputs=outputs, name=name)
