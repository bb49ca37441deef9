"""``python -m amigos_emo.stream``: live predictions of a trained model on LSL streams.

The model folder's ``preprocessing.json`` (:mod:`amigos_emo.preprocessing_spec`) says which
signals the model reads (channel names, sampling rate, layout), how long a window is, how far
windows step, and whether a baseline is removed. This command resolves the LSL streams you name,
matches their channels **by name** to every signal of the spec, and predicts one window per step,
causally, exactly as training cut windows from a recording:

- **Streams.** Each signal of the spec (``eeg``, ``ecg``, ``gsr``...) is fed by the first named
  stream whose channel labels include all of that signal's channels (case-insensitive; a leading
  ``EEG``/``ECG``/``EDA`` type prefix is ignored). One stream may carry every signal, or each
  signal may come from its own stream (a headset's EEG outlet and a wristband's EDA outlet).
  Several streams are aligned at the latest of their first timestamps; earlier samples are
  dropped and counted.
- **Time.** Sample 0 of the live session is the first sample received (after alignment). When
  the spec has a baseline (``baseline.seconds``), the first ``baseline.seconds`` of the stream
  are that baseline: its ``template_s`` template is averaged once they have arrived, and the
  first window starts right after it; window ``k`` covers ``[b + k * step_s, b + k * step_s +
  window_s)`` seconds, ``b`` the baseline length (0 without one). Nothing looks ahead: a window is
  predicted as soon as its last sample has arrived (plus the resampler's fixed delay, below).
- **Rates.** A stream whose nominal rate differs from the spec's is **resampled** (polyphase, the
  same filter as ``scipy.signal.resample_poly``, computed on a sliding buffer so each output
  sample equals the offline one; this costs about ``10 * max(up, down) / up`` input samples of
  delay). Streams with an irregular (0 Hz) nominal rate are **refused**. A stream whose
  timestamps run at another rate than it declares is reported (``measured_hz``).
- **Nothing dropped silently.** Timestamp jumps over ``1.5 / nominal rate`` are gaps: they are
  counted, the missing samples are filled with NaN so later windows stay on the recording's own
  time grid, and every window that overlaps a gap is skipped and counted (a row with
  ``status=gap``). Samples whose timestamp is not after the previous one are dropped and counted
  (``out_of_order``); samples that reach us more than ``--late-s`` after their timestamp are
  counted (``late``) but used.
- **Latency.** For every prediction, the LSL clock when its output was ready minus the LSL
  timestamp of the window's last sample (``latency_s``); the summary gives median, 95th
  percentile and maximum.

Output: one line per window on stdout (``window start_s lsl_time latency_ms status heads...``),
``--csv FILE`` for the same table, ``--outlet NAME`` to push each prediction to an LSL outlet of
its own (irregular rate, one float32 channel per output unit, stamped with the window's last
sample time), ``--report FILE`` for the JSON summary.

Example::

    python -m amigos_emo.stream --model runs/RUN/fold_00/best.keras --stream Muse --csv live.csv
    python -m amigos_emo.stream --model best.keras --stream EmotivEEG E4_GSR --outlet emotion
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import json
import math
import os
import sys
import time

import numpy as np

from amigos_emo._checks import check_positive
from amigos_emo._logging import logger

GAP_FACTOR = 1.5  # a timestamp jump over GAP_FACTOR / nominal rate is a gap


# --- Channel names ----------------------------------------------------------------------------


def _label_key(label):
    return str(label).strip().casefold().replace(" ", "").replace("-", "").replace("_", "")


def _label_keys(label):
    """The keys a channel label matches under: itself, and without a type prefix (``EEG AF3``)."""
    key = _label_key(label)
    keys = [key]
    for prefix in ("eeg", "ecg", "eda", "gsr", "bvp", "ppg"):
        if key.startswith(prefix) and len(key) > len(prefix) and not key[len(prefix)].isdigit():
            keys.append(key[len(prefix) :])
    return keys


def match_channels(wanted, available):
    """Column index in ``available`` of each name in ``wanted``, or ``None`` when one is missing.

    Args:
        wanted: channel names a signal of the spec needs, in the model's order.
        available: a stream's channel labels.

    Returns:
        int array ``(len(wanted),)`` of column indices, or ``None``.
    """
    lookup = {}
    for index, label in enumerate(available):
        for key in _label_keys(label):
            lookup.setdefault(key, index)
    found = [next((lookup[k] for k in _label_keys(name) if k in lookup), None) for name in wanted]
    if any(i is None for i in found):
        return None
    return np.asarray(found, int)


# --- Streaming resampler ----------------------------------------------------------------------


class StreamingResampler:
    """``scipy.signal.resample_poly`` computed causally, chunk by chunk.

    Output sample ``j`` of ``resample_poly(x, up, down)`` depends on the input samples within
    ``10 * max(up, down) / up`` of ``j * down / up``. This keeps the input since the earliest
    sample an unfinished output needs (from a multiple of ``down``, so the polyphase grid is
    unchanged) and returns each output as soon as all its inputs have arrived, so the
    concatenated outputs equal the offline ``resample_poly`` of the whole stream (up to float
    rounding) except for the not-yet-final tail.

    Args:
        sfreq_in: the stream's rate in Hz.
        sfreq_out: the wanted rate in Hz.
    """

    def __init__(self, sfreq_in, sfreq_out):
        from amigos_emo.signal.filters import resample_factors

        self.sfreq_in = float(check_positive(float(sfreq_in), "sfreq_in"))
        self.sfreq_out = float(check_positive(float(sfreq_out), "sfreq_out"))
        self.up, self.down = resample_factors(self.sfreq_in, self.sfreq_out)
        self.half_len = 10 * max(self.up, self.down)
        self.passthrough = self.up == self.down
        self._buffer = None  # (n, n_chans) float64 input since absolute index _start
        self._stamps = None
        self._start = 0  # absolute input index of _buffer[0] (a multiple of down)
        self._n_in = 0  # input samples seen
        self._n_out = 0  # outputs returned

    @property
    def delay_s(self):
        """Seconds of input an output waits for beyond its own time."""
        return 0.0 if self.passthrough else (self.half_len / self.up + 2) / self.sfreq_in

    def process(self, samples, stamps):
        """Add input samples; return the outputs that became final.

        Args:
            samples: float array ``(n, n_chans)`` at ``sfreq_in`` (NaN allowed: it spreads
                over the filter's support).
            stamps: float64 ``(n,)`` LSL timestamps of ``samples``.

        Returns:
            ``(outputs, output_stamps)``: ``(m, n_chans)`` float64 at ``sfreq_out`` and their
            timestamps ``(m,)`` (interpolated on the input timeline).
        """
        samples = np.asarray(samples, np.float64)
        stamps = np.asarray(stamps, np.float64)
        if self.passthrough:
            self._n_in += len(samples)
            return samples, stamps
        from scipy import signal

        if self._buffer is None:
            self._buffer = np.empty((0, samples.shape[1]))
            self._stamps = np.empty(0)
        self._buffer = np.concatenate([self._buffer, samples])
        self._stamps = np.concatenate([self._stamps, stamps])
        self._n_in += len(samples)
        # Output j is final once input floor((j * down + half_len) / up) + 1 has arrived.
        last_final = (self._n_in - 2) * self.up - self.half_len
        n_final = last_final // self.down + 1 if last_final >= 0 else 0
        if n_final <= self._n_out or len(self._buffer) == 0:
            return np.empty((0, samples.shape[1])), np.empty(0)
        resampled = signal.resample_poly(self._buffer, self.up, self.down, axis=0)
        first_out = self._start * self.up // self.down  # absolute index of resampled[0]
        outputs = resampled[self._n_out - first_out : n_final - first_out]
        input_position = np.arange(self._n_out, n_final) * self.down / self.up
        output_stamps = np.interp(
            input_position, np.arange(self._start, self._start + len(self._stamps)), self._stamps
        )
        self._n_out = n_final
        # Keep the input the next output needs (its support starts half_len / up earlier).
        needed = max(0, (self._n_out * self.down - self.half_len) // self.up - 2)
        new_start = (needed // self.down) * self.down
        if new_start > self._start:
            self._buffer = self._buffer[new_start - self._start :]
            self._stamps = self._stamps[new_start - self._start :]
            self._start = new_start
        return outputs, output_stamps


# --- Per-stream timestamp bookkeeping ---------------------------------------------------------


@dataclasses.dataclass
class StreamCounts:
    """What happened to one LSL stream's samples (all counts in samples unless named)."""

    name: str
    nominal_hz: float
    samples: int = 0
    gaps: int = 0
    missing_samples: int = 0
    out_of_order: int = 0
    late: int = 0
    before_start: int = 0
    first_stamp: float | None = None
    last_stamp: float | None = None
    resampled_to_hz: float | None = None

    @property
    def measured_hz(self):
        """Rate implied by the timestamps (samples and filled gaps over the time spanned)."""
        span = (self.last_stamp or 0.0) - (self.first_stamp or 0.0)
        n = self.samples + self.missing_samples
        return (n - 1) / span if span > 0 and n > 1 else None

    def to_json(self):
        payload = dataclasses.asdict(self)
        payload["measured_hz"] = self.measured_hz
        return payload


class TimestampTracker:
    """Checks one stream's timestamps: drops out-of-order samples, fills gaps with NaN.

    Args:
        name: the stream name (for messages).
        nominal_hz: the stream's declared rate.
        late_s: a sample that arrives more than this after its timestamp counts as late.
    """

    def __init__(self, name, nominal_hz, late_s=1.0):
        self.counts = StreamCounts(name=name, nominal_hz=float(nominal_hz))
        self.late_s = float(late_s)
        self.gap_s = GAP_FACTOR / float(nominal_hz)
        self.interval = 1.0 / float(
            nominal_hz
        )  # the real sample interval, as the timestamps show it
        self.last = None

    def process(self, samples, stamps, arrival=None):
        """Clean one chunk.

        Args:
            samples: ``(n, n_chans)`` as pulled.
            stamps: ``(n,)`` LSL timestamps.
            arrival: the LSL clock when the chunk was pulled (for ``late``), or ``None``.

        Returns:
            ``(samples, stamps)`` with out-of-order samples removed and NaN rows (with
            interpolated stamps) where samples are missing.
        """
        samples = np.asarray(samples, np.float64)
        stamps = np.asarray(stamps, np.float64)
        counts = self.counts
        if len(stamps) == 0:
            return samples, stamps
        if arrival is not None:
            counts.late += int(np.sum(arrival - stamps > self.late_s))
        previous = -np.inf if self.last is None else self.last
        running = np.maximum.accumulate(np.concatenate([[previous], stamps]))[:-1]
        in_order = stamps > running
        counts.out_of_order += int(np.sum(~in_order))
        samples, stamps = samples[in_order], stamps[in_order]
        if len(stamps) == 0:
            return samples, stamps
        steps = np.diff(stamps, prepend=stamps[0] if self.last is None else self.last)
        if counts.first_stamp is not None and counts.samples + counts.missing_samples >= 10:
            # The interval the timestamps actually show so far (a replay may run faster than real time).
            self.interval = (counts.last_stamp - counts.first_stamp) / (
                counts.samples + counts.missing_samples - 1
            )
        is_gap = steps > self.gap_s
        missing = np.where(is_gap, np.maximum(np.rint(steps / self.interval).astype(int) - 1, 0), 0)
        if counts.first_stamp is None:
            counts.first_stamp = float(stamps[0])
        counts.samples += len(stamps)
        counts.last_stamp = float(stamps[-1])
        self.last = float(stamps[-1])
        if is_gap.any():
            counts.gaps += int(is_gap.sum())
            counts.missing_samples += int(missing.sum())
            for position in np.nonzero(is_gap)[0]:
                logger.warning(
                    "Stream %r: gap of %.3f s before LSL time %.3f (%d sample(s) missing); windows over it are skipped",
                    counts.name,
                    steps[position],
                    stamps[position],
                    missing[position],
                )
            positions = np.arange(len(stamps)) + np.cumsum(missing)
            filled = np.full((positions[-1] + 1, samples.shape[1]), np.nan)
            filled[positions] = samples
            filled_stamps = np.interp(np.arange(len(filled)), positions, stamps)
            if missing[0]:
                # Stamps of the samples missing before this chunk's first one.
                head = np.arange(1, missing[0] + 1)
                filled_stamps[: missing[0]] = stamps[0] - (missing[0] + 1 - head) * self.interval
            return filled, filled_stamps
        return samples, stamps


# --- Windows ----------------------------------------------------------------------------------


class SignalWindows:
    """The live buffer of one model input at the spec's rate (trimmed to the next window).

    Args:
        name: the model input name.
        signal: its :class:`~amigos_emo.preprocessing_spec.SignalSpec`.
        window_n, step_n: window length and hop in samples.
        baseline_n, template_n: baseline length and template length in samples (0: none).
    """

    def __init__(self, name, signal, window_n, step_n, baseline_n=0, template_n=0):
        self.name = name
        self.signal = signal
        self.window_n, self.step_n = window_n, step_n
        self.baseline_n, self.template_n = baseline_n, template_n
        n_chans = len(signal.channels)
        self.data = np.empty((0, n_chans))
        self.stamps = np.empty(0)
        self.offset = 0  # absolute index of data[0]
        self.template = None
        self.baseline_segments_skipped = 0

    @property
    def available(self):
        """Absolute index one past the newest sample."""
        return self.offset + len(self.data)

    @property
    def ready(self):
        """Whether the baseline template (if any) is computed."""
        return self.template_n == 0 or self.template is not None

    def append(self, samples, stamps):
        self.data = np.concatenate([self.data, samples])
        self.stamps = np.concatenate([self.stamps, stamps])
        if self.template_n and self.template is None and self.available >= self.baseline_n:
            self._compute_template()

    def _compute_template(self):
        n_segments = self.baseline_n // self.template_n
        segments = self.data[: n_segments * self.template_n].reshape(
            n_segments, self.template_n, -1
        )
        valid = ~np.isnan(segments).any(axis=(1, 2))
        self.baseline_segments_skipped = int(np.sum(~valid))
        if not valid.any():
            raise RuntimeError(
                f"The baseline of input {self.name!r} (the first {self.baseline_n} samples) has no complete "
                f"{self.template_n}-sample stretch without a gap; restart the stream."
            )
        if self.baseline_segments_skipped:
            logger.warning(
                "Baseline of %r: %d segment(s) with a gap left out of the template",
                self.name,
                self.baseline_segments_skipped,
            )
        self.template = segments[valid].mean(axis=0)

    def window(self, start):
        """``(window (window_n, n_chans) float64, stamp of its last sample)`` at absolute ``start``."""
        begin = start - self.offset
        return self.data[begin : begin + self.window_n], float(
            self.stamps[begin + self.window_n - 1]
        )

    def prepare(self, window):
        """Baseline removal and layout: the model input for one window (float32)."""
        if self.template is not None:
            window = (window.reshape(-1, self.template_n, window.shape[1]) - self.template).reshape(
                window.shape
            )
        if self.signal.layout == "channels_time":
            window = window.T
        return np.asarray(window, np.float32)

    def trim(self, next_start):
        if not self.ready:
            return
        drop = min(next_start - self.offset, len(self.data))
        if drop > 0:
            self.data, self.stamps = self.data[drop:], self.stamps[drop:]
            self.offset += drop


def _outputs_dict(result, output_names):
    if isinstance(result, dict):
        return {name: np.asarray(result[name]) for name in output_names}
    if isinstance(result, list | tuple):
        return dict(zip(output_names, (np.asarray(r) for r in result), strict=True))
    return {output_names[0]: np.asarray(result)}


@dataclasses.dataclass
class Route:
    """One model input fed from one stream.

    Attributes:
        stream: the stream's key (its name).
        input_name: the model input.
        columns: the stream's columns for the input's channels, in the model's order.
        nominal_hz: the stream's declared rate.
    """

    stream: str
    input_name: str
    columns: np.ndarray
    nominal_hz: float


class LivePipeline:
    """Causal windows, baseline and predictions for a model from one or more streams.

    Feed it chunks as they arrive (:meth:`feed`); it returns a row per window that became
    complete. It does no I/O, so it is tested without LSL.

    Args:
        spec: the model's :class:`~amigos_emo.preprocessing_spec.PreprocessingSpec`.
        predict: ``predict(inputs) -> outputs`` for a dict of batched float32 inputs (e.g. a
            Keras model's ``predict_on_batch``).
        output_names: the model's output names (columns of the rows).
        routes: list of :class:`Route`, one per input of the spec.
        clock: the LSL clock (``mne_lsl.lsl.local_clock``); used for latency.
        late_s: see :class:`TimestampTracker`.
    """

    def __init__(self, spec, predict, output_names, routes, clock=time.monotonic, late_s=1.0):
        if spec.representation != "raw":
            raise ValueError(
                f"stream feeds raw signal windows; this model was trained on representation "
                f"{spec.representation!r}, which needs the builder's feature extraction."
            )
        self.spec = spec
        self.predict = predict
        self.output_names = tuple(output_names)
        self.clock = clock
        rates = {s.sfreq_hz for s in spec.signals.values()}
        if len(rates) != 1:
            raise ValueError(
                f"stream needs every signal of the spec at one rate; found {sorted(rates)} Hz."
            )
        self.sfreq = rates.pop()
        self.window_n = int(round(spec.window_s * self.sfreq))
        self.step_n = int(round(spec.step_s * self.sfreq))
        if self.window_n < 1 or self.step_n < 1:
            raise ValueError(
                f"window_s={spec.window_s} and step_s={spec.step_s} must be at least one sample."
            )
        baseline_n = template_n = 0
        applies = set()
        if spec.baseline:
            kind = spec.baseline.get("kind", "subtract_template")
            if kind != "subtract_template":
                raise ValueError(
                    f"stream knows baseline kind 'subtract_template'. Received: kind={kind!r}"
                )
            baseline_n = int(round(float(spec.baseline["seconds"]) * self.sfreq))
            template_n = int(round(float(spec.baseline.get("template_s", 1.0)) * self.sfreq))
            applies = set(spec.baseline.get("applies_to") or spec.signals)
            if template_n < 1 or baseline_n < template_n or self.window_n % template_n:
                raise ValueError(
                    f"baseline: template of {template_n} samples must fit the baseline ({baseline_n}) and divide "
                    f"the window ({self.window_n})."
                )
        self.baseline_n = baseline_n
        self.windows = {}
        for name, signal in spec.signals.items():
            uses = name in applies or signal.type in applies
            self.windows[name] = SignalWindows(
                name,
                signal,
                self.window_n,
                self.step_n,
                baseline_n if uses else 0,
                template_n if uses else 0,
            )
        routes = list(routes)
        missing = set(spec.signals) - {r.input_name for r in routes}
        if missing:
            raise ValueError(f"no stream feeds input(s) {', '.join(sorted(missing))}.")
        self.routes = routes
        self.trackers = {}
        self.resamplers = {}
        for route in routes:
            if route.nominal_hz <= 0:
                raise ValueError(
                    f"stream {route.stream!r} has an irregular (0 Hz) nominal rate; stream needs a regular signal."
                )
            self.trackers.setdefault(
                route.stream, TimestampTracker(route.stream, route.nominal_hz, late_s)
            )
            resampler = StreamingResampler(route.nominal_hz, self.sfreq)
            if not resampler.passthrough:
                logger.warning(
                    "Stream %r runs at %g Hz, the model at %g Hz: resampling %s (adds %.0f ms)",
                    route.stream,
                    route.nominal_hz,
                    self.sfreq,
                    route.input_name,
                    1e3 * resampler.delay_s,
                )
                self.trackers[route.stream].counts.resampled_to_hz = self.sfreq
            self.resamplers[route.input_name] = resampler
        self.pending = {key: [] for key in self.trackers}
        self.started = len(self.trackers) == 1
        self._warned_waiting = False
        self.next_window = 0
        self.windows_skipped = 0
        self.latencies = []
        self.inference_s = []

    def feed(self, stream, samples, stamps, arrival=None):
        """Add a chunk of one stream; return the rows of windows completed by it.

        Args:
            stream: the stream's key (``Route.stream``).
            samples: ``(n, n_chans)`` as pulled from the stream (all its columns).
            stamps: ``(n,)`` LSL timestamps.
            arrival: the LSL clock when pulled (default: now).

        Returns:
            list of dict rows: ``window``, ``start_s``, ``lsl_time``, ``latency_s``, ``status``
            (``ok`` or ``gap``), and one array per output (``None`` when skipped).
        """
        arrival = self.clock() if arrival is None else arrival
        samples = np.asarray(samples, np.float64).reshape(len(stamps), -1)
        stamps = np.asarray(stamps, np.float64)
        if len(stamps) == 0:
            return []
        if not self.started:
            self.pending[stream].append((samples, stamps, arrival))
            if not all(self.pending.values()):
                first = min(chunks[0][2] for chunks in self.pending.values() if chunks)
                if arrival - first > 5.0 and not self._warned_waiting:
                    self._warned_waiting = True
                    silent = [key for key, chunks in self.pending.items() if not chunks]
                    logger.warning(
                        "No sample yet from stream(s) %s after 5 s; waiting to align", silent
                    )
                return []
            self._align()
            rows = []
            for key, chunks in self.pending.items():
                for chunk in chunks:
                    rows += self._feed(key, *chunk)
            self.pending = {key: [] for key in self.pending}
            return rows
        return self._feed(stream, samples, stamps, arrival)

    def _align(self):
        """Drop every stream's samples before the latest first timestamp."""
        start = max(chunks[0][1][0] for chunks in self.pending.values())
        for key, chunks in self.pending.items():
            tolerance = 0.5 / self.trackers[key].counts.nominal_hz
            kept = []
            for samples, stamps, arrival in chunks:
                keep = stamps >= start - tolerance
                self.trackers[key].counts.before_start += int(np.sum(~keep))
                if keep.any():
                    kept.append((samples[keep], stamps[keep], arrival))
            self.pending[key] = kept
        self.started = True

    def _feed(self, stream, samples, stamps, arrival):
        samples, stamps = self.trackers[stream].process(samples, stamps, arrival)
        if len(stamps) == 0:
            return []
        for route in self.routes:
            if route.stream == stream:
                resampled, resampled_stamps = self.resamplers[route.input_name].process(
                    samples[:, route.columns], stamps
                )
                if len(resampled):
                    self.windows[route.input_name].append(resampled, resampled_stamps)
        return self._emit()

    def _emit(self):
        if not all(w.ready for w in self.windows.values()):
            return []
        available = min(w.available for w in self.windows.values())
        rows, batch = [], []
        while True:
            start = self.baseline_n + self.next_window * self.step_n
            if start + self.window_n > available:
                break
            inputs, stamp, gap = {}, -np.inf, False
            for name, windows in self.windows.items():
                window, last = windows.window(start)
                stamp = max(stamp, last)
                gap = gap or bool(np.isnan(window).any())
                inputs[name] = windows.prepare(window)
            row = {
                "window": self.next_window,
                "start_s": start / self.sfreq,
                "lsl_time": stamp,
                "status": "gap" if gap else "ok",
                "latency_s": None,
            }
            if gap:
                self.windows_skipped += 1
                row.update({name: None for name in self.output_names})
            else:
                batch.append((row, inputs))
            rows.append(row)
            self.next_window += 1
        for windows in self.windows.values():
            windows.trim(self.baseline_n + self.next_window * self.step_n)
        if batch:
            began = time.perf_counter()
            stacked = {
                name: np.stack([inputs[name] for _, inputs in batch]) for name in self.windows
            }
            outputs = _outputs_dict(self.predict(stacked), self.output_names)
            self.inference_s.append(time.perf_counter() - began)
            done = self.clock()
            for index, (row, _) in enumerate(batch):
                row.update(
                    {
                        name: np.asarray(outputs[name][index], np.float32).reshape(-1)
                        for name in self.output_names
                    }
                )
                row["latency_s"] = done - row["lsl_time"]
                self.latencies.append(row["latency_s"])
        return rows

    def summary(self):
        """The run's counts and latency statistics (a JSON-able dict)."""
        latencies = np.asarray(self.latencies)
        stats = None
        if len(latencies):
            stats = {
                "median_ms": float(1e3 * np.median(latencies)),
                "p95_ms": float(1e3 * np.percentile(latencies, 95)),
                "max_ms": float(1e3 * latencies.max()),
                "mean_inference_ms": float(1e3 * np.mean(self.inference_s)),
            }
        return {
            "windows": self.next_window,
            "predicted": len(latencies),
            "skipped_gap": self.windows_skipped,
            "sfreq_hz": self.sfreq,
            "window_s": self.spec.window_s,
            "step_s": self.spec.step_s,
            "baseline_s": self.baseline_n / self.sfreq,
            "latency": stats,
            "streams": {key: t.counts.to_json() for key, t in self.trackers.items()},
        }


# --- Rows -------------------------------------------------------------------------------------


def output_columns(output_names, units):
    """Column names of the outputs: ``head`` or ``head_0, head_1...`` for multi-unit heads."""
    columns = []
    for name in output_names:
        columns += [name] if units[name] == 1 else [f"{name}_{i}" for i in range(units[name])]
    return columns


def row_values(row, output_names, units):
    values = []
    for name in output_names:
        value = row[name]
        values += [math.nan] * units[name] if value is None else [float(v) for v in value]
    return values


# --- LSL --------------------------------------------------------------------------------------


def resolve(lsl, names=(), source_ids=(), timeout=5.0):
    """One stream info per ``--stream`` name and ``--source-id``.

    Raises:
        LookupError: a name that resolves to no stream (listing what is visible) or to several.
    """
    found = []
    for key, value in [("name", n) for n in names] + [("source_id", s) for s in source_ids]:
        infos = lsl.resolve_streams(timeout=timeout, **{key: value})
        if len(infos) != 1:
            visible = lsl.resolve_streams(timeout=min(timeout, 1.0))
            listing = ", ".join(
                f"{i.name!r} ({i.stype}, {i.n_channels} ch, source_id {i.source_id!r})"
                for i in visible
            )
            problem = "no stream" if not infos else f"{len(infos)} streams"
            raise LookupError(
                f"--{key.replace('_', '-')} {value!r}: {problem} found within {timeout:g} s"
                + (" (pass --source-id to pick one)" if infos else "")
                + f". Visible streams: {listing or 'none'}."
            )
        found.append(infos[0])
    return found


def plan_routes(spec, streams):
    """Which stream feeds each input of ``spec`` (by channel names).

    Args:
        spec: the :class:`~amigos_emo.preprocessing_spec.PreprocessingSpec`.
        streams: list of ``(key, channel_names, nominal_hz)``.

    Returns:
        list of :class:`Route`.

    Raises:
        ValueError: an input no stream carries completely, naming what each stream has.
    """
    routes = []
    for name, signal in spec.signals.items():
        for key, channels, nominal_hz in streams:
            columns = match_channels(signal.channels, channels)
            if columns is not None:
                routes.append(Route(key, name, columns, float(nominal_hz)))
                break
        else:
            have = "; ".join(
                f"{key}: {', '.join(map(str, channels))}" for key, channels, _ in streams
            )
            raise ValueError(
                f"No stream carries all channels of input {name!r} ({signal.type}): {', '.join(signal.channels)}. "
                f"Streams have: {have}."
            )
    return routes


def run(
    model_path,
    names=(),
    source_ids=(),
    csv_path=None,
    outlet_name=None,
    report_path=None,
    max_seconds=None,
    max_windows=None,
    idle_timeout_s=10.0,
    resolve_timeout_s=5.0,
    late_s=1.0,
    out=None,
):
    """Resolve the streams, predict until a bound is hit; returns the summary dict.

    See the module docstring and :func:`build_parser` for the arguments; ``out`` is where the
    table is printed (default ``sys.stdout``).
    """
    from amigos_emo import preprocessing_spec
    from amigos_emo.replay import import_lsl
    from amigos_emo.training.modeling import load_trained_model

    out = sys.stdout if out is None else out
    spec = preprocessing_spec.read(model_path)
    model = load_trained_model(model_path, compile=False)
    input_names = {t.name.split(":")[0] for t in model.inputs}
    if input_names != set(spec.signals):
        raise ValueError(
            f"{model_path}: model inputs {sorted(input_names)} differ from the signals of its preprocessing.json "
            f"{sorted(spec.signals)}."
        )
    output_names = tuple(model.output_names)
    # One forward pass on zeros: the output sizes, and the first live window pays no tracing cost.
    zeros = {
        name: np.zeros((1, *t.shape[1:]), np.float32)
        for name, t in zip([t.name.split(":")[0] for t in model.inputs], model.inputs, strict=True)
    }
    units = {
        name: int(np.prod(v.shape[1:]))
        for name, v in _outputs_dict(model.predict_on_batch(zeros), output_names).items()
    }
    lsl = import_lsl()
    infos = resolve(lsl, names, source_ids, timeout=resolve_timeout_s)
    keys = [
        info.name if [i.name for i in infos].count(info.name) == 1 else info.source_id
        for info in infos
    ]
    columns = ["window", "start_s", "lsl_time", "latency_ms", "status"] + output_columns(
        output_names, units
    )
    # Everything that does not need the streams' channel labels is set up before subscribing: a
    # source that waits for its first consumer (replay) starts pushing as soon as we subscribe.
    outlet = None
    if outlet_name:
        outlet_info = lsl.StreamInfo(
            outlet_name,
            "Predictions",
            len(columns) - 5,
            0.0,
            "float32",
            f"amigos_emo-{outlet_name}",
        )
        outlet_info.set_channel_names(columns[5:])
        outlet = lsl.StreamOutlet(outlet_info)
    inlets, channels = {}, []
    try:
        for key, info in zip(keys, infos, strict=True):
            inlet = lsl.StreamInlet(info, max_buffered=360, processing_flags=["clocksync"])
            inlet.open_stream(timeout=resolve_timeout_s)
            inlets[key] = inlet
            # Resolved infos lack the description; the inlet's full info has the channel labels.
            labels = inlet.get_sinfo(timeout=resolve_timeout_s).get_channel_names() or []
            channels.append([str(label) for label in labels])
        routes = plan_routes(
            spec, [(k, c, i.sfreq) for k, c, i in zip(keys, channels, infos, strict=True)]
        )
        pipeline = LivePipeline(
            spec, model.predict_on_batch, output_names, routes, clock=lsl.local_clock, late_s=late_s
        )
    except Exception:
        for inlet in inlets.values():
            inlet.close_stream()
        raise
    used = {r.stream for r in routes}
    for key, info in zip(keys, infos, strict=True):
        if key not in used:
            logger.warning("Stream %r carries none of the model's channels; ignored", key)
            inlets.pop(key).close_stream()
            continue
        logger.info(
            "Stream %r: %d channel(s) at %g Hz -> %s",
            key,
            info.n_channels,
            info.sfreq,
            ", ".join(r.input_name for r in routes if r.stream == key),
        )
    csv_file = open(csv_path, "w", newline="") if csv_path else None  # noqa: SIM115
    writer = csv.writer(csv_file) if csv_file else None
    if writer:
        writer.writerow(columns)
    print("  ".join(f"{c:>10}" for c in columns), file=out, flush=True)
    began = time.monotonic()
    last_data = began
    stop = "interrupted"
    try:
        while True:
            got = False
            for key, inlet in inlets.items():
                data, stamps = inlet.pull_chunk(timeout=0.0, max_samples=4096)
                if len(stamps) == 0:
                    continue
                got = True
                for row in pipeline.feed(key, data, stamps, lsl.local_clock()):
                    values = row_values(row, output_names, units)
                    latency_ms = math.nan if row["latency_s"] is None else 1e3 * row["latency_s"]
                    fields = [
                        row["window"],
                        f"{row['start_s']:.3f}",
                        f"{row['lsl_time']:.4f}",
                        f"{latency_ms:.1f}",
                        row["status"],
                    ] + [f"{v:.7g}" for v in values]
                    print("  ".join(f"{f:>10}" for f in map(str, fields)), file=out, flush=True)
                    if writer:
                        writer.writerow(fields)
                        csv_file.flush()
                    if outlet is not None and row["status"] == "ok":
                        outlet.push_sample(
                            np.asarray(values, np.float32), timestamp=row["lsl_time"]
                        )
            now = time.monotonic()
            if got:
                last_data = now
            if max_windows is not None and pipeline.next_window >= max_windows:
                stop = f"max_windows={max_windows}"
                break
            if max_seconds is not None and now - began >= max_seconds:
                stop = f"max_seconds={max_seconds:g}"
                break
            if now - last_data >= idle_timeout_s:
                stop = f"no samples for {idle_timeout_s:g} s"
                break
            if not got:
                time.sleep(0.002)
    except KeyboardInterrupt:
        pass
    finally:
        if csv_file:
            csv_file.close()
        for inlet in inlets.values():
            inlet.close_stream()
    summary = pipeline.summary()
    summary["stopped"] = stop
    summary["seconds"] = time.monotonic() - began
    for counts in summary["streams"].values():
        measured = counts["measured_hz"]
        if measured and abs(measured - counts["nominal_hz"]) > 0.05 * counts["nominal_hz"]:
            logger.warning(
                "Stream %r declares %g Hz but its timestamps run at %.2f Hz",
                counts["name"],
                counts["nominal_hz"],
                measured,
            )
    _log_summary(summary)
    if report_path:
        with open(report_path, "w") as handle:
            json.dump(summary, handle, indent=2)
    return summary


def _log_summary(summary):
    latency = summary["latency"]
    logger.info(
        "Stopped (%s): %d window(s), %d predicted, %d skipped over gaps; latency %s",
        summary["stopped"],
        summary["windows"],
        summary["predicted"],
        summary["skipped_gap"],
        "n/a"
        if latency is None
        else f"median {latency['median_ms']:.1f} ms, p95 {latency['p95_ms']:.1f} ms, max {latency['max_ms']:.1f} ms",
    )
    for counts in summary["streams"].values():
        logger.info(
            "Stream %r: %d sample(s), %d gap(s) (%d missing), %d out of order (dropped), %d late, %d before start",
            counts["name"],
            counts["samples"],
            counts["gaps"],
            counts["missing_samples"],
            counts["out_of_order"],
            counts["late"],
            counts["before_start"],
        )


def build_parser():
    parser = argparse.ArgumentParser(
        prog="python -m amigos_emo.stream",
        description="Live per-window predictions of a trained model on LSL streams.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--model", required=True, help="a fold's best.keras (preprocessing.json beside it)"
    )
    parser.add_argument(
        "--stream", nargs="+", default=[], metavar="NAME", help="LSL stream name(s)"
    )
    parser.add_argument("--source-id", nargs="+", default=[], metavar="ID", help="LSL source id(s)")
    parser.add_argument("--csv", default=None, help="write the predictions table to this CSV file")
    parser.add_argument(
        "--outlet", default=None, metavar="NAME", help="push predictions to an LSL outlet NAME"
    )
    parser.add_argument(
        "--report", default=None, help="write the JSON summary (counts, latency) here"
    )
    parser.add_argument(
        "--max-seconds", type=float, default=None, help="stop after this many seconds"
    )
    parser.add_argument(
        "--max-windows", type=int, default=None, help="stop after this many windows"
    )
    parser.add_argument(
        "--idle-timeout-s", type=float, default=10.0, help="stop when no samples come for this long"
    )
    parser.add_argument(
        "--resolve-timeout-s", type=float, default=5.0, help="seconds to look for each stream"
    )
    parser.add_argument(
        "--late-s", type=float, default=1.0, help="count samples arriving later than this as late"
    )
    parser.add_argument(
        "--loopback",
        action="store_true",
        help="use the loopback-only liblsl configuration of amigos_emo.replay",
    )
    parser.add_argument("--session-id", default=None, help="liblsl session id for --loopback")
    parser.add_argument("--lsl-config", default=None, help="an lsl_api.cfg for liblsl")
    return parser


def main(argv=None):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    args = build_parser().parse_args(argv)
    if not args.stream and not args.source_id:
        print("error: pass --stream NAME and/or --source-id ID", file=sys.stderr)
        return 2
    try:
        if args.max_windows is not None:
            check_positive(args.max_windows, "max_windows")
        if args.loopback or args.lsl_config:
            from amigos_emo.replay import DEFAULT_SESSION_ID, use_lsl_config

            use_lsl_config(args.lsl_config, session_id=args.session_id or DEFAULT_SESSION_ID)
        run(
            args.model,
            names=args.stream,
            source_ids=args.source_id,
            csv_path=args.csv,
            outlet_name=args.outlet,
            report_path=args.report,
            max_seconds=args.max_seconds,
            max_windows=args.max_windows,
            idle_timeout_s=args.idle_timeout_s,
            resolve_timeout_s=args.resolve_timeout_s,
            late_s=args.late_s,
        )
    except (ValueError, FileNotFoundError, LookupError, ImportError, RuntimeError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
