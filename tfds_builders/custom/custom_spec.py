"""The ``amigos_emo_dataset.json`` description of a user's own recordings, and its labels CSV.

:func:`load_spec` reads and checks the JSON (see ``README.md`` beside this file for the full
schema and an example); :func:`find_recordings` lists the recording files that match its file
pattern, sorted numerically by (subject, session, trial); :func:`load_labels` reads the labels
CSV into one row per (subject, session, trial). Every problem is a
:class:`amigos_emo.io.CorpusFormatError` naming the file, the field, what was expected and what
was found.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import pathlib
import re

from amigos_emo._logging import logger
from amigos_emo.io.errors import CorpusFormatError
from amigos_emo.io.recordings import NAMED_FORMATS  # "e4": only a JSON "format" key selects it

CONFIG_FILE_NAME = "amigos_emo_dataset.json"
# Signal types a recording may declare; each becomes a feature of that name.
SIGNAL_TYPES = (
    "eeg",
    "ecg",
    "gsr",
    "eog",
    "emg",
    "resp",
    "ppg",
    "bvp",
    "acc",
    "temperature",
    "misc",
)
# The unit each type is stored in (README.md): EDF voltages are converted to microvolts; other
# formats and non-voltage EDF channels are written as stored, so these are what the files must hold.
DEFAULT_UNITS = {
    "eeg": "uV",
    "ecg": "uV",
    "emg": "uV",
    "eog": "uV",
    "gsr": "uS",
    "ppg": "a.u.",
    "bvp": "a.u.",
    "acc": "g",
    "resp": "a.u.",
    "temperature": "degC",
    "misc": None,
}
# "raw": a window of every signal type; "features": the per-window feature vector instead;
# "raw+features": both (the signals and the ``features`` vector of the same window). Without
# the key, :func:`auto_representation` chooses between "raw" and "raw+features".
REPRESENTATIONS = ("raw", "features", "raw+features")
# Types whose per-window features come from beats, skin-conductance responses or breaths, and
# the shortest window that holds several of them: a study with one of these types and windows at
# least this long gets "raw+features" when its JSON does not say.
PHYSIOLOGY_TYPES = ("ecg", "bvp", "ppg", "gsr", "resp")
FEATURE_MIN_WINDOW_S = 5.0
FORMATS = {".edf": "edf", ".csv": "csv", ".npz": "npz"}
ID_FIELDS = ("subject", "session", "trial")
# Labels-CSV columns that cut a segment out of a recording (seconds from its first sample): a
# continuous recording (a file pattern without ``{trial}``) holds one trial per row.
SEGMENT_FIELDS = ("start_s", "end_s")
RESERVED_FEATURES = frozenset(
    {"subject_id", "session_id", "trial_id", "window_index", "label", *SIGNAL_TYPES}
)
_KNOWN_KEYS = frozenset(
    {
        "name",
        "description",
        "file_pattern",
        "format",
        "channels",
        "sfreq",
        "file_sfreq",
        "resample",
        "labels_file",
        "labels",
        "label",
        "window_s",
        "step_s",
        "csv",
        "npz",
        "root",
        "representation",
        "allow_paths_outside",
        "units",
        "skip_nonfinite_trials",
    }
)


@dataclasses.dataclass(frozen=True)
class LabelColumn:
    """One label column of the labels CSV: categorical (``classes``) or continuous."""

    name: str
    categorical: bool
    classes: tuple = ()
    value_range: tuple | None = None


@dataclasses.dataclass(frozen=True)
class DatasetSpec:
    """The checked contents of ``amigos_emo_dataset.json``.

    Attributes:
        path: the JSON file; relative paths in it are relative to its folder.
        recordings_root: the folder searched (recursively) for recordings (JSON key ``root``,
            default the JSON's folder).
        name: dataset (config) name.
        description: free text.
        file_pattern: recording path relative to ``root`` with ``{subject}`` and optionally
            ``{trial}`` and ``{session}`` fields (digits), e.g. ``"sub-{subject}/trial_{trial}.edf"``;
            with several files per trial (one per modality) the first of ``file_patterns``.
            Without ``{trial}`` a file is a continuous recording of a subject (and session) and
            the labels CSV cuts its trials out with ``start_s``/``end_s`` (:attr:`continuous`).
        file_format: ``"edf"``, ``"csv"`` or ``"npz"`` (of the first pattern).
        file_patterns: ``{key: pattern}``, one per file of a trial (``{"main": file_pattern}``
            for a single file).
        file_formats: ``{key: format}``.
        native_sfreq: ``{channel name: Hz}``, the rate of each channel in its file.
        representation: ``"raw"`` (windows of signals), ``"features"`` (per-window features)
            or ``"raw+features"`` (both); without the key, :func:`auto_representation`'s choice.
        representation_given: the JSON names the representation (``False``: chosen).
        units: ``{type: unit}``.
        allow_paths_outside: paths may resolve outside the JSON's folder.
        skip_nonfinite_trials: skip (and count) trials with NaN/inf samples instead of failing.
        channels: ``((name, type), ...)`` in output order.
        sfreq: ``{type: Hz}`` for every declared type.
        file_sfreq: the rate of the files on disk, in Hz.
        resample: allow resampling a type whose ``sfreq`` differs from ``file_sfreq``.
        labels_file: the labels CSV path.
        label_columns: the label columns, in order.
        label: the categorical column that becomes the ``label`` feature (or ``None``).
        window_s, step_s: window length and hop in seconds.
        csv_time_column: optional time column (seconds) checked against ``file_sfreq``.
        csv_separator: CSV field separator.
        csv_column_names: column names of header-less CSV files (``None``: the first row is
            the header).
        npz_data_key, npz_channels_key, npz_sfreq_key: array names inside ``.npz`` files.
    """

    path: pathlib.Path
    recordings_root: pathlib.Path
    name: str
    description: str
    file_pattern: str
    file_format: str
    channels: tuple
    sfreq: dict
    file_sfreq: float
    resample: bool
    labels_file: pathlib.Path
    label_columns: tuple
    label: str | None
    window_s: float
    step_s: float
    csv_time_column: str | None = None
    csv_separator: str = ","
    csv_column_names: tuple | None = None
    npz_data_key: str = "data"
    npz_channels_key: str = "ch_names"
    npz_sfreq_key: str = "sfreq"
    file_patterns: dict = dataclasses.field(default_factory=dict)
    file_formats: dict = dataclasses.field(default_factory=dict)
    native_sfreq: dict = dataclasses.field(default_factory=dict)
    representation: str = "raw"
    representation_given: bool = True
    units: dict = dataclasses.field(default_factory=dict)
    allow_paths_outside: bool = False
    skip_nonfinite_trials: bool = False

    @property
    def root(self) -> pathlib.Path:
        return self.recordings_root

    @property
    def types(self) -> tuple:
        """Declared signal types, in order of first appearance."""
        return tuple(dict.fromkeys(kind for _, kind in self.channels))

    def channels_of(self, kind):
        return tuple(name for name, channel_kind in self.channels if channel_kind == kind)

    @property
    def writes_signals(self):
        """The examples hold a window of every signal type (``raw``, ``raw+features``)."""
        return self.representation != "features"

    @property
    def writes_features(self):
        """The examples hold the per-window ``features`` vector (``features``, ``raw+features``)."""
        return self.representation != "raw"

    @property
    def channels_by_type(self):
        """``{type: [channel names]}`` in the JSON's order."""
        return {kind: list(self.channels_of(kind)) for kind in self.types}

    @property
    def folder(self):
        """The folder holding the JSON: every path must resolve inside it (unless allowed)."""
        return self.path.parent

    def feature_names(self):
        """Names of the ``features`` vector (``"features"`` and ``"raw+features"``)."""
        from amigos_emo.signal.physio import window_feature_names

        return window_feature_names(self.channels_by_type)

    def window_samples(self, kind):
        return int(round(self.window_s * self.sfreq[kind]))

    def step_samples(self, kind):
        return int(round(self.step_s * self.sfreq[kind]))

    @property
    def has_session(self) -> bool:
        return "{session}" in self.file_pattern

    @property
    def continuous(self) -> bool:
        """A file is one continuous recording per subject (and session), not one per trial:
        the labels CSV's ``start_s``/``end_s`` say where each trial lies in it."""
        return "{trial}" not in self.file_pattern


def _error(path, problem, field, expected=None, found=None, hint=None):
    return CorpusFormatError(path, problem, field=field, expected=expected, found=found, hint=hint)


def _positive_number(value, path, field):
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or value <= 0
    ):
        raise _error(
            path, "must be a positive number", field, expected="a number > 0", found=repr(value)
        )
    return float(value)


