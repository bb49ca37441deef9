"""Named ResAttentioNet configurations (plain dicts of build arguments).

Every SEED-family preset takes 60 one-second DE steps of 62 channels x 5 bands, i.e. the
input ``de`` of shape (60, 310); the presets differ only in the number of classes.
``tiny`` is for tests (narrow stages, short sequences).
"""

_SEED_FAMILY = {"n_steps": 60, "n_chans": 62, "n_bands": 5, "base_width": 16, "n_heads": 2}

RES_ATTENTION_NET_PRESETS = {
    "seed": {**_SEED_FAMILY, "n_outputs": 3},
    "seed_iv": {**_SEED_FAMILY, "n_outputs": 4},
    "seed_v": {**_SEED_FAMILY, "n_outputs": 5},
    "seed_vii": {**_SEED_FAMILY, "n_outputs": 7},
    "tiny": {
        "n_steps": 40,
        "n_chans": 4,
        "n_bands": 5,
        "base_width": 4,
        "n_heads": 2,
        "hidden_units": 8,
        "n_outputs": 3,
    },
}

DEFAULT_PRESET = "seed_iv"
