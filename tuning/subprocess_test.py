"""The CLI in separate processes: a killed search resumes without repeating its finished trial,
and a distributed chief with two workers runs every trial exactly once (both slow)."""

import json
import os
import signal
import socket
import subprocess
import sys
import time

import pytest

DRIVER = """
import sys
from amigos_emo.tune import main
from amigos_emo.tuning.conftest_tiny import tiny_builder
sys.exit(main(sys.argv[2:], builder=tiny_builder(sys.argv[1])))
"""


def _driver(tmp_path, data_dir, args, env=None, log_name="log.txt"):
    """Start ``python -m amigos_emo.tune ARGS`` on the tiny corpus in ``data_dir`` (a subprocess)."""
    script = tmp_path / "driver.py"
    script.write_text(DRIVER)
    log = open(tmp_path / log_name, "w")  # noqa: SIM115 (closed by the OS when the child ends)
    return subprocess.Popen(
        [sys.executable, os.fspath(script), os.fspath(data_dir), *args],
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", **(env or {})},
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def _completed(out):
    oracle = out / "search" / "oracle.json"
    if not oracle.exists():
        return []
    try:
        return json.loads(oracle.read_text())["end_order"]
    except (json.JSONDecodeError, KeyError):
        return []


@pytest.mark.slow
def test_killed_search_resumes_without_repeating_finished_trials(tiny_amigos, tmp_path):
    _, data_dir = tiny_amigos
    out = tmp_path / "search"
    args = [
        "--model",
        "multimodal_lstm",
        "--max-trials",
        "3",
        "--epochs",
        "1",
        "--batch-size",
        "32",
        "--output-dir",
        os.fspath(out),
        "--verbose",
        "0",
        "--no-export",
    ]
    process = _driver(tmp_path, data_dir, args)
    deadline = time.time() + 400
    while not _completed(out) and process.poll() is None and time.time() < deadline:
        time.sleep(0.5)
    assert _completed(out), (tmp_path / "log.txt").read_text()[-3000:]
    process.send_signal(signal.SIGKILL)
    process.wait()
    finished = _completed(out)
    saved = {t: (out / "search" / f"trial_{t}" / "trial.json").read_text() for t in finished}

    resumed = _driver(tmp_path, data_dir, args, log_name="log2.txt")
    assert resumed.wait(timeout=500) == 0, (tmp_path / "log2.txt").read_text()[-3000:]
    end_order = _completed(out)
    assert sorted(end_order) == ["0", "1", "2"]  # every trial finished exactly once
    for trial_id, text in saved.items():  # ... and the finished ones were not rerun
        assert (out / "search" / f"trial_{trial_id}" / "trial.json").read_text() == text
    assert (out / "metrics.json").is_file()

    # An uninterrupted search with the same settings scores every trial exactly the same: each
    # trial is seeded from the search seed and its trial id, not from what ran before it.
    straight = tmp_path / "straight"
    args_straight = [a if a != os.fspath(out) else os.fspath(straight) for a in args]
    uninterrupted = _driver(tmp_path, data_dir, args_straight, log_name="log3.txt")
    assert uninterrupted.wait(timeout=800) == 0, (tmp_path / "log3.txt").read_text()[-3000:]

    def scores(folder):
        rows = json.loads((folder / "trials.json").read_text())
        return {
            r["trial_id"]: (r["objective"], json.dumps(r["hyperparameters"], sort_keys=True))
            for r in rows
        }

    assert scores(out) == scores(straight)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_distributed_chief_and_two_workers_run_each_trial_once(tiny_amigos, tmp_path):
    pytest.importorskip(
        "grpc", reason="distributed search needs grpcio (the tune-distributed extra)"
    )
    _, data_dir = tiny_amigos
    out = tmp_path / "search"
    args = [
        "--model",
        "multimodal_lstm",
        "--max-trials",
        "4",
        "--epochs",
        "1",
        "--batch-size",
        "32",
        "--output-dir",
        os.fspath(out),
        "--verbose",
        "0",
        "--no-export",
    ]
    base = {"KERASTUNER_ORACLE_IP": "127.0.0.1", "KERASTUNER_ORACLE_PORT": str(_free_port())}
    chief = _driver(
        tmp_path, data_dir, args, env={**base, "KERASTUNER_TUNER_ID": "chief"}, log_name="chief.txt"
    )
    time.sleep(5)
    workers = [
        _driver(
            tmp_path,
            data_dir,
            args,
            env={**base, "KERASTUNER_TUNER_ID": f"tuner{i}"},
            log_name=f"tuner{i}.txt",
        )
        for i in range(2)
    ]
    try:
        for i, worker in enumerate(workers):
            assert worker.wait(timeout=560) == 0, (tmp_path / f"tuner{i}.txt").read_text()[-3000:]
        assert chief.wait(timeout=120) == 0, (tmp_path / "chief.txt").read_text()[-3000:]
    finally:
        for process in (chief, *workers):
            if process.poll() is None:
                process.kill()
    end_order = _completed(out)
    assert sorted(end_order) == ["0", "1", "2", "3"]  # all trials, each exactly once
    trials = json.loads((out / "trials.json").read_text())
    assert sorted(t["trial_id"] for t in trials) == ["0", "1", "2", "3"]
    assert all(t["rank"] is not None for t in trials)
    logs = [(tmp_path / f"tuner{i}.txt").read_text() for i in range(2)]
    assert all("no trials left" in log for log in logs)
    assert (out / "metrics.json").is_file()
