"""Write the AMIGOS dummy data in the real on-disk format (run once; output is committed).

    python tfds_builders/amigos/dummy_data/make_dummy_data.py

Two participants in the preprocessed release's format (``scipy.io.savemat``, MATLAB v5,
compressed): ``joined_data``, ``labels_selfassessment``, ``labels_ext_annotation`` and
``VideoIDs``, each a 1x20 cell. One file lies flat, the other in a per-participant sub-folder
(as when the per-participant zips are unzipped in place), so the recursive search is exercised:

- ``Data_Preprocessed_P01.mat``: trials 1-4 complete (1, 2, 1, 2 windows of 4 s after the 5 s
  baseline); trial 5 has NaN samples in ECG lead III; trial 6 has data but an empty (0x0)
  labels cell; trial 7 is shorter than baseline + one window; trial 8 has labels but an empty
  ``joined_data`` cell; trials 9-20 are empty in both.
- ``Data_Preprocessed_P02/Data_Preprocessed_P02.mat``: trials 1, 2 and 4 complete; trial 3 has a
  NaN valence; trials 5-20 empty.

Signals are small random integers (-2..2) (microvolts; GSR around 4e5 ohms) so that the compressed files
stay tiny; they are not physiological. Ratings exercise the transition label and the >= 5
boundary (see ``RATINGS``).
"""

from __future__ import annotations

import pathlib

import numpy as np
import scipy.io

HERE = pathlib.Path(__file__).resolve().parent
N_TRIALS = 20
BASELINE = 640  # 5 s at 128 Hz
WINDOW = 512  # 4 s at 128 Hz

# participant -> {trial: n_samples}; trials not listed have an empty joined_data cell.
LENGTHS = {
    1: {
        1: BASELINE + WINDOW,
        2: BASELINE + 2 * WINDOW,
        3: BASELINE + WINDOW + 10,
        4: BASELINE + 2 * WINDOW + 30,
        5: BASELINE + WINDOW,
        6: BASELINE + WINDOW,
        7: BASELINE + WINDOW - 1,
    },
    2: {
        1: BASELINE + WINDOW,
        2: BASELINE + 2 * WINDOW + 50,
        3: BASELINE + WINDOW,
        4: BASELINE + WINDOW,
    },
}
# participant -> {trial: (arousal, valence)}; trials not listed have an empty labels cell.
RATINGS = {
    1: {
        1: (3.0, 6.0),
        2: (2.0, 7.5),
        3: (2.0, 2.0),
        4: (5.0, 5.0),
        5: (8.0, 8.0),
        7: (4.0, 4.0),
        8: (6.0, 6.0),
    },
    2: {1: (8.0, 3.0), 2: (6.0, 4.99), 3: (7.0, np.nan), 4: (8.0, 8.0)},
}
NAN_DATA = {(1, 5)}


def _cell(items):
    cell = np.empty((1, len(items)), dtype=object)
    for index, item in enumerate(items):
        cell[0, index] = item
    return cell


def participant_variables(participant, rng):
    data, labels, annotations = [], [], []
    for trial in range(1, N_TRIALS + 1):
        n_samples = LENGTHS[participant].get(trial)
        if n_samples is None:
            data.append(np.zeros((0, 0)))
            annotations.append(np.zeros((0, 0)))
        else:
            matrix = rng.integers(-2, 3, size=(n_samples, 17)).astype(np.float64)
            matrix[:, 16] += 400000.0
            if (participant, trial) in NAN_DATA:
                matrix[BASELINE + 10 : BASELINE + 20, 15] = np.nan
            data.append(matrix)
            annotations.append(np.array([[1.0, 5.0, 5.0]]))
        rating = RATINGS[participant].get(trial)
        if rating is None:
            labels.append(np.zeros((0, 0)))
        else:
            arousal, valence = rating
            flags = [0, 0, 1, 0, 0, 0, 0]
            labels.append(
                np.array([[arousal, valence, 4.0 + trial / 10, 6.0 - trial / 10, 1.0, *flags]])
            )
    video_ids = [f"V{k:02d}" for k in range(1, 17)] + [f"L{k:02d}" for k in range(1, 5)]
    return {
        "joined_data": _cell(data),
        "labels_selfassessment": _cell(labels),
        "labels_ext_annotation": _cell(annotations),
        "VideoIDs": _cell([np.array(v) for v in video_ids]),
    }


def main():
    rng = np.random.default_rng(2018)
    targets = {
        1: HERE / "Data_Preprocessed_P01.mat",
        2: HERE / "Data_Preprocessed_P02" / "Data_Preprocessed_P02.mat",
    }
    for participant, path in targets.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        scipy.io.savemat(path, participant_variables(participant, rng), do_compression=True)
        print(f"wrote {path} ({path.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
