"""How a run is controlled: output-directory locking, reruns after an early failure, default
folder names, early stopping (and its resume), run presets and config files, class weights of
binary heads, the test metrics of classification heads, and models from outside the package."""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from amigos_emo.io.locks import ProcessLock
from amigos_emo.training import artifacts
from amigos_emo.training.config import RunConfig, load_config_file
from amigos_emo.training.runner import RunDirectoryError, run


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    from amigos_emo.tuning.conftest_tiny import tiny_builder

    return tiny_builder(tmp_path_factory.mktemp("tiny"))


def _forget_after_test(monkeypatch, name):
    """Unregister a test's outside model afterwards (the registry is process-wide)."""
    from amigos_emo.models import registry

    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))


def _config(out, **overrides):
    values = dict(
        dataset="amigos/synthetic_tune_test",
        model="multimodal_lstm",
        preset="lightweight",
        epochs=2,
        batch_size=32,
        output_dir=os.fspath(out),
        verbose=0,
        export=False,
    )
    values.update(overrides)
    return RunConfig(**values)


def test_a_live_run_holds_its_output_directory(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(f"""
            import sys, time
            from amigos_emo.io.locks import ProcessLock
            with ProcessLock({os.fspath(out / artifacts.LOCK_NAME)!r}, what="x"):
                print("locked", flush=True)
                time.sleep(60)
        """),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        for resume in (False, True):
            with pytest.raises(
                RunDirectoryError, match=rf"in use by process {holder.pid} .*lock file"
            ):
                with artifacts.locked_output_dir(_config(out, resume=resume), ()):
                    pass
    finally:
        holder.kill()
        holder.wait()
    # the OS released the dead holder's lock: the folder is usable again
    with artifacts.locked_output_dir(_config(out), ()):
        pass


def test_a_run_that_failed_before_saving_state_does_not_block_the_rerun(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / "config.json").write_text("{}")
    (out / "fold_00").mkdir()
    (out / "fold_00" / "preprocessing.json").write_text("{}")
    with artifacts.locked_output_dir(_config(out), ()):
        assert sorted(os.listdir(out)) == [artifacts.LOCK_NAME]
    (out / "fold_00").mkdir()
    (out / "fold_00" / "state.json").write_text("{}")
    with pytest.raises(RunDirectoryError, match="unfinished run. Pass --resume"):
        with artifacts.locked_output_dir(_config(out), ()):
            pass


def test_temporary_names_are_per_process(tmp_path):
    from amigos_emo.io.locks import temp_name

    name = temp_name(os.fspath(tmp_path / "best.keras"))
    assert (
        name.endswith(".keras")
        and str(os.getpid()) in name
        and os.path.dirname(name) == os.fspath(tmp_path)
    )


def test_default_output_dir_keeps_target_and_external_model_apart():
    a = artifacts.default_output_dir(RunConfig(dataset="seed_iv/stft", model="gru_xnet"))
    b = artifacts.default_output_dir(
        RunConfig(dataset="seed_iv/stft", model="gru_xnet", target="label_binary")
    )
    c = artifacts.default_output_dir(RunConfig(dataset="custom/wesad_like", model="my.pkg:net"))
    assert a != b and "label_binary" in b
    assert c == os.path.join("runs", "custom-wesad_like_my-pkg-net_subject-split_seed0")


def test_the_real_corpus_name_means_the_real_corpus():
    config = RunConfig(dataset="amigos", manual_dir="/somewhere")
    config.resolve_defaults()
    assert config.dataset == "amigos/preprocessed" and config.model == "multimodal_lstm"
    bare = RunConfig()
    bare.resolve_defaults()
    assert bare.dataset == "amigos/synthetic"


def test_custom_study_defaults_and_the_raw_features_hint(tmp_path, caplog):
    import logging

    from amigos_emo.synthetic import write_synthetic_wearable_study
    from amigos_emo.tfds_builders.custom.custom_spec import load_spec

    found = {}
    for representation in ("raw", "features", "raw+features", None):
        folder = tmp_path / str(representation).replace("+", "_")
        path = write_synthetic_wearable_study(
            folder, n_subjects=1, trial_s=20.0, representation=representation or "raw"
        )
        if representation is None:  # no key: chosen from the types and the 10 s windows
            description = json.loads(path.read_text())
            del description["representation"]
            path.write_text(json.dumps(description))
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="amigos_emo"):
            config = RunConfig(dataset="custom", manual_dir=os.fspath(folder))
            config.resolve_defaults()
        said = " ".join(r.getMessage() for r in caplog.records)
        found[representation] = (
            config.model,
            load_spec(folder).representation,
            '"raw+features" also writes' in said,
            "names no \"representation\": using 'raw+features'" in said,
        )
    assert found == {
        "raw": ("signal_fusion", "raw", True, False),
        "features": ("gru_classifier", "features", False, False),
        "raw+features": ("signal_fusion", "raw+features", False, False),
        None: ("signal_fusion", "raw+features", False, True),
    }


