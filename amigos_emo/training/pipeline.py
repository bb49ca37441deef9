"""``tf.data`` input pipelines and the normalisation fitted on training subjects only.

The statistics of every input are computed from the training split of the fold (never from
validation or test subjects) and are stored in the model as the float32 weights of its
``Standardize`` layers (:mod:`amigos_emo.training.modeling`), so a saved or exported model takes
raw signals; regression heads are rescaled to the rating
scale with the training targets' mean and standard deviation.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from amigos_emo._logging import logger


@dataclasses.dataclass
class InputStats:
    """Mean and std of one input, shaped to broadcast against one example.

    Attributes:
        mean, std: float32, the example's shape with size 1 on the pooled ``axes``.
        axes: per-example axes (no batch axis) pooled into one statistic, as the builder
            declared them for the input (``()``: one statistic per element).
    """

    mean: np.ndarray
    std: np.ndarray
    axes: tuple

    def to_json(self):
        return {"mean": self.mean.tolist(), "std": self.std.tolist(), "axes": list(self.axes)}


def normalisation_axes(builder, input_names):
    """The normalisation axes the dataset's builder declares for each model input.

    Builders declare them beside themselves (``NORMALISATION_AXES``, see
    ``tfds_builders/corpus.py``) and report them in their preprocessing spec, which the run
    records as ``preprocessing.json``; the trainer keeps no table by feature name.

    Args:
        builder: the prepared dataset's TFDS builder.
        input_names: the features the model consumes.

    Returns:
        dict name -> tuple of per-example axes pooled into one mean/std, or ``None`` (the input
        is not normalised).

    Raises:
        ValueError: the builder declares no axes for an input (names the builder and the input).
    """
    describe = getattr(builder, "preprocessing_spec", None)
    spec = describe() if describe is not None else None
    declared = (spec.normalisation_axes if spec is not None else None) or {}
    missing = [name for name in input_names if name not in declared]
    if missing:
        raise ValueError(
            f"Builder {builder.info.full_name} declares no normalisation axes for the model "
            f"input(s) {', '.join(map(repr, missing))}. Expected: an entry per feature a model "
            f"consumes in the builder's NORMALISATION_AXES (tfds_builders/{builder.name}/; see "
            f"CONTRIBUTING.md). Declared: {', '.join(sorted(declared)) or 'none'}."
        )
    return {name: declared[name] for name in input_names}


def fit_input_stats(dataset, input_names, *, axes, batch_size=256, max_batches=None, specs=None):
    """Streaming float64 mean/std of each input over a (training) dataset.

    Args:
        dataset: ``tf.data.Dataset`` of example dicts (unbatched).
        input_names: the keys to fit.
        axes: name -> per-example axes pooled into one statistic, or ``None`` (not normalised),
            for every name in ``input_names`` (:func:`normalisation_axes` of the builder).
        max_batches: optional cap (statistics from the first batches only).
        specs: optional :class:`~amigos_emo.training.tasks.TargetSpec` list: their target values
            are collected in the same pass (one read of the training data instead of two).

    Returns:
        dict name -> :class:`InputStats` (or None for inputs that are not normalised); with
        ``specs``, the tuple ``(stats, targets)`` where ``targets`` is as :func:`collect_targets`.
    """
    moments = input_moments(
        dataset, input_names, axes=axes, batch_size=batch_size, max_batches=max_batches, specs=specs
    )
    return moments.fit(input_names, axes, with_targets=specs is not None)


@dataclasses.dataclass
class Moments:
    """Float64 sums of a set of examples, the stuff of :func:`fit_input_stats`.

    Per input: the sum and the sum of squares over the pooled axes, and how many values went
    into them; per target head: the raw target values. The moments of disjoint sets of
    examples add up (``a + b``) to those of their union, so a fold's training statistics can
    be made from its subjects' moments, each computed once a run
    (:func:`~amigos_emo.training.fold_data.prepare_fold`).
    """

    sums: dict = dataclasses.field(default_factory=dict)
    squares: dict = dataclasses.field(default_factory=dict)
    counts: dict = dataclasses.field(default_factory=dict)
    seen: set = dataclasses.field(default_factory=set)
    targets: dict = dataclasses.field(default_factory=dict)  # head -> list of arrays

    def __add__(self, other):
        def added(a, b):
            return {k: a[k] + b[k] if k in a and k in b else a.get(k, b.get(k)) for k in {*a, *b}}

        return Moments(
            added(self.sums, other.sums),
            added(self.squares, other.squares),
            added(self.counts, other.counts),
            self.seen | other.seen,
            {
                k: [*self.targets.get(k, []), *other.targets.get(k, [])]
                for k in {*self.targets, *other.targets}
            },
        )

    def fit(self, input_names, axes, with_targets=False):
        """The :class:`InputStats` of each input (and, ``with_targets``, the targets)."""
        stats = {}
        for name in input_names:
            if name not in self.seen:
                raise ValueError("The training split is empty: no statistics can be fitted.")
            stats[name] = (
                None
                if axes[name] is None
                else _stats_from_moments(
                    name,
                    self.sums[name],
                    self.squares[name],
                    self.counts[name],
                    axes[name],
                    "the training split",
                )
            )
        if not with_targets:
            return stats
        return stats, {
            name: (np.concatenate(v) if v else np.empty((0,))) for name, v in self.targets.items()
        }


def input_moments(dataset, input_names, *, axes, batch_size=256, max_batches=None, specs=None):
    """The :class:`Moments` of ``dataset``'s examples (one pass; see :func:`fit_input_stats`)."""
    missing = [name for name in input_names if name not in axes]
    if missing:
        raise ValueError(
            f"axes must name the normalisation axes of every input. Missing: {missing}. "
            f"Received: axes for {sorted(axes)}"
        )
    moments = Moments(targets={spec.name: [] for spec in specs or ()})
    sums, squares, counts = moments.sums, moments.squares, moments.counts
    for index, batch in enumerate(dataset.batch(batch_size).as_numpy_iterator()):
        if max_batches is not None and index >= max_batches:
            break
        for spec in specs or ():
            moments.targets[spec.name].append(np.asarray(batch[spec.source]))
        for name in input_names:
            moments.seen.add(name)
            if axes[name] is None:
                continue
            x = np.asarray(batch[name], dtype=np.float64)
            pooled = (0,) + tuple(a + 1 for a in axes[name])
            sums[name] = sums.get(name, 0.0) + x.sum(axis=pooled, keepdims=True)[0]
            squares[name] = squares.get(name, 0.0) + np.square(x).sum(axis=pooled, keepdims=True)[0]
            counts[name] = counts.get(name, 0) + int(np.prod([x.shape[a] for a in pooled]))
    return moments


