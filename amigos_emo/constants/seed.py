"""SEED (Zheng & Lu 2015), and the 62-channel order shared by the whole SEED family.

The label mapping of SEED is stated here once:
``label.mat`` holds -1 / 0 / +1 and the package codes them as ``corpus value + 1``.
"""

# fmt: off
SFREQ_HZ = 200.0

# Row order of every (62, T) EEG array and of the 62 feature rows, in SEED, SEED-IV, SEED-V
# (after dropping M1, M2, VEO, HEO from the raw cnt) and SEED-VII.
EEG_CHANNELS = (
    "FP1", "FPZ", "FP2", "AF3", "AF4", "F7", "F5", "F3", "F1", "FZ", "F2", "F4", "F6", "F8",
    "FT7", "FC5", "FC3", "FC1", "FCZ", "FC2", "FC4", "FC6", "FT8", "T7", "C5", "C3", "C1", "CZ",
    "C2", "C4", "C6", "T8", "TP7", "CP5", "CP3", "CP1", "CPZ", "CP2", "CP4", "CP6", "TP8", "P7",
    "P5", "P3", "P1", "PZ", "P2", "P4", "P6", "P8", "PO7", "PO5", "PO3", "POZ", "PO4", "PO6",
    "PO8", "CB1", "O1", "OZ", "O2", "CB2",
)
N_CHANS = len(EEG_CHANNELS)  # 62

# The five bands of the official DE features (delta, theta, alpha, beta, gamma), in order.
N_BANDS = 5
# Flattened DE features are channel-major: feature index = channel * N_BANDS + band.
N_DE_FEATURES = N_CHANS * N_BANDS  # 310

N_SUBJECTS = 15
N_SESSIONS = 3
N_TRIALS = 15  # film clips per session

# Clip durations in seconds, trials 1..15 (same for every subject and session). A
# Preprocessed_EEG trial holds 200 * duration + 1 samples; the builders drop the first sample.
TRIAL_DURATIONS_S = (235, 233, 206, 238, 185, 195, 237, 216, 265, 237, 235, 233, 235, 238, 206)

# ``label.mat`` values per trial (the same 15 for every subject and session).
CORPUS_LABELS = (1, 0, -1, -1, 0, 1, -1, 0, 1, 1, 0, -1, 0, 1, -1)
# THE mapping: corpus value -> class index (corpus value + 1), as in seed-stimulation.xlsx.
LABEL_MAPPING = {-1: 0, 0: 1, 1: 2}
LABEL_NAMES = ("negative", "neutral", "positive")  # class indices 0, 1, 2

# Sessions are a subject's three files in DATE order (file name ``{subject}_{YYYYMMDD}.mat``).
# The official table, for reference and checks (LibEER ``read_seed_raw``):
SESSION_FILES = {
    1: ("1_20131027", "1_20131030", "1_20131107"),
    2: ("2_20140404", "2_20140413", "2_20140419"),
    3: ("3_20140603", "3_20140611", "3_20140629"),
    4: ("4_20140621", "4_20140702", "4_20140705"),
    5: ("5_20140411", "5_20140418", "5_20140506"),
    6: ("6_20130712", "6_20131016", "6_20131113"),
    7: ("7_20131027", "7_20131030", "7_20131106"),
    8: ("8_20140511", "8_20140514", "8_20140521"),
    9: ("9_20140620", "9_20140627", "9_20140704"),
    10: ("10_20131130", "10_20131204", "10_20131211"),
    11: ("11_20140618", "11_20140625", "11_20140630"),
    12: ("12_20131127", "12_20131201", "12_20131207"),
    13: ("13_20140527", "13_20140603", "13_20140610"),
    14: ("14_20140601", "14_20140615", "14_20140627"),
    15: ("15_20130709", "15_20131016", "15_20131105"),
}

# File and key patterns.
SESSION_FILE_REGEX = r"^(\d+)_(\d{8})\.mat$"  # subject, date
# Preprocessed_EEG keys: ``<initials>_eeg<k>`` (e.g. ``djc_eeg1``) or the variant ``eeg_<k>``.
EEG_KEY_REGEX = r"(?:^|_)eeg_?(\d+)$"
LABEL_FILE = "label.mat"
RAW_FOLDER = "Preprocessed_EEG"
# Official features: 1 s windows (classic ``ExtractedFeatures``, newer ``ExtractedFeatures_1s``)
# and 4 s windows (newer ``ExtractedFeatures_4s``); keys ``de_LDS<k>`` (62, W, 5).
FEATURE_FOLDERS_1S = ("ExtractedFeatures", "ExtractedFeatures_1s")
FEATURE_FOLDERS_4S = ("ExtractedFeatures_4s",)
DE_LDS_KEY = "de_LDS{trial}"
# fmt: on