def test_early_stopping_rule():
    from amigos_emo.training import runner

    assert not runner._should_stop({"epochs_completed": 3, "best_epoch": 2}, 2)
    assert runner._should_stop({"epochs_completed": 4, "best_epoch": 2}, 2)
    assert not runner._should_stop({"epochs_completed": 9, "best_epoch": 2}, None)


@pytest.mark.slow  # two runs of up to 6 epochs and a resume (about 100 s on 2 busy cores)
def test_early_stopping_stops_and_resumes_where_it_would_have(tiny, tmp_path, monkeypatch):
    from amigos_emo.training import runner

    config = dict(epochs=6, early_stopping_patience=1, learning_rate=0.05)
    full = run(_config(tmp_path / "full", **config), builder=tiny)
    fold = full["folds"][0]
    history = json.loads((tmp_path / "full" / "fold_00" / "state.json").read_text())["history"][
        "val_loss"
    ]
    assert len(history) == fold["epochs_trained"]
    assert fold["best_epoch"] == int(np.argmin(history)) + 1
    if fold["stopped_early"]:  # stopped exactly `patience` epochs after the best one
        assert fold["epochs_trained"] - fold["best_epoch"] == 1 and fold["epochs_trained"] < 6
    else:
        assert fold["epochs_trained"] == 6

    # Kill after epoch 2's state is written, then resume: same stopping epoch, same metrics.
    original = runner.reports.write_json
    calls = {"n": 0}

    def crash(path, payload):
        original(path, payload)
        if path.endswith("state.json"):
            calls["n"] += 1
            if calls["n"] == 2:
                raise KeyboardInterrupt("simulated kill")

    monkeypatch.setattr(runner.reports, "write_json", crash)
    with pytest.raises(KeyboardInterrupt):
        run(_config(tmp_path / "resumed", **config), builder=tiny)
    monkeypatch.setattr(runner.reports, "write_json", original)
    resumed = run(_config(tmp_path / "resumed", resume=True, **config), builder=tiny)
    assert resumed["folds"][0]["epochs_trained"] == fold["epochs_trained"]
    assert resumed["folds"][0]["best_epoch"] == fold["best_epoch"]
    assert json.dumps(resumed["folds"][0]["metrics"]) == json.dumps(
        fold["metrics"]
    )  # NaN-safe equality


def test_run_preset_and_config_file_layering(tmp_path):
    from amigos_emo.train import build_parser
    from amigos_emo.training.cli import config_from_args

    toml = tmp_path / "run.toml"
    toml.write_text('epochs = 7\nbatch-size = 16\nprotocol = "loso"\n')
    config = config_from_args(
        build_parser(), ["--config", os.fspath(toml), "--epochs", "3"], RunConfig
    )
    assert (config.epochs, config.batch_size, config.protocol) == (3, 16, "loso")
    quick = config_from_args(build_parser(), ["--run-preset", "quick"], RunConfig)
    assert (quick.epochs, quick.max_folds, quick.export) == (2, 1, False)
    earlier = tmp_path / "config.json"
    earlier.write_text(
        json.dumps({"run": {"epochs": 5, "output_dir": "runs/old", "resume": True, "seed": 3}})
    )
    again = load_config_file(os.fspath(earlier))
    assert again == {"epochs": 5, "seed": 3}  # how the old run was controlled is not copied
    bad = tmp_path / "bad.json"
    bad.write_text('{"epoch": 3}')
    with pytest.raises(ValueError, match="unknown option\\(s\\) epoch"):
        load_config_file(os.fspath(bad))


