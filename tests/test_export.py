"""TFLite export: the flatbuffer, run by the LiteRT interpreter, against Keras.

Tolerances per quantisation (outputs of untrained or tiny models, on the windows named):

- ``none``: max |tflite - keras| <= 1e-5 (float32 both sides; kernels sum in another order);
- ``float16``: <= 1e-2 x the output range + 1e-3 (weights rounded to 11 significant bits);
- ``int8``: argmax agreement >= 0.8 for class heads and max error <= 0.25 x the output range
  (8-bit activations on calibration windows from the same distribution).

The default suite exports a tiny two-input Keras model through the CLI; every registered model
(tiny harness shapes) x quantisation is ``slow``.
"""

import json
import os

import numpy as np
import pytest

from amigos_emo import export, preprocessing_spec

pytest.importorskip(
    "ai_edge_litert", reason="TFLite checks need ai-edge-litert (pip install 'amigos-emo[live]')"
)


def _tolerance_ok(quantize, entry):
    scale = entry["output_range"]
    if quantize == "none":
        return entry["max_abs_error"] <= 1e-5
    if quantize == "float16":
        return entry["max_abs_error"] <= 1e-2 * scale + 1e-3
    return (
        entry["max_abs_error"] <= 0.25 * scale + 1e-3 and entry.get("class_agreement", 1.0) >= 0.8
    )


def _tiny_run(folder):
    import keras

    eeg = keras.Input((16, 3), name="eeg")
    gsr = keras.Input((16, 1), name="gsr")
    hidden = keras.layers.Dense(12, activation="relu", name="hidden")(
        keras.layers.Concatenate(name="concat")(
            [keras.layers.Flatten(name="f1")(eeg), keras.layers.Flatten(name="f2")(gsr)]
        )
    )
    model = keras.Model(
        {"eeg": eeg, "gsr": gsr},
        {
            "valence": keras.layers.Dense(1, name="valence")(hidden),
            "label": keras.layers.Dense(3, activation="softmax", name="label")(hidden),
        },
        name="tiny_trained",
    )
    path = os.path.join(folder, "best.keras")
    model.save(path)
    spec = preprocessing_spec.PreprocessingSpec(
        dataset="test/tiny",
        builder_version="0.0.1",
        window_s=0.5,
        step_s=0.5,
        signals={
            "eeg": {"type": "eeg", "channels": ["A", "B", "C"], "sfreq_hz": 32.0},
            "gsr": {"type": "gsr", "channels": ["GSR"], "sfreq_hz": 32.0},
        },
    )
    preprocessing_spec.write(spec, folder)
    return path, model, spec


def _windows(shapes, n, seed):
    rng = np.random.default_rng(seed)
    return {name: rng.normal(size=(n, *shape)).astype(np.float32) for name, shape in shapes.items()}


@pytest.mark.parametrize("quantize", ["none", "int8"])
def test_export_cli_writes_a_flatbuffer_that_matches_keras(tmp_path, quantize):
    model_path, model, spec = _tiny_run(os.fspath(tmp_path))
    shapes = export.input_shapes(model)
    calibration = tmp_path / "windows.npz"
    np.savez(calibration, **_windows(shapes, 64, seed=1))
    out = tmp_path / "device"
    argv = [
        "--model",
        model_path,
        "--format",
        "tflite",
        "--quantize",
        quantize,
        "--output-dir",
        os.fspath(out),
    ]
    if quantize == "int8":
        argv += ["--calibration-data", os.fspath(calibration)]
    assert export.main(argv) == 0
    assert preprocessing_spec.read(os.fspath(out / "model.tflite")) == spec
    report = json.loads((out / "export.json").read_text())
    assert report["quantize"] == quantize and report["select_tf_ops"] is False
    if quantize == "int8":
        assert report["int8"] == "full_integer"  # no loop in this model: activations calibrated
    assert report["inputs"] == {"eeg": [16, 3], "gsr": [16, 1]}
    # Independent of export.json: run the file with the LiteRT interpreter on fresh windows.
    windows = _windows(shapes, 20, seed=2)
    lite = export.run_tflite(os.fspath(out / "model.tflite"), windows)
    reference = export.keras_outputs(model, windows)
    assert set(lite) == {"valence", "label"}
    for name, entry in export.compare(reference, lite).items():
        assert _tolerance_ok(quantize, entry), (name, entry)
    if quantize == "none":
        np.testing.assert_allclose(lite["label"], reference["label"], atol=1e-5)
        np.testing.assert_allclose(lite["label"].sum(axis=1), 1.0, atol=1e-5)


def test_export_refuses_int8_without_calibration_and_bad_calibration_files(tmp_path, capsys):
    model_path, model, _ = _tiny_run(os.fspath(tmp_path))
    assert export.main(["--model", model_path, "--quantize", "int8"]) == 2
    assert "needs calibration windows" in capsys.readouterr().err
    bad = tmp_path / "bad.npz"
    np.savez(bad, eeg=np.zeros((4, 16, 2), np.float32), gsr=np.zeros((4, 16, 1), np.float32))
    with pytest.raises(
        ValueError, match=r"array 'eeg' must be \(n_windows, 16, 3\). Received: shape \(4, 16, 2\)"
    ):
        export.windows_from_npz(os.fspath(bad), export.input_shapes(model))
    with pytest.raises(ValueError, match="no array for input"):
        export.windows_from_npz(os.fspath(bad), {"ecg": (16, 2)})


def _harness_cases():
    from amigos_emo.models.harness_cases import HARNESS_CASES

    return HARNESS_CASES


@pytest.mark.slow
@pytest.mark.parametrize("quantize", ["none", "float16", "int8"])
@pytest.mark.parametrize("case", _harness_cases(), ids=lambda c: c.test_id)
def test_every_registered_model_converts_and_matches_keras(case, quantize):
    from amigos_emo.models import build_model

    model = build_model(case.name, case.input_shapes, n_outputs=case.n_outputs, **case.build_kwargs)
    calibration = _windows(case.input_shapes, 64, seed=3)
    if "adjacency" in calibration:
        calibration["adjacency"] = np.abs(calibration["adjacency"])
    flatbuffer, info = export.convert(
        model, quantize=quantize, calibration=calibration, select_tf_ops="never"
    )
    assert info["select_tf_ops"] is False  # every registered model needs builtin ops only
    if quantize == "int8":
        recurrent = case.name in ("multimodal_lstm", "gru_classifier", "gru_xnet", "vae_gnn")
        assert info["int8"] == ("dynamic_range" if recurrent else "full_integer")
    windows = {name: v[:16] for name, v in _windows(case.input_shapes, 16, seed=4).items()}
    if "adjacency" in windows:
        windows["adjacency"] = np.abs(windows["adjacency"])
    report = export.compare(
        export.keras_outputs(model, windows), export.run_tflite(flatbuffer, windows)
    )
    assert set(report) == set(model.output_names)
    for name, entry in report.items():
        assert _tolerance_ok(quantize, entry), (name, entry)
