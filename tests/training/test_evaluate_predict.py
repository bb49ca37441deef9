"""Tests of ``amigos_emo.evaluate`` and ``amigos_emo.predict`` on a tiny SYNTHETIC AMIGOS corpus.

The module fixtures build a 2-participant corpus with short videos through the real AMIGOS
builder and wrap the lightweight multimodal LSTM exactly as the runner does (normalisation and
rating rescaling fitted on participant 1), untrained to keep the default suite fast: these tests
check that the right numbers reach the model and the metrics, not what it learnt. The slow test
trains one epoch through the full runner and checks evaluate and predict against its outputs.
"""

import json
import os
import pathlib

import numpy as np
import pytest
import scipy.io
import tensorflow_datasets as tfds

from amigos_emo import preprocessing_spec
from amigos_emo.constants import amigos as amigos_constants

SFREQ = amigos_constants.SFREQ_HZ
BASELINE = int(amigos_constants.BASELINE_S * SFREQ)
WINDOW = 512


def _tiny_builder(data_dir, n_participants=2, name="tiny_predict"):
    from amigos_emo.tfds_builders.amigos.amigos_dataset_builder import AmigosConfig, Builder

    config = AmigosConfig(
        name=name,
        synthetic=True,
        n_participants=n_participants,
        seed=5,
        video_s=12.0,
        long_video_s=9.0,
    )
    builder = Builder(config=config, data_dir=os.fspath(data_dir))
    builder.download_and_prepare()
    return builder


def _examples(builder, split):
    examples = list(tfds.as_numpy(builder.as_dataset(split=split, shuffle_files=False)))
    return sorted(examples, key=lambda e: (e["trial_id"], e["window_index"]))


def _participant_file(builder, participant):
    (path,) = (
        pathlib.Path(builder.data_dir)
        .parents[2]
        .joinpath("downloads")
        .rglob(f"Data_Preprocessed_P{participant:02d}.mat")
    )
    return path


def _amigos_spec():
    """What the AMIGOS builder did to the training data, as the runner writes it beside best.keras."""
    signals = {
        name: preprocessing_spec.SignalSpec(
            type=name, channels=list(channels), sfreq_hz=SFREQ, unit=unit
        )
        for name, channels, unit in (
            ("eeg", amigos_constants.EEG_CHANNELS, "uV"),
            ("ecg", amigos_constants.ECG_CHANNELS, "uV"),
            ("gsr", amigos_constants.GSR_CHANNELS, "ohm"),
        )
    }
    return preprocessing_spec.PreprocessingSpec(
        dataset="amigos/tiny_predict",
        builder_version="test",
        window_s=4.0,
        step_s=4.0,
        signals=signals,
        baseline={
            "seconds": 5.0,
            "template_s": 1.0,
            "applies_to": ["eeg"],
            "kind": "subtract_template",
        },
    )


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return _tiny_builder(tmp_path_factory.mktemp("tiny_amigos"))


