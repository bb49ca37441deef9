"""``python -m amigos_emo.predict``: run a trained model over a recording, window by window.

The model is a run's ``best.keras`` or its exported ``saved_model/`` directory (see
:mod:`amigos_emo.training.runner`); both take raw signals, since the training-subject
normalisation is part of the saved model. The recording is an EDF file (read with MNE), a CSV
file or an NPZ archive. Its channels are mapped onto the model's inputs by name, resampled to the
model's rate when the recording's differs, and cut into windows exactly like the corpus builder
cut the training data (for AMIGOS: the first 5 s are the baseline; the EEG of every window has the
1 s baseline template subtracted; windows follow the baseline without overlap).

Example::

    python -m amigos_emo.predict --model runs/amigos-synthetic_multimodal_lstm/fold_00/best.keras \\
        --recording session.edf --csv predictions.csv

Recording formats:

- EDF/BDF (``.edf``, ``.bdf``): channel labels and the sampling rate come from the header.
  Channels MNE reads in volts are converted to microvolts (the unit the builders store);
  other channels keep the header's physical unit.
- CSV (``.csv``, ``.tsv``, ``.txt``): one column per channel, one row per sample. A first row of
  names is used as channel labels (else pass ``--channels``). A column named ``time``/``time_s``/
  ``timestamp`` (seconds) is dropped and gives the rate when ``--sfreq`` is not passed.
- NPZ (``.npz``): ``data`` ``(n_times, n_chans)`` with ``ch_names`` and ``sfreq`` arrays beside
  it, or one 1-D array per channel (key = channel name) plus ``sfreq``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys

import numpy as np

from amigos_emo._checks import check_positive
from amigos_emo._logging import logger

TIME_COLUMNS = ("time", "time_s", "times", "timestamp", "t")
RECORDING_SUFFIXES = {".edf": "edf", ".bdf": "edf", ".csv": "csv", ".tsv": "csv", ".txt": "csv", ".npz": "npz"}


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

    @property
    def registry_name(self):
        """The registered architecture (``multimodal_lstm`` for ``multimodal_lstm_trained``)."""
        if self.name and self.name.endswith("_trained"):
            return self.name[: -len("_trained")]
        return self.name

    def predict(self, inputs, batch_size=256):
        """Per-head predictions for a dict of batched inputs.

        Args:
            inputs: input name -> float32 array ``(n_windows, *input_shape)``.
            batch_size: windows per forward pass.

        Returns:
            dict head -> float32 array ``(n_windows, n_units)`` (rating, probability, or class
            probabilities).
        """
        n = len(next(iter(inputs.values())))
        parts = {name: [] for name in self.output_names}
        for start in range(0, n, batch_size):
            batch = {k: np.asarray(v[start : start + batch_size], np.float32) for k, v in inputs.items()}
            if self.keras_model is not None:
                result = self.keras_model.predict_on_batch(batch)
            else:
                result = self.serve(batch)
            for name in self.output_names:
                parts[name].append(np.asarray(result[name], np.float32).reshape(len(batch[next(iter(batch))]), -1))
        return {name: (np.concatenate(v) if v else np.empty((0, 1), np.float32)) for name, v in parts.items()}


def load_trained_model(path):
    """Load a run's ``best.keras`` or exported ``saved_model/`` directory.

    Args:
        path: a ``.keras`` file, or a directory holding ``saved_model.pb``.

    Returns:
        a :class:`TrainedModel`.

    Raises:
        FileNotFoundError: nothing at ``path``, or a directory that is not a SavedModel.
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"--model {path}: no such file or directory (expected a best.keras file or a saved_model/ folder).")
    if os.path.isdir(path):
        if not os.path.exists(os.path.join(path, "saved_model.pb")):
            raise FileNotFoundError(
                f"--model {path}: the directory holds no saved_model.pb. Pass a fold's best.keras file or its "
                "saved_model/ folder (e.g. runs/RUN/fold_00/saved_model)."
            )
        import tensorflow as tf

        loaded = tf.saved_model.load(path)
        signature = loaded.signatures["serving_default"]
        _, input_specs = signature.structured_input_signature
        return TrainedModel(
            path=path,
            name=None,
            input_shapes={name: tuple(spec.shape[1:]) for name, spec in input_specs.items()},
            output_names=tuple(sorted(signature.structured_outputs)),
            serve=loaded.serve,
            saved_model=loaded,
        )
    import keras

    from amigos_emo.models import list_models

    list_models()  # import every family, so their custom layers are registered for loading
    model = keras.saving.load_model(path, compile=False)
    return TrainedModel(
        path=path,
        name=model.name,
        input_shapes={t.name.split(":")[0]: tuple(t.shape[1:]) for t in model.inputs},
        output_names=tuple(sorted(model.output_names)),
        keras_model=model,
    )


