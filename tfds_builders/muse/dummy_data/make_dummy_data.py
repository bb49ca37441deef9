"""Write the synthetic muse-lsl CSVs in dummy_data/ (run once: python make_dummy_data.py).

Same format as the real recordings: header ``timestamps,TP9,AF7,AF8,TP10,Right AUX``, timestamps
in epoch seconds rounded to the millisecond at 256 Hz, EEG in microvolts with 3 decimals. The
values are random noise (no emotion information). Files go to a nested folder to exercise the
recursive search. ``subjectb-neutral-10.csv`` checks numeric ordering of the repetition number;
``subjectb-relaxed-2.csv`` has one 5 s timestamp gap (like the real subjectb-relaxed-2);
``subjectb-concentrating-1.csv`` is shorter than one window.
"""

import pathlib

import numpy as np

HERE = pathlib.Path(__file__).parent
SFREQ_HZ = 256.0
# (letter, state, repetition): list of contiguous segment lengths (samples), gaps of 5 s between.
RECORDINGS = {
    ("a", "relaxed", 1): [600],
    ("a", "neutral", 1): [520],
    ("a", "concentrating", 1): [700],
    ("a", "concentrating", 2): [300],
    ("b", "relaxed", 2): [400, 330],
    ("b", "neutral", 2): [256],
    ("b", "neutral", 10): [450],
    ("b", "concentrating", 1): [200],
}


def main():
    rng = np.random.default_rng(2018)
    folder = HERE / "original_data"
    folder.mkdir(exist_ok=True)
    start = 1533222559.839
    for (letter, state, repetition), segments in RECORDINGS.items():
        times, t0 = [], start
        for n in segments:
            times.append(t0 + np.arange(n) / SFREQ_HZ)
            t0 = times[-1][-1] + 5.0
        timestamps = np.round(np.concatenate(times), 3)
        eeg = rng.normal(0.0, 15.0, size=(timestamps.size, 5)) + np.array(
            [20.0, 30.0, 25.0, 15.0, 30.0]
        )
        lines = ["timestamps,TP9,AF7,AF8,TP10,Right AUX"]
        lines += [
            f"{t:.3f}," + ",".join(f"{v:.3f}" for v in row)
            for t, row in zip(timestamps, eeg, strict=False)
        ]
        (folder / f"subject{letter}-{state}-{repetition}.csv").write_text("\n".join(lines) + "\n")
        start += 100.0


if __name__ == "__main__":
    main()
