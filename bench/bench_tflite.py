"""TFLite (LiteRT) size and per-window CPU latency of every registered model, against Keras.

For each harness case (``models/harness_cases.py``: every registered model at tiny shapes) and,
with ``--realistic``, at the shapes the corpora feed (AMIGOS 4 s windows at 128 Hz for the
multimodal LSTM, SEED DE sequences, DEAP STFT maps, DREAMER grids; default presets), the model is
built untrained
(weights do not change the op graph or the cost), converted with
:func:`amigos_emo.export.convert` per quantisation, and timed on one window at a time:

- ``keras ms``: ``model(window, training=False)`` inside a ``tf.function`` (the fastest Keras
  path for a single window), median of ``--repeats`` calls after warm-up;
- ``litert ms``: the ``ai_edge_litert`` interpreter (XNNPACK, ``--threads`` threads, 2 by
  default) on the same window, median of ``--repeats`` invocations; ``1 thread`` the same with
  one thread (on a busy 2-core machine a second interpreter thread often waits for a core);
- ``size KiB`` of the flatbuffer, and ``max err``: the largest ``|tflite - keras|`` over 16 random
  windows (``class agr``: argmax agreement for multi-unit heads).

A case that fails to convert is printed with the converter's first error line.

Run: ``python bench/bench_tflite.py`` (float32 only, every model: a few minutes on 2 busy cores,
conversion dominates), ``--quantize none float16 int8`` for the three, ``--quick`` for one model.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

REALISTIC = {  # registry name -> (input shapes the corpora feed, build arguments)
    "multimodal_lstm": ({"eeg": (512, 14), "ecg": (512, 2), "gsr": (512, 1)}, {}),  # AMIGOS 4 s
    "gru_classifier": ({"features": (2548,)}, {}),  # Muse mental-state feature vectors
    "res_attention_net": ({"de": (60, 310)}, {}),  # SEED DE sequences
    "gru_xnet": ({"stft": (32, 33, 23)}, {"preset": "standard"}),  # DEAP STFT maps
    "vae_gnn": (
        {"eeg_grid": (1280, 9, 9), "node_features": (5, 14, 10), "adjacency": (5, 14, 14)},
        {},
    ),
}


def _windows(shapes, n, seed=0):
    rng = np.random.default_rng(seed)
    windows = {
        name: rng.normal(size=(n, *shape)).astype(np.float32) for name, shape in shapes.items()
    }
    if "adjacency" in windows:
        windows["adjacency"] = np.abs(windows["adjacency"])
    return windows


def _median_ms(function, repeats):
    function()
    times = []
    for _ in range(repeats):
        began = time.perf_counter()
        function()
        times.append(time.perf_counter() - began)
    return 1e3 * float(np.median(times))


def bench_case(name, shapes, n_outputs, build_kwargs, quantizations, threads, repeats):
    import tensorflow as tf

    from amigos_emo.export import compare, convert, interpreter, keras_outputs, run_tflite
    from amigos_emo.models import build_model

    model = build_model(name, shapes, n_outputs=n_outputs, **build_kwargs)
    one = _windows(shapes, 1)
    check = _windows(shapes, 16, seed=1)
    serve = tf.function(lambda x: model(x, training=False))
    keras_ms = _median_ms(lambda: serve(one), repeats)
    rows = []
    for quantize in quantizations:
        began = time.perf_counter()
        try:
            flatbuffer, info = convert(
                model, quantize=quantize, calibration=_windows(shapes, 64, seed=2)
            )
        except Exception as error:
            rows.append((quantize, None, str(error).splitlines()[0][:120], keras_ms))
            continue
        convert_s = time.perf_counter() - began
        runner = interpreter(flatbuffer, threads).get_signature_runner()
        litert_ms = _median_ms(lambda runner=runner: runner(**one), repeats)
        single = interpreter(flatbuffer, 1).get_signature_runner()
        litert_1_ms = _median_ms(lambda runner=single: runner(**one), repeats)
        agreement = compare(keras_outputs(model, check), run_tflite(flatbuffer, check, threads))
        max_err = max(e["max_abs_error"] for e in agreement.values())
        classes = [e["class_agreement"] for e in agreement.values() if "class_agreement" in e]
        rows.append(
            (
                quantize,
                {
                    "size_kib": len(flatbuffer) / 1024,
                    "litert_ms": litert_ms,
                    "litert_1_ms": litert_1_ms,
                    "convert_s": convert_s,
                    "max_err": max_err,
                    "class_agreement": min(classes) if classes else None,
                    "select_tf_ops": info["select_tf_ops"],
                },
                None,
                keras_ms,
            )
        )
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quantize", nargs="+", default=["none"], choices=["none", "float16", "int8"]
    )
    parser.add_argument(
        "--realistic", action="store_true", help="corpus-sized inputs instead of the harness's"
    )
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=50)
    parser.add_argument("--quick", action="store_true", help="one model, 10 repeats")
    parser.add_argument("--models", nargs="+", default=None, help="only these registered models")
    args = parser.parse_args(argv)

    from amigos_emo.models.harness_cases import HARNESS_CASES

    cases = []
    seen = set()
    for case in HARNESS_CASES:
        if args.models and case.name not in args.models:
            continue
        if args.realistic:
            if case.name in seen:
                continue
            seen.add(case.name)
            shapes, kwargs = REALISTIC[case.name]
        else:
            shapes, kwargs = case.input_shapes, case.build_kwargs
        cases.append(
            (
                case.test_id if not args.realistic else case.name,
                case.name,
                shapes,
                case.n_outputs,
                kwargs,
            )
        )
    if args.quick:
        cases, args.repeats = cases[:1], 10
    header = (
        f"{'model':32} {'quant':8} {'size KiB':>9} {'keras ms':>9} {'litert ms':>9} {'1 thread':>9} "
        f"{'speed-up':>8} "
        f"{'max err':>9} {'class agr':>9} {'flex':>5} {'conv s':>7}"
    )
    print(header)
    print("-" * len(header))
    for label, name, shapes, n_outputs, kwargs in cases:
        for quantize, result, error, keras_ms in bench_case(
            name, shapes, n_outputs, kwargs, args.quantize, args.threads, args.repeats
        ):
            if result is None:
                print(f"{label:32} {quantize:8} conversion failed: {error}")
                continue
            agreement = (
                "-" if result["class_agreement"] is None else f"{result['class_agreement']:.3f}"
            )
            print(
                f"{label:32} {quantize:8} {result['size_kib']:9.1f} {keras_ms:9.3f} {result['litert_ms']:9.3f} "
                f"{result['litert_1_ms']:9.3f} "
                f"{keras_ms / result['litert_ms']:8.1f} {result['max_err']:9.2g} {agreement:>9} "
                f"{'yes' if result['select_tf_ops'] else 'no':>5} {result['convert_s']:7.1f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
