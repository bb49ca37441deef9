"""Tests of amigos_emo.datasets: default config/model, provenance, rebuild on a changed source,
the manual_dir check, concurrent preparation, a killed build, and the command line.

Builds use the AMIGOS dummy data (two participants in the real file format); after the first
build in a process a build takes well under a second.
"""

import hashlib
import json
import logging
import os
import pathlib
import shutil
import subprocess
import sys
import textwrap
import time

import pytest

from amigos_emo import datasets
from amigos_emo._logging import logger
from amigos_emo.io.errors import CorpusFormatError

REPO = pathlib.Path(__file__).resolve().parents[1]
AMIGOS_DUMMY = REPO / "tfds_builders" / "amigos" / "dummy_data"

# The table that used to live in amigos_emo.training.tasks: the builders' attributes must keep it.
FORMER_DEFAULT_MODELS = {
    "amigos": ("preprocessed", "multimodal_lstm"),
    "deap": ("stft", "gru_xnet"),
    "gameemo": ("stft", "gru_xnet"),
    "seed": ("de", "res_attention_net"),
    "seed_iv": ("de", "res_attention_net"),
    "seed_v": ("de", "res_attention_net"),
    "seed_vii": ("de", "res_attention_net"),
    "dreamer": ("graph", "vae_gnn"),
    "feeling_emotions": (None, "gru_classifier"),
    "muse": ("features", "gru_classifier"),
    "custom": (None, "signal_fusion"),  # your own recordings: the any-signal model
}


class _Records(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.INFO)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


@pytest.fixture
def records():
    handler = _Records()
    logger.addHandler(handler)
    yield handler.messages
    logger.removeHandler(handler)


def _copy_dummy(target, participants=(1, 2)):
    """A manual_dir holding the AMIGOS dummy files of ``participants`` (mtimes kept)."""
    sources = {
        1: AMIGOS_DUMMY / "Data_Preprocessed_P01.mat",
        2: AMIGOS_DUMMY / "Data_Preprocessed_P02" / "Data_Preprocessed_P02.mat",
    }
    target.mkdir(parents=True)
    for participant in participants:
        shutil.copy2(sources[participant], target / sources[participant].name)
    return target


def _reference_fingerprint(root):
    """Slow, obvious fingerprint: sha256 over sorted (relative path, size, mtime_ns) lines."""
    rows = sorted(
        (os.path.relpath(path, root), os.stat(path).st_size, os.stat(path).st_mtime_ns)
        for path in pathlib.Path(root).rglob("Data_Preprocessed_P*.mat")
    )
    text = "".join(f"{rel}\0{size}\0{mtime}\n" for rel, size, mtime in rows)
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


# --- defaults from the builders ------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(FORMER_DEFAULT_MODELS))
def test_resolve_dataset_uses_the_builders_attributes(name):
    config, model = FORMER_DEFAULT_MODELS[name]
    assert datasets.resolve_dataset(name) == (f"{name}/{config}" if config else name, model)
    cls = datasets.builder_class(name)
    assert getattr(cls, "DEFAULT_MODEL", None) == model
    assert getattr(cls, "DEFAULT_BUILDER_CONFIG_NAME", None) == config


def test_resolve_dataset_keeps_a_given_config_and_refuses_unknown_names():
    assert datasets.resolve_dataset("amigos/synthetic") == ("amigos/synthetic", "multimodal_lstm")
    assert datasets.resolve_dataset("seed/raw") == ("seed/raw", "res_attention_net")
    with pytest.raises(ValueError, match=r"Unknown dataset.*Received: dataset='amigoss'"):
        datasets.resolve_dataset("amigoss")


# --- fingerprint -----------------------------------------------------------------------------------


