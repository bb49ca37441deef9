"""Write the DREAMER dummy data in the corpus's real on-disk format (run once; output is committed).

    python tfds_builders/dreamer/dummy_data/make_dummy_data.py

Writes ``DREAMER.mat``: one MATLAB struct ``DREAMER`` laid out like the release,
with ``Data`` a **1 x n cell of 1 x 1 structs** (as in the real file), so that
``loadmat(...)['DREAMER'][0, 0]['Data'][0, s]['EEG'][0, 0]['stimuli'][0, 0][t, 0]`` is a
(T_t, 14) array. Trimmed to stay small: 2 subjects x 2 clips, stimuli of 10 s and 11.5 s
(the ``graph`` config needs the last 10 s), baselines of 3 s instead of 61 s, ECG at 256 Hz.
Samples are rounded to whole microvolts so the compressed file stays ~100 KB.

:func:`dreamer_struct` also builds the struct-array variant (``Data`` a 1 x n struct array)
that the tests use to check both nestings load alike.
"""

from __future__ import annotations

import pathlib

import numpy as np
import scipy.io

HERE = pathlib.Path(__file__).resolve().parent
EEG_SFREQ = 128
ECG_SFREQ = 256
ELECTRODES = (
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
STIMULUS_S = (10.0, 11.5)
BASELINE_S = 3.0
# (valence, arousal, dominance) per subject and clip; integers 1-5, 3 sits on the threshold.
SCORES = {
    1: ((4, 2, 3), (1, 3, 5)),
    2: ((3, 5, 2), (2, 1, 1)),
}


def _cell(items, shape):
    cell = np.empty(shape, dtype=object)
    for index, item in enumerate(items):
        cell.flat[index] = item
    return cell


def _signal(rng, n_samples, n_chans, scale):
    time_s = np.arange(n_samples)[:, None] / EEG_SFREQ
    freqs = rng.uniform(3.0, 40.0, size=(1, n_chans))
    values = scale * np.sin(2 * np.pi * freqs * time_s) + rng.normal(
        0.0, scale / 4, (n_samples, n_chans)
    )
    return np.round(values)


def subject_record(subject, seed=None):
    """One subject's fields as a dict (``EEG``/``ECG`` as dicts of 18x1-style cells)."""
    rng = np.random.default_rng(subject if seed is None else seed)
    eeg_stimuli, eeg_baselines, ecg_stimuli, ecg_baselines = [], [], [], []
    for duration in STIMULUS_S:
        eeg_stimuli.append(_signal(rng, int(duration * EEG_SFREQ), 14, 8.0))
        eeg_baselines.append(_signal(rng, int(BASELINE_S * EEG_SFREQ), 14, 8.0))
        ecg_stimuli.append(_signal(rng, int(duration * ECG_SFREQ), 2, 40.0))
        ecg_baselines.append(_signal(rng, int(BASELINE_S * ECG_SFREQ), 2, 40.0))
    n_clips = len(STIMULUS_S)
    scores = np.asarray(SCORES[subject], dtype=np.float64)
    return {
        "Age": np.array([[20.0 + subject]]),
        "Gender": "male" if subject % 2 else "female",
        "EEG": {
            "baseline": _cell(eeg_baselines, (n_clips, 1)),
            "stimuli": _cell(eeg_stimuli, (n_clips, 1)),
        },
        "ECG": {
            "baseline": _cell(ecg_baselines, (n_clips, 1)),
            "stimuli": _cell(ecg_stimuli, (n_clips, 1)),
        },
        "ScoreValence": scores[:, 0:1],
        "ScoreArousal": scores[:, 1:2],
        "ScoreDominance": scores[:, 2:3],
    }


def dreamer_struct(records, struct_array=False):
    """The top-level ``DREAMER`` struct; ``Data`` as a cell of structs (real) or a struct array."""
    if struct_array:
        fields = list(records[0])
        data = np.empty((1, len(records)), dtype=[(name, object) for name in fields])
        for index, record in enumerate(records):
            for name in fields:
                data[0, index][name] = record[name]
    else:
        data = _cell(records, (1, len(records)))
    return {
        "Data": data,
        "EEG_SamplingRate": np.array([[float(EEG_SFREQ)]]),
        "ECG_SamplingRate": np.array([[float(ECG_SFREQ)]]),
        "EEG_Electrodes": _cell(list(ELECTRODES), (1, len(ELECTRODES))),
        "noOfSubjects": np.array([[float(len(records))]]),
        "noOfVideoSequences": np.array([[float(len(STIMULUS_S))]]),
        "Disclaimer": "Dummy data for tests; not the DREAMER recordings.",
        "Provider": "amigos-emo",
        "Version": "dummy",
        "Acknowledgement": "",
    }


def main() -> None:
    records = [subject_record(subject) for subject in sorted(SCORES)]
    path = HERE / "DREAMER.mat"
    scipy.io.savemat(path, {"DREAMER": dreamer_struct(records)}, do_compression=True)
    # The indexing path every working loader uses must work on the file as written.
    mat = scipy.io.loadmat(path)
    trial = mat["DREAMER"][0, 0]["Data"][0, 1]["EEG"][0, 0]["stimuli"][0, 0][1, 0]
    assert trial.shape == (int(STIMULUS_S[1] * EEG_SFREQ), 14), trial.shape
    score = mat["DREAMER"][0, 0]["Data"][0, 1]["ScoreValence"][0, 0][0, 0]
    assert score == SCORES[2][0][0], score


if __name__ == "__main__":
    main()
