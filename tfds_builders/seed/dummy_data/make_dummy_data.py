"""Write the SEED dummy corpus (classic release layout) into this folder. Run once:

    python tfds_builders/seed/dummy_data/make_dummy_data.py

Layout written (the real on-disk format, shrunk):

    SEED/Preprocessed_EEG/{1_20131027,1_20131030,1_20131107,2_20140404,2_20140413,2_20140419}.mat
    SEED/Preprocessed_EEG/label.mat, readme.txt
    SEED/ExtractedFeatures/<same six names>.mat, label.mat

Each session file holds 2 of the 15 trials (trials 2 and 10, written in the order eeg10, eeg2
so that dict order differs from numeric order): subject 1 uses keys ``djc_eeg<k>``, subject 2
the ``eeg_<k>`` variant. Trial 2 lasts 1 s (201 samples), trial 10 lasts 2 s (401 samples),
both 200 * duration + 1 as in the corpus. Values are random integers (microvolts) so the
compressed files stay small. Features (random quarter-integers) hold ``de_movingAve<k>``, ``de_LDS<k>`` and ``psd_LDS<k>``
of shape (62, duration, 5).
"""

import pathlib

import numpy as np
import scipy.io

HERE = pathlib.Path(__file__).resolve().parent
SUBJECTS = {
    1: ("djc", ("20131107", "20131027", "20131030")),
    2: ("", ("20140404", "20140419", "20140413")),
}
TRIALS = {10: 2, 2: 1}  # trial -> duration in seconds (written in this order)
LABELS = np.array([[1, 0, -1, -1, 0, 1, -1, 0, 1, 1, 0, -1, 0, 1, -1]], dtype=np.int16)


def main():
    rng = np.random.default_rng(20131027)
    raw_dir = HERE / "SEED" / "Preprocessed_EEG"
    feature_dir = HERE / "SEED" / "ExtractedFeatures"
    for folder in (raw_dir, feature_dir):
        folder.mkdir(parents=True, exist_ok=True)
        scipy.io.savemat(folder / "label.mat", {"label": LABELS})
    (raw_dir / "readme.txt").write_text("Dummy SEED data for tests (random values).\n")
    for subject, (initials, dates) in SUBJECTS.items():
        for date in dates:
            raw, features = {}, {}
            for trial, duration_s in TRIALS.items():
                key = f"{initials}_eeg{trial}" if initials else f"eeg_{trial}"
                raw[key] = np.round(rng.normal(0.0, 4.0, (62, 200 * duration_s + 1)))
                for name in ("de_movingAve", "de_LDS", "psd_LDS"):
                    features[f"{name}{trial}"] = (
                        np.round(rng.normal(10.0, 2.0, (62, duration_s, 5)) * 4) / 4
                    )
            scipy.io.savemat(raw_dir / f"{subject}_{date}.mat", raw, do_compression=True)
            scipy.io.savemat(feature_dir / f"{subject}_{date}.mat", features, do_compression=True)


if __name__ == "__main__":
    main()
