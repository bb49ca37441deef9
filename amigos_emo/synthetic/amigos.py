"""A SYNTHETIC corpus in the exact on-disk format of the AMIGOS preprocessed release.

Nothing here is recorded data. The files exist so that the AMIGOS builder, the trainer and the
tests can run end to end without the licensed corpus, on signals whose statistics depend on the
ratings in physiologically motivated ways (so that a model has something real to learn):

- **Arousal** raises heart rate (60 -> 100 bpm over the 1-9 scale, NeuroKit2 ``ecg_simulate``),
  the skin-conductance-response rate and the tonic skin-conductance level (NeuroKit2
  ``eda_simulate``), lowers posterior/global EEG alpha amplitude and raises beta amplitude.
- **Valence** shifts frontal alpha asymmetry: for the pairs F3/F4, AF3/AF4 and F7/F8,
  ``log(alpha_amplitude_right / alpha_amplitude_left) = 0.3 * (valence - 5)`` (more relative
  left-hemisphere activity, i.e. less left alpha, for pleasant videos).
- Per-participant random offsets (heart rate, skin-conductance level, alpha gain, asymmetry)
  are clearly smaller than these rating effects.

File layout (one ``Data_Preprocessed_PXX.mat`` per participant, MATLAB v5, ``scipy.io.savemat``):

- ``joined_data``: 1x20 cell of (T, 17) float64 at 128 Hz, columns ``JOINED_DATA_COLUMNS``
  (14 EEG in microvolts, ECG lead II and lead III, GSR as skin resistance in ohms). The first
  5 s of each trial are a baseline: the EEG rating effects start after it, ECG and GSR carry
  theirs throughout (the builder baseline-subtracts EEG only).
- ``labels_selfassessment``: 1x20 cell of (1, 12) float64 in ``SELF_ASSESSMENT_COLUMNS`` order.
- ``labels_ext_annotation``: 1x20 cell of (n_segments, 3) float64 rows
  ``[segment_index, arousal, valence]`` per 20 s segment (the real format is unverified).
- ``VideoIDs``: 1x20 cell of strings (``"S01"``-``"S16"``, ``"L01"``-``"L04"``).

Holes like the real release's (``holes=True``), all listed in ``SYNTHETIC_README.txt``:
participant 2 and every 8th participant have empty (0x0) cells for the long videos 17-20;
participant 1 has empty labels for video 3 and NaN samples (2 s of ECG lead III) in video 5;
participant 3 has an empty ``joined_data`` cell (labels present) for video 7.
"""

from __future__ import annotations

import io
import os
import pathlib

import numpy as np

from amigos_emo._checks import check_positive, validate_type
from amigos_emo._logging import logger, set_log_level
from amigos_emo.constants import amigos as amigos_constants

SFREQ_HZ = amigos_constants.SFREQ_HZ
README_NAME = "SYNTHETIC_README.txt"

# Rating effects (per rating point, 1-9 scale) and per-participant offset sizes.
HEART_RATE_AT_1_BPM = 60.0
HEART_RATE_PER_AROUSAL_BPM = 5.0  # 60 bpm at arousal 1 -> 100 bpm at arousal 9
SCR_PER_MINUTE_AT_1 = 1.0
SCR_PER_MINUTE_PER_AROUSAL = 1.25  # 1 -> 11 responses per minute
SKIN_CONDUCTANCE_AT_1_US = 2.0
SKIN_CONDUCTANCE_PER_AROUSAL_US = 0.5  # tonic level 2 -> 6 microsiemens
ALPHA_ASYMMETRY_PER_VALENCE = 0.3  # log(right / left) alpha amplitude per valence point
ALPHA_LOG_GAIN_PER_AROUSAL = -0.12  # alpha desynchronisation with arousal
BETA_LOG_GAIN_PER_AROUSAL = 0.10
PARTICIPANT_HEART_RATE_SD_BPM = 2.5
PARTICIPANT_CONDUCTANCE_SD_US = 0.3
PARTICIPANT_ALPHA_LOG_GAIN_SD = 0.1
PARTICIPANT_ASYMMETRY_SD = 0.05

