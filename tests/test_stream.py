"""Live streaming: the causal pipeline against an offline reference, and LSL end to end on loopback.

The pipeline tests feed chunks straight into :class:`amigos_emo.stream.LivePipeline` (no LSL) and
compare every window with a float64 loop over the whole recording. The LSL test replays a short
NPZ recording with ``python -m amigos_emo.replay`` in a subprocess and runs the stream in this
process, both on a loopback-only liblsl configuration with a session id of its own.
"""

import json
import os
import subprocess
import sys
import tempfile
import threading

import numpy as np
import pytest

from amigos_emo import preprocessing_spec, stream
from amigos_emo.replay import loopback_config

# liblsl reads its configuration once per process, when mne_lsl is first imported: point it at a
# loopback-only file with this run's own session id before anything imports it.
_SESSION = f"amigos_emo_test_{os.getpid()}"
if "mne_lsl.lsl" not in sys.modules:
    _CONFIG = os.path.join(tempfile.mkdtemp(prefix="amigos_emo_lsl_"), "lsl_api.cfg")
    with open(_CONFIG, "w") as _handle:
        _handle.write(loopback_config(_SESSION))
    os.environ["LSLAPICFG"] = _CONFIG
else:  # pragma: no cover - only when another test module imported mne_lsl first
    _CONFIG = None

SFREQ = 32.0
EEG = ["AF3", "F7", "F3", "FC5"]
GSR = ["GSR"]


def _spec(sfreq=SFREQ, baseline=True):
    return preprocessing_spec.PreprocessingSpec(
        dataset="test/live",
        builder_version="0.0.1",
        window_s=1.0,
        step_s=0.5,
        signals={
            "eeg": {"type": "eeg", "channels": EEG, "sfreq_hz": sfreq, "unit": "uV"},
            "gsr": {"type": "gsr", "channels": GSR, "sfreq_hz": sfreq, "layout": "channels_time"},
        },
        baseline={
            "seconds": 1.0,
            "template_s": 0.5,
            "applies_to": ["eeg"],
            "kind": "subtract_template",
        }
        if baseline
        else None,
    )


def _recording(seconds, sfreq, seed=0):
    rng = np.random.default_rng(seed)
    n = int(seconds * sfreq)
    eeg = rng.normal(size=(n, len(EEG))) * 10 + np.linspace(0, 5, n)[:, None]
    gsr = rng.normal(size=(n, 1)) + 3.0
    # Stream column order differs from the spec on purpose (matching is by name).
    data = np.concatenate([gsr, eeg[:, ::-1]], axis=1)
    names = ["GSR"] + [f"EEG {c}" for c in EEG[::-1]]
    return data, names


