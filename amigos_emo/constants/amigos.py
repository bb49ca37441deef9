"""AMIGOS (Miranda-Correa et al. 2018), preprocessed release."""

SFREQ_HZ = 128.0

EEG_CHANNELS = (
    "AF3",
    "F7",
    "F3",
    "FC5",
    "T7",
    "P7",
    "O1",
    "O2",
    "P8",
    "T8",
    "FC6",
    "F4",
    "F8",
    "AF4",
)
ECG_CHANNELS = ("ECG_Right", "ECG_Left")  # lead II, lead III
GSR_CHANNELS = ("GSR",)
# Columns of every ``joined_data`` trial matrix (T, 17), in order.
JOINED_DATA_COLUMNS = EEG_CHANNELS + ECG_CHANNELS + GSR_CHANNELS
N_COLUMNS = len(JOINED_DATA_COLUMNS)  # 17
EEG_COLUMNS = slice(0, 14)
ECG_COLUMNS = slice(14, 16)
GSR_COLUMNS = slice(16, 17)

N_PARTICIPANTS = 40  # P01-P40 in the preprocessed release
N_TRIALS = 20  # 16 short videos + 4 long videos
N_SHORT_VIDEOS = 16

# The 12 values of ``labels_selfassessment`` (1, 12), in order.
SELF_ASSESSMENT_COLUMNS = (
    "arousal",
    "valence",
    "dominance",
    "liking",
    "familiarity",
    "neutral",
    "disgust",
    "happiness",
    "surprise",
    "anger",
    "fear",
    "sadness",
)
RATING_SCALE = (1.0, 9.0)
# High/low state threshold used for the transition label: rating >= 5 is "high".
STATE_THRESHOLD = 5.0

# First 5 s of each trial are treated as baseline (TorchEEG convention).
BASELINE_S = 5.0

FILE_PATTERN = "Data_Preprocessed_P*.mat"
FILE_REGEX = r"Data_Preprocessed_P(\d+)\.mat$"

# Index (0-based) of each rating inside ``labels_selfassessment``; the builder emits these four.
RATING_INDEX = {
    name: SELF_ASSESSMENT_COLUMNS.index(name)
    for name in ("valence", "arousal", "dominance", "liking")
}
BASIC_EMOTIONS = SELF_ASSESSMENT_COLUMNS[5:]  # 0/1 flags
SHORT_VIDEO_TRIALS = tuple(range(1, N_SHORT_VIDEOS + 1))  # trial ids 1-16
LONG_VIDEO_TRIALS = tuple(range(N_SHORT_VIDEOS + 1, N_TRIALS + 1))  # trial ids 17-20

# Units as they appear in the preprocessed matrices (EEG and ECG are high-passed, zero-mean;
# GSR in participant 1's real file sits around 3.8e5, i.e. skin resistance in ohms).
EEG_UNIT = "microvolts"
GSR_UNIT = "ohms (skin resistance)"

# Names of the ``transition`` ClassLabel emitted by the AMIGOS builder (see its README).
TRANSITION_NAMES = ("steady", "transition")
