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


# --- Per-window features ----------------------------------------------------------------------


def test_beat_window_features_match_neurokit_hrv_per_window():
    from amigos_emo.signal.physio import beat_window_features, detect_beats

    sfreq = 128
    ecg = nk.ecg_simulate(
        duration=60, sampling_rate=sfreq, heart_rate=72, heart_rate_std=4, random_state=3
    )
    peaks = detect_beats(ecg, sfreq, "ecg")
    starts = np.array([0, 640, 1280, 3000])
    features = beat_window_features(peaks, sfreq, starts, 10 * sfreq)
    for row, start in zip(features, starts, strict=True):
        inside = peaks[(peaks >= start) & (peaks < start + 10 * sfreq)]
        hrv = nk.hrv_time(inside, sampling_rate=sfreq)
        np.testing.assert_allclose(row[0], 60000.0 / hrv["HRV_MeanNN"].iloc[0], rtol=1e-9)
        np.testing.assert_allclose(row[1], hrv["HRV_RMSSD"].iloc[0], rtol=1e-9)
        np.testing.assert_allclose(row[2], hrv["HRV_SDNN"].iloc[0], rtol=1e-9)
        assert 60 < row[0] < 85
    short = beat_window_features(peaks, sfreq, np.array([0, 640]), int(1.5 * sfreq))
    assert np.all(np.isnan(short))  # 1.5 s windows: fewer than 3 beats -> NaN, stated


def test_bvp_beats_give_the_simulated_rate():
    from amigos_emo.signal.physio import beat_window_features, detect_beats

    ppg = nk.ppg_simulate(duration=40, sampling_rate=64, heart_rate=90, random_state=0)
    peaks = detect_beats(ppg, 64, "bvp")
    whole = beat_window_features(peaks, 64, np.array([0]), 40 * 64)
    np.testing.assert_allclose(
        whole[0, 0], 90, atol=2
    )  # the simulator modulates the rate around 90
    windows = beat_window_features(peaks, 64, np.array([0, 640, 1280]), 640)
    assert np.all((windows[:, 0] > 75) & (windows[:, 0] < 105))


def test_a_missed_pulse_is_corrected_before_hrv():
    from amigos_emo.signal.physio import beat_window_features, detect_beats

    ppg = nk.ppg_simulate(
        duration=60,
        sampling_rate=64,
        heart_rate=75,
        ibi_randomness=0.05,
        motion_amplitude=0,
        powerline_amplitude=0,
        burst_amplitude=0,
        random_state=0,
    )
    peaks = detect_beats(ppg, 64, "bvp")
    clean = beat_window_features(peaks, 64, np.array([0]), 60 * 64)[0]
    lost = ppg.copy()  # one pulse flattened, as when the sensor slips for a beat
    lo, hi = (peaks[29] + peaks[30]) // 2, (peaks[30] + peaks[31]) // 2
    lost[lo:hi] = np.linspace(lost[lo], lost[hi], hi - lo)
    uncorrected = nk.ppg_findpeaks(nk.ppg_clean(lost, sampling_rate=64), sampling_rate=64)
    before = beat_window_features(np.asarray(uncorrected["PPG_Peaks"]), 64, np.array([0]), 3840)[0]
    after = beat_window_features(detect_beats(lost, 64, "bvp"), 64, np.array([0]), 3840)[0]
    assert before[1] > 3 * clean[1]  # one missed beat alone triples RMSSD
    np.testing.assert_allclose(after, clean, rtol=0.05)
    # but 20 s of lost signal stay lost: no beat is made up inside, those windows stay NaN
    gone = ppg.copy()
    gone[64 * 20 : 64 * 40] = gone[64 * 20 : 64 * 40].mean()
    beats = detect_beats(gone, 64, "bvp")
    assert not np.any((beats > 64 * 21) & (beats < 64 * 39))
    rates = beat_window_features(beats, 64, np.arange(0, 60 * 64, 640), 640)[:, 0]
    assert np.all(np.isnan(rates[2:4])) and np.all(np.isfinite(rates[[0, 1, 4, 5]]))


