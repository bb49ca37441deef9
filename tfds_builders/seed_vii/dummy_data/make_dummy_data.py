"""Write the SEED-VII dummy corpus into this folder. Run once:

    python tfds_builders/seed_vii/dummy_data/make_dummy_data.py

Layout (the real on-disk format, shrunk):

    EEG_preprocessed/{1,2}.mat   keys '<video>' (62, T), random integer microvolts
    EEG_features/{1,2}.mat       keys 'de_LDS_<video>' and 'psd_LDS_<video>' (W, 5, 62)
    emotion_label_and_stimuli_order.xlsx   (openpyxl)

Only videos 1, 2, 21, 45, 80 are written (session 1 clips 1-2, session 2 clip 1, session 3
clip 5, session 4 clip 20), keys in the order '80', '1', '21', '2', '45' (string order differs
from numeric order). Video 2 lasts 2 s (400 samples), the others 1.25 s (250 samples); W =
whole seconds. The xlsx has one sheet: rows alternate a video-number row ('Video index',
numbers) and a 'Session k' row with the 20 emotion names (capitalised) in columns B..U.
"""

import pathlib

import numpy as np
import openpyxl
import scipy.io

HERE = pathlib.Path(__file__).resolve().parent
HALF = {
    1: (
        "Happy",
        "Neutral",
        "Disgust",
        "Sad",
        "Anger",
        "Anger",
        "Sad",
        "Disgust",
        "Neutral",
        "Happy",
    ),
    2: (
        "Anger",
        "Sad",
        "Fear",
        "Neutral",
        "Surprise",
        "Surprise",
        "Neutral",
        "Fear",
        "Sad",
        "Anger",
    ),
    3: (
        "Happy",
        "Surprise",
        "Disgust",
        "Fear",
        "Anger",
        "Anger",
        "Fear",
        "Disgust",
        "Surprise",
        "Happy",
    ),
    4: (
        "Disgust",
        "Sad",
        "Fear",
        "Surprise",
        "Happy",
        "Happy",
        "Surprise",
        "Fear",
        "Sad",
        "Disgust",
    ),
}
VIDEOS = (80, 1, 21, 2, 45)


def write_label_xlsx(path, session_names):
    """The label spreadsheet: alternating video-number and 'Session k' emotion rows."""
    book = openpyxl.Workbook()
    sheet = book.active
    for session, names in session_names.items():
        sheet.append(["Video index"] + [(session - 1) * 20 + clip for clip in range(1, 21)])
        sheet.append([f"Session {session}"] + list(names))
    book.save(path)


def main():
    rng = np.random.default_rng(2024)
    raw_dir = HERE / "EEG_preprocessed"
    feature_dir = HERE / "EEG_features"
    raw_dir.mkdir(parents=True, exist_ok=True)
    feature_dir.mkdir(parents=True, exist_ok=True)
    for subject in (1, 2):
        raw, features = {}, {}
        for video in VIDEOS:
            n_times = 400 if video == 2 else 250
            raw[str(video)] = np.round(rng.normal(0.0, 2.0, (62, n_times)))
            for name in ("de_LDS", "psd_LDS"):
                features[f"{name}_{video}"] = (
                    np.round(rng.normal(10.0, 2.0, (n_times // 200, 5, 62)) * 4) / 4
                )
        scipy.io.savemat(raw_dir / f"{subject}.mat", raw, do_compression=True)
        scipy.io.savemat(feature_dir / f"{subject}.mat", features, do_compression=True)
    write_label_xlsx(
        HERE / "emotion_label_and_stimuli_order.xlsx", {s: half * 2 for s, half in HALF.items()}
    )


if __name__ == "__main__":
    main()
