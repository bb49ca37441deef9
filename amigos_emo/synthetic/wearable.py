"""A SYNTHETIC wrist-wearable stress study in the documented ``custom`` layout (never recorded data).

:func:`write_synthetic_wearable_study` writes what an Empatica-E4-like study looks like after
export, ready for ``python -m amigos_emo.train --dataset custom --manual-dir FOLDER``:

- per subject and trial one ``.npz`` with one array per modality at its native rate (``BVP``
  64 Hz, ``EDA`` 4 Hz in microsiemens, ``TEMP`` 4 Hz in degrees Celsius, ``ACC`` 32 Hz x 3 axes
  in g), each with its ``<name>_sfreq`` and ``<name>_ch_names`` (``layout="npz"``); or one CSV per
  modality per trial with a ``time`` column (``layout="csv"``, as E4 exports are per modality);
  or one NPZ per subject with the trials one after another (``layout="continuous"``), or the
  same as an E4 session export, one E4-format CSV per sensor per subject (``layout="e4"``);
- ``labels.csv`` with ``subject, trial, condition, stress`` (``baseline`` / ``stress`` /
  ``amusement``; ``stress`` is ``yes`` for the stress condition, else ``no``), and ``start_s``,
  ``end_s`` (each trial's seconds in its subject's file) for ``"continuous"`` and ``"e4"``;
- ``amigos_emo_dataset.json`` describing it (per-channel native rates, 3-class ``condition`` as
  the label, ``"representation": "raw+features"`` unless asked otherwise: the signals and their
  per-window features), ``amigos_emo_dataset_features.json`` (the same study with
  ``"representation": "features"``), and ``SYNTHETIC_README.txt``.

Effects, per condition relative to baseline (amusement is half-way on heart rate and EDA):

- stress raises heart rate (+``STRESS_HEART_RATE_BPM``), the tonic skin-conductance level
  (+``STRESS_EDA_LEVEL_US``) and the skin-conductance-response rate (x``STRESS_SCR_RATE_FACTOR``),
  lowers the BVP pulse amplitude (x``STRESS_BVP_AMPLITUDE_FACTOR``: peripheral vasoconstriction),
  slightly cools the skin and raises the variability of wrist motion (x``STRESS_MOTION_FACTOR``);
- every trial varies around its condition (:data:`TRIAL_SD`: heart rate, pulse amplitude, EDA
  level, SCR rate, skin-temperature drift, motion);
- individual differences are larger than those effects, as in real people: per-subject resting
  heart rate (SD ``SUBJECT_HEART_RATE_SD_BPM``), skin-conductance level (log-normal, SD about
  ``SUBJECT_EDA_LEVEL_SD_US``), pulse amplitude, skin temperature and motion offsets. A model must
  learn within-subject changes to generalise to new subjects.
"""

from __future__ import annotations

import json
import os
import pathlib

import numpy as np

from amigos_emo._checks import check_positive
from amigos_emo._logging import logger

CONDITIONS = ("baseline", "stress", "amusement")
# Native rates of the Empatica E4.
BVP_HZ, EDA_HZ, TEMP_HZ, ACC_HZ = 64.0, 4.0, 4.0, 32.0
README_NAME = "SYNTHETIC_README.txt"
LAYOUTS = ("npz", "csv", "continuous", "e4")
# Layouts with one file (or one file per sensor) per subject, trials cut out by start_s/end_s.
CONTINUOUS_LAYOUTS = ("continuous", "e4")
# UNIX time of the first subject's E4 session start (2017-07-14); later subjects a day apart.
E4_SESSION_START = 1500000000.0
# Each modality's array: its rate and channel names.
_RATES = {"BVP": BVP_HZ, "EDA": EDA_HZ, "TEMP": TEMP_HZ, "ACC": ACC_HZ}
_NAMES = {"BVP": ["BVP"], "EDA": ["EDA"], "TEMP": ["TEMP"], "ACC": ["ACC_X", "ACC_Y", "ACC_Z"]}
FEATURES_JSON_NAME = "amigos_emo_dataset_features.json"

