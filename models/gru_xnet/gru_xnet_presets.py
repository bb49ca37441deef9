"""Named GRU-XNet architecture sizes (plain dicts of :class:`GRUXNet` arguments).

A preset fixes widths and depths only. The signal shape (``n_chans``, ``n_frames``,
``n_freqs``) always comes from the ``stft`` input shape the data gives to
:func:`~amigos_emo.models.gru_xnet.gru_xnet_backbone.build_gru_xnet`, and ``n_outputs`` from
the classification head the run asks for, so one preset serves every corpus with an ``stft``
config (DEAP, GAMEEMO, SEED-IV) at whatever STFT parameters its builder uses.

- ``standard``: the published sizes: CNN blocks of 32 / 64 / 128 filters per EEG channel,
  fusion 256, a 2-layer BiGRU of 128 units per direction, 4 attention heads, head 256 / 128,
  dropout 0.5. At DEAP's ``stft`` shape (32, 33, 23) with 4 classes it has 4,991,620
  parameters.
- ``tiny``: a few units per layer, for tests.

Deprecated: the corpus names ``deap``, ``gameemo`` and ``seed_iv`` (earlier presets that also
carried each builder's STFT shape) still resolve to ``standard`` with a ``DeprecationWarning``;
they will be removed in the next release.
"""

STANDARD = {
    "cnn_filters": [32, 64, 128],
    "fusion_units": 256,
    "freq_pooling": "mean",
    "gru_units": 128,
    "n_gru_layers": 2,
    "n_heads": 4,
    "head_units": [256, 128],
    "dropout": 0.5,
    "variant": "standard",
}

DEPRECATED_PRESETS = {"deap": "standard", "gameemo": "standard", "seed_iv": "standard"}
"""Old corpus-named presets -> the architecture preset they now mean."""

GRU_XNET_PRESETS = {
    "standard": STANDARD,
    "tiny": {
        **STANDARD,
        "cnn_filters": [2, 3, 4],
        "fusion_units": 8,
        "gru_units": 4,
        "n_gru_layers": 1,
        "n_heads": 2,
        "head_units": [8, 8],
    },
    **{old: dict(STANDARD) for old in DEPRECATED_PRESETS},
}

DEFAULT_PRESET = "standard"
