"""SEED-VII (Jiang et al. 2024).

``EEG_preprocessed/{subject}.mat`` keys '1'..'80' ((62, T), 200 Hz, microvolts), video =
(session - 1) * 20 + clip; ``EEG_features/{subject}.mat`` keys ``de_LDS_1..80`` ((W, 5, 62));
labels from ``emotion_label_and_stimuli_order.xlsx``.
"""

# fmt: off
from amigos_emo.constants.seed import EEG_CHANNELS, N_CHANS  # noqa: F401  (shared order)

SFREQ_HZ = 200.0
N_SUBJECTS = 20
N_SESSIONS = 4
N_TRIALS = 20  # clips per session
N_VIDEOS = N_SESSIONS * N_TRIALS  # 80

# THE coding (extends SEED-V's 0..4 with Anger 5, Surprise 6; as EEG-FM-Bench and the feature
# scripts use it).
LABEL_NAMES = ("disgust", "fear", "sad", "neutral", "happy", "anger", "surprise")
LABEL_CODES = {name: code for code, name in enumerate(LABEL_NAMES)}

# Expected emotion per clip, sessions 1..4 (the xlsx is checked against these).
_HALF_ORDERS = {
    1: ("happy", "neutral", "disgust", "sad", "anger", "anger", "sad", "disgust", "neutral", "happy"),
    2: ("anger", "sad", "fear", "neutral", "surprise", "surprise", "neutral", "fear", "sad", "anger"),
    3: ("happy", "surprise", "disgust", "fear", "anger", "anger", "fear", "disgust", "surprise", "happy"),
    4: ("disgust", "sad", "fear", "surprise", "happy", "happy", "surprise", "fear", "sad", "disgust"),
}
SESSION_EMOTIONS = {session: half * 2 for session, half in _HALF_ORDERS.items()}
SESSION_LABELS = {
    session: tuple(LABEL_CODES[name] for name in names)
    for session, names in SESSION_EMOTIONS.items()
}

LABEL_FILE = "emotion_label_and_stimuli_order.xlsx"
RAW_FOLDER = "EEG_preprocessed"
FEATURE_FOLDER = "EEG_features"
SUBJECT_FILE_REGEX = r"^(\d+)\.mat$"
DE_LDS_KEY = "de_LDS_{video}"
# fmt: on