REST_HEART_RATE_BPM = 70.0
SUBJECT_HEART_RATE_SD_BPM = 9.0
STRESS_HEART_RATE_BPM = 8.0
REST_EDA_LEVEL_US = 3.0
SUBJECT_EDA_LEVEL_SD_US = 2.0
STRESS_EDA_LEVEL_US = 1.0
REST_SCR_PER_MIN = 2.0
STRESS_SCR_RATE_FACTOR = 3.0
STRESS_BVP_AMPLITUDE_FACTOR = 0.7
SUBJECT_BVP_AMPLITUDE_LOG_SD = 0.5
REST_SKIN_TEMPERATURE_C = 33.0
SUBJECT_TEMPERATURE_SD_C = 0.8
STRESS_TEMPERATURE_DROP_C_PER_MIN = 0.15
REST_MOTION_SD_G = 0.02
SUBJECT_MOTION_LOG_SD = 0.5
STRESS_MOTION_FACTOR = 2.0

# Per-trial variability (standard deviations; "log" ones multiply by exp(N(0, sd))).
TRIAL_SD = {
    "heart_rate_bpm": 3.0,
    "bvp_log_amplitude": 0.15,
    "eda_log_level": 0.15,
    "scr_log_rate": 0.3,
    "temperature_drift_c_per_min": 0.15,
    "motion_log_sd": 0.35,
}

# How far each condition moves the stress effects (baseline 0, stress 1).
_EFFECT = {"baseline": 0.0, "stress": 1.0, "amusement": 0.5}


def _subject_offsets(rng):
    return {
        "heart_rate_bpm": REST_HEART_RATE_BPM + rng.normal(0.0, SUBJECT_HEART_RATE_SD_BPM),
        "eda_level_us": float(np.exp(rng.normal(np.log(REST_EDA_LEVEL_US), 0.6))),
        "bvp_amplitude": float(np.exp(rng.normal(np.log(60.0), SUBJECT_BVP_AMPLITUDE_LOG_SD))),
        "temperature_c": REST_SKIN_TEMPERATURE_C + rng.normal(0.0, SUBJECT_TEMPERATURE_SD_C),
        "motion_sd_g": float(np.exp(rng.normal(np.log(REST_MOTION_SD_G), SUBJECT_MOTION_LOG_SD))),
        "scr_per_min": float(np.exp(rng.normal(np.log(REST_SCR_PER_MIN), 0.3))),
    }


def _bvp(rng, duration_s, heart_rate_bpm, amplitude):
    """A pulse wave: systolic peak plus a smaller dicrotic wave per beat, beat-to-beat variability."""
    n = int(round(duration_s * BVP_HZ))
    t = np.arange(n) / BVP_HZ
    # Instantaneous rate with slow respiratory-like variability (HRV), integrated to a phase.
    rate_hz = (
        heart_rate_bpm
        / 60.0
        * (1.0 + 0.04 * np.sin(2 * np.pi * 0.25 * t + rng.uniform(0, 2 * np.pi)))
    )
    phase = np.cumsum(rate_hz) / BVP_HZ + rng.uniform()
    cycle = phase % 1.0
    wave = np.exp(-0.5 * ((cycle - 0.25) / 0.07) ** 2) + 0.35 * np.exp(
        -0.5 * ((cycle - 0.55) / 0.09) ** 2
    )
    wave -= wave.mean()
    return amplitude * wave + rng.normal(0.0, 0.03 * amplitude, n)


