"""Benchmark the vectorised signal core against straightforward loop references.

Measured in one run, on synthetic Gaussian data of realistic sizes:

0. The seed's own DE + LDS pipeline on a SEED-sized trial (62 channels, 200 Hz, 240 s, 4 s
   windows): a NumPy loop over windows and channels computing DE per band, then
   ``pykalman.KalmanFilter(...).smooth`` once per channel x band series (pykalman is in the
   ``bench`` extra; the section is skipped without it), against
   ``amigos_emo.signal.features.de_sequence``, in interleaved rounds; the ratio is the median
   over rounds.
1. DE + LDS on a SEED-sized trial (62 channels, 200 Hz, 240 s) with 4 s and 1 s windows:
   ``amigos_emo.signal.features.de_sequence`` vs a reference that loops over windows and
   channels (one ``numpy.fft.rfft`` each) and smooths each channel x band series with a scalar
   Kalman/RTS recursion in plain Python; also the DE part alone vs a loop of
   ``scipy.signal.periodogram`` calls. Seconds per trial, speed-up, max relative difference.
2. STFT spectrograms (GRU-XNet inputs: 32 channels, 128 Hz, 60 s, 1 s segments, 50 % overlap)
   vs a loop over channels and frames.
3. Mutual-information adjacency (14 channels, 1280 samples, 5 band-filtered copies) vs
   ``sklearn.metrics.mutual_info_score`` per channel pair.
4. How the package time grows with trial length (60/120/240/480 s) and channel count (14/32/62).

Run: ``python bench/bench_features.py`` (about a minute) or ``--quick`` (a few seconds).
Times are the best of several repeats (package) or of fewer repeats (slow references).
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
from scipy import signal
from sklearn.metrics import mutual_info_score

from amigos_emo.constants.common import FREQUENCY_BANDS
from amigos_emo.signal.features import de_sequence
from amigos_emo.signal.filters import bandpass
from amigos_emo.signal.graph import histogram_bins, mutual_information_adjacency
from amigos_emo.signal.spectral import differential_entropy, stft_spectrogram
from amigos_emo.signal.windows import sliding_windows

TWO_PI_E = 2.0 * np.pi * np.e


def best_time(function, repeats):
    """Best wall time of ``repeats`` calls (after one warm-up call) and the last result."""
    result = function()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return min(times), result


# === Loop references (obvious, float64, one window / channel / series at a time) ===


def reference_de_numpy(trial, sfreq, window_samples):
    """DE per window and channel with one rfft each: (n_windows, n_chans, n_bands)."""
    n_windows, n_chans = trial.shape[0] // window_samples, trial.shape[1]
    hann = signal.get_window("hann", window_samples)
    freqs_hz = np.fft.rfftfreq(window_samples, 1.0 / sfreq)
    one_sided = np.full(freqs_hz.size, 2.0)
    one_sided[0] = 1.0
    if window_samples % 2 == 0:
        one_sided[-1] = 1.0
    scale = one_sided / (sfreq * np.sum(hann**2)) * (sfreq / window_samples)
    masks = [(freqs_hz >= low) & (freqs_hz < high) for low, high in FREQUENCY_BANDS.values()]
    out = np.empty((n_windows, n_chans, len(masks)))
    for w in range(n_windows):
        for c in range(n_chans):
            segment = trial[w * window_samples : (w + 1) * window_samples, c]
            spectrum = np.fft.rfft((segment - segment.mean()) * hann)
            psd = (spectrum.real**2 + spectrum.imag**2) * scale
            for b, mask in enumerate(masks):
                out[w, c, b] = 0.5 * np.log(TWO_PI_E * psd[mask].sum())
    return out


def reference_de_scipy(trial, sfreq, window_samples):
    """DE per window and channel with one scipy.signal.periodogram call each."""
    n_windows, n_chans = trial.shape[0] // window_samples, trial.shape[1]
    out = np.empty((n_windows, n_chans, len(FREQUENCY_BANDS)))
    for w in range(n_windows):
        for c in range(n_chans):
            segment = trial[w * window_samples : (w + 1) * window_samples, c]
            freqs_hz, psd = signal.periodogram(segment, fs=sfreq, window="hann")
            df = freqs_hz[1] - freqs_hz[0]
            for b, (low, high) in enumerate(FREQUENCY_BANDS.values()):
                power = psd[(freqs_hz >= low) & (freqs_hz < high)].sum() * df
                out[w, c, b] = 0.5 * np.log(TWO_PI_E * power)
    return out


def reference_lds(values, q=1e-4, r=1.0, v0=0.01):
    """SEED's scalar Kalman filter + RTS smoother, one Python-float series at a time."""
    n_steps = len(values)
    mean = sum(values) / n_steps
    filtered, variances, predicted = [0.0] * n_steps, [0.0] * n_steps, [0.0] * n_steps
    prior_mean, prior_var = mean, v0
    for t in range(n_steps):
        gain = prior_var / (prior_var + r)
        filtered[t] = prior_mean + gain * (values[t] - prior_mean)
        variances[t] = (1.0 - gain) * prior_var
        predicted[t] = variances[t] + q
        prior_mean, prior_var = filtered[t], predicted[t]
    smoothed = list(filtered)
    for t in range(n_steps - 2, -1, -1):
        smoothed[t] = filtered[t] + variances[t] / predicted[t] * (smoothed[t + 1] - filtered[t])
    return smoothed


