"""SEED-V (Liu et al. 2021).

Raw ``EEG_raw/{subject}_{session}_{YYYYMMDD}.cnt`` at 1000 Hz; DE features
``EEG_DE_features/{subject}_123.npz``. 16 subjects x 3 sessions x 15 trials.

``session_id`` in this package is the digit in the cnt file name (= the npz key // 15 + 1): it
names the STIMULUS SET (which label order applies), not the chronological order of the visits
(e.g. ``11_2_20180508`` was recorded before ``11_1_20180510``).
"""

# fmt: off
from amigos_emo.constants.seed import EEG_CHANNELS, N_CHANS  # noqa: F401  (shared order)

SOURCE_SFREQ_HZ = 1000.0  # the .cnt files as downloaded
SFREQ_HZ = 200.0  # after decimation by 5
DECIMATION_FACTOR = 5
N_SUBJECTS = 16
N_SESSIONS = 3
N_TRIALS = 15

# Channels of the raw cnt that are not EEG, dropped by name.
NON_EEG_CHANNELS = ("M1", "M2", "VEO", "HEO")

# Class codes (TorchEEG, LibEER, EEG-FM-Bench agree): 0 Disgust, 1 Fear, 2 Sad, 3 Neutral, 4 Happy.
LABEL_NAMES = ("disgust", "fear", "sad", "neutral", "happy")
SESSION_LABELS = {
    1: (4, 1, 3, 2, 0, 4, 1, 3, 2, 0, 4, 1, 3, 2, 0),
    2: (2, 1, 3, 0, 4, 4, 0, 3, 2, 1, 3, 4, 1, 2, 0),
    3: (2, 1, 3, 0, 4, 4, 0, 3, 2, 1, 3, 4, 1, 2, 0),
}

# Clip boundaries in seconds from the recording start (trial_start_end_timestamp.txt), the
# same for every subject; sample index at 1000 Hz = second * 1000.
TRIAL_START_S = {
    1: (30, 132, 287, 555, 773, 982, 1271, 1628, 1730, 2025, 2227, 2435, 2667, 2932, 3204),
    2: (30, 299, 548, 646, 836, 1000, 1091, 1392, 1657, 1809, 1966, 2186, 2333, 2490, 2741),
    3: (30, 353, 478, 674, 825, 908, 1200, 1346, 1451, 1711, 2055, 2307, 2457, 2726, 2888),
}
TRIAL_END_S = {
    1: (102, 228, 524, 742, 920, 1240, 1568, 1697, 1994, 2166, 2401, 2607, 2901, 3172, 3359),
    2: (267, 488, 614, 773, 967, 1059, 1331, 1622, 1777, 1908, 2153, 2302, 2428, 2709, 2817),
    3: (321, 418, 643, 764, 877, 1147, 1284, 1418, 1679, 1996, 2275, 2425, 2664, 2857, 3066),
}

RAW_FILE_REGEX = r"^(\d+)_(\d)_(\d{8})\.cnt$"  # subject, session (stimulus set), date
FEATURE_FILE_REGEX = r"^(\d+)_123\.npz$"  # subject
FEATURE_WINDOW_S = 4.0  # each row of data[k] (W, 310) covers 4 s
# fmt: on
