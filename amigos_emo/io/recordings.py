"""Read EDF/CSV/NPZ recordings at their native rates, pick channels, resample, cut windows.

The one reader and windowing module of the package: the ``custom`` builder writes its examples
with it and ``python -m amigos_emo.predict`` cuts a new recording with it, so a recording fed to a
trained model is windowed exactly like the data it was trained on.

- :func:`read_recording` reads one file into a :class:`Recording`: one or more
  :class:`Stream` s, each a time-major ``(n_times, n_chans)`` float64 array at one sampling rate
  (an NPZ file may hold one array per modality, each at its own rate).
- :func:`merge` joins the recordings of one trial kept in several files (one per modality).
- :func:`signals_at` picks channels by name, groups them by signal type and resamples each type
  to the rate asked for (``scipy.signal.resample_poly`` through
  :func:`amigos_emo.signal.filters.resample`).
- :func:`cut_windows` cuts every type into windows that start at the same instants (seconds), so
  window ``k`` of the EDA and window ``k`` of the BVP cover the same stretch of time, optionally
  after a baseline whose template is subtracted.

Formats:

- EDF/BDF: ``mne.io.read_raw_edf``; channels whose header unit is a voltage come back in
  microvolts, others as stored. A file shorter than its header says is an error (MNE only warns).
  MNE reads an EDF at one rate: channels stored at a lower rate are upsampled by MNE.
- CSV/TSV: one column per channel, one row per sample, a first row of names (or ``column_names``);
  an optional time column in seconds gives (or checks) the rate.
- NPZ (``allow_pickle=False``): ``data`` ``(n_times, n_chans)`` + ``ch_names`` (+ ``sfreq``), or one
  array per modality ``NAME`` (``(n_times,)`` or ``(n_times, n_chans)``) with optional
  ``NAME_sfreq`` and ``NAME_ch_names`` beside it (a global ``sfreq`` is the fallback rate; a 1-D
  array without names is the channel ``NAME``).
- Empatica E4 CSV (format ``"e4"``, never guessed from the extension), one file per sensor as
  the E4 exports them (``BVP.csv``, ``EDA.csv``, ``TEMP.csv``, ``ACC.csv``, ...): no header; row 1
  is the session's start as a UNIX time (one value per column), row 2 the sampling rate in Hz,
  then one row per sample. The channels are named after the file (``BVP``; ``ACC_X``,
  ``ACC_Y``, ``ACC_Z`` for the three accelerometer axes) and ``ACC``, stored in 1/64 g, is
  returned in g. ``IBI.csv`` and ``tags.csv`` are not sample streams and are refused.

When a trial's files state their start times (E4), :func:`merge` drops each stream's leading
samples up to the latest start, so every stream starts at the same instant.
"""

from __future__ import annotations

import dataclasses
import math
import os
import pathlib
import warnings

import numpy as np

from amigos_emo._logging import logger
from amigos_emo.io.errors import CorpusFormatError
from amigos_emo.io.integrity import finite_float32

FORMATS = {".edf": "edf", ".bdf": "edf", ".csv": "csv", ".tsv": "csv", ".txt": "csv", ".npz": "npz"}
# Formats named explicitly only (their files share an extension with another format).
NAMED_FORMATS = ("e4",)
# Empatica E4: accelerometer counts per g, and the axis names of ACC.csv's three columns.
E4_ACC_COUNTS_PER_G = 64.0
E4_ACC_AXES = ("X", "Y", "Z")
TIME_COLUMNS = ("time", "time_s", "times", "timestamp", "t")
# EDF physical dimensions MNE converts to volts (returned here in microvolts).
VOLTAGE_UNITS = frozenset({"v", "mv", "uv", "µv", "μv", "nv"})
# Relative tolerance between a declared and a stated sampling rate.
RATE_TOLERANCE = 0.01


@dataclasses.dataclass
class Stream:
    """Channels recorded at one rate.

    Attributes:
        data: float64 ``(n_times, n_chans)``, time-major.
        ch_names: one name per column.
        sfreq: sampling rate in Hz, or ``None`` when the file does not state it.
        path: the file it came from.
        start_time: the first sample's time (UNIX seconds) when the file states it (E4), else
            ``None``; :func:`merge` aligns the streams of a trial on it.
    """

    data: np.ndarray
    ch_names: list
    sfreq: float | None
    path: str
    start_time: float | None = None


