"""Write the synthetic dummy_data/emotions.csv (run once: python make_dummy_data.py).

Real on-disk format: a header of 2548 feature names plus ``label`` (the first header is the
literal ``# mean_0_a``, the last 750 features are ``fft_0_b`` ... ``fft_749_b``), then one row per
window with short decimal numbers and a NEGATIVE/NEUTRAL/POSITIVE string. The feature names
between ``mean_4_a`` and ``fft_0_b`` follow the release's families (mean, mean_d, stddev, moments,
max, min, covmat, eigen, logm, entropy, correlate, fft with _a/_b suffixes) but are not the
release's exact list. Values are random (no emotion information). 7 rows: 3 NEGATIVE, 2 NEUTRAL,
2 POSITIVE.
"""

import pathlib

import numpy as np

HERE = pathlib.Path(__file__).parent
N_FEATURES = 2548
LABELS = ["NEGATIVE", "NEUTRAL", "POSITIVE", "NEGATIVE", "POSITIVE", "NEUTRAL", "NEGATIVE"]


def feature_names():
    names = []
    for half in ("a", "b"):
        for family, count in (
            ("mean", 5),
            ("mean_d", 5),
            ("stddev", 5),
            ("stddev_d", 5),
            ("moments", 10),
            ("max", 5),
            ("max_d", 5),
            ("max_q", 10),
            ("min", 5),
            ("min_d", 5),
            ("min_q", 10),
            ("covmat", 25),
            ("eigen", 5),
            ("logm", 15),
            ("entropy", 5),
            ("correlate", 20),
        ):
            names += [f"{family}_{i}_{half}" for i in range(count)]
        if half == "a":
            names += [f"fft_{i}_a" for i in range(750)]
    n_fill = N_FEATURES - len(names) - 750
    names += [f"covmat_{25 + i}_b" for i in range(n_fill)]
    names += [f"fft_{i}_b" for i in range(750)]
    assert len(names) == N_FEATURES and len(set(names)) == N_FEATURES
    names[0] = "# " + names[0]
    return names


def main():
    rng = np.random.default_rng(2132)
    values = np.round(rng.normal(0.0, 50.0, size=(len(LABELS), N_FEATURES)), 2)
    lines = [",".join(feature_names() + ["label"])]
    lines += [
        ",".join(f"{v:g}" for v in row) + f",{label}"
        for row, label in zip(values, LABELS, strict=True)
    ]
    (HERE / "emotions.csv").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
