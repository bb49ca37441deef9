"""Write the SEED-IV dummy corpus into this folder. Run once:

    python tfds_builders/seed_iv/dummy_data/make_dummy_data.py

Layout (the real on-disk format, shrunk): ``eeg_raw_data/{1,2,3}/`` and
``eeg_feature_smooth/{1,2,3}/``, each with ``1_<date>.mat`` and ``2_<date>.mat`` (the real
session dates of subjects 1 and 2), plus ``ReadMe.txt``.

Each raw file holds 2 of the 24 trials, keys ``<initials>_eeg12`` then ``<initials>_eeg3``
(written in that order so dict/string order differs from numeric order); (62, T) random integer
microvolts. Trial 3 lasts 1 s; trial 12 lasts 1.5 s, except in subject 1 session 1 and subject 2
session 3 where it lasts 4.5 s (one 4 s window). Feature files hold ``de_movingAve<k>``,
``de_LDS<k>``, ``psd_movingAve<k>``, ``psd_LDS<k>``, (62, W, 5) random quarter-integers, W = the
number of 4 s windows rounded up.
"""

import math
import pathlib

import numpy as np
import scipy.io

HERE = pathlib.Path(__file__).resolve().parent
SESSION_DATES = {
    1: {1: "20160518", 2: "20150915"},
    2: {1: "20161125", 2: "20150920"},
    3: {1: "20161126", 2: "20151012"},
}
INITIALS = {1: "cz", 2: "ha"}
LONG = {(1, 1), (2, 3)}  # (subject, session) whose trial 12 lasts 4.5 s


def main():
    rng = np.random.default_rng(2016)
    for session, dates in SESSION_DATES.items():
        raw_dir = HERE / "eeg_raw_data" / str(session)
        feature_dir = HERE / "eeg_feature_smooth" / str(session)
        raw_dir.mkdir(parents=True, exist_ok=True)
        feature_dir.mkdir(parents=True, exist_ok=True)
        for subject, date in dates.items():
            raw, features = {}, {}
            for trial in (12, 3):
                duration_s = 1.0 if trial == 3 else (4.5 if (subject, session) in LONG else 1.5)
                raw[f"{INITIALS[subject]}_eeg{trial}"] = np.round(
                    rng.normal(0.0, 2.0, (62, int(200 * duration_s)))
                )
                n_windows = math.ceil(duration_s / 4.0)
                for name in ("de_movingAve", "de_LDS", "psd_movingAve", "psd_LDS"):
                    features[f"{name}{trial}"] = (
                        np.round(rng.normal(10.0, 2.0, (62, n_windows, 5)) * 4) / 4
                    )
            scipy.io.savemat(raw_dir / f"{subject}_{date}.mat", raw, do_compression=True)
            scipy.io.savemat(feature_dir / f"{subject}_{date}.mat", features, do_compression=True)
    (HERE / "ReadMe.txt").write_text("Dummy SEED-IV data for tests (random values).\n")


if __name__ == "__main__":
    main()
