"""Tests of the SYNTHETIC wearable stress study: layout, rates, and the statistics of the files."""

import json

import numpy as np
import pandas as pd
import pytest
import scipy.signal

from amigos_emo.synthetic import wearable, write_synthetic_wearable_study

N_SUBJECTS = 12


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    folder = tmp_path_factory.mktemp("wearable")
    path = write_synthetic_wearable_study(folder, n_subjects=N_SUBJECTS, seed=3, trial_s=60.0)
    return folder, path


def _trial(folder, subject, trial):
    with np.load(folder / f"S{subject:02d}" / f"S{subject:02d}_trial{trial}.npz") as archive:
        return {key: archive[key] for key in archive.files}


def test_layout_rates_and_labels(study):
    from amigos_emo.tfds_builders.custom import custom_spec

    folder, path = study
    spec = custom_spec.load_spec(path)
    assert spec.types == ("bvp", "gsr", "temperature", "acc")
    assert spec.representation == "raw+features"
    features = custom_spec.load_spec(folder / wearable.FEATURES_JSON_NAME)
    assert features.representation == "features" and features.types == spec.types
    assert spec.native_sfreq == {
        "BVP": 64.0,
        "EDA": 4.0,
        "TEMP": 4.0,
        "ACC_X": 32.0,
        "ACC_Y": 32.0,
        "ACC_Z": 32.0,
    }
    assert (
        "SYNTHETIC" in (folder / wearable.README_NAME).read_text()
        and "SYNTHETIC" in json.loads(path.read_text())["description"]
    )
    labels = pd.read_csv(folder / "labels.csv")
    assert len(labels) == 3 * N_SUBJECTS
    for _, rows in labels.groupby("subject"):
        assert sorted(rows.condition) == sorted(wearable.CONDITIONS)
    assert ((labels.condition == "stress") == (labels.stress == "yes")).all()
    arrays = _trial(folder, 1, 1)
    assert arrays["BVP"].shape == (60 * 64, 1) and arrays["EDA"].shape == (60 * 4, 1)
    assert arrays["TEMP"].shape == (60 * 4, 1) and arrays["ACC"].shape == (60 * 32, 3)
    assert float(arrays["ACC_sfreq"]) == 32.0 and list(arrays["ACC_ch_names"]) == [
        "ACC_X",
        "ACC_Y",
        "ACC_Z",
    ]
    assert all(np.all(np.isfinite(arrays[k])) for k in ("BVP", "EDA", "TEMP", "ACC"))


def test_same_seed_same_files(tmp_path):
    a = write_synthetic_wearable_study(tmp_path / "a", n_subjects=2, seed=7, trial_s=20.0)
    b = write_synthetic_wearable_study(tmp_path / "b", n_subjects=2, seed=7, trial_s=20.0)
    assert (a.parent / "labels.csv").read_text() == (b.parent / "labels.csv").read_text()
    np.testing.assert_array_equal(_trial(a.parent, 2, 3)["BVP"], _trial(b.parent, 2, 3)["BVP"])
    with pytest.raises(ValueError, match="n_subjects must be an int >= 1. Received: n_subjects=0"):
        write_synthetic_wearable_study(tmp_path / "c", n_subjects=0)
    with pytest.raises(ValueError, match="layout must be one of 'npz', 'csv', 'continuous'"):
        write_synthetic_wearable_study(tmp_path / "c", layout="edf")
    with pytest.raises(ValueError, match="representation must be 'raw', 'features' or"):
        write_synthetic_wearable_study(tmp_path / "c", representation="both")


def test_stress_effects_and_individual_differences(study):
    """Stress raises EDA level, SCR rate, heart rate and motion variability and lowers BVP
    amplitude within subjects, while subjects differ by more than the effect."""
    from amigos_emo.signal import physio

    folder, _ = study
    labels = pd.read_csv(folder / "labels.csv")
    stats = {}
    for row in labels.itertuples():
        arrays = _trial(folder, row.subject, row.trial)
        eda = arrays["EDA"][:, 0].astype(np.float64)
        bvp = arrays["BVP"][:, 0].astype(np.float64)
        beats = physio.detect_beats(bvp, 64.0, "bvp")
        heart = physio.beat_window_features(beats, 64.0, np.array([0]), len(bvp))[0, 0]
        # SCRs as peaks of at least 0.1 uS prominence (NeuroKit2's detector uses a threshold
        # relative to the trial's largest response, which does not compare across trials).
        scr = len(scipy.signal.find_peaks(eda, prominence=0.1)[0])
        magnitude = np.linalg.norm(arrays["ACC"].astype(np.float64), axis=1)
        stats[(row.subject, row.condition)] = {
            "eda_level": np.median(eda),
            "scr": scr,
            "heart_rate": heart,
            "bvp_amplitude": np.std(bvp),
            "motion_std": np.std(magnitude),
        }
    table = pd.DataFrame(stats).T
    stress, baseline = table.xs("stress", level=1), table.xs("baseline", level=1)
    effect = stress - baseline
    # Within subjects the effect shows in most (not all: trials vary) and on average.
    for column, sign in (
        ("eda_level", 1),
        ("heart_rate", 1),
        ("bvp_amplitude", -1),
        ("motion_std", 1),
    ):
        assert (sign * effect[column] > 0).mean() >= 0.7, column
        assert sign * effect[column].mean() > 2 * effect[column].std() / np.sqrt(N_SUBJECTS), column
    assert stress.scr.sum() > 1.5 * baseline.scr.sum()
    np.testing.assert_allclose(effect.heart_rate.mean(), wearable.STRESS_HEART_RATE_BPM, atol=3.0)
    # Individual differences larger than the effect (as in real people).
    assert baseline.eda_level.std() > effect.eda_level.mean()
    assert baseline.heart_rate.std() > effect.heart_rate.mean()
    assert (
        np.log(baseline.bvp_amplitude).std()
        > np.abs(np.log(stress.bvp_amplitude / baseline.bvp_amplitude)).mean()
    )
    amusement = table.xs("amusement", level=1)
    assert baseline.heart_rate.mean() < amusement.heart_rate.mean() < stress.heart_rate.mean()


def test_csv_layout_one_file_per_modality(tmp_path):
    path = write_synthetic_wearable_study(
        tmp_path, n_subjects=1, seed=0, trial_s=20.0, layout="csv"
    )
    description = json.loads(path.read_text())
    assert set(description["file_pattern"]) == {"BVP", "EDA", "TEMP", "ACC"}
    acc = pd.read_csv(tmp_path / "S01" / "S01_trial1_ACC.csv")
    assert list(acc.columns) == ["time", "ACC_X", "ACC_Y", "ACC_Z"] and len(acc) == 20 * 32
    np.testing.assert_allclose(np.diff(acc.time), 1 / 32, atol=1e-6)
