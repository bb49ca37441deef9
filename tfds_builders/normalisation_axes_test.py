"""Every builder declares the normalisation axes of the features it writes, beside itself.

The declarations replaced a table by feature name in the training layer; the statistics of an
existing corpus must not change, so each declaration is checked against that table
(:func:`amigos_emo.preprocessing_spec.legacy_normalisation_axes`) for every config.
"""

import pathlib
import types

import numpy as np
import pytest
import tensorflow as tf

from amigos_emo import datasets
from amigos_emo.preprocessing_spec import legacy_normalisation_axes
from amigos_emo.tfds_builders.custom.custom_dataset_builder import Builder as CustomBuilder
from amigos_emo.tfds_builders.custom.custom_dataset_builder import CustomConfig
from amigos_emo.training import pipeline

CUSTOM_DUMMY = pathlib.Path(__file__).resolve().parent / "custom" / "dummy_data"
CORPORA = [name for name in datasets.list_datasets() if name != "custom"]


def _model_inputs(builder):
    """The float tensors a model may consume (signals, spectrograms, features, graphs)."""
    return {
        name: len(feature.shape)
        for name, feature in builder.info.features.items()
        if np.dtype(feature.np_dtype) == np.float32 and len(feature.shape) >= 1
    }


def _builders(tmp_path):
    for name in CORPORA:
        cls = datasets.builder_class(name)
        for config in cls.BUILDER_CONFIGS:
            yield f"{name}/{config.name}", cls(config=config.name, data_dir=tmp_path)
    for example in ("csv", "edf", "npz"):
        config = CustomConfig.from_json(CUSTOM_DUMMY / example / "amigos_emo_dataset.json")
        yield f"custom/{example}", CustomBuilder(config=config, data_dir=tmp_path)


def test_declared_axes_equal_the_former_table_for_every_config(tmp_path):
    checked = 0
    for full_name, builder in _builders(tmp_path):
        declared = builder.preprocessing_spec().normalisation_axes
        inputs = _model_inputs(builder)
        assert inputs, full_name
        assert set(inputs) <= set(declared), (full_name, sorted(set(inputs) - set(declared)))
        for name, axes in declared.items():
            assert name in builder.info.features, (full_name, name)
            rank = len(builder.info.features[name].shape)
            assert axes == legacy_normalisation_axes(name, rank), (full_name, name, axes)
            checked += 1
    assert checked >= 30


def test_spec_round_trip_keeps_the_axes_and_old_records_fall_back(tmp_path):
    from amigos_emo import preprocessing_spec

    builder = datasets.builder_class("dreamer")(config="graph", data_dir=tmp_path)
    spec = builder.preprocessing_spec()
    preprocessing_spec.write(spec, tmp_path)
    again = preprocessing_spec.read(str(tmp_path / "best.keras"))
    assert again == spec
    assert again.axes_of("node_features", 3) == (2,) and again.axes_of("adjacency", 3) is None
    with pytest.raises(KeyError, match="'stft'"):
        again.axes_of("stft", 3)
    old = preprocessing_spec.PreprocessingSpec(**{**vars(spec), "normalisation_axes": None})
    assert old.axes_of("eeg_grid", 3) == (0,) and old.axes_of("new_signal", 2) == (0,)
    assert old.axes_of("new_scalar", 0) == ()


def test_an_undeclared_model_input_names_the_builder_and_the_feature(tmp_path):
    builder = datasets.builder_class("gameemo")(config="raw", data_dir=tmp_path)
    assert pipeline.normalisation_axes(builder, ["eeg"]) == {"eeg": (0,)}
    with pytest.raises(ValueError, match=r"gameemo/raw.*'stft'.*tfds_builders/gameemo/"):
        pipeline.normalisation_axes(builder, ["eeg", "stft"])
    bare = types.SimpleNamespace(info=types.SimpleNamespace(full_name="bare/1.0.0"), name="bare")
    with pytest.raises(ValueError, match="bare/1.0.0.*'eeg'.*Declared: none"):
        pipeline.normalisation_axes(bare, ["eeg"])


def test_fit_input_stats_pools_the_given_axes():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(37, 3, 5, 4)) * rng.uniform(0.5, 3, size=(1, 3, 1, 4)) + 2.0
    z = rng.normal(size=(37, 6))
    data = tf.data.Dataset.from_tensor_slices(
        {"stft": x.astype("float32"), "z": z.astype("float32"), "adj": z.astype("float32")}
    )
    stats = pipeline.fit_input_stats(
        data, ["stft", "z", "adj"], axes={"stft": (1,), "z": (), "adj": None}, batch_size=8
    )
    x32 = x.astype("float32").astype(np.float64)
    np.testing.assert_allclose(stats["stft"].mean, x32.mean(axis=(0, 2)).reshape(3, 1, 4), 1e-5)
    np.testing.assert_allclose(stats["stft"].std, x32.std(axis=(0, 2)).reshape(3, 1, 4), 1e-5)
    np.testing.assert_allclose(stats["z"].mean, z.astype("float32").mean(axis=0), 1e-5, 1e-6)
    assert stats["stft"].axes == (1,) and stats["z"].axes == () and stats["adj"] is None
    assert stats["stft"].to_json()["axes"] == [1]
    with pytest.raises(ValueError, match="Missing: \\['adj'\\]"):
        pipeline.fit_input_stats(data, ["z", "adj"], axes={"z": ()})
