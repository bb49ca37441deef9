"""J. J. Bird's raw Muse recordings (mental state), as exported by muse-lsl.

Files ``subject<letter>-<state>-<n>.csv`` with header ``timestamps,TP9,AF7,AF8,TP10,Right AUX``
(timestamps in seconds since the epoch, rounded to the millisecond; EEG in microvolts); states
``relaxed``, ``neutral`` and ``concentrating``. See Bird et al. 2018 (IEEE IS'18) and
``tfds_builders/muse/README.md``.
"""

import string

# Nominal Muse 2016 EEG rate. The builders estimate the real rate from the timestamps and refuse
# a file whose estimate is further than SFREQ_TOLERANCE (relative) from this value.
SFREQ_HZ = 256.0
SFREQ_TOLERANCE = 0.05  # 256 Hz +- 5 % -> [243.2, 268.8] Hz

TIMESTAMP_COLUMN = "timestamps"
EEG_CHANNELS = ("TP9", "AF7", "AF8", "TP10")
# "Right AUX" is an unused auxiliary input: read when present, never used.
AUX_CHANNELS = ("Right AUX",)
CSV_COLUMNS = (TIMESTAMP_COLUMN,) + EEG_CHANNELS + AUX_CHANNELS

# A jump between consecutive timestamps longer than this splits a recording into contiguous
# segments; no window straddles a gap (subjectb-relaxed-2 has ten ~4.4 s pieces with gaps of
# 8.7-700 s between them).
MAX_GAP_S = 0.1

# The label mapping (stated once): ordered by level of focus, as in Bird's feature-generation
# code (relaxed 0, neutral 1, concentrating 2).
LABEL_NAMES = ("relaxed", "neutral", "concentrating")
LABEL_CODES = {name: code for code, name in enumerate(LABEL_NAMES)}

# Subjects are letters in the file names; split ``subject_XX`` uses the letter's position in the
# alphabet (a -> 1, b -> 2, ...). The shared recordings hold subjects a-d.
SUBJECT_NUMBERS = {letter: number for number, letter in enumerate(string.ascii_lowercase, start=1)}

FILE_PATTERN = "subject*-*-*.csv"
FILE_REGEX = r"^subject([a-z])-([A-Za-z]+)-(\d+)\.csv$"
