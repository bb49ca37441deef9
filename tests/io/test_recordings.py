"""Tests of the shared recording reader and windowing (amigos_emo.io.recordings)."""

import numpy as np
import pytest
import scipy.signal

from amigos_emo.io import recordings
from amigos_emo.io.errors import CorpusFormatError
from amigos_emo.io.integrity import NonFiniteError


def _slow_starts(n_times, sfreq, window_s, step_s, offset_s=0.0):
    starts, k = [], 0
    while True:
        start = int(round((offset_s + k * step_s) * sfreq))
        if start + int(round(window_s * sfreq)) > n_times:
            return np.array(starts, dtype=np.int64)
        starts.append(start)
        k += 1


@pytest.mark.parametrize(
    "sfreq,window_s,step_s,offset_s", [(4, 10, 10, 0), (64, 2.5, 0.3, 0), (128, 4, 1.7, 5)]
)
def test_window_starts_match_a_loop(sfreq, window_s, step_s, offset_s):
    for n_times in (0, int(window_s * sfreq) - 1, int(window_s * sfreq), 1000, 1001):
        np.testing.assert_array_equal(
            recordings.window_starts(n_times, sfreq, window_s, step_s, offset_s),
            _slow_starts(n_times, sfreq, window_s, step_s, offset_s),
        )


def test_cut_windows_aligns_types_in_time():
    """Each type holds its own clock (seconds); window k of every type starts at the same time."""
    rates = {"bvp": 64.0, "gsr": 4.0, "acc": 32.0}
    durations = {"bvp": 61.0, "gsr": 60.0, "acc": 62.0}  # the shortest type limits the count
    signals = {
        k: (np.arange(int(durations[k] * r)) / r)[:, None] * np.ones((1, 3 if k == "acc" else 1))
        for k, r in rates.items()
    }
    windows, starts_s = recordings.cut_windows(signals, rates, window_s=10.0, step_s=2.5)
    assert len(starts_s) == (60 - 10) / 2.5 + 1 == 21
    np.testing.assert_allclose(starts_s, 2.5 * np.arange(21))
    for kind, rate in rates.items():
        assert windows[kind].shape == (21, int(10 * rate), signals[kind].shape[1])
        np.testing.assert_allclose(
            windows[kind][:, 0, 0], starts_s
        )  # first sample at the start time
        np.testing.assert_allclose(windows[kind][:, -1, 0], starts_s + 10 - 1 / rate)


def test_cut_windows_baseline_template_against_a_loop():
    rng = np.random.default_rng(0)
    rate = 16.0
    eeg, gsr = rng.normal(size=(int(20 * rate), 2)), rng.normal(size=(int(20 * rate), 1))
    baseline = {
        "seconds": 3.0,
        "template_s": 1.0,
        "applies_to": ["eeg"],
        "kind": "subtract_template",
    }
    windows, starts_s = recordings.cut_windows(
        {"eeg": eeg, "gsr": gsr}, {"eeg": rate, "gsr": rate}, 4.0, 2.0, baseline=baseline
    )
    np.testing.assert_allclose(starts_s, 3.0 + 2.0 * np.arange(len(starts_s)))
    template = np.mean([eeg[int(i * rate) : int((i + 1) * rate)] for i in range(3)], axis=0)
    for k, start_s in enumerate(starts_s):
        start = int(start_s * rate)
        expected = eeg[start : start + 64].copy()
        for second in range(4):
            expected[second * 16 : (second + 1) * 16] -= template
        np.testing.assert_allclose(windows["eeg"][k], expected, atol=1e-12)
        np.testing.assert_array_equal(
            windows["gsr"][k], gsr[start : start + 64]
        )  # not in applies_to
    with pytest.raises(ValueError, match="unknown baseline kind 'divide'"):
        recordings.cut_windows(
            {"eeg": eeg}, {"eeg": rate}, 4.0, 2.0, baseline={**baseline, "kind": "divide"}
        )
    with pytest.raises(ValueError, match="whole 1 s segments"):
        recordings.cut_windows({"eeg": eeg}, {"eeg": rate}, 4.5, 2.0, baseline=baseline)


