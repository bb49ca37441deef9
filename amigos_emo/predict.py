"""``python -m amigos_emo.predict``: run any trained model over a recording, window by window.

The model is a run's ``best.keras`` (loaded with ``safe_mode=True``: a file whose config names a
Lambda layer or any callable that is not a registered Keras/amigos_emo object is refused) or,
only with ``--allow-savedmodel``, its exported ``saved_model/`` directory. What the model expects
of a recording is read from the ``preprocessing.json`` beside it
(:mod:`amigos_emo.preprocessing_spec`, written by the training run): the signals (channel names,
rate, layout), the window and step, the baseline handling and the representation. There are no
corpus defaults: a model without ``preprocessing.json`` is an error that says so.

The recording (EDF, CSV, NPZ or Empatica E4 CSV; :mod:`amigos_emo.io.recordings`, the reader the ``custom`` builder
uses too) is matched to the model's signals by channel name (case, spaces and ``EEG``/``ECG``
prefixes ignored), each type is resampled to the model's rate, checked for NaN/inf, and cut into
windows exactly like the builder cut the training data. For ``"representation": "features"`` and
``"raw+features"`` of the ``custom`` builder the per-window features are computed by the same
function the builder uses (:func:`amigos_emo.signal.physio.window_features`); other feature
representations are refused.

Example::

    python -m amigos_emo.predict --model runs/RUN/fold_00/best.keras --recording session.edf \\
        --csv predictions.csv
    # one file per modality of the same trial (channels found by name across them)
    python -m amigos_emo.predict --model runs/RUN/fold_00/best.keras \\
        --recording S01_trial1_BVP.csv S01_trial1_EDA.csv S01_trial1_TEMP.csv S01_trial1_ACC.csv

Recording formats:

- EDF/BDF (``.edf``, ``.bdf``): channel labels and the rate come from the header; channels MNE
  reads in volts are returned in microvolts. A file shorter than its header says is an error.
- CSV (``.csv``, ``.tsv``, ``.txt``): one column per channel, one row per sample; a first row of
  names (else pass ``--channels``); a ``time``/``time_s``/``timestamp`` column (seconds) gives the
  rate when ``--sfreq`` is not passed.
- NPZ (``.npz``): ``data`` ``(n_times, n_chans)`` with ``ch_names`` and ``sfreq``, or one array per
  modality ``NAME`` with ``NAME_sfreq`` and ``NAME_ch_names`` (each at its own rate).
- Empatica E4 CSV (``--format e4``; the default for ``.csv`` files when the model was trained on
  E4 files): ``BVP.csv``, ``EDA.csv``, ``TEMP.csv``, ``ACC.csv`` of one session, given together;
  channels are named after the files (``ACC_X``/``ACC_Y``/``ACC_Z``), ACC comes back in g, and
  the files are aligned on the start times in their first rows.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys

import numpy as np

from amigos_emo._logging import logger
from amigos_emo.io import recordings
from amigos_emo.io.integrity import finite_float32
from amigos_emo.training.modeling import UnsafeModelError

FEATURE_FUNCTION = "amigos_emo.signal.physio.window_features"
# Representations whose feature vector predict computes with FEATURE_FUNCTION.
FEATURE_REPRESENTATIONS = ("features", "raw+features")


class ModelLoadError(UnsafeModelError):
    """A model file that cannot be loaded safely (or at all)."""


# --- The model --------------------------------------------------------------------------------


@dataclasses.dataclass
class TrainedModel:
    """A loaded ``.keras`` file or SavedModel, seen through what prediction needs.

    Attributes:
        path: where it was loaded from.
        name: the Keras model name (``<registry name>_trained``), or ``None`` for a SavedModel.
        input_shapes: input name -> per-example shape (no batch axis), e.g. ``(512, 14)``.
        output_names: output (head) names, sorted.
        keras_model: the ``keras.Model`` (``.keras`` files), else ``None``.
        serve: the SavedModel's ``serve`` endpoint (SavedModels), else ``None``.
        saved_model: the loaded SavedModel object (kept alive: ``serve`` uses its variables).
    """

    path: str
    name: str | None
    input_shapes: dict
    output_names: tuple
    keras_model: object = None
    serve: object = None
    saved_model: object = None

    def predict(self, inputs, batch_size=256):
        """Per-head predictions for a dict of batched inputs.

        Args:
            inputs: input name -> float32 array ``(n_windows, *input_shape)``.
            batch_size: windows per forward pass.

        Returns:
            dict head -> float32 array ``(n_windows, n_units)``.
        """
        n = len(next(iter(inputs.values())))
        parts = {name: [] for name in self.output_names}
        for start in range(0, n, batch_size):
            batch = {
                k: np.asarray(v[start : start + batch_size], np.float32) for k, v in inputs.items()
            }
            if self.keras_model is None:
                result = self.serve(batch)
            elif len(batch) == 1 and not isinstance(self.keras_model.input, dict):
                result = self.keras_model.predict_on_batch(
                    next(iter(batch.values()))
                )  # one plain input
            else:
                result = self.keras_model.predict_on_batch(batch)
            size = len(next(iter(batch.values())))
            for name in self.output_names:
                parts[name].append(np.asarray(result[name], np.float32).reshape(size, -1))
        return {
            name: (np.concatenate(v) if v else np.empty((0, 1), np.float32))
            for name, v in parts.items()
        }


def _spec_model_name(path):
    """The run's ``--model`` from preprocessing.json (``MODULE:NAME`` models import their module)."""
    try:
        return read_model_spec(path).extra.get("model")
    except (FileNotFoundError, ValueError):
        return None


