"""Resume after a crash, and determinism: the same seed on CPU gives identical metrics."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from amigos_emo.tfds_builders.amigos.amigos_dataset_builder import AmigosConfig, Builder
from amigos_emo.training import runner
from amigos_emo.training.runner import RunConfig, run


@pytest.fixture(scope="module")
def tiny_amigos(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("data")
    config = AmigosConfig(
        name="synthetic_resume",
        synthetic=True,
        n_participants=4,
        seed=2,
        video_s=12.0,
        long_video_s=9.0,
    )
    builder = Builder(config=config, data_dir=os.fspath(data_dir))
    builder.download_and_prepare()
    return builder


def _config(out, **overrides):
    values = dict(
        dataset="amigos/synthetic_resume",
        model="multimodal_lstm",
        epochs=3,
        batch_size=32,
        output_dir=os.fspath(out),
        verbose=0,
        export=False,
        seed=7,
    )
    values.update(overrides)
    return RunConfig(**values)


def _test_metrics(out):
    saved = json.loads((out / "metrics.json").read_text())
    return {
        head: saved["folds"][0]["metrics"][head] for head in ("valence", "arousal", "transition")
    }


def test_interrupted_run_resumes_to_the_same_metrics(tiny_amigos, tmp_path, monkeypatch):
    run(_config(tmp_path / "full"), builder=tiny_amigos)

    # Crash right after the second epoch's checkpoint is written.
    original = runner.reports.write_json
    calls = {"state": 0}

    def crashing_write_json(path, payload):
        original(path, payload)
        if os.path.basename(path) == "state.json":
            calls["state"] += 1
            if calls["state"] == 2:
                raise KeyboardInterrupt("simulated crash after epoch 2")

    monkeypatch.setattr(runner.reports, "write_json", crashing_write_json)
    with pytest.raises(KeyboardInterrupt):
        run(_config(tmp_path / "resumed"), builder=tiny_amigos)
    monkeypatch.setattr(runner.reports, "write_json", original)
    assert not (tmp_path / "resumed" / "metrics.json").exists()  # nothing looks finished
    state = json.loads((tmp_path / "resumed" / "fold_00" / "state.json").read_text())
    assert state["epochs_completed"] == 2

    with pytest.raises(runner.RunDirectoryError, match="--resume"):
        run(_config(tmp_path / "resumed"), builder=tiny_amigos)
    run(_config(tmp_path / "resumed", resume=True), builder=tiny_amigos)
    assert _test_metrics(tmp_path / "resumed") == _test_metrics(tmp_path / "full")


def test_same_seed_same_metrics(tiny_amigos, tmp_path):
    run(_config(tmp_path / "a", epochs=1), builder=tiny_amigos)
    run(_config(tmp_path / "b", epochs=1), builder=tiny_amigos)
    assert _test_metrics(tmp_path / "a") == _test_metrics(tmp_path / "b")


def test_folds_reusing_one_compiled_model_train_exactly_as_new_models(
    tiny_amigos, tmp_path, monkeypatch
):
    """LOSO folds differ in training-set size (so in the cosine schedule's length); reusing
    the first fold's traced model must still give every fold the metrics of a new model."""
    original = runner._fold_model
    models = []

    def spy(*args, **kwargs):
        model = original(*args, **kwargs)
        models.append(model)
        return model

    monkeypatch.setattr(runner, "_fold_model", spy)
    run(_config(tmp_path / "reused", protocol="loso", epochs=1, max_folds=3), builder=tiny_amigos)
    reused_ids = {id(m) for m in models}
    models.clear()
    monkeypatch.setattr(runner, "_fold_model", lambda *a, **k: spy(*a, **{**k, "reuse": False}))
    run(_config(tmp_path / "fresh", protocol="loso", epochs=1, max_folds=3), builder=tiny_amigos)
    assert len(models) == 3 and len({id(m) for m in models}) == 3  # one new model a fold
    assert len(reused_ids) == 1  # one model served the three folds
    assert not runner._COMPILED  # and was let go when the run ended
    reused = json.loads((tmp_path / "reused" / "metrics.json").read_text())["folds"]
    fresh = json.loads((tmp_path / "fresh" / "metrics.json").read_text())["folds"]
    assert len({f["n_train_examples"] for f in fresh}) > 1  # folds of different sizes
    for mine, theirs in zip(reused, fresh, strict=True):
        assert mine["metrics"] == theirs["metrics"]
        assert mine["best_epoch"] == theirs["best_epoch"]


def test_resume_refuses_changed_settings(tiny_amigos, tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / "config.json").write_text(json.dumps({"run": {**_config(out).__dict__, "epochs": 99}}))
    with pytest.raises(runner.RunDirectoryError, match="epochs: 99 -> 3"):
        run(_config(out, resume=True), builder=tiny_amigos)


@pytest.mark.slow
def test_killed_process_resumes(tmp_path):
    """Kill `python -m amigos_emo.train` mid-run (SIGKILL), resume it, compare with a clean run."""
    common = [
        sys.executable,
        "-m",
        "amigos_emo.train",
        "--dataset",
        "amigos/synthetic",
        "--epochs",
        "3",
        "--data-dir",
        os.fspath(tmp_path / "data"),
        "--no-export",
        "--verbose",
        "0",
        "--seed",
        "3",
    ]
    subprocess.run(common + ["--output-dir", os.fspath(tmp_path / "clean")], check=True)
    process = subprocess.Popen(common + ["--output-dir", os.fspath(tmp_path / "killed")])
    state = tmp_path / "killed" / "fold_00" / "state.json"
    deadline = time.time() + 600
    while time.time() < deadline and process.poll() is None:
        if state.exists() and json.loads(state.read_text())["epochs_completed"] >= 1:
            break
        time.sleep(0.5)
    time.sleep(2.0)  # somewhere inside the next epoch
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert not (tmp_path / "killed" / "metrics.json").exists()
    subprocess.run(
        common + ["--output-dir", os.fspath(tmp_path / "killed"), "--resume"], check=True
    )
    assert _test_metrics(tmp_path / "killed") == _test_metrics(tmp_path / "clean")
