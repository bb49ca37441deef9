"""DEAP (Koelstra et al. 2012), preprocessed release.

Label rule, stated once: a rating is **high** when it is ``>= HIGH_RATING_THRESHOLD`` (5.0 on
the 1-9 scale; 5.0 itself is high, as in TorchEEG's ``Binary(5.0)``), and the 4-class label is
the valence/arousal quadrant ``2 * (arousal >= 5) + (valence >= 5)``:

======  =====================  ============
label   arousal / valence      name
======  =====================  ============
0       low / low              ``LALV``
1       low / high             ``LAHV``
2       high / low             ``HALV``
3       high / high            ``HAHV``
======  =====================  ============
"""

import numpy as np

SFREQ_HZ = 128.0

# Rows 0-31 of ``data[trial]``: EEG in "Geneva order".
EEG_CHANNELS = (
    "Fp1",
    "AF3",
    "F3",
    "F7",
    "FC5",
    "FC1",
    "C3",
    "T7",
    "CP5",
    "CP1",
    "P3",
    "P7",
    "PO3",
    "O1",
    "Oz",
    "Pz",
    "Fp2",
    "AF4",
    "Fz",
    "F4",
    "F8",
    "FC6",
    "FC2",
    "Cz",
    "C4",
    "T8",
    "CP6",
    "CP2",
    "P4",
    "P8",
    "PO4",
    "O2",
)
# Rows 32-39: peripheral channels, and their signal types.
PERIPHERAL_CHANNELS = (
    "hEOG",
    "vEOG",
    "zEMG",
    "tEMG",
    "GSR",
    "Respiration",
    "Plethysmograph",
    "Temperature",
)
PERIPHERAL_TYPES = ("eog", "eog", "emg", "emg", "gsr", "resp", "ppg", "temperature")
ALL_CHANNELS = EEG_CHANNELS + PERIPHERAL_CHANNELS
N_CHANNELS = len(ALL_CHANNELS)  # 40
EEG_ROWS = slice(0, 32)
PERIPHERAL_ROWS = slice(32, 40)
GSR_ROW = 36  # 0-based; channel 37 in the DEAP readme

N_TRIALS = 40  # per subject, in video (Experiment_id) order
N_SUBJECTS = 32
N_SAMPLES = 8064  # 63 s at 128 Hz
BASELINE_S = 3.0  # pre-trial baseline at the start of every trial
BASELINE_SAMPLES = 384

# Columns of ``labels`` (n_trials, 4), in order; continuous 1-9 self-assessments.
RATING_COLUMNS = ("valence", "arousal", "dominance", "liking")
RATING_SCALE = (1.0, 9.0)
HIGH_RATING_THRESHOLD = 5.0  # rating >= 5.0 -> high
QUADRANT_NAMES = ("LALV", "LAHV", "HALV", "HAHV")

PYTHON_FILE_REGEX = r"^s(\d+)\.dat$"
MATLAB_FILE_REGEX = r"^s(\d+)\.mat$"


def quadrant_label(valence, arousal, threshold=HIGH_RATING_THRESHOLD):
    """The 4-class valence/arousal quadrant ``2 * (arousal >= t) + (valence >= t)``.

    Args:
        valence, arousal: ratings (scalars or arrays of the same shape), 1-9 scale.
        threshold: the high/low threshold; a rating equal to it counts as high.

    Returns:
        int64 array (or scalar) in ``0..3``; see the module table for the names.
    """
    valence = np.asarray(valence)
    arousal = np.asarray(arousal)
    return 2 * (arousal >= threshold).astype(np.int64) + (valence >= threshold).astype(np.int64)