def _inside(path, resolved, folder, key, allow):
    """``resolved`` (symlinks resolved) if it lies inside ``folder``, else an error naming ``key``."""
    if allow or resolved == folder or folder in resolved.parents:
        return resolved
    raise _error(
        path,
        "points outside the study folder",
        key,
        expected=f"a path inside {folder}",
        found=str(resolved),
        hint='Move it inside, or set "allow_paths_outside": true in the JSON to allow it.',
    )


def _check_pattern(pattern, path, field):
    if not isinstance(pattern, str) or "{subject}" not in pattern:
        raise _error(
            path,
            "must name the subject field",
            field,
            expected="a path with {subject}, and {trial} and {session} where the file names carry them "
            "(without {trial}, one continuous file per subject cut by start_s/end_s in the labels CSV)",
            found=repr(pattern),
        )
    fields = re.findall(r"\{([^{}]*)\}", pattern)
    bad = [f for f in fields if f not in ID_FIELDS]
    if bad:
        raise _error(
            path,
            f"unknown field(s) {', '.join('{' + f + '}' for f in bad)} in the pattern",
            field,
            expected="only {subject}, {trial} and {session} (a field may repeat)",
            found=repr(pattern),
        )
    pure = pathlib.PurePosixPath(pattern)
    if pure.is_absolute() or ".." in pure.parts or pathlib.PureWindowsPath(pattern).drive:
        raise _error(
            path,
            "must be a relative path below root",
            field,
            expected="no leading '/' and no '..'",
            found=repr(pattern),
            hint="Set root to move the search.",
        )
    return pattern