def test_fingerprint_matches_reference_and_sees_every_change(tmp_path):
    root = _copy_dummy(tmp_path / "a")
    files = sorted(root.rglob("*.mat"))
    first = datasets.fingerprint_files(files, root)
    assert first == _reference_fingerprint(root)
    # Moving the whole folder keeps the fingerprint (paths are relative to it).
    moved = tmp_path / "moved"
    shutil.copytree(root, moved, copy_function=shutil.copy2)
    assert datasets.fingerprint_files(sorted(moved.rglob("*.mat")), moved) == first
    # A new mtime, another size, a renamed file or a missing file each change it.
    os.utime(files[0], ns=(files[0].stat().st_atime_ns, files[0].stat().st_mtime_ns + 1))
    touched = datasets.fingerprint_files(files, root)
    with open(files[1], "ab") as handle:
        handle.write(b"\0")
    grown = datasets.fingerprint_files(files, root)
    renamed = files[1].with_name("Data_Preprocessed_P03.mat")
    files[1].rename(renamed)
    moved_name = datasets.fingerprint_files([files[0], renamed], root)
    fewer = datasets.fingerprint_files(files[:1], root)
    assert len({first, touched, grown, moved_name, fewer}) == 5


# --- prepare: provenance, reuse, rebuild -----------------------------------------------------------


def test_prepare_records_provenance_reuses_and_rebuilds_on_another_source(tmp_path, records):
    data_dir = tmp_path / "data"
    folder_a = _copy_dummy(tmp_path / "A")
    builder = datasets.prepare("amigos", data_dir=data_dir, manual_dir=folder_a)
    record = datasets.provenance(builder)
    assert record["dataset"] == "amigos/preprocessed" and record["source"] == "manual_dir"
    assert record["manual_dir"] == os.fspath(folder_a) and record["n_files"] == 2
    assert record["fingerprint"] == _reference_fingerprint(folder_a)
    assert record["builder_version"] == str(builder.version) == "1.1.0"
    on_disk = json.loads((pathlib.Path(builder.data_dir) / "provenance.json").read_text())
    assert on_disk["fingerprint"] == record["fingerprint"]
    info = pathlib.Path(builder.data_dir) / "dataset_info.json"
    built_at = info.stat().st_mtime_ns

    # Same folder, same files: reused, not rebuilt.
    records.clear()
    again = datasets.prepare("amigos", data_dir=data_dir, manual_dir=folder_a)
    assert info.stat().st_mtime_ns == built_at
    assert any("Using prepared dataset" in m for m in records)
    assert sorted(again.info.splits) == ["subject_01", "subject_02"]

    # Another folder (one participant only): rebuilt, the warning names both folders.
    folder_b = _copy_dummy(tmp_path / "B", participants=(1,))
    records.clear()
    rebuilt = datasets.prepare("amigos", data_dir=data_dir, manual_dir=folder_b)
    warning = [m for m in records if "rebuilding it (old -> new)" in m]
    assert (
        len(warning) == 1
        and os.fspath(folder_a) in warning[0]
        and os.fspath(folder_b) in warning[0]
    )
    assert sorted(rebuilt.info.splits) == ["subject_01"]
    assert datasets.provenance(rebuilt)["manual_dir"] == os.fspath(folder_b)

    # Same folder, a file changed in place: rebuilt.
    path = folder_b / "Data_Preprocessed_P01.mat"
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    records.clear()
    datasets.prepare("amigos", data_dir=data_dir, manual_dir=folder_b)
    assert any("rebuilding it (old -> new)" in m for m in records)
    assert datasets.provenance(rebuilt)["fingerprint"] == _reference_fingerprint(folder_b)

    # No --manual-dir (evaluate, predict): the prepared copy is reused as it is.
    records.clear()
    reused = datasets.prepare("amigos", data_dir=data_dir)
    assert any("no --manual-dir given to compare" in m for m in records)
    assert datasets.provenance(reused)["manual_dir"] == os.fspath(folder_b)


