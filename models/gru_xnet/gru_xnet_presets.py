"""Named GRU-XNet configurations (plain dicts of build arguments).

STFT shapes are those the package's TFDS builders write (``stft`` configs, all
``ln(1 + |Z|)`` from :func:`amigos_emo.signal.spectral.stft_spectrogram`, Hann window, scipy
zero-padded boundaries):

=========  ===========  ===================================================  ====================
preset     sfreq        windows and STFT                                     ``stft`` shape
=========  ===========  ===================================================  ====================
deap       128 Hz       4 s windows; nperseg 64 (2 Hz bins), noverlap 48,    (32, 33, 23)
                        0-44 Hz
gameemo    128 Hz       2 s windows; nperseg 64, noverlap 32, 0-44 Hz        (14, 9, 23)
seed_iv    200 Hz       4 s windows; nperseg 200 (1 Hz bins), noverlap 100,  (62, 9, 51)
                        0-50 Hz
=========  ===========  ===================================================  ====================

Classes: DEAP valence/arousal quadrant (4), GAMEEMO game (4), SEED-IV emotion (4; use
``n_outputs=2`` with the builder's ``label_binary``). ``tiny`` is for tests.
"""

_DEFAULTS = {
    "cnn_filters": [32, 64, 128],
    "fusion_units": 256,
    "gru_units": 128,
    "n_gru_layers": 2,
    "n_heads": 4,
    "head_units": [256, 128],
    "dropout": 0.5,
    "variant": "standard",
}

GRU_XNET_PRESETS = {
    "deap": {**_DEFAULTS, "n_chans": 32, "n_frames": 33, "n_freqs": 23, "n_outputs": 4},
    "gameemo": {**_DEFAULTS, "n_chans": 14, "n_frames": 9, "n_freqs": 23, "n_outputs": 4},
    "seed_iv": {**_DEFAULTS, "n_chans": 62, "n_frames": 9, "n_freqs": 51, "n_outputs": 4},
    "tiny": {
        **_DEFAULTS,
        "n_chans": 3,
        "n_frames": 12,
        "n_freqs": 10,
        "n_outputs": 3,
        "cnn_filters": [2, 3, 4],
        "fusion_units": 8,
        "gru_units": 4,
        "n_gru_layers": 1,
        "n_heads": 2,
        "head_units": [8, 8],
    },
}

DEFAULT_PRESET = "deap"