@dataclasses.dataclass
class Recording:
    """One trial's channels, possibly at several rates and from several files.

    Attributes:
        streams: the :class:`Stream` s.
        path: the file (or ``" + "``-joined files) it came from, for messages.
    """

    streams: list
    path: str

    @property
    def ch_names(self):
        return [name for stream in self.streams for name in stream.ch_names]

    @property
    def sfreq(self):
        """The rate when every stream has the same one, else ``None``."""
        rates = {stream.sfreq for stream in self.streams}
        return rates.pop() if len(rates) == 1 else None

    @property
    def data(self):
        """``(n_times, n_chans)`` of a single-stream recording."""
        if len(self.streams) != 1:
            raise ValueError(
                f"{self.path} holds {len(self.streams)} streams at different rates; use signals_at()."
            )
        return self.streams[0].data


def merge(recordings):
    """One :class:`Recording` from several files of one trial (one per modality).

    When every stream states its start time (E4 files), each stream's samples before the latest
    start are dropped, so the streams start at the same instant (time 0 of the trial).
    """
    recordings = list(recordings)
    if len(recordings) == 1:
        return recordings[0]
    streams = [s for r in recordings for s in r.streams]
    starts = [s.start_time for s in streams]
    if len(streams) > 1 and None not in starts and max(starts) > min(starts):
        latest = max(starts)
        for stream in streams:
            skip = int(round((latest - stream.start_time) * stream.sfreq))
            stream.data = stream.data[skip:]
            stream.start_time += skip / stream.sfreq
        logger.info(
            "%s: the files start up to %.3f s apart; each is cut to start at the latest start",
            " + ".join(r.path for r in recordings),
            latest - min(starts),
        )
    return Recording(streams, " + ".join(r.path for r in recordings))


# --- Readers ----------------------------------------------------------------------------------


def _read_edf(path):
    import mne

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            raw = mne.io.read_raw_edf(os.fspath(path), preload=False, verbose="warning")
            data = raw.get_data().T
        except Exception as error:
            raise CorpusFormatError(
                path,
                "could not be read as EDF (truncated or corrupt?)",
                found=f"{type(error).__name__}: {error}",
            ) from error
    for warning in caught:
        text = str(warning.message)
        if "file size" in text or "does not match" in text:
            raise CorpusFormatError(
                path,
                "could not be read as EDF (truncated: the file is shorter than its header says)",
                found=text,
            )
        logger.warning("%s: %s", path, text)
    units = getattr(raw, "_orig_units", None) or {}
    scale = np.array(
        [
            1e6 if str(units.get(name, "")).strip().lower() in VOLTAGE_UNITS else 1.0
            for name in raw.ch_names
        ]
    )
    return [Stream(data * scale, list(raw.ch_names), float(raw.info["sfreq"]), os.fspath(path))]


def _is_number(text):
    try:
        float(text)
    except ValueError:
        return False
    return True


