"""Augmentation: each transform's statistics against its definition, determinism, composition,
the augment ratio, and that evaluation data never pass through it."""

import numpy as np
import pytest

from amigos_emo.training import augment
from amigos_emo.training.augment import Augmenter, Transform


def _batch(seed=0, shape=(64, 256, 4)):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=shape).astype(np.float32) * 3.0 + 1.0
    return {"eeg": x}, {"label": np.eye(3, dtype=np.float32)[rng.integers(0, 3, shape[0])]}


def _run(text, inputs, targets, seed=(1, 2), sfreq=None):
    import tensorflow as tf

    augmenter = Augmenter.from_names(text, sfreq_hz=sfreq)
    out = augmenter.augment_batch((inputs, targets), tf.constant(seed, tf.int64))
    return {k: np.asarray(v) for k, v in out[0].items()}, {
        k: np.asarray(v) for k, v in out[1].items()
    }


def test_every_transform_is_documented_and_dispatched():
    inputs, targets = _batch(shape=(4, 64, 2))
    spec_inputs = {"stft": np.ones((4, 2, 16, 8), np.float32)}
    for name in augment.TRANSFORMS:
        assert name in augment.__doc__
        if name.startswith("spec_"):
            _run(name, spec_inputs, targets)
        else:
            _run(name, inputs, targets, sfreq={"eeg": 128.0})


def test_noise_has_the_requested_snr():
    inputs, targets = _batch(shape=(64, 1024, 4))
    out, _ = _run("noise:p=1:snr_db=10", inputs, targets)
    noise = out["eeg"] - inputs["eeg"]
    signal_power = np.mean(inputs["eeg"].astype(np.float64) ** 2, axis=(1, 2))
    noise_power = np.mean(noise.astype(np.float64) ** 2, axis=(1, 2))
    snr = 10 * np.log10(signal_power / noise_power)
    assert abs(snr.mean() - 10.0) < 0.05  # 4096 samples per example: each estimate is +/- 0.1 dB
    assert np.allclose(snr, 10.0, atol=0.5)
    assert abs(noise.mean()) < 0.05 * np.sqrt(noise_power.mean())


def test_probability_selects_that_fraction_of_examples():
    inputs, targets = _batch(shape=(2000, 8, 1))
    out, _ = _run("sign_flip:p=0.3", inputs, targets)
    flipped = np.all(np.isclose(out["eeg"], -inputs["eeg"]), axis=(1, 2))
    unchanged = np.all(out["eeg"] == inputs["eeg"], axis=(1, 2))
    assert np.all(flipped | unchanged)
    assert abs(flipped.mean() - 0.3) < 0.04


def test_scale_factor_within_bounds_per_example():
    inputs, targets = _batch()
    out, _ = _run("scale:p=1:low=0.5:high=0.7", inputs, targets)
    ratio = out["eeg"] / inputs["eeg"]
    per_example = ratio.reshape(len(ratio), -1)
    assert np.allclose(per_example, per_example[:, :1], rtol=1e-5)
    assert per_example.min() >= 0.5 - 1e-6 and per_example.max() <= 0.7 + 1e-6


def test_time_shift_is_a_circular_roll_within_the_limit():
    inputs, targets = _batch(shape=(32, 100, 3))
    out, _ = _run("time_shift:p=1:max_fraction=0.1", inputs, targets)
    for x, y in zip(inputs["eeg"], out["eeg"], strict=True):
        matches = [k for k in range(-10, 11) if np.array_equal(np.roll(x, k, axis=0), y)]
        assert len(matches) == 1


def test_time_mask_zeroes_one_stretch_at_most_max_fraction():
    inputs, targets = _batch(shape=(200, 100, 3))
    out, _ = _run("time_mask:p=1:max_fraction=0.2", inputs, targets)
    zero_rows = np.all(out["eeg"] == 0, axis=2)
    lengths = zero_rows.sum(axis=1)
    assert lengths.max() <= 20 and lengths.mean() > 5  # uniform in [0, 20]: mean about 10
    for row in zero_rows:  # contiguous
        idx = np.flatnonzero(row)
        assert idx.size == 0 or idx[-1] - idx[0] + 1 == idx.size
    kept = ~zero_rows
    assert np.array_equal(out["eeg"][kept], inputs["eeg"][kept])


def test_channel_drop_rate():
    inputs, targets = _batch(shape=(500, 16, 8))
    out, _ = _run("channel_drop:p=1:rate=0.25", inputs, targets)
    dropped = np.all(out["eeg"] == 0, axis=1)  # (batch, channels)
    assert abs(dropped.mean() - 0.25) < 0.03


def test_frequency_shift_moves_a_sine():
    import numpy.fft as fft

    sfreq, n = 128.0, 512
    t = np.arange(n) / sfreq
    x = np.sin(2 * np.pi * 10.0 * t)[None, :, None].astype(np.float32)
    inputs = {"eeg": np.repeat(x, 8, axis=0)}
    targets = {"label": np.zeros((8, 3), np.float32)}
    out, _ = _run("freq_shift:p=1:max_hz=3", inputs, targets, sfreq={"eeg": sfreq})
    freqs = fft.rfftfreq(n, 1 / sfreq)
    peaks = freqs[np.abs(fft.rfft(out["eeg"][:, :, 0], axis=1)).argmax(axis=1)]
    assert np.all(np.abs(peaks - 10.0) <= 3.0 + freqs[1]) and np.ptp(peaks) > 0