def test_binary_heads_get_balanced_class_weights(tiny):
    from amigos_emo.models import get_model_entry
    from amigos_emo.training.fold_data import prepare_fold
    from amigos_emo.training.protocols import make_folds

    subjects = sorted(s for s in tiny.info.splits if s.startswith("subject_"))
    fold = make_folds("subject-split", subjects, seed=0)[0]
    data = prepare_fold(tiny, fold, get_model_entry("multimodal_lstm"), batch_size=64)
    weights = data.class_weights["transition"]
    from amigos_emo.training.pipeline import collect_targets, encode_target_numpy

    spec = next(s for s in data.specs if s.name == "transition")
    y = encode_target_numpy(spec, collect_targets(data.train_raw, [spec])["transition"])
    counts = np.bincount(y, minlength=2)
    assert np.allclose(weights, len(y) / (2 * counts))  # sklearn's "balanced"
    _, _, batch_weights = next(iter(data.train_dataset(epoch_seed=0)))
    assert set(batch_weights) == {"valence", "arousal", "transition"}
    assert np.all(batch_weights["valence"].numpy() == 1.0)
    got = batch_weights["transition"].numpy().astype(np.float64)
    assert np.all(np.min(np.abs(got[:, None] - weights[None, :]), axis=1) < 1e-5)
    none = prepare_fold(
        tiny, fold, get_model_entry("multimodal_lstm"), batch_size=64, class_weights="none"
    )
    assert none.class_weights == {} and len(next(iter(none.train_dataset(0)))) == 2


def _example_digests(dataset):
    """``"<subject split>|<sha1 of every field>"`` per example, in the dataset's order."""
    import hashlib

    digests = []
    for example in dataset.as_numpy_iterator():
        digest = hashlib.sha1()
        for key in sorted(example):
            digest.update(key.encode() + np.asarray(example[key]).tobytes())
        digests.append(f"subject_{int(example['subject_id']):02d}|{digest.hexdigest()}")
    return digests


def test_subjects_read_once_a_run_give_the_folds_the_same_examples(tiny, monkeypatch):
    """Inside a run each subject is read once and cached; a fold's parts are then the cached
    subjects concatenated: the same examples as reading the combined split (subject after
    subject, where TFDS interleaves the subjects' files), the same train-only statistics, and
    the corpus is not cached a second time per fold."""
    from amigos_emo.models import get_model_entry
    from amigos_emo.training import fold_data, pipeline
    from amigos_emo.training.protocols import make_folds

    subjects = sorted(s for s in tiny.info.splits if s.startswith("subject_"))
    entry = get_model_entry("multimodal_lstm")
    plain = {}
    for fold in make_folds("loso", subjects, seed=0)[:2]:
        plain[fold.index] = fold_data.prepare_fold(tiny, fold, entry, batch_size=64)
    reads = []
    original = tiny.as_dataset
    monkeypatch.setattr(
        tiny, "as_dataset", lambda **kw: reads.append(kw["split"]) or original(**kw)
    )
    passes = []  # passes over data to fit statistics: one per training subject, once a run
    moments = pipeline.input_moments
    monkeypatch.setattr(
        pipeline, "input_moments", lambda *a, **kw: passes.append(1) or moments(*a, **kw)
    )
    trained_on = set()
    with fold_data.subjects_in_memory(tiny):
        assert fold_data.in_memory(tiny)
        for fold in make_folds("loso", subjects, seed=0)[:2]:
            cached = fold_data.prepare_fold(tiny, fold, entry, batch_size=64)
            trained_on |= set(fold.train)
            assert len(passes) == len(trained_on)
            assert cached.cache is False and plain[fold.index].cache is True
            assert cached.majority == plain[fold.index].majority
            for name, (mean, std) in cached.regression_stats.items():
                np.testing.assert_allclose(
                    [mean, std], plain[fold.index].regression_stats[name], rtol=1e-12
                )
            for name, weights in cached.class_weights.items():
                np.testing.assert_allclose(weights, plain[fold.index].class_weights[name])
            for part in ("train_raw", "val_raw", "test_raw"):
                mine = _example_digests(getattr(cached, part))
                theirs = _example_digests(getattr(plain[fold.index], part))
                assert len(mine) > 0 and sorted(mine) == sorted(theirs)
                subject_order = [d.split("|")[0] for d in mine]
                assert subject_order == sorted(subject_order, key=subjects.index)
            for name, stats in cached.input_stats.items():
                for field, value in stats.to_json().items():
                    np.testing.assert_allclose(
                        value, plain[fold.index].input_stats[name].to_json()[field], rtol=1e-5
                    )
    assert not fold_data.in_memory(tiny)
    assert sorted(reads) == sorted(set(reads)) == subjects  # each subject read once


