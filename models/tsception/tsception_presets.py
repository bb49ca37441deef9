"""Named TSception configurations (plain dicts of :class:`TSception` arguments).

``sfreq`` sets the multi-scale temporal kernels (0.5, 0.25 and 0.125 s: 64/32/16 samples at
128 Hz, 100/50/25 at 200 Hz) and ``channel_names``, the input's electrodes in order, let the
model arrange the hemispheres (left, then mirrored right; midline electrodes left out: a 14-channel
Emotiv montage keeps 14, DEAP's 32 the paper's 28, the SEED family's 62 keep 54, Muse's 4 keep 4).
Both are the data's: trained through the runner or the tuner, the model takes them from the
dataset's ``eeg`` input (``signals``, as its builder declares them). A preset's values apply only
to a direct API call without ``signals``; ``channel_names=None`` takes the input order as it is
(an even number of electrodes, left hemisphere then mirrored right).

- ``paper`` (the default): the paper's DEAP settings, 15 temporal and 15 spatial filters, 32
  hidden units, dropout 0.5.
- ``tiny``: for tests (16 Hz, input order, 4 filters).
"""

TSCEPTION_PRESETS = {
    "paper": {
        "sfreq": 128.0,
        "channel_names": None,
        "n_filters_temporal": 15,
        "n_filters_spatial": 15,
        "hidden_units": 32,
        "dropout": 0.5,
    },
    "tiny": {
        "sfreq": 16.0,
        "channel_names": None,
        "n_filters_temporal": 4,
        "n_filters_spatial": 4,
        "hidden_units": 8,
        "dropout": 0.5,
    },
}

DEFAULT_PRESET = "paper"