def _eda(rng, duration_s, level_us, scr_per_min):
    n = int(round(duration_s * EDA_HZ))
    t = np.arange(n) / EDA_HZ
    tonic = level_us + 0.1 * level_us * np.sin(
        2 * np.pi * t / max(duration_s, 1.0) + rng.uniform(0, 2 * np.pi)
    )
    n_scr = rng.poisson(scr_per_min * duration_s / 60.0)
    onsets = rng.uniform(0, duration_s, n_scr)
    phasic = np.zeros(n)
    for onset in onsets:
        lag = t - onset
        after = lag > 0
        amplitude = rng.uniform(0.2, 0.6)
        # Bi-exponential SCR shape (rise ~0.75 s, recovery ~2 s), peak normalised to ``amplitude``.
        shape = np.exp(-lag[after] / 2.0) - np.exp(-lag[after] / 0.75)
        phasic[after] += amplitude * shape / 0.34
    return np.maximum(tonic + phasic + rng.normal(0.0, 0.005, n), 0.01)


def _temperature(rng, duration_s, level_c, drop_c_per_min):
    n = int(round(duration_s * TEMP_HZ))
    t = np.arange(n) / TEMP_HZ
    return level_c - drop_c_per_min * t / 60.0 + rng.normal(0.0, 0.01, n)


def _acc(rng, duration_s, motion_sd_g):
    n = int(round(duration_s * ACC_HZ))
    gravity = rng.normal(size=3)
    gravity /= np.linalg.norm(gravity)
    # Low-pass filtered motion noise (moving average over 0.25 s) on top of gravity.
    noise = rng.normal(0.0, motion_sd_g * 2.8, (n + 7, 3))
    motion = np.stack(
        [np.convolve(noise[:, i], np.ones(8) / 8, mode="valid") for i in range(3)], axis=1
    )[:n]
    return gravity[None, :] + motion


def _save_npz(path, signals):
    """One NPZ with an array per modality, its rate and its channel names beside it."""
    arrays = {}
    for key, values in signals.items():
        arrays[key] = values.astype(np.float32)
        arrays[f"{key}_sfreq"] = np.float64(_RATES[key])
        arrays[f"{key}_ch_names"] = np.array(_NAMES[key], dtype=str)
    np.savez(path, **arrays)


def _save_e4(folder, signals, start_time):
    """An Empatica E4 session export: one headerless CSV per sensor, row 1 the start time (UNIX
    s), row 2 the rate, then the samples; ACC as integer counts of 1/64 g."""
    for key, values in signals.items():
        if key == "ACC":
            values, fmt = np.round(values * 64.0), "%d"
        else:
            fmt = "%.6f"
        width = values.shape[1]
        with open(folder / f"{key}.csv", "w") as handle:
            handle.write(",".join([f"{start_time:.6f}"] * width) + "\n")
            handle.write(",".join([f"{_RATES[key]:.6f}"] * width) + "\n")
            np.savetxt(handle, values, delimiter=",", fmt=fmt)