@pytest.fixture(scope="module")
def trained(corpus, tmp_path_factory):
    """A run-like fold directory: best.keras (statistics of subject_01) and metrics.json."""
    import keras

    from amigos_emo.models import get_model_entry
    from amigos_emo.training import pipeline
    from amigos_emo.training.modeling import wrap_model
    from amigos_emo.training.tasks import target_specs

    keras.utils.set_random_seed(0)
    entry = get_model_entry("multimodal_lstm")
    specs = target_specs(entry, corpus.info.features, dataset_name=corpus.name)
    train = corpus.as_dataset(split="subject_01", shuffle_files=False)
    axes = pipeline.normalisation_axes(corpus, entry.inputs)
    stats = pipeline.fit_input_stats(train, entry.inputs, axes=axes)
    targets = pipeline.collect_targets(train, specs)
    regression = {
        s.name: (float(targets[s.name].mean()), float(targets[s.name].std()))
        for s in specs
        if s.kind == "regression"
    }
    shapes = {name: tuple(corpus.info.features[name].shape) for name in entry.inputs}
    model = wrap_model(
        entry.build(shapes, preset="lightweight"), stats, regression, name="multimodal_lstm_trained"
    )
    entry.compile(model, steps_per_epoch=1, epochs=1)
    run_dir = tmp_path_factory.mktemp("run")
    fold_dir = run_dir / "fold_00"
    fold_dir.mkdir()
    model.save(fold_dir / "best.keras")
    preprocessing_spec.write(_amigos_spec(), fold_dir)
    majority = int(np.bincount(targets["transition"].astype(int)).argmax())
    metrics = {
        "fold": 0,
        "train": ["subject_01"],
        "validation": [],
        "test": ["subject_02"],
        "training_targets": {
            "regression_mean_std": regression,
            "majority_class": {"transition": majority},
        },
    }
    (fold_dir / "metrics.json").write_text(json.dumps(metrics))
    (run_dir / "config.json").write_text(json.dumps({"dataset": {"name": "amigos"}}))
    return {
        "model": model,
        "run_dir": run_dir,
        "fold_dir": fold_dir,
        "regression": regression,
        "majority": majority,
    }


def _reference_predictions(model, examples):
    batch = {name: np.stack([e[name] for e in examples]) for name in ("eeg", "ecg", "gsr")}
    return {k: np.asarray(v) for k, v in model.predict(batch, verbose=0).items()}


# --- evaluate ---------------------------------------------------------------------------------


def test_evaluate_matches_hand_computed_metrics(corpus, trained):
    from amigos_emo.evaluate import evaluate_model, load_fold_metrics

    fold_metrics = load_fold_metrics(trained["fold_dir"] / "best.keras")
    result = evaluate_model(trained["model"], corpus, "subject_02", fold_metrics=fold_metrics)
    examples = _examples(corpus, "subject_02")
    reference = _reference_predictions(trained["model"], examples)
    assert result["n_examples"] == len(examples) == corpus.info.splits["subject_02"].num_examples
    assert result["kinds"] == {
        "valence": "regression",
        "arousal": "regression",
        "transition": "binary",
    }
    for head in ("valence", "arousal"):
        truth = np.array([e[head] for e in examples], np.float64)
        predicted = reference[head][:, 0].astype(np.float64)
        mean = trained["regression"][head][0]
        assert result["metrics"][head]["mae"] == pytest.approx(
            np.mean(np.abs(truth - predicted)), rel=1e-4
        )
        assert result["metrics"][head]["baseline_mae"] == pytest.approx(
            np.mean(np.abs(truth - mean)), rel=1e-6
        )
        assert result["baseline_source"][head] == "training mean (fold metrics.json)"
    truth = np.array([e["transition"] for e in examples])
    predicted = (reference["transition"][:, 0] >= 0.5).astype(int)
    assert result["metrics"]["transition"]["accuracy"] == pytest.approx(np.mean(truth == predicted))
    assert result["metrics"]["transition"]["baseline_accuracy"] == pytest.approx(
        np.mean(truth == trained["majority"])
    )
    assert result["notes"] == []


def test_evaluate_without_metrics_json_labels_the_fallback(corpus, trained):
    from amigos_emo.evaluate import evaluate_model, format_report

    result = evaluate_model(trained["model"], corpus, "subject_02", fold_metrics=None)
    # The regression mean comes from the model's own rescaling layer: the same training mean.
    assert "rescaling layer" in result["baseline_source"]["valence"]
    truth = np.array([e["valence"] for e in _examples(corpus, "subject_02")], np.float64)
    expected = np.mean(np.abs(truth - trained["regression"]["valence"][0]))
    assert result["metrics"]["valence"]["baseline_mae"] == pytest.approx(expected, rel=1e-6)
    assert "EVALUATED split" in result["baseline_source"]["transition"]
    assert any("no fold metrics.json" in note for note in result["notes"])
    assert "NOTE:" in format_report(result)


