"""Data augmentation of training batches, inside the ``tf.data`` pipeline.

Every transform is TensorFlow ops on a batch (so it runs wherever the pipeline runs, and on
the accelerator when one is used), is applied to each example independently with probability
``p``, and draws its randomness from stateless generators seeded by (run seed, epoch, batch,
transform), so the same seed gives the same augmented epoch — a resumed run sees exactly what an
uninterrupted one saw. Only training batches pass through it: validation and test data never do
(:meth:`~amigos_emo.training.fold_data.FoldData.eval_dataset` has no augmenter).

Which inputs a transform touches: signal windows ``(n_times, n_chans)`` (``eeg``, ``ecg``,
``gsr``, ``bvp``, ...), DE sequences ``(n_steps, n_features)`` and grids ``(n_times, 9, 9)`` have
time on their first axis; ``stft`` maps ``(n_chans, n_frames, n_freqs)`` are spectrograms;
feature vectors, graph node features and adjacency matrices are left alone.

``--augment noise,time_mask:p=0.8:max_fraction=0.2 --augment-ratio 2`` composes transforms in
the order given; parameters follow the name as ``:key=value``. Ratio ``R >= 1`` shows each
training example once as it is and ``R`` times augmented per epoch (interleaved batch by batch);
ratio 0 augments the batches in place.

Transforms (defaults in :data:`TRANSFORMS`):

============== ==================================================================================
noise          add white Gaussian noise at ``snr_db`` (per example: noise power = signal power
               / 10^(snr_db/10))
scale          multiply by a factor drawn uniformly from [``low``, ``high``]
time_shift     circular shift along time by up to ``max_fraction`` of the window, either way
time_mask      zero one contiguous stretch of ``max_fraction`` of the window (length drawn in
               [0, max_fraction])
channel_drop   zero each channel with probability ``rate``
sign_flip      multiply by -1
freq_shift     shift every frequency by a value drawn in [-``max_hz``, ``max_hz``] Hz (analytic
               signal from an FFT-based Hilbert transform, times exp(2 pi i f t); needs the
               input's sampling rate)
mixup          replace each example by lam * x + (1 - lam) * x[perm] with lam ~ Beta(alpha, alpha),
               targets (one-hot / 0-1 / ratings) and sample weights mixed the same way
spec_time_mask SpecAugment: zero one stretch of up to ``max_fraction`` of an ``stft`` map's frames
spec_freq_mask SpecAugment: zero one band of up to ``max_fraction`` of an ``stft`` map's bins
============== ==================================================================================
"""

from __future__ import annotations

import dataclasses
import math

# name -> default parameters (p = probability per example)
TRANSFORMS = {
    "noise": {"p": 0.5, "snr_db": 20.0},
    "scale": {"p": 0.5, "low": 0.8, "high": 1.2},
    "time_shift": {"p": 0.5, "max_fraction": 0.1},
    "time_mask": {"p": 0.5, "max_fraction": 0.1},
    "channel_drop": {"p": 0.5, "rate": 0.1},
    "sign_flip": {"p": 0.5},
    "freq_shift": {"p": 0.5, "max_hz": 2.0},
    "mixup": {"p": 1.0, "alpha": 0.2},
    "spec_time_mask": {"p": 0.5, "max_fraction": 0.1},
    "spec_freq_mask": {"p": 0.5, "max_fraction": 0.1},
}
SPECTROGRAM_INPUTS = ("stft",)
UNTOUCHED_INPUTS = ("features", "node_features", "adjacency")


def describe_augmentations():
    """The ``--list-augmentations`` text: each transform and its default parameters."""
    lines = ["--augment NAME[:key=value...][,NAME...]  (applied to training batches only)"]
    for name, params in TRANSFORMS.items():
        lines.append(f"  {name:<15}" + ", ".join(f"{k}={v}" for k, v in params.items()))
    return "\n".join(lines)


