"""Per-subject (transductive) normalisation: values against a slow per-subject NumPy loop."""

import numpy as np
import pytest
import tensorflow as tf

from amigos_emo.training import pipeline


def _dataset(rng, subjects):
    n = len(subjects)
    examples = {
        "subject_id": np.asarray(subjects, np.int32),
        "bvp": (rng.normal(size=(n, 16, 2)) * 3 + np.asarray(subjects)[:, None, None]).astype(
            np.float32
        ),
        "features": rng.normal(size=(n, 5)).astype(np.float32) * 10,
        "adjacency": rng.normal(size=(n, 3, 3)).astype(np.float32),
    }
    return examples, tf.data.Dataset.from_tensor_slices(examples)


AXES = {"bvp": (0,), "features": (), "adjacency": None}


def test_each_subject_is_standardised_with_its_own_windows_only():
    rng = np.random.default_rng(0)
    subjects = [3, 1, 3, 7, 1, 3, 7, 7, 1, 3]
    examples, dataset = _dataset(rng, subjects)
    names = list(AXES)
    stats = pipeline.subject_input_stats(dataset, names, axes=AXES, batch_size=3)
    assert sorted(stats) == [1, 3, 7]
    out = list(
        pipeline.standardise_per_subject(dataset, stats, names).batch(100).as_numpy_iterator()
    )[0]
    subject_ids = np.asarray(subjects)
    for subject in (1, 3, 7):
        rows = subject_ids == subject
        bvp = examples["bvp"][rows].astype(np.float64)
        expected = (bvp - bvp.mean(axis=(0, 1))) / bvp.std(axis=(0, 1))  # per channel
        np.testing.assert_allclose(out["bvp"][rows], expected, rtol=1e-5, atol=1e-5)
        feats = examples["features"][rows].astype(np.float64)
        expected = (feats - feats.mean(axis=0)) / feats.std(axis=0)  # per feature
        np.testing.assert_allclose(out["features"][rows], expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(out["adjacency"], examples["adjacency"])  # not normalised
    assert out["bvp"].dtype == np.float32


def test_a_recording_is_standardised_like_a_subject():
    rng = np.random.default_rng(1)
    examples, dataset = _dataset(rng, [5] * 6)
    stats = pipeline.subject_input_stats(dataset, ["bvp"], axes=AXES)
    via_dataset = list(
        pipeline.standardise_per_subject(dataset, stats, ["bvp"]).batch(10).as_numpy_iterator()
    )[0]["bvp"]
    via_numpy = pipeline.standardise_recording({"bvp": examples["bvp"]}, AXES)["bvp"]
    np.testing.assert_allclose(via_numpy, via_dataset, rtol=1e-5, atol=1e-5)


def test_a_subject_without_statistics_fails_loudly():
    rng = np.random.default_rng(2)
    _, known = _dataset(rng, [1, 1, 2])
    _, unknown = _dataset(rng, [9])
    stats = pipeline.subject_input_stats(known, ["bvp"], axes=AXES)
    with pytest.raises(tf.errors.InvalidArgumentError, match="a subject without statistics"):
        list(pipeline.standardise_per_subject(unknown, stats, ["bvp"]).as_numpy_iterator())


def test_moments_of_disjoint_parts_add_up_to_the_statistics_of_their_union():
    from amigos_emo.training.tasks import TargetSpec

    rng = np.random.default_rng(3)
    examples, whole = _dataset(rng, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    examples["label"] = rng.integers(0, 3, 11).astype(np.int64)
    whole = tf.data.Dataset.from_tensor_slices(examples)
    specs = [TargetSpec("label", "classification", "label", n_classes=3)]
    names = list(AXES)
    parts = [whole.take(4), whole.skip(4).take(6), whole.skip(10)]  # 4 + 6 + 1 examples
    added = sum(
        (pipeline.input_moments(p, names, axes=AXES, specs=specs, batch_size=3) for p in parts[1:]),
        pipeline.input_moments(parts[0], names, axes=AXES, specs=specs, batch_size=3),
    )
    stats, targets = added.fit(names, AXES, with_targets=True)
    reference, reference_targets = pipeline.fit_input_stats(whole, names, axes=AXES, specs=specs)
    assert stats["adjacency"] is None and reference["adjacency"] is None
    np.testing.assert_array_equal(targets["label"], examples["label"])
    np.testing.assert_array_equal(reference_targets["label"], examples["label"])
    for name in ("bvp", "features"):
        axes = (0,) + tuple(a + 1 for a in AXES[name])
        values = examples[name].astype(np.float64)
        mean = values.mean(axis=axes, keepdims=True)[0]
        std = values.std(axis=axes, keepdims=True)[0]
        assert stats[name].mean.dtype == np.float32 and stats[name].mean.shape == mean.shape
        np.testing.assert_allclose(stats[name].mean, mean, rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(stats[name].std, std, rtol=1e-6)
        np.testing.assert_allclose(stats[name].mean, reference[name].mean, rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(stats[name].std, reference[name].std, rtol=1e-6)
