"""Channel arrangement for TSception: the left hemisphere, then the mirrored right hemisphere.

TSception's second spatial kernel spans half the electrodes with a stride of half, so it sees
one hemisphere at a time and applies the SAME weights to both: the i-th electrode of the right
half must mirror the i-th of the left half (the paper's arrangement, e.g. 28 of DEAP's 32
electrodes: Fp1 ... O1, then Fp2 ... O2). :func:`hemisphere_order` derives that order from 10-20
names; :class:`SelectChannels` applies it inside the model.
"""

from __future__ import annotations

import re

import keras

from amigos_emo._checks import validate_type

_NAME = re.compile(r"^(?P<prefix>[A-Za-z]+)(?P<number>\d+)$")


def hemisphere_order(channel_names):
    """Indices that arrange 10-20 electrodes as left hemisphere, then mirrored right.

    Left electrodes carry odd numbers (``F3``), their mirrors the next even number with the same
    letters (``F4``); midline electrodes (``Fz``, ``CPZ``) and electrodes without a mirror are
    left out. The left half keeps its input order.

    Args:
        channel_names: electrode names in input order, e.g. AMIGOS's
            ``("AF3", "F7", ..., "F8", "AF4")``.

    Returns:
        tuple of input indices, ``2 * n_pairs`` long: the left electrodes, then their mirrors
        in the same order.

    Raises:
        ValueError: duplicate names, or no mirrored pair at all.

    Example:
        >>> hemisphere_order(("F3", "Fz", "F4", "O1", "O2"))
        (0, 3, 2, 4)
    """
    validate_type(channel_names, (list, tuple), "channel_names")
    names = [str(name) for name in channel_names]
    upper = [name.upper() for name in names]
    if len(set(upper)) != len(upper):
        raise ValueError(f"channel_names must be unique. Received: channel_names={names!r}")
    position = {name: index for index, name in enumerate(upper)}
    left, right = [], []
    for index, name in enumerate(upper):
        match = _NAME.match(name)
        if match is None or int(match["number"]) % 2 == 0:
            continue
        mirror = f"{match['prefix']}{int(match['number']) + 1}"
        if mirror in position:
            left.append(index)
            right.append(position[mirror])
    if not left:
        raise ValueError(
            "channel_names hold no left/right mirrored pair (e.g. F3/F4). "
            f"Received: channel_names={names!r}"
        )
    return tuple(left + right)


@keras.saving.register_keras_serializable(package="amigos_emo")
class SelectChannels(keras.layers.Layer):
    """Gather electrodes along the channel axis: ``x[..., indices]`` of a ``(batch, n_times,
    n_chans)`` window.

    Args:
        indices: input channel indices, in output order (a subset and/or permutation).
        **kwargs: forwarded to ``keras.layers.Layer``.

    Inputs: ``(batch, n_times, n_chans)``. Outputs: ``(batch, n_times, len(indices))``.
    """

    def __init__(self, indices, **kwargs):
        validate_type(indices, (list, tuple), "indices")
        indices = tuple(int(i) for i in indices)
        if not indices or min(indices) < 0:
            raise ValueError(f"indices must be non-negative and not empty. Received: {indices!r}")
        super().__init__(**kwargs)
        self.indices = indices

    def build(self, input_shape):
        n_chans = input_shape[-1]
        if n_chans is not None and max(self.indices) >= n_chans:
            raise ValueError(
                f"indices must be < n_chans={n_chans}. Received: max index {max(self.indices)}"
            )

    def call(self, inputs):
        return keras.ops.take(inputs, list(self.indices), axis=-1)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], len(self.indices))

    def get_config(self):
        return {**super().get_config(), "indices": list(self.indices)}
