"""One fold's data: its three parts, and everything fitted on its training subjects only.

:func:`prepare_fold` is used by the training run, the tuner and the benchmark, so all of them
train on exactly the same examples with the same train-only statistics: input normalisation,
regression target mean/std, majority classes and balanced class weights.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools

import numpy as np


def _split_string(splits):
    return "+".join(splits)


def count_examples(builder, splits):
    return int(sum(builder.info.splits[s].num_examples for s in splits))


# builder -> {subject split: its examples, cached in memory}, while a run keeps them
# (:func:`subjects_in_memory`); empty outside a run
_SUBJECTS = {}

# builder -> {(subject split, inputs, axes, target sources): that subject's Moments}, while a run
# keeps its subjects in memory: a fold's training statistics are its subjects' moments added up
_MOMENTS = {}

# a run keeps its subjects in memory when they all fit in this (the per-fold cache's limit)
IN_MEMORY_BYTES = 2 * 1024**3


def _corpus_bytes(builder):
    """Decoded size of every example of ``builder``, from its feature shapes and split sizes."""
    per_example = 0
    for feature in builder.info.features.values():
        shape = getattr(feature, "shape", None)
        dtype = getattr(feature, "np_dtype", None)
        if shape is None or dtype is None or any(d is None for d in shape):
            continue  # text, variable-length features: small beside the signals
        per_example += int(np.prod(shape)) * np.dtype(dtype).itemsize
    return per_example * sum(split.num_examples for split in builder.info.splits.values())


@contextlib.contextmanager
def subjects_in_memory(builder):
    """Read each subject's examples once per run, not once per fold.

    A leave-one-subject-out run reads every subject in every fold: three TFDS readers to set
    up and all examples decoded again (about 0.5 s of each 300-window fold of the multimodal
    LSTM, measured in ``bench/bench_fold_overhead.py``). Inside this context, when the whole
    corpus fits in :data:`IN_MEMORY_BYTES`, each subject split is a dataset cached in memory
    on its first read, and a fold's parts are those datasets concatenated, subject after
    subject. They hold the same examples as the combined split read from disk; the order
    differs, TFDS interleaving a combined split's files (tested). Larger corpora are read from
    disk per fold, as outside a run.
    """
    key = id(builder)
    active = key not in _SUBJECTS and _corpus_bytes(builder) < IN_MEMORY_BYTES
    if active:
        _SUBJECTS[key] = {}
        _MOMENTS[key] = {}
    try:
        yield
    finally:
        if active:
            _SUBJECTS.pop(key, None)
            _MOMENTS.pop(key, None)


def _read_splits(builder, splits):
    """The examples of ``splits`` in order: from memory inside :func:`subjects_in_memory`."""
    cached = _SUBJECTS.get(id(builder))
    if cached is None:
        return builder.as_dataset(split=_split_string(splits), shuffle_files=False)
    datasets = []
    for split in splits:
        if split not in cached:
            cached[split] = builder.as_dataset(split=split, shuffle_files=False).cache()
        datasets.append(cached[split])
    return functools.reduce(lambda a, b: a.concatenate(b), datasets)


def train_moments(builder, fold, train_raw, inputs, axes, specs):
    """The :class:`~amigos_emo.training.pipeline.Moments` of a fold's training part.

    Inside :func:`subjects_in_memory`, when the training part is whole subjects (no filter on
    it), these are the sums of its subjects' moments, each subject's computed once a run: a
    LOSO fold then reads none of its training windows to fit its statistics (0.3-0.4 s of each
    fold of the 15-subject wearable study, which passed over 13 subjects every fold). The sums
    are the same float64 sums, added in another order. Otherwise one pass over ``train_raw``.
    """
    from amigos_emo.training import pipeline

    cached = _MOMENTS.get(id(builder))
    if cached is None or (fold.select or {}).get("train"):
        return pipeline.input_moments(train_raw, inputs, axes=axes, specs=specs)
    sources = tuple((spec.name, spec.source) for spec in specs)
    total = None
    for split in fold.train:
        key = (split, tuple(inputs), repr(sorted(axes.items())), sources)
        if key not in cached:
            cached[key] = pipeline.input_moments(
                _read_splits(builder, [split]), inputs, axes=axes, specs=specs
            )
        total = cached[key] if total is None else total + cached[key]
    return total


def in_memory(builder):
    """Whether a run keeps ``builder``'s subjects in memory now (:func:`subjects_in_memory`)."""
    return id(builder) in _SUBJECTS