def reference_de_sequence(trial, sfreq, window_samples):
    """Loop DE then per-series LDS, flattened channel-major: (n_windows, n_chans * 5)."""
    entropy = reference_de_numpy(trial, sfreq, window_samples)
    n_windows, n_chans, n_bands = entropy.shape
    out = np.empty((n_windows, n_chans * n_bands))
    for c in range(n_chans):
        for b in range(n_bands):
            out[:, c * n_bands + b] = reference_lds(entropy[:, c, b].tolist())
    return out


def seed_pipeline(trial, sfreq, window_samples):
    """The seed's DE + LDS: loop DE, then one ``pykalman`` smoother per channel x band series.

    Same model as :func:`amigos_emo.signal.lds.lds_smooth` (``A = C = 1``, ``Q = 1e-4``,
    ``R = 1``, ``V_0 = 0.01``, ``mu_0`` the series mean). Returns ``(n_windows, n_chans * 5)``.
    """
    from pykalman import KalmanFilter

    entropy = reference_de_numpy(trial, sfreq, window_samples)
    n_windows, n_chans, n_bands = entropy.shape
    out = np.empty((n_windows, n_chans * n_bands))
    for c in range(n_chans):
        for b in range(n_bands):
            series = entropy[:, c, b]
            smoother = KalmanFilter(
                transition_matrices=[[1.0]],
                observation_matrices=[[1.0]],
                transition_covariance=[[1e-4]],
                observation_covariance=[[1.0]],
                initial_state_mean=[series.mean()],
                initial_state_covariance=[[0.01]],
            )
            out[:, c * n_bands + b] = smoother.smooth(series[:, None])[0][:, 0]
    return out


def reference_stft(x, sfreq, nperseg, noverlap, max_freq_hz):
    """log1p|STFT| per channel and frame with numpy, scipy's 'zeros' boundary and padding."""
    n_times, n_chans = x.shape
    step = nperseg - noverlap
    hann = signal.get_window("hann", nperseg)
    padded = np.concatenate(
        [np.zeros((nperseg // 2, n_chans)), x, np.zeros((nperseg // 2, n_chans))]
    )
    n_extra = (-(padded.shape[0] - nperseg) % step) % nperseg
    padded = np.concatenate([padded, np.zeros((n_extra, n_chans))])
    n_frames = (padded.shape[0] - nperseg) // step + 1
    freqs_hz = np.fft.rfftfreq(nperseg, 1.0 / sfreq)
    keep = freqs_hz <= max_freq_hz
    out = np.empty((n_chans, n_frames, int(keep.sum())))
    for c in range(n_chans):
        for f in range(n_frames):
            segment = padded[f * step : f * step + nperseg, c]
            out[c, f] = np.log1p(np.abs(np.fft.rfft(segment * hann)[keep]) / hann.sum())
    return out


def reference_mi(bands_x, n_bins):
    """MI adjacency per band with sklearn, one channel pair at a time."""
    out = []
    for x in bands_x:
        bins = histogram_bins(x, n_bins)
        n_chans = x.shape[1]
        adjacency = np.zeros((n_chans, n_chans))
        for i in range(n_chans):
            for j in range(i + 1, n_chans):
                adjacency[i, j] = adjacency[j, i] = mutual_info_score(bins[:, i], bins[:, j])
        out.append(adjacency)
    return np.stack(out)


def max_rel_diff(a, b):
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-12)))


# === Sections ===


