"""Named TSception configurations (plain dicts of :class:`TSception` arguments).

The corpus presets set ``sfreq`` (the multi-scale temporal kernels are 0.5, 0.25 and 0.125 s:
64/32/16 samples at 128 Hz, 100/50/25 at 200 Hz) and ``channel_names``, the corpus's EEG
electrodes in input order, from which the model arranges the hemispheres (left, then mirrored
right; midline electrodes left out: AMIGOS/DREAMER/GAMEEMO 14 -> 14, DEAP 32 -> the paper's 28,
the SEED family 62 -> 54, Muse 4 -> 4). ``arranged_128hz`` takes the input order as it is (an
even number of electrodes, left hemisphere then mirrored right), for other montages. All use the
paper's DEAP settings: 15 temporal and 15 spatial filters, 32 hidden units, dropout 0.5.
``tiny`` is for tests (16 Hz, input order, 4 filters).
"""

from amigos_emo.constants import amigos, deap, dreamer, gameemo, muse, seed
from amigos_emo.models.eeg_classifiers_common import CORPUS_SFREQ_HZ

_PAPER = {"n_filters_temporal": 15, "n_filters_spatial": 15, "hidden_units": 32, "dropout": 0.5}

# Electrodes of each corpus's ``eeg`` feature, in the order the builders write them.
_CORPUS_CHANNELS = {
    "amigos": amigos.EEG_CHANNELS,
    "deap": deap.EEG_CHANNELS,
    "dreamer": dreamer.EEG_CHANNELS,
    "gameemo": gameemo.EEG_CHANNELS,
    "muse": muse.EEG_CHANNELS,
    "seed": seed.EEG_CHANNELS,
    "seed_iv": seed.EEG_CHANNELS,
    "seed_v": seed.EEG_CHANNELS,
    "seed_vii": seed.EEG_CHANNELS,
}

TSCEPTION_PRESETS = {
    **{
        corpus: {**_PAPER, "sfreq": CORPUS_SFREQ_HZ[corpus], "channel_names": tuple(names)}
        for corpus, names in _CORPUS_CHANNELS.items()
    },
    # Paper sizes on input already arranged left hemisphere, then mirrored right.
    "arranged_128hz": {**_PAPER, "sfreq": 128.0, "channel_names": None},
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