def test_evaluate_flags_training_subjects_as_leak(corpus, trained):
    from amigos_emo.evaluate import evaluate_model, load_fold_metrics

    result = evaluate_model(
        trained["model"],
        corpus,
        "subject_01+subject_02",
        fold_metrics=load_fold_metrics(trained["fold_dir"] / "best.keras"),
    )
    assert result["n_examples"] == sum(
        corpus.info.splits[s].num_examples for s in ("subject_01", "subject_02")
    )
    assert any(note.startswith("LEAK: subject_01") for note in result["notes"])


def test_evaluate_cli_run_dir_and_fold(corpus, trained, tmp_path, capsys):
    from amigos_emo.evaluate import main

    output = tmp_path / "scores.json"
    code = main(
        [
            "--model",
            os.fspath(trained["run_dir"]),
            "--fold",
            "0",
            "--dataset",
            "amigos/tiny_predict",
            "--split",
            "subject_02",
            "--output",
            os.fspath(output),
        ],
        builder=corpus,
    )
    assert code == 0
    printed = capsys.readouterr().out
    assert "valence" in printed and "training mean (fold metrics.json)" in printed
    saved = json.loads(output.read_text())
    assert saved["split"] == "subject_02" and saved["model"] == "multimodal_lstm_trained"
    assert saved["model_path"].endswith(os.path.join("fold_00", "best.keras"))


def test_evaluate_errors(corpus, trained, tmp_path, capsys):
    from amigos_emo.evaluate import evaluate_model, main, resolve_model_path

    with pytest.raises(ValueError, match="subject_09 not in .*Available: subject_01, subject_02"):
        evaluate_model(trained["model"], corpus, "subject_09")
    with pytest.raises(FileNotFoundError, match="fold_03.*has: fold_00"):
        resolve_model_path(trained["run_dir"], fold=3)
    (tmp_path / "fold_00").mkdir()
    (tmp_path / "fold_01").mkdir()
    with pytest.raises(FileNotFoundError, match="2 folds .*pass --fold K"):
        resolve_model_path(tmp_path)
    assert (
        main(
            [
                "--model",
                os.fspath(tmp_path / "nope.keras"),
                "--dataset",
                "amigos",
                "--split",
                "subject_01",
            ],
            builder=corpus,
        )
        == 2
    )
    assert "no such file or directory" in capsys.readouterr().err


# --- predict ----------------------------------------------------------------------------------


def _trial(corpus, participant=2, trial=1):
    mat = scipy.io.loadmat(_participant_file(corpus, participant))
    return mat["joined_data"][0, trial - 1]


def _write_csv(path, data, names=amigos_constants.JOINED_DATA_COLUMNS, time_column=False):
    header = list(names)
    if time_column:
        data = np.concatenate([np.arange(len(data))[:, None] / SFREQ, data], axis=1)
        header = ["time"] + header
    np.savetxt(path, data, delimiter=",", header=",".join(header), comments="", fmt="%.17g")
    return path


def test_predict_csv_equals_builder_windows(corpus, trained, tmp_path):
    """Windows cut from the raw trial equal the builder's examples (baseline removed), so the
    predictions equal the model's on those examples."""
    from amigos_emo.io.recordings import read_recording
    from amigos_emo.predict import predict_recording

    data = _trial(corpus)
    path = _write_csv(tmp_path / "trial.csv", data, time_column=True)
    recording = read_recording(path)
    assert recording.sfreq == pytest.approx(SFREQ)
    assert recording.ch_names == list(amigos_constants.JOINED_DATA_COLUMNS)
    predictions = predict_recording(trained["fold_dir"] / "best.keras", recording)
    examples = [e for e in _examples(corpus, "subject_02") if e["trial_id"] == 1]
    assert len(examples) == (len(data) - BASELINE) // WINDOW
    np.testing.assert_allclose(predictions["start_s"], 5.0 + 4.0 * np.arange(len(examples)))
    reference = _reference_predictions(trained["model"], examples)
    for head in ("valence", "arousal", "transition"):
        assert predictions[head].dtype == np.float32 and predictions[head].shape == (
            len(examples),
            1,
        )
        np.testing.assert_allclose(predictions[head], reference[head], atol=1e-5)


