"""Named configurations of :class:`MultimodalLSTMBackbone` (plain dicts of constructor overrides).

Parameter counts (``model.count_params()``, trainable in brackets; the rest are the batch-norm
moving statistics) for the AMIGOS inputs (14 EEG, 2 ECG, 1 GSR channels); they do not depend on
``n_times``:

- ``lightweight``: 3,559 (3,535) parameters.
- ``moderate``: 5,244 (5,216) parameters.
- ``maximum``: 57,913 (57,817) parameters, the widths of the original description (EEG LSTM
  64 -> 32, Dense 48 -> 24; ECG and GSR LSTM 32 -> 16, Dense 20 -> 12; fusion 64 -> 32 -> 16).
  The default: it trains best on 2 CPU cores in a few minutes. On the synthetic AMIGOS corpus
  (``python -m amigos_emo.train --max-folds 1``: subject split, 12 epochs of 40 batches of
  64, no XLA, 1.5-2 min per preset on the shared 2-core machine) the test-subject valence MAE
  was 1.10 (Pearson r 0.96) against 1.69 (0.70) for ``lightweight`` and 1.67 (0.81) for
  ``moderate``, arousal MAE 0.99 (r 0.98) against 1.49 (0.70) and 1.62 (0.50); the
  training-mean baseline is 2.02 / 1.79. Epochs took 4-9 s for every preset: at these widths
  a CPU step is bound by per-op overhead, not by the matrix sizes.

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

DEFAULT_PRESET = "maximum"