def load_spec(path):
    """Read and check ``amigos_emo_dataset.json``.

    Args:
        path: the JSON file, or a folder holding ``amigos_emo_dataset.json``.

    Returns:
        :class:`DatasetSpec`.

    Raises:
        FileNotFoundError: no such file.
        CorpusFormatError: invalid JSON, a missing or malformed field, an unknown signal type,
            a window shorter than one sample, and so on.
    """
    path = pathlib.Path(os.fspath(path)).expanduser().resolve()
    if path.is_dir():
        path = path / CONFIG_FILE_NAME
    if not path.is_file():
        raise FileNotFoundError(
            f"{path}: no such file (the dataset description {CONFIG_FILE_NAME})"
        )
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise _error(path, "is not valid JSON", None, found=str(error)) from error
    if not isinstance(raw, dict):
        raise _error(path, "must hold a JSON object", None, found=type(raw).__name__)
    unknown = sorted(set(raw) - _KNOWN_KEYS)
    if unknown:
        raise _error(
            path,
            f"unknown key(s) {', '.join(unknown)}",
            None,
            expected=f"keys among {sorted(_KNOWN_KEYS)}",
        )
    for key in ("file_pattern", "channels", "sfreq", "labels_file", "labels", "window_s"):
        if key not in raw:
            raise _error(
                path,
                "missing required key",
                key,
                hint="See tfds_builders/custom/README.md for an example.",
            )

    # File pattern(s) and format(s).
    raw_pattern = raw["file_pattern"]
    if isinstance(raw_pattern, dict):
        if not raw_pattern or not all(isinstance(k, str) for k in raw_pattern):
            raise _error(
                path,
                "must be a pattern or a non-empty object of patterns",
                "file_pattern",
                expected='"sub-{subject}/trial-{trial}.edf" or {"BVP": "...BVP.csv", "EDA": "...EDA.csv"}',
                found=repr(raw_pattern),
            )
        patterns = {
            key: _check_pattern(value, path, f"file_pattern.{key}")
            for key, value in raw_pattern.items()
        }
        for field_name in ("session", "trial"):
            if len({"{" + field_name + "}" in p for p in patterns.values()}) != 1:
                raise _error(
                    path,
                    f"either every pattern has {{{field_name}}} or none",
                    "file_pattern",
                    found=repr(raw_pattern),
                )
    else:
        patterns = {"main": _check_pattern(raw_pattern, path, "file_pattern")}
    formats = {}
    for key, pattern in patterns.items():
        suffix = pathlib.PurePosixPath(pattern).suffix.lower()
        file_format = raw.get("format", FORMATS.get(suffix))
        if file_format not in (*FORMATS.values(), *NAMED_FORMATS):
            raise _error(
                path,
                "unknown recording format",
                "format",
                expected="'edf', 'csv', 'npz' (or a pattern ending in .edf/.csv/.npz) or 'e4' "
                "(Empatica E4 CSV files)",
                found=repr(file_format if "format" in raw else suffix),
            )
        formats[key] = file_format
    pattern = next(iter(patterns.values()))
    file_format = next(iter(formats.values()))

    # Channels and their types.
    channels = raw["channels"]
    if not isinstance(channels, list) or not channels:
        raise _error(
            path,
            "must be a non-empty list",
            "channels",
            expected='[{"name": "Fp1", "type": "eeg"}, ...]',
            found=repr(channels),
        )
    parsed = []
    channel_rates = {}
    for index, channel in enumerate(channels):
        field = f"channels[{index}]"
        if (
            not isinstance(channel, dict)
            or not isinstance(channel.get("name"), str)
            or "type" not in channel
            or set(channel) - {"name", "type", "sfreq"}
        ):
            raise _error(
                path,
                "malformed channel",
                field,
                expected='{"name": "<column or channel name>", "type": "eeg"} (optionally "sfreq": Hz in the file)',
                found=repr(channel),
            )
        kind = str(channel["type"]).lower()
        if kind not in SIGNAL_TYPES:
            raise _error(
                path,
                "unknown channel type",
                f"{field}.type",
                expected=f"one of {', '.join(SIGNAL_TYPES)}",
                found=repr(channel["type"]),
            )
        parsed.append((channel["name"], kind))
        if "sfreq" in channel:
            channel_rates[channel["name"]] = _positive_number(
                channel["sfreq"], path, f"{field}.sfreq"
            )
    names = [name for name, _ in parsed]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise _error(path, "duplicate channel name(s)", "channels", found=", ".join(duplicates))
    types = tuple(dict.fromkeys(kind for _, kind in parsed))

    # Sampling rates.
    sfreq_raw = raw["sfreq"]
    if isinstance(sfreq_raw, dict):
        unknown_types = sorted(set(sfreq_raw) - set(types))
        if unknown_types:
            raise _error(
                path,
                "rate given for type(s) with no channel",
                "sfreq",
                expected=f"rates for {', '.join(types)}",
                found=", ".join(unknown_types),
            )
        missing = [kind for kind in types if kind not in sfreq_raw]
        if missing:
            raise _error(
                path,
                "no sampling rate for type(s)",
                "sfreq",
                expected=f"a rate for every declared type ({', '.join(types)})",
                found=f"none for {', '.join(missing)}",
            )
        sfreq = {kind: _positive_number(sfreq_raw[kind], path, f"sfreq.{kind}") for kind in types}
    else:
        rate = _positive_number(sfreq_raw, path, "sfreq")
        sfreq = {kind: rate for kind in types}
    # Native rates: a channel's own "sfreq", else "file_sfreq" (one number, or {type: Hz}), else
    # (older single-rate descriptions) the highest declared rate.
    file_sfreq_raw = raw.get("file_sfreq")
    if isinstance(file_sfreq_raw, dict):
        unknown_types = sorted(set(file_sfreq_raw) - set(types))
        if unknown_types:
            raise _error(
                path,
                "rate given for type(s) with no channel",
                "file_sfreq",
                expected=f"rates for {', '.join(types)}",
                found=", ".join(unknown_types),
            )
        type_rates = {
            kind: _positive_number(v, path, f"file_sfreq.{kind}")
            for kind, v in file_sfreq_raw.items()
        }
        file_sfreq = max(type_rates.values())
    else:
        file_sfreq = (
            _positive_number(file_sfreq_raw, path, "file_sfreq")
            if file_sfreq_raw is not None
            else max(sfreq.values())
        )
        type_rates = {}
    native = {
        name: channel_rates.get(name, type_rates.get(kind, file_sfreq)) for name, kind in parsed
    }
    resample = raw.get("resample", False)
    if not isinstance(resample, bool):
        raise _error(path, "must be true or false", "resample", found=repr(resample))
    mismatched = [(name, kind) for name, kind in parsed if native[name] != sfreq[kind]]
    if mismatched and not resample:
        if not channel_rates and not type_rates:
            mismatched_types = list(dict.fromkeys(kind for _, kind in mismatched))
            raise _error(
                path,
                "sampling-rate mismatch",
                "sfreq",
                expected=f"every type at the files' rate ({file_sfreq:g} Hz)",
                found=", ".join(f"{kind} at {sfreq[kind]:g} Hz" for kind in mismatched_types),
                hint='Set "resample": true to resample those types, or correct the rates.',
            )
        raise _error(
            path,
            "sampling-rate mismatch",
            "sfreq",
            expected="each type asked for at its channels' native rate",
            found=", ".join(
                f"{name} ({kind}) at {native[name]:g} Hz, asked {sfreq[kind]:g} Hz"
                for name, kind in mismatched
            ),
            hint='Set "resample": true to resample those types, or correct the rates.',
        )

    # Windows.
    window_s = _positive_number(raw["window_s"], path, "window_s")
    step_s = _positive_number(raw.get("step_s", window_s), path, "step_s")
    for kind in types:
        if round(window_s * sfreq[kind]) < 1 or round(step_s * sfreq[kind]) < 1:
            raise _error(
                path,
                "window or step shorter than one sample",
                "window_s",
                found=f"window_s={window_s:g}, step_s={step_s:g} at {sfreq[kind]:g} Hz ({kind})",
            )

    # Labels.
    labels = raw["labels"]
    if not isinstance(labels, dict) or not labels:
        raise _error(
            path,
            "must be a non-empty object",
            "labels",
            expected='{"emotion": {"type": "categorical", "classes": [...]}, "valence": {"type": "continuous"}}',
            found=repr(labels),
        )
    columns = []
    for column, info in labels.items():
        field = f"labels.{column}"
        if column in RESERVED_FEATURES or column in ID_FIELDS or column in SEGMENT_FIELDS:
            raise _error(
                path,
                "label column name clashes with a reserved feature name",
                field,
                expected=f"a name other than {sorted(RESERVED_FEATURES | set(ID_FIELDS) | set(SEGMENT_FIELDS))}",
                found=repr(column),
            )
        if not isinstance(info, dict) or info.get("type") not in ("categorical", "continuous"):
            raise _error(
                path,
                "malformed label column",
                field,
                expected='{"type": "categorical", "classes": ["a", "b"]} or {"type": "continuous"}',
                found=repr(info),
            )
        if set(info) - {"type", "classes", "range"}:
            raise _error(
                path,
                "malformed label column",
                field,
                expected='only "type", "classes" (categorical), "range" (continuous)',
                found=repr(info),
            )
        if info["type"] == "categorical":
            classes = info.get("classes")
            if (
                not isinstance(classes, list)
                or len(classes) < 2
                or len({str(c) for c in classes}) != len(classes)
            ):
                raise _error(
                    path,
                    "a categorical column needs at least two distinct class names",
                    f"{field}.classes",
                    found=repr(classes),
                )
            columns.append(LabelColumn(column, True, tuple(str(c) for c in classes)))
        else:
            value_range = info.get("range")
            if value_range is not None:
                if (
                    not isinstance(value_range, list)
                    or len(value_range) != 2
                    or not all(
                        isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
                        for v in value_range
                    )
                    or value_range[0] > value_range[1]
                ):
                    raise _error(
                        path,
                        "must be [low, high]",
                        f"{field}.range",
                        expected="two finite numbers, low <= high",
                        found=repr(value_range),
                    )
                value_range = (float(value_range[0]), float(value_range[1]))
            columns.append(LabelColumn(column, False, value_range=value_range))
    categorical = [c.name for c in columns if c.categorical]
    label = raw.get("label", categorical[0] if categorical else None)
    if label is not None and label not in categorical:
        raise _error(
            path,
            "must name a categorical label column",
            "label",
            expected=f"one of {categorical}",
            found=repr(label),
        )

    csv_options = raw.get("csv", {}) or {}
    npz_options = raw.get("npz", {}) or {}
    if not isinstance(csv_options, dict) or not isinstance(npz_options, dict):
        raise _error(
            path, "must be objects", "csv/npz", found=f"csv={csv_options!r}, npz={npz_options!r}"
        )
    column_names = None
    if csv_options.get("header", True) is False:
        column_names = csv_options.get("column_names")
        if not isinstance(column_names, list) or not all(isinstance(c, str) for c in column_names):
            raise _error(
                path,
                "header-less CSV files need their column names",
                "csv.column_names",
                expected='a list of names, e.g. ["Fp1", "Fp2", "ECG"]',
                found=repr(column_names),
            )
        column_names = tuple(column_names)
    representation = raw.get("representation")
    representation_given = representation is not None
    if representation_given and representation not in REPRESENTATIONS:
        raise _error(
            path,
            "unknown representation",
            "representation",
            expected=f"one of {list(REPRESENTATIONS)} (or no key: chosen from the signal types)",
            found=repr(representation),
        )
    flags = {}
    for key in ("allow_paths_outside", "skip_nonfinite_trials"):
        flags[key] = raw.get(key, False)
        if not isinstance(flags[key], bool):
            raise _error(path, "must be true or false", key, found=repr(flags[key]))
    units_raw = raw.get("units", {}) or {}
    if (
        not isinstance(units_raw, dict)
        or set(units_raw) - set(types)
        or not all(isinstance(v, str) for v in units_raw.values())
    ):
        raise _error(
            path,
            "must map declared types to unit names",
            "units",
            expected=f'e.g. {{"acc": "g"}} for types {list(types)}',
            found=repr(units_raw),
        )
    units = {kind: units_raw.get(kind, DEFAULT_UNITS.get(kind)) for kind in types}

    if not representation_given:
        representation = auto_representation(types, sfreq, window_s)
    elif representation != "raw" and "eeg" in types:
        error = _eeg_features_problem(sfreq, window_s)
        if error is not None:
            raise _error(
                path,
                "EEG features (five bands up to 50 Hz) cannot be computed",
                "representation",
                expected="EEG above 100 Hz and windows of at least 1 s",
                found=f"eeg at {sfreq['eeg']:g} Hz, window_s={window_s:g} ({error})",
            )

    # Paths: inside the JSON's folder (symlinks resolved) unless explicitly allowed.
    folder = path.parent
    allow = flags["allow_paths_outside"]
    for key in ("root", "labels_file"):
        if key in raw and not isinstance(raw[key], str):
            raise _error(path, "must be a path (string)", key, found=repr(raw[key]))
    recordings_root = _inside(
        path, (folder / raw.get("root", ".")).resolve(), folder, "root", allow
    )
    if not recordings_root.is_dir():
        raise _error(path, "recordings folder not found", "root", found=str(recordings_root))
    labels_file = _inside(
        path, (folder / raw["labels_file"]).resolve(), folder, "labels_file", allow
    )
    return DatasetSpec(
        path=path,
        recordings_root=recordings_root,
        name=str(raw.get("name", "default")),
        description=str(raw.get("description", "")),
        file_pattern=pattern,
        file_format=file_format,
        channels=tuple(parsed),
        sfreq=sfreq,
        file_sfreq=file_sfreq,
        resample=resample,
        labels_file=labels_file,
        label_columns=tuple(columns),
        label=label,
        window_s=window_s,
        step_s=step_s,
        csv_time_column=csv_options.get("time_column"),
        csv_separator=csv_options.get("separator", ","),
        csv_column_names=column_names,
        npz_data_key=npz_options.get("data_key", "data"),
        npz_channels_key=npz_options.get("channels_key", "ch_names"),
        npz_sfreq_key=npz_options.get("sfreq_key", "sfreq"),
        file_patterns=patterns,
        file_formats=formats,
        native_sfreq=native,
        representation=representation,
        representation_given=representation_given,
        units=units,
        allow_paths_outside=allow,
        skip_nonfinite_trials=flags["skip_nonfinite_trials"],
    )