# EEG component amplitudes (standard deviation, microvolts) before rating effects.
BACKGROUND_UV = 8.0
ALPHA_UV = 10.0
BETA_UV = 3.0
ALPHA_PEAK_HZ, ALPHA_WIDTH_HZ = 10.0, 1.0
BETA_PEAK_HZ, BETA_WIDTH_HZ = 20.0, 4.0
BACKGROUND_EXPONENT = 1.5  # power spectrum ~ 1 / f**1.5 above 1 Hz
ECG_LEAD_II_SCALE = 30.0  # NeuroKit2's simple ECG (sd ~1.8) -> sd ~53, as in the real file
ECG_LEAD_III_RATIO = 0.55

# Frontal (left, right) channel pairs carrying the valence asymmetry.
ASYMMETRY_PAIRS = (("F3", "F4"), ("AF3", "AF4"), ("F7", "F8"))
POSTERIOR_CHANNELS = ("O1", "O2", "P7", "P8")
POSTERIOR_ALPHA_LOG_GAIN = 0.3


def participant_file_name(participant):
    """``Data_Preprocessed_PXX.mat`` for a 1-based participant number."""
    return f"Data_Preprocessed_P{participant:02d}.mat"


def video_ids(n_short_videos=amigos_constants.N_SHORT_VIDEOS):
    """The synthetic ``VideoIDs``: ``S01``... for short videos, ``L01``... for the 4 long ones."""
    n_long = amigos_constants.N_TRIALS - n_short_videos
    return [f"S{k:02d}" for k in range(1, n_short_videos + 1)] + [
        f"L{k:02d}" for k in range(1, n_long + 1)
    ]


def synthetic_holes(n_participants):
    """Where the synthetic corpus leaves holes, mirroring the real release.

    Args:
        n_participants: number of participants written.

    Returns:
        dict with keys ``"no_long_videos"`` (participants whose cells 17-20 are empty),
        ``"empty_labels"``, ``"nan_data"`` and ``"empty_data"`` (lists of (participant, trial)
        pairs, 1-based).
    """
    no_long = sorted({p for p in range(1, n_participants + 1) if p == 2 or p % 8 == 0})
    return {
        "no_long_videos": no_long,
        "empty_labels": [(1, 3)],
        "nan_data": [(1, 5)],
        "empty_data": [(3, 7)] if n_participants >= 3 else [],
    }


def _rng(seed, *keys):
    return np.random.default_rng(np.random.SeedSequence([seed, *keys]))


def _int_seed(seed, *keys):
    return int(np.random.SeedSequence([seed, *keys]).generate_state(1)[0])


def _ratings(rng, video_valence, video_arousal):
    """(n_videos, 12) self-assessments for one participant around the videos' intended affect."""
    n_videos = len(video_valence)
    clip = lambda x: np.round(np.clip(x, 1.0, 9.0), 4)  # noqa: E731
    valence = clip(video_valence + rng.normal(0.0, 1.2, n_videos))
    arousal = clip(video_arousal + rng.normal(0.0, 1.2, n_videos))
    dominance = clip(2.5 + 0.5 * valence + rng.normal(0.0, 1.5, n_videos))
    liking = clip(valence + rng.normal(0.0, 1.5, n_videos))
    familiarity = clip(np.round(rng.normal(4.0, 2.5, n_videos)))
    coin = rng.random((n_videos, 4))
    flags = {
        "neutral": (np.abs(valence - 5) < 1.5) & (np.abs(arousal - 5) < 1.5),
        "disgust": (valence < 4) & (coin[:, 0] < 0.4),
        "happiness": valence >= 6,
        "surprise": (arousal >= 7) & (coin[:, 1] < 0.5),
        "anger": (valence < 3.5) & (arousal >= 5) & (coin[:, 2] < 0.5),
        "fear": (valence < 4) & (arousal >= 6),
        "sadness": (valence < 4) & (arousal < 5),
    }
    columns = {
        "arousal": arousal,
        "valence": valence,
        "dominance": dominance,
        "liking": liking,
        "familiarity": familiarity,
    }
    columns.update({name: flag.astype(np.float64) for name, flag in flags.items()})
    return np.stack([columns[name] for name in amigos_constants.SELF_ASSESSMENT_COLUMNS], axis=1)


