"""Is the training input pipeline faster than the model consumes it? Measured in one run.

For each corpus below, one fold is prepared exactly as training does it
(:func:`amigos_emo.training.runner.prepare_fold`: every subject trains, train-only statistics
baked into the model, examples cached in memory when small), then these rates are measured in
examples per second at the same batch size:

1. ``TFDS read``: ``builder.as_dataset`` of the training splits, batched: reading the TFRecord
   shards and decoding the examples (what the first epoch pays before the cache is filled).
2. ``pipeline``: full epochs of ``FoldData.train_dataset(epoch_seed)`` (cache -> shuffle ->
   map (cast to float32, one-hot / 0-1 targets, class weights) -> batch -> prefetch), iterated
   without a model: what the pipeline can deliver (best epoch of ``--epochs``).
3. ``train_on_batch``: the model's consumption rate: ``model.train_on_batch`` of the wrapped
   registered model (normalisation inside the model) on one batch of the pipeline, repeated
   after warm-up steps (tracing excluded; best of three chunks of ``--steps`` steps).
4. ``fit``: ``model.fit`` on the pipeline (the two together), steady rate between the ends of
   its first and last batches, and ``first batch s``: the time a fresh epoch iterator takes to
   its first finished batch (shuffle-buffer fill plus one step; paid once per epoch).
5. ``fit 1-batch``: ``model.fit`` on one batch held in memory and repeated: Keras fit's own cost
   per step without any input work. ``fit`` close to ``fit 1-batch`` means the input pipeline
   costs nothing visible even while it shares the CPU cores with the model.

"Best of" because the machine may be shared: the best repeat is the least disturbed one.

``pipeline / train_on_batch`` is the headroom: above 1 the model, not the input pipeline, sets
the training speed. The script says which stage is the bottleneck when it is not.

Corpora: the synthetic AMIGOS corpus (``amigos/synthetic``: 12 participants, 3733 windows of
4 s; ``--quick``: 3 participants with 12 s videos) with ``multimodal_lstm``, and the
``muse/features`` corpus (286 features per 1 s window) with ``gru_classifier``, built from
``../shared/data/muse_mental_state`` when present, else from the builder's dummy data.

Run::

    python bench/bench_input_pipeline.py            # a few minutes (builds corpora once)
    python bench/bench_input_pipeline.py --quick    # smoke run, about a minute
    python bench/bench_input_pipeline.py --data-dir /tmp/e2e/data   # reuse prepared corpora

Timings on a shared machine vary by tens of percent between runs; compare the ratios measured
in the same run, not absolute rates across runs.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import sys
import tempfile
import time

# CPU only, quiet TF; both must be set before TensorFlow is imported.
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

REPO_ROOT = pathlib.Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"
MUSE_DUMMY = REPO_ROOT / "tfds_builders" / "muse" / "dummy_data"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: small corpus, few steps")
    parser.add_argument("--batch-size", type=int, default=64, help="default 64 (RunConfig's)")
    parser.add_argument(
        "--epochs", type=int, default=None, help="pipeline epochs timed (default 3, 1 with --quick)"
    )
    parser.add_argument(
        "--steps",
        type=int,
        default=None,
        help="train_on_batch/fit steps (default 20, 3 with --quick)",
    )
    parser.add_argument(
        "--augment",
        default="noise,scale,time_mask,channel_drop",
        help="training-batch augmentation timed as its own pipeline row ('' to skip); default %(default)s",
    )
    parser.add_argument(
        "--data-dir",
        default=os.path.join(tempfile.gettempdir(), "amigos_emo_bench", "data"),
        help="where corpora are prepared (reused between runs)",
    )
    args = parser.parse_args(argv)
    if args.epochs is None:
        args.epochs = 1 if args.quick else 3
    if args.steps is None:
        args.steps = 3 if args.quick else 20
    for name in ("batch_size", "epochs", "steps"):
        if getattr(args, name) < 1:
            parser.error(
                f"--{name.replace('_', '-')} must be >= 1. Received: {name}={getattr(args, name)}"
            )
    return args


# === Helpers (tested in tests/bench/) ===


def rate(n_examples, seconds):
    """Examples per second; ``inf`` for a zero duration, 0 for no examples."""
    if n_examples <= 0:
        return 0.0
    return float("inf") if seconds <= 0 else n_examples / seconds


def bottleneck(rates):
    """Verdict line for ``rates`` (dict with keys ``read``, ``pipeline``, ``consume``, ex/s).

    The pipeline keeps up when its cached rate exceeds the model's consumption rate; a TFDS read
    slower than consumption only slows the first epoch (later epochs read the memory cache).
    """
    headroom = rates["pipeline"] / rates["consume"]
    if headroom < 1.0:
        return f"BOTTLENECK: the input pipeline ({headroom:.2f}x of what the model consumes)"
    text = f"pipeline {headroom:.1f}x faster than the model consumes: the model is the bottleneck"
    if rates["read"] < rates["consume"]:
        text += f"; TFDS read/decode is slower than the model ({rates['read'] / rates['consume']:.2f}x), first epoch only"
    return text


def fit_verdict(rates):
    """How much of the gap between ``fit`` and ``train_on_batch`` the input pipeline explains.

    ``rates`` holds ``fit`` (fit on the pipeline), ``fit_fixed`` (fit on one in-memory batch)
    and ``consume`` (``train_on_batch``), all in examples/s.
    """
    share = rates["fit"] / rates["fit_fixed"]
    overhead = rates["fit_fixed"] / rates["consume"]
    if share < 0.8:
        return (
            f"fit on the pipeline runs at {share:.2f}x of fit on an in-memory batch: the input "
            "pipeline slows training (it shares the CPU cores with the model)"
        )
    return (
        f"fit on the pipeline runs at {share:.2f}x of fit on an in-memory batch (input costs "
        f"nothing visible); fit itself reaches {overhead:.2f}x of train_on_batch"
    )


def format_table(header, rows):
    """Plain fixed-width text table (right-aligned columns, first column left-aligned)."""
    cells = [[str(c) for c in header]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = []
    for index, row in enumerate(cells):
        parts = [row[0].ljust(widths[0])] + [
            c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)
        ]
        lines.append("  ".join(parts))
        if index == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


# === Corpora ===


def amigos_builder(data_dir, quick):
    import tensorflow_datasets as tfds

    from amigos_emo import datasets
    from amigos_emo.tfds_builders.amigos.amigos_dataset_builder import AmigosConfig, Builder

    if not quick:
        return datasets.prepare("amigos/synthetic", data_dir=data_dir), "amigos/synthetic"
    config = AmigosConfig(
        name="bench_quick", synthetic=True, n_participants=3, seed=0, video_s=12.0, long_video_s=9.0
    )
    builder = Builder(config=config, data_dir=os.fspath(data_dir))
    if not builder.is_prepared():
        builder.download_and_prepare(download_config=tfds.download.DownloadConfig())
    return builder, "amigos/synthetic (3 participants, 12 s videos)"


def muse_builder(data_dir):
    from amigos_emo import datasets

    shared = SHARED_DATA / "muse_mental_state"
    if shared.is_dir():
        manual, label, folder = shared, "muse/features (shared recordings a-d)", "muse_shared"
    else:
        manual, label, folder = MUSE_DUMMY, "muse/features (builder dummy data)", "muse_dummy"
    # A separate data_dir per source: both would otherwise share one prepared muse/features.
    builder = datasets.prepare(
        "muse/features", data_dir=os.path.join(data_dir, folder), manual_dir=manual
    )
    return builder, label


# === Measurements ===


def _iterate(dataset):
    """(n_examples, seconds) for one full pass over a batched dataset."""
    import tensorflow as tf

    n = 0
    start = time.perf_counter()
    for batch in dataset:
        first = batch[0] if isinstance(batch, tuple) else batch
        leaf = tf.nest.flatten(first)[0]
        n += int(leaf.shape[0])
    return n, time.perf_counter() - start


def _chunks(total, parts):
    """``total`` split into at most ``parts`` positive chunk sizes."""
    parts = max(1, min(parts, total))
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


class _BatchClock:
    """Records ``time.perf_counter()`` at the end of every training batch."""

    def __init__(self):
        self.ends = []

    def callback(self):
        import keras

        ends = self.ends

        class Callback(keras.callbacks.Callback):
            def on_train_batch_end(self, batch, logs=None):
                ends.append(time.perf_counter())

        return Callback()


def _fit_rate(model, dataset, steps, batch_size):
    """(steady ex/s, seconds to the first finished batch) of ``model.fit`` on ``dataset``."""
    model.fit(dataset, steps_per_epoch=1, epochs=1, verbose=0, shuffle=False)  # tracing
    clock = _BatchClock()
    start = time.perf_counter()
    model.fit(
        dataset,
        steps_per_epoch=steps + 1,
        epochs=1,
        verbose=0,
        shuffle=False,
        callbacks=[clock.callback()],
    )
    return rate(batch_size * steps, clock.ends[-1] - clock.ends[0]), clock.ends[0] - start


def measure(builder, model_name, batch_size, epochs, steps, seed=0, augment=None):
    """Rates (ex/s) of every stage for one corpus and its model."""
    import keras

    from amigos_emo import datasets
    from amigos_emo.models import get_model_entry
    from amigos_emo.training.protocols import Fold
    from amigos_emo.training.runner import prepare_fold

    keras.utils.set_random_seed(seed)
    subjects = datasets.subject_splits(builder)
    fold = Fold(
        0, tuple(subjects), (subjects[0],), (subjects[0],), note="benchmark: every subject trains"
    )
    entry = get_model_entry(model_name)
    start = time.perf_counter()
    data = prepare_fold(builder, fold, entry, batch_size)
    prepare_s = time.perf_counter() - start

    # 1. TFDS read + decode, no cache.
    raw = builder.as_dataset(split="+".join(subjects), shuffle_files=False).batch(batch_size)
    n_read, read_s = _iterate(raw)

    # 2. The training pipeline (cache already filled by prepare_fold's statistics pass); the
    #    best epoch (the machine is shared: the best repeat is the least disturbed one).
    pipe_rates = [rate(*_iterate(data.train_dataset(epoch_seed=epoch))) for epoch in range(epochs)]

    # 2b. The same pipeline with training-batch augmentation (--augment), in place (ratio 0).
    aug_rates = []
    if augment:
        import dataclasses

        from amigos_emo.training.augment import Augmenter

        spec = builder.preprocessing_spec()
        rates_hz = {k: v.sfreq_hz for k, v in spec.signals.items()} if spec is not None else {}
        augmented = dataclasses.replace(
            data, augmenter=Augmenter.from_names(augment, seed=seed, sfreq_hz=rates_hz)
        )
        aug_rates = [
            rate(*_iterate(augmented.train_dataset(epoch_seed=epoch))) for epoch in range(epochs)
        ]

    # 3. The model's consumption rate on one batch of that pipeline (best of 3 chunks of steps).
    core = entry.build(data.input_shapes, n_outputs=data.n_outputs)
    model = data.wrap(core)
    entry.compile(model, steps_per_epoch=data.steps_per_epoch, epochs=1, jit_compile=False)
    batch = next(iter(data.train_dataset(epoch_seed=0)))
    x, y = batch[0], batch[1]
    weights = batch[2] if len(batch) > 2 else None
    for _ in range(3):  # warm-up: tracing
        model.train_on_batch(x, y, sample_weight=weights)
    n_batch = int(next(iter(x.values())).shape[0])
    consume_rates = []
    for chunk in _chunks(steps, 3):
        start = time.perf_counter()
        for _ in range(chunk):
            model.train_on_batch(x, y, sample_weight=weights)
        consume_rates.append(rate(n_batch * chunk, time.perf_counter() - start))

    # 4. fit on the pipeline: a warm-up call (tracing with an unknown batch size), then the
    #    steady rate between the ends of the first and the last batch of a second call, and the
    #    time to the end of its first batch (new iterator: shuffle buffer fill + one step).
    train = data.train_dataset(epoch_seed=1).repeat()
    fit_rate, first_batch_s = _fit_rate(model, train, steps, batch_size)

    # 5. fit on one batch held in memory (no input work at all): Keras fit's own per-step cost.
    import tensorflow as tf

    fixed = tf.data.Dataset.from_tensors(batch).repeat()
    fixed_rate, _ = _fit_rate(model, fixed, steps, n_batch)

    return {
        "n_train": data.n_train,
        "prepare_s": prepare_s,
        "pipeline_augmented": max(aug_rates) if aug_rates else None,
        "read": rate(n_read, read_s),
        "pipeline": max(pipe_rates),
        "consume": max(consume_rates),
        "fit": fit_rate,
        "fit_fixed": fixed_rate,
        "first_batch_s": first_batch_s,
        "input_shapes": data.input_shapes,
    }


def main(argv=None):
    args = parse_args(argv)
    import keras
    import tensorflow as tf
    import tensorflow_datasets as tfds

    tfds.disable_progress_bar()
    data_dir = pathlib.Path(args.data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    print(
        f"TensorFlow {tf.__version__}, Keras {keras.__version__}, CPU threads: "
        f"{os.cpu_count()}, batch size {args.batch_size}, data dir {data_dir}"
    )
    cases = [("amigos", "multimodal_lstm"), ("muse", "gru_classifier")]
    rows, verdicts = [], []
    for corpus, model_name in cases:
        start = time.perf_counter()
        builder, label = (
            amigos_builder(data_dir, args.quick) if corpus == "amigos" else muse_builder(data_dir)
        )
        print(f"{label}: ready in {time.perf_counter() - start:.1f} s", flush=True)
        result = measure(
            builder, model_name, args.batch_size, args.epochs, args.steps, augment=args.augment
        )
        if result["pipeline_augmented"] is not None:
            verdicts.append(
                f"{corpus}: with augmentation ({args.augment}) the pipeline delivers "
                f"{result['pipeline_augmented']:.0f} ex/s, {result['pipeline_augmented'] / result['consume']:.1f}x "
                "what the model consumes"
            )
        shapes = ", ".join(f"{k} {tuple(v)}" for k, v in result["input_shapes"].items())
        print(
            f"  {model_name}: {result['n_train']} training examples ({shapes}); fold prepared in "
            f"{result['prepare_s']:.1f} s",
            flush=True,
        )
        verdicts.append(f"{corpus}: {bottleneck(result)}")
        verdicts.append(f"{corpus}: {fit_verdict(result)}")
        rows.append(
            [
                label,
                model_name,
                result["n_train"],
                f"{result['read']:.0f}",
                f"{result['pipeline']:.0f}",
                f"{result['consume']:.0f}",
                f"{result['fit']:.0f}",
                f"{result['fit_fixed']:.0f}",
                f"{result['first_batch_s']:.2f}",
                f"{result['pipeline'] / result['consume']:.1f}x",
            ]
        )
    print()
    print(
        format_table(
            [
                "corpus",
                "model",
                "train ex",
                "TFDS read ex/s",
                "pipeline ex/s",
                "train_on_batch ex/s",
                "fit ex/s",
                "fit 1-batch ex/s",
                "first batch s",
                "pipeline/consume",
            ],
            rows,
        )
    )
    print()
    for line in verdicts:
        print(line)
    worst = min(float(r[-1].rstrip("x")) for r in rows)
    status = "keeps up with" if worst >= 1.0 else "is SLOWER than"
    print(
        f"Summary: the input pipeline {status} the model on every corpus (smallest headroom {worst:.1f}x, "
        f"batch {args.batch_size}, CPU)."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
