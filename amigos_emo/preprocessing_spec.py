"""What a trained model expects of a recording: the contract between builders, training,
``predict``, ``evaluate`` and ``stream``.

A builder describes how it turns a recording into examples (:class:`PreprocessingSpec`, from its
``preprocessing_spec()`` method); the training run adds the target it trained and writes the
result as ``preprocessing.json`` beside every ``best.keras``. Whoever later feeds the model a new
recording reads that file instead of guessing (no corpus tables, no sampling rate recovered from
a run folder).

Schema of ``preprocessing.json`` (all times in seconds, rates in Hz)::

    {
      "format": 1,
      "dataset": "amigos/synthetic",            # --dataset NAME/CONFIG that trained it
      "builder_version": "1.1.0",
      "representation": "raw",                 # "raw": model inputs are windows of signals;
                                               # "raw+features": those and the feature vector
                                               # of each window (custom builder); anything else
                                               # names a feature config whose features
                                               # ``predict`` must compute the same way
      "window_s": 4.0, "step_s": 4.0,
      "signals": {                             # one entry per model input fed from a signal
        "eeg": {"type": "eeg", "channels": ["AF3", ...], "sfreq_hz": 128.0, "unit": "uV",
                "layout": "time_channels"},    # per-example array (n_times, n_chans);
                                               # "channels_time": (n_chans, n_times)
        ...
      },
      "baseline": {"seconds": 5.0, "template_s": 1.0, "applies_to": ["eeg"],
                   "kind": "subtract_template"}   # or null: no baseline handling
      "targets": {"label": {"source": "label_binary", "kind": "binary",
                            "class_names": ["not happy", "happy"]}},
      "normalisation_axes": {"eeg": [0], "stft": [1], "adjacency": null},
                                               # per feature the builder writes: the per-example
                                               # axes pooled into one mean/std (the others keep
                                               # their own), [] per element, null not normalised
      "input_normalisation": "train",          # "subject" (--normalise subject, TRANSDUCTIVE):
                                               # each person's windows were standardised with
                                               # their own mean/std before the model's train-
                                               # fitted normalisation; predict does the same
                                               # over the windows of the recording it is given
      "extra": {}                              # corpus-specific facts, free form
    }

``normalisation_axes`` is declared by the builder (``NORMALISATION_AXES`` beside it) and is what
the trainer fits its statistics with. Files written before the field existed lack it; for them
:meth:`PreprocessingSpec.axes_of` falls back to :data:`LEGACY_NORMALISATION_AXES`, the table the
trainer used then, so those runs keep loading with the axes they were trained with.
"""

from __future__ import annotations

import dataclasses
import json
import os

FORMAT_VERSION = 1
FILE_NAME = "preprocessing.json"
LAYOUTS = ("time_channels", "channels_time")

# The axes the trainer used before builders declared theirs (by feature name, anything else:
# per channel for rank >= 2, per element below). Only for reading records written then
# (``preprocessing.json`` without ``normalisation_axes``); new runs take the builder's declaration.
LEGACY_NORMALISATION_AXES = {
    "eeg": (0,),
    "ecg": (0,),
    "gsr": (0,),
    "peripheral": (0,),
    "de": (0,),
    "stft": (1,),
    "features": (),
    "node_features": (2,),
    "eeg_grid": (0,),
    "adjacency": None,
}


def legacy_normalisation_axes(name, rank):
    """Axes the trainer pooled for input ``name`` of per-example rank ``rank`` before builders
    declared them (see :data:`LEGACY_NORMALISATION_AXES`)."""
    if name in LEGACY_NORMALISATION_AXES:
        return LEGACY_NORMALISATION_AXES[name]
    return (0,) if rank >= 2 else ()


def axes_from_json(value):
    """``[0]`` / ``[]`` / ``None`` from JSON -> ``(0,)`` / ``()`` / ``None``."""
    return None if value is None else tuple(int(a) for a in value)


@dataclasses.dataclass
class SignalSpec:
    """One model input fed from a signal type.

    Attributes:
        type: the signal type (``eeg``, ``ecg``, ``gsr``, ``bvp``, ``acc``, ...).
        channels: channel names in the order of the model input's channel axis.
        sfreq_hz: the rate the model input is sampled at.
        unit: physical unit of the stored samples (``"uV"`` for EEG), or ``None``.
        layout: ``"time_channels"`` (per-example ``(n_times, n_chans)``) or ``"channels_time"``.
    """

    type: str
    channels: list
    sfreq_hz: float
    unit: str | None = None
    layout: str = "time_channels"

    def __post_init__(self):
        if self.layout not in LAYOUTS:
            raise ValueError(f"layout must be one of {LAYOUTS}. Received: layout={self.layout!r}")
        self.channels = list(self.channels)
        self.sfreq_hz = float(self.sfreq_hz)