@dataclasses.dataclass(frozen=True)
class Transform:
    """One transform and its parameters."""

    name: str
    params: dict

    @classmethod
    def parse(cls, text):
        """``"noise:snr_db=10:p=0.3"`` -> ``Transform("noise", {...})``, checked."""
        name, *pairs = [part.strip() for part in text.split(":")]
        if name not in TRANSFORMS:
            raise ValueError(
                f"Unknown augmentation {name!r}. Expected one of: {', '.join(TRANSFORMS)}. "
                f"Received: --augment {text!r}"
            )
        params = dict(TRANSFORMS[name])
        for pair in pairs:
            key, sep, value = pair.partition("=")
            if not sep or key not in params:
                raise ValueError(
                    f"Augmentation {name!r} takes {', '.join(f'{k}=' for k in params)}. "
                    f"Received: {pair!r} in --augment {text!r}"
                )
            try:
                params[key] = float(value)
            except ValueError:
                raise ValueError(
                    f"Augmentation {name!r}: {key} must be a number. Received: {key}={value!r}"
                ) from None
        if not 0 <= params["p"] <= 1:
            raise ValueError(
                f"Augmentation {name!r}: p must be in [0, 1]. Received: p={params['p']}"
            )
        for key in ("max_fraction", "rate"):
            if key in params and not 0 <= params[key] <= 1:
                raise ValueError(
                    f"Augmentation {name!r}: {key} must be in [0, 1]. Received: {key}={params[key]}"
                )
        if name == "scale" and not 0 < params["low"] <= params["high"]:
            raise ValueError(
                f"Augmentation 'scale' needs 0 < low <= high. Received: low={params['low']}, high={params['high']}"
            )
        if name == "mixup" and params["alpha"] <= 0:
            raise ValueError(
                f"Augmentation 'mixup': alpha must be > 0. Received: alpha={params['alpha']}"
            )
        return cls(name, params)


class Augmenter:
    """Applies a list of :class:`Transform` to training batches ``(inputs, targets[, weights])``.

    Args:
        transforms: the transforms, applied in order.
        ratio: augmented copies per example per epoch (0: augment in place).
        seed: the run seed (combined with the epoch seed and batch index).
        sfreq_hz: input name -> sampling rate (needed by ``freq_shift``).
    """

    def __init__(self, transforms, ratio=0, seed=0, sfreq_hz=None):
        self.transforms = list(transforms)
        if not self.transforms:
            raise ValueError("Augmenter needs at least one transform. Received: transforms=[]")
        if not isinstance(ratio, int) or ratio < 0:
            raise ValueError(f"ratio must be an int >= 0. Received: ratio={ratio!r}")
        self.ratio = ratio
        self.seed = int(seed)
        self.sfreq_hz = dict(sfreq_hz or {})

    @classmethod
    def from_names(cls, text, ratio=0, seed=0, sfreq_hz=None):
        transforms = [Transform.parse(part) for part in str(text).split(",") if part.strip()]
        return cls(transforms, ratio=ratio, seed=seed, sfreq_hz=sfreq_hz)

    @property
    def epoch_factor(self):
        """Batches per epoch relative to the un-augmented data."""
        return 1 + self.ratio

    def describe(self):
        """JSON-able record (written into config.json)."""
        return {
            "transforms": [{"name": t.name, **t.params} for t in self.transforms],
            "ratio": self.ratio,
            "seed": self.seed,
        }

    # --- the pipeline ------------------------------------------------------------------------
    def apply(self, dataset, seed=0):
        """``dataset`` of batches -> augmented batches (original + ``ratio`` copies, interleaved)."""
        import tensorflow as tf

        def augmented(copy):
            base = tf.constant([self.seed, int(seed) * 131 + copy], tf.int64)
            return dataset.enumerate().map(
                lambda index, element: self.augment_batch(
                    element, tf.stack([base[0], base[1] * 100_003 + index])
                ),
                num_parallel_calls=tf.data.AUTOTUNE,
                deterministic=True,
            )

        if self.ratio == 0:
            return augmented(1).prefetch(tf.data.AUTOTUNE)
        streams = [dataset] + [augmented(copy) for copy in range(1, self.ratio + 1)]
        choice = tf.data.Dataset.range(len(streams)).repeat()
        return tf.data.Dataset.choose_from_datasets(
            streams, choice, stop_on_empty_dataset=True
        ).prefetch(tf.data.AUTOTUNE)

    def augment_batch(self, batch, seed):
        """Augment one batch; ``seed`` is a stateless ``int64[2]`` seed."""
        import tensorflow as tf

        inputs, targets, *rest = batch
        weights = rest[0] if rest else None
        inputs = {k: tf.convert_to_tensor(v) for k, v in inputs.items()}
        targets = {k: tf.convert_to_tensor(v) for k, v in targets.items()}
        for number, transform in enumerate(self.transforms):
            step_seed = tf.random.experimental.stateless_fold_in(seed, number)
            if transform.name == "mixup":
                inputs, targets, weights = _mixup(
                    inputs, targets, weights, transform.params, step_seed
                )
                continue
            for key_number, name in enumerate(sorted(inputs)):
                if not _touches(transform.name, name, inputs[name]):
                    continue
                input_seed = tf.random.experimental.stateless_fold_in(step_seed, key_number)
                inputs[name] = _apply(transform, inputs[name], input_seed, self.sfreq_hz.get(name))
        return (inputs, targets) if weights is None else (inputs, targets, weights)


