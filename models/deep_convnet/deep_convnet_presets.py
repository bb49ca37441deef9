"""Named Deep ConvNet configurations (plain dicts of :class:`DeepConvNet` arguments).

- ``paper`` (the default): Schirrmeister et al. 2017 as braindecode's ``Deep4Net`` reproduces
  it: 25 temporal and 25 spatial filters, then blocks of 50, 100 and 200 filters, kernels of 10
  samples, max pooling 3 / stride 3, dropout 0.5. Lengths are in samples, as in the paper
  (designed at 250 Hz), whatever the corpus rate.
- ``tiny``: for tests (4-8 filters, kernel 3, pooling 2 / stride 2).
"""

DEEP_CONVNET_PRESETS = {
    "paper": {
        "n_filters_time": 25,
        "n_filters_spat": 25,
        "block_filters": (50, 100, 200),
        "filter_time_length": 10,
        "pool_time_length": 3,
        "pool_time_stride": 3,
        "dropout": 0.5,
    },
    "tiny": {
        "n_filters_time": 4,
        "n_filters_spat": 4,
        "block_filters": (4, 6, 8),
        "filter_time_length": 3,
        "pool_time_length": 2,
        "pool_time_stride": 2,
        "dropout": 0.5,
    },
}

DEFAULT_PRESET = "paper"
