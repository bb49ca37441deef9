"""Named EEGNet configurations (plain dicts of :class:`EEGNet` arguments).

EEGNet derives its kernels from ``sfreq``: the temporal kernel is half a second (``sfreq / 2``
samples: 64 at 128 Hz, 100 at 200 Hz) and the separable kernel an eighth of a second (16 at
128 Hz, 25 at 200 Hz, 32 at 256 Hz). The rate is the data's: trained through the runner or the
tuner, the model takes it from the dataset's ``eeg`` input (``signals``); a preset's ``sfreq`` is
only the value for a direct API call without ``signals``.

- ``eegnet_8_2`` (the default): EEGNet-8,2 (``F1=8, D=2, F2=16``) with the cross-subject dropout
  0.25 of the paper (0.5 is its within-subject value).
- ``tiny``: for tests (16 Hz, 4 temporal filters).
"""

EEGNET_PRESETS = {
    "eegnet_8_2": {
        "sfreq": 128.0,
        "n_filters_temporal": 8,
        "depth_multiplier": 2,
        "n_filters_separable": 16,
    },
    "tiny": {
        "sfreq": 16.0,
        "n_filters_temporal": 4,
        "depth_multiplier": 2,
        "n_filters_separable": 8,
    },
}

DEFAULT_PRESET = "eegnet_8_2"