def _eeg_features_problem(sfreq, window_s):
    """Why EEG features cannot be computed at this rate and window (``None``: they can)."""
    from amigos_emo.signal.spectral import band_matrix

    try:
        band_matrix(int(round(window_s * sfreq["eeg"])), sfreq["eeg"])
    except ValueError as error:
        return error
    return None


def auto_representation(types, sfreq, window_s):
    """The representation of a JSON without the key: ``"raw+features"`` for a study with a
    :data:`PHYSIOLOGY_TYPES` signal, windows of at least :data:`FEATURE_MIN_WINDOW_S` and no EEG
    too slow for its band features; ``"raw"`` otherwise (short windows would lose the windows
    whose heart rate or SCRs are undefined)."""
    if not set(types) & set(PHYSIOLOGY_TYPES) or window_s < FEATURE_MIN_WINDOW_S:
        return "raw"
    if "eeg" in types and _eeg_features_problem(sfreq, window_s) is not None:
        return "raw"
    return "raw+features"


def pattern_regex(file_pattern):
    """The regex matching relative POSIX paths of ``file_pattern``.

    Each field becomes a group of digits (leading zeros allowed and ignored); a field that
    appears twice must carry the same number both times.
    """
    parts = re.split(r"(\{subject\}|\{session\}|\{trial\})", file_pattern)
    seen = set()
    pieces = []
    for part in parts:
        if part in ("{subject}", "{session}", "{trial}"):
            field = part[1:-1]
            # A repeated field must repeat the same number (sub-01/sub-01_trial-1.edf).
            pieces.append(f"0*(?P={field})" if field in seen else f"0*(?P<{field}>\\d+)")
            seen.add(field)
        else:
            pieces.append(re.escape(part))
    return re.compile(f"^{''.join(pieces)}$")