def _shaped_noise(rng, n_times, shapes):
    """Gaussian noise with given amplitude spectra and unit variance, all channels at once.

    Args:
        rng: NumPy generator.
        n_times: samples.
        shapes: (n_components, n_freqs) amplitude spectra on ``rfftfreq(n_times)``; DC and
            Nyquist must be 0.

    Returns:
        (n_components, n_times, n_chans) with n_chans = 14, each component of unit variance
        in expectation.
    """
    n_components, n_freqs = shapes.shape
    n_chans = len(amigos_constants.EEG_CHANNELS)
    spectrum = rng.standard_normal((n_components, n_freqs, n_chans, 2)).view(np.complex128)[..., 0]
    # irfft of S_k * (a + ib), a, b ~ N(0, 1): var(x_t) = 4 / n**2 * sum_k S_k**2.
    norm = n_times / (2.0 * np.sqrt(np.sum(shapes**2, axis=1, keepdims=True)))
    spectrum *= (shapes * norm)[:, :, np.newaxis]
    return np.fft.irfft(spectrum, n=n_times, axis=1)


def _eeg(rng, n_times, n_baseline, valence, arousal, participant):
    """(n_times, 14) EEG in microvolts: 1/f background + alpha + beta, rating-modulated."""
    freqs = np.fft.rfftfreq(n_times, d=1.0 / SFREQ_HZ)
    background = np.where(freqs >= 1.0, np.maximum(freqs, 1.0) ** (-BACKGROUND_EXPONENT / 2), 0.0)
    background[(freqs > 0.5) & (freqs < 1.0)] = 1.0
    alpha = np.exp(-0.5 * ((freqs - ALPHA_PEAK_HZ) / ALPHA_WIDTH_HZ) ** 2)
    beta = np.exp(-0.5 * ((freqs - BETA_PEAK_HZ) / BETA_WIDTH_HZ) ** 2)
    shapes = np.stack([background, alpha, beta])
    shapes[:, 0] = 0.0
    shapes[:, -1] = 0.0
    components = _shaped_noise(rng, n_times, shapes)  # (3, n_times, 14)

    channels = amigos_constants.EEG_CHANNELS
    log_alpha = np.full(len(channels), participant["alpha_log_gain"])
    log_alpha[[channels.index(c) for c in POSTERIOR_CHANNELS]] += POSTERIOR_ALPHA_LOG_GAIN
    # Rating effects apply after the baseline; the baseline holds the participant's rest state.
    rated = np.zeros((n_times, 1))
    rated[n_baseline:] = 1.0
    alpha_effect = np.zeros(len(channels))
    alpha_effect += ALPHA_LOG_GAIN_PER_AROUSAL * (arousal - 5.0)
    asymmetry = ALPHA_ASYMMETRY_PER_VALENCE * (valence - 5.0)
    rest_asymmetry = participant["asymmetry"]
    for left, right in ASYMMETRY_PAIRS:
        left_index, right_index = channels.index(left), channels.index(right)
        log_alpha[left_index] -= rest_asymmetry / 2
        log_alpha[right_index] += rest_asymmetry / 2
        alpha_effect[left_index] -= asymmetry / 2
        alpha_effect[right_index] += asymmetry / 2
    alpha_gain = np.exp(log_alpha + rated * alpha_effect)  # (n_times, 14)
    beta_gain = np.exp(rated * BETA_LOG_GAIN_PER_AROUSAL * (arousal - 5.0))  # (n_times, 1)
    return (
        BACKGROUND_UV * participant["eeg_scale"] * components[0]
        + ALPHA_UV * alpha_gain * components[1]
        + BETA_UV * beta_gain * components[2]
    )