def test_predict_savedmodel_needs_opt_in_and_equals_keras_npz_columns_shuffled(
    corpus, trained, tmp_path
):
    import shutil

    from amigos_emo.io.recordings import read_recording
    from amigos_emo.predict import (
        ModelLoadError,
        load_for_prediction,
        predict_recording,
    )

    saved = tmp_path / "fold" / "saved_model"
    trained["model"].export(os.fspath(saved), format="tf_saved_model", verbose=False)
    shutil.copy(
        trained["fold_dir"] / "preprocessing.json", tmp_path / "fold" / "preprocessing.json"
    )
    with pytest.raises(ModelLoadError, match="executes the TensorFlow graph.*--allow-savedmodel"):
        load_for_prediction(saved)
    data = _trial(corpus, trial=2)
    order = np.random.default_rng(0).permutation(data.shape[1])  # mapping is by name, not position
    names = np.array(amigos_constants.JOINED_DATA_COLUMNS)[order]
    np.savez(tmp_path / "trial.npz", data=data[:, order], ch_names=names, sfreq=SFREQ)
    recording = read_recording(tmp_path / "trial.npz")
    from_keras = predict_recording(trained["fold_dir"] / "best.keras", recording, step_s=2.0)
    model = load_for_prediction(saved, allow_savedmodel=True)
    assert model.input_shapes == {"eeg": (512, 14), "ecg": (512, 2), "gsr": (512, 1)}
    from_saved = predict_recording(model, recording, step_s=2.0)
    assert len(from_keras["start_s"]) == (len(data) - BASELINE - WINDOW) // 256 + 1
    for head in ("valence", "arousal", "transition"):
        np.testing.assert_allclose(from_saved[head], from_keras[head], atol=1e-5)


def test_predict_edf_via_mne(corpus, trained, tmp_path):
    import mne

    from amigos_emo.io.recordings import read_recording
    from amigos_emo.predict import predict_recording

    data = _trial(corpus, trial=1)
    types = ["eeg"] * 14 + ["ecg"] * 2 + ["misc"]
    scale = np.array([1e-6] * 16 + [1.0])  # MNE keeps EEG/ECG in volts; GSR (ohms) as is
    info = mne.create_info(list(amigos_constants.JOINED_DATA_COLUMNS), SFREQ, types)
    raw = mne.io.RawArray((data * scale).T, info, verbose="error")
    path = tmp_path / "trial.edf"
    mne.export.export_raw(os.fspath(path), raw, fmt="edf", verbose="error")
    recording = read_recording(path)
    assert recording.sfreq == SFREQ and recording.ch_names[:2] == ["AF3", "F7"]
    n = min(len(data), len(recording.data))
    # EDF stores 16-bit integers and an 8-character physical range: values come back to within
    # about a quantisation step (the rounded range adds up to ~25% of one here).
    step = (data.max(axis=0) - data.min(axis=0)) / 65535
    assert np.all(np.abs(recording.data[:n] - data[:n]) <= 2 * step)
    assert np.abs(recording.data[:n, :16] - data[:n, :16]).max() < 0.01  # microvolts, not volts
    from_edf = predict_recording(trained["fold_dir"] / "best.keras", recording)
    from_csv = predict_recording(
        trained["fold_dir"] / "best.keras",
        read_recording(_write_csv(tmp_path / "t.csv", data), sfreq=SFREQ),
    )
    for head in ("valence", "arousal", "transition"):
        np.testing.assert_allclose(from_edf[head], from_csv[head], atol=2e-3)
    # A truncated EDF (MNE only warns about the size) is an error naming the file.
    truncated = tmp_path / "truncated.edf"
    truncated.write_bytes(path.read_bytes()[:-5000])
    with pytest.raises(ValueError, match=r"truncated\.edf: could not be read as EDF \(truncated"):
        read_recording(truncated)


