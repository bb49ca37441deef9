"""Whole-trial ECG and GSR features through NeuroKit2 (imported inside the functions: heavy).

- :func:`ecg_features`: mean heart rate (bpm), RMSSD and SDNN (ms) of one ECG lead.
- :func:`gsr_features`: tonic level, phasic variability and skin-conductance responses (SCRs).

Both take a whole trial as a 1-D array and refuse signals that cannot give meaningful numbers
(too short, flat, NaN) with an error that says which and why.
"""

from __future__ import annotations

import numpy as np

from amigos_emo._checks import check_array, check_positive


def _check_trace(x, sfreq, name, min_duration_s):
    """Validate a 1-D physiological trace; return it as float64."""
    check_positive(sfreq, "sfreq")
    check_positive(min_duration_s, "min_duration_s")
    x = check_array(x, name, dtype_kind="f")
    if x.ndim == 2 and 1 in x.shape:
        x = x.reshape(-1)
    if x.ndim != 1:
        raise ValueError(
            f"{name} must be a 1-D trace (one channel of one trial). Received: {name} with shape {x.shape}"
        )
    x = x.astype(np.float64)
    duration_s = x.size / sfreq
    if duration_s < min_duration_s:
        raise ValueError(
            f"{name} is too short: {x.size} samples at {sfreq:g} Hz is {duration_s:.3g} s, "
            f"expected at least min_duration_s={min_duration_s:g} s"
        )
    n_bad = int((~np.isfinite(x)).sum())
    if n_bad:
        first = int(np.flatnonzero(~np.isfinite(x))[0])
        raise ValueError(
            f"{name} must hold finite values. Received: {n_bad} NaN or infinite samples of "
            f"{x.size} (first at sample {first}, {first / sfreq:.2f} s); interpolate or drop the trial"
        )
    if np.ptp(x) == 0:
        raise ValueError(
            f"{name} is flat (every sample equals {x[0]:g}); the sensor was probably disconnected"
        )
    return x


def ecg_features(ecg, sfreq, min_duration_s=10.0, method="neurokit"):
    """Heart rate and time-domain HRV of one ECG trace.

    R-peaks come from ``nk.ecg_clean`` + ``nk.ecg_peaks`` (the cleaning and detection steps of
    ``nk.ecg_process``, without its P/Q/S/T delineation, which these features do not use and
    which costs ~50x more); HRV from ``nk.hrv_time`` on those peaks.

    Args:
        ecg: 1-D array ``(n_times,)``, one ECG lead of one trial (any units).
        sfreq: sampling rate in Hz.
        min_duration_s: shortest accepted trace, seconds.
        method: NeuroKit2 cleaning / peak-detection method.

    Returns:
        dict of floats: ``heart_rate_bpm`` (mean of the instantaneous rate ``60 / RR`` interpolated
        over the trace, beats per minute), ``rmssd_ms`` (root mean square of successive RR
        differences, ms) and ``sdnn_ms`` (standard deviation of RR intervals, ms).

    Raises:
        ValueError: for a trace that is not 1-D, too short, flat or non-finite, or with fewer
            than 3 detected R-peaks.
    """
    import neurokit2 as nk

    ecg = _check_trace(ecg, sfreq, "ecg", min_duration_s)
    sampling_rate = int(round(sfreq)) if float(sfreq).is_integer() else sfreq
    cleaned = nk.ecg_clean(ecg, sampling_rate=sampling_rate, method=method)
    _, info = nk.ecg_peaks(cleaned, sampling_rate=sampling_rate, method=method)
    peaks = np.asarray(info["ECG_R_Peaks"])
    if peaks.size < 3:
        raise ValueError(
            f"ecg: found {peaks.size} R-peaks in {ecg.size / sfreq:.3g} s, need at least 3 for HRV. "
            "Check the lead, the polarity and sfreq"
        )
    rate = nk.ecg_rate(peaks, sampling_rate=sampling_rate, desired_length=ecg.size)
    hrv = nk.hrv_time(peaks, sampling_rate=sampling_rate)
    return {
        "heart_rate_bpm": float(np.mean(rate)),
        "rmssd_ms": float(hrv["HRV_RMSSD"].iloc[0]),
        "sdnn_ms": float(hrv["HRV_SDNN"].iloc[0]),
    }


