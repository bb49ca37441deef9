"""DREAMER (Katsigiannis & Ramzan 2018).

Label rule, stated once: a score is **high** when it is ``>= HIGH_SCORE_THRESHOLD`` (3 on the
integer 1-5 scale; 3 itself is high, as in TorchEEG's ``Binary(3.0)``). The 4-class label is
the quadrant ``2 * (arousal >= 3) + (valence >= 3)``: 0 ``LALV``, 1 ``LAHV``, 2 ``HALV``,
3 ``HAHV``; the VAE-GNN targets ``valence``/``arousal`` are the two binary halves of it.
"""

import numpy as np

SFREQ_HZ = 128.0  # EEG
ECG_SFREQ_HZ = 256.0
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
ECG_CHANNELS = ("ECG_1", "ECG_2")  # the two leads, in the order of the file's columns
N_SUBJECTS = 23
N_TRIALS = 18  # film clips per subject
BASELINE_S = 61.0  # neutral clip before every trial
BASELINE_SAMPLES = 7808  # at 128 Hz

SCORE_FIELDS = {"valence": "ScoreValence", "arousal": "ScoreArousal", "dominance": "ScoreDominance"}
SCORE_SCALE = (1, 5)
HIGH_SCORE_THRESHOLD = 3.0  # score >= 3 -> high
QUADRANT_NAMES = ("LALV", "LAHV", "HALV", "HAHV")

# Target emotion of film clips 1-18 (one source); informative only.
CLIP_TARGET_EMOTIONS = (
    "calmness",
    "surprise",
    "amusement",
    "fear",
    "excitement",
    "disgust",
    "happiness",
    "anger",
    "sadness",
    "disgust",
    "calmness",
    "amusement",
    "happiness",
    "anger",
    "fear",
    "excitement",
    "sadness",
    "surprise",
)

FILE_NAME = "DREAMER.mat"

# VAE-GNN ("graph" config): the last GRAPH_SAMPLES of each stimulus, cut into
# GRAPH_SUBWINDOW_SAMPLES sub-windows whose DE per band gives the node features.
GRAPH_SAMPLES = 1280  # 10 s at 128 Hz
GRAPH_SUBWINDOW_SAMPLES = 128  # 1 s -> 10 node features per band and channel
GRAPH_MI_BINS = 16


def is_high(score, threshold=HIGH_SCORE_THRESHOLD):
    """``score >= threshold`` as int64 (1 = high)."""
    return (np.asarray(score) >= threshold).astype(np.int64)


def quadrant_label(valence, arousal, threshold=HIGH_SCORE_THRESHOLD):
    """The 4-class quadrant ``2 * (arousal >= t) + (valence >= t)`` as int64."""
    return 2 * is_high(arousal, threshold) + is_high(valence, threshold)