def _ecg_gsr(seed_keys, n_times, arousal, participant):
    """(n_times, 2) ECG leads II/III and (n_times,) GSR (ohms) through NeuroKit2."""
    import neurokit2 as nk

    duration_s = int(np.ceil(n_times / SFREQ_HZ)) + 1  # NeuroKit2 wants whole seconds here
    heart_rate = (
        HEART_RATE_AT_1_BPM
        + HEART_RATE_PER_AROUSAL_BPM * (arousal - 1.0)
        + participant["heart_rate"]
    )
    ecg = nk.ecg_simulate(
        duration=duration_s,
        sampling_rate=int(SFREQ_HZ),
        heart_rate=heart_rate,
        method="simple",
        noise=0.01,
        random_state=_int_seed(*seed_keys, 1),
    )[:n_times]
    lead_ii = ECG_LEAD_II_SCALE * ecg
    lead_iii = ECG_LEAD_III_RATIO * lead_ii + _rng(*seed_keys, 2).normal(0.0, 1.0, n_times)

    scr_per_minute = SCR_PER_MINUTE_AT_1 + SCR_PER_MINUTE_PER_AROUSAL * (arousal - 1.0)
    eda = nk.eda_simulate(
        duration=duration_s,
        sampling_rate=int(SFREQ_HZ),
        scr_number=max(1, int(round(scr_per_minute * duration_s / 60.0))),
        drift=0.002 * (arousal - 5.0),
        noise=0.01,
        random_state=_int_seed(*seed_keys, 3),
    )[:n_times]
    tonic_us = (
        SKIN_CONDUCTANCE_AT_1_US
        + SKIN_CONDUCTANCE_PER_AROUSAL_US * (arousal - 1.0)
        + participant["conductance"]
    )
    conductance_us = np.maximum(eda - 1.0 + tonic_us, 0.2)  # eda_simulate's tonic level is 1 uS
    gsr_ohms = 1e6 / conductance_us
    return np.stack([lead_ii, lead_iii], axis=1), gsr_ohms