def _touches(transform, name, tensor):
    if name in UNTOUCHED_INPUTS or tensor.shape.rank is None or tensor.shape.rank < 3:
        return False
    spectrogram = name in SPECTROGRAM_INPUTS
    return (
        transform.startswith("spec_") == spectrogram
        or transform in ("noise", "scale", "sign_flip")
        and spectrogram
    )


def _per_example(seed, batch, p, rank):
    """A 0/1 float mask ``(batch, 1, ...)``: which examples this transform changes."""
    import tensorflow as tf

    chosen = tf.cast(tf.random.stateless_uniform([batch], seed) < p, tf.float32)
    return tf.reshape(chosen, [batch] + [1] * (rank - 1))


def _apply(transform, x, seed, sfreq_hz):
    """One transform on one batched input ``x`` (time on axis 1; spectrograms (B, C, frames, freqs))."""
    import tensorflow as tf

    x = tf.convert_to_tensor(x)
    dtype = x.dtype
    x = tf.cast(x, tf.float32)
    batch, rank = tf.shape(x)[0], x.shape.rank
    seeds = tf.unstack(tf.random.experimental.stateless_split(seed, 4))
    chosen = _per_example(seeds[0], batch, transform.params["p"], rank)
    params = transform.params
    name = transform.name
    if name == "noise":
        power = tf.reduce_mean(tf.square(x), axis=list(range(1, rank)), keepdims=True)
        std = tf.sqrt(power / (10.0 ** (params["snr_db"] / 10.0)))
        changed = x + std * tf.random.stateless_normal(tf.shape(x), seeds[1])
    elif name == "scale":
        factor = tf.random.stateless_uniform(
            tf.shape(chosen), seeds[1], params["low"], params["high"]
        )
        changed = x * factor
    elif name == "sign_flip":
        changed = -x
    elif name == "time_shift":
        n_times = tf.shape(x)[1]
        limit = tf.cast(
            tf.math.floor(params["max_fraction"] * tf.cast(n_times, tf.float32)), tf.int32
        )
        shifts = tf.random.stateless_uniform([batch], seeds[1], -limit, limit + 1, dtype=tf.int32)
        index = (tf.range(n_times)[None, :] - shifts[:, None]) % n_times
        changed = tf.gather(x, index, axis=1, batch_dims=1)
    elif name in ("time_mask", "spec_time_mask", "spec_freq_mask"):
        axis = {"time_mask": 1, "spec_time_mask": 2, "spec_freq_mask": 3}[name]
        changed = x * _stretch_mask(
            tf.shape(x), axis, rank, params["max_fraction"], seeds[1], seeds[2]
        )
    elif name == "channel_drop":
        shape = tf.concat([[batch], tf.ones([rank - 2], tf.int32), tf.shape(x)[-1:]], axis=0)
        keep = tf.cast(tf.random.stateless_uniform(shape, seeds[1]) >= params["rate"], tf.float32)
        changed = x * keep
    elif name == "freq_shift":
        if not sfreq_hz:
            raise ValueError(
                "Augmentation 'freq_shift' needs the input's sampling rate; this input has none "
                "(it applies to raw signal windows)."
            )
        shift_hz = tf.random.stateless_uniform(
            tf.shape(chosen), seeds[1], -params["max_hz"], params["max_hz"]
        )
        changed = _frequency_shift(x, shift_hz, float(sfreq_hz))
    else:  # pragma: no cover - TRANSFORMS and this dispatch are kept in step by the tests
        raise ValueError(f"no implementation for augmentation {name!r}")
    return tf.cast(chosen * changed + (1.0 - chosen) * x, dtype)