def load_fold_data(builder, fold):
    """(train, validation, test) unbatched example datasets of one fold, filters applied."""
    import tensorflow as tf

    from amigos_emo.training.pipeline import window_hash_fraction

    def part(name, splits):
        dataset = _read_splits(builder, splits)
        for field, allowed in ((fold.select or {}).get(name) or {}).items():
            if field == "window_fraction":
                low, high = float(allowed[0]), float(allowed[1])
                dataset = dataset.filter(
                    lambda e, low=low, high=high: tf.logical_and(
                        window_hash_fraction(e) >= low, window_hash_fraction(e) < high
                    )
                )
            else:
                values = tf.constant(list(allowed), dtype=tf.int32)
                dataset = dataset.filter(
                    lambda e, field=field, values=values: tf.reduce_any(
                        tf.equal(tf.cast(e[field], tf.int32), values)
                    )
                )
        return dataset

    return part("train", fold.train), part("validation", fold.validation), part("test", fold.test)


def count_part(builder, fold, part, dataset=None):
    """Examples in one part of a fold (counted when filters apply, else from split sizes)."""
    splits = {"train": fold.train, "validation": fold.validation, "test": fold.test}[part]
    if not fold.select or not fold.select.get(part):
        return count_examples(builder, splits)
    if dataset is None:
        dataset = dict(
            zip(("train", "validation", "test"), load_fold_data(builder, fold), strict=True)
        )[part]
    return int(dataset.reduce(0, lambda count, _: count + 1).numpy())


def subject_trials(builder, subjects):
    """subject split -> sorted unique (session_id, trial_id), reading only those two fields."""
    import tensorflow_datasets as tfds

    decoders = tfds.decode.PartialDecoding({"session_id": True, "trial_id": True})
    result = {}
    for subject in subjects:
        dataset = builder.as_dataset(split=subject, decoders=decoders, shuffle_files=False)
        pairs = {(int(e["session_id"]), int(e["trial_id"])) for e in dataset.as_numpy_iterator()}
        result[subject] = sorted(pairs)
    return result


def majority_class(values):
    values = np.asarray(values).astype(np.int64).ravel()
    return int(np.bincount(values).argmax())


def model_inputs(entry, builder):
    """The dataset features a model consumes: its registered inputs, or, for a model that takes
    any signal set (``inputs=None``), every signal the builder's preprocessing spec describes
    (and, for ``"representation": "raw+features"``, the feature vector written beside them)."""
    if entry.inputs:
        return tuple(entry.inputs)
    spec_of = getattr(builder, "preprocessing_spec", None)
    spec = spec_of() if spec_of is not None else None
    signals = tuple(spec.signals) if spec is not None else ()
    if signals and spec.representation == "raw+features":
        signals += (spec.feature_input,)
    if not signals:
        raise ValueError(
            f"Model {entry.name!r} reads every signal of the dataset, but {builder.info.full_name} describes no "
            "signal inputs (its preprocessing spec lists none). Pick a configuration that writes raw signals."
        )
    return signals