def test_mixup_is_a_convex_combination_of_inputs_and_targets():
    inputs, targets = _batch(shape=(32, 10, 2))
    out, mixed_targets = _run("mixup:alpha=0.4", inputs, targets)
    # every mixed target row sums to 1 and is a combination of two one-hot rows
    assert np.allclose(mixed_targets["label"].sum(axis=1), 1.0, atol=1e-5)
    x, y = inputs["eeg"].reshape(32, -1), out["eeg"].reshape(32, -1)
    for i in range(32):
        lam = None
        for j in range(32):
            # solve y_i = lam x_i + (1 - lam) x_j for lam
            d = x[i] - x[j]
            if np.allclose(d, 0):
                if np.allclose(y[i], x[i], atol=1e-4):
                    lam = 1.0
                continue
            candidate = float(np.dot(y[i] - x[j], d) / np.dot(d, d))
            if np.allclose(candidate * x[i] + (1 - candidate) * x[j], y[i], atol=1e-3):
                lam = candidate
                break
        assert lam is not None and -1e-4 <= lam <= 1 + 1e-4


def test_spectrogram_masks_and_signal_transforms_leave_the_other_kind_alone():
    import tensorflow as tf

    stft = np.random.default_rng(0).normal(size=(50, 2, 20, 10)).astype(np.float32)
    features = np.ones((50, 7), np.float32)
    augmenter = Augmenter.from_names("spec_freq_mask:p=1:max_fraction=0.3,time_mask:p=1")
    out = augmenter.augment_batch(
        ({"stft": stft, "features": features}, {}), tf.constant([0, 1], tf.int64)
    )[0]
    zero_bins = np.all(np.asarray(out["stft"]) == 0, axis=(1, 2))  # (batch, freqs)
    assert zero_bins.sum(axis=1).max() <= 3 and zero_bins.any()
    assert np.array_equal(np.asarray(out["features"]), features)


def test_same_seed_same_augmentation_other_seed_other():
    inputs, targets = _batch()
    a, _ = _run("noise,time_mask,scale", inputs, targets, seed=(3, 4))
    b, _ = _run("noise,time_mask,scale", inputs, targets, seed=(3, 4))
    c, _ = _run("noise,time_mask,scale", inputs, targets, seed=(3, 5))
    assert np.array_equal(a["eeg"], b["eeg"]) and not np.array_equal(a["eeg"], c["eeg"])


def test_ratio_interleaves_originals_and_copies():
    import tensorflow as tf

    inputs, targets = _batch(shape=(12, 8, 2))
    dataset = tf.data.Dataset.from_tensor_slices((inputs, targets)).batch(4)
    augmenter = Augmenter.from_names("sign_flip:p=1", ratio=2, seed=0)
    batches = [b[0]["eeg"].numpy() for b in augmenter.apply(dataset, seed=1)]
    assert len(batches) == 3 * 3 == augmenter.epoch_factor * 3
    originals = [b["eeg"].numpy() for b, _ in dataset]
    assert np.array_equal(batches[0], originals[0])
    assert np.array_equal(batches[1], -originals[0]) and np.array_equal(batches[2], -originals[0])
    assert np.array_equal(batches[3], originals[1])


def test_bad_specifications_name_the_problem():
    with pytest.raises(ValueError, match="Unknown augmentation 'blur'"):
        Transform.parse("blur")
    with pytest.raises(ValueError, match="takes p=, snr_db="):
        Transform.parse("noise:snr=3")
    with pytest.raises(ValueError, match="p must be in"):
        Transform.parse("noise:p=2")
    with pytest.raises(ValueError, match="sampling rate"):
        inputs, targets = _batch(shape=(2, 16, 1))
        _run("freq_shift:p=1", inputs, targets)


def test_evaluation_data_are_never_augmented(tmp_path):
    """FoldData: training batches change with an augmenter, validation/test batches do not."""
    from amigos_emo.models import get_model_entry
    from amigos_emo.training.fold_data import prepare_fold
    from amigos_emo.training.protocols import make_folds
    from amigos_emo.tuning.conftest_tiny import tiny_builder

    builder = tiny_builder(tmp_path)
    entry = get_model_entry("multimodal_lstm")
    fold = make_folds(
        "subject-split", sorted(s for s in builder.info.splits if s.startswith("subject_")), seed=0
    )[0]
    plain = prepare_fold(builder, fold, entry, batch_size=8)
    augmented = prepare_fold(
        builder, fold, entry, batch_size=8, augmenter=Augmenter.from_names("sign_flip:p=1", seed=0)
    )
    for part in ("validation", "test"):
        a = next(iter(plain.eval_dataset(part)))[0]["eeg"].numpy()
        b = next(iter(augmented.eval_dataset(part)))[0]["eeg"].numpy()
        assert np.array_equal(a, b)
    a = next(iter(plain.train_dataset(epoch_seed=0)))[0]["eeg"].numpy()
    b = next(iter(augmented.train_dataset(epoch_seed=0)))[0]["eeg"].numpy()
    assert np.allclose(b, -a)