def test_npz_one_array_per_modality_and_signals_at(tmp_path):
    rng = np.random.default_rng(1)
    bvp, eda, acc = rng.normal(size=640), rng.normal(size=40) + 5, rng.normal(size=(320, 3))
    path = tmp_path / "trial.npz"
    np.savez(
        path,
        BVP=bvp,
        BVP_sfreq=64.0,
        EDA=eda,
        EDA_sfreq=4.0,
        ACC=acc,
        ACC_sfreq=32.0,
        ACC_ch_names=np.array(["x", "y", "z"]),
    )
    recording = recordings.read_recording(path)
    assert [(s.ch_names, s.sfreq) for s in recording.streams] == [
        (["BVP"], 64.0),
        (["EDA"], 4.0),
        (["x", "y", "z"], 32.0),
    ]
    assert recording.sfreq is None
    signals = recordings.signals_at(
        recording,
        {"bvp": ["BVP"], "gsr": ["EDA"], "acc": ["z", "x"]},
        {"bvp": 32.0, "gsr": 4.0, "acc": 32.0},
    )
    np.testing.assert_allclose(signals["bvp"][:, 0], scipy.signal.resample_poly(bvp, 1, 2))
    np.testing.assert_array_equal(signals["gsr"][:, 0], eda)
    np.testing.assert_array_equal(signals["acc"], acc[:, [2, 0]])
    with pytest.raises(
        CorpusFormatError, match=r"sampling-rate mismatch.*bvp at 32 Hz.*Found 64 Hz"
    ):
        recordings.signals_at(recording, {"bvp": ["BVP"]}, {"bvp": 32.0}, allow_resample=False)
    with pytest.raises(
        CorpusFormatError, match=r"trial\.npz: sfreq: sampling-rate mismatch.*Expected 8 Hz for EDA"
    ):
        recordings.signals_at(
            recording, {"gsr": ["EDA"]}, {"gsr": 4.0}, declared_sfreq={"EDA": 8.0}
        )
    with pytest.raises(
        CorpusFormatError,
        match=r"channels: channel\(s\) PPG missing.*Found channels BVP, EDA, x, y, z",
    ):
        recordings.signals_at(recording, {"bvp": ["PPG"]}, {"bvp": 64.0})
    # Loose matching ignores case and EEG/ECG prefixes (predict), exact matching does not (builder).
    np.savez(path, data=rng.normal(size=(50, 2)), ch_names=np.array(["EEG Fz", "ecg"]), sfreq=10.0)
    loose = recordings.signals_at(
        recordings.read_recording(path),
        {"eeg": ["fz"], "ecg": ["ECG"]},
        {"eeg": 10.0, "ecg": 10.0},
        loose=True,
    )
    assert loose["eeg"].shape == (50, 1)
    with pytest.raises(CorpusFormatError, match=r"channel\(s\) fz missing"):
        recordings.signals_at(recordings.read_recording(path), {"eeg": ["fz"]}, {"eeg": 10.0})


def test_non_finite_samples_name_file_trial_and_type(tmp_path):
    data = np.ones((100, 2))
    data[17, 1] = np.inf
    path = tmp_path / "t.npz"
    np.savez(path, data=data, ch_names=np.array(["Fz", "EDA"]), sfreq=10.0)
    recording = recordings.read_recording(path)
    with pytest.raises(
        NonFiniteError,
        match=r"t\.npz: subject 2, trial 3: gsr \(EDA\) holds non-finite samples.*1 infinite",
    ):
        recordings.signals_at(
            recording,
            {"eeg": ["Fz"], "gsr": ["EDA"]},
            {"eeg": 10.0, "gsr": 10.0},
            trial="subject 2, trial 3",
        )
    data[17, 1] = 1e39  # finite in float64, inf in float32
    np.savez(path, data=data, ch_names=np.array(["Fz", "EDA"]), sfreq=10.0)
    with pytest.raises(NonFiniteError, match="beyond float32"):
        recordings.signals_at(recordings.read_recording(path), {"gsr": ["EDA"]}, {"gsr": 10.0})