def gsr_features(gsr, sfreq, min_duration_s=10.0, method="neurokit"):
    """Tonic/phasic and skin-conductance-response features of one GSR (EDA) trace.

    ``nk.eda_process`` cleans the trace, splits it into tonic (slow) and phasic (fast)
    components and detects SCRs (onsets, peaks, amplitudes).

    Args:
        gsr: 1-D array ``(n_times,)``, skin conductance of one trial (microsiemens; other units
            scale the level and amplitude features).
        sfreq: sampling rate in Hz.
        min_duration_s: shortest accepted trace, seconds.
        method: NeuroKit2 processing method.

    Returns:
        dict of floats: ``tonic_mean`` (mean of ``EDA_Tonic``), ``phasic_std`` (standard
        deviation of ``EDA_Phasic``), ``scr_count`` (number of SCR peaks of at least
        :data:`SCR_MIN_AMPLITUDE_US`, as in :func:`eda_window_features`), ``scr_rate_per_min``
        (``scr_count`` per minute of trace) and ``scr_amplitude_mean`` (mean SCR amplitude,
        peak minus onset; 0.0 when there is no SCR, so the feature vector stays finite).

    Raises:
        ValueError: for a trace that is not 1-D, too short, flat or non-finite.
    """
    import neurokit2 as nk

    gsr = _check_trace(gsr, sfreq, "gsr", min_duration_s)
    sampling_rate = int(round(sfreq)) if float(sfreq).is_integer() else sfreq
    signals, info = nk.eda_process(gsr, sampling_rate=sampling_rate, method=method)
    amplitudes = np.asarray(info.get("SCR_Amplitude", []), dtype=np.float64)
    amplitudes = amplitudes[np.isfinite(amplitudes) & (amplitudes >= SCR_MIN_AMPLITUDE_US)]
    scr_count = int(amplitudes.size)
    return {
        "tonic_mean": float(signals["EDA_Tonic"].mean()),
        "phasic_std": float(signals["EDA_Phasic"].std()),
        "scr_count": float(scr_count),
        "scr_rate_per_min": float(scr_count / (gsr.size / sfreq / 60.0)),
        "scr_amplitude_mean": float(amplitudes.mean()) if amplitudes.size else 0.0,
    }


# --- Per-window features of continuous recordings ---------------------------------------------
#
# Each trace is processed once over the whole trial (beat detection, tonic/phasic split, SCR and
# breath detection need seconds of context that a short window lacks); the features are then
# aggregated inside every window, given by its start sample and length. A feature that a window
# cannot define (fewer than 3 beats, a detector that failed on the trace) is NaN: callers decide
# what to do with such windows (the custom builder drops and counts them; predict reports them).

HEART_FEATURES = ("heart_rate_bpm", "rmssd_ms", "sdnn_ms")
# The smallest skin-conductance response counted, in microsiemens (the common 0.01 uS criterion
# of the EDA literature; smaller deflections are indistinguishable from sensor noise).
SCR_MIN_AMPLITUDE_US = 0.01
EDA_FEATURES = ("tonic_mean", "phasic_std", "scr_count", "scr_rate_per_min", "scr_amplitude_mean")
RESP_FEATURES = ("resp_rate_per_min",)
TEMPERATURE_FEATURES = ("mean", "slope_per_min")
ACC_FEATURES = ("magnitude_mean", "magnitude_std", "magnitude_range")
GENERIC_FEATURES = ("mean", "std", "rms")
# Signal types whose channels are heart-beat traces.
BEAT_TYPES = ("ecg", "bvp", "ppg")
# The longest beat-to-beat interval taken for a pause of the heart rather than lost signal
# (20 beats per minute); the beat correction adds no beat inside a longer gap.
MAX_RR_S = 3.0