def _stats_from_moments(name, total, square, count, axes, where):
    """:class:`InputStats` from float64 sums; constant elements get std 1 (with a warning)."""
    mean = total / count
    std = np.sqrt(np.maximum(square / count - np.square(mean), 0.0))
    flat = std < 1e-8 * max(1.0, float(np.abs(mean).max()))
    if flat.any():
        logger.warning(
            "Input %r has %d constant element(s) in %s; they pass through unscaled.",
            name,
            int(flat.sum()),
            where,
        )
    std = np.where(flat, 1.0, std)
    return InputStats(mean.astype(np.float32), std.astype(np.float32), tuple(axes))


SUBJECT_NORMALISATION_NOTE = (
    "TRANSDUCTIVE per-subject normalisation: every subject's inputs, test subjects included, are "
    "standardised with the mean and std of that subject's own windows (no labels are read); "
    "deployed, a new person needs a recording of their own to calibrate on"
)


def subject_input_stats(dataset, input_names, *, axes, batch_size=256):
    """Per-subject float64 mean/std of each input over every window of that subject.

    No label is read. Used by ``--normalise subject`` (see :data:`SUBJECT_NORMALISATION_NOTE`).

    Args:
        dataset: ``tf.data.Dataset`` of example dicts with ``subject_id`` (unbatched), e.g. the
            training, validation and test parts of a fold together.
        input_names: the keys to standardise.
        axes: name -> per-example axes pooled into one statistic, or ``None`` (left alone).

    Returns:
        dict subject id (int) -> dict name -> :class:`InputStats` (or ``None``).
    """
    moments = {}
    for batch in dataset.batch(batch_size).as_numpy_iterator():
        subjects = np.asarray(batch["subject_id"]).astype(np.int64)
        for subject in np.unique(subjects):
            rows = subjects == subject
            per_subject = moments.setdefault(int(subject), {})
            for name in input_names:
                if axes[name] is None:
                    continue
                x = np.asarray(batch[name], dtype=np.float64)[rows]
                pooled = (0,) + tuple(a + 1 for a in axes[name])
                total, square, count = per_subject.get(name, (0.0, 0.0, 0))
                per_subject[name] = (
                    total + x.sum(axis=pooled, keepdims=True)[0],
                    square + np.square(x).sum(axis=pooled, keepdims=True)[0],
                    count + int(np.prod([x.shape[a] for a in pooled])),
                )
    if not moments:
        raise ValueError("The dataset is empty: no per-subject statistics can be computed.")
    return {
        subject: {
            name: (
                None
                if axes[name] is None
                else _stats_from_moments(name, *values[name], axes[name], f"subject {subject}")
            )
            for name in input_names
        }
        for subject, values in sorted(moments.items())
    }