def test_predict_resamples_a_faster_recording(corpus, trained, tmp_path):
    from amigos_emo.io.recordings import read_recording
    from amigos_emo.predict import predict_recording
    from amigos_emo.signal.filters import resample

    data = _trial(corpus, trial=1)
    fast = resample(data, SFREQ, 2 * SFREQ)
    names = [
        f"EEG {n}" if i < 14 else n for i, n in enumerate(amigos_constants.JOINED_DATA_COLUMNS)
    ]
    recording = read_recording(
        _write_csv(tmp_path / "fast.csv", fast, names=[n.lower() for n in names]), sfreq=2 * SFREQ
    )
    model = trained["fold_dir"] / "best.keras"
    slow = predict_recording(
        model, read_recording(_write_csv(tmp_path / "slow.csv", data), sfreq=SFREQ)
    )
    upsampled = predict_recording(model, recording)
    np.testing.assert_allclose(upsampled["start_s"], slow["start_s"])
    for head in ("valence", "arousal"):
        np.testing.assert_allclose(upsampled[head], slow[head], atol=0.05)


def test_predict_cli_writes_table_and_csv(corpus, trained, tmp_path, capsys):
    from amigos_emo.predict import main

    path = _write_csv(tmp_path / "trial.csv", _trial(corpus))
    out = tmp_path / "predictions.csv"
    assert (
        main(
            [
                "--model",
                os.fspath(trained["fold_dir"] / "best.keras"),
                "--recording",
                os.fspath(path),
                "--sfreq",
                "128",
                "--csv",
                os.fspath(out),
            ]
        )
        == 0
    )
    printed = capsys.readouterr().out
    assert printed.split()[:4] == ["start_s", "arousal", "transition", "valence"]
    table = np.genfromtxt(out, delimiter=",", names=True)
    assert table.dtype.names == ("start_s", "arousal", "transition", "valence")
    assert table["start_s"][0] == 5.0 and np.all(
        (table["transition"] >= 0) & (table["transition"] <= 1)
    )


def test_predict_errors_name_the_problem(corpus, trained, tmp_path, capsys):
    from amigos_emo.io.recordings import read_recording
    from amigos_emo.predict import main, predict_recording

    model = os.fspath(trained["fold_dir"] / "best.keras")
    data = _trial(corpus)
    names = list(amigos_constants.JOINED_DATA_COLUMNS)
    partial = _write_csv(tmp_path / "partial.csv", data[:, 2:], names=names[2:])
    with pytest.raises(
        ValueError, match=r"partial\.csv: channels: channel\(s\) AF3 \(eeg\), F7 \(eeg\) missing"
    ):
        predict_recording(model, read_recording(partial, sfreq=SFREQ))
    bare = tmp_path / "bare.csv"
    np.savetxt(bare, data[:600], delimiter=",")
    with pytest.raises(ValueError, match="does not name its 17 channel"):
        read_recording(bare, sfreq=SFREQ)
    with pytest.raises(ValueError, match="--channels names 3 channel"):
        read_recording(bare, channels=["a", "b", "c"], sfreq=SFREQ)
    with pytest.raises(ValueError, match="pass --sfreq"):
        predict_recording(model, read_recording(bare, channels=names))
    short = read_recording(bare, channels=names, sfreq=SFREQ)
    with pytest.raises(ValueError, match="one window needs 5 s of baseline"):
        predict_recording(model, short)
    with pytest.raises(ValueError, match="unknown format '.mat'"):
        read_recording(_participant_file(corpus, 1))
    holes = data.copy()
    holes[700, 15] = np.nan
    with pytest.raises(ValueError, match=r"ecg \(ECG_Left\) holds non-finite samples.*1 NaN"):
        predict_recording(
            model, read_recording(_write_csv(tmp_path / "nan.csv", holes), sfreq=SFREQ)
        )
    # Another representation than raw windows or the custom builder's features is refused.
    other = tmp_path / "stft_fold"
    other.mkdir()
    (other / "best.keras").write_bytes((trained["fold_dir"] / "best.keras").read_bytes())
    spec = _amigos_spec()
    spec.representation = "stft"
    preprocessing_spec.write(spec, other)
    assert (
        main(
            [
                "--model",
                os.fspath(other / "best.keras"),
                "--recording",
                os.fspath(bare),
                "--channels",
                *names,
                "--sfreq",
                "128",
            ]
        )
        == 2
    )
    assert "trained on representation 'stft'" in capsys.readouterr().err
    # No preprocessing.json: a clear error, no guessing.
    (other / "preprocessing.json").unlink()
    assert (
        main(
            [
                "--model",
                os.fspath(other / "best.keras"),
                "--recording",
                os.fspath(bare),
                "--channels",
                *names,
                "--sfreq",
                "128",
            ]
        )
        == 2
    )
    err = capsys.readouterr().err
    assert (
        err.startswith("error: ")
        and "preprocessing.json is missing" in err
        and "guesses none" in err
    )