def bench_seed_pipeline(rng, duration_s, rounds, repeats):
    """Section 0: the seed's loop + pykalman pipeline vs ``de_sequence``, interleaved rounds."""
    try:
        import pykalman  # noqa: F401
    except ImportError:
        print("\n0. Seed pipeline skipped: pykalman is not installed (pip install -e '.[bench]')")
        return None
    sfreq, n_chans, window_s = 200.0, 62, 4.0
    trial = rng.normal(scale=20.0, size=(int(duration_s * sfreq), n_chans))
    window_samples = int(window_s * sfreq)
    n_windows = trial.shape[0] // window_samples
    ratios, seed_times, package_times = [], [], []
    for _ in range(rounds):
        start = time.perf_counter()
        expected = seed_pipeline(trial, sfreq, window_samples)
        seed_times.append(time.perf_counter() - start)
        package_s, (features, _) = best_time(
            lambda: de_sequence(trial, sfreq, window_s=window_s, n_steps=n_windows), repeats
        )
        package_times.append(package_s)
        ratios.append(seed_times[-1] / package_s)
    diff = float(np.max(np.abs(features.astype(np.float64) - expected)))
    row = {
        "seed_s": statistics.median(seed_times),
        "package_s": statistics.median(package_times),
        "ratio": statistics.median(ratios),
        "ratios": ratios,
        "max_abs_diff": diff,
    }
    print(
        f"\n0. Seed pipeline (loop DE + pykalman smooth per series) vs de_sequence: {n_chans} ch, "
        f"{sfreq:g} Hz, {duration_s:g} s, {window_s:g} s windows ({n_windows} windows), "
        f"{rounds} interleaved rounds"
    )
    print(
        f"seed {row['seed_s']:.3f} s | package {1e3 * row['package_s']:.1f} ms (best of {repeats}"
        f" per round) | speed-up median {row['ratio']:.0f}x (rounds: "
        + ", ".join(f"{r:.0f}x" for r in ratios)
        + f") | max abs diff {diff:.1e} nats (float32 output)"
    )
    return row


def bench_de_lds(rng, duration_s, repeats, ref_repeats):
    sfreq, n_chans = 200.0, 62
    trial = rng.normal(scale=20.0, size=(int(duration_s * sfreq), n_chans))
    rows = []
    for window_s in (4.0, 1.0):
        window_samples = int(window_s * sfreq)
        n_windows = trial.shape[0] // window_samples
        package_s, (features, _) = best_time(
            lambda ws=window_s, nw=n_windows: de_sequence(trial, sfreq, window_s=ws, n_steps=nw),
            repeats,
        )
        reference_s, expected = best_time(
            lambda wsam=window_samples: reference_de_sequence(trial, sfreq, wsam), ref_repeats
        )
        windows = sliding_windows(trial, window_samples, window_samples)
        de_only_s, entropy = best_time(lambda w=windows: differential_entropy(w, sfreq), repeats)
        scipy_s, entropy_ref = best_time(
            lambda wsam=window_samples: reference_de_scipy(trial, sfreq, wsam), ref_repeats
        )
        rows.append(
            {
                "window_s": window_s,
                "n_windows": n_windows,
                "package_s": package_s,
                "reference_s": reference_s,
                "ratio": reference_s / package_s,
                "max_rel_diff": max_rel_diff(features.astype(np.float64), expected),
                "de_only_s": de_only_s,
                "scipy_loop_s": scipy_s,
                "de_ratio_vs_scipy_loop": scipy_s / de_only_s,
                "de_max_rel_diff": max_rel_diff(entropy, entropy_ref),
            }
        )
    print(f"\n1. DE + LDS, SEED-sized trial: {n_chans} ch, {sfreq:g} Hz, {duration_s:g} s")
    print(
        f"{'window':>7} {'n_win':>6} {'package s':>10} {'loop ref s':>11} {'speed-up':>9} "
        f"{'max rel diff':>13} | {'DE only s':>10} {'scipy loop s':>13} {'speed-up':>9} {'max rel diff':>13}"
    )
    for r in rows:
        print(
            f"{r['window_s']:>6g}s {r['n_windows']:>6d} {r['package_s']:>10.4f} {r['reference_s']:>11.4f} "
            f"{r['ratio']:>8.1f}x {r['max_rel_diff']:>13.2e} | {r['de_only_s']:>10.4f} "
            f"{r['scipy_loop_s']:>13.4f} {r['de_ratio_vs_scipy_loop']:>8.1f}x {r['de_max_rel_diff']:>13.2e}"
        )
    return rows