def test_dataset_without_provenance_is_rebuilt_when_a_folder_is_given(tmp_path, records):
    folder = _copy_dummy(tmp_path / "A", participants=(2,))
    builder = datasets.prepare("amigos", data_dir=tmp_path / "data", manual_dir=folder)
    (pathlib.Path(builder.data_dir) / "provenance.json").unlink()
    assert datasets.provenance(builder)["source"] == "unknown"
    records.clear()
    builder = datasets.prepare("amigos", data_dir=tmp_path / "data", manual_dir=folder)
    assert any(
        "an unrecorded source (no provenance.json)" in m and "rebuilding" in m for m in records
    )
    assert datasets.provenance(builder)["n_files"] == 1


def test_synthetic_config_records_its_generator_arguments(tmp_path):
    from amigos_emo.tfds_builders.amigos.amigos_dataset_builder import AmigosConfig, Builder

    builder = Builder(
        config=AmigosConfig(
            name="synthetic_tiny",
            synthetic=True,
            n_participants=2,
            seed=4,
            video_s=12.0,
            long_video_s=9.0,
        ),
        data_dir=os.fspath(tmp_path),
    )
    record = datasets.current_provenance(builder, None)
    assert record["source"] == "synthetic" and record["manual_dir"] is None
    assert record["generator"]["n_participants"] == 2 and record["generator"]["seed"] == 4
    assert record["fingerprint"].startswith("sha256:")


@pytest.mark.parametrize("case", ["none", "absent", "empty", "no_corpus_file"])
def test_prepare_checks_the_manual_dir_before_tfds(tmp_path, case):
    manual = {
        "none": None,
        "absent": tmp_path / "absent",
        "empty": tmp_path / "empty",
        "no_corpus_file": tmp_path / "other",
    }[case]
    if case == "empty":
        manual.mkdir()
    if case == "no_corpus_file":
        manual.mkdir()
        (manual / "readme.txt").write_text("not AMIGOS")
    with pytest.raises(CorpusFormatError) as caught:
        datasets.prepare("amigos", data_dir=tmp_path / "data", manual_dir=manual)
    message = str(caught.value)
    assert "Data_Preprocessed_P01.mat" in message and "EULA" in message
    if manual is not None:
        assert os.fspath(manual) in message
    assert not (tmp_path / "data" / "amigos" / "preprocessed" / "1.1.0").exists()


def test_left_over_incomplete_folder_is_removed_under_the_lock(tmp_path, records):
    builder, _ = datasets.get_builder("amigos", data_dir=tmp_path / "data")
    parent = pathlib.Path(builder.data_dir).parent
    stale = parent / f"incomplete.ABC123_{builder.version}"
    (stale / "partial").mkdir(parents=True)
    other_version = parent / "incomplete.XYZ789_0.9.0"
    other_version.mkdir()
    datasets.prepare(
        "amigos", data_dir=tmp_path / "data", manual_dir=_copy_dummy(tmp_path / "A", (2,))
    )
    assert not stale.exists() and other_version.exists()
    assert any(
        "left-over folder(s) of an interrupted build" in m and stale.name in m for m in records
    )


# --- two real processes, and a kill -9 -------------------------------------------------------------

_PREPARE_SCRIPT = textwrap.dedent(
    """
    import os, sys, time
    from amigos_emo import datasets
    from amigos_emo.tfds_builders.amigos import amigos_dataset_builder as module
    delay = float(os.environ.get("AMIGOS_TEST_DELAY_S", "0"))
    original = module.load_participant
    def slow(path):
        time.sleep(delay)
        return original(path)
    module.load_participant = slow
    builder = datasets.prepare("amigos", data_dir=sys.argv[1], manual_dir=sys.argv[2])
    print("SPLITS", sorted(builder.info.splits), flush=True)
    """
)