def _nk_rate(sfreq):
    return int(round(sfreq)) if float(sfreq).is_integer() else sfreq


def _window_index(starts, window_samples):
    starts = np.asarray(starts, dtype=np.int64)
    return starts[:, None] + np.arange(int(window_samples))[None, :]


def detect_beats(trace, sfreq, kind="ecg"):
    """Beat positions of one ECG lead (R-peaks) or one BVP/PPG trace (systolic peaks).

    ECG: ``nk.ecg_clean`` + ``nk.ecg_peaks``; BVP/PPG: ``nk.ppg_clean`` + ``nk.ppg_findpeaks``.
    Then ``nk.signal_fixpeaks`` (the Kubios method of Lipponen & Tarvainen 2019) corrects
    missed, extra and ectopic beats, which motion puts into wrist BVP often enough to dominate
    RMSSD and SDNN.

    Args:
        trace: 1-D ``(n_times,)`` float array.
        sfreq: sampling rate in Hz.
        kind: ``"ecg"``, ``"bvp"`` or ``"ppg"``.

    Returns:
        int64 sample indices of the beats, increasing.
    """
    import neurokit2 as nk

    trace = np.asarray(trace, dtype=np.float64).reshape(-1)
    rate = _nk_rate(sfreq)
    if kind == "ecg":
        cleaned = nk.ecg_clean(trace, sampling_rate=rate)
        _, info = nk.ecg_peaks(cleaned, sampling_rate=rate)
        peaks = info["ECG_R_Peaks"]
    elif kind in ("bvp", "ppg"):
        cleaned = nk.ppg_clean(trace, sampling_rate=rate)
        peaks = nk.ppg_findpeaks(cleaned, sampling_rate=rate)["PPG_Peaks"]
    else:
        raise ValueError(f"kind must be one of 'ecg', 'bvp', 'ppg'. Received: kind={kind!r}")
    found = np.unique(np.asarray(peaks, dtype=np.int64))
    if found.size < 4:  # the correction needs a few intervals to judge one by
        return found
    _, fixed = nk.signal_fixpeaks(found, sampling_rate=rate, iterative=True, method="Kubios")
    fixed = np.unique(np.asarray(fixed, dtype=np.int64))
    # No beat is made up where the signal was lost: a corrected beat inside a gap of the
    # detected ones longer than MAX_RR_S is dropped (the gap stays a gap, its windows NaN).
    after = np.clip(np.searchsorted(found, fixed), 1, found.size - 1)
    gap = (found[after] - found[after - 1]) > MAX_RR_S * sfreq
    inside = (fixed > found[after - 1]) & (fixed < found[after])
    return fixed[~(gap & inside)]