# --- Recordings -------------------------------------------------------------------------------


@dataclasses.dataclass
class Recording:
    """A continuous multichannel recording.

    Attributes:
        data: float64 array ``(n_times, n_chans)`` (time-major), microvolts for EEG/ECG.
        ch_names: one name per column.
        sfreq: sampling rate in Hz.
        path: the file it came from.
    """

    data: np.ndarray
    ch_names: list
    sfreq: float
    path: str


def read_recording(path, channels=None, sfreq=None):
    """Read an EDF, CSV or NPZ recording (see the module docstring for the formats).

    Args:
        path: the recording file.
        channels: channel names, one per column (CSV without a name row, NPZ without
            ``ch_names``); for EDF they replace the header's labels.
        sfreq: sampling rate in Hz; required unless the file states it (EDF header, NPZ
            ``sfreq``, CSV time column). When both exist they must agree.

    Returns:
        a :class:`Recording`.

    Raises:
        FileNotFoundError, ValueError: unreadable file, unknown format, wrong channel count,
            no sampling rate, non-finite samples.
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"--recording {path}: no such file.")
    suffix = os.path.splitext(path)[1].lower()
    kind = RECORDING_SUFFIXES.get(suffix)
    if kind is None:
        raise ValueError(
            f"--recording {path}: unknown format {suffix!r}. Expected one of: "
            f"{', '.join(sorted(RECORDING_SUFFIXES))} (EDF/BDF via MNE, CSV, NPZ)."
        )
    data, names, file_sfreq = {"edf": _read_edf, "csv": _read_csv, "npz": _read_npz}[kind](path)
    if channels is not None:
        channels = list(channels)
        if len(channels) != data.shape[1]:
            raise ValueError(
                f"--channels names {len(channels)} channel(s), but {path} has {data.shape[1]} column(s)"
                + (f" ({', '.join(names)})" if names else "") + "."
            )
        names = channels
    if names is None:
        raise ValueError(
            f"{path} does not name its {data.shape[1]} channel(s): add a first row of names (CSV), a ch_names "
            "array (NPZ), or pass --channels NAME NAME ..."
        )
    if sfreq is not None:
        check_positive(float(sfreq), "sfreq")
        if file_sfreq is not None and abs(float(sfreq) - file_sfreq) > 1e-3 * file_sfreq:
            raise ValueError(f"--sfreq {sfreq} disagrees with the {file_sfreq:g} Hz stated in {path}.")
        file_sfreq = float(sfreq)
    if file_sfreq is None:
        raise ValueError(f"{path} does not state its sampling rate: pass --sfreq HZ (or add a time column in seconds).")
    bad = ~np.isfinite(data)
    if bad.any():
        columns = sorted({names[i] for i in np.nonzero(bad.any(axis=0))[0]})
        raise ValueError(f"{path}: {int(bad.sum())} NaN/infinite sample(s) in channel(s) {', '.join(columns)}.")
    return Recording(data=data, ch_names=[str(n) for n in names], sfreq=float(file_sfreq), path=path)


def _read_edf(path):
    import mne

    raw = mne.io.read_raw(path, preload=True, verbose="error")
    data = raw.get_data().T  # (n_times, n_chans); MNE scales volt-unit channels to V
    # The header's physical dimension says which channels MNE scaled (uV, mV -> V): those go back
    # to microvolts; channels without a volt unit (e.g. GSR in ohms, "n/a") are as stored.
    header_units = getattr(raw, "_orig_units", None) or {}
    volts = {"v", "mv", "uv", "µv", "μv", "nv"}
    scale = np.array([1e6 if str(header_units.get(name, "")).strip().lower() in volts else 1.0 for name in raw.ch_names])
    return data * scale, list(raw.ch_names), float(raw.info["sfreq"])


def _is_number(text):
    try:
        float(text)
    except ValueError:
        return False
    return True


def _read_csv(path):
    import pandas as pd

    with open(path) as handle:
        first = handle.readline()
    separator = "\t" if "\t" in first else ","
    fields = [f.strip() for f in first.strip().split(separator)]
    has_names = not all(_is_number(f) for f in fields if f)
    table = pd.read_csv(path, sep=separator, header=0 if has_names else None)
    names = [str(c).strip() for c in table.columns] if has_names else None
    sfreq = None
    if names:
        time_columns = [c for c, n in zip(table.columns, names, strict=True) if n.lower() in TIME_COLUMNS]
        if time_columns:
            times = table[time_columns[0]].to_numpy(np.float64)
            if len(times) > 1:
                steps = np.diff(times)
                sfreq = float(1.0 / np.median(steps))
            table = table.drop(columns=time_columns)
            names = [str(c).strip() for c in table.columns]
    try:
        data = table.to_numpy(np.float64)
    except ValueError as error:
        raise ValueError(f"{path}: every column must be numeric (one channel per column): {error}") from None
    return data, names, sfreq


def _read_npz(path):
    with np.load(path, allow_pickle=False) as archive:
        contents = {key: archive[key] for key in archive.files}
    sfreq = float(contents.pop("sfreq")) if "sfreq" in contents else None
    if "data" in contents:
        data = np.asarray(contents["data"], np.float64)
        if data.ndim != 2:
            raise ValueError(f"{path}: 'data' must be (n_times, n_chans). Received: shape {data.shape}")
        names = [str(n) for n in contents["ch_names"]] if "ch_names" in contents else None
        if names is not None and len(names) != data.shape[1]:
            raise ValueError(
                f"{path}: ch_names has {len(names)} name(s) for {data.shape[1]} column(s) of 'data' (n_times, n_chans)."
            )
        return data, names, sfreq
    series = {k: np.asarray(v, np.float64) for k, v in contents.items() if k != "ch_names"}
    lengths = {k: v.shape for k, v in series.items()}
    if not series or any(len(s) != 1 for s in lengths.values()) or len(set(lengths.values())) != 1:
        raise ValueError(
            f"{path}: expected 'data' (n_times, n_chans) + 'ch_names' + 'sfreq', or one 1-D array of equal "
            f"length per channel. Found arrays: {lengths}."
        )
    return np.stack(list(series.values()), axis=1), list(series), sfreq


# --- Channels, windows ------------------------------------------------------------------------


def _normalise_label(label):
    label = str(label).strip().upper().replace(" ", "").replace("-", "_")
    for prefix in ("EEG", "ECG", "EDA"):
        if label.startswith(prefix) and len(label) > len(prefix) and label != prefix:
            rest = label[len(prefix):].lstrip("_")
            if rest and not rest[0].isdigit():
                return rest
    return label


def input_channels(model):
    """Channel names each input expects, in column order.

    AMIGOS-shaped inputs (``eeg`` with 14 columns, ``ecg`` with 2, ``gsr`` with 1) use the
    names of :mod:`amigos_emo.constants.amigos`.

    Raises:
        ValueError: an input that is not a time-major raw signal of a known montage (e.g. an
            ``stft`` or ``de`` input, which needs the builder's feature extraction first).
    """
    from amigos_emo.constants import amigos

    montage = {"eeg": amigos.EEG_CHANNELS, "ecg": amigos.ECG_CHANNELS, "gsr": amigos.GSR_CHANNELS}
    channels = {}
    for name, shape in model.input_shapes.items():
        known = montage.get(name)
        if known is None or len(shape) != 2 or shape[1] != len(known):
            raise ValueError(
                f"Model {model.path} has input {name!r} of shape {shape}; predict reads raw time-major signals "
                f"eeg (n_times, 14), ecg (n_times, 2) and gsr (n_times, 1) with the AMIGOS channel names. "
                "Other representations (stft, de, features, graphs) must be computed by the dataset builder first; "
                "use python -m amigos_emo.evaluate on a prepared dataset instead."
            )
        channels[name] = tuple(known)
    return channels


def map_channels(recording, channels):
    """Columns of ``recording`` for each input, matched by name (case and ``EEG``/``ECG``
    prefixes ignored).

    Returns:
        dict input name -> int array of column indices.

    Raises:
        ValueError: naming every missing channel and what the recording has.
    """
    lookup = {}
    for index, name in enumerate(recording.ch_names):
        lookup.setdefault(_normalise_label(name), index)
    columns, missing = {}, []
    for input_name, names in channels.items():
        found = [lookup.get(_normalise_label(n)) for n in names]
        missing += [f"{n} ({input_name})" for n, i in zip(names, found, strict=True) if i is None]
        columns[input_name] = np.array([-1 if i is None else i for i in found])
    if missing:
        raise ValueError(
            f"{recording.path} lacks channel(s) the model needs: {', '.join(missing)}. "
            f"The recording has: {', '.join(recording.ch_names)}. Rename the columns/labels, or pass "
            "--channels with one name per column."
        )
    return columns


def model_sfreq(model, explicit=None):
    """The sampling rate (Hz) the model was trained at.

    Args:
        model: a :class:`TrainedModel`.
        explicit: ``--model-sfreq``; wins when given.

    Returns:
        ``explicit``, else the rate of the run's dataset (its ``config.json`` two folders above a
        fold's ``best.keras``), else 128 Hz for AMIGOS-shaped inputs.
    """
    if explicit is not None:
        return float(check_positive(float(explicit), "model_sfreq"))
    import importlib

    run_dir = os.path.dirname(os.path.dirname(os.path.abspath(model.path.rstrip("/"))))
    config_path = os.path.join(run_dir, "config.json")
    if os.path.exists(config_path):
        with open(config_path) as handle:
            dataset = json.load(handle).get("dataset", {}).get("name")
        try:
            constants = importlib.import_module(f"amigos_emo.constants.{dataset}")
            return float(constants.SFREQ_HZ)
        except (ImportError, AttributeError, TypeError):
            pass
    from amigos_emo.constants import amigos

    return float(amigos.SFREQ_HZ)


def cut_windows(recording, columns, n_times, sfreq, step_s=None, baseline_s=0.0):
    """Resample, split off the baseline and cut windows like the AMIGOS builder.

    Args:
        recording: a :class:`Recording`.
        columns: input name -> column indices (from :func:`map_channels`).
        n_times: samples per window (the model's input length).
        sfreq: the model's sampling rate in Hz (the recording is resampled to it).
        step_s: hop between window starts in seconds (default: one window, no overlap).
        baseline_s: seconds at the start treated as baseline: windows start after it and each
            ``eeg`` window has the baseline's 1 s template subtracted (AMIGOS: 5 s). 0 disables.

    Returns:
        ``(inputs, starts_s)``: input name -> float32 ``(n_windows, n_times, n_chans)``, and the
        window starts in seconds from the beginning of the recording.
    """
    from amigos_emo.signal.windows import remove_baseline, sliding_windows

    data = recording.data
    if abs(recording.sfreq - sfreq) > 1e-6 * sfreq:
        from amigos_emo.signal.filters import resample

        logger.info("Resampling %s from %g Hz to the model's %g Hz", recording.path, recording.sfreq, sfreq)
        data = resample(data, recording.sfreq, sfreq, axis=0)
    step = n_times if step_s is None else int(round(check_positive(float(step_s), "step_s") * sfreq))
    if step < 1:
        raise ValueError(f"step_s must be at least one sample (1/{sfreq:g} s). Received: step_s={step_s}")
    n_baseline = int(round(check_positive(float(baseline_s), "baseline_s", allow_zero=True) * sfreq))
    second = int(round(sfreq))
    needed = n_baseline + n_times
    if data.shape[0] < needed:
        raise ValueError(
            f"{recording.path} is {data.shape[0] / sfreq:.2f} s long at {sfreq:g} Hz; one window needs "
            f"{baseline_s:g} s of baseline + {n_times / sfreq:g} s ({needed} samples)."
        )
    stimulus = data[n_baseline:]
    inputs = {}
    for name, index in columns.items():
        windows = sliding_windows(stimulus[:, index], n_times, step)
        if name == "eeg" and n_baseline:
            if n_times % second or n_baseline < second:
                raise ValueError(
                    f"Baseline removal works on whole seconds: window {n_times} samples and baseline "
                    f"{n_baseline} samples at {sfreq:g} Hz. Pass --baseline-s 0 to disable it."
                )
            per_second = np.asarray(windows).reshape(-1, second, windows.shape[2])
            windows = remove_baseline(per_second, data[:n_baseline, index], second).reshape(windows.shape)
        inputs[name] = np.asarray(windows, np.float32)
    n = len(next(iter(inputs.values())))
    starts_s = (n_baseline + np.arange(n) * step) / sfreq
    return inputs, starts_s


# --- The whole command ------------------------------------------------------------------------


def predict_recording(model, recording, model_sfreq_hz=None, step_s=None, baseline_s=None, batch_size=256):
    """Per-window predictions of ``model`` on ``recording``.

    Args:
        model: a :class:`TrainedModel` or a path for :func:`load_trained_model`.
        recording: a :class:`Recording`.
        model_sfreq_hz: the model's sampling rate (default: see :func:`model_sfreq`).
        step_s: hop between windows in seconds (default: no overlap).
        baseline_s: leading baseline seconds (default: AMIGOS's 5 s, as the builder did).
        batch_size: windows per forward pass.

    Returns:
        dict with ``start_s`` (float64 ``(n_windows,)``) and one float32 array per head
        ``(n_windows, n_units)``.
    """
    from amigos_emo.constants import amigos

    if not isinstance(model, TrainedModel):
        model = load_trained_model(model)
    channels = input_channels(model)
    columns = map_channels(recording, channels)
    sfreq = model_sfreq(model, model_sfreq_hz)
    n_times = {shape[0] for shape in model.input_shapes.values()}
    if len(n_times) != 1 or None in n_times:
        raise ValueError(f"Model {model.path} inputs disagree on the window length: {model.input_shapes}.")
    baseline_s = amigos.BASELINE_S if baseline_s is None else baseline_s
    inputs, starts_s = cut_windows(recording, columns, n_times.pop(), sfreq, step_s=step_s, baseline_s=baseline_s)
    return {"start_s": starts_s, **model.predict(inputs, batch_size=batch_size)}


def prediction_table(predictions, heads):
    """Rows ``start_s, head...`` (one column per unit of multi-unit heads) as strings."""
    columns = ["start_s"]
    values = [np.asarray(predictions["start_s"], np.float64)[:, None]]
    for head in heads:
        array = np.asarray(predictions[head])
        columns += [head] if array.shape[1] == 1 else [f"{head}_{i}" for i in range(array.shape[1])]
        values.append(array)
    matrix = np.concatenate(values, axis=1) if values else np.empty((0, 0))
    return columns, matrix


def build_parser():
    parser = argparse.ArgumentParser(
        prog="python -m amigos_emo.predict",
        description="Per-window predictions of a trained model on an EDF, CSV or NPZ recording.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("Recording formats:")[1] if __doc__ else None,
    )
    parser.add_argument("--model", required=True, help="a run's fold_XX/best.keras or fold_XX/saved_model directory")
    parser.add_argument("--recording", required=True, help="EDF/BDF, CSV or NPZ file")
    parser.add_argument("--channels", nargs="+", default=None, help="channel names, one per column of the recording")
    parser.add_argument("--sfreq", type=float, default=None, help="the recording's sampling rate in Hz")
    parser.add_argument("--model-sfreq", type=float, default=None,
                        help="the model's sampling rate in Hz (default: from the run's config.json; 128 for AMIGOS)")
    parser.add_argument("--window-s", type=float, default=None,
                        help="window length in seconds; must equal the model's input length (checked)")
    parser.add_argument("--step-s", type=float, default=None, help="hop between windows in seconds (default: no overlap)")
    parser.add_argument("--baseline-s", type=float, default=None,
                        help="leading baseline in seconds, removed from EEG like the builder did (default 5 for AMIGOS; 0 disables)")
    parser.add_argument("--csv", default=None, help="also write the table to this CSV file")
    return parser


def main(argv=None):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    args = build_parser().parse_args(argv)
    try:
        model = load_trained_model(args.model)
        sfreq = model_sfreq(model, args.model_sfreq)
        if args.window_s is not None:
            n_times = next(iter(model.input_shapes.values()))[0]
            if int(round(args.window_s * sfreq)) != n_times:
                raise ValueError(
                    f"--window-s {args.window_s:g} is {int(round(args.window_s * sfreq))} samples at {sfreq:g} Hz, but "
                    f"the model takes windows of {n_times} samples ({n_times / sfreq:g} s)."
                )
        recording = read_recording(args.recording, channels=args.channels, sfreq=args.sfreq)
        predictions = predict_recording(model, recording, model_sfreq_hz=sfreq, step_s=args.step_s,
                                        baseline_s=args.baseline_s)
    except (ValueError, FileNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    columns, matrix = prediction_table(predictions, model.output_names)
    print("  ".join(f"{c:>12}" for c in columns))
    for row in matrix:
        print("  ".join(f"{v:12.4f}" for v in row))
    if args.csv:
        np.savetxt(args.csv, matrix, delimiter=",", header=",".join(columns), comments="", fmt="%.6g")
        print(f"\nWrote {len(matrix)} window(s) to {args.csv}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