def _find_one(spec, pattern, field):
    regex = pattern_regex(pattern)
    found = {}
    for path in sorted(spec.root.rglob("*")):
        if not path.is_file():
            continue
        match = regex.match(path.relative_to(spec.root).as_posix())
        if not match:
            continue
        # A symlinked recording must not lead out of the study folder either.
        _inside(spec.path, path.resolve(), spec.folder, field, spec.allow_paths_outside)
        ids = (
            int(match.group("subject")),
            int(match.group("session")) if spec.has_session else 1,
            None if spec.continuous else int(match.group("trial")),
        )
        if ids in found:
            what = "subject/session" if spec.continuous else "subject/session/trial"
            raise _error(
                path,
                f"two recordings for the same {what}",
                field,
                expected=f"one file per ({what.replace('/', ', ')})",
                found=f"{found[ids]} and {path}",
            )
        found[ids] = path
    if not found:
        raise _error(
            spec.root,
            "no recording matches the file pattern (searched recursively)",
            field,
            expected=f"files like {pattern!r} below {spec.root}",
            hint=f"Check {spec.path.name}.",
        )
    return found


def find_recordings(spec):
    """Recording files under ``spec.root`` matching ``spec.file_pattern`` (or every pattern).

    Returns:
        dict ``(subject, session, trial) -> path`` in numeric order (session 1 when the pattern
        has no ``{session}``; trial ``None`` when it has no ``{trial}``: a continuous recording);
        with several patterns (one file per modality) the values are tuples of paths, one per
        pattern in the JSON's order.

    Raises:
        CorpusFormatError: no file matches, two files give the same ids (``s1`` and ``s01``), a
            trial lacks one of its files, or a file (symlinks resolved) lies outside the study
            folder without ``allow_paths_outside``.
    """
    patterns = spec.file_patterns or {"main": spec.file_pattern}
    if len(patterns) == 1:
        return dict(sorted(_find_one(spec, spec.file_pattern, "file_pattern").items()))
    per_key = {
        key: _find_one(spec, pattern, f"file_pattern.{key}") for key, pattern in patterns.items()
    }
    every = sorted(set().union(*per_key.values()))
    for key, found in per_key.items():
        lacking = [ids for ids in every if ids not in found]
        if lacking:
            what = "recording(s)" if spec.continuous else "trial(s)"
            raise _error(
                spec.root,
                f"{len(lacking)} {what} lack their {key} file",
                f"file_pattern.{key}",
                expected=f"a file like {patterns[key]!r} for every {what[:-3]}",
                found=f"none for {describe_ids(lacking[0])}",
            )
    return {ids: tuple(per_key[key][ids] for key in patterns) for ids in every}