def _read_csv(path, separator=None, header=None, column_names=None, time_column=None):
    import pandas as pd

    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            first = handle.readline()
        if separator is None:
            separator = "\t" if "\t" in first else ","
        if header is None:
            fields = [f.strip() for f in first.strip().split(separator)]
            header = column_names is None and not all(_is_number(f) for f in fields if f)
        table = pd.read_csv(path, sep=separator, header=0 if header else None)
    except Exception as error:
        raise CorpusFormatError(
            path,
            "could not be read as CSV (truncated or corrupt?)",
            found=f"{type(error).__name__}: {error}",
        ) from error
    if column_names is not None:
        if table.shape[1] != len(column_names):
            raise CorpusFormatError(
                path,
                "unexpected number of columns",
                field="csv.column_names",
                expected=f"{len(column_names)} columns ({', '.join(column_names)})",
                found=f"{table.shape[1]} columns",
            )
        table.columns = list(column_names)
    names = (
        [str(c).strip() for c in table.columns] if (header or column_names is not None) else None
    )
    if names is not None:
        table.columns = names
    sfreq = None
    if time_column == "auto":
        time_column = next((n for n in names or [] if n.lower() in TIME_COLUMNS), None)
    elif time_column is not None and time_column not in (names or []):
        raise CorpusFormatError(
            path,
            f"column(s) {time_column} missing",
            field="csv.time_column",
            expected=f"a time column {time_column!r}",
            found=f"columns {', '.join(names or [])}",
        )
    columns = {}
    for index, column in enumerate(table.columns):
        values = pd.to_numeric(table[column], errors="coerce").to_numpy(dtype=np.float64)
        bad = np.isnan(values) & table[column].notna().to_numpy()
        if bad.any():
            row = int(np.flatnonzero(bad)[0]) + (2 if names else 1)
            raise CorpusFormatError(
                path,
                f"non-numeric value in row {row}",
                field=str(column if names else f"column {index}"),
                expected="numbers",
                found=repr(table[column].iloc[int(np.flatnonzero(bad)[0])]),
            )
        columns[column] = values
    if time_column is not None:
        steps = np.diff(columns.pop(time_column))
        if steps.size and np.all(np.isfinite(steps)) and np.median(steps) > 0:
            sfreq = 1.0 / float(np.median(steps))
        names = [n for n in names if n != time_column]
    data = np.stack(list(columns.values()), axis=1) if columns else np.empty((len(table), 0))
    return [Stream(data, names, sfreq, os.fspath(path))]


def _read_e4(path):
    """One Empatica E4 CSV (module docstring): start time row, rate row, then samples."""
    path = os.fspath(path)
    stem = pathlib.Path(path).stem
    expected = "row 1: start time (UNIX s), row 2: sampling rate (Hz), then one row per sample"
    with open(path, encoding="utf-8", errors="replace") as handle:
        head = [handle.readline().strip() for _ in range(2)]
    if stem.upper() in ("IBI", "TAGS") or any(not _is_number(f) for f in head[0].split(",") if f):
        raise CorpusFormatError(
            path,
            "is not an E4 sample stream",
            field="format",
            expected=f"an E4 sensor file (BVP, EDA, TEMP, ACC, HR): {expected}",
            found=f"first row {head[0]!r}"
            + (
                " (inter-beat intervals or event tags, not samples at a fixed rate)"
                if stem.upper() in ("IBI", "TAGS")
                else ""
            ),
        )
    try:
        table = np.loadtxt(path, delimiter=",", ndmin=2, dtype=np.float64)
    except ValueError as error:
        raise CorpusFormatError(
            path,
            "could not be read as an E4 CSV (truncated or corrupt?)",
            expected=expected,
            found=str(error),
        ) from error
    if table.shape[0] < 2:
        raise CorpusFormatError(
            path, "has no sampling-rate row", expected=expected, found=f"{table.shape[0]} row(s)"
        )
    starts, rates, data = table[0], table[1], table[2:]
    if not np.all(np.isfinite(rates)) or np.any(rates <= 0) or np.ptp(rates) > 0:
        raise CorpusFormatError(
            path,
            "row 2 must be one positive sampling rate (the same in every column)",
            field="sampling rate",
            expected=expected,
            found=", ".join(f"{r:g}" for r in rates),
        )
    if data.shape[1] == 1:
        names = [stem]
    elif data.shape[1] == len(E4_ACC_AXES) and stem.upper() == "ACC":
        names = [f"{stem}_{axis}" for axis in E4_ACC_AXES]
    else:
        names = [f"{stem}_{i}" for i in range(1, data.shape[1] + 1)]
    if stem.upper() == "ACC":
        data = data / E4_ACC_COUNTS_PER_G  # stored in 1/64 g
    return [Stream(data, names, float(rates[0]), path, start_time=float(starts[0]))]


