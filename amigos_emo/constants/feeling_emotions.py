"""Kaggle "EEG Brainwave Dataset: Feeling Emotions" (``emotions.csv``).

One CSV of 2548 features precomputed by J. J. Bird's pipeline from Muse recordings (TP9, AF7, AF8,
TP10; 256 Hz) of two adults, plus a ``label`` column. There is NO subject column.
"""

FILE_NAME = "emotions.csv"
N_FEATURES = 2548
LABEL_COLUMN = "label"
# The literal first header in the file: a "# " left over from a commented header line.
FIRST_HEADER = "# mean_0_a"
FIRST_FEATURE = "mean_0_a"
LAST_FEATURE = "fft_749_b"
N_ROWS = 2132  # rows in the Kaggle release (two sources agree); checked only with a warning

# The label mapping (stated once), alphabetical as sklearn's LabelEncoder gives it.
LABEL_NAMES = ("NEGATIVE", "NEUTRAL", "POSITIVE")
LABEL_CODES = {name: code for code, name in enumerate(LABEL_NAMES)}

SOURCE_CHANNELS = ("TP9", "AF7", "AF8", "TP10")
SOURCE_SFREQ_HZ = 256.0
N_SUBJECTS = 2  # not identifiable per row