def test_csv_header_detection_time_column_and_errors(tmp_path):
    path = tmp_path / "r.csv"
    values = np.random.default_rng(2).normal(size=(40, 2))
    np.savetxt(
        path,
        np.column_stack([np.arange(40) / 8.0, values]),
        delimiter=",",
        header="time,A,B",
        comments="",
    )
    recording = recordings.read_recording(path)
    assert recording.ch_names == ["A", "B"] and recording.sfreq == pytest.approx(8.0)
    np.testing.assert_allclose(recording.data, values)
    with pytest.raises(
        CorpusFormatError, match=r"sampling-rate mismatch.*Expected 16 Hz.*Found 8 Hz"
    ):
        recordings.read_recording(path, sfreq=16)
    bare = tmp_path / "bare.tsv"
    np.savetxt(bare, values, delimiter="\t")
    with pytest.raises(CorpusFormatError, match=r"does not name its 2 channel\(s\)"):
        recordings.read_recording(bare)
    named = recordings.read_recording(bare, channels=["A", "B"], sfreq=8)
    np.testing.assert_allclose(named.data, values)
    path.write_text("A,B\n1,2\n3,oops\n")
    with pytest.raises(CorpusFormatError, match=r"r\.csv: B: non-numeric value in row 3.*'oops'"):
        recordings.read_recording(path)
    with pytest.raises(CorpusFormatError, match=r"unknown format '\.mat'"):
        (tmp_path / "x.mat").write_bytes(b"")
        recordings.read_recording(tmp_path / "x.mat")


def test_truncated_edf_is_an_error(tmp_path):
    import mne

    info = mne.create_info(["Fz", "Cz"], 128.0, "eeg")
    raw = mne.io.RawArray(
        np.random.default_rng(3).normal(size=(2, 128 * 20)) * 1e-5, info, verbose="error"
    )
    path = tmp_path / "full.edf"
    mne.export.export_raw(str(path), raw, fmt="edf", verbose="error")
    recording = recordings.read_recording(path)
    np.testing.assert_allclose(
        recording.data[:, 0], raw.get_data()[0] * 1e6, atol=0.01
    )  # microvolts
    truncated = tmp_path / "cut.edf"
    truncated.write_bytes(path.read_bytes()[:-3000])
    with pytest.raises(CorpusFormatError, match=r"cut\.edf: could not be read as EDF \(truncated"):
        recordings.read_recording(truncated)


def _e4_file(path, start, rate, rows, fmt="%.6f"):
    rows = np.asarray(rows, dtype=np.float64).reshape(len(rows), -1)
    with open(path, "w") as handle:
        handle.write(",".join([f"{start:.6f}"] * rows.shape[1]) + "\n")
        handle.write(",".join([f"{rate:.6f}"] * rows.shape[1]) + "\n")
        np.savetxt(handle, rows, delimiter=",", fmt=fmt)
    return path


def test_e4_csv_files_are_named_scaled_and_aligned_on_their_start_times(tmp_path):
    rng = np.random.default_rng(0)
    counts = rng.integers(-64, 64, (64, 3))
    acc = _e4_file(tmp_path / "ACC.csv", 1000.0, 32.0, counts, fmt="%d")
    bvp_values = rng.normal(size=128)
    # The BVP file starts half a second later than ACC: ACC loses its first 16 samples.
    bvp = _e4_file(tmp_path / "BVP.csv", 1000.5, 64.0, bvp_values)
    recording = recordings.merge(recordings.read_recording(p, file_format="e4") for p in (acc, bvp))
    assert recording.ch_names == ["ACC_X", "ACC_Y", "ACC_Z", "BVP"]
    acc_stream, bvp_stream = recording.streams
    assert (acc_stream.sfreq, bvp_stream.sfreq) == (32.0, 64.0)
    np.testing.assert_allclose(acc_stream.data, counts[16:] / 64.0)  # 1/64 g -> g
    np.testing.assert_allclose(bvp_stream.data[:, 0], bvp_values, atol=1e-6)
    assert acc_stream.start_time == bvp_stream.start_time == 1000.5

    # The extension alone never means E4: a headerless CSV without names is an error there.
    with pytest.raises(CorpusFormatError, match=r"does not name its 1 channel"):
        recordings.read_recording(bvp)
    ibi = tmp_path / "IBI.csv"
    ibi.write_text("1000.000000, IBI\n1.5,0.8\n")
    with pytest.raises(
        CorpusFormatError, match=r"IBI\.csv: format: is not an E4 sample stream.*inter-beat"
    ):
        recordings.read_recording(ibi, file_format="e4")
    bad = tmp_path / "EDA.csv"
    bad.write_text("1000.0\n0\n0.1\n")
    with pytest.raises(
        CorpusFormatError, match=r"EDA\.csv: sampling rate: row 2 must be one positive"
    ):
        recordings.read_recording(bad, file_format="e4")