def describe_ids(ids):
    """``"subject 3, session 1, trial 2"`` (no trial for a continuous recording's ids)."""
    subject, session, trial = ids
    return f"subject {subject}, session {session}" + ("" if trial is None else f", trial {trial}")


def load_labels(spec):
    """Read the labels CSV.

    Returns:
        dict ``(subject, session, trial) -> {column: value}`` with categorical values as class
        indices (int, or ``None`` when empty) and continuous values as floats (NaN when empty).
        When the CSV has ``start_s`` and ``end_s`` columns (required for continuous recordings,
        :attr:`DatasetSpec.continuous`), each row's dict also holds them: the trial is that
        segment of its recording, in seconds from the recording's first sample.

    Raises:
        CorpusFormatError: missing file or columns, non-integer ids, duplicate rows, a
            categorical value that is not one of the declared classes, or a segment that is
            not ``0 <= start_s < end_s``.
    """
    import pandas as pd

    path = spec.labels_file
    if not path.is_file():
        raise _error(
            path, "labels file not found", "labels_file", hint=f"It is named in {spec.path}."
        )
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
    except Exception as error:
        raise _error(
            path, "could not be read as CSV", None, found=f"{type(error).__name__}: {error}"
        ) from error
    table.columns = [str(c).strip() for c in table.columns]
    needed = (
        ["subject", "trial"]
        + (["session"] if spec.has_session else [])
        + [c.name for c in spec.label_columns]
    )
    segments = any(c in table.columns for c in SEGMENT_FIELDS) or spec.continuous
    if segments:
        needed += list(SEGMENT_FIELDS)
    missing = [c for c in needed if c not in table.columns]
    if missing:
        raise _error(
            path,
            f"missing column(s) {', '.join(missing)}",
            None,
            expected=f"columns {', '.join(needed)}",
            found=f"columns {', '.join(table.columns)}",
            hint=(
                f"The file pattern {spec.file_pattern!r} has no {{trial}}, so each recording is "
                "continuous and each row cuts one trial out of it with start_s and end_s (seconds)."
                if spec.continuous and any(c in missing for c in SEGMENT_FIELDS)
                else None
            ),
        )
    rows = {}
    for line, record in enumerate(table.to_dict(orient="records"), start=2):
        ids = []
        for field in ID_FIELDS:
            if field == "session" and not spec.has_session:
                value = record.get("session", "1") or "1"
            else:
                value = record[field]
            try:
                number = int(str(value).strip())
            except ValueError:
                raise _error(
                    path, f"row {line}: {field} must be an integer", field, found=repr(value)
                ) from None
            ids.append(number)
        ids = tuple(ids)
        if ids in rows:
            raise _error(
                path,
                f"row {line}: duplicate row for subject {ids[0]}, session {ids[1]}, trial {ids[2]}",
                None,
                expected="one row per (subject, session, trial)",
            )
        values = {}
        for column in spec.label_columns:
            text = str(record[column.name]).strip()
            if column.categorical:
                if text == "" or text.lower() == "nan":
                    values[column.name] = None
                elif text in column.classes:
                    values[column.name] = column.classes.index(text)
                else:
                    raise _error(
                        path,
                        f"row {line}: unknown class",
                        column.name,
                        expected=f"one of {list(column.classes)}",
                        found=repr(text),
                    )
            else:
                try:
                    values[column.name] = float(text) if text else math.nan
                except ValueError:
                    raise _error(
                        path, f"row {line}: not a number", column.name, found=repr(text)
                    ) from None
                if column.value_range is not None and text:
                    from amigos_emo.io.integrity import check_scale

                    check_scale(
                        values[column.name],
                        column.value_range,
                        path,
                        field=f"{column.name} (row {line})",
                        names=(column.name,),
                    )
        if segments:
            values.update(_segment(record, line, path))
        rows[ids] = values
    if spec.continuous:
        _warn_overlaps(rows, path)
    return rows


