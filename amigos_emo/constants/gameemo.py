"""GAMEEMO (Alakus, Gonen and Turkoglu 2020): 28 subjects x 4 games, Emotiv EPOC+ CSVs.

Folders ``(S01)/ ... (S28)/`` with ``Raw EEG Data/.csv format/`` and
``Preprocessed EEG Data/.csv format/``; one CSV per subject and game.
"""

from amigos_emo.constants import amigos as _amigos

SFREQ_HZ = 128.0

# Column order in the CSV headers (as the release lists them); columns are selected BY NAME.
CSV_CHANNELS = (
    "AF3",
    "AF4",
    "F3",
    "F4",
    "F7",
    "F8",
    "FC5",
    "FC6",
    "O1",
    "O2",
    "P7",
    "P8",
    "T7",
    "T8",
)
# Order of the channel axis written by the builders: the Emotiv EPOC order used by AMIGOS and
# DREAMER, so 14-channel models transfer between the three corpora.
EEG_CHANNELS = _amigos.EEG_CHANNELS

N_SUBJECTS = 28
GAMES = (1, 2, 3, 4)
# The label mapping (stated once): the game G1..G4 -> 0..3.
LABEL_NAMES = ("boring", "calm", "horror", "funny")
GAME_TO_LABEL = {game: game - 1 for game in GAMES}

# Where the two sources live; the folder names decide the source, file names vary.
PREPROCESSED_FOLDER = "Preprocessed EEG Data"
RAW_FOLDER = "Raw EEG Data"
SOURCES = ("preprocessed", "raw")
# S01G1AllChannels.csv (preprocessed; also some raw files) and S01G1AllRawChannels.csv (raw).
FILE_REGEX = r"^S(\d+)G(\d)(AllRawChannels|AllChannels)\.csv$"