def _read_npz(path, data_key="data", channels_key="ch_names", sfreq_key="sfreq"):
    try:
        with np.load(path, allow_pickle=False) as archive:
            contents = {key: archive[key] for key in archive.files}
    except ValueError as error:
        if "allow_pickle" in str(error) or "Object arrays" in str(error):
            raise CorpusFormatError(
                path,
                "holds a pickled (object) array, which is not loaded",
                found=str(error),
                hint="Save channel names as a string array: np.array(names, dtype=str).",
            ) from error
        raise CorpusFormatError(
            path, "could not be read as NPZ (truncated or corrupt?)", found=str(error)
        ) from error
    except Exception as error:
        raise CorpusFormatError(
            path,
            "could not be read as NPZ (truncated or corrupt?)",
            found=f"{type(error).__name__}: {error}",
        ) from error

    def rate(key):
        if key not in contents:
            return None
        value = np.asarray(contents[key])
        if value.size != 1 or value.dtype.kind not in "fiu":
            raise CorpusFormatError(
                path,
                "must be a numeric scalar (Hz)",
                field=key,
                found=f"{value.dtype} {value.shape}",
            )
        return float(value.reshape(()))

    global_rate = rate(sfreq_key)
    if data_key in contents:
        data = contents[data_key]
        if channels_key not in contents:
            raise CorpusFormatError(
                path,
                f"missing array {channels_key!r}",
                field=channels_key,
                expected=f"arrays {data_key!r} (n_times, n_chans) and {channels_key!r} (n_chans,)",
                found=f"arrays {sorted(contents)}",
            )
        names = [str(n) for n in np.asarray(contents[channels_key]).ravel()]
        if data.ndim != 2 or data.shape[1] != len(names) or data.dtype.kind not in "fiu":
            raise CorpusFormatError(
                path,
                "unexpected data array",
                field=data_key,
                expected=f"a numeric time-major (n_times, {len(names)}) array matching {channels_key!r}",
                found=f"{data.dtype} array of shape {data.shape}",
            )
        return [Stream(data.astype(np.float64), names, global_rate, os.fspath(path))]
    # One array per modality (or per channel), each with an optional NAME_sfreq / NAME_ch_names.
    streams = []
    for key, value in contents.items():
        if key == sfreq_key or key.endswith("_sfreq") or key.endswith("_ch_names"):
            continue
        value = np.asarray(value)
        if value.dtype.kind not in "fiu" or value.ndim not in (1, 2):
            raise CorpusFormatError(
                path,
                "unexpected array",
                field=key,
                expected="a numeric (n_times,) or (n_times, n_chans) array",
                found=f"{value.dtype} array of shape {value.shape}",
            )
        data = value.reshape(len(value), -1).astype(np.float64)
        if f"{key}_ch_names" in contents:
            names = [str(n) for n in np.asarray(contents[f"{key}_ch_names"]).ravel()]
        elif data.shape[1] == 1:
            names = [key]
        else:
            names = [f"{key}_{i}" for i in range(data.shape[1])]
        if len(names) != data.shape[1]:
            raise CorpusFormatError(
                path,
                "channel names do not match the array",
                field=f"{key}_ch_names",
                expected=f"{data.shape[1]} names",
                found=f"{len(names)} names",
            )
        own = rate(f"{key}_sfreq")
        streams.append(
            Stream(data, names, own if own is not None else global_rate, os.fspath(path))
        )
    if not streams:
        raise CorpusFormatError(
            path,
            "holds no signal array",
            field=data_key,
            expected=f"{data_key!r} (n_times, n_chans) + {channels_key!r}, or one array per modality",
            found=f"arrays {sorted(contents)}",
        )
    return streams