def _crafted_keras(path, config):
    """A .keras zip with a hand-written config.json (and an empty weights file)."""
    import zipfile

    import keras

    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(
            "metadata.json", json.dumps({"keras_version": keras.__version__, "date_saved": "x"})
        )
        archive.writestr("config.json", json.dumps(config))
        archive.writestr("model.weights.h5", b"")
    return path


@pytest.mark.parametrize(
    "entry,named",
    [
        (
            {
                "module": "os",
                "class_name": "system",
                "config": {"command": "touch PWNED"},
                "registered_name": "system",
            },
            "os.system",
        ),
        (
            {
                "module": "builtins",
                "class_name": "function",
                "config": "exec",
                "registered_name": "function",
            },
            "builtins.exec",
        ),
        (
            {
                "module": "subprocess",
                "class_name": "Popen",
                "config": {"args": ["touch", "PWNED"]},
                "registered_name": None,
            },
            "subprocess.Popen",
        ),
    ],
)
def test_predict_refuses_crafted_keras_files_like_a_lambda(
    tmp_path, capsys, monkeypatch, entry, named
):
    import keras

    from amigos_emo.predict import main

    monkeypatch.chdir(tmp_path)
    recording = _write_csv(tmp_path / "r.csv", np.zeros((600, 1)), names=["x"])
    # A real functional model whose Dense activation is replaced by the crafted callable.
    inputs = keras.Input((1,), name="x")
    keras.Model(inputs, {"y": keras.layers.Dense(1, name="y")(inputs)}).save(tmp_path / "ok.keras")
    import zipfile

    with zipfile.ZipFile(tmp_path / "ok.keras") as archive:
        config = json.loads(archive.read("config.json"))
    (dense,) = [layer for layer in config["config"]["layers"] if layer["class_name"] == "Dense"]
    dense["config"]["activation"] = entry
    for name, crafted in (("nested.keras", config), ("top.keras", entry)):
        _crafted_keras(tmp_path / name, crafted)
        assert (
            main(["--model", os.fspath(tmp_path / name), "--recording", os.fspath(recording)]) == 2
        )
        err = capsys.readouterr().err
        assert err.startswith("error: --model") and err.count("\n") == 1 and "Traceback" not in err
        assert f"names {named}, which is not a registered" in err
    assert not (tmp_path / "PWNED").exists()
    # A Lambda layer gives the same kind of one-line error.
    keras.Model(inputs, {"y": keras.layers.Lambda(lambda t: t * 2, name="y")(inputs)}).save(
        tmp_path / "lambda.keras"
    )
    assert (
        main(["--model", os.fspath(tmp_path / "lambda.keras"), "--recording", os.fspath(recording)])
        == 2
    )
    err = capsys.readouterr().err
    assert err.startswith("error: --model") and err.count("\n") == 1 and "Lambda" in err


