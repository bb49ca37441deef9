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
                                               # anything else names a feature config whose
                                               # features ``predict`` must compute the same way
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
      "extra": {}                              # corpus-specific facts, free form
    }
"""

from __future__ import annotations

import dataclasses
import json
import os

FORMAT_VERSION = 1
FILE_NAME = "preprocessing.json"
LAYOUTS = ("time_channels", "channels_time")


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
    extra: dict = dataclasses.field(default_factory=dict)

    def __post_init__(self):
        self.signals = {
            name: value if isinstance(value, SignalSpec) else SignalSpec(**value)
            for name, value in self.signals.items()
        }

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