def test_classification_metrics_have_balanced_accuracy_auc_and_positive_f1():
    from sklearn.metrics import balanced_accuracy_score, f1_score, roc_auc_score

    from amigos_emo.training.evaluation import classification_metrics

    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 200)
    p = np.clip(y * 0.3 + rng.uniform(0, 0.7, 200), 0, 1)
    pred = (p >= 0.5).astype(int)
    m = classification_metrics(y, pred, ("rest", "stress"), 0, probabilities=p)
    assert m["balanced_accuracy"] == pytest.approx(balanced_accuracy_score(y, pred))
    assert m["roc_auc"] == pytest.approx(roc_auc_score(y, p))
    assert m["f1"] == pytest.approx(f1_score(y, pred))
    assert m["baseline_roc_auc"] == 0.5 and m["baseline_balanced_accuracy"] == pytest.approx(0.5)
    y3 = rng.integers(0, 3, 300)
    p3 = rng.dirichlet(np.ones(3), 300)
    m3 = classification_metrics(y3, p3.argmax(1), ("a", "b", "c"), 1, probabilities=p3)
    assert m3["roc_auc"] == pytest.approx(roc_auc_score(y3, p3, multi_class="ovr"))


def test_a_model_from_outside_the_package(tiny, tmp_path, monkeypatch):
    package = tmp_path / "my_models"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "tiny_net.py").write_text(
        textwrap.dedent("""
        import keras
        from amigos_emo.models import register_model

        def build(input_shapes, n_outputs=None, preset=None):
            inputs = {k: keras.Input(shape=v, name=k) for k, v in input_shapes.items()}
            x = keras.layers.Concatenate()([keras.layers.GlobalAveragePooling1D()(v) for v in inputs.values()])
            outputs = {"valence": keras.layers.Dense(1, name="valence")(x),
                       "arousal": keras.layers.Dense(1, name="arousal")(x),
                       "transition": keras.layers.Dense(1, activation="sigmoid", name="transition")(x)}
            return keras.Model(inputs, outputs)

        def compile(model, steps_per_epoch=None, epochs=None, jit_compile=False):
            model.compile(optimizer="adam", loss={"valence": "mse", "arousal": "mse",
                                                  "transition": "binary_crossentropy"}, jit_compile=jit_compile)

        register_model("tiny_net", build=build, compile=compile, inputs=("eeg", "ecg", "gsr"),
                       outputs=("valence", "arousal", "transition"), task="regression+binary",
                       presets={"default": {}})
    """)
    )
    monkeypatch.syspath_prepend(os.fspath(tmp_path))
    _forget_after_test(monkeypatch, "tiny_net")
    out = tmp_path / "run"
    results = run(
        _config(out, model="my_models.tiny_net:tiny_net", preset=None, epochs=1), builder=tiny
    )
    assert results["model"] == "tiny_net"
    from amigos_emo.evaluate import main as evaluate_main

    assert (
        evaluate_main(
            [
                "--model",
                os.fspath(out / "fold_00" / "best.keras"),
                "--dataset",
                "unused",
                "--split",
                results["folds"][0]["test"][0],
            ],
            builder=tiny,
        )
        == 0
    )
    # tune accepts a model from outside by searching its compile function's learning rate; this
    # module's compile has none, which is said clearly
    from amigos_emo.tuning.registry import get_hypermodel_class

    with pytest.raises(ValueError, match="takes no learning_rate"):
        get_hypermodel_class("my_models.tiny_net:tiny_net")
    with pytest.raises(ImportError, match="could not be imported"):
        from amigos_emo.models import get_model_entry

        get_model_entry("no_such_module_xyz:net")


