"""Several corpora as one: three corpora in their real formats (the builders' dummy folders),
common inputs, leave-one-corpus-out, results per corpus, augmentation on."""

import json
import os
import pathlib
import textwrap

import numpy as np
import pytest

from amigos_emo.training import multi_corpus

BUILDERS = pathlib.Path(__file__).resolve().parents[2] / "tfds_builders"
DIRS = {name: BUILDERS / name / "dummy_data" for name in ("deap", "gameemo", "seed_iv")}


def test_parsing_of_datasets_and_manual_dirs():
    assert multi_corpus.parse_datasets("deap/stft, gameemo/stft") == ["deap/stft", "gameemo/stft"]
    with pytest.raises(ValueError, match="names deap twice"):
        multi_corpus.parse_datasets("deap/stft,deap/raw")
    assert multi_corpus.parse_manual_dirs("deap=/a,gameemo=/b", ["deap", "gameemo"]) == {
        "deap": "/a",
        "gameemo": "/b",
    }
    with pytest.raises(ValueError, match="one folder per corpus"):
        multi_corpus.parse_manual_dirs("/a", ["deap", "gameemo"])
    with pytest.raises(ValueError, match="CORPUS=DIR"):
        multi_corpus.parse_manual_dirs("dreamer=/a", ["deap", "gameemo"])


def test_to_shape_pads_channels_and_resizes_the_rest():
    import tensorflow as tf

    x = tf.constant(np.arange(2 * 4 * 6, dtype=np.float32).reshape(2, 4, 6))
    y = multi_corpus._to_shape(x, (2, 4, 6), (3, 4, 6)).numpy()
    assert y.shape == (3, 4, 6) and np.array_equal(y[:2], x.numpy()) and not y[2].any()
    z = multi_corpus._to_shape(x, (2, 4, 6), (2, 8, 3)).numpy()
    assert z.shape == (2, 8, 3)
    assert np.isclose(z.mean(), x.numpy().mean(), rtol=0.05)


@pytest.fixture(scope="module")
def external_model(tmp_path_factory):
    folder = tmp_path_factory.mktemp("models")
    (folder / "stft_probe.py").write_text(
        textwrap.dedent("""
        import keras
        from amigos_emo.models import register_model

        def build(input_shapes, n_outputs=None, preset=None):
            x = keras.Input(shape=input_shapes["stft"], name="stft")
            h = keras.layers.Flatten()(x)
            out = keras.layers.Dense(n_outputs, activation="softmax", name="label")(h)
            return keras.Model({"stft": x}, {"label": out})

        def compile(model, steps_per_epoch=None, epochs=None, jit_compile=False):
            model.compile(optimizer="adam", loss={"label": "categorical_crossentropy"}, jit_compile=jit_compile)

        register_model("stft_probe", build=build, compile=compile, inputs=("stft",), outputs=("label",),
                       task="classification", presets={"default": {}})
    """)
    )
    return folder


def test_three_corpora_leave_one_corpus_out_with_augmentation(
    external_model, tmp_path, monkeypatch
):
    from amigos_emo.train import main

    monkeypatch.syspath_prepend(os.fspath(external_model))
    from amigos_emo.models import registry

    # the registry is process-wide: this test's model is unregistered afterwards
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))
    out = tmp_path / "run"
    manual = ",".join(f"{name}={folder}" for name, folder in DIRS.items())
    code = main(
        [
            "--dataset",
            "deap/stft,gameemo/stft,seed_iv/stft",
            "--manual-dir",
            manual,
            "--model",
            "stft_probe:stft_probe",
            "--protocol",
            "leave-one-corpus-out",
            "--epochs",
            "1",
            "--augment",
            "noise,spec_time_mask",
            "--augment-ratio",
            "1",
            "--data-dir",
            os.fspath(tmp_path / "data"),
            "--output-dir",
            os.fspath(out),
            "--no-export",
            "--verbose",
            "0",
        ]
    )
    assert code == 0
    results = json.loads((out / "metrics.json").read_text())
    assert results["n_folds"] == 3
    assert set(results["per_corpus"]) == {"deap", "gameemo", "seed_iv"}
    for index, corpus in enumerate(("deap", "gameemo", "seed_iv")):
        fold = results["folds"][index]
        assert all(split.startswith(f"subject_{corpus}_") for split in fold["test"])
        assert not any(
            split.startswith(f"subject_{corpus}_") for split in fold["train"] + fold["validation"]
        )
        assert set(fold["per_corpus"]) == {corpus}
    config = json.loads((out / "config.json").read_text())
    assert set(config["dataset"]["corpora"]) == {"deap", "gameemo", "seed_iv"}
    assert config["augmentation"]["ratio"] == 1
    assert [t["name"] for t in config["augmentation"]["transforms"]] == ["noise", "spec_time_mask"]