def _reference_windows(data, names, spec, sfreq):
    """Windows at k * step after the baseline, cut from the whole file by a float64 loop."""
    window_n, step_n = int(spec.window_s * sfreq), int(spec.step_s * sfreq)
    baseline_n = int(spec.baseline["seconds"] * sfreq) if spec.baseline else 0
    template_n = int(spec.baseline["template_s"] * sfreq) if spec.baseline else 0
    columns = {
        "eeg": [names.index(f"EEG {c}") for c in EEG],
        "gsr": [names.index("GSR")],
    }
    out = {"eeg": [], "gsr": []}
    k = 0
    while baseline_n + k * step_n + window_n <= len(data):
        start = baseline_n + k * step_n
        for name, cols in columns.items():
            window = data[start : start + window_n, cols].astype(np.float64)
            if name == "eeg" and baseline_n:
                template = np.zeros((template_n, len(cols)))
                for s in range(baseline_n // template_n):
                    template += data[s * template_n : (s + 1) * template_n, cols] / (
                        baseline_n // template_n
                    )
                for t in range(window_n):
                    window[t] -= template[t % template_n]
            out[name].append(window.T if name == "gsr" else window)
        k += 1
    return {name: np.asarray(v, np.float32) for name, v in out.items()}


def _linear_model(inputs):
    """A fixed 'model': one linear score per window (exact in float64)."""
    eeg = np.asarray(inputs["eeg"], np.float64)
    gsr = np.asarray(inputs["gsr"], np.float64)
    weights = np.arange(1, eeg.shape[1] * eeg.shape[2] + 1).reshape(eeg.shape[1:]) / 1000.0
    score = (eeg * weights).sum(axis=(1, 2)) + 2.0 * gsr.mean(axis=(1, 2))
    return {"score": score[:, None], "pair": np.stack([score, -score], axis=1)}


def _routes(names, stream_key="s", nominal_hz=SFREQ):
    return stream.plan_routes(_spec(), [(stream_key, names, nominal_hz)])


def _feed_in_chunks(pipeline, key, data, stamps, seed=1):
    rng = np.random.default_rng(seed)
    rows, begin = [], 0
    while begin < len(data):
        size = int(rng.integers(1, 23))
        rows += pipeline.feed(
            key, data[begin : begin + size], stamps[begin : begin + size], arrival=stamps[begin]
        )
        begin += size
    return rows


# --- Pieces ------------------------------------------------------------------------------------


def test_match_channels_by_name_ignoring_case_and_type_prefix():
    columns = stream.match_channels(["AF3", "gsr"], ["EEG af3", "x", "GSR"])
    np.testing.assert_array_equal(columns, [0, 2])
    assert stream.match_channels(["AF4"], ["EEG AF3"]) is None


@pytest.mark.parametrize(
    "sfreq_in,sfreq_out", [(64.0, 32.0), (128.0, 200.0), (256.0, 128.0), (50.0, 32.0)]
)
def test_streaming_resampler_equals_offline_resample_poly(sfreq_in, sfreq_out):
    from scipy import signal

    rng = np.random.default_rng(3)
    x = rng.normal(size=(700, 3))
    resampler = stream.StreamingResampler(sfreq_in, sfreq_out)
    parts, begin = [], 0
    while begin < len(x):
        size = int(rng.integers(1, 40))
        out, _ = resampler.process(
            x[begin : begin + size], np.arange(begin, begin + size) / sfreq_in
        )
        parts.append(out)
        begin += size
    live = np.concatenate(parts)
    offline = signal.resample_poly(x, resampler.up, resampler.down, axis=0)
    # All but the last filter half-length of outputs are final, and equal the offline ones.
    assert len(live) >= len(offline) - (resampler.half_len + 3 * resampler.up) // resampler.down - 1
    np.testing.assert_allclose(live, offline[: len(live)], rtol=0, atol=1e-10)


def test_tracker_counts_gaps_and_drops_out_of_order_samples():
    tracker = stream.TimestampTracker("s", nominal_hz=10.0, late_s=0.5)
    stamps = np.array(
        [0.0, 0.1, 0.2, 0.15, 0.3, 0.8, 0.9]
    )  # 0.15 out of order; 0.3 -> 0.8 is a gap
    samples = np.arange(len(stamps), dtype=float)[:, None]
    cleaned, cleaned_stamps = tracker.process(samples, stamps, arrival=1.0)
    counts = tracker.counts
    assert (counts.out_of_order, counts.gaps, counts.missing_samples) == (1, 1, 4)
    assert counts.late == 5  # arrival 1.0 is more than 0.5 s after the first five stamps
    assert cleaned.shape == (6 + 4, 1)
    np.testing.assert_array_equal(np.isnan(cleaned[:, 0]), [False] * 4 + [True] * 4 + [False] * 2)
    np.testing.assert_allclose(cleaned_stamps, np.round(np.arange(10) * 0.1, 6), atol=1e-9)


# --- The pipeline against the offline reference ---------------------------------------------------


def test_pipeline_equals_offline_windows_and_skips_windows_over_a_gap():
    spec = _spec()
    data, names = _recording(8.0, SFREQ)
    stamps = 100.0 + np.arange(len(data)) / SFREQ
    # A dropout: 0.4 s of samples never arrive (3.0 s .. 3.4 s into the recording).
    lost = (stamps - 100.0 >= 3.0) & (stamps - 100.0 < 3.4)
    pipeline = stream.LivePipeline(spec, _linear_model, ["score", "pair"], _routes(names))
    rows = _feed_in_chunks(pipeline, "s", data[~lost], stamps[~lost])

    reference = _linear_model(_reference_windows(data, names, spec, SFREQ))
    n_windows = int((8.0 - 1.0 - 1.0) / 0.5) + 1
    assert [r["window"] for r in rows] == list(range(n_windows))
    starts = np.array([r["start_s"] for r in rows])
    np.testing.assert_allclose(starts, 1.0 + 0.5 * np.arange(n_windows))
    over_gap = (starts < 3.4) & (starts + 1.0 > 3.0)
    assert [r["status"] for r in rows] == ["gap" if g else "ok" for g in over_gap]
    ok = ~over_gap
    live = np.concatenate([r["score"] for r, k in zip(rows, ok, strict=True) if k])
    np.testing.assert_allclose(live, reference["score"][ok, 0], rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(
        [r["lsl_time"] for r in rows],
        stamps[(starts * SFREQ).astype(int) + int(SFREQ) - 1],
        atol=1e-9,
    )
    summary = pipeline.summary()
    counts = summary["streams"]["s"]
    assert (counts["gaps"], counts["missing_samples"], summary["skipped_gap"]) == (
        1,
        int(lost.sum()),
        over_gap.sum(),
    )
    assert summary["predicted"] == ok.sum()


def test_pipeline_resamples_a_stream_at_another_rate():
    from scipy import signal

    spec = _spec()
    data, names = _recording(6.0, 2 * SFREQ, seed=4)
    stamps = np.arange(len(data)) / (2 * SFREQ)
    pipeline = stream.LivePipeline(
        spec, _linear_model, ["score", "pair"], _routes(names, nominal_hz=2 * SFREQ)
    )
    rows = _feed_in_chunks(pipeline, "s", data, stamps)
    offline = signal.resample_poly(data, 1, 2, axis=0)
    reference = _linear_model(_reference_windows(offline, names, spec, SFREQ))
    assert (
        len(rows) >= len(reference["score"]) - 1
    )  # the resampler's delay may hold back the last one
    np.testing.assert_allclose(
        np.concatenate([r["score"] for r in rows]),
        reference["score"][: len(rows), 0],
        rtol=1e-5,
        atol=1e-4,
    )
    assert pipeline.summary()["streams"]["s"]["resampled_to_hz"] == SFREQ


def test_pipeline_aligns_two_streams_that_start_at_different_times():
    spec = _spec(baseline=False)
    data, names = _recording(6.0, SFREQ, seed=5)
    stamps = np.arange(len(data)) / SFREQ
    eeg_cols = [names.index(f"EEG {c}") for c in EEG]
    streams = [("headset", [names[c] for c in eeg_cols], SFREQ), ("wristband", ["GSR"], SFREQ)]
    pipeline = stream.LivePipeline(
        spec, _linear_model, ["score", "pair"], stream.plan_routes(spec, streams)
    )
    rows = pipeline.feed("headset", data[:10, eeg_cols], stamps[:10])
    assert rows == []  # waits for the wristband
    late_start = 7  # the wristband's first sample is sample 7 of the headset
    rows += pipeline.feed("wristband", data[late_start:, [0]], stamps[late_start:])
    rows += pipeline.feed("headset", data[10:, eeg_cols], stamps[10:])
    aligned = data[late_start:]
    reference = _linear_model(_reference_windows(aligned, names, spec, SFREQ))
    np.testing.assert_allclose(
        np.concatenate([r["score"] for r in rows]), reference["score"][:, 0], atol=1e-4
    )
    assert pipeline.summary()["streams"]["headset"]["before_start"] == late_start


def test_pipeline_refuses_irregular_streams_and_unmatched_channels():
    spec = _spec()
    data, names = _recording(2.0, SFREQ)
    with pytest.raises(ValueError, match="irregular"):
        stream.LivePipeline(spec, _linear_model, ["score"], _routes(names, nominal_hz=0.0))
    with pytest.raises(ValueError, match="No stream carries all channels of input 'eeg'"):
        stream.plan_routes(spec, [("s", ["GSR", "AF3"], SFREQ)])


# --- LSL end to end ----------------------------------------------------------------------------


def _listen(name, received, seconds=60.0):
    """Collect ``(values, timestamp)`` from the LSL stream ``name`` until it goes quiet."""
    import time

    from mne_lsl.lsl import StreamInlet, resolve_streams

    infos = resolve_streams(timeout=seconds, name=name)
    if not infos:
        return
    inlet = StreamInlet(infos[0])
    inlet.open_stream(timeout=seconds)
    quiet_since = time.monotonic()
    while time.monotonic() - quiet_since < 3.0:
        values, stamps = inlet.pull_chunk(timeout=0.1)
        if len(stamps):
            quiet_since = time.monotonic()
            received += list(zip(np.asarray(values).tolist(), stamps, strict=True))
    inlet.close_stream()


def _tiny_keras_model(folder, spec):
    import keras

    eeg = keras.Input((32, len(EEG)), name="eeg")
    gsr = keras.Input((1, 32), name="gsr")
    features = keras.layers.Concatenate(name="concat")(
        [keras.layers.Flatten(name="flat_eeg")(eeg), keras.layers.Flatten(name="flat_gsr")(gsr)]
    )
    hidden = keras.layers.Dense(8, activation="tanh", name="hidden")(features)
    outputs = {
        "valence": keras.layers.Dense(1, name="valence")(hidden),
        "label": keras.layers.Dense(2, activation="softmax", name="label")(hidden),
    }
    model = keras.Model({"eeg": eeg, "gsr": gsr}, outputs, name="tiny_trained")
    path = os.path.join(folder, "best.keras")
    model.save(path)
    preprocessing_spec.write(spec, folder)
    return path, model


@pytest.mark.skipif(
    _CONFIG is None, reason="mne_lsl was imported before this module could configure liblsl"
)
def test_replay_and_stream_on_loopback_match_offline_predictions(tmp_path):
    pytest.importorskip("mne_lsl", reason="LSL tests need mne-lsl (pip install 'amigos-emo[live]')")
    spec = _spec()
    model_path, model = _tiny_keras_model(os.fspath(tmp_path), spec)
    data, names = _recording(6.0, SFREQ, seed=7)
    recording = tmp_path / "session.npz"
    np.savez(recording, data=data, ch_names=np.array(names), sfreq=np.array(SFREQ))
    gap_at, gap_s = 3.0, 0.5
    n_windows = int((6.0 - 1.0 - 1.0) / 0.5) + 1
    name = f"replay_{os.getpid()}"
    replay = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "amigos_emo.replay",
            "--recording",
            os.fspath(recording),
            "--name",
            name,
            "--rate-scale",
            "2",
            "--gap-at",
            str(gap_at),
            "--gap-s",
            str(gap_s),
            "--lsl-config",
            _CONFIG,
            "--wait-s",
            "60",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    received = []
    listener = threading.Thread(target=_listen, args=(f"{name}_predictions", received), daemon=True)
    listener.start()
    try:
        csv_path, report_path = tmp_path / "live.csv", tmp_path / "report.json"
        code = stream.main(
            [
                "--model",
                model_path,
                "--stream",
                name,
                "--lsl-config",
                _CONFIG,
                "--csv",
                os.fspath(csv_path),
                "--report",
                os.fspath(report_path),
                "--idle-timeout-s",
                "3",
                "--resolve-timeout-s",
                "30",
                "--max-seconds",
                "60",
                "--max-windows",
                str(n_windows),
                "--outlet",
                f"{name}_predictions",
            ]
        )
        if code != 0:
            replay.kill()
        replay_log, _ = replay.communicate(timeout=60)
    finally:
        replay.kill()
    assert code == 0
    assert replay.returncode == 0, replay_log
    summary = json.loads(report_path.read_text())
    counts = summary["streams"][name]
    assert counts["gaps"] == 1
    assert counts["missing_samples"] == int(gap_s * SFREQ)
    assert counts["out_of_order"] == 0
    table = np.genfromtxt(csv_path, delimiter=",", names=True, dtype=None, encoding=None)
    starts = np.asarray(table["start_s"], float)
    np.testing.assert_allclose(starts, 1.0 + 0.5 * np.arange(n_windows))
    over_gap = (starts < gap_at + gap_s) & (starts + 1.0 > gap_at)
    assert list(table["status"]) == ["gap" if g else "ok" for g in over_gap]
    assert summary["skipped_gap"] == over_gap.sum()
    reference = model.predict_on_batch(_reference_windows(data, names, spec, SFREQ))
    ok = ~over_gap
    np.testing.assert_allclose(
        table["valence"][ok], reference["valence"][ok, 0], rtol=1e-4, atol=1e-4
    )
    np.testing.assert_allclose(
        table["label_1"][ok], reference["label"][ok, 1], rtol=1e-4, atol=1e-4
    )
    latency = summary["latency"]
    assert latency is not None and 0.0 < latency["median_ms"] < 2000.0
    assert np.all(np.asarray(table["latency_ms"], float)[ok] > 0)
    # The --outlet stream: what our listener got equals the table rows with the same timestamps.
    listener.join(timeout=10)
    assert received, "the predictions outlet delivered nothing"
    times = np.asarray(table["lsl_time"], float)
    for values, stamp in received:
        row = int(np.argmin(np.abs(times - stamp)))
        assert abs(times[row] - stamp) < 1e-3 and table["status"][row] == "ok"
        expected = [table["label_0"][row], table["label_1"][row], table["valence"][row]]
        np.testing.assert_allclose(values, expected, rtol=1e-5, atol=1e-5)


def test_stream_cli_needs_a_stream_and_a_preprocessing_spec(tmp_path, capsys):
    assert stream.main(["--model", os.fspath(tmp_path / "best.keras")]) == 2
    assert "pass --stream NAME and/or --source-id ID" in capsys.readouterr().err
    assert stream.main(["--model", os.fspath(tmp_path / "best.keras"), "--stream", "x"]) == 2
    assert "preprocessing.json is missing" in capsys.readouterr().err


@pytest.mark.real_data
@pytest.mark.skipif(
    _CONFIG is None, reason="mne_lsl was imported before this module could configure liblsl"
)
def test_real_muse_recording_replayed_at_256_hz_streams_into_a_128_hz_model(tmp_path, shared_data):
    """A real Muse CSV (muse-lsl's layout) through replay -> stream, resampled 256 -> 128 Hz live."""
    pytest.importorskip("mne_lsl", reason="LSL tests need mne-lsl (pip install 'amigos-emo[live]')")
    import keras
    from scipy import signal

    from amigos_emo.io.recordings import read_recording

    source = shared_data / "muse_mental_state" / "subjecta-neutral-1.csv"
    channels = ["TP9", "AF7", "AF8", "TP10"]
    spec = preprocessing_spec.PreprocessingSpec(
        dataset="test/muse",
        builder_version="0.0.1",
        window_s=1.0,
        step_s=0.5,
        signals={"eeg": {"type": "eeg", "channels": channels, "sfreq_hz": 128.0, "unit": "uV"}},
        baseline={
            "seconds": 1.0,
            "template_s": 0.5,
            "applies_to": ["eeg"],
            "kind": "subtract_template",
        },
    )
    eeg = keras.Input((128, 4), name="eeg")
    hidden = keras.layers.Dense(4, activation="tanh", name="hidden")(
        keras.layers.Flatten(name="flat")(eeg)
    )
    model = keras.Model(
        {"eeg": eeg},
        {"valence": keras.layers.Dense(1, name="valence")(hidden)},
        name="muse_trained",
    )
    model.save(tmp_path / "best.keras")
    preprocessing_spec.write(spec, os.fspath(tmp_path))
    seconds = 6.0
    recording = read_recording(
        os.fspath(source), sfreq=256.0
    )  # muse-lsl's 'timestamps' column stays a column
    name = f"muse_{os.getpid()}"
    replay = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "amigos_emo.replay",
            "--recording",
            os.fspath(source),
            "--sfreq",
            "256",
            "--name",
            name,
            "--rate-scale",
            "3",
            "--max-seconds",
            str(seconds),
            "--lsl-config",
            _CONFIG,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    # The streaming resampler never finalises the last ~10 outputs (they need input past the end).
    n_in = int(seconds * 256)
    n_final = ((n_in - 2) - 20) // 2 + 1
    n_windows = (n_final - 128 - 128) // 64 + 1
    try:
        csv_path, report_path = tmp_path / "live.csv", tmp_path / "report.json"
        code = stream.main(
            [
                "--model",
                os.fspath(tmp_path / "best.keras"),
                "--stream",
                name,
                "--lsl-config",
                _CONFIG,
                "--csv",
                os.fspath(csv_path),
                "--report",
                os.fspath(report_path),
                "--max-windows",
                str(n_windows),
                "--idle-timeout-s",
                "3",
                "--resolve-timeout-s",
                "30",
            ]
        )
        if code != 0:
            replay.kill()
        replay_log, _ = replay.communicate(timeout=60)
    finally:
        replay.kill()
    assert code == 0 and replay.returncode == 0, replay_log
    summary = json.loads(report_path.read_text())
    counts = summary["streams"][name]
    assert (
        counts["resampled_to_hz"] == 128.0 and counts["gaps"] == 0 and counts["out_of_order"] == 0
    )
    table = np.genfromtxt(csv_path, delimiter=",", names=True, dtype=None, encoding=None)
    assert len(table) == n_windows and set(table["status"]) == {"ok"}
    columns = [recording.ch_names.index(c) for c in channels]
    data = signal.resample_poly(
        recording.data[:n_in, columns].astype(np.float32).astype(np.float64), 1, 2, axis=0
    )
    template = data[:128].reshape(2, 64, 4).mean(axis=0)
    windows = np.stack(
        [data[128 + 64 * k : 256 + 64 * k] - np.tile(template, (2, 1)) for k in range(n_windows)]
    )
    reference = model.predict_on_batch({"eeg": windows.astype(np.float32)})["valence"][:, 0]
    np.testing.assert_allclose(table["valence"], reference, rtol=1e-4, atol=1e-4)


def test_a_gap_in_the_baseline_leaves_that_piece_out_of_the_template():
    spec = _spec()
    data, names = _recording(4.0, SFREQ, seed=9)
    stamps = np.arange(len(data)) / SFREQ
    lost = (stamps >= 0.2) & (stamps < 0.3)  # inside the first 0.5 s template piece
    pipeline = stream.LivePipeline(spec, _linear_model, ["score", "pair"], _routes(names))
    rows = _feed_in_chunks(pipeline, "s", data[~lost], stamps[~lost])
    assert pipeline.windows["eeg"].baseline_segments_skipped == 1
    # Reference: the template is the second baseline piece alone.
    cols = [names.index(f"EEG {c}") for c in EEG]
    template = data[16:32, cols]
    starts = 32 + 16 * np.arange(len(rows))
    windows = {
        "eeg": np.stack([data[s : s + 32, cols] - np.tile(template, (2, 1)) for s in starts]),
        "gsr": np.stack([data[s : s + 32, [0]].T for s in starts]),
    }
    expected = _linear_model(windows)["score"][:, 0]
    np.testing.assert_allclose(np.concatenate([r["score"] for r in rows]), expected, atol=1e-4)