def bench_stft(rng, duration_s, repeats, ref_repeats):
    sfreq, n_chans, nperseg, noverlap, max_freq_hz = 128.0, 32, 128, 64, 45.0
    x = rng.normal(scale=20.0, size=(int(duration_s * sfreq), n_chans))
    package_s, got = best_time(
        lambda: stft_spectrogram(x, sfreq, nperseg, noverlap, max_freq_hz=max_freq_hz), repeats
    )
    reference_s, expected = best_time(
        lambda: reference_stft(x, sfreq, nperseg, noverlap, max_freq_hz), ref_repeats
    )
    assert got.shape == expected.shape, (got.shape, expected.shape)
    diff = max_rel_diff(got.astype(np.float64), expected)
    print(
        f"\n2. STFT: {n_chans} ch, {sfreq:g} Hz, {duration_s:g} s, nperseg={nperseg}, "
        f"noverlap={noverlap}, <= {max_freq_hz:g} Hz -> {got.shape}"
    )
    print(
        f"package {package_s:.4f} s | loop ref {reference_s:.4f} s | "
        f"speed-up {reference_s / package_s:.1f}x | max rel diff {diff:.2e}"
    )
    return {
        "package_s": package_s,
        "reference_s": reference_s,
        "ratio": reference_s / package_s,
        "max_rel_diff": diff,
    }


def bench_mi(rng, repeats, ref_repeats):
    sfreq, n_chans, n_times, n_bins = 128.0, 14, 1280, 16
    x = rng.normal(scale=20.0, size=(n_times, n_chans))
    x[:, 1] += x[:, 0]
    bands_x = [
        bandpass(x, sfreq, max(low, 0.5), min(high, 63.0)) for low, high in FREQUENCY_BANDS.values()
    ]
    package_s, got = best_time(
        lambda: np.stack([mutual_information_adjacency(b, n_bins) for b in bands_x]), repeats
    )
    reference_s, expected = best_time(lambda: reference_mi(bands_x, n_bins), ref_repeats)
    diff = float(np.max(np.abs(got - expected)))
    print(
        f"\n3. MI adjacency: {n_chans} ch, {n_times} samples, {len(bands_x)} bands, {n_bins} bins"
    )
    print(
        f"package {package_s:.4f} s | sklearn pair loop {reference_s:.4f} s | "
        f"speed-up {reference_s / package_s:.1f}x | max abs diff {diff:.2e} nats"
    )
    return {
        "package_s": package_s,
        "reference_s": reference_s,
        "ratio": reference_s / package_s,
        "max_abs_diff": diff,
    }


def bench_scaling(rng, durations_s, channel_counts, repeats):
    sfreq = 200.0
    print("\n4. Package de_sequence (DE + LDS) time, 1 s windows, 200 Hz")
    print(f"{'duration s':>10} {'n_chans':>8} {'seconds':>9} {'us / window-channel':>20}")
    for duration_s, n_chans in [(d, 62) for d in durations_s] + [
        (240.0, c) for c in channel_counts
    ]:
        trial = rng.normal(size=(int(duration_s * sfreq), n_chans))
        n_windows = int(duration_s)
        seconds, _ = best_time(lambda t=trial, n=n_windows: de_sequence(t, sfreq, 1.0, n), repeats)
        print(
            f"{duration_s:>10g} {n_chans:>8d} {seconds:>9.4f} {1e6 * seconds / (n_windows * n_chans):>20.2f}"
        )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, one repeat: a smoke run")
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    start = time.perf_counter()
    if args.quick:
        seed = bench_seed_pipeline(rng, 24.0, rounds=1, repeats=1)
        de_rows = bench_de_lds(rng, 24.0, repeats=1, ref_repeats=1)
        stft = bench_stft(rng, 10.0, repeats=1, ref_repeats=1)
        mi = bench_mi(rng, repeats=1, ref_repeats=1)
        bench_scaling(rng, (10.0, 20.0), (14,), repeats=1)
    else:
        seed = bench_seed_pipeline(rng, 240.0, rounds=3, repeats=10)
        de_rows = bench_de_lds(rng, 240.0, repeats=5, ref_repeats=1)
        stft = bench_stft(rng, 60.0, repeats=5, ref_repeats=2)
        mi = bench_mi(rng, repeats=5, ref_repeats=2)
        bench_scaling(rng, (60.0, 120.0, 240.0, 480.0), (14, 32, 62), repeats=3)
    summary = "" if seed is None else f"seed pipeline (pykalman) {seed['ratio']:.0f}x, "
    summary += ", ".join(f"DE+LDS {r['window_s']:g}s windows {r['ratio']:.0f}x" for r in de_rows)
    print(
        f"\nSummary: {summary}, STFT {stft['ratio']:.0f}x, MI {mi['ratio']:.0f}x faster than loop "
        f"references; max rel diff DE+LDS {max(r['max_rel_diff'] for r in de_rows):.1e} "
        f"(float32 output); total {time.perf_counter() - start:.0f} s"
    )


if __name__ == "__main__":
    main()
