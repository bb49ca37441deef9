"""Named Shallow ConvNet configurations (plain dicts of :class:`ShallowConvNet` arguments).

- ``paper`` (the default): Schirrmeister et al. 2017 as braindecode's ``ShallowFBCSPNet``
  reproduces it, designed at 250 Hz: 40 temporal filters of 25 samples, 40 spatial filters,
  mean pooling of 75 samples with stride 15, dropout 0.5. The lengths are in samples, as in the
  paper, whatever the corpus rate (at 128 Hz the temporal kernel spans 195 ms instead of 100 ms).
- ``tiny``: for tests (4 filters, kernel 5, pooling 10 / stride 5).
"""

SHALLOW_CONVNET_PRESETS = {
    "paper": {
        "n_filters_time": 40,
        "filter_time_length": 25,
        "n_filters_spat": 40,
        "pool_time_length": 75,
        "pool_time_stride": 15,
        "dropout": 0.5,
    },
    "tiny": {
        "n_filters_time": 4,
        "filter_time_length": 5,
        "n_filters_spat": 4,
        "pool_time_length": 10,
        "pool_time_stride": 5,
        "dropout": 0.5,
    },
}

DEFAULT_PRESET = "paper"
