"""Named constants per corpus: channel lists, sampling rates, label codes, grid layouts.

One module per corpus (``amigos``, ``deap``, ``dreamer``, ``seed``, ...), kept apart from the
loaders in ``tfds_builders/`` so that a channel order or a label code is stated exactly once.
"""

from amigos_emo.constants.common import FREQUENCY_BANDS

__all__ = ["FREQUENCY_BANDS"]