def load_for_prediction(path, allow_savedmodel=False):
    """Load a run's ``best.keras`` safely, or (when allowed) an exported SavedModel directory.

    Args:
        path: a ``.keras`` file, or a directory holding ``saved_model.pb``.
        allow_savedmodel: accept a SavedModel. Loading one executes the TensorFlow graph stored
            in it, so only do so for files you trust.

    Returns:
        a :class:`TrainedModel`.

    Raises:
        FileNotFoundError: nothing at ``path``, or a directory that is not a SavedModel.
        ModelLoadError: a SavedModel without ``allow_savedmodel``; a ``.keras`` file that safe
            mode refuses (Lambda layers, unregistered callables such as ``os.system``) or that
            cannot be read.
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(
            f"--model {path}: no such file or directory (expected a best.keras file)."
        )
    if os.path.isdir(path):
        if not os.path.exists(os.path.join(path, "saved_model.pb")):
            raise FileNotFoundError(
                f"--model {path}: the directory holds no saved_model.pb. Pass a fold's best.keras file "
                "(e.g. runs/RUN/fold_00/best.keras)."
            )
        if not allow_savedmodel:
            raise ModelLoadError(
                f"--model {path} is a SavedModel: loading it executes the TensorFlow graph stored in it. Pass the "
                "fold's best.keras (loaded in safe mode), or add --allow-savedmodel if you trust the file."
            )
        import tensorflow as tf

        try:
            loaded = tf.saved_model.load(path)
            signature = loaded.signatures["serving_default"]
        except Exception as error:
            raise ModelLoadError(
                f"--model {path}: could not load the SavedModel ({type(error).__name__}: {error})."
            ) from None
        _, input_specs = signature.structured_input_signature
        return TrainedModel(
            path=path,
            name=None,
            input_shapes={name: tuple(spec.shape[1:]) for name, spec in input_specs.items()},
            output_names=tuple(sorted(signature.structured_outputs)),
            serve=loaded.serve,
            saved_model=loaded,
        )
    if not path.endswith(".keras"):
        raise ModelLoadError(
            f"--model {path}: expected a .keras file (a run's fold_XX/best.keras)."
        )
    import keras

    from amigos_emo.training import modeling

    try:
        model = modeling.load_trained_model(path, compile=False, model_name=_spec_model_name(path))
    except modeling.UnsafeModelError as error:
        raise ModelLoadError(f"--model {error}") from None
    if not isinstance(model, keras.Model):
        raise ModelLoadError(f"--model {path}: holds a {type(model).__name__}, not a Keras model.")
    return TrainedModel(
        path=path,
        name=model.name,
        input_shapes={t.name.split(":")[0]: tuple(t.shape[1:]) for t in model.inputs},
        output_names=tuple(sorted(model.output_names)),
        keras_model=model,
    )


def read_model_spec(model_path):
    """The :class:`~amigos_emo.preprocessing_spec.PreprocessingSpec` stored beside a model.

    ``preprocessing.json`` sits beside ``best.keras`` (and, for a ``saved_model/`` directory, in
    its fold folder).

    Raises:
        FileNotFoundError: no ``preprocessing.json``, with what to do about it.
    """
    from amigos_emo import preprocessing_spec

    model_path = os.fspath(model_path)
    if os.path.isdir(model_path):
        parent = os.path.dirname(os.path.abspath(model_path.rstrip(os.sep)))
        for folder in (model_path, parent):
            if os.path.exists(os.path.join(folder, preprocessing_spec.FILE_NAME)):
                return preprocessing_spec.read(os.path.join(folder, "best.keras"))
    try:
        return preprocessing_spec.read(model_path)
    except FileNotFoundError as error:
        raise FileNotFoundError(
            f"{error} predict needs it to know the model's channels, rates, windows and baseline; it guesses "
            "none of them."
        ) from None


# --- Recording -> model inputs ----------------------------------------------------------------


def _signal_inputs(model, spec, besides=()):
    """The spec's signals that are model inputs; an error for a model input the spec lacks
    (apart from the inputs in ``besides``, e.g. the feature vector of "raw+features")."""
    missing = [
        name for name in model.input_shapes if name not in spec.signals and name not in besides
    ]
    if missing:
        raise ValueError(
            f"Model {model.path} has input(s) {', '.join(missing)} that preprocessing.json does not describe "
            f"(it lists signals {', '.join(spec.signals) or 'none'})."
        )
    return {name: spec.signals[name] for name in model.input_shapes if name not in besides}


def _feature_settings(spec):
    settings = (spec.extra or {}).get("features") or {}
    if (
        spec.representation not in FEATURE_REPRESENTATIONS
        or settings.get("function") != FEATURE_FUNCTION
    ):
        raise ValueError(
            f"The model was trained on representation {spec.representation!r} of {spec.dataset}; predict "
            "computes raw signal windows and the custom builder's 'features' only. Build that representation "
            "with the dataset builder and score it with python -m amigos_emo.evaluate."
        )
    return settings


def prepare_inputs(model, spec, recording, step_s=None, segment=None):
    """Model inputs from a recording, windowed like the builder (module docstring).

    Args:
        model: a :class:`TrainedModel`.
        spec: its :class:`~amigos_emo.preprocessing_spec.PreprocessingSpec`.
        recording: a :class:`amigos_emo.io.recordings.Recording`.
        step_s: hop between windows in seconds (default: the spec's step).
        segment: ``(start_s, end_s)`` to predict only those seconds of the recording (``end_s``
            ``None``: to its end), cut as the custom builder cuts a trial out of a continuous
            recording (:func:`amigos_emo.io.recordings.cut_segment`); default: all of it.

    Returns:
        ``(inputs, starts_s, valid)``: input name -> float32 ``(n_windows, *input_shape)`` for the
        windows that can be predicted, every window's start in seconds from the recording's
        start, and a bool mask of the windows in ``inputs`` (features that are not finite leave
        a window out).

    Raises:
        ValueError: missing channels, NaN/inf samples, a recording shorter than one window, a
            segment outside the recording, an input shape that differs from the model's, an
            unsupported representation.
    """
    from amigos_emo.signal.physio import window_features

    step_s = float(spec.step_s if step_s is None else step_s)
    if step_s <= 0:
        raise ValueError(f"step_s must be > 0. Received: step_s={step_s}")
    if spec.representation == "raw":
        signals = _signal_inputs(model, spec)
    else:  # the features need every signal the builder read
        settings = _feature_settings(spec)
        signals = dict(spec.signals)
        input_name = spec.feature_input
        if spec.representation == "raw+features":
            _signal_inputs(model, spec, besides=(input_name,))
    wanted = {name: list(s.channels) for name, s in signals.items()}
    rates = {name: s.sfreq_hz for name, s in signals.items()}
    data = recordings.signals_at(
        recording, wanted, rates, loose=True, field="channels", trial="recording"
    )
    offset_s = 0.0
    if segment is not None:
        offset_s = float(segment[0])
        length_s = recordings.duration_s(data, rates)
        end_s = length_s if segment[1] is None else float(segment[1])
        # One sample of the slowest type is rounding, as in the builder.
        if end_s > length_s + 1.0 / min(rates.values()):
            raise ValueError(
                f"{recording.path} is {length_s:.2f} s long; --end-s {end_s:g} is after its end."
            )
        if not 0 <= offset_s < min(end_s, length_s):
            raise ValueError(
                f"{recording.path} is {length_s:.2f} s long; --start-s {offset_s:g} --end-s "
                f"{'(the end)' if segment[1] is None else f'{end_s:g}'} is not a stretch of it."
            )
        data = recordings.cut_segment(data, rates, offset_s, segment[1])
    windows, starts_s = recordings.cut_windows(
        data, rates, spec.window_s, step_s, baseline=spec.baseline, path=recording.path
    )
    starts_s = starts_s + offset_s
    if not len(starts_s):
        duration = min(len(x) / rates[name] for name, x in data.items())
        baseline_s = float(spec.baseline["seconds"]) if spec.baseline else 0.0
        raise ValueError(
            f"{recording.path} is {duration:.2f} s long; one window needs {baseline_s:g} s of baseline + "
            f"{spec.window_s:g} s."
        )
    inputs = {}
    if spec.representation != "features":
        for name, signal in signals.items():
            if name not in model.input_shapes:
                continue
            x = windows[name]
            if signal.layout == "channels_time":
                x = np.swapaxes(x, 1, 2)
            expected = tuple(model.input_shapes[name])
            if any(e is not None and e != f for e, f in zip(expected, x.shape[1:], strict=True)):
                raise ValueError(
                    f"preprocessing.json gives {name} windows of shape {x.shape[1:]}, but model {model.path} takes "
                    f"{expected}: the spec does not belong to this model."
                )
            inputs[name] = finite_float32(x, recording.path, field="windows", modality=name)
    if spec.representation == "raw":
        return inputs, starts_s, np.ones(len(starts_s), bool)
    names = list(settings.get("names") or [])
    values = window_features(data, rates, starts_s - offset_s, spec.window_s, wanted)
    if names and values.shape[1] != len(names):
        raise ValueError(
            f"Computed {values.shape[1]} features but preprocessing.json names {len(names)}."
        )
    expected = tuple(model.input_shapes.get(input_name, ()))
    if expected != (values.shape[1],) and expected[:1] != (None,):
        raise ValueError(
            f"Model {model.path} input {input_name!r} has shape {expected}, features give ({values.shape[1]},)."
        )
    with np.errstate(over="ignore", invalid="ignore"):
        values = values.astype(np.float32)
    valid = np.all(np.isfinite(values), axis=1)
    if not valid.all():
        logger.warning(
            "%s: %d of %d window(s) have features that are not finite (fewer than 3 beats, a failed detector); "
            "their predictions are NaN",
            recording.path,
            int((~valid).sum()),
            len(valid),
        )
    inputs = {name: x[valid] for name, x in inputs.items()}
    inputs[input_name] = values[valid]
    return inputs, starts_s, valid


def predict_recording(model, recording, spec=None, step_s=None, batch_size=256, segment=None):
    """Per-window predictions of ``model`` on ``recording``.

    Args:
        model: a :class:`TrainedModel` or a ``.keras`` path.
        recording: a :class:`amigos_emo.io.recordings.Recording` or a recording path.
        spec: the model's preprocessing spec (default: its ``preprocessing.json``).
        step_s: hop between windows in seconds (default: the spec's step).
        batch_size: windows per forward pass.
        segment: ``(start_s, end_s)``: only those seconds (:func:`prepare_inputs`).

    Returns:
        dict with ``start_s`` (float64 ``(n_windows,)``) and one float32 array per head
        ``(n_windows, n_units)`` (NaN rows for windows that could not be predicted).
    """
    if not isinstance(model, TrainedModel):
        model = load_for_prediction(model)
    if spec is None:
        spec = read_model_spec(model.path)
    if not isinstance(recording, recordings.Recording):
        recording = recordings.read_recording(recording)
    inputs, starts_s, valid = prepare_inputs(model, spec, recording, step_s=step_s, segment=segment)
    if spec.input_normalisation == "subject" and valid.any():
        from amigos_emo.training.pipeline import standardise_recording

        logger.warning(
            "%s: the model was trained with --normalise subject (TRANSDUCTIVE); the %d window(s) "
            "of this recording are standardised with their own mean/std first, so give it a "
            "recording long enough to represent the person (as in training, all of a subject's "
            "windows).",
            recording.path,
            int(valid.sum()),
        )
        inputs = standardise_recording(
            inputs, {name: spec.axes_of(name, x.ndim - 1) for name, x in inputs.items()}
        )
    outputs = (
        model.predict(inputs, batch_size=batch_size)
        if valid.any()
        else {name: np.empty((0, 1), np.float32) for name in model.output_names}
    )
    result = {"start_s": starts_s}
    for name, values in outputs.items():
        full = np.full((len(starts_s), values.shape[1]), np.nan, np.float32)
        full[valid] = values
        result[name] = full
    return result


def prediction_table(predictions, heads):
    """Columns ``start_s, head...`` (one per unit of multi-unit heads) and the value matrix."""
    columns = ["start_s"]
    values = [np.asarray(predictions["start_s"], np.float64)[:, None]]
    for head in heads:
        array = np.asarray(predictions[head])
        columns += [head] if array.shape[1] == 1 else [f"{head}_{i}" for i in range(array.shape[1])]
        values.append(array)
    return columns, np.concatenate(values, axis=1)


def build_parser():
    parser = argparse.ArgumentParser(
        prog="python -m amigos_emo.predict",
        description="Per-window predictions of a trained model on an EDF, CSV, NPZ or E4 recording.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("Recording formats:")[1] if __doc__ else None,
    )
    parser.add_argument(
        "--model",
        required=True,
        help="a run's fold_XX/best.keras (preprocessing.json must sit beside it)",
    )
    parser.add_argument(
        "--recording",
        required=True,
        nargs="+",
        help="EDF/BDF, CSV or NPZ file; or the files of one trial, one per modality (e.g. "
        "trial1_BVP.csv trial1_EDA.csv trial1_TEMP.csv trial1_ACC.csv), channels found by name "
        "across them",
    )
    parser.add_argument(
        "--format",
        default=None,
        choices=["edf", "csv", "npz", *recordings.NAMED_FORMATS],
        help="the recording's format (default: from the extension; 'e4' for Empatica E4 CSV "
        "files, the default when the model was trained on them)",
    )
    parser.add_argument(
        "--channels", nargs="+", default=None, help="channel names, one per column of the recording"
    )
    parser.add_argument(
        "--sfreq", type=float, default=None, help="the recording's sampling rate in Hz"
    )
    parser.add_argument(
        "--step-s",
        type=float,
        default=None,
        help="hop between windows in seconds (default: the training step)",
    )
    parser.add_argument(
        "--start-s",
        type=float,
        default=None,
        help="predict from this second of the recording on (a trial of a continuous recording: "
        "its start_s in the labels CSV); windows are cut as the builder cuts that trial",
    )
    parser.add_argument(
        "--end-s",
        type=float,
        default=None,
        help="predict up to this second (default: the end of the recording)",
    )
    parser.add_argument("--batch-size", type=int, default=256, help="windows per forward pass")
    parser.add_argument("--csv", default=None, help="also write the table to this CSV file")
    parser.add_argument(
        "--allow-savedmodel",
        action="store_true",
        help="accept a SavedModel directory as --model. Loading one EXECUTES the TensorFlow graph "
        "stored in it: use only for files you trust",
    )
    return parser


def main(argv=None):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    args = build_parser().parse_args(argv)
    try:
        model = load_for_prediction(args.model, allow_savedmodel=args.allow_savedmodel)
        spec = read_model_spec(args.model)
        if len(args.recording) > 1 and (args.channels or args.sfreq):
            raise ValueError(
                f"--channels and --sfreq describe one file; {len(args.recording)} recordings were "
                "given. Give files that name their channels and rates (CSV header and time column, "
                "NPZ ch_names/sfreq, EDF header)."
            )
        trained_on = (spec.extra or {}).get("file_format")  # "e4": E4 CSV files

        def format_of(path):
            # A .csv of a study recorded in E4 files is one too, unless --format says otherwise.
            if args.format or not str(path).lower().endswith(".csv"):
                return args.format
            return trained_on

        recording = recordings.merge(
            recordings.read_recording(
                path, channels=args.channels, sfreq=args.sfreq, file_format=format_of(path)
            )
            for path in args.recording
        )
        segment = None
        if args.start_s is not None or args.end_s is not None:
            segment = (args.start_s or 0.0, args.end_s)
        predictions = predict_recording(
            model,
            recording,
            spec=spec,
            step_s=args.step_s,
            batch_size=args.batch_size,
            segment=segment,
        )
    except (ValueError, FileNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    columns, matrix = prediction_table(predictions, model.output_names)
    print("  ".join(f"{c:>12}" for c in columns))
    for row in matrix:
        print("  ".join(f"{v:12.4f}" for v in row))
    if args.csv:
        np.savetxt(
            args.csv, matrix, delimiter=",", header=",".join(columns), comments="", fmt="%.6g"
        )
        print(f"\nWrote {len(matrix)} window(s) to {args.csv}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