def _stretch_mask(shape, axis, rank, max_fraction, length_seed, start_seed):
    """1 everywhere except one contiguous stretch per example along ``axis`` (0 there)."""
    import tensorflow as tf

    batch, size = shape[0], shape[axis]
    size_f = tf.cast(size, tf.float32)
    length = tf.cast(
        tf.math.floor(tf.random.stateless_uniform([batch], length_seed) * max_fraction * size_f),
        tf.int32,
    )
    start = tf.cast(
        tf.math.floor(
            tf.random.stateless_uniform([batch], start_seed)
            * tf.cast(size - length + 1, tf.float32)
        ),
        tf.int32,
    )
    positions = tf.range(size)[None, :]
    inside = tf.logical_and(positions >= start[:, None], positions < (start + length)[:, None])
    mask = 1.0 - tf.cast(inside, tf.float32)  # (batch, size)
    target = [batch] + [1] * (rank - 1)
    target[axis] = size
    return tf.reshape(mask, tf.stack(target))


def _frequency_shift(x, shift_hz, sfreq_hz):
    """Shift all frequencies of ``x`` (time on axis 1) by ``shift_hz`` (broadcast per example)."""
    import tensorflow as tf

    rank = x.shape.rank
    perm = [0] + list(range(2, rank)) + [1]  # time last for the FFT
    moved = tf.transpose(x, perm)
    n = tf.shape(moved)[-1]
    spectrum = tf.signal.fft(tf.cast(moved, tf.complex64))
    # analytic signal: keep DC (and Nyquist), double positive frequencies, drop negative ones
    index = tf.range(n)
    half = n // 2
    gain = tf.where(
        index == 0,
        1.0,
        tf.where(index < (n + 1) // 2, 2.0, tf.where((index == half) & (n % 2 == 0), 1.0, 0.0)),
    )
    analytic = tf.signal.ifft(spectrum * tf.cast(gain, tf.complex64))
    t = tf.cast(tf.range(n), tf.float32) / sfreq_hz
    shift = tf.transpose(shift_hz, perm)  # (B, 1, ..., 1)
    phase = 2.0 * math.pi * shift * t
    rotated = analytic * tf.complex(tf.cos(phase), tf.sin(phase))
    return tf.transpose(tf.math.real(rotated), [0, rank - 1] + list(range(1, rank - 1)))


def _mixup(inputs, targets, weights, params, seed):
    """Mixup within the batch (every input, target and weight mixed with the same lam)."""
    import tensorflow as tf

    first = next(iter(inputs.values()))
    batch = tf.shape(first)[0]
    seeds = tf.unstack(tf.random.experimental.stateless_split(seed, 4))
    alpha = params["alpha"]
    a = tf.random.stateless_gamma([batch], seeds[0], alpha)
    b = tf.random.stateless_gamma([batch], seeds[1], alpha)
    lam = a / (a + b)
    lam = tf.where(
        tf.random.stateless_uniform([batch], seeds[2]) < params["p"], lam, tf.ones_like(lam)
    )
    order = tf.argsort(tf.random.stateless_uniform([batch], seeds[3]))

    def mix(value):
        value = tf.convert_to_tensor(value)
        dtype = value.dtype
        v = tf.cast(value, tf.float32)
        shaped = tf.reshape(lam, tf.concat([[batch], tf.ones([tf.rank(v) - 1], tf.int32)], axis=0))
        return tf.cast(shaped * v + (1.0 - shaped) * tf.gather(v, order), dtype)

    inputs = {k: mix(v) for k, v in inputs.items()}
    targets = {k: mix(v) for k, v in targets.items()}
    if weights is not None:
        weights = (
            {k: mix(v) for k, v in weights.items()} if isinstance(weights, dict) else mix(weights)
        )
    return inputs, targets, weights