def _external_annotations(rng, n_times, rating):
    """(n_segments, 3) rows [segment_index, arousal, valence], one per 20 s segment."""
    n_segments = max(1, int(n_times / SFREQ_HZ // 20))
    noisy = np.clip(rating[[0, 1]] + rng.normal(0.0, 0.8, (n_segments, 2)), 1.0, 9.0)
    return np.column_stack([np.arange(1, n_segments + 1, dtype=np.float64), np.round(noisy, 4)])


def _cell(items):
    cell = np.empty((1, len(items)), dtype=object)
    for index, item in enumerate(items):
        cell[0, index] = item
    return cell


def _write_mat(path, variables, header):
    """``scipy.io.savemat`` with a fixed header (no creation date), written atomically."""
    import scipy.io

    buffer = io.BytesIO()
    scipy.io.savemat(buffer, variables, format="5", do_compression=False, oned_as="row")
    raw = bytearray(buffer.getvalue())
    text = header.encode("ascii")[:116].ljust(116, b" ")
    raw[:116] = text
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(bytes(raw))
    os.replace(tmp, path)


def _readme_text(n_participants, seed, video_s, long_video_s, holes):
    lines = [
        "SYNTHETIC DATA - NOT RECORDED FROM ANY PERSON.",
        "",
        "These Data_Preprocessed_PXX.mat files were generated by amigos_emo.synthetic.write_synthetic_amigos",
        f"(n_participants={n_participants}, seed={seed}, video_s={video_s}, long_video_s={long_video_s}).",
        "They copy the file structure of the AMIGOS preprocessed release (joined_data, labels_selfassessment,",
        "labels_ext_annotation, VideoIDs; 128 Hz; 14 EEG + ECG lead II, lead III + GSR) so that loaders can be",
        "tested without the licensed corpus. The signals are simulated (NeuroKit2 ECG/EDA, shaped-noise EEG);",
        "their statistics depend on the simulated ratings: arousal raises heart rate, SCR rate and skin",
        "conductance and lowers alpha; valence shifts frontal alpha asymmetry (F3/F4, AF3/AF4, F7/F8).",
        "Results obtained on these files say nothing about real emotion recognition.",
        "",
        "Holes written on purpose (like the real release):",
    ]
    if holes is None:
        lines.append("  none (holes=False)")
    else:
        lines.append(
            f"  long videos 17-20 empty (0x0) for participants: {holes['no_long_videos'] or 'none'}"
        )
        lines.append(
            f"  empty labels_selfassessment cell (participant, video): {holes['empty_labels']}"
        )
        lines.append(f"  NaN samples in joined_data (participant, video): {holes['nan_data']}")
        lines.append(
            f"  empty joined_data cell, labels present (participant, video): {holes['empty_data'] or 'none'}"
        )
    return "\n".join(lines) + "\n"


def write_synthetic_amigos(
    directory,
    n_participants=12,
    seed=0,
    video_s=60.0,
    long_video_s=90.0,
    holes=True,
    verbose=None,
):
    """Write a SYNTHETIC corpus in the AMIGOS preprocessed format, deterministically.

    Args:
        directory: folder to write into (created if missing). Existing synthetic files of the
            same names are overwritten with identical bytes for identical arguments.
        n_participants: number of participants (files ``Data_Preprocessed_P01.mat``...), >= 1.
        seed: integer seed; the same arguments always give byte-identical files.
        video_s: nominal duration of the 16 short videos in seconds (each video gets 0-4 s
            more, the same for every participant, plus up to 0.5 s per participant); every
            trial also starts with a 5 s baseline (``BASELINE_S``).
        long_video_s: nominal duration of the 4 long videos (17-20) in seconds.
        holes: write the empty cells and NaN trial described in the module docstring.
        verbose: ``True``/``False``/level name for the package logger, ``None`` leaves it.

    Returns:
        list of the written ``.mat`` paths, in participant order.

    Raises:
        TypeError, ValueError: for invalid arguments (the message names the argument).

    Example:
        >>> paths = write_synthetic_amigos("/tmp/synthetic_amigos", n_participants=2)
    """
    set_log_level(verbose)
    validate_type(n_participants, int, "n_participants")
    if n_participants < 1 or n_participants > 99:
        raise ValueError(
            f"n_participants must be between 1 and 99. Received: n_participants={n_participants}"
        )
    validate_type(seed, int, "seed")
    if seed < 0:
        raise ValueError(f"seed must be >= 0. Received: seed={seed}")
    check_positive(video_s, "video_s")
    check_positive(long_video_s, "long_video_s")
    validate_type(holes, bool, "holes")
    directory = pathlib.Path(directory)
    directory.mkdir(parents=True, exist_ok=True)

    n_trials = amigos_constants.N_TRIALS
    n_short = amigos_constants.N_SHORT_VIDEOS
    n_baseline = int(round(amigos_constants.BASELINE_S * SFREQ_HZ))
    n_columns = amigos_constants.N_COLUMNS
    hole_plan = synthetic_holes(n_participants) if holes else None

    # What every participant shares: each video's intended affect and its duration.
    video_rng = _rng(seed, 0)
    video_valence = video_rng.uniform(1.5, 8.5, n_trials)
    video_arousal = video_rng.uniform(1.5, 8.5, n_trials)
    nominal_s = np.where(np.arange(n_trials) < n_short, video_s, long_video_s)
    video_duration_s = nominal_s + video_rng.uniform(0.0, 4.0, n_trials)
    ids = video_ids(n_short)

    paths = []
    for participant in range(1, n_participants + 1):
        rng = _rng(seed, participant)
        offsets = {
            "heart_rate": rng.normal(0.0, PARTICIPANT_HEART_RATE_SD_BPM),
            "conductance": rng.normal(0.0, PARTICIPANT_CONDUCTANCE_SD_US),
            "alpha_log_gain": rng.normal(0.0, PARTICIPANT_ALPHA_LOG_GAIN_SD),
            "asymmetry": rng.normal(0.0, PARTICIPANT_ASYMMETRY_SD),
            "eeg_scale": float(np.exp(rng.normal(0.0, 0.1))),
        }
        ratings = _ratings(rng, video_valence, video_arousal)
        extra_samples = rng.integers(0, int(SFREQ_HZ // 2), n_trials)

        data_cells, label_cells, annotation_cells = [], [], []
        for trial in range(1, n_trials + 1):
            index = trial - 1
            empty = np.zeros((0, 0))
            if hole_plan and trial > n_short and participant in hole_plan["no_long_videos"]:
                data_cells.append(empty)
                label_cells.append(empty)
                annotation_cells.append(empty)
                continue
            n_times = (
                n_baseline
                + int(round(video_duration_s[index] * SFREQ_HZ))
                + int(extra_samples[index])
            )
            trial_rng = _rng(seed, participant, trial)
            arousal = ratings[index, amigos_constants.SELF_ASSESSMENT_COLUMNS.index("arousal")]
            valence = ratings[index, amigos_constants.SELF_ASSESSMENT_COLUMNS.index("valence")]
            joined = np.empty((n_times, n_columns), dtype=np.float64)
            joined[:, amigos_constants.EEG_COLUMNS] = _eeg(
                trial_rng, n_times, n_baseline, valence, arousal, offsets
            )
            ecg, gsr = _ecg_gsr((seed, participant, trial), n_times, arousal, offsets)
            joined[:, amigos_constants.ECG_COLUMNS] = ecg
            joined[:, amigos_constants.GSR_COLUMNS.start] = gsr
            annotation = _external_annotations(trial_rng, n_times - n_baseline, ratings[index])
            if hole_plan and (participant, trial) in hole_plan["nan_data"]:
                start = n_baseline + int(10 * SFREQ_HZ)
                joined[
                    start : start + int(2 * SFREQ_HZ), amigos_constants.ECG_COLUMNS.start + 1
                ] = np.nan
            if hole_plan and (participant, trial) in hole_plan["empty_data"]:
                joined, annotation = empty, empty
            data_cells.append(joined)
            label = ratings[index][np.newaxis, :].copy()
            if hole_plan and (participant, trial) in hole_plan["empty_labels"]:
                label = empty
            label_cells.append(label)
            annotation_cells.append(annotation)

        path = directory / participant_file_name(participant)
        variables = {
            "joined_data": _cell(data_cells),
            "labels_selfassessment": _cell(label_cells),
            "labels_ext_annotation": _cell(annotation_cells),
            "VideoIDs": _cell([np.array(video_id) for video_id in ids]),
        }
        header = f"MATLAB 5.0 MAT-file, SYNTHETIC AMIGOS-format data written by amigos_emo.synthetic (seed={seed})"
        _write_mat(path, variables, header)
        paths.append(path)
        logger.info("Wrote synthetic AMIGOS-format participant %02d: %s", participant, path)

    (directory / README_NAME).write_text(
        _readme_text(n_participants, seed, video_s, long_video_s, hole_plan), encoding="utf-8"
    )
    logger.info("Wrote %d synthetic AMIGOS-format participants to %s", n_participants, directory)
    return paths
