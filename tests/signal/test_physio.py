import numpy as np
import pytest

nk = pytest.importorskip("neurokit2")

from amigos_emo.signal.physio import ecg_features, gsr_features  # noqa: E402


@pytest.mark.parametrize("heart_rate,sfreq", [(60, 256), (85, 128)])
def test_ecg_features_on_simulated_ecg(heart_rate, sfreq):
    ecg = nk.ecg_simulate(duration=40, sampling_rate=sfreq, heart_rate=heart_rate, random_state=0)
    features = ecg_features(ecg, sfreq)
    assert set(features) == {"heart_rate_bpm", "rmssd_ms", "sdnn_ms"}
    assert all(isinstance(v, float) for v in features.values())
    assert abs(features["heart_rate_bpm"] - heart_rate) < 3.0
    # The simulator's default heart-rate std is 1 bpm: small but non-zero variability.
    assert 0.0 < features["sdnn_ms"] < 100.0 and 0.0 < features["rmssd_ms"] < 100.0


def test_ecg_hrv_matches_neurokit_on_same_peaks():
    sfreq = 256
    ecg = nk.ecg_simulate(duration=30, sampling_rate=sfreq, heart_rate=70, random_state=1)
    _, info = nk.ecg_process(ecg, sampling_rate=sfreq)
    hrv = nk.hrv_time(info["ECG_R_Peaks"], sampling_rate=sfreq)
    features = ecg_features(ecg, sfreq)
    np.testing.assert_allclose(features["rmssd_ms"], hrv["HRV_RMSSD"].iloc[0], rtol=1e-9)
    np.testing.assert_allclose(features["sdnn_ms"], hrv["HRV_SDNN"].iloc[0], rtol=1e-9)


@pytest.mark.parametrize("scr_number", [2, 5])
def test_gsr_features_on_simulated_eda(scr_number):
    sfreq = 128
    gsr = nk.eda_simulate(
        duration=60,
        sampling_rate=sfreq,
        scr_number=scr_number,
        drift=0.0,
        noise=0.0,
        random_state=0,
    )
    features = gsr_features(gsr, sfreq)
    assert set(features) == {
        "tonic_mean",
        "phasic_std",
        "scr_count",
        "scr_rate_per_min",
        "scr_amplitude_mean",
    }
    assert abs(features["scr_count"] - scr_number) <= 1
    np.testing.assert_allclose(features["scr_rate_per_min"], features["scr_count"])  # 60 s trace
    assert features["scr_amplitude_mean"] > 0 and features["phasic_std"] > 0
    assert features["tonic_mean"] > 0


@pytest.mark.parametrize("function,name", [(ecg_features, "ecg"), (gsr_features, "gsr")])
def test_physio_errors(function, name):
    rng = np.random.default_rng(0)
    with pytest.raises(
        ValueError, match=rf"{name} is too short: 640 samples at 128 Hz is 5 s, expected at least"
    ):
        function(rng.normal(size=640), 128)
    with pytest.raises(ValueError, match=rf"{name} is flat \(every sample equals 3\)"):
        function(np.full(128 * 20, 3.0), 128)
    x = rng.normal(size=128 * 20)
    x[256] = np.nan
    with pytest.raises(
        ValueError, match=r"1 NaN or infinite samples of 2560 \(first at sample 256, 2.00 s\)"
    ):
        function(x, 128)
    with pytest.raises(ValueError, match=rf"{name} must be a 1-D trace"):
        function(np.zeros((128 * 20, 2)), 128)


def test_ecg_without_beats_names_the_problem():
    t = np.arange(128 * 20) / 128
    with pytest.raises(ValueError, match=r"ecg: found 0 R-peaks in 20 s, need at least 3 for HRV"):
        ecg_features(np.sin(2 * np.pi * 0.05 * t), 128)