@dataclasses.dataclass
class FoldData:
    """Everything fitted on one fold's training subjects, and its input pipelines.

    Attributes:
        inputs: the feature keys fed to the model, in order.
        class_weights: head -> balanced weight per class (binary and classification heads), or
            empty with ``--class-weights none``.
        heads: head -> ``{"kind", "n_classes"}`` (what a model with dynamic heads is built with).
        augmenter: optional :class:`~amigos_emo.training.augment.Augmenter` for training batches.
        signals: ``{input: {"sfreq_hz", "channels"}}`` of the signal inputs as the builder
            declares them; passed as ``signals=`` to models registered ``signal_aware``.
    """

    fold: object
    entry: object
    specs: list
    inputs: tuple
    input_shapes: dict
    n_outputs: int | None
    input_stats: dict
    regression_stats: dict
    majority: dict
    class_weights: dict
    n_train: int
    steps_per_epoch: int
    batch_size: int
    cache: bool
    train_raw: object
    val_raw: object
    test_raw: object
    augmenter: object = None
    signals: dict = dataclasses.field(default_factory=dict)

    @property
    def heads(self):
        return {
            s.name: {
                "kind": s.kind,
                "n_classes": s.n_classes if s.kind == "classification" else None,
            }
            for s in self.specs
        }

    def train_dataset(self, epoch_seed):
        """Shuffled, batched training data; ``epoch_seed`` fixes the order (resumable). With an
        augmenter, each batch is augmented (and repeated ``ratio`` times) inside the pipeline."""
        from amigos_emo.training import pipeline

        dataset = pipeline.make_dataset(
            self.train_raw,
            self.inputs,
            self.specs,
            self.batch_size,
            shuffle=True,
            seed=epoch_seed,
            sample_weights=self.class_weights or None,
        )
        if self.augmenter is not None:
            dataset = self.augmenter.apply(dataset, seed=epoch_seed)
        return dataset

    @property
    def train_steps_per_epoch(self):
        """Batches per training epoch (more when augmented copies are added)."""
        factor = self.augmenter.epoch_factor if self.augmenter is not None else 1
        return self.steps_per_epoch * factor

    def eval_dataset(self, part):
        """Batched ``"validation"`` or ``"test"`` data in a fixed order (never augmented)."""
        from amigos_emo.training import pipeline

        raw = {"validation": self.val_raw, "test": self.test_raw}[part]
        return pipeline.make_dataset(raw, self.inputs, self.specs, self.batch_size)

    def targets(self, part):
        """Encoded targets (class indices, 0/1 or floats) of ``"validation"`` or ``"test"``."""
        from amigos_emo.training import pipeline

        raw = {"validation": self.val_raw, "test": self.test_raw}[part]
        values = pipeline.collect_targets(raw, self.specs)
        return {s.name: pipeline.encode_target_numpy(s, values[s.name]) for s in self.specs}

    def wrap(self, core):
        """Put the train-only normalisation and the regression rescaling around ``core``."""
        from amigos_emo.training.modeling import wrap_model

        return wrap_model(
            core, self.input_stats, self.regression_stats, name=f"{self.entry.name}_trained"
        )

    def build_core(self, preset=None, **overrides):
        """The registered architecture for this fold's inputs and heads (uncompiled)."""
        kwargs = dict(overrides)
        if getattr(self.entry, "dynamic_outputs", False):
            kwargs["heads"] = self.heads
        if getattr(self.entry, "signal_aware", False) and self.signals:
            kwargs.setdefault("signals", self.signals)
        return self.entry.build(
            self.input_shapes, n_outputs=self.n_outputs, preset=preset, **kwargs
        )

    def predict(self, model, part):
        """Raw outputs (head -> array) of ``model`` on ``"validation"`` or ``"test"`` (one pass)."""
        return self.predict_with_targets(model, part)[0]

    def predict_with_targets(self, model, part):
        """Raw outputs and encoded targets of ``part`` from ONE pass over its examples.

        Each batch goes through one compiled inference function
        (:func:`~amigos_emo.training.artifacts.evaluation_function`: traced once per
        architecture for any batch size and reused for every part and every fold), and its raw
        target fields are kept on the way, so metrics, baselines and confusion matrices need no
        second read of the data.

        Returns:
            ``(outputs, truth)``: head -> raw model output ``(n, ...)``, and head -> encoded
            target ``(n,)`` (class indices, 0/1 or floats, :func:`pipeline.encode_target_numpy`).
        """
        import tensorflow as tf

        from amigos_emo.training import pipeline
        from amigos_emo.training.artifacts import evaluation_function

        raw = {"validation": self.val_raw, "test": self.test_raw}[part]
        inputs, specs = self.inputs, self.specs

        def split(example):
            x = {name: tf.cast(example[name], tf.float32) for name in inputs}
            return x, {spec.name: example[spec.source] for spec in specs}

        dataset = raw.map(split, num_parallel_calls=tf.data.AUTOTUNE)
        dataset = dataset.batch(self.batch_size).prefetch(tf.data.AUTOTUNE)
        infer = evaluation_function(model)
        outputs, values = {}, {spec.name: [] for spec in specs}
        for x, y in dataset:
            for name, value in infer(x).items():
                outputs.setdefault(name, []).append(value.numpy())
            for name, value in y.items():
                values[name].append(value.numpy())
        outputs = {name: np.concatenate(parts) for name, parts in outputs.items()}
        truth = {
            spec.name: pipeline.encode_target_numpy(
                spec, np.concatenate(values[spec.name]) if values[spec.name] else np.empty((0,))
            )
            for spec in specs
        }
        return outputs, truth

    def evaluate(self, model, part="test", outputs=None, truth=None):
        """Metrics of ``model`` on a part, beside the trivial baselines, head by head.

        ``outputs`` and ``truth`` (from :meth:`predict_with_targets`) skip the pass over the data.
        """
        from amigos_emo.training.evaluation import evaluate_heads

        if outputs is None:
            outputs, found = self.predict_with_targets(model, part)
            truth = found if truth is None else truth
        elif truth is None:
            truth = self.targets(part)
        means = {name: stats[0] for name, stats in self.regression_stats.items()}
        return evaluate_heads(self.specs, outputs, truth, means, self.majority)


