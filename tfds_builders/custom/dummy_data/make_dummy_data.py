"""Write three tiny "bring your own data" examples, one per recording format (run once).

    python tfds_builders/custom/dummy_data/make_dummy_data.py

- ``edf/``: EDF files written with ``mne.export.export_raw`` (edfio), with sessions:
  ``sub-{subject}/ses-{session}/sub-{subject}_ses-{session}_trial-{trial}.edf``; channels Fz, Cz
  (eeg), ECG (ecg), EDA (gsr) at 128 Hz; labels ``emotion`` (categorical) and ``valence``.
- ``csv/``: ``S{subject}_T{trial}.csv`` with a header row (``time, Fp1, Fp2, ECG, unused``) at
  128 Hz, the time column checked against the declared rate; label ``condition``.
- ``npz/``: ``subject{subject}/trial{trial}.npz`` with ``data`` (n_times, 3), ``ch_names`` and
  ``sfreq`` (256 Hz); EEG kept at 256 Hz and GSR resampled to 64 Hz (``"resample": true``);
  labels ``arousal`` (continuous) and ``arousal_level`` (categorical).

Each folder holds its ``amigos_emo_dataset.json`` and ``labels.csv``; the README documents them.
"""

from __future__ import annotations

import json
import pathlib

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent


def _signals(rng, n_times, n_chans, sfreq, scale):
    time_s = np.arange(n_times)[:, None] / sfreq
    freqs = rng.uniform(2.0, 20.0, size=(1, n_chans))
    return scale * np.sin(2 * np.pi * freqs * time_s) + rng.normal(
        0.0, scale / 5, (n_times, n_chans)
    )


def _write_json(folder, description):
    (folder / "amigos_emo_dataset.json").write_text(json.dumps(description, indent=2) + "\n")


def make_edf(folder):
    import mne

    rng = np.random.default_rng(1)
    folder.mkdir(exist_ok=True)
    rows = ["subject,session,trial,emotion,valence"]
    emotions = ("neutral", "happy", "sad")
    for subject in (1, 2):
        for session in (1, 2):
            for trial in (1, 2):
                seconds = 3 + trial  # 4 s and 5 s
                eeg = _signals(rng, seconds * 128, 2, 128.0, 20.0) * 1e-6  # volts for MNE
                ecg = _signals(rng, seconds * 128, 1, 128.0, 500.0) * 1e-6
                eda = 5.0 + np.abs(_signals(rng, seconds * 128, 1, 128.0, 0.5))  # microsiemens
                info = mne.create_info(
                    ["Fz", "Cz", "ECG", "EDA"], 128.0, ["eeg", "eeg", "ecg", "misc"]
                )
                raw = mne.io.RawArray(
                    np.concatenate([eeg, ecg, eda], axis=1).T, info, verbose="error"
                )
                path = (
                    folder
                    / f"sub-{subject:02d}"
                    / f"ses-{session}"
                    / f"sub-{subject:02d}_ses-{session}_trial-{trial}.edf"
                )
                path.parent.mkdir(parents=True, exist_ok=True)
                mne.export.export_raw(path, raw, fmt="edf", overwrite=True, verbose="error")
                emotion = emotions[(subject + session + trial) % 3]
                rows.append(f"{subject},{session},{trial},{emotion},{rng.uniform(1, 9):.2f}")
    (folder / "labels.csv").write_text("\n".join(rows) + "\n")
    _write_json(
        folder,
        {
            "name": "edf_example",
            "description": "Dummy EDF recordings: 2 subjects x 2 sessions x 2 trials.",
            "file_pattern": "sub-{subject}/ses-{session}/sub-{subject}_ses-{session}_trial-{trial}.edf",
            "channels": [
                {"name": "Fz", "type": "eeg"},
                {"name": "Cz", "type": "eeg"},
                {"name": "ECG", "type": "ecg"},
                {"name": "EDA", "type": "gsr"},
            ],
            "sfreq": 128,
            "labels_file": "labels.csv",
            "labels": {
                "emotion": {"type": "categorical", "classes": list(emotions)},
                "valence": {"type": "continuous"},
            },
            "label": "emotion",
            "window_s": 1.0,
            "step_s": 0.5,
        },
    )


def make_csv(folder):
    rng = np.random.default_rng(2)
    folder.mkdir(exist_ok=True)
    rows = ["subject,trial,condition"]
    for subject in (3, 11):  # numeric order 3 < 11, lexical order the other way round
        for trial in (1, 2, 3):
            n_times = 128 * (2 + trial)  # 3, 4, 5 s
            signals = np.round(_signals(rng, n_times, 3, 128.0, 30.0), 3)
            time_s = np.arange(n_times) / 128.0
            lines = ["time,Fp1,Fp2,ECG,unused"]
            lines += [f"{t:.6f},{a},{b},{c}," for t, (a, b, c) in zip(time_s, signals, strict=True)]
            (folder / f"S{subject}_T{trial}.csv").write_text("\n".join(lines) + "\n")
            rows.append(f"{subject},{trial},{'rest' if trial == 1 else 'task'}")
    (folder / "labels.csv").write_text("\n".join(rows) + "\n")
    _write_json(
        folder,
        {
            "name": "csv_example",
            "file_pattern": "S{subject}_T{trial}.csv",
            "channels": [
                {"name": "Fp1", "type": "eeg"},
                {"name": "Fp2", "type": "eeg"},
                {"name": "ECG", "type": "ecg"},
            ],
            "sfreq": {"eeg": 128, "ecg": 128},
            "labels_file": "labels.csv",
            "labels": {"condition": {"type": "categorical", "classes": ["rest", "task"]}},
            "window_s": 2.0,
            "step_s": 2.0,
            "csv": {"time_column": "time"},
        },
    )


def make_npz(folder):
    rng = np.random.default_rng(3)
    folder.mkdir(exist_ok=True)
    rows = ["subject,trial,arousal,arousal_level"]
    for subject in (1, 2):
        for trial in (1, 2):
            n_times = 256 * 3
            data = _signals(rng, n_times, 3, 256.0, 10.0).astype(np.float32)
            path = folder / f"subject{subject}" / f"trial{trial}.npz"
            path.parent.mkdir(exist_ok=True)
            np.savez_compressed(
                path, data=data, ch_names=np.array(["C3", "C4", "GSR"]), sfreq=np.float64(256.0)
            )
            arousal = rng.uniform(1, 9)
            rows.append(f"{subject},{trial},{arousal:.2f},{'high' if arousal >= 5 else 'low'}")
    (folder / "labels.csv").write_text("\n".join(rows) + "\n")
    _write_json(
        folder,
        {
            "name": "npz_example",
            "file_pattern": "subject{subject}/trial{trial}.npz",
            "channels": [
                {"name": "C3", "type": "eeg"},
                {"name": "C4", "type": "eeg"},
                {"name": "GSR", "type": "gsr"},
            ],
            "sfreq": {"eeg": 256, "gsr": 64},
            "file_sfreq": 256,
            "resample": True,
            "labels_file": "labels.csv",
            "labels": {
                "arousal": {"type": "continuous"},
                "arousal_level": {"type": "categorical", "classes": ["low", "high"]},
            },
            "window_s": 1.0,
        },
    )


def main() -> None:
    make_edf(HERE / "edf")
    make_csv(HERE / "csv")
    make_npz(HERE / "npz")


if __name__ == "__main__":
    main()