def standardise_per_subject(dataset, subject_stats, input_names):
    """``dataset`` with each input standardised by its own subject's statistics.

    Args:
        dataset: ``tf.data.Dataset`` of example dicts with ``subject_id`` (unbatched).
        subject_stats: :func:`subject_input_stats` of (at least) every subject in ``dataset``.
        input_names: the keys to standardise (others pass through).

    Returns:
        the mapped dataset; float32 inputs. A subject without statistics fails at run time with
        an ``InvalidArgumentError`` naming the lookup.
    """
    import tensorflow as tf

    subjects = sorted(subject_stats)
    table = tf.lookup.StaticHashTable(
        tf.lookup.KeyValueTensorInitializer(
            tf.constant(subjects, tf.int64), tf.range(len(subjects), dtype=tf.int64)
        ),
        default_value=-1,
    )
    names = [n for n in input_names if subject_stats[subjects[0]].get(n) is not None]
    means = {n: tf.constant(np.stack([subject_stats[s][n].mean for s in subjects])) for n in names}
    stds = {n: tf.constant(np.stack([subject_stats[s][n].std for s in subjects])) for n in names}

    def fn(example):
        index = table.lookup(tf.cast(example["subject_id"], tf.int64))
        check = tf.debugging.assert_non_negative(
            index, message="standardise_per_subject: a subject without statistics"
        )
        with tf.control_dependencies([check]):
            index = tf.identity(index)
        example = dict(example)
        for name in names:
            x = tf.cast(example[name], tf.float32)
            example[name] = (x - tf.gather(means[name], index)) / tf.gather(stds[name], index)
        return example

    return dataset.map(fn, num_parallel_calls=tf.data.AUTOTUNE)


def standardise_recording(arrays, axes):
    """NumPy twin of per-subject normalisation for one person's windows (``predict``).

    Args:
        arrays: name -> ``(n_windows, ...)`` float array of ONE person's windows.
        axes: name -> per-example axes pooled, or ``None`` (left alone).

    Returns:
        name -> float32 array, standardised with the mean/std over all of those windows.
    """
    out = {}
    for name, x in arrays.items():
        if axes.get(name) is None:
            out[name] = np.asarray(x, np.float32)
            continue
        x = np.asarray(x, np.float64)
        pooled = (0,) + tuple(a + 1 for a in axes[name])
        stats = _stats_from_moments(
            name,
            x.sum(axis=pooled, keepdims=True)[0],
            np.square(x).sum(axis=pooled, keepdims=True)[0],
            int(np.prod([x.shape[a] for a in pooled])),
            axes[name],
            "this recording",
        )
        out[name] = ((x - stats.mean) / stats.std).astype(np.float32)
    return out


def collect_targets(dataset, specs, batch_size=512):
    """All target values of a dataset as NumPy arrays, one per :class:`TargetSpec`."""
    values = {spec.name: [] for spec in specs}
    for batch in dataset.batch(batch_size).as_numpy_iterator():
        for spec in specs:
            values[spec.name].append(np.asarray(batch[spec.source]))
    return {name: (np.concatenate(v) if v else np.empty((0,))) for name, v in values.items()}