def prepare_fold(
    builder,
    fold,
    entry,
    batch_size,
    class_weights="balanced",
    target=None,
    augmenter=None,
    normalise="train",
):
    """Load one fold's splits and fit every statistic on its training subjects only.

    ``target`` (``--target``) names the dataset feature a classifier's ``label`` output trains
    on instead of ``label`` (e.g. SEED-IV's ``label_binary``). ``normalise="subject"``
    (``--normalise subject``, TRANSDUCTIVE) first standardises every subject of the fold, test
    subjects included, with its own windows' statistics (no labels read); the train-only
    statistics are then fitted on the result as usual.
    """
    import tensorflow as tf

    from amigos_emo.training import pipeline
    from amigos_emo.training.tasks import target_specs

    sources = {"label": target} if target else None
    inputs = model_inputs(entry, builder)
    specs = target_specs(
        entry, builder.info.features, dataset_name=builder.name, sources=sources, inputs=inputs
    )
    train_raw, val_raw, test_raw = load_fold_data(builder, fold)

    n_train = count_part(builder, fold, "train", train_raw)
    parts = {"train": train_raw, "validation": val_raw, "test": test_raw}
    for part, raw in parts.items():
        count = n_train if part == "train" else count_part(builder, fold, part, raw)
        if count == 0:
            raise ValueError(
                f"fold {fold.index}: the {part} part is empty ({fold.describe()}). The prepared dataset "
                f"{builder.info.full_name} has too few subjects, trials or windows for this protocol; "
                "choose another --protocol or a larger corpus."
            )
        # Filtered parts have an unknown length; state it so Keras knows where an epoch ends.
        parts[part] = raw.apply(tf.data.experimental.assert_cardinality(count))
    train_raw, val_raw, test_raw = parts["train"], parts["validation"], parts["test"]
    axes = pipeline.normalisation_axes(builder, inputs)
    if normalise == "subject":
        everyone = train_raw.concatenate(val_raw).concatenate(test_raw)
        subject_stats = pipeline.subject_input_stats(everyone, inputs, axes=axes)
        train_raw, val_raw, test_raw = (
            pipeline.standardise_per_subject(raw, subject_stats, inputs)
            for raw in (train_raw, val_raw, test_raw)
        )
    if normalise == "subject":  # the standardised windows: one pass
        moments = pipeline.input_moments(train_raw, inputs, axes=axes, specs=specs)
    else:  # the training subjects' moments, each read once a run when they are in memory
        moments = train_moments(builder, fold, train_raw, inputs, axes, specs)
    input_stats, train_targets = moments.fit(inputs, axes, with_targets=True)
    regression_stats, majority, weights = {}, {}, {}
    for spec in specs:
        values = pipeline.encode_target_numpy(spec, train_targets[spec.name])
        if spec.kind == "regression":
            std = float(values.std()) or 1.0
            regression_stats[spec.name] = (float(values.mean()), std)
            continue
        majority[spec.name] = majority_class(values)
        if class_weights == "balanced":
            from sklearn.utils.class_weight import compute_class_weight

            present = np.unique(values)
            per_class = np.ones(spec.n_classes)
            per_class[present] = compute_class_weight("balanced", classes=present, y=values)
            weights[spec.name] = per_class
    input_shapes = {name: tuple(builder.info.features[name].shape) for name in inputs}
    size_bytes = n_train * sum(int(np.prod(s)) * 4 for s in input_shapes.values())
    # a run that keeps its subjects in memory has cached them already (once, not per fold)
    cache = size_bytes < IN_MEMORY_BYTES and not (normalise != "subject" and in_memory(builder))
    return FoldData(
        fold=fold,
        entry=entry,
        specs=specs,
        inputs=inputs,
        input_shapes=input_shapes,
        n_outputs=next((s.n_classes for s in specs if s.kind == "classification"), None),
        input_stats=input_stats,
        regression_stats=regression_stats,
        majority=majority,
        class_weights=weights,
        n_train=n_train,
        steps_per_epoch=max(1, int(np.ceil(n_train / batch_size))),
        batch_size=batch_size,
        cache=cache,
        train_raw=train_raw.cache() if cache else train_raw,
        val_raw=val_raw.cache() if cache else val_raw,
        test_raw=test_raw.cache() if cache else test_raw,
        augmenter=augmenter,
        signals=_signal_facts(builder, inputs),
    )


def prepare_fold_for(config, builder, fold, entry, augmenter=None):
    """:func:`prepare_fold` with a run's or a search's options (batch size, class weights,
    ``--target``, ``--normalise``), so every caller passes the same ones."""
    return prepare_fold(
        builder,
        fold,
        entry,
        config.batch_size,
        config.class_weights,
        target=config.target,
        augmenter=augmenter,
        normalise=config.normalise,
    )


def _signal_facts(builder, inputs):
    """``{input: {"sfreq_hz", "channels"}}`` of the signal inputs, from the builder's spec."""
    describe = getattr(builder, "preprocessing_spec", None)
    spec = describe() if describe is not None else None
    if spec is None:
        return {}
    return {
        name: {"sfreq_hz": signal.sfreq_hz, "channels": list(signal.channels)}
        for name, signal in spec.signals.items()
        if name in inputs
    }