def test_evaluate_uses_the_runs_target_and_refuses_another(tiny, tmp_path, capsys):
    from amigos_emo.evaluate import evaluate_model
    from amigos_emo.training.modeling import load_trained_model

    out = tmp_path / "run"
    results = run(_config(out, epochs=1), builder=tiny)
    path = os.fspath(out / "fold_00" / "best.keras")
    with open(out / "fold_00" / "metrics.json") as handle:
        fold_metrics = json.load(handle)
    model = load_trained_model(path, compile=False)
    with pytest.raises(ValueError, match="trained output 'label' on 'label', not 'label_binary'"):
        evaluate_model(
            model,
            tiny,
            results["folds"][0]["test"][0],
            fold_metrics=fold_metrics,
            target="label_binary",
        )
    scored = evaluate_model(
        model, tiny, "+".join(results["folds"][0]["test"]), fold_metrics=fold_metrics
    )
    assert scored["metrics"]["valence"]["mae"] == pytest.approx(
        results["folds"][0]["metrics"]["valence"]["mae"], rel=1e-5
    )
    assert os.path.exists(out / "fold_00" / "preprocessing.json")


def test_lock_file_records_the_holder(tmp_path):
    path = tmp_path / "x.lock"
    with ProcessLock(path, what="thing"):
        info = json.loads(path.read_text())
        assert info["pid"] == os.getpid()


@pytest.mark.parametrize(
    "options, environ, expected, says",
    [
        (dict(model="vae_gnn"), {}, "1", "--onednn auto for vae_gnn"),
        (dict(dataset="dreamer"), {}, "1", "--onednn auto for vae_gnn"),  # its default model
        (dict(dataset="deap/stft", model="gru_xnet"), {}, "1", "for gru_xnet"),
        (dict(model="multimodal_lstm"), {}, None, "TensorFlow's default"),
        (dict(dataset="dreamer"), {"TF_ENABLE_ONEDNN_OPTS": "0"}, "0", "from the environment"),
        (dict(model="multimodal_lstm", onednn="on"), {}, "1", "--onednn on"),
        (dict(model="vae_gnn", onednn="off"), {}, "0", "--onednn off"),
    ],
)
def test_onednn_choice_per_model(options, environ, expected, says):
    from amigos_emo.training.config import choose_onednn

    note = choose_onednn(RunConfig(**options), environ=environ, tensorflow_loaded=False)
    assert environ.get("TF_ENABLE_ONEDNN_OPTS") == expected
    assert says in note


def test_onednn_choice_after_tensorflow_was_imported_changes_nothing_and_says_so(caplog):
    from amigos_emo.training.config import choose_onednn

    environ = {}
    note = choose_onednn(RunConfig(model="vae_gnn"), environ=environ, tensorflow_loaded=True)
    assert environ == {}
    assert "no effect in this process" in note
    assert any(r.levelname == "WARNING" and "no effect" in r.message for r in caplog.records)
    with pytest.raises(ValueError, match="onednn"):
        RunConfig(onednn="yes").validate()


@pytest.mark.parametrize("command", ["train", "tune"])
def test_the_cli_sets_onednn_before_tensorflow_is_imported(command):
    # In a fresh interpreter, as `python -m amigos_emo.<command> --model vae_gnn` runs: options
    # parsed and the switch set with TensorFlow not yet imported, then TensorFlow sees it.
    script = textwrap.dedent(
        f"""
        import os, sys
        os.environ.pop("TF_ENABLE_ONEDNN_OPTS", None)
        from amigos_emo import {command}
        from amigos_emo.training import config as config_module
        seen = {{}}
        def fake_run(config, builder=None):
            seen["env"] = os.environ.get("TF_ENABLE_ONEDNN_OPTS")
            seen["onednn"] = config_module.onednn_enabled()  # imports TensorFlow
        if "{command}" == "train":
            import amigos_emo.training.runner as runner
            runner.run = fake_run
        else:
            import amigos_emo.tuning.search as search
            search.run_search = fake_run
        assert "tensorflow" not in sys.modules, "importing the CLI imported TensorFlow"
        assert {command}.main(["--model", "vae_gnn", "--dataset", "dreamer"]) == 0
        assert seen == {{"env": "1", "onednn": True}}, seen
        """
    )
    env = {k: v for k, v in os.environ.items() if k != "TF_ENABLE_ONEDNN_OPTS"}
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
