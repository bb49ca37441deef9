"""Peak memory of building the synthetic AMIGOS corpus as the number of participants grows.

Each build runs in a fresh Python subprocess (``--child``), so every peak is that build's alone:
the child writes the synthetic AMIGOS-format ``.mat`` files (participant by participant) and
builds the TFDS dataset from them (``_generate_examples`` loads one participant file and yields
its windows trial by trial), then reports its example count, its build time and its peak
resident set size right after the imports (TensorFlow, TFDS, the builder; TF runtime started). The parent reads the child's peak RSS from
``os.wait4`` (the kernel's ``ru_maxrss`` of that one child; ``RUSAGE_CHILDREN`` would give the
maximum over all children so far).

Expected: the peak stays flat (about the imports plus one participant file) while the examples
written and the bytes on disk grow linearly with the participants.

Run::

    python bench/bench_build_memory.py            # 2, 4, 8, 16 participants, 30 s videos (minutes)
    python bench/bench_build_memory.py --quick    # 2 and 4 participants, 10 s videos

Builds go to a temporary directory that is removed afterwards (``--keep`` keeps it).
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

RESULT_PREFIX = "BUILD_RESULT "


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="2 and 4 participants, 10 s videos")
    parser.add_argument(
        "--participants", default=None, help="comma-separated counts (default 2,4,8,16)"
    )
    parser.add_argument(
        "--video-s",
        type=float,
        default=None,
        help="short-video length, s (default 30; 10 with --quick)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary build directory")
    parser.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.participants is None:
        args.participants = "2,4" if args.quick else "2,4,8,16"
    try:
        args.participants = [int(p) for p in str(args.participants).split(",") if p.strip()]
    except ValueError:
        parser.error(
            f"--participants must be comma-separated integers. Received: participants={args.participants!r}"
        )
    if not args.participants or min(args.participants) < 1:
        parser.error(f"--participants must be positive. Received: participants={args.participants}")
    if args.video_s is None:
        args.video_s = 10.0 if args.quick else 30.0
    if args.video_s < 10.0:
        parser.error(
            f"--video-s must be >= 10 (baseline 5 s + one 4 s window). Received: video_s={args.video_s}"
        )
    return args


# === Helpers (tested in tests/bench/) ===


def maxrss_mb(ru_maxrss_kib):
    """``ru_maxrss`` (KiB on Linux) in MiB."""
    return ru_maxrss_kib / 1024.0


def parse_child_result(stdout):
    """The child's JSON result from its stdout (the last line starting with ``BUILD_RESULT``)."""
    lines = [line for line in stdout.splitlines() if line.startswith(RESULT_PREFIX)]
    if not lines:
        raise RuntimeError(
            f"the build subprocess printed no {RESULT_PREFIX.strip()} line; its output ended with:\n"
            + "\n".join(stdout.splitlines()[-20:])
        )
    return json.loads(lines[-1][len(RESULT_PREFIX) :])


def growth(values):
    """Relative growth from the first to the last value: ``last / first - 1``."""
    return values[-1] / values[0] - 1.0


# === Child: one build ===


def child(n_participants, video_s, data_dir):
    import resource

    import tensorflow as tf
    import tensorflow_datasets as tfds

    import amigos_emo.signal.windows  # noqa: F401  (what the build imports, loaded before the baseline)
    import amigos_emo.synthetic  # noqa: F401
    from amigos_emo.tfds_builders.amigos.amigos_dataset_builder import AmigosConfig, Builder

    tfds.disable_progress_bar()
    tf.constant(0.0).numpy()  # initialise the TF runtime before reading the baseline
    import_rss = maxrss_mb(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    config = AmigosConfig(
        name=f"memory_n{n_participants}",
        synthetic=True,
        n_participants=n_participants,
        seed=0,
        video_s=video_s,
        long_video_s=1.5 * video_s,
    )
    start = time.perf_counter()
    builder = Builder(config=config, data_dir=data_dir)
    builder.download_and_prepare(download_config=tfds.download.DownloadConfig())
    seconds = time.perf_counter() - start
    mat_bytes = sum(p.stat().st_size for p in pathlib.Path(data_dir, "downloads").rglob("*.mat"))
    result = {
        "participants": n_participants,
        "examples": int(sum(s.num_examples for s in builder.info.splits.values())),
        "seconds": seconds,
        "import_rss_mb": import_rss,
        "mat_mb": mat_bytes / 1024**2,
        "tfrecord_mb": builder.info.dataset_size / 1024**2,
    }
    print(RESULT_PREFIX + json.dumps(result), flush=True)


# === Parent ===


def run_build(n_participants, video_s, data_dir):
    """One build in a fresh subprocess -> result dict with ``peak_rss_mb`` from ``os.wait4``."""
    command = [
        sys.executable,
        os.path.abspath(__file__),
        "--child",
        str(n_participants),
        "--video-s",
        str(video_s),
        "--data-dir",
        os.fspath(data_dir),
    ]
    with tempfile.TemporaryFile(mode="w+") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, text=True)
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        output.seek(0)
        text = output.read()
    if process.returncode != 0:
        raise RuntimeError(
            f"build of {n_participants} participants failed (exit {process.returncode}):\n"
            + "\n".join(text.splitlines()[-30:])
        )
    result = parse_child_result(text)
    result["peak_rss_mb"] = maxrss_mb(usage.ru_maxrss)
    return result


def main(argv=None):
    args = parse_args(argv)
    if args.child is not None:
        child(args.child, args.video_s, args.data_dir)
        return 0
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from bench_input_pipeline import format_table

    root = pathlib.Path(tempfile.mkdtemp(prefix="amigos_emo_build_memory_"))
    print(
        f"Synthetic AMIGOS builds, short videos {args.video_s:g} s, long {1.5 * args.video_s:g} s; "
        f"each in a fresh subprocess under {root}",
        flush=True,
    )
    results = []
    try:
        for n in args.participants:
            result = run_build(n, args.video_s, root / f"n{n}")
            results.append(result)
            print(
                f"  {n:2d} participants: {result['examples']} examples, {result['seconds']:.1f} s, "
                f"peak RSS {result['peak_rss_mb']:.0f} MB",
                flush=True,
            )
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    rows = [
        [
            r["participants"],
            r["examples"],
            f"{r['mat_mb']:.0f}",
            f"{r['tfrecord_mb']:.0f}",
            f"{r['seconds']:.1f}",
            f"{r['import_rss_mb']:.0f}",
            f"{r['peak_rss_mb']:.0f}",
            f"{r['peak_rss_mb'] - r['import_rss_mb']:.0f}",
        ]
        for r in results
    ]
    print()
    print(
        format_table(
            [
                "participants",
                "examples",
                ".mat MB",
                "TFRecord MB",
                "seconds",
                "RSS after imports MB",
                "peak RSS MB",
                "build increment MB",
            ],
            rows,
        )
    )
    peaks = [r["peak_rss_mb"] for r in results]
    examples = [r["examples"] for r in results]
    print()
    print(
        f"Summary: {args.participants[0]} -> {args.participants[-1]} participants: examples "
        f"{growth(examples):+.0%}, peak RSS {growth(peaks):+.0%} ({peaks[0]:.0f} -> {peaks[-1]:.0f} MB): "
        + (
            "flat (examples streamed trial by trial)."
            if growth(peaks) < 0.25
            else "NOT flat: memory grows with the corpus."
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
