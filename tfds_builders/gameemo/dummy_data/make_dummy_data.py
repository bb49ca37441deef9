"""Write the synthetic GAMEEMO tree in dummy_data/ (run once: python make_dummy_data.py).

Real folder layout and CSV format: ``(S02)/Preprocessed EEG Data/.csv format/S02G1AllChannels.csv``
and ``(S02)/Raw EEG Data/.csv format/S02G1AllRawChannels.csv``; a header of the 14 channel names
in the release's column order plus an empty trailing column (every row ends with a comma, so
pandas sees an all-NaN ``Unnamed: 14`` column). Subject 2's raw files use the
``AllRawChannels`` name and subject 10's the ``AllChannels`` name (both variants occur in the
release); subject 10 checks numeric ordering (2 < 10). Values are random (no emotion
information), one decimal, 128 Hz; recordings are 1.4-3.3 s instead of ~5 min. Each
preprocessed game has a different length so that counts per game differ.
"""

import pathlib

import numpy as np

HERE = pathlib.Path(__file__).parent
CSV_CHANNELS = (
    "AF3",
    "AF4",
    "F3",
    "F4",
    "F7",
    "F8",
    "FC5",
    "FC6",
    "O1",
    "O2",
    "P7",
    "P8",
    "T7",
    "T8",
)
# rows per game (G1..G4)
PREPROCESSED_ROWS = {2: (256, 300, 384, 420), 10: (400, 256, 180, 300)}
RAW_ROWS = {2: (256, 260, 290, 256), 10: (300, 256, 256, 256)}
RAW_NAME = {2: "AllRawChannels", 10: "AllChannels"}


def write_csv(path, n_rows, rng, offset):
    path.parent.mkdir(parents=True, exist_ok=True)
    values = np.round(rng.normal(offset, 20.0, size=(n_rows, len(CSV_CHANNELS))), 1)
    lines = [",".join(CSV_CHANNELS) + ","]
    lines += [",".join(f"{v:g}" for v in row) + "," for row in values]
    path.write_text("\n".join(lines) + "\n")


def main():
    rng = np.random.default_rng(2020)
    for subject in (2, 10):
        folder = HERE / f"(S{subject:02d})"
        for game in (1, 2, 3, 4):
            write_csv(
                folder
                / "Preprocessed EEG Data"
                / ".csv format"
                / f"S{subject:02d}G{game}AllChannels.csv",
                PREPROCESSED_ROWS[subject][game - 1],
                rng,
                0.0,
            )
            write_csv(
                folder
                / "Raw EEG Data"
                / ".csv format"
                / f"S{subject:02d}G{game}{RAW_NAME[subject]}.csv",
                RAW_ROWS[subject][game - 1],
                rng,
                40.0,
            )


if __name__ == "__main__":
    main()
