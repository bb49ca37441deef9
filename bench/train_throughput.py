"""Training throughput of every registered model on CPU: Keras (XLA off / on) vs its PyTorch peer.

For each model in :func:`amigos_emo.models.list_models` that has a row in
:data:`REALISTIC_SHAPES`, the script builds the default preset through the registry
(:func:`amigos_emo.models.build_model`; so it follows any change of the Keras models), compiles
it with the registry's ``compile`` (one model with ``jit_compile=False``, a fresh one with
``jit_compile=True``), builds the PyTorch peer from ``bench/torch_peers.py`` with the same
widths, and prints the trainable parameter counts side by side. Every variant runs its warm-up
steps (tracing, XLA compilation; excluded), then the variants take turns: in each of
``--rounds`` rounds every variant times ``--steps`` full training steps (forward, loss,
backward, optimiser update; ``train_on_batch`` for Keras) on one fixed random batch of 32.
Interleaving puts load changes from other processes on all variants alike; ``samples/s`` is
32 / the median step over all rounds and ``keras/torch`` the median over rounds of the
per-round ratio (best Keras variant / torch).

Both frameworks are pinned to the same intra-op thread count (``--threads``, default 2) and
inter-op thread count (1 by default, so neither runs independent ops side by side on top of
its intra-op pool); the script prints the settings and the OpenMP environment
(``OMP_WAIT_POLICY``, set by ``--omp-wait-policy`` before torch loads, default ``passive``: with
OpenMP's spinning idle threads torch's 2-thread steps were 10-20x slower on the loaded 2-core
machine, so the default gives torch its better setting).

TensorFlow's oneDNN kernels (``TF_ENABLE_ONEDNN_OPTS``, read once when TensorFlow loads) are
set as ``python -m amigos_emo.train`` sets them (``--onednn auto``: on for the models in
``amigos_emo.models.registry.ONEDNN_MODELS``, TensorFlow's default for the others). When the
selected models differ, each group runs in its own child process (the variable cannot change
inside one) and the parent prints their tables and one summary; ``--onednn on`` / ``off`` /
``inherit`` run everything in one process with that setting (``inherit``: the environment's).

``--precision mixed_bfloat16`` (or ``both``) also times Keras under the ``mixed_bfloat16``
policy and torch under ``torch.autocast("cpu", torch.bfloat16)``, and prints the largest
difference of the float32 and bfloat16 Keras predictions for the same weights.

Run::

    python bench/train_throughput.py                          # all models, long (gru_xnet, vae_gnn)
    python bench/train_throughput.py --quick                  # smoke run
    python bench/train_throughput.py --models res_attention_net,gru_classifier --rounds 7
    python bench/train_throughput.py --models gru_classifier --precision both
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

# CPU only, quiet TF; both must be set before TensorFlow is imported.
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

BATCH_SIZE = 32

# Realistic per-example input shapes (no batch axis) for each registered model, as the
# package's builders write them, and the n_outputs passed to build (None: the preset's).
REALISTIC_SHAPES = {
    # AMIGOS 4 s windows at 128 Hz: 14 EEG channels, 2 ECG leads, 1 GSR channel.
    "multimodal_lstm": ({"eeg": (512, 14), "ecg": (512, 2), "gsr": (512, 1)}, None),
    # Kaggle feeling-emotions CSV: 2548 features, 3 classes.
    "gru_classifier": ({"features": (2548,)}, 3),
    # DEAP STFT: 32 channels, 33 frames, 23 frequency bins (gru_xnet "standard" preset).
    "gru_xnet": ({"stft": (32, 33, 23)}, None),
    # SEED-IV DE sequence: 60 steps x (62 channels * 5 bands), 4 classes.
    "res_attention_net": ({"de": (60, 310)}, None),
    # DREAMER graph config: last 10 s at 128 Hz on the 9x9 grid; DE of ten 1 s sub-windows.
    "vae_gnn": (
        {"eeg_grid": (1280, 9, 9), "node_features": (5, 14, 10), "adjacency": (5, 14, 14)},
        None,
    ),
}

PRECISIONS = ("float32", "mixed_bfloat16")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: 1 warm-up, 1 round of 2")
    parser.add_argument("--models", default="", help="comma-separated model names (default: all)")
    parser.add_argument("--batch-size", type=int, default=BATCH_SIZE)
    parser.add_argument("--warmup-steps", type=int, default=None, help="default 3 (1 with --quick)")
    parser.add_argument("--rounds", type=int, default=None, help="default 5 (1 with --quick)")
    parser.add_argument(
        "--steps", type=int, default=None, help="timed steps per round (default 10, 2 quick)"
    )
    parser.add_argument("--threads", type=int, default=2, help="intra-op threads of both")
    parser.add_argument("--inter-op-threads", type=int, default=1, help="inter-op threads of both")
    parser.add_argument(
        "--precision", choices=(*PRECISIONS, "both"), default="float32", help="default float32"
    )
    parser.add_argument(
        "--omp-wait-policy",
        choices=("passive", "active", "inherit"),
        default="passive",
        help="OMP_WAIT_POLICY for torch's OpenMP pool, set before torch loads (default passive: "
        "idle threads sleep instead of spinning, torch's better setting on a loaded machine; "
        "inherit keeps the environment's)",
    )
    parser.add_argument("--no-xla", action="store_true", help="skip the jit_compile=True variant")
    parser.add_argument("--no-torch", action="store_true", help="skip the PyTorch peers")
    parser.add_argument(
        "--onednn",
        choices=("auto", "on", "off", "inherit"),
        default="auto",
        help="TensorFlow's oneDNN kernels: auto = as the training CLI sets them per model (groups "
        "in child processes); on / off for every model; inherit = the environment's",
    )
    args = parser.parse_args(argv)
    defaults = {"warmup_steps": (3, 1), "rounds": (5, 1), "steps": (10, 2)}
    for name, (full, quick) in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, quick if args.quick else full)
    counts = {
        "batch_size": args.batch_size,
        "warmup_steps": args.warmup_steps,
        "rounds": args.rounds,
        "steps": args.steps,
        "threads": args.threads,
        "inter_op_threads": args.inter_op_threads,
    }
    bad = {k: v for k, v in counts.items() if v < 1}
    if bad:
        parser.error(f"counts must be >= 1. Received: {bad}")
    args.precisions = PRECISIONS if args.precision == "both" else (args.precision,)
    return args


def random_inputs(input_shapes, batch_size, seed=0):
    """Standard-normal float32 inputs ``{name: (batch_size, *shape)}``."""
    rng = np.random.default_rng(seed)
    return {
        name: rng.standard_normal((batch_size, *shape)).astype("float32")
        for name, shape in input_shapes.items()
    }


def time_steps(step, n_steps):
    """Per-call seconds of ``n_steps`` calls of ``step``."""
    durations = []
    for _ in range(n_steps):
        start = time.perf_counter()
        step()
        durations.append(time.perf_counter() - start)
    return durations


def keras_variant(name, input_shapes, n_outputs, jit_compile, precision, batch_size):
    """A compiled registry model and its ``train_on_batch`` step on one random batch."""
    import keras

    from amigos_emo.models import build_model, get_model_entry
    from amigos_emo.models.model_harness import make_targets

    entry = get_model_entry(name)
    previous = keras.mixed_precision.global_policy().name
    keras.mixed_precision.set_global_policy(precision)
    try:
        keras.utils.set_random_seed(0)
        model = build_model(name, input_shapes, n_outputs=n_outputs)
    finally:
        keras.mixed_precision.set_global_policy(previous)
    entry.compile(model, steps_per_epoch=100, epochs=10, jit_compile=jit_compile)
    inputs = random_inputs(input_shapes, batch_size)
    targets = make_targets(model, entry.task, batch_size=batch_size)
    losses = []

    def step():
        losses.append(float(model.train_on_batch(inputs, targets, return_dict=True)["loss"]))

    return model, step, losses, inputs, targets


def thread_settings(args, torch):
    """Pin TF (before it starts) and torch to the same thread counts; return a report line."""
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    tf.config.threading.set_inter_op_parallelism_threads(args.inter_op_threads)
    parts = [
        f"TF intra-op {tf.config.threading.get_intra_op_parallelism_threads()}",
        f"inter-op {tf.config.threading.get_inter_op_parallelism_threads()}",
    ]
    if torch is not None:
        torch.set_num_threads(args.threads)
        try:
            torch.set_num_interop_threads(args.inter_op_threads)
        except RuntimeError:  # already set once in this process
            pass
        parts.append(
            f"torch intra-op {torch.get_num_threads()} inter-op {torch.get_num_interop_threads()}"
        )
    env = ("OMP_NUM_THREADS", "OMP_WAIT_POLICY", "KMP_BLOCKTIME", "KMP_AFFINITY")
    parts.append(", ".join(f"{k}={os.environ.get(k, 'unset')}" for k in env))
    return "threads: " + "; ".join(parts)


def bench_model(name, args, torch):
    """Warm up every variant of ``name``, then time them in interleaved rounds."""
    from torch_peers import PEERS, build_peer, keras_trainable_count

    input_shapes, n_outputs = REALISTIC_SHAPES[name]
    variants = {}  # label -> dict(step, kind, precision)
    reference_model = None
    for precision in args.precisions:
        for jit in (False,) if args.no_xla else (False, True):
            label = f"keras XLA {'on' if jit else 'off'}"
            try:
                model, step, losses, inputs, _ = keras_variant(
                    name, input_shapes, n_outputs, jit, precision, args.batch_size
                )
            except Exception as error:  # report and go on with the other variants
                print(f"  {name} {label} {precision}: failed: {type(error).__name__}: {error}")
                continue
            variants[(label, precision)] = {"step": step, "losses": losses, "model": model}
            if reference_model is None:
                reference_model = model
        if torch is not None and name in PEERS and reference_model is not None:
            peer = build_peer(name, reference_model, input_shapes)
            keras_inputs = random_inputs(input_shapes, args.batch_size)
            from amigos_emo.models import get_model_entry
            from amigos_emo.models.model_harness import make_targets

            targets = make_targets(
                reference_model, get_model_entry(name).task, batch_size=args.batch_size
            )
            losses = []
            step = peer.train_step(
                keras_inputs, targets, dtype="bfloat16" if precision != "float32" else None
            )

            def torch_step(step=step, losses=losses):
                losses.append(step())

            variants[("torch", precision)] = {"step": torch_step, "losses": losses, "peer": peer}
    if not variants:
        return None

    counts = {"keras": keras_trainable_count(reference_model)} if reference_model else {}
    for (label, _), variant in variants.items():
        if label == "torch":
            counts["torch"] = variant["peer"].n_trainable()
    warmup = {}
    for key, variant in variants.items():
        start = time.perf_counter()
        for _ in range(args.warmup_steps):
            variant["step"]()
        warmup[key] = time.perf_counter() - start
    durations = {key: [] for key in variants}
    round_ratios = {precision: [] for precision in args.precisions}
    for _ in range(args.rounds):
        medians = {}
        for key, variant in variants.items():
            times = time_steps(variant["step"], args.steps)
            durations[key] += times
            medians[key] = statistics.median(times)
        for precision in args.precisions:
            keras_times = [
                medians[k] for k in medians if k[1] == precision and k[0].startswith("keras")
            ]
            if keras_times and ("torch", precision) in medians:
                round_ratios[precision].append(medians[("torch", precision)] / min(keras_times))
    for key, variant in variants.items():
        if not np.all(np.isfinite(variant["losses"])):
            raise FloatingPointError(f"{name} {key}: non-finite training loss {variant['losses']}")

    rows = []
    for key in variants:
        median_s = statistics.median(durations[key])
        rows.append(
            {
                "variant": key[0],
                "precision": key[1],
                "warmup_s": warmup[key],
                "step_ms": 1e3 * median_s,
                "samples_per_s": args.batch_size / median_s,
            }
        )
    bf16_diff = None
    if len(args.precisions) == 2:
        bf16_diff = _bf16_prediction_diff(variants, args.batch_size, input_shapes)
    return {
        "name": name,
        "counts": counts,
        "rows": rows,
        "ratios": {p: r for p, r in round_ratios.items() if r},
        "bf16_diff": bf16_diff,
    }


def _bf16_prediction_diff(variants, batch_size, input_shapes):
    """Largest |float32 - bfloat16| prediction of the XLA-off Keras models, same weights."""
    f32 = variants.get(("keras XLA off", "float32"))
    bf16 = variants.get(("keras XLA off", "mixed_bfloat16"))
    if f32 is None or bf16 is None:
        return None
    bf16["model"].set_weights(f32["model"].get_weights())
    inputs = random_inputs(input_shapes, batch_size, seed=5)
    a = f32["model"].predict_on_batch(inputs)
    b = bf16["model"].predict_on_batch(inputs)
    a = a if isinstance(a, dict) else {"out": a}
    b = b if isinstance(b, dict) else {"out": b}
    return max(float(np.max(np.abs(np.asarray(a[k]) - np.asarray(b[k])))) for k in a)


def onednn_groups(args):
    """[(setting, models)]: the selected models grouped by the oneDNN setting they train with;
    one group (models None: all selected) when they share it."""
    from amigos_emo.models.registry import ONEDNN_ENV, ONEDNN_MODELS

    if args.onednn != "auto" or ONEDNN_ENV in os.environ:
        return [("inherit" if args.onednn == "auto" else args.onednn, None)]
    names = [m.strip() for m in args.models.split(",") if m.strip()] or list(REALISTIC_SHAPES)
    groups = [
        (setting, models)
        for setting, models in (
            ("on", [m for m in names if m in ONEDNN_MODELS]),
            ("inherit", [m for m in names if m not in ONEDNN_MODELS]),
        )
        if models
    ]
    return groups if len(groups) > 1 else [(groups[0][0] if groups else "inherit", None)]


def run_groups(groups, args, argv):
    """Run each (setting, models) group as a child process; print its output, then one summary."""
    import subprocess

    argv = list(sys.argv[1:] if argv is None else argv)
    for flag in ("--models", "--onednn"):  # replaced per group
        while flag in argv:
            index = argv.index(flag)
            del argv[index : index + 2]
        argv = [a for a in argv if not a.startswith(flag + "=")]
    summaries = []
    for setting, models in groups:
        command = [sys.executable, __file__, *argv, "--models", ",".join(models)]
        command += ["--onednn", setting]
        print(f"== oneDNN {setting}: {', '.join(models)} (child process)", flush=True)
        with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as child:
            for line in child.stdout:  # rows appear as the child measures them
                if line.startswith("Summary: "):
                    summaries.append(line.rstrip("\n").split(": ", 2)[-1])
                print(line, end="")
        if child.returncode:
            sys.exit(f"the oneDNN {setting} group failed (exit status {child.returncode})")
    if not args.models.strip(", "):  # all models: the children saw only those with shapes
        from amigos_emo.models import list_models

        print_skipped(m for m in list_models(framework="keras") if m not in REALISTIC_SHAPES)
    print("Summary of all groups: Keras best / torch samples/s: " + ", ".join(summaries))


def print_skipped(names):
    for name in names:
        print(f"{name:<18} skipped: no realistic input shapes in REALISTIC_SHAPES (add a row)")


def main(argv=None):
    args = parse_args(argv)
    sys.stdout.reconfigure(line_buffering=True)  # rows appear as they are measured
    groups = onednn_groups(args)
    if len(groups) > 1:
        run_groups(groups, args, argv)
        return
    if groups[0][0] in ("on", "off"):
        from amigos_emo.models.registry import ONEDNN_ENV

        os.environ[ONEDNN_ENV] = "1" if groups[0][0] == "on" else "0"
    if args.omp_wait_policy != "inherit":
        os.environ["OMP_WAIT_POLICY"] = args.omp_wait_policy.upper()
    torch = None
    if not args.no_torch:
        from torch_peers import preload_torch

        torch = preload_torch()  # before TensorFlow: see torch_peers' module docstring
    import tensorflow as tf

    threads = thread_settings(args, torch)
    from amigos_emo.models.registry import onednn_enabled

    threads += f"; TF oneDNN {'on' if onednn_enabled() else 'off'}"

    from amigos_emo.models import list_models

    registered = list_models(framework="keras")
    selected = [m.strip() for m in args.models.split(",") if m.strip()] or registered
    unknown = [m for m in selected if m not in registered]
    if unknown:
        sys.exit(
            f"--models: unknown {unknown}. Expected some of {registered}. "
            f"Received: --models={args.models!r}"
        )
    skipped = [m for m in selected if m not in REALISTIC_SHAPES]
    selected = [m for m in selected if m in REALISTIC_SHAPES]

    print(
        f"Training throughput on CPU, batch {args.batch_size}, {args.warmup_steps} warm-up steps, "
        f"{args.rounds} interleaved rounds x {args.steps} timed steps (medians), "
        f"TF {tf.__version__}"
        + (f", torch {torch.__version__}" if torch is not None else "")
        + f", {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}"
    )
    print(threads)
    if args.no_torch:
        print("PyTorch peers skipped (--no-torch)")
    elif torch is None:
        print("torch not installed, peers skipped (pip install -e '.[bench]')")
    header = (
        f"{'model':<18} {'variant':<14} {'precision':<15} {'warm-up s':>9} {'step ms':>9} "
        f"{'samples/s':>10}"
    )
    print(header)
    print("-" * len(header))
    results = []
    for name in selected:
        result = bench_model(name, args, torch)
        if result is None:
            continue
        results.append(result)
        for row in result["rows"]:
            print(
                f"{name:<18} {row['variant']:<14} {row['precision']:<15} {row['warmup_s']:>9.1f} "
                f"{row['step_ms']:>9.2f} {row['samples_per_s']:>10.1f}"
            )
        counts = result["counts"]
        if "torch" in counts:
            diff = 100.0 * (counts["torch"] - counts["keras"]) / counts["keras"]
            print(
                f"{name:<18} trainable parameters: keras {counts['keras']:,}, "
                f"torch {counts['torch']:,} ({diff:+.2f} %)"
            )
        for precision, ratios in result["ratios"].items():
            print(
                f"{name:<18} keras/torch ({precision}): median {statistics.median(ratios):.2f}x "
                f"over rounds [{', '.join(f'{r:.2f}' for r in ratios)}]"
            )
        if result["bf16_diff"] is not None:
            print(
                f"{name:<18} max |float32 - mixed_bfloat16| prediction, same weights: "
                f"{result['bf16_diff']:.2e}"
            )
    print_skipped(skipped)

    parts = []
    for result in results:
        for precision, ratios in result["ratios"].items():
            parts.append(f"{result['name']} {statistics.median(ratios):.2f}x ({precision})")
    print("Summary: Keras best / torch samples/s: " + (", ".join(parts) or "none measured"))
    print(f"load average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
