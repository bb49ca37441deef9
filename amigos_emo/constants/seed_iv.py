"""SEED-IV (Zheng et al. 2019, EmotionMeter).

Channels are :data:`amigos_emo.constants.seed.EEG_CHANNELS`; 200 Hz; 24 trials per session.
"""

# fmt: off
from amigos_emo.constants.seed import EEG_CHANNELS, N_CHANS  # noqa: F401  (shared order)

SFREQ_HZ = 200.0
N_SUBJECTS = 15
N_SESSIONS = 3
N_TRIALS = 24

# Class codes as in the corpus ReadMe.txt: 0 neutral, 1 sad, 2 fear, 3 happy.
LABEL_NAMES = ("neutral", "sad", "fear", "happy")

# Per-session label order (ReadMe.txt); the session is the FOLDER ``1/``, ``2/``, ``3/``.
SESSION_LABELS = {
    1: (1, 2, 3, 0, 2, 0, 0, 1, 0, 1, 2, 1, 1, 1, 2, 3, 2, 2, 3, 3, 0, 3, 0, 3),
    2: (2, 1, 3, 0, 0, 2, 0, 2, 3, 3, 2, 3, 2, 0, 1, 1, 2, 1, 0, 3, 0, 1, 3, 1),
    3: (1, 2, 2, 1, 3, 3, 3, 1, 1, 2, 1, 0, 2, 3, 3, 0, 2, 3, 0, 0, 2, 0, 1, 0),
}

# THE binary mapping used by the ``stft`` config (``label_binary``): happy (the only
# positive-valence class) vs not happy (neutral, sad, fear). Every example keeps its 4-class
# ``label``; nothing is dropped. Class 1 = happy.
BINARY_LABEL_NAMES = ("not_happy", "happy")
BINARY_MAPPING = {0: 0, 1: 0, 2: 0, 3: 1}

SESSION_FILE_REGEX = r"^(\d+)_(\d{8})\.mat$"  # subject, date
RAW_FOLDER = "eeg_raw_data"
FEATURE_FOLDER = "eeg_feature_smooth"  # keys de_LDS<k>, (62, W, 5), 4 s windows
FEATURE_WINDOW_S = 4.0
DE_LDS_KEY = "de_LDS{trial}"
# fmt: on