def test_eda_window_features_against_a_loop():
    from amigos_emo.signal.physio import eda_window_features

    sfreq = 16
    eda = nk.eda_simulate(
        duration=60, sampling_rate=sfreq, scr_number=6, drift=0.0, noise=0.0, random_state=1
    )
    starts, n = np.arange(0, 50 * sfreq + 1, 5 * sfreq), 10 * sfreq
    features = eda_window_features(eda, sfreq, starts, n)
    signals, info = nk.eda_process(eda, sampling_rate=sfreq)
    peaks, amplitudes = np.asarray(info["SCR_Peaks"]), np.asarray(info["SCR_Amplitude"])
    counted = amplitudes >= 0.01  # responses below 0.01 uS are noise, not SCRs
    for row, start in zip(features, starts, strict=True):
        inside = (peaks >= start) & (peaks < start + n) & counted
        expected = [
            signals["EDA_Tonic"].iloc[start : start + n].mean(),
            np.std(signals["EDA_Phasic"].iloc[start : start + n].to_numpy()),
            inside.sum(),
            inside.sum() * 6.0,
            amplitudes[inside].mean() if inside.any() else 0.0,
        ]
        np.testing.assert_allclose(row, expected, rtol=1e-9, atol=1e-12)
    assert features[:, 2].sum() >= 6  # overlapping windows see every SCR at least once


def test_eda_flat_and_noise_only_traces_have_no_scrs():
    from amigos_emo.signal.physio import SCR_MIN_AMPLITUDE_US, eda_window_features

    rng = np.random.default_rng(0)
    n, starts, width = 4 * 120, np.arange(0, 4 * 110, 40), 40
    noise = 0.02 + 1e-4 * rng.standard_normal(n)  # a non-responder: sensor noise only
    for trace in (np.full(n, 0.02), np.zeros(n), noise):
        features = eda_window_features(trace, 4.0, starts, width)
        assert np.all(np.isfinite(features)) and np.all(features[:, 2:] == 0)
        np.testing.assert_allclose(features[:, 0], 0.02 if trace.any() else 0.0, atol=1e-4)
    # a clear response of 0.3 uS on that noise is counted, once
    response = noise.copy()
    lag = np.arange(n) / 4.0 - 30.0
    after = lag > 0
    response[after] += 0.3 * (np.exp(-lag[after] / 2.0) - np.exp(-lag[after] / 0.75)) / 0.34
    features = eda_window_features(response, 4.0, starts, width)
    assert features[:, 2].sum() == 1 and features[3, 2] == 1
    assert features[3, 4] > 10 * SCR_MIN_AMPLITUDE_US


def test_temperature_acc_and_generic_features_against_references():
    from amigos_emo.signal.physio import acc_window_features, temperature_window_features

    rng = np.random.default_rng(0)
    temperature = rng.normal(33, 0.1, size=(4, 40)) + np.linspace(0, 0.5, 40)
    features = temperature_window_features(temperature, 4.0)
    for row, window in zip(features, temperature, strict=True):
        slope, _ = np.polyfit(np.arange(40) / 4.0, window, 1)
        np.testing.assert_allclose(row, [window.mean(), slope * 60.0], rtol=1e-9)
    acc = rng.normal(size=(3, 64, 3))
    magnitude = np.array(
        [[np.sqrt(sum(a * a for a in sample)) for sample in window] for window in acc]
    )
    np.testing.assert_allclose(
        acc_window_features(acc),
        np.stack([magnitude.mean(1), magnitude.std(1), magnitude.max(1) - magnitude.min(1)], 1),
    )


def test_window_features_columns_follow_their_names():
    from amigos_emo.signal import physio
    from amigos_emo.signal.spectral import differential_entropy

    rng = np.random.default_rng(4)
    channels = {"eeg": ["Fz", "Cz"], "temperature": ["TEMP"], "acc": ["x", "y", "z"], "emg": ["E"]}
    sfreq = {"eeg": 128.0, "temperature": 4.0, "acc": 32.0, "emg": 64.0}
    signals = {k: rng.normal(size=(int(30 * sfreq[k]), len(c))) for k, c in channels.items()}
    starts_s = np.array([0.0, 5.0, 20.0])
    values = physio.window_features(signals, sfreq, starts_s, 10.0, channels)
    names = physio.window_feature_names(channels)
    assert values.shape == (3, len(names)) == (3, 2 * 5 + 2 + 3 + 3)
    column = dict(zip(names, values.T, strict=True))
    eeg = np.stack([signals["eeg"][int(s * 128) : int(s * 128) + 1280] for s in starts_s])
    np.testing.assert_allclose(column["eeg_Cz_de_alpha"], differential_entropy(eeg, 128.0)[:, 1, 2])
    emg = [signals["emg"][int(s * 64) : int(s * 64) + 640, 0] for s in starts_s]
    np.testing.assert_allclose(column["emg_E_rms"], [np.sqrt(np.mean(w**2)) for w in emg])
    np.testing.assert_allclose(column["emg_E_std"], [np.std(w) for w in emg])
    temperature = [signals["temperature"][int(s * 4) : int(s * 4) + 40, 0] for s in starts_s]
    np.testing.assert_allclose(column["temperature_TEMP_mean"], [np.mean(w) for w in temperature])
