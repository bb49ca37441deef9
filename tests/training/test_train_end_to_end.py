"""The training job end to end on a tiny synthetic AMIGOS-format corpus built by the real builder."""

import json
import os

import numpy as np
import pytest

from amigos_emo.tfds_builders.amigos.amigos_dataset_builder import AmigosConfig, Builder
from amigos_emo.training.runner import RunConfig, RunDirectoryError, run


@pytest.fixture(scope="module")
def tiny_amigos(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("data")
    config = AmigosConfig(
        name="synthetic_e2e",
        synthetic=True,
        n_participants=4,
        seed=5,
        video_s=16.0,
        long_video_s=9.0,
    )
    builder = Builder(config=config, data_dir=os.fspath(data_dir))
    builder.download_and_prepare()
    return builder


def _config(output_dir, **overrides):
    values = dict(
        dataset="amigos/synthetic_e2e",
        model="multimodal_lstm",
        epochs=2,
        batch_size=32,
        output_dir=os.fspath(output_dir),
        verbose=0,
    )
    values.update(overrides)
    return RunConfig(**values)


@pytest.fixture(scope="module")
def finished_run(tiny_amigos, tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "run"
    results = run(_config(out, export=True), builder=tiny_amigos)
    return out, results


def test_outputs_and_metrics_beside_baselines(finished_run):
    out, results = finished_run
    for name in ("config.json", "metrics.json", "training_curves.png"):
        assert (out / name).is_file(), name
    fold = out / "fold_00"
    for name in ("best.keras", "history.csv", "metrics.json", "state.json"):
        assert (fold / name).is_file(), name
    assert (fold / "saved_model" / "saved_model.pb").is_file()
    assert list((fold / "tensorboard").rglob("events.out.tfevents*"))
    # TensorBoard shows the fold's test confusion matrix: the report's picture, pixel for pixel
    import tensorflow as tf
    from tensorflow.core.util import event_pb2

    images = {}
    for path in (fold / "tensorboard" / "confusion_matrix").glob("events.out.tfevents*"):
        for record in tf.data.TFRecordDataset(os.fspath(path)):
            event = event_pb2.Event.FromString(record.numpy())
            for value in event.summary.value:
                images[value.tag] = (event.step, value)
    step, value = images["confusion_matrix/test_transition"]
    assert step == results["folds"][0]["best_epoch"]
    shown = tf.io.decode_png(tf.make_ndarray(value.tensor)[2], channels=4).numpy()
    drawn = tf.io.decode_png(tf.io.read_file(os.fspath(fold / "confusion_transition.png")), 4)
    np.testing.assert_array_equal(shown, drawn.numpy())
    assert not list(
        fold.glob("checkpoint_epoch_*")
    )  # resume checkpoints are removed once the fold is done
    saved = json.loads((out / "metrics.json").read_text())
    assert (
        saved["protocol"] == "subject-split"
        and saved["leaky"] is False
        and saved["synthetic"] is True
    )
    fold_metrics = saved["folds"][0]["metrics"]
    for head in ("valence", "arousal"):
        assert {"mae", "rmse", "baseline_mae"} <= set(fold_metrics[head])
        assert saved["aggregate"][head]["mae"]["n_folds"] == 1
    assert {"f1", "baseline_f1", "accuracy"} <= set(fold_metrics["transition"])
    # Train, validation and test subjects are disjoint.
    f = saved["folds"][0]
    assert not (set(f["train"]) & set(f["test"])) and not (set(f["validation"]) & set(f["test"]))
    config = json.loads((out / "config.json").read_text())
    assert config["dataset"]["config"] == "synthetic_e2e" and config["versions"]["tensorflow"]
    history = (fold / "history.csv").read_text().splitlines()
    assert history[0].startswith("epoch,") and len(history) == 3
    # the fold's own stage times: its fixed cost beside its training time
    stages = saved["folds"][0]["stage_seconds"]
    assert {"training (fit + validation)", "evaluation", "export (SavedModel)"} <= set(stages)
    assert all(seconds > 0 for seconds in stages.values())


def test_test_metrics_are_those_of_best_keras(finished_run, tiny_amigos):
    """Evaluation uses the fold's in-memory model with the best epoch's weights put back; the
    metrics must be exactly those of the saved best.keras, evaluated from scratch."""
    from amigos_emo.models import get_model_entry
    from amigos_emo.training.fold_data import prepare_fold
    from amigos_emo.training.modeling import load_trained_model
    from amigos_emo.training.protocols import Fold

    out, results = finished_run
    saved = json.loads((out / "config.json").read_text())["folds"][0]
    fold = Fold(**{k: tuple(v) if isinstance(v, list) else v for k, v in saved.items()})
    data = prepare_fold(tiny_amigos, fold, get_model_entry("multimodal_lstm"), 32)
    best = load_trained_model(os.fspath(out / "fold_00" / "best.keras"))
    outputs = best.predict(data.eval_dataset("test"), verbose=0)  # the plain Keras way
    metrics = data.evaluate(best, "test", outputs=outputs, truth=data.targets("test"))
    assert json.dumps(metrics) == json.dumps(results["folds"][0]["metrics"])


def test_baseline_is_the_training_mean(finished_run, tiny_amigos):
    """The regression baseline is computed from the training subjects' ratings alone."""
    out, results = finished_run
    fold = results["folds"][0]
    ratings = [
        float(e["valence"])
        for split in fold["train"]
        for e in tiny_amigos.as_dataset(split=split).as_numpy_iterator()
    ]
    assert fold["training_targets"]["regression_mean_std"]["valence"][0] == pytest.approx(
        np.mean(ratings), rel=1e-6
    )


def test_saved_model_matches_keras_model(finished_run, tiny_amigos):
    import keras
    import tensorflow as tf

    out, _ = finished_run
    model = keras.saving.load_model(out / "fold_00" / "best.keras")
    batch = next(iter(tiny_amigos.as_dataset(split="subject_01").batch(8).as_numpy_iterator()))
    inputs = {k: batch[k] for k in ("eeg", "ecg", "gsr")}
    expected = model.predict(inputs, verbose=0)
    loaded = tf.saved_model.load(os.fspath(out / "fold_00" / "saved_model"))  # keep a reference
    served = loaded.serve(inputs)
    for head in ("valence", "arousal", "transition"):
        np.testing.assert_allclose(np.asarray(served[head]), expected[head], atol=1e-5)
    # Raw signals in, ratings out: predictions sit on the 1-9 scale, not the standardised one.
    assert 0.0 < float(np.mean(expected["valence"])) < 10.0


def test_finished_run_is_not_overwritten(finished_run, tiny_amigos):
    out, _ = finished_run
    with pytest.raises(RunDirectoryError, match="finished run.*--overwrite"):
        run(_config(out), builder=tiny_amigos)


def test_unfinished_run_needs_resume_or_overwrite(tmp_path, tiny_amigos):
    (tmp_path / "run" / "fold_00").mkdir(parents=True)
    (tmp_path / "run" / "config.json").write_text("{}")
    (tmp_path / "run" / "fold_00" / "state.json").write_text("{}")  # an epoch was saved
    with pytest.raises(RunDirectoryError, match="unfinished run.*--resume"):
        run(_config(tmp_path / "run"), builder=tiny_amigos)


def test_random_window_protocol_is_labelled_leaky(tiny_amigos, tmp_path, capsys):
    results = run(
        _config(tmp_path / "leaky", protocol="random-window", epochs=1, export=False),
        builder=tiny_amigos,
    )
    assert results["leaky"] is True and "not subject-independent" in results["leak_warning"]
    saved = json.loads((tmp_path / "leaky" / "metrics.json").read_text())
    assert saved["leaky"] is True
    assert "LEAKY" in capsys.readouterr().out