def read_recording(path, channels=None, sfreq=None, *, file_format=None, csv=None, npz=None):
    """Read one EDF, CSV or NPZ file (see the module docstring for the layouts).

    Args:
        path: the file.
        file_format: ``"edf"``, ``"csv"``, ``"npz"`` or ``"e4"`` (Empatica E4 CSV; default:
            from the extension, which never gives ``"e4"``).
        channels: names for the columns of a single-stream file, replacing (EDF) or supplying
            (CSV without a name row, NPZ) the file's own.
        sfreq: the rate in Hz when the file does not state it; when it does, they must agree
            within 1 %.
        csv: options ``{"separator", "header", "column_names", "time_column"}``; ``header=None``
            detects a name row and ``time_column="auto"`` a column named ``time``/``time_s``/...
        npz: options ``{"data_key", "channels_key", "sfreq_key"}``.

    Returns:
        a :class:`Recording` (streams at the file's rates, float64, not yet checked for NaN).

    Raises:
        FileNotFoundError: no such file.
        CorpusFormatError: unknown format, unreadable or truncated file, non-numeric values,
            channel names missing or of the wrong count, a stated rate that disagrees with ``sfreq``.
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{path}: no such file (a recording).")
    suffix = pathlib.Path(path).suffix.lower()
    file_format = file_format or FORMATS.get(suffix)
    if file_format == "edf":
        streams = _read_edf(path)
    elif file_format == "csv":
        options = {"time_column": "auto", **(csv or {})}
        streams = _read_csv(path, **options)
    elif file_format == "npz":
        streams = _read_npz(path, **(npz or {}))
    elif file_format == "e4":
        streams = _read_e4(path)
    else:
        raise CorpusFormatError(
            path,
            f"unknown format {file_format or suffix!r}",
            expected=f"one of {', '.join(sorted(FORMATS))} (EDF/BDF via MNE, CSV, NPZ), or the "
            f"format {', '.join(NAMED_FORMATS)} (Empatica E4 CSV) named explicitly",
        )
    if channels is not None:
        channels = [str(c) for c in channels]
        if len(streams) != 1 or len(channels) != streams[0].data.shape[1]:
            width = sum(s.data.shape[1] for s in streams)
            raise CorpusFormatError(
                path,
                f"--channels names {len(channels)} channel(s), but the file has {width} column(s)",
                field="channels",
                found=", ".join(n for s in streams for n in (s.ch_names or [])) or None,
            )
        streams[0].ch_names = channels
    for stream in streams:
        if stream.ch_names is None:
            raise CorpusFormatError(
                path,
                f"does not name its {stream.data.shape[1]} channel(s)",
                field="channels",
                hint="Add a first row of names (CSV), a ch_names array (NPZ), or pass --channels NAME NAME ...",
            )
    if sfreq is not None:
        sfreq = float(sfreq)
        for stream in streams:
            if stream.sfreq is not None and not math.isclose(
                stream.sfreq, sfreq, rel_tol=RATE_TOLERANCE
            ):
                raise CorpusFormatError(
                    path,
                    "sampling-rate mismatch",
                    field="sfreq",
                    expected=f"{sfreq:g} Hz (as declared)",
                    found=f"{stream.sfreq:g} Hz in the file",
                )
            stream.sfreq = sfreq
    return Recording(streams, path)


# --- Channels and rates -----------------------------------------------------------------------


def normalise_name(label):
    """A channel label compared loosely: upper case, no spaces, ``EEG``/``ECG``/``EDA`` prefix dropped."""
    label = str(label).strip().upper().replace(" ", "").replace("-", "_")
    for prefix in ("EEG", "ECG", "EDA"):
        if label.startswith(prefix) and label != prefix:
            rest = label[len(prefix) :].lstrip("_")
            if rest and not rest[0].isdigit():
                return rest
    return label


def find_channels(recording, wanted, *, loose=False, what="channel(s)", field="channels"):
    """Locate channels by name.

    Args:
        recording: a :class:`Recording`.
        wanted: ``{type: [names]}``.
        loose: also match by :func:`normalise_name` (case, spaces, ``EEG`` prefixes ignored).
        what, field: wording of the error (``"column(s)"`` for CSV files).

    Returns:
        ``{type: [(stream index, column), ...]}``.

    Raises:
        CorpusFormatError: naming every missing channel (and its type) and what the file has.
    """
    exact, relaxed = {}, {}
    for s, stream in enumerate(recording.streams):
        for c, name in enumerate(stream.ch_names):
            exact.setdefault(name, (s, c))
            relaxed.setdefault(normalise_name(name), (s, c))
    found, missing = {}, []
    for kind, names in wanted.items():
        found[kind] = []
        for name in names:
            where = exact.get(name) or (relaxed.get(normalise_name(name)) if loose else None)
            if where is None:
                missing.append(f"{name} ({kind})" if loose else name)
            found[kind].append(where)
    if missing:
        everything = [n for kind_names in wanted.values() for n in kind_names]
        raise CorpusFormatError(
            recording.path,
            f"{what} {', '.join(missing)} missing",
            field=field,
            expected=f"{what.replace('(s)', 's')} {', '.join(everything)}",
            found=f"{what.replace('(s)', 's')} {', '.join(recording.ch_names)}",
        )
    return found


def signals_at(
    recording,
    wanted,
    sfreq,
    *,
    declared_sfreq=None,
    allow_resample=True,
    loose=False,
    what="channel(s)",
    field="channels",
    trial=None,
):
    """Each signal type's channels, resampled to the rate asked for.

    Args:
        recording: a :class:`Recording`.
        wanted: ``{type: [channel names]}`` in output order.
        sfreq: ``{type: Hz}``, the rate each type is returned at.
        declared_sfreq: ``{channel name: Hz}`` native rates declared by the caller (a JSON);
            checked against the rate the file states (1 %); used when the file states none.
        allow_resample: when false, a type whose native rate differs from ``sfreq`` is an error.
        loose, what, field: see :func:`find_channels`.
        trial: how the trial is named in a non-finite error (e.g. ``"subject 1, session 1, trial 2"``).

    Every channel goes through :func:`amigos_emo.io.integrity.finite_float32` before resampling.

    Returns:
        ``{type: float64 (n_times, n_chans)}``; channels of one type recorded at different rates
        are each resampled and cut to the shortest.

    Raises:
        CorpusFormatError: a missing channel, no known rate, a rate mismatch, resampling not
            allowed.
        NonFiniteError: NaN, infinite or float32-overflowing samples (naming file, trial, type).
    """
    from amigos_emo.signal.filters import resample

    declared_sfreq = declared_sfreq or {}
    where = find_channels(recording, wanted, loose=loose, what=what, field=field)
    signals = {}
    for kind, names in wanted.items():
        target = float(sfreq[kind])
        columns = []
        for name, (s, c) in zip(names, where[kind], strict=True):
            stream = recording.streams[s]
            native = stream.sfreq
            declared = declared_sfreq.get(name)
            if (
                declared is not None
                and native is not None
                and not math.isclose(native, declared, rel_tol=RATE_TOLERANCE)
            ):
                raise CorpusFormatError(
                    stream.path,
                    "sampling-rate mismatch",
                    field="sfreq",
                    expected=f"{declared:g} Hz for {name} (as declared)",
                    found=f"{native:g} Hz in the file",
                )
            native = declared if declared is not None else native
            if native is None:
                raise CorpusFormatError(
                    stream.path,
                    f"no sampling rate for channel {name}",
                    field="sfreq",
                    hint="Declare it (file_sfreq, or sfreq of the channel) or pass --sfreq HZ.",
                )
            finite_float32(
                stream.data[:, c], stream.path, field=trial, modality=f"{kind} ({name})"
            )  # check only
            columns.append((native, stream.data[:, c]))
        out = []
        for native, values in columns:
            if not math.isclose(native, target, rel_tol=1e-9):
                if not allow_resample:
                    raise CorpusFormatError(
                        recording.path,
                        "sampling-rate mismatch",
                        field="sfreq",
                        expected=f"{kind} at {target:g} Hz",
                        found=f"{native:g} Hz",
                        hint='Set "resample": true to resample it.',
                    )
                values = resample(values, native, target, axis=0)
            out.append(values)
        length = min(len(v) for v in out)
        signals[kind] = np.stack([v[:length] for v in out], axis=1)
    return signals


# --- Windows ----------------------------------------------------------------------------------


def duration_s(signals, sfreq):
    """Seconds every type covers: the shortest ``len / sfreq`` of ``signals`` (type -> array)."""
    return min(len(x) / sfreq[kind] for kind, x in signals.items())


def cut_segment(signals, sfreq, start_s, end_s=None):
    """The ``[start_s, end_s)`` seconds of every type, each cut at its own rate (sample
    ``round(start_s * sfreq)`` up to ``round(end_s * sfreq)``), so the types stay aligned.

    The builder cuts a continuous recording's trials with this and ``predict --start-s
    --end-s`` cuts a recording the same way, after :func:`signals_at`. ``end_s=None``: to the end.
    Callers check ``end_s`` against :func:`duration_s` (their messages name their files).
    """
    return {
        kind: x[
            int(round(start_s * sfreq[kind])) : None
            if end_s is None
            else int(round(end_s * sfreq[kind]))
        ]
        for kind, x in signals.items()
    }


def window_samples(window_s, sfreq):
    """Samples in a window of ``window_s`` seconds at ``sfreq`` Hz: ``round(window_s * sfreq)``."""
    return int(round(window_s * sfreq))


def window_starts(n_times, sfreq, window_s, step_s, offset_s=0.0):
    """Start samples of the complete windows of one type.

    Window ``k`` starts at ``round((offset_s + k * step_s) * sfreq)``: computed from seconds, not
    accumulated in samples, so types at different rates stay aligned in time.

    Returns:
        int64 array ``(n_windows,)``.
    """
    length = window_samples(window_s, sfreq)
    upper = int((n_times / sfreq - offset_s) / step_s) + 2
    k = np.arange(max(upper, 0))
    starts = np.round((offset_s + k * step_s) * sfreq).astype(np.int64)
    return starts[starts + length <= n_times]


def cut_windows(signals, sfreq, window_s, step_s, baseline=None, path="recording"):
    """Cut every type into windows that start at the same instants.

    Args:
        signals: ``{type: (n_times, n_chans)}`` at the rates in ``sfreq``.
        sfreq: ``{type: Hz}``.
        window_s, step_s: window length and hop, seconds.
        baseline: ``None``, or the :mod:`amigos_emo.preprocessing_spec` baseline dict
            ``{"seconds", "template_s", "applies_to", "kind": "subtract_template"}``: windows start
            after ``seconds``; for each type in ``applies_to`` the mean of the baseline's
            ``template_s`` segments is subtracted from every ``template_s`` segment of a window.
        path: named in errors.

    Returns:
        ``(windows, starts_s)``: ``{type: float64 (n_windows, window samples, n_chans)}`` (the same
        ``n_windows`` for every type: the fewest any type allows) and ``(n_windows,)`` window starts
        in seconds from the beginning of the signals.

    Raises:
        ValueError: an unknown baseline kind, or a window that is not whole template segments.
    """
    from amigos_emo.signal.windows import baseline_template

    offset_s = 0.0
    if baseline:
        kind = baseline.get("kind", "subtract_template")
        if kind != "subtract_template":
            raise ValueError(
                f"{path}: unknown baseline kind {kind!r}; expected 'subtract_template'."
            )
        offset_s = float(baseline["seconds"])
    starts = {
        kind: window_starts(len(x), sfreq[kind], window_s, step_s, offset_s)
        for kind, x in signals.items()
    }
    count = min((len(s) for s in starts.values()), default=0)
    windows = {}
    for kind, x in signals.items():
        length = window_samples(window_s, sfreq[kind])
        index = starts[kind][:count, None] + np.arange(length)[None, :]
        cut = np.asarray(x)[index] if count else np.empty((0, length, x.shape[1]))
        if baseline and kind in baseline.get("applies_to", ()) and count:
            segment = window_samples(float(baseline["template_s"]), sfreq[kind])
            n_baseline = window_samples(offset_s, sfreq[kind])
            if segment < 1 or length % segment:
                raise ValueError(
                    f"{path}: baseline removal needs windows of whole {baseline['template_s']:g} s segments; "
                    f"{kind} windows are {length} samples, segments {segment}."
                )
            template = baseline_template(np.asarray(x[:n_baseline], np.float64), segment)
            cut = (cut.reshape(count, length // segment, segment, -1) - template).reshape(cut.shape)
        windows[kind] = cut.astype(np.float64, copy=False)
    starts_s = offset_s + np.arange(count) * float(step_s)
    return windows, starts_s


def needed_seconds(window_s, baseline=None):
    """Shortest recording that gives one window: the baseline plus one window, seconds."""
    return float(baseline["seconds"] if baseline else 0.0) + float(window_s)
