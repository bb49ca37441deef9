"""Named TSception configurations (plain dicts of :class:`TSception` arguments).

The corpus presets set ``sfreq`` (the multi-scale temporal kernels are 0.5, 0.25 and 0.125 s:
64/32/16 samples at 128 Hz, 100/50/25 at 200 Hz) and ``channel_names``, the corpus's EEG
electrodes in input order, from which the model arranges the hemispheres (left, then mirrored
right; midline electrodes left out: AMIGOS/DREAMER 14 -> 14, DEAP 32 -> the paper's 28, SEED
62 -> 54). All use the paper's DEAP settings: 15 temporal and 15 spatial filters, 32 hidden
units, dropout 0.5. ``tiny`` is for tests (16 Hz, input order, 4 filters).
"""

from amigos_emo.constants import amigos, deap, dreamer, seed

_PAPER = {"n_filters_temporal": 15, "n_filters_spatial": 15, "hidden_units": 32, "dropout": 0.5}

TSCEPTION_PRESETS = {
    "amigos": {**_PAPER, "sfreq": amigos.SFREQ_HZ, "channel_names": tuple(amigos.EEG_CHANNELS)},
    "deap": {**_PAPER, "sfreq": deap.SFREQ_HZ, "channel_names": tuple(deap.EEG_CHANNELS)},
    "dreamer": {
        **_PAPER,
        "sfreq": dreamer.EEG_SFREQ_HZ,
        "channel_names": tuple(dreamer.EEG_CHANNELS),
    },
    "seed": {**_PAPER, "sfreq": seed.SFREQ_HZ, "channel_names": tuple(seed.EEG_CHANNELS)},
    "tiny": {
        "sfreq": 16.0,
        "channel_names": None,
        "n_filters_temporal": 4,
        "n_filters_spatial": 4,
        "hidden_units": 8,
        "dropout": 0.5,
    },
}

DEFAULT_PRESET = "amigos"
