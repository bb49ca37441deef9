"""Named constants per corpus: channel lists, sampling rates, label codes, grid layouts.

One module per corpus (``amigos``, ``deap``, ``dreamer``, ``seed``, ...), kept apart from the
loaders in ``tfds_builders/`` so that a channel order or a label code is stated exactly once.

Sampling rates, one spelling per kind of fact (every module follows it):

- ``SFREQ_HZ``: the rate (Hz) of the signals the builder writes (EEG, and every other signal
  unless it has its own name below).
- ``<SIGNAL>_SFREQ_HZ`` (e.g. DREAMER's ``ECG_SFREQ_HZ``): a signal written at another rate.
- ``SOURCE_SFREQ_HZ``: the rate of the files as downloaded, when the builder resamples them (SEED-V)
  or only ships features computed from them (Feeling Emotions).
"""

from amigos_emo.constants.common import FREQUENCY_BANDS

__all__ = ["FREQUENCY_BANDS"]
