"""Named configurations of :class:`SignalFusionBackbone` (plain dicts of constructor overrides).

- ``small`` (the default): for wearables and 2 CPU cores. Each window's channels are first
  standardised over the window, with their window mean and log std as extra channels
  (``window_norm="auto"``, which is ``"levels"`` for signals alone: people differ in level and
  gain more than conditions move them). Beside a feature vector (``"representation":
  "raw+features"``) the signal branches read the standardised shape alone (``"shape"``: the
  features carry the levels) and the vector goes through one 64-unit ReLU layer.
  Every signal is then brought to about 32 steps by an 8-filter, 16-tap strided filter bank
  with ReLU and averaging (a band-power envelope), one 16-unit LSTM per branch, a 32-unit
  fusion layer. For the E4-like study inputs
  (BVP 64 Hz, EDA and temperature 4 Hz, 3-axis ACC 32 Hz, 60 s windows) it has about 11k
  parameters and trains a 15-subject study in a few minutes on 2 cores.
- ``amigos``: the seed's AMIGOS three-head architecture (``multimodal_lstm`` preset
  ``maximum``, 57,913 parameters on 14 EEG, 2 ECG and 1 GSR channels) expressed through the same
  branch code: EEG through the 16-tap per-channel filter bank with stride 4, ECG and GSR
  averaged over 4 samples, LSTMs 64 -> 32 (EEG) and 32 -> 16, dense 48 -> 24 and 20 -> 12,
  batch-normalised fusion 64 -> 32 -> 16, and, when no heads are given, valence and arousal
  regression and transition detection heads.
"""

AMIGOS_HEADS = {
    "valence": {"kind": "regression", "n_classes": None},
    "arousal": {"kind": "regression", "n_classes": None},
    "transition": {"kind": "binary", "n_classes": None},
}

SIGNAL_FUSION_PRESETS = {
    "small": {
        "target_steps": 32,
        "front_end": "filter_bank",
        "filter_taps": 16,
        "n_filters": 8,
        "lstm_units": (16,),
        "dense_units": (),
        "fusion_units": (32,),
        "dropout": 0.1,
        "l2": 1e-4,
        "use_batch_norm": True,
        "window_norm": "auto",
        "feature_units": (64,),
    },
    "amigos": {
        "stride": 4,
        "front_end": "average",
        "lstm_units": (32, 16),
        "dense_units": (20, 12),
        "branch_overrides": {
            "eeg": {
                "front_end": "depthwise",
                "filter_taps": 16,
                "lstm_units": (64, 32),
                "dense_units": (48, 24),
            }
        },
        "fusion_units": (64, 32, 16),
        "dropout": 0.2,
        "l2": 1e-4,
        "use_batch_norm": True,
        "default_heads": AMIGOS_HEADS,
    },
}

DEFAULT_PRESET = "small"
