"""Named configurations of :class:`MultimodalLSTMBackbone` (plain dicts of constructor overrides).

Parameter counts (``model.count_params()``, trainable in brackets; the rest are the batch-norm
moving statistics) for the AMIGOS inputs (14 EEG, 2 ECG, 1 GSR channels); they do not depend on
``n_times``:

- ``lightweight``: 3,559 (3,535) parameters. The default: on 2 CPU cores it trains a subject-independent
  fold in a few minutes and is the least prone to over-fitting the small corpus.
- ``moderate``: 5,244 (5,216) parameters.
- ``maximum``: 57,913 (57,817) parameters, the widths of the original description (EEG LSTM 64 -> 32,
  Dense 48 -> 24; ECG and GSR LSTM 32 -> 16, Dense 20 -> 12; fusion 64 -> 32 -> 16).

All presets share ``pool_size=4`` (128 Hz windows shortened to 32 Hz before the LSTMs) and the
16-tap EEG filter bank (238 of those parameters; see the backbone's ``eeg_filter_taps``).
"""

MULTIMODAL_LSTM_PRESETS = {
    "lightweight": {
        "eeg_lstm_units": (12, 8),
        "eeg_dense_units": (12, 6),
        "ecg_lstm_units": (6, 3),
        "ecg_dense_units": (5, 3),
        "gsr_lstm_units": (6, 3),
        "gsr_dense_units": (5, 3),
        "fusion_units": (16, 8, 4),
    },
    "moderate": {
        "eeg_lstm_units": (16, 8),
        "eeg_dense_units": (16, 8),
        "ecg_lstm_units": (10, 5),
        "ecg_dense_units": (5, 3),
        "gsr_lstm_units": (8, 4),
        "gsr_dense_units": (5, 3),
        "fusion_units": (16, 8, 4),
    },
    "maximum": {
        "eeg_lstm_units": (64, 32),
        "eeg_dense_units": (48, 24),
        "ecg_lstm_units": (32, 16),
        "ecg_dense_units": (20, 12),
        "gsr_lstm_units": (32, 16),
        "gsr_dense_units": (20, 12),
        "fusion_units": (64, 32, 16),
    },
}

DEFAULT_PRESET = "lightweight"