def write_synthetic_wearable_study(
    folder,
    n_subjects=15,
    seed=0,
    trial_s=120.0,
    trials_per_condition=1,
    layout="npz",
    window_s=10.0,
    step_s=None,
    representation="raw+features",
):
    """Write a SYNTHETIC multi-rate wearable stress study (module docstring) into ``folder``.

    Args:
        folder: output folder (created); ``folder/amigos_emo_dataset.json`` is the study.
        n_subjects: number of subjects (>= 1).
        seed: random seed; the same seed writes the same files.
        trial_s: duration of each trial, seconds.
        trials_per_condition: trials of each condition per subject (trial order is shuffled per
            subject).
        layout: ``"npz"`` (one file per trial, an array per modality), ``"csv"`` (one file per
            modality per trial, each with a ``time`` column) or ``"continuous"`` (one NPZ per
            subject, ``S01/S01.npz``, the trials one after another, and ``start_s``/``end_s``
            in ``labels.csv`` saying where each lies: a whole session as a wearable exports it),
            or ``"e4"`` (the same, as an Empatica E4 exports a session: ``S01/BVP.csv``,
            ``EDA.csv``, ``TEMP.csv``, ``ACC.csv`` in the E4's own CSV format, ACC in 1/64 g).
        window_s, step_s: the windowing written into the JSON.
        representation: the main JSON's ``"representation"``: ``"raw+features"`` (the signals and
            their per-window features, what the package recommends for wearables), ``"raw"`` or
            ``"features"``.

    Returns:
        the path of ``amigos_emo_dataset.json``.
    """
    if isinstance(n_subjects, bool) or not isinstance(n_subjects, int) or n_subjects < 1:
        raise ValueError(f"n_subjects must be an int >= 1. Received: n_subjects={n_subjects!r}")
    if (
        isinstance(trials_per_condition, bool)
        or not isinstance(trials_per_condition, int)
        or trials_per_condition < 1
    ):
        raise ValueError(
            f"trials_per_condition must be an int >= 1. Received: trials_per_condition={trials_per_condition!r}"
        )
    check_positive(trial_s, "trial_s")
    check_positive(window_s, "window_s")
    if layout not in LAYOUTS:
        raise ValueError(
            f"layout must be one of {', '.join(map(repr, LAYOUTS))}. Received: layout={layout!r}"
        )
    if representation not in ("raw", "features", "raw+features"):
        raise ValueError(
            "representation must be 'raw', 'features' or 'raw+features'. "
            f"Received: representation={representation!r}"
        )
    if window_s > trial_s:
        raise ValueError(
            f"window_s must not exceed trial_s. Received: window_s={window_s}, trial_s={trial_s}"
        )
    folder = pathlib.Path(os.fspath(folder)).expanduser()
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    rows = []
    for subject in range(1, n_subjects + 1):
        session = {}  # layout "continuous": the subject's trials, one after another
        offsets = _subject_offsets(rng)
        conditions = list(CONDITIONS) * trials_per_condition
        rng.shuffle(conditions)
        for trial, condition in enumerate(conditions, start=1):
            effect = _EFFECT[condition]
            # Trial-to-trial variability on top of the condition (a person is not the same twice).
            jitter = {key: rng.normal(0.0, sd) for key, sd in TRIAL_SD.items()}
            heart_rate = offsets["heart_rate_bpm"] + effect * STRESS_HEART_RATE_BPM
            heart_rate += jitter["heart_rate_bpm"]
            amplitude = offsets["bvp_amplitude"] * (
                1.0 - effect * (1.0 - STRESS_BVP_AMPLITUDE_FACTOR)
            )
            amplitude *= np.exp(jitter["bvp_log_amplitude"])
            eda_level = offsets["eda_level_us"] + effect * STRESS_EDA_LEVEL_US
            eda_level *= np.exp(jitter["eda_log_level"])
            scr_rate = offsets["scr_per_min"] * (1.0 + effect * (STRESS_SCR_RATE_FACTOR - 1.0))
            scr_rate *= np.exp(jitter["scr_log_rate"])
            drop = (
                effect * STRESS_TEMPERATURE_DROP_C_PER_MIN + jitter["temperature_drift_c_per_min"]
            )
            motion = offsets["motion_sd_g"] * (1.0 + effect * (STRESS_MOTION_FACTOR - 1.0))
            motion *= np.exp(jitter["motion_log_sd"])
            signals = {
                "BVP": _bvp(rng, trial_s, heart_rate, amplitude)[:, None],
                "EDA": _eda(rng, trial_s, eda_level, scr_rate)[:, None],
                "TEMP": _temperature(rng, trial_s, offsets["temperature_c"], drop)[:, None],
                "ACC": _acc(rng, trial_s, motion),
            }
            trial_dir = folder / f"S{subject:02d}"
            trial_dir.mkdir(exist_ok=True)
            if layout == "npz":
                _save_npz(trial_dir / f"S{subject:02d}_trial{trial}.npz", signals)
            elif layout in CONTINUOUS_LAYOUTS:
                for key, values in signals.items():
                    session.setdefault(key, []).append(values)
            else:
                for key, values in signals.items():
                    time = np.arange(len(values)) / _RATES[key]
                    header = ",".join(["time", *_NAMES[key]])
                    np.savetxt(
                        trial_dir / f"S{subject:02d}_trial{trial}_{key}.csv",
                        np.column_stack([time, values]),
                        delimiter=",",
                        header=header,
                        comments="",
                        fmt="%.6f",
                    )
            rows.append((subject, trial, condition, "yes" if condition == "stress" else "no"))
        if session:
            joined = {key: np.concatenate(parts) for key, parts in session.items()}
            if layout == "e4":
                _save_e4(folder / f"S{subject:02d}", joined, E4_SESSION_START + subject * 86400.0)
            else:
                _save_npz(folder / f"S{subject:02d}" / f"S{subject:02d}.npz", joined)
    with open(folder / "labels.csv", "w") as handle:
        if layout in CONTINUOUS_LAYOUTS:
            handle.write("subject,trial,start_s,end_s,condition,stress\n")
            handle.writelines(
                f"{s},{t},{(t - 1) * trial_s:g},{t * trial_s:g},{c},{b}\n" for s, t, c, b in rows
            )
        else:
            handle.write("subject,trial,condition,stress\n")
            handle.writelines(f"{s},{t},{c},{b}\n" for s, t, c, b in rows)
    if layout == "npz":
        pattern = "S{subject}/S{subject}_trial{trial}.npz"
    elif layout == "continuous":
        pattern = "S{subject}/S{subject}.npz"
    elif layout == "e4":
        pattern = {key: f"S{{subject}}/{key}.csv" for key in ("BVP", "EDA", "TEMP", "ACC")}
    else:
        pattern = {
            key: f"S{{subject}}/S{{subject}}_trial{{trial}}_{key}.csv"
            for key in ("BVP", "EDA", "TEMP", "ACC")
        }
    description = {
        "name": "synthetic_wearable",
        "description": "SYNTHETIC Empatica-E4-like stress study (amigos_emo.synthetic.wearable): BVP 64 Hz, "
        "EDA 4 Hz, TEMP 4 Hz, ACC 32 Hz; baseline / stress / amusement.",
        "file_pattern": pattern,
        **({"format": "e4"} if layout == "e4" else {}),
        "channels": [
            {"name": "BVP", "type": "bvp", "sfreq": BVP_HZ},
            {"name": "EDA", "type": "gsr", "sfreq": EDA_HZ},
            {"name": "TEMP", "type": "temperature", "sfreq": TEMP_HZ},
            {"name": "ACC_X", "type": "acc", "sfreq": ACC_HZ},
            {"name": "ACC_Y", "type": "acc", "sfreq": ACC_HZ},
            {"name": "ACC_Z", "type": "acc", "sfreq": ACC_HZ},
        ],
        "sfreq": {"bvp": BVP_HZ, "gsr": EDA_HZ, "temperature": TEMP_HZ, "acc": ACC_HZ},
        "labels_file": "labels.csv",
        "labels": {
            "condition": {"type": "categorical", "classes": list(CONDITIONS)},
            "stress": {"type": "categorical", "classes": ["no", "yes"]},
        },
        "label": "condition",
        "window_s": float(window_s),
        "step_s": float(step_s if step_s is not None else window_s),
        "representation": representation,
    }
    path = folder / "amigos_emo_dataset.json"
    path.write_text(json.dumps(description, indent=2))
    # The same study as per-window features (heart rate/HRV, EDA, temperature, motion statistics).
    features = {**description, "name": "synthetic_wearable_features", "representation": "features"}
    (folder / FEATURES_JSON_NAME).write_text(json.dumps(features, indent=2))
    (folder / README_NAME).write_text(
        "SYNTHETIC DATA written by amigos_emo.synthetic.write_synthetic_wearable_study "
        f"(seed={seed}, {n_subjects} subjects, {trials_per_condition} trial(s) per condition of {trial_s:g} s).\n"
        "Nothing here was recorded from a person. See the module docstring for the effects.\n"
    )
    logger.info(
        "Wrote a SYNTHETIC wearable study (%d subjects, %d trials) to %s",
        n_subjects,
        len(rows),
        folder,
    )
    return path