def beat_window_features(peaks, sfreq, starts, window_samples):
    """Heart rate and time-domain HRV inside each window, from beat positions (vectorised).

    The beats of window ``[s, s + n)`` are the peaks ``s <= p < s + n``; their RR intervals are the
    differences of consecutive ones. With ``RR`` in ms: ``heart_rate_bpm = 60000 / mean(RR)``,
    ``rmssd_ms = sqrt(mean(diff(RR) ** 2))``, ``sdnn_ms = std(RR, ddof=1)`` (NeuroKit2's
    ``hrv_time`` definitions of MeanNN, RMSSD and SDNN).

    Args:
        peaks: increasing int beat sample indices (:func:`detect_beats`).
        sfreq: sampling rate in Hz.
        starts: int ``(n_windows,)`` window start samples.
        window_samples: samples per window.

    Returns:
        float64 ``(n_windows, 3)`` in the order of :data:`HEART_FEATURES`; NaN for a window
        with fewer than 3 beats.
    """
    peaks = np.asarray(peaks, dtype=np.int64)
    starts = np.asarray(starts, dtype=np.int64)
    out = np.full((len(starts), len(HEART_FEATURES)), np.nan)
    if peaks.size < 3 or not len(starts):
        return out
    rr = np.diff(peaks) / sfreq * 1000.0  # rr[i] between peaks i and i + 1, ms
    drr = np.diff(rr)  # drr[j] = rr[j + 1] - rr[j]
    c_rr, c_rr2 = np.concatenate([[0.0], np.cumsum(rr)]), np.concatenate([[0.0], np.cumsum(rr**2)])
    c_d2 = np.concatenate([[0.0], np.cumsum(drr**2)])
    lo = np.searchsorted(peaks, starts, side="left")
    hi = np.searchsorted(peaks, starts + int(window_samples), side="left")  # peaks lo..hi-1 inside
    n_beats = hi - lo
    ok = n_beats >= 3
    lo, hi = lo[ok], hi[ok]
    n_rr = (hi - lo - 1).astype(np.float64)  # intervals lo..hi-2
    sum_rr = c_rr[hi - 1] - c_rr[lo]
    sum_rr2 = c_rr2[hi - 1] - c_rr2[lo]
    mean_rr = sum_rr / n_rr
    variance = np.maximum(sum_rr2 - n_rr * mean_rr**2, 0.0) / (n_rr - 1.0)
    sum_d2 = c_d2[hi - 2] - c_d2[lo]  # differences lo..hi-3
    out[ok, 0] = 60000.0 / mean_rr
    out[ok, 1] = np.sqrt(sum_d2 / (n_rr - 1.0))
    out[ok, 2] = np.sqrt(variance)
    return out