def encode_target(spec, value):
    """Turn a raw dataset feature into the tensor a model output trains on (TensorFlow ops)."""
    import tensorflow as tf

    if spec.kind == "classification":
        return tf.one_hot(tf.cast(value, tf.int32), spec.n_classes, dtype=tf.float32)
    if spec.kind == "binary":
        if spec.threshold is not None:
            return tf.cast(tf.cast(value, tf.float32) >= spec.threshold, tf.float32)[..., None]
        return tf.cast(value, tf.float32)[..., None]
    return tf.cast(value, tf.float32)[..., None]


def encode_target_numpy(spec, value):
    """NumPy twin of :func:`encode_target` for evaluation: class indices / 0-1 / floats."""
    value = np.asarray(value)
    if spec.kind == "binary" and spec.threshold is not None:
        return (value.astype(np.float64) >= spec.threshold).astype(np.int64)
    if spec.kind in ("binary", "classification"):
        return value.astype(np.int64)
    return value.astype(np.float64)


def decode_prediction(spec, prediction):
    """A model output -> what the target encoding holds: class index (argmax), 0/1 (>= 0.5) or
    a float rating. The inverse of :func:`encode_target_numpy` for evaluation."""
    prediction = np.asarray(prediction)
    if spec.kind == "classification":
        return prediction.argmax(axis=-1)
    if spec.kind == "binary":
        return (prediction.reshape(len(prediction), -1)[:, 0] >= 0.5).astype(np.int64)
    return prediction.reshape(len(prediction), -1)[:, 0].astype(np.float64)


def window_hash_fraction(example):
    """A deterministic pseudo-random number in [0, 1) per window (for the leaky protocol)."""
    import tensorflow as tf

    key = tf.strings.join(
        [
            tf.strings.as_string(example["subject_id"]),
            tf.strings.as_string(example.get("session_id", tf.constant(0, tf.int32))),
            tf.strings.as_string(example["trial_id"]),
            tf.strings.as_string(example.get("window_index", tf.constant(0, tf.int32))),
        ],
        separator="/",
    )
    return tf.cast(tf.strings.to_hash_bucket_fast(key, 10_000), tf.float32) / 10_000.0


def to_model_io(input_names, specs, sample_weights=None):
    """A ``map`` function: example dict -> (inputs, targets[, sample_weight]).

    Args:
        sample_weights: optional ``{head: weights_per_class}``: balanced class weights of each
            binary/classification head, applied as per-example weights of THAT head's loss
            (other heads get weight 1).
    """
    import tensorflow as tf

    tables = {
        name: tf.constant(np.asarray(w, np.float32)) for name, w in (sample_weights or {}).items()
    }

    def fn(example):
        inputs = {name: tf.cast(example[name], tf.float32) for name in input_names}
        targets = {spec.name: encode_target(spec, example[spec.source]) for spec in specs}
        if not tables:
            return inputs, targets
        weights = {}
        for spec in specs:
            if spec.name in tables:
                index = class_index(spec, example[spec.source])
                weights[spec.name] = tf.gather(tables[spec.name], index)
            else:
                weights[spec.name] = tf.ones((), tf.float32)
        return inputs, targets, weights

    return fn


def class_index(spec, value):
    """The class index (int32 tensor) of a binary/classification target (TensorFlow ops)."""
    import tensorflow as tf

    if spec.kind == "binary" and spec.threshold is not None:
        return tf.cast(tf.cast(value, tf.float32) >= spec.threshold, tf.int32)
    return tf.cast(value, tf.int32)


def make_dataset(
    dataset,
    input_names,
    specs,
    batch_size,
    shuffle=False,
    seed=0,
    cache=False,
    sample_weights=None,
    buffer_size=4096,
):
    """The training/evaluation input pipeline: (cache) -> (shuffle) -> map -> batch -> prefetch.

    Shuffling uses a fixed seed without reshuffling between iterations when ``seed`` is given
    per epoch by the caller, so a resumed run sees the same order as an uninterrupted one.
    """
    import tensorflow as tf

    if cache:
        dataset = dataset.cache()
    if shuffle:
        dataset = dataset.shuffle(buffer_size, seed=seed, reshuffle_each_iteration=False)
    dataset = dataset.map(
        to_model_io(input_names, specs, sample_weights), num_parallel_calls=tf.data.AUTOTUNE
    )
    return dataset.batch(batch_size).prefetch(tf.data.AUTOTUNE)
