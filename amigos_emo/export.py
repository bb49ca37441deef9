"""``python -m amigos_emo.export``: a trained model as a TFLite (LiteRT) flatbuffer for a device.

The ``best.keras`` file is loaded (safe mode), exported by Keras as a TensorFlow SavedModel with a
fixed batch of one window (``--batch-size``), and converted with ``tf.lite.TFLiteConverter``. The
output folder (default ``<model folder>/tflite-<quantize>/``) holds:

- ``model.tflite``: raw signals in, predictions out, one ``serving_default`` signature whose
  inputs and outputs carry the model's own names (``eeg``, ``valence``...). The input
  normalisation fitted in training is inside, as in ``best.keras``.
- ``preprocessing.json``: a copy of the spec beside the model (:mod:`amigos_emo.preprocessing_spec`),
  so the device knows channels, rate, windows and baseline.
- ``export.json``: the options used, input/output shapes, the size, and a check of the
  flatbuffer against Keras on real windows (``--calibration-data``/``--dataset``) or random ones.

Quantisation (``--quantize``):

- ``none``: float32; outputs equal Keras to about 1e-5.
- ``float16``: weights stored as float16 (half the size), computed in float32; about 1e-3
  relative error.
- ``int8``: full-integer quantisation of weights and activations calibrated on a few hundred
  training windows (``--calibration-data windows.npz`` with one array per model input, shaped
  ``(n_windows, *input_shape)``, or ``--dataset NAME --split SPLIT`` to read them from a prepared
  corpus); inputs and outputs stay float32, ops without an int8 kernel stay float. Expect errors of
  a few percent of the output range and check ``export.json``'s class agreement. Models with a
  ``WHILE`` loop (LSTM/GRU layers, loops in custom layers) get **dynamic-range** int8 instead
  (int8 weights, float activations, no calibration): TensorFlow's int8 calibrator crashes the
  process on such graphs (TF 2.21). ``export.json`` says which (``int8``).

Recurrent layers convert to TFLite ``WHILE`` loops of builtin ops. A model with an op TFLite has
no builtin for falls back to ``SELECT_TF_OPS`` (TensorFlow kernels, ``--select-tf-ops auto``);
such a file needs an interpreter built with the Flex delegate, which the ``ai-edge-litert`` wheel
is not: ``export.json`` records it.

Example::

    python -m amigos_emo.export --model runs/RUN/fold_00/best.keras --format tflite
    python -m amigos_emo.export --model best.keras --quantize int8 --calibration-data windows.npz
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile

import numpy as np

from amigos_emo._checks import check_option
from amigos_emo._logging import logger

FORMATS = ("tflite",)
QUANTIZATIONS = ("none", "float16", "int8")
SELECT_TF_OPS = ("auto", "never", "always")


def input_shapes(model):
    """Input name -> per-example shape (no batch axis) of a Keras model."""
    return {t.name.split(":")[0]: tuple(t.shape[1:]) for t in model.inputs}


def _saved_model(model, folder, batch_size):
    import tensorflow as tf

    shapes = input_shapes(model)
    if any(d is None for shape in shapes.values() for d in shape):
        raise ValueError(f"TFLite export needs fixed input shapes; the model takes {shapes}.")
    spec = {
        name: tf.TensorSpec((batch_size, *shape), tf.float32, name=name)
        for name, shape in shapes.items()
    }
    model.export(folder, format="tf_saved_model", input_signature=[spec], verbose=False)


def convert(model, quantize="none", calibration=None, select_tf_ops="auto", batch_size=1):
    """Convert a Keras model to a TFLite flatbuffer.

    Args:
        model: a ``keras.Model`` whose inputs all have fixed per-example shapes.
        quantize: ``"none"``, ``"float16"`` or ``"int8"``.
        calibration: input name -> float32 ``(n_windows, *input_shape)`` windows for ``int8``
            (a few hundred training windows); unused otherwise.
        select_tf_ops: ``"auto"`` (builtin ops, then TensorFlow ops if that fails),
            ``"never"`` or ``"always"``.
        batch_size: the fixed batch of the exported signature.

    Returns:
        ``(flatbuffer bytes, info)``; info has ``quantize``, ``select_tf_ops`` (whether TF ops
        were needed), ``batch_size`` and, for int8, ``int8``: ``"full_integer"`` or
        ``"dynamic_range"`` (graphs with a ``WHILE`` loop).

    Raises:
        ValueError: ``int8`` without calibration windows, unknown options.
        RuntimeError: the converter failed (its message attached).
    """
    import tensorflow as tf

    check_option(quantize, QUANTIZATIONS, "quantize")
    check_option(select_tf_ops, SELECT_TF_OPS, "select_tf_ops")
    if quantize == "int8":
        if not calibration:
            raise ValueError(
                "quantize='int8' needs calibration windows (--calibration-data FILE.npz or --dataset/--split)."
            )
        shapes = input_shapes(model)
        calibration = {name: np.asarray(calibration[name], np.float32) for name in shapes}
    folder = tempfile.mkdtemp(prefix="amigos_emo_export_")
    try:
        _saved_model(model, folder, batch_size)
        int8_mode = None
        if quantize == "int8":
            int8_mode = "full_integer"
            if _has_loops(folder):
                # TF 2.21's int8 calibrator crashes the process (segfault) on WHILE loops.
                int8_mode = "dynamic_range"
                logger.warning(
                    "%s has a WHILE loop (recurrent layer): the TFLite int8 calibrator cannot run it, so "
                    "int8 quantises the weights only (dynamic range; activations stay float)",
                    model.name,
                )
        attempts = {"never": [False], "always": [True], "auto": [False, True]}[select_tf_ops]
        errors = []
        for use_tf_ops in attempts:
            converter = tf.lite.TFLiteConverter.from_saved_model(folder)
            ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
            if quantize == "float16":
                converter.optimizations = [tf.lite.Optimize.DEFAULT]
                converter.target_spec.supported_types = [tf.float16]
            elif quantize == "int8":
                converter.optimizations = [tf.lite.Optimize.DEFAULT]
                if int8_mode == "full_integer":
                    converter.representative_dataset = _representative(calibration, batch_size)
                    ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8, tf.lite.OpsSet.TFLITE_BUILTINS]
            if use_tf_ops:
                ops.append(tf.lite.OpsSet.SELECT_TF_OPS)
            converter.target_spec.supported_ops = ops
            try:
                flatbuffer = converter.convert()
            except Exception as error:  # the converter raises several error types
                errors.append(f"{'with' if use_tf_ops else 'without'} SELECT_TF_OPS: {error}")
                logger.warning(
                    "TFLite conversion %s SELECT_TF_OPS failed", "with" if use_tf_ops else "without"
                )
                continue
            info = {"quantize": quantize, "select_tf_ops": use_tf_ops, "batch_size": batch_size}
            if int8_mode:
                info["int8"] = int8_mode
            return flatbuffer, info
        raise RuntimeError(
            f"TFLite conversion of {model.name} failed: " + " | ".join(e[:2000] for e in errors)
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _has_loops(folder):
    """Whether the SavedModel in ``folder`` holds a ``While`` op (recurrent layers, loops)."""
    from tensorflow.core.protobuf import saved_model_pb2

    saved = saved_model_pb2.SavedModel()
    with open(os.path.join(folder, "saved_model.pb"), "rb") as handle:
        saved.ParseFromString(handle.read())
    for graph in saved.meta_graphs:
        nodes = list(graph.graph_def.node)
        for function in graph.graph_def.library.function:
            nodes += list(function.node_def)
        if any(node.op in ("While", "StatelessWhile") for node in nodes):
            return True
    return False


def _representative(calibration, batch_size):
    n = len(next(iter(calibration.values())))

    def generate():
        for start in range(0, n - batch_size + 1, batch_size):
            yield {
                name: windows[start : start + batch_size] for name, windows in calibration.items()
            }

    return generate


def interpreter(flatbuffer, num_threads=2):
    """A LiteRT interpreter (``ai_edge_litert``; ``tf.lite`` when it is not installed)."""
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:  # pragma: no cover - depends on the environment
        import tensorflow as tf

        Interpreter = tf.lite.Interpreter
    if isinstance(flatbuffer, str | os.PathLike):
        return Interpreter(model_path=os.fspath(flatbuffer), num_threads=num_threads)
    return Interpreter(model_content=flatbuffer, num_threads=num_threads)


def run_tflite(flatbuffer, inputs, num_threads=2):
    """Run a converted model window by window through its ``serving_default`` signature.

    Args:
        flatbuffer: bytes or a ``.tflite`` path.
        inputs: input name -> float32 ``(n_windows, *input_shape)``.
        num_threads: interpreter threads.

    Returns:
        output name -> float32 ``(n_windows, n_units)``.
    """
    runner = interpreter(flatbuffer, num_threads).get_signature_runner()
    n = len(next(iter(inputs.values())))
    parts = {}
    for index in range(n):
        result = runner(
            **{name: np.asarray(v[index : index + 1], np.float32) for name, v in inputs.items()}
        )
        for name, value in result.items():
            parts.setdefault(name, []).append(np.asarray(value, np.float32).reshape(1, -1))
    return {name: np.concatenate(v) for name, v in parts.items()}


def compare(keras_outputs, tflite_outputs):
    """Agreement of two sets of outputs: max/mean absolute error and, for multi-unit heads,
    the fraction of windows with the same argmax class."""
    report = {}
    for name, reference in keras_outputs.items():
        reference = np.asarray(reference, np.float64).reshape(len(reference), -1)
        other = np.asarray(tflite_outputs[name], np.float64).reshape(len(reference), -1)
        error = np.abs(other - reference)
        entry = {
            "max_abs_error": float(error.max()),
            "mean_abs_error": float(error.mean()),
            "output_range": float(reference.max() - reference.min()),
        }
        if reference.shape[1] > 1:
            entry["class_agreement"] = float(np.mean(reference.argmax(1) == other.argmax(1)))
        report[name] = entry
    return report


def keras_outputs(model, inputs):
    """``model.predict_on_batch`` as a dict of float32 ``(n_windows, n_units)``."""
    result = model.predict_on_batch(inputs)
    if not isinstance(result, dict):
        result = dict(
            zip(
                model.output_names,
                result if isinstance(result, list | tuple) else [result],
                strict=True,
            )
        )
    return {name: np.asarray(v, np.float32).reshape(len(v), -1) for name, v in result.items()}


# --- Calibration windows ----------------------------------------------------------------------


def windows_from_npz(path, shapes, limit=None):
    """Windows for calibration from an NPZ with one array per model input.

    Args:
        path: the ``.npz`` file.
        shapes: input name -> per-example shape.
        limit: keep at most this many windows.

    Raises:
        FileNotFoundError, ValueError: missing file, missing input, wrong shape, non-finite.
    """
    if not os.path.isfile(path):
        raise FileNotFoundError(f"--calibration-data {path}: no such file.")
    with np.load(path, allow_pickle=False) as archive:
        missing = [name for name in shapes if name not in archive.files]
        if missing:
            wanted = ", ".join(f"{k} (n, {', '.join(map(str, v))})" for k, v in shapes.items())
            raise ValueError(
                f"--calibration-data {path}: no array for input(s) {', '.join(missing)}. Expected one array per "
                f"model input: {wanted}; found {', '.join(archive.files) or 'none'}."
            )
        windows = {name: np.asarray(archive[name][:limit], np.float32) for name in shapes}
    for name, array in windows.items():
        if array.shape[1:] != tuple(shapes[name]) or not len(array):
            raise ValueError(
                f"--calibration-data {path}: array {name!r} must be (n_windows, {', '.join(map(str, shapes[name]))}). "
                f"Received: shape {array.shape}"
            )
        if not np.isfinite(array).all():
            raise ValueError(
                f"--calibration-data {path}: array {name!r} holds NaN/infinite values."
            )
    return windows


def windows_from_dataset(dataset, split, shapes, limit=256, data_dir=None, manual_dir=None):
    """Calibration windows read from a prepared corpus split (features named like the inputs)."""
    import tensorflow_datasets as tfds

    from amigos_emo.datasets import prepare

    builder = prepare(dataset, data_dir=data_dir, manual_dir=manual_dir)
    if split not in builder.info.splits:
        raise ValueError(
            f"--split {split!r} is not a split of {dataset}; it has: {', '.join(builder.info.splits)}."
        )
    features = builder.info.features
    missing = [name for name in shapes if name not in features]
    if missing:
        raise ValueError(
            f"--dataset {dataset}: no feature named {', '.join(missing)} (it has {', '.join(features)})."
        )
    collected = {name: [] for name in shapes}
    for example in tfds.as_numpy(builder.as_dataset(split=split).take(limit)):
        for name in shapes:
            collected[name].append(example[name])
    return {name: np.asarray(v, np.float32) for name, v in collected.items()}


# --- The command ------------------------------------------------------------------------------


def export_model(
    model_path,
    output_dir=None,
    quantize="none",
    calibration=None,
    select_tf_ops="auto",
    batch_size=1,
    n_check=32,
    seed=0,
):
    """Write ``model.tflite``, ``preprocessing.json`` and ``export.json`` for a ``best.keras``.

    Args:
        model_path: the ``.keras`` file.
        output_dir: the folder to write (default ``<model folder>/tflite-<quantize>``).
        quantize, select_tf_ops, batch_size: see :func:`convert`.
        calibration: input name -> windows (int8 calibration, and the check).
        n_check: windows compared between Keras and the flatbuffer.
        seed: seed of the random check windows used when no calibration windows are given.

    Returns:
        the ``export.json`` content (dict), with ``path`` of the flatbuffer.
    """
    from amigos_emo import preprocessing_spec
    from amigos_emo.training.modeling import load_trained_model

    if not os.path.isfile(model_path):
        raise FileNotFoundError(
            f"--model {model_path}: no such file (expected a fold's best.keras)."
        )
    model = load_trained_model(model_path, compile=False)
    output_dir = output_dir or os.path.join(
        os.path.dirname(os.path.abspath(model_path)), f"tflite-{quantize}"
    )
    os.makedirs(output_dir, exist_ok=True)
    flatbuffer, info = convert(
        model,
        quantize=quantize,
        calibration=calibration,
        select_tf_ops=select_tf_ops,
        batch_size=batch_size,
    )
    path = os.path.join(output_dir, "model.tflite")
    with open(path + ".tmp", "wb") as handle:
        handle.write(flatbuffer)
    os.replace(path + ".tmp", path)
    try:
        spec = preprocessing_spec.read(model_path)
        preprocessing_spec.write(spec, output_dir)
    except FileNotFoundError as error:
        logger.warning(
            "%s The export has no preprocessing.json; the device must be told the layout.", error
        )
    shapes = input_shapes(model)
    if calibration:
        check_inputs = {
            name: np.asarray(calibration[name][:n_check], np.float32) for name in shapes
        }
        check_source = "calibration windows"
    else:
        rng = np.random.default_rng(seed)
        check_inputs = {
            name: rng.normal(size=(n_check, *shape)).astype(np.float32)
            for name, shape in shapes.items()
        }
        check_source = "random normal windows"
    report = {
        "source": os.path.basename(model_path),
        "format": "tflite",
        **info,
        "size_bytes": len(flatbuffer),
        "inputs": {name: list(shape) for name, shape in shapes.items()},
        "outputs": list(model.output_names),
    }
    if info["select_tf_ops"]:
        report["check"] = (
            "skipped: the model needs SELECT_TF_OPS (Flex), which the LiteRT wheel cannot run"
        )
    else:
        agreement = compare(
            keras_outputs(model, check_inputs), run_tflite(flatbuffer, check_inputs)
        )
        report["check"] = {
            "windows": len(next(iter(check_inputs.values()))),
            "on": check_source,
            "outputs": agreement,
        }
    with open(os.path.join(output_dir, "export.json"), "w") as handle:
        json.dump(report, handle, indent=2)
    report["path"] = path
    return report


def build_parser():
    parser = argparse.ArgumentParser(
        prog="python -m amigos_emo.export",
        description="Convert a trained best.keras to TFLite (LiteRT) for a phone or microcontroller-class device.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--model", required=True, help="a fold's best.keras (preprocessing.json beside it)"
    )
    parser.add_argument("--format", default="tflite", choices=FORMATS, help="output format")
    parser.add_argument(
        "--quantize", default="none", choices=QUANTIZATIONS, help="weight/activation quantisation"
    )
    parser.add_argument(
        "--calibration-data", default=None, help="NPZ of windows, one array per model input (int8)"
    )
    parser.add_argument(
        "--dataset", default=None, help="read calibration windows from this prepared corpus..."
    )
    parser.add_argument("--split", default=None, help="...split (e.g. subject_01 or train)")
    parser.add_argument(
        "--data-dir", default=None, help="prepared datasets folder (default ~/amigos_emo_data)"
    )
    parser.add_argument(
        "--manual-dir", default=None, help="the corpus files as downloaded (licensed corpora)"
    )
    parser.add_argument(
        "--calibration-windows", type=int, default=256, help="windows used for int8 calibration"
    )
    parser.add_argument(
        "--select-tf-ops",
        default="auto",
        choices=SELECT_TF_OPS,
        help="allow TensorFlow ops the TFLite builtins lack (needs the Flex delegate on device)",
    )
    parser.add_argument(
        "--batch-size", type=int, default=1, help="the fixed batch of the exported signature"
    )
    parser.add_argument(
        "--output-dir", default=None, help="default: <model folder>/tflite-<quantize>"
    )
    return parser


def main(argv=None):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    args = build_parser().parse_args(argv)
    try:
        if (args.dataset is None) != (args.split is None):
            raise ValueError(
                "--dataset and --split go together (calibration windows from one split)."
            )
        if args.calibration_data and args.dataset:
            raise ValueError("pass --calibration-data or --dataset/--split, not both.")
        calibration = None
        if args.calibration_data or args.dataset:
            from amigos_emo.training.modeling import load_trained_model

            shapes = input_shapes(load_trained_model(args.model, compile=False))
            if args.calibration_data:
                calibration = windows_from_npz(
                    args.calibration_data, shapes, limit=args.calibration_windows
                )
            else:
                calibration = windows_from_dataset(
                    args.dataset,
                    args.split,
                    shapes,
                    limit=args.calibration_windows,
                    data_dir=args.data_dir,
                    manual_dir=args.manual_dir,
                )
        report = export_model(
            args.model,
            output_dir=args.output_dir,
            quantize=args.quantize,
            calibration=calibration,
            select_tf_ops=args.select_tf_ops,
            batch_size=args.batch_size,
        )
    except (ValueError, FileNotFoundError, RuntimeError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(
        f"Wrote {report['path']} ({report['size_bytes'] / 1024:.1f} KiB, quantize={report['quantize']}, "
        f"select_tf_ops={report['select_tf_ops']})"
    )
    if isinstance(report["check"], dict):
        for name, entry in report["check"]["outputs"].items():
            extra = (
                f", class agreement {entry['class_agreement']:.3f}"
                if "class_agreement" in entry
                else ""
            )
            print(
                f"  {name}: max |tflite - keras| {entry['max_abs_error']:.3g} (output range "
                f"{entry['output_range']:.3g}){extra}"
            )
    else:
        print(f"  check {report['check']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
