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
        deviation of ``EDA_Phasic``), ``scr_count`` (number of SCR peaks), ``scr_rate_per_min``
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
    amplitudes = amplitudes[np.isfinite(amplitudes)]
    scr_count = int(np.asarray(info.get("SCR_Peaks", [])).size)
    return {
        "tonic_mean": float(signals["EDA_Tonic"].mean()),
        "phasic_std": float(signals["EDA_Phasic"].std()),
        "scr_count": float(scr_count),
        "scr_rate_per_min": float(scr_count / (gsr.size / sfreq / 60.0)),
        "scr_amplitude_mean": float(amplitudes.mean()) if amplitudes.size else 0.0,
    }