@dataclasses.dataclass
class PreprocessingSpec:
    """How a recording becomes a model's inputs (see the module docstring for the JSON)."""

    dataset: str
    builder_version: str
    window_s: float
    step_s: float
    signals: dict
    representation: str = "raw"
    baseline: dict | None = None
    targets: dict = dataclasses.field(default_factory=dict)
    normalisation_axes: dict | None = None
    input_normalisation: str = "train"
    extra: dict = dataclasses.field(default_factory=dict)

    def __post_init__(self):
        self.signals = {
            name: value if isinstance(value, SignalSpec) else SignalSpec(**value)
            for name, value in self.signals.items()
        }
        if self.normalisation_axes is not None:
            self.normalisation_axes = {
                name: axes_from_json(axes) for name, axes in self.normalisation_axes.items()
            }

    @property
    def feature_input(self):
        """The input fed with the per-window feature vector (``extra["features"]["input"]``,
        default ``"features"``), or ``None`` when the representation computes none."""
        settings = (self.extra or {}).get("features")
        return settings.get("input", "features") if settings else None

    def axes_of(self, name, rank):
        """The normalisation axes recorded for input ``name`` (per-example rank ``rank``).

        A record written before builders declared their axes (``normalisation_axes`` absent)
        gets the axes the trainer used then (:func:`legacy_normalisation_axes`).

        Raises:
            KeyError: the record has axes, but none for ``name``.
        """
        if self.normalisation_axes is None:
            return legacy_normalisation_axes(name, rank)
        if name not in self.normalisation_axes:
            raise KeyError(
                f"{self.dataset}: no normalisation axes recorded for {name!r}; recorded: "
                f"{', '.join(sorted(self.normalisation_axes)) or 'none'}"
            )
        return self.normalisation_axes[name]

    def to_json(self):
        payload = dataclasses.asdict(self)
        payload["format"] = FORMAT_VERSION
        return payload

    @classmethod
    def from_json(cls, payload, path="preprocessing.json"):
        payload = dict(payload)
        version = payload.pop("format", None)
        if version != FORMAT_VERSION:
            raise ValueError(
                f"{path}: format must be {FORMAT_VERSION}. Received: format={version!r} "
                "(written by another version of amigos-emo)."
            )
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(payload) - known)
        if unknown:
            raise ValueError(
                f"{path}: unknown key(s) {', '.join(unknown)}; expected only {', '.join(sorted(known))}."
            )
        return cls(**payload)

    def with_targets(self, specs):
        """A copy with ``targets`` taken from the run's :class:`~amigos_emo.training.tasks.TargetSpec` list."""
        targets = {
            s.name: {
                "source": s.source,
                "kind": s.kind,
                "class_names": list(s.class_names) if s.class_names else None,
            }
            for s in specs
        }
        return dataclasses.replace(self, targets=targets)


def write(spec, folder):
    """Write ``spec`` as ``folder/preprocessing.json`` (atomically); returns the path."""
    path = os.path.join(folder, FILE_NAME)
    tmp = f"{path}.tmp.{os.getpid()}"
    with open(tmp, "w") as handle:
        json.dump(spec.to_json(), handle, indent=2)
    os.replace(tmp, path)
    return path


def read(model_path):
    """The :class:`PreprocessingSpec` stored beside a model file (or in a fold folder).

    Raises:
        FileNotFoundError: no ``preprocessing.json`` there, with what to do about it.
    """
    folder = (
        model_path
        if os.path.isdir(model_path) and not model_path.endswith(".keras")
        else os.path.dirname(os.path.abspath(model_path))
    )
    path = os.path.join(folder, FILE_NAME)
    if not os.path.exists(path):
        raise FileNotFoundError(
            f"{path} is missing: the model at {model_path} carries no preprocessing spec. Models trained by "
            "this version of amigos_emo.train write it beside best.keras; retrain, or pass the recording "
            "layout explicitly."
        )
    with open(path) as handle:
        return PreprocessingSpec.from_json(json.load(handle), path=path)