@pytest.mark.slow
def test_runner_trained_model_evaluate_and_predict(tmp_path):
    """End to end: the runner trains 1 epoch and exports; evaluate reproduces its test metrics;
    the SavedModel and best.keras give the same per-window predictions."""
    from amigos_emo.evaluate import main as evaluate_main
    from amigos_emo.io.recordings import read_recording
    from amigos_emo.predict import (
        load_for_prediction,
        predict_recording,
        read_model_spec,
    )
    from amigos_emo.training.runner import RunConfig, run

    builder = _tiny_builder(tmp_path / "data", n_participants=3, name="tiny_runner")
    results = run(
        RunConfig(
            dataset="amigos/tiny_runner",
            model="multimodal_lstm",
            epochs=1,
            batch_size=32,
            output_dir=os.fspath(tmp_path / "run"),
            verbose=0,
            export=True,
        ),
        builder=builder,
    )
    fold = results["folds"][0]
    output = tmp_path / "scores.json"
    assert (
        evaluate_main(
            [
                "--model",
                os.fspath(tmp_path / "run"),
                "--fold",
                "0",
                "--dataset",
                "amigos/tiny_runner",
                "--split",
                "+".join(fold["test"]),
                "--output",
                os.fspath(output),
            ],
            builder=builder,
        )
        == 0
    )
    scores = json.loads(output.read_text())
    for head, values in fold["metrics"].items():
        for metric in ("mae", "accuracy", "baseline_mae", "baseline_accuracy"):
            if metric in values:
                assert scores["metrics"][head][metric] == pytest.approx(values[metric], rel=1e-5)
    if not (
        tmp_path / "run" / "fold_00" / "preprocessing.json"
    ).exists():  # until the runner writes it
        preprocessing_spec.write(_amigos_spec(), tmp_path / "run" / "fold_00")
    subject = int(fold["test"][0].split("_")[1])
    recording = read_recording(
        _write_csv(tmp_path / "trial.csv", _trial(builder, subject, trial=2)), sfreq=SFREQ
    )
    from_keras = predict_recording(tmp_path / "run" / "fold_00" / "best.keras", recording)
    saved = load_for_prediction(tmp_path / "run" / "fold_00" / "saved_model", allow_savedmodel=True)
    from_saved = predict_recording(
        saved, recording, spec=read_model_spec(tmp_path / "run" / "fold_00" / "best.keras")
    )
    for head in ("valence", "arousal", "transition"):
        np.testing.assert_allclose(from_saved[head], from_keras[head], atol=1e-5)


def test_predict_custom_features_model_leaves_undefined_windows_nan(tmp_path):
    """A features model (custom builder, "representation": "features"): predict computes the
    builder's features; windows without 3 beats (a flat BVP stretch) get NaN predictions."""
    import keras

    from amigos_emo.predict import main
    from amigos_emo.signal.physio import window_feature_names
    from amigos_emo.synthetic import write_synthetic_wearable_study

    write_synthetic_wearable_study(tmp_path / "study", n_subjects=1, seed=0, trial_s=40.0)
    description = json.loads((tmp_path / "study" / "amigos_emo_dataset.json").read_text())
    channels = {}
    for channel in description["channels"]:
        channels.setdefault(channel["type"], []).append(channel["name"])
    names = window_feature_names(channels)
    spec = preprocessing_spec.PreprocessingSpec(
        dataset="custom/synthetic_wearable_features",
        builder_version="1.1.0",
        window_s=10.0,
        step_s=10.0,
        signals={
            kind: {"type": kind, "channels": chans, "sfreq_hz": description["sfreq"][kind]}
            for kind, chans in channels.items()
        },
        representation="features",
        extra={
            "features": {
                "input": "features",
                "function": "amigos_emo.signal.physio.window_features",
                "names": names,
            }
        },
    )
    fold = tmp_path / "fold_00"
    fold.mkdir()
    inputs = keras.Input((len(names),), name="features")
    keras.Model(
        inputs, {"label": keras.layers.Dense(3, activation="softmax", name="label")(inputs)}
    ).save(fold / "best.keras")
    preprocessing_spec.write(spec, fold)
    recording = tmp_path / "study" / "S01" / "S01_trial1.npz"
    with np.load(recording) as archive:
        arrays = {key: archive[key] for key in archive.files}
    arrays["BVP"][: 64 * 19] = 0.0  # no beats in the first 19 s: fewer than 3 in windows 0 and 1
    np.savez(tmp_path / "flat.npz", **arrays)
    assert (
        main(
            [
                "--model",
                os.fspath(fold / "best.keras"),
                "--recording",
                os.fspath(tmp_path / "flat.npz"),
                "--csv",
                os.fspath(tmp_path / "p.csv"),
            ]
        )
        == 0
    )
    table = np.genfromtxt(tmp_path / "p.csv", delimiter=",", names=True)
    np.testing.assert_allclose(table["start_s"], [0.0, 10.0, 20.0, 30.0])
    probabilities = np.stack([table[f"label_{i}"] for i in range(3)], axis=1)
    assert np.all(np.isnan(probabilities[:2])) and np.allclose(
        probabilities[2:].sum(axis=1), 1.0, atol=1e-5
    )