def segments_from_label_track(track, sfreq, ignore=()):
    """The runs of a per-sample label track as labels-CSV segments (section 8a of the README).

    Many studies store the condition as a label per sample (a marker channel, a label array at
    the recorder's rate) rather than as start and end times. This turns such a track into one
    row per run of equal values, ready to be written beside ``subject`` and ``trial``.

    Args:
        track: 1-D array of labels, one per sample (numbers or strings).
        sfreq: the track's sampling rate in Hz.
        ignore: values that mark no condition (e.g. ``0`` for "not defined"); their runs are
            left out.

    Returns:
        list of ``(start_s, end_s, value)`` in time order, ``end_s`` exclusive: sample ``i``
        covers ``[i / sfreq, (i + 1) / sfreq)``.

    Raises:
        ValueError: ``track`` is not 1-D or ``sfreq`` is not positive.
    """
    import numpy as np

    track = np.asarray(track)
    if track.ndim != 1:
        raise ValueError(f"track must be 1-D (one label per sample). Received: shape {track.shape}")
    if not (isinstance(sfreq, (int, float)) and math.isfinite(sfreq) and sfreq > 0):
        raise ValueError(f"sfreq must be a positive number of Hz. Received: sfreq={sfreq!r}")
    if not len(track):
        return []
    edges = np.flatnonzero(track[1:] != track[:-1]) + 1
    starts = np.concatenate([[0], edges])
    ends = np.concatenate([edges, [len(track)]])
    ignored = set(ignore)
    return [
        (float(start / sfreq), float(end / sfreq), track[start].item())
        for start, end in zip(starts, ends, strict=True)
        if track[start].item() not in ignored
    ]