def _start(script, data_dir, manual_dir, delay_s=0.0):
    env = {**os.environ, "AMIGOS_TEST_DELAY_S": str(delay_s), "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.Popen(
        [sys.executable, "-c", script, os.fspath(data_dir), os.fspath(manual_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=REPO,
    )


@pytest.mark.slow
def test_two_processes_preparing_together_both_succeed(tmp_path):
    manual = _copy_dummy(tmp_path / "A")
    # The delay keeps the first build running while the second asks for the lock.
    first, second = (
        _start(_PREPARE_SCRIPT, tmp_path / "data", manual, delay_s=2.0) for _ in range(2)
    )
    outputs = [process.communicate(timeout=300) for process in (first, second)]
    for process, (stdout, stderr) in zip((first, second), outputs, strict=True):
        assert process.returncode == 0, stderr[-3000:]
        assert "SPLITS ['subject_01', 'subject_02']" in stdout
    logs = [stderr for _, stderr in outputs]
    assert sum("Preparing amigos/preprocessed" in log for log in logs) == 1
    assert sum("Using prepared dataset" in log for log in logs) == 1
    assert "FileExistsError" not in "".join(logs)
    parent = tmp_path / "data" / "amigos" / "preprocessed"
    assert sorted(p.name for p in parent.iterdir()) == ["1.1.0"]


@pytest.mark.slow
def test_killed_build_then_the_same_command_again(tmp_path):
    manual = _copy_dummy(tmp_path / "A")
    parent = tmp_path / "data" / "amigos" / "preprocessed"
    process = _start(_PREPARE_SCRIPT, tmp_path / "data", manual, delay_s=60.0)
    deadline = time.monotonic() + 240
    while not (parent.is_dir() and any(p.name.startswith("incomplete.") for p in parent.iterdir())):
        assert process.poll() is None, process.communicate()[1][-3000:]
        assert time.monotonic() < deadline, "the build never started"
        time.sleep(0.2)
    process.kill()  # SIGKILL: no clean-up runs
    process.communicate(timeout=60)
    assert any(p.name.startswith("incomplete.") for p in parent.iterdir())
    rerun = _start(_PREPARE_SCRIPT, tmp_path / "data", manual)
    stdout, stderr = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, stderr[-3000:]
    assert "SPLITS ['subject_01', 'subject_02']" in stdout
    assert "left-over folder(s) of an interrupted build" in stderr
    assert sorted(p.name for p in parent.iterdir()) == ["1.1.0"]


# --- command line ----------------------------------------------------------------------------------


def test_command_line_list_build_verify(tmp_path, capsys):
    manual = _copy_dummy(tmp_path / "A")
    data_dir = os.fspath(tmp_path / "data")
    assert (
        datasets.main(
            ["--data-dir", data_dir, "build", "amigos", "--manual-dir", os.fspath(manual)]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "prepared amigos/preprocessed/1.1.0" in out and "n_files: 2" in out
    assert f"manual_dir: {manual}" in out

    assert datasets.main(["--data-dir", data_dir, "list"]) == 0
    out = capsys.readouterr().out
    assert "amigos/preprocessed" in out and "multimodal_lstm" in out
    assert "seed/de" in out and "res_attention_net" in out
    assert f"manual_dir: {manual}" in out and "fingerprint: sha256:" in out

    assert datasets.main(["verify", "amigos", "--data-dir", data_dir]) == 0
    assert "OK: 2 source file(s) unchanged" in capsys.readouterr().out
    (manual / "Data_Preprocessed_P01.mat").unlink()
    assert datasets.main(["verify", "amigos", "--data-dir", data_dir]) == 1
    assert "MISMATCH" in capsys.readouterr().err

    assert (
        datasets.main(
            [
                "build",
                "amigos",
                "--data-dir",
                data_dir,
                "--manual-dir",
                os.fspath(tmp_path / "nope"),
            ]
        )
        == 2
    )
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "does not exist" in err and "Traceback" not in err


def test_command_line_as_a_user_types_it(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "amigos_emo.datasets", "--help"],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )
    assert result.returncode == 0 and "list" in result.stdout and "verify" in result.stdout