def test_predict_reads_one_file_per_modality_like_the_npz(tmp_path, capsys):
    """A raw+features model predicts a trial given as four per-modality CSVs (E4-style export)
    as it predicts the same trial's NPZ."""
    import keras

    from amigos_emo.predict import main
    from amigos_emo.synthetic import write_synthetic_wearable_study
    from amigos_emo.tfds_builders.custom import Builder, CustomConfig

    for layout in ("npz", "csv"):
        write_synthetic_wearable_study(
            tmp_path / layout, n_subjects=1, seed=4, trial_s=40.0, layout=layout
        )
    config = CustomConfig.from_json(tmp_path / "npz" / "amigos_emo_dataset.json")
    builder = Builder(config=config, data_dir=os.fspath(tmp_path / "tfds"))
    spec = builder.preprocessing_spec()
    assert spec.representation == "raw+features"
    shapes = {k: tuple(builder.info.features[k].shape) for k in spec.normalisation_axes}
    assert set(shapes) == {"bvp", "gsr", "temperature", "acc", "features"}
    inputs = {k: keras.Input(shape, name=k) for k, shape in shapes.items()}
    flat = keras.layers.Concatenate()([keras.layers.Flatten()(x) for x in inputs.values()])
    head = keras.layers.Dense(3, activation="softmax", name="label")(
        keras.layers.Dense(4, activation="tanh")(flat)
    )
    fold = tmp_path / "fold_00"
    fold.mkdir()
    keras.Model(inputs, {"label": head}).save(fold / "best.keras")
    preprocessing_spec.write(spec, fold)
    tables = {}
    for layout, files in (
        ("npz", ["S01/S01_trial2.npz"]),
        ("csv", [f"S01/S01_trial2_{m}.csv" for m in ("BVP", "EDA", "TEMP", "ACC")]),
    ):
        out = tmp_path / f"{layout}.csv"
        argv = ["--model", os.fspath(fold / "best.keras"), "--csv", os.fspath(out), "--recording"]
        assert main([*argv, *(os.fspath(tmp_path / layout / f) for f in files)]) == 0
        tables[layout] = np.genfromtxt(out, delimiter=",", names=True)
    np.testing.assert_allclose(tables["csv"]["start_s"], [0.0, 10.0, 20.0, 30.0])
    for name in ("label_0", "label_1", "label_2"):
        np.testing.assert_allclose(tables["csv"][name], tables["npz"][name], atol=2e-3)
    # --channels describes one file: with several it is refused, naming why
    capsys.readouterr()
    files = [os.fspath(tmp_path / "csv" / "S01" / f"S01_trial2_{m}.csv") for m in ("BVP", "EDA")]
    assert (
        main(["--model", os.fspath(fold / "best.keras"), "--recording", *files, "--sfreq", "64"])
        == 2
    )
    assert "--channels and --sfreq describe one file" in capsys.readouterr().err
