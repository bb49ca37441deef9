"""Named DGCNN configurations (plain dicts of :class:`DGCNN` arguments).

The SEED-family presets take the package's DE sequences of 62 electrodes x 5 bands and differ
only in the number of classes (SEED 3, SEED-IV 4, SEED-V 5, SEED-VII 7); DREAMER's graph
config is 14 electrodes, given by the input shape. ``tiny`` is for tests.
"""

_SEED_FAMILY = {
    "n_bands": 5,
    "n_filters": 32,
    "chebyshev_order": 2,
    "adjacency_l1": 0.0,
    "adjacency_l2": 1e-4,
    "kernel_l2": 1e-4,
    "dropout": 0.0,
}

DGCNN_PRESETS = {
    "seed": {**_SEED_FAMILY, "n_outputs": 3},
    "seed_iv": {**_SEED_FAMILY, "n_outputs": 4},
    "seed_v": {**_SEED_FAMILY, "n_outputs": 5},
    "seed_vii": {**_SEED_FAMILY, "n_outputs": 7},
    "tiny": {**_SEED_FAMILY, "n_filters": 4, "chebyshev_order": 3, "n_outputs": 3},
}

DEFAULT_PRESET = "seed"
