"""Training throughput of every registered model on CPU, with XLA off and on.

For each model in :func:`amigos_emo.models.list_models` that has a row in
:data:`REALISTIC_SHAPES`, the script builds the default preset through the registry, compiles it
with the registry's ``compile`` (``jit_compile=False``, then a fresh model with
``jit_compile=True``), runs warm-up training steps (tracing and XLA compilation happen there and
are excluded), then times full training steps (forward, backward, optimiser update) on one
random batch of 32 with :meth:`keras.Model.train_on_batch`. Targets are of the right kind for
each output (one-hot, 0/1 or real). Models registered later are picked up automatically; those
without a shape row are listed and skipped.

If ``torch`` is importable, a PyTorch version of the multimodal LSTM written from the same
description (same widths as the Keras default preset, same pooling front-end, losses and
optimiser) is timed in the same run as a reference.

Run::

    python bench/train_throughput.py                  # all models, a few minutes
    python bench/train_throughput.py --quick          # smoke run: 1 warm-up + 2 timed steps
    python bench/train_throughput.py --models multimodal_lstm,gru_classifier

Timings on a shared machine vary by tens of percent between runs; compare the XLA on/off ratio
measured in the same run rather than absolute numbers across runs.
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

BATCH_SIZE = 32

# Realistic per-example input shapes (no batch axis) for each registered model, as the
# package's builders write them, and the n_outputs passed to build (None: the preset's).
REALISTIC_SHAPES = {
    # AMIGOS 4 s windows at 128 Hz: 14 EEG channels, 2 ECG leads, 1 GSR channel.
    "multimodal_lstm": ({"eeg": (512, 14), "ecg": (512, 2), "gsr": (512, 1)}, None),
    # Kaggle feeling-emotions CSV: 2548 features, 3 classes.
    "gru_classifier": ({"features": (2548,)}, 3),
    # DEAP STFT: 32 channels, 33 frames, 23 frequency bins (gru_xnet "deap" preset).
    "gru_xnet": ({"stft": (32, 33, 23)}, None),
    # SEED-IV DE sequence: 60 steps x (62 channels * 5 bands).
    "res_attention_net": ({"de": (60, 310)}, None),
    # DREAMER graph config: last 10 s at 128 Hz on the 9x9 grid; DE of ten 1 s sub-windows.
    "vae_gnn": (
        {"eeg_grid": (1280, 9, 9), "node_features": (5, 14, 10), "adjacency": (5, 14, 14)},
        None,
    ),
}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="smoke run: 1 warm-up and 2 timed steps"
    )
    parser.add_argument("--models", default="", help="comma-separated model names (default: all)")
    parser.add_argument("--batch-size", type=int, default=BATCH_SIZE)
    parser.add_argument("--warmup-steps", type=int, default=None, help="default 3 (1 with --quick)")
    parser.add_argument(
        "--steps", type=int, default=None, help="timed steps (default 20, 2 with --quick)"
    )
    parser.add_argument("--no-torch", action="store_true", help="skip the PyTorch reference")
    args = parser.parse_args(argv)
    if args.warmup_steps is None:
        args.warmup_steps = 1 if args.quick else 3
    if args.steps is None:
        args.steps = 2 if args.quick else 20
    if args.batch_size < 1 or args.steps < 1 or args.warmup_steps < 1:
        parser.error(
            "--batch-size, --steps and --warmup-steps must be >= 1. Received: "
            f"batch_size={args.batch_size}, steps={args.steps}, warmup_steps={args.warmup_steps}"
        )
    return args


def random_inputs(input_shapes, batch_size, seed=0):
    rng = np.random.default_rng(seed)
    return {
        name: rng.standard_normal((batch_size, *shape)).astype("float32")
        for name, shape in input_shapes.items()
    }


def time_steps(step, warmup_steps, steps):
    """Run ``step`` ``warmup_steps`` times untimed, then time each of ``steps`` calls.

    Returns:
        (warm-up seconds, list of per-step seconds).
    """
    start = time.perf_counter()
    for _ in range(warmup_steps):
        step()
    warmup_s = time.perf_counter() - start
    durations = []
    for _ in range(steps):
        start = time.perf_counter()
        step()
        durations.append(time.perf_counter() - start)
    return warmup_s, durations


def time_keras_model(name, input_shapes, n_outputs, jit_compile, args):
    """Samples per second of full training steps of the registered model ``name``."""
    import keras

    from amigos_emo.models import build_model, get_model_entry
    from amigos_emo.models.model_harness import make_targets

    entry = get_model_entry(name)
    keras.utils.set_random_seed(0)
    model = build_model(name, input_shapes, n_outputs=n_outputs)
    entry.compile(model, steps_per_epoch=100, epochs=10, jit_compile=jit_compile)
    inputs = random_inputs(input_shapes, args.batch_size)
    targets = make_targets(model, entry.task, batch_size=args.batch_size)
    losses = []

    def step():
        losses.append(model.train_on_batch(inputs, targets, return_dict=True)["loss"])

    warmup_s, durations = time_steps(step, args.warmup_steps, args.steps)
    if not np.all(np.isfinite(losses)):
        raise FloatingPointError(f"{name}: non-finite training loss {losses}")
    median_s = statistics.median(durations)
    return {
        "params": model.count_params(),
        "warmup_s": warmup_s,
        "step_ms": 1e3 * median_s,
        "samples_per_s": args.batch_size / median_s,
    }


def time_torch_multimodal_lstm(args):
    """The multimodal LSTM in PyTorch (same description and widths), samples per second.

    Returns ``None`` when torch is not importable.
    """
    try:
        import torch
        from torch import nn
    except ImportError:
        return None

    from amigos_emo.models import build_model

    shapes, _ = REALISTIC_SHAPES["multimodal_lstm"]
    # The Keras default preset's full configuration (widths, pooling, EEG filter bank, dropout).
    config = build_model("multimodal_lstm", shapes).get_config()
    pool_size, taps, dropout = config["pool_size"], config["eeg_filter_taps"], config["dropout"]

    class Branch(nn.Module):
        def __init__(self, signal):
            super().__init__()
            n_chans = shapes[signal][1]
            self.filter_bank = None
            if signal == "eeg" and taps > 0:
                # Per-channel FIR with stride pool_size and ReLU, "same" padding as in Keras.
                self.filter_bank = nn.Conv1d(
                    n_chans, n_chans, taps, stride=pool_size, groups=n_chans
                )
            self.pool = nn.AvgPool1d(pool_size) if pool_size > 1 else nn.Identity()
            lstm_units = config[f"{signal}_lstm_units"]
            sizes = [n_chans, *lstm_units]
            self.lstms = nn.ModuleList(
                nn.LSTM(a, b, batch_first=True) for a, b in zip(sizes[:-1], sizes[1:], strict=True)
            )
            layers, width = [], lstm_units[-1]
            for units in config[f"{signal}_dense_units"]:
                layers += [nn.Linear(width, units), nn.ReLU(), nn.Dropout(dropout)]
                width = units
            self.dense = nn.Sequential(*layers)
            self.width = width

        def forward(self, x):  # x: (batch, n_times, n_chans)
            x = x.transpose(1, 2)
            if self.filter_bank is not None:
                n_times = x.shape[-1]
                n_out = -(-n_times // pool_size)
                total = max((n_out - 1) * pool_size + taps - n_times, 0)
                x = torch.relu(
                    self.filter_bank(nn.functional.pad(x, (total // 2, total - total // 2)))
                )
            else:
                x = self.pool(x)
            x = x.transpose(1, 2)
            for lstm in self.lstms:
                x, _ = lstm(x)
            return self.dense(x[:, -1])

    class TorchMultimodalLSTM(nn.Module):
        def __init__(self):
            super().__init__()
            self.branches = nn.ModuleDict(
                {signal: Branch(signal) for signal in ("eeg", "ecg", "gsr")}
            )
            width = sum(branch.width for branch in self.branches.values())
            layers = [nn.BatchNorm1d(width)] if config["use_batch_norm"] else []
            for units in config["fusion_units"]:
                layers += [nn.Linear(width, units), nn.ReLU(), nn.Dropout(dropout)]
                width = units
            self.fusion = nn.Sequential(*layers)
            self.heads = nn.Linear(width, 3)  # valence, arousal, transition logit

        def forward(self, inputs):
            fused = self.fusion(
                torch.cat([self.branches[s](inputs[s]) for s in ("eeg", "ecg", "gsr")], dim=-1)
            )
            return self.heads(fused)

    torch.manual_seed(0)
    model = TorchMultimodalLSTM()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    inputs = {k: torch.from_numpy(v) for k, v in random_inputs(shapes, args.batch_size).items()}
    rng = np.random.default_rng(1)
    regression = torch.from_numpy(rng.standard_normal((args.batch_size, 2)).astype("float32"))
    transition = torch.from_numpy(rng.integers(0, 2, (args.batch_size,)).astype("float32"))

    def step():
        optimizer.zero_grad()
        outputs = model(inputs)
        loss = nn.functional.mse_loss(outputs[:, 0], regression[:, 0])
        loss = loss + nn.functional.mse_loss(outputs[:, 1], regression[:, 1])
        loss = loss + nn.functional.binary_cross_entropy_with_logits(outputs[:, 2], transition)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()

    model.train()
    warmup_s, durations = time_steps(step, args.warmup_steps, args.steps)
    median_s = statistics.median(durations)
    return {
        "params": sum(p.numel() for p in model.parameters()),
        "warmup_s": warmup_s,
        "step_ms": 1e3 * median_s,
        "samples_per_s": args.batch_size / median_s,
        "threads": torch.get_num_threads(),
    }


def main(argv=None):
    args = parse_args(argv)
    sys.stdout.reconfigure(line_buffering=True)  # rows appear as they are measured
    import tensorflow as tf

    from amigos_emo.models import list_models

    registered = list_models(framework="keras")
    selected = [m.strip() for m in args.models.split(",") if m.strip()] or registered
    unknown = [m for m in selected if m not in registered]
    if unknown:
        sys.exit(
            f"--models: unknown {unknown}. Expected some of {registered}. Received: --models={args.models!r}"
        )
    skipped = [m for m in selected if m not in REALISTIC_SHAPES]
    selected = [m for m in selected if m in REALISTIC_SHAPES]

    print(
        f"Training throughput on CPU, batch {args.batch_size}, {args.warmup_steps} warm-up + "
        f"{args.steps} timed steps (median), TF {tf.__version__}, "
        f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}"
    )
    header = f"{'model':<18} {'params':>10} {'XLA':>4} {'warm-up s':>10} {'step ms':>9} {'samples/s':>10}"
    print(header)
    print("-" * len(header))
    results = {}
    for name in selected:
        input_shapes, n_outputs = REALISTIC_SHAPES[name]
        for jit_compile in (False, True):
            try:
                row = time_keras_model(name, input_shapes, n_outputs, jit_compile, args)
            except Exception as error:  # report and go on with the other models
                print(
                    f"{name:<18} {'':>10} {'on' if jit_compile else 'off':>4}  failed: {type(error).__name__}: {error}"
                )
                continue
            results[(name, jit_compile)] = row
            print(
                f"{name:<18} {row['params']:>10,} {'on' if jit_compile else 'off':>4} "
                f"{row['warmup_s']:>10.1f} {row['step_ms']:>9.1f} {row['samples_per_s']:>10.1f}",
                flush=True,
            )
    for name in skipped:
        print(f"{name:<18} skipped: no realistic input shapes in REALISTIC_SHAPES (add a row)")

    torch_row = None
    if args.no_torch:
        print("PyTorch reference skipped (--no-torch)")
    elif "multimodal_lstm" in selected:
        torch_row = time_torch_multimodal_lstm(args)
        if torch_row is None:
            print("torch not installed, reference skipped")
        else:
            print(
                f"{'torch mm_lstm':<18} {torch_row['params']:>10,} {'-':>4} "
                f"{torch_row['warmup_s']:>10.1f} {torch_row['step_ms']:>9.1f} "
                f"{torch_row['samples_per_s']:>10.1f}   ({torch_row['threads']} torch threads)"
            )

    ratios = {
        name: results[(name, True)]["samples_per_s"] / results[(name, False)]["samples_per_s"]
        for name in selected
        if (name, True) in results and (name, False) in results
    }
    summary = ", ".join(f"{name} {ratio:.2f}x" for name, ratio in ratios.items()) or "none measured"
    line = f"Summary: XLA on/off throughput ratio: {summary}"
    if torch_row is not None and ("multimodal_lstm", False) in results:
        best = max(
            results[("multimodal_lstm", jit)]["samples_per_s"]
            for jit in (False, True)
            if ("multimodal_lstm", jit) in results
        )
        line += f"; Keras best / torch multimodal_lstm: {best / torch_row['samples_per_s']:.2f}x"
    print(line)


if __name__ == "__main__":
    main()