def eda_window_features(trace, sfreq, starts, window_samples):
    """Tonic level, phasic variability and SCRs inside each window of one EDA trace.

    ``nk.eda_process`` runs once over the trace (tonic/phasic split, SCR detection; below 7 Hz
    NeuroKit2 skips its low-pass filter, and that warning is silenced); then per window:
    ``tonic_mean`` (mean ``EDA_Tonic``), ``phasic_std`` (population std of ``EDA_Phasic``),
    ``scr_count`` (SCR peaks inside), ``scr_rate_per_min`` and ``scr_amplitude_mean`` (mean
    amplitude of those SCRs, 0.0 when there is none). Units follow the trace (microsiemens).

    Only SCRs of at least :data:`SCR_MIN_AMPLITUDE_US` count: NeuroKit2's own threshold is
    relative to the trace's largest response, so on a flat or noise-only trace it reports a
    response every couple of seconds. A constant trace (a non-responder, a sensor that lost
    contact) is not handed to NeuroKit2 (which fails on it): its tonic level is the trace,
    its phasic part zero, and it has no SCRs.

    Returns:
        float64 ``(n_windows, 5)`` in the order of :data:`EDA_FEATURES`.
    """
    import warnings

    import neurokit2 as nk

    trace = np.asarray(trace, dtype=np.float64).reshape(-1)
    index = _window_index(starts, window_samples)
    if np.ptp(trace) == 0:
        levels = trace[index].mean(axis=1)
        zeros = np.zeros_like(levels)
        return np.stack([levels, zeros, zeros, zeros, zeros], axis=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        signals, info = nk.eda_process(trace, sampling_rate=_nk_rate(sfreq))
    tonic = signals["EDA_Tonic"].to_numpy(np.float64)[index]
    phasic = signals["EDA_Phasic"].to_numpy(np.float64)[index]
    peaks = np.asarray(info.get("SCR_Peaks", []), dtype=np.float64)
    amplitudes = np.asarray(info.get("SCR_Amplitude", []), dtype=np.float64)
    keep = (
        np.isfinite(peaks) & np.isfinite(amplitudes)
        if amplitudes.size == peaks.size
        else np.isfinite(peaks)
    )
    if amplitudes.size == peaks.size:
        keep &= amplitudes >= SCR_MIN_AMPLITUDE_US
    else:  # no amplitudes to judge a response by: none is counted
        keep[:] = False
    peaks = peaks[keep].astype(np.int64)
    amplitudes = amplitudes[keep] if amplitudes.size == keep.size else np.zeros(peaks.size)
    order = np.argsort(peaks)
    peaks, amplitudes = peaks[order], amplitudes[order]
    starts = np.asarray(starts, dtype=np.int64)
    lo = np.searchsorted(peaks, starts, side="left")
    hi = np.searchsorted(peaks, starts + int(window_samples), side="left")
    count = (hi - lo).astype(np.float64)
    cumulative = np.concatenate([[0.0], np.cumsum(amplitudes)])
    amplitude_sum = cumulative[hi] - cumulative[lo]
    mean_amplitude = np.divide(amplitude_sum, count, out=np.zeros_like(count), where=count > 0)
    minutes = window_samples / sfreq / 60.0
    return np.stack(
        [tonic.mean(axis=1), phasic.std(axis=1), count, count / minutes, mean_amplitude], axis=1
    )


def resp_window_features(trace, sfreq, starts, window_samples):
    """Mean breathing rate (breaths per minute, ``nk.rsp_process``'s ``RSP_Rate``) in each window.

    Returns:
        float64 ``(n_windows, 1)``.
    """
    import warnings

    import neurokit2 as nk

    trace = np.asarray(trace, dtype=np.float64).reshape(-1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        signals, _ = nk.rsp_process(trace, sampling_rate=_nk_rate(sfreq))
    rate = signals["RSP_Rate"].to_numpy(np.float64)[_window_index(starts, window_samples)]
    return rate.mean(axis=1, keepdims=True)


def temperature_window_features(windows, sfreq):
    """Mean and least-squares slope (units per minute) of each temperature window (vectorised).

    Args:
        windows: ``(n_windows, n_times)`` of one channel (degrees Celsius).
        sfreq: sampling rate in Hz.

    Returns:
        float64 ``(n_windows, 2)`` in the order of :data:`TEMPERATURE_FEATURES`.
    """
    windows = np.asarray(windows, dtype=np.float64)
    t = np.arange(windows.shape[1]) / sfreq
    centred_t = t - t.mean()
    mean = windows.mean(axis=1)
    slope = (
        (windows - mean[:, None])
        @ centred_t
        / max(float(centred_t @ centred_t), np.finfo(float).tiny)
    )
    return np.stack([mean, slope * 60.0], axis=1)


def acc_window_features(windows):
    """Statistics of the acceleration magnitude ``sqrt(sum over axes of a**2)`` per window.

    Args:
        windows: ``(n_windows, n_times, n_axes)`` (g, or the recording's unit).

    Returns:
        float64 ``(n_windows, 3)``: mean, population std and range (max - min) of the magnitude.
    """
    magnitude = np.sqrt(np.sum(np.asarray(windows, dtype=np.float64) ** 2, axis=-1))
    return np.stack(
        [magnitude.mean(axis=1), magnitude.std(axis=1), np.ptp(magnitude, axis=1)], axis=1
    )


def _bands():
    from amigos_emo.constants.common import FREQUENCY_BANDS

    return tuple(FREQUENCY_BANDS)


def window_feature_names(channels):
    """Names of :func:`window_features`' columns, in order.

    Args:
        channels: ``{type: [channel names]}`` in the order the features are computed.

    Returns:
        list of str such as ``eeg_Fz_de_alpha``, ``bvp_BVP_heart_rate_bpm``, ``acc_magnitude_std``.
    """
    names = []
    for kind, chans in channels.items():
        if kind == "eeg":
            names += [f"eeg_{c}_de_{band}" for c in chans for band in _bands()]
        elif kind in BEAT_TYPES:
            names += [f"{kind}_{c}_{f}" for c in chans for f in HEART_FEATURES]
        elif kind == "gsr":
            names += [f"gsr_{c}_{f}" for c in chans for f in EDA_FEATURES]
        elif kind == "resp":
            names += [f"resp_{c}_{f}" for c in chans for f in RESP_FEATURES]
        elif kind == "temperature":
            names += [f"temperature_{c}_{f}" for c in chans for f in TEMPERATURE_FEATURES]
        elif kind == "acc":
            names += [f"acc_{f}" for f in ACC_FEATURES]
        else:
            names += [f"{kind}_{c}_{f}" for c in chans for f in GENERIC_FEATURES]
    return names


def window_features(signals, sfreq, starts_s, window_s, channels):
    """The feature vector of every window of one trial (the custom builder's ``features``).

    Per type: ``eeg`` differential entropy of the five bands per channel
    (:func:`amigos_emo.signal.spectral.differential_entropy`); ``ecg``/``bvp``/``ppg`` heart rate,
    RMSSD, SDNN per channel (:func:`detect_beats` + :func:`beat_window_features`); ``gsr``
    :func:`eda_window_features`; ``resp`` :func:`resp_window_features`; ``temperature``
    :func:`temperature_window_features`; ``acc`` :func:`acc_window_features` over all its axes;
    any other type (``emg``, ``eog``, ``misc``) mean, std and RMS per channel.

    Args:
        signals: ``{type: float (n_times, n_chans)}``, the whole trial at ``sfreq[type]``.
        sfreq: ``{type: Hz}``.
        starts_s: ``(n_windows,)`` window starts in seconds (as from
            :func:`amigos_emo.io.recordings.cut_windows`); window ``k`` of a type starts at sample
            ``round(starts_s[k] * sfreq[type])``.
        window_s: window length in seconds.
        channels: ``{type: [names]}`` (only their count and order matter).

    Returns:
        float64 ``(n_windows, n_features)`` (columns named by :func:`window_feature_names`); NaN
        where a window cannot define a feature (see the section comment) or a detector failed.
    """
    from amigos_emo._logging import logger
    from amigos_emo.signal.spectral import differential_entropy

    starts_s = np.asarray(starts_s, dtype=np.float64)
    columns = []
    for kind, chans in channels.items():
        x = np.asarray(signals[kind], dtype=np.float64)
        rate = float(sfreq[kind])
        n = int(round(window_s * rate))
        starts = np.round(starts_s * rate).astype(np.int64)
        windows = x[_window_index(starts, n)]  # (n_windows, n, n_chans)
        if kind == "eeg":
            columns.append(differential_entropy(windows, rate).reshape(len(starts), -1))
        elif kind == "acc":
            columns.append(acc_window_features(windows))
        elif kind == "temperature":
            columns += [
                temperature_window_features(windows[:, :, c], rate) for c in range(len(chans))
            ]
        elif kind in BEAT_TYPES or kind in ("gsr", "resp"):
            for c, name in enumerate(chans):
                width = len(
                    HEART_FEATURES
                    if kind in BEAT_TYPES
                    else EDA_FEATURES
                    if kind == "gsr"
                    else RESP_FEATURES
                )
                try:
                    if kind in BEAT_TYPES:
                        block = beat_window_features(
                            detect_beats(x[:, c], rate, kind), rate, starts, n
                        )
                    elif kind == "gsr":
                        block = eda_window_features(x[:, c], rate, starts, n)
                    else:
                        block = resp_window_features(x[:, c], rate, starts, n)
                except Exception as error:  # NeuroKit2 fails on flat or beat-less traces
                    logger.warning(
                        "%s channel %s: feature extraction failed (%s: %s); its features are NaN",
                        kind,
                        name,
                        type(error).__name__,
                        error,
                    )
                    block = np.full((len(starts), width), np.nan)
                columns.append(block)
        else:
            columns.append(
                np.concatenate(
                    [
                        windows.mean(axis=1),
                        windows.std(axis=1),
                        np.sqrt(np.mean(windows**2, axis=1)),
                    ],
                    axis=1,
                )
                .reshape(len(starts), 3, len(chans))
                .transpose(0, 2, 1)
                .reshape(len(starts), -1)
            )
    return np.concatenate(columns, axis=1) if columns else np.empty((len(starts_s), 0))