def _segment(record, line, path):
    """``{"start_s": float, "end_s": float}`` of one labels-CSV row, checked."""
    bounds = {}
    for field in SEGMENT_FIELDS:
        text = str(record[field]).strip()
        try:
            bounds[field] = float(text)
        except ValueError:
            raise _error(
                path,
                f"row {line}: not a number",
                field,
                expected="seconds from the recording's first sample",
                found=repr(text),
            ) from None
        if not math.isfinite(bounds[field]):
            raise _error(path, f"row {line}: not a finite number", field, found=repr(text))
    if not 0 <= bounds["start_s"] < bounds["end_s"]:
        raise _error(
            path,
            f"row {line}: the segment is empty or starts before the recording",
            "start_s/end_s",
            expected="0 <= start_s < end_s",
            found=f"start_s={bounds['start_s']:g}, end_s={bounds['end_s']:g}",
        )
    return bounds


def _warn_overlaps(rows, path):
    """Log the trials whose segments overlap another of the same recording (a typo, usually)."""
    by_recording = {}
    for (subject, session, trial), values in rows.items():
        by_recording.setdefault((subject, session), []).append(
            (values["start_s"], values["end_s"], trial)
        )
    overlaps = []
    for (subject, session), segments in by_recording.items():
        segments.sort()
        latest_end, latest = -math.inf, None  # the segment reaching furthest so far
        for start, end, trial in segments:
            if start < latest_end:
                overlaps.append(
                    f"subject {subject}, session {session}: trials {latest} and {trial}"
                )
            if end > latest_end:
                latest_end, latest = end, trial
    if overlaps:
        logger.warning(
            "%s: %d pair(s) of segments overlap in time (their windows share samples), e.g. %s",
            path,
            len(overlaps),
            "; ".join(overlaps[:3]),
        )
