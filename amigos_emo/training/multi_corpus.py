"""Several corpora trained as one: ``--dataset deap/stft,gameemo/stft,seed_iv/stft``.

Each corpus is prepared by its own builder from its own folder (``--manual-dir
deap=DIR1,gameemo=DIR2,seed_iv=DIR3``); :class:`MultiCorpus` then shows them to the runner as one
builder-like object:

- **Common inputs.** Each model input (e.g. ``stft``) must exist in every corpus. Where the
  per-example shapes differ, every axis but the last of ``(n_chans, ...)``-style inputs is
  brought to the first corpus's shape: the channel axis (the first) is zero-padded (channels
  beyond it are dropped, with a warning naming how many), the other axes are resized bilinearly
  (``tf.image.resize``). With one shape already, nothing changes. The model then reads one
  shape; which corpus an example came from is in ``corpus_id``.
- **A common target.** The ``label`` output trains on ``--target`` (default ``label``) of every
  corpus; all must have the same number of classes (class names are joined, ``"a|b"``, when they
  differ). The GRU-XNet seed's combination uses each corpus's two-class mapping (``label_binary``,
  e.g. SEED-IV's happy vs not happy).
- **Subjects split within each corpus.** Split names are ``subject_<corpus>_<NN>``; the
  subject-independent protocols split each corpus's subjects on their own and join the folds
  (every corpus is in train, validation and test), and ``leave-one-corpus-out`` tests on all
  subjects of one corpus after training on the others: the honest cross-dataset question.
- **Results per corpus** beside the overall ones (:func:`per_corpus_metrics`).
"""

from __future__ import annotations

import dataclasses
import types

import numpy as np

from amigos_emo._logging import logger

PROTOCOLS = ("subject-split", "loso", "kfold", "leave-one-corpus-out")
INDEX_FEATURES = ("subject_id", "session_id", "trial_id", "window_index")
SUBJECT_ID_STRIDE = (
    100_000  # corpus k's subjects get ids k * stride + id: never equal across corpora
)


def parse_datasets(dataset):
    """``"deap/stft,gameemo/stft"`` -> ``["deap/stft", "gameemo/stft"]`` (one corpus: a list of one)."""
    parts = [part.strip() for part in str(dataset).split(",") if part.strip()]
    names = [part.partition("/")[0] for part in parts]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise ValueError(
            f"--dataset names {', '.join(duplicated)} twice. Received: --dataset {dataset!r}"
        )
    return parts


def parse_manual_dirs(manual_dir, corpora):
    """``"deap=DIR1,gameemo=DIR2"`` -> ``{"deap": "DIR1", ...}``; a corpus without one gets None.

    One plain folder (no ``=``) with several corpora is refused: each corpus has its own files.
    """
    if not manual_dir:
        return dict.fromkeys(corpora)
    if "=" not in manual_dir:
        if len(corpora) == 1:
            return {corpora[0]: manual_dir}
        raise ValueError(
            f"--manual-dir must name one folder per corpus for several datasets, e.g. "
            f"--manual-dir {','.join(f'{c}=DIR' for c in corpora)}. Received: --manual-dir {manual_dir!r}"
        )
    result = dict.fromkeys(corpora)
    for item in manual_dir.split(","):
        name, sep, folder = item.partition("=")
        if not sep or name.strip() not in result:
            raise ValueError(
                f"--manual-dir entry {item!r} must be CORPUS=DIR with CORPUS one of {', '.join(corpora)}."
            )
        result[name.strip()] = folder.strip()
    return result


def _split_name(corpus, split):
    return f"subject_{corpus}_{split[len('subject_') :]}"


class MultiCorpus:
    """Prepared builders shown to the runner as one builder (see the module docstring).

    Args:
        builders: ``{corpus name: prepared TFDS builder}`` in ``--dataset`` order.
        inputs: the model input keys every corpus must provide.
        target: the class feature the ``label`` output trains on (default ``label``).
    """

    def __init__(self, builders, inputs, target=None):
        import tensorflow_datasets as tfds

        self.builders = dict(builders)
        self.corpora = tuple(self.builders)
        self.target = target or "label"
        self.inputs = tuple(inputs)
        self.name = "+".join(self.corpora)
        self.version = "+".join(str(b.version) for b in self.builders.values())
        self.data_dir = {c: b.data_dir for c, b in self.builders.items()}
        self.builder_config = types.SimpleNamespace(
            name=",".join(
                b.builder_config.name if b.builder_config else "-" for b in self.builders.values()
            )
        )
        first = next(iter(self.builders.values()))
        self.shapes = {}
        for key in self.inputs:
            for corpus, builder in self.builders.items():
                if key not in builder.info.features:
                    raise ValueError(
                        f"Dataset {corpus} has no input {key!r} (it has: "
                        f"{', '.join(sorted(builder.info.features))}); every corpus must provide it."
                    )
            self.shapes[key] = tuple(first.info.features[key].shape)
        classes = {}
        for corpus, builder in self.builders.items():
            features = builder.info.features
            feature = features[self.target] if self.target in features else None
            if feature is None or not isinstance(feature, tfds.features.ClassLabel):
                raise ValueError(
                    f"Dataset {corpus} has no class feature {self.target!r} to train the common label on (it has: "
                    f"{', '.join(sorted(builder.info.features))}); pass --target with a feature every corpus has."
                )
            classes[corpus] = list(feature.names)
        counts = {c: len(n) for c, n in classes.items()}
        if len(set(counts.values())) != 1:
            detail = "; ".join(f"{c}: {', '.join(n)}" for c, n in classes.items())
            raise ValueError(
                f"The corpora's {self.target!r} features have different numbers of classes ({detail}); "
                "train on a mapping they share, e.g. --target label_binary."
            )
        names = [
            "|".join(dict.fromkeys(classes[c][i] for c in self.corpora))
            for i in range(next(iter(counts.values())))
        ]
        features = {
            key: tfds.features.Tensor(shape=shape, dtype=np.float32)
            for key, shape in self.shapes.items()
        }
        features["label"] = tfds.features.ClassLabel(names=names)
        for key in INDEX_FEATURES + ("corpus_id",):
            features[key] = tfds.features.Scalar(dtype=np.int32)
        self._features = tfds.features.FeaturesDict(features)
        splits = {}
        self._origin = {}
        for corpus, builder in self.builders.items():
            for split, info in builder.info.splits.items():
                if split.startswith("subject_"):
                    name = _split_name(corpus, split)
                    splits[name] = types.SimpleNamespace(num_examples=info.num_examples)
                    self._origin[name] = (corpus, split)
        self.info = types.SimpleNamespace(
            features=self._features, splits=splits, full_name=f"{self.name} (combined)"
        )

    def corpus_of(self, split):
        return self._origin[split][0]

    def subjects_of(self, corpus):
        return sorted(name for name, (c, _) in self._origin.items() if c == corpus)

    def preprocessing_spec(self):
        """The first corpus's spec (a combined model reads that corpus's recordings as trained)."""
        first = next(iter(self.builders.values()))
        describe = getattr(first, "preprocessing_spec", None)
        if describe is None:
            return None
        spec = describe()
        spec.extra = dict(spec.extra, combined_corpora=list(self.corpora))
        return spec

    def as_dataset(self, split, shuffle_files=False, decoders=None):
        """Examples of ``split`` (``subject_<corpus>_NN`` names joined by ``+``), in common form."""
        import tensorflow as tf

        datasets = []
        by_corpus = {}
        for name in str(split).split("+"):
            if name not in self._origin:
                raise ValueError(f"Split {name!r} is not one of the combined corpora's subjects.")
            corpus, original = self._origin[name]
            by_corpus.setdefault(corpus, []).append(original)
        for corpus, originals in by_corpus.items():
            builder = self.builders[corpus]
            raw = builder.as_dataset(split="+".join(originals), shuffle_files=shuffle_files)
            datasets.append(raw.map(self._converter(corpus), num_parallel_calls=tf.data.AUTOTUNE))
        result = datasets[0]
        for other in datasets[1:]:
            result = result.concatenate(other)
        return result

    def _converter(self, corpus):
        import tensorflow as tf

        index = self.corpora.index(corpus)
        builder = self.builders[corpus]
        reshapes = {}
        for key, target_shape in self.shapes.items():
            shape = tuple(builder.info.features[key].shape)
            if shape != target_shape:
                if len(shape) != len(target_shape):
                    raise ValueError(
                        f"Input {key!r} has rank {len(shape)} in {corpus} but {len(target_shape)} in "
                        f"{self.corpora[0]}; the corpora cannot share one model input."
                    )
                if shape[0] > target_shape[0]:
                    logger.warning(
                        "%s: %s has %d channels, %s has %d; the last %d are dropped",
                        corpus,
                        key,
                        shape[0],
                        self.corpora[0],
                        target_shape[0],
                        shape[0] - target_shape[0],
                    )
                reshapes[key] = (shape, target_shape)

        def convert(example):
            out = {}
            for key in self.inputs:
                x = tf.cast(example[key], tf.float32)
                if key in reshapes:
                    x = _to_shape(x, *reshapes[key])
                out[key] = x
            out["label"] = tf.cast(example[self.target], tf.int64)
            for key in INDEX_FEATURES:
                value = (
                    tf.cast(example[key], tf.int32) if key in example else tf.constant(0, tf.int32)
                )
                out[key] = value + index * SUBJECT_ID_STRIDE if key == "subject_id" else value
            out["corpus_id"] = tf.constant(index, tf.int32)
            return out

        return convert


def _to_shape(x, shape, target):
    """Zero-pad/crop the first axis to ``target[0]``, resize the others bilinearly."""
    import tensorflow as tf

    channels = min(shape[0], target[0])
    x = x[:channels]
    if channels < target[0]:
        x = tf.pad(x, [[0, target[0] - channels]] + [[0, 0]] * (len(shape) - 1))
    rest, wanted = shape[1:], target[1:]
    if rest != wanted:
        if len(rest) == 1:
            x = tf.image.resize(x[:, :, None], (wanted[0], 1))[:, :, 0]
        elif len(rest) == 2:
            x = tf.image.resize(x[..., None], wanted)[..., 0]
        else:
            raise ValueError(f"cannot bring an input of shape {shape} to {target}")
    return tf.ensure_shape(x, target)


def make_folds(protocol, corpus, seed=0, n_folds=5):
    """Folds over a :class:`MultiCorpus`: subjects split within each corpus, then joined.

    ``leave-one-corpus-out``: one fold per corpus, testing on all of its subjects; 15 % of each
    other corpus's subjects validate.
    """
    from amigos_emo.training import protocols

    if protocol not in PROTOCOLS:
        raise ValueError(
            f"With several datasets, protocol must be one of {', '.join(PROTOCOLS)}. "
            f"Received: protocol={protocol!r}"
        )
    per_corpus = {c: corpus.subjects_of(c) for c in corpus.corpora}
    if protocol == "leave-one-corpus-out":
        folds = []
        for index, held_out in enumerate(corpus.corpora):
            train, validation = [], []
            for other, subjects in per_corpus.items():
                if other == held_out:
                    continue
                n_val = max(1, int(round(0.15 * len(subjects))))
                order = [
                    subjects[i] for i in np.random.default_rng(seed).permutation(len(subjects))
                ]
                validation += order[:n_val]
                train += order[n_val:]
            folds.append(
                protocols.Fold(
                    index,
                    tuple(sorted(train)),
                    tuple(sorted(validation)),
                    tuple(per_corpus[held_out]),
                    note=f"test corpus {held_out}",
                )
            )
        return folds
    built = {
        c: protocols.make_folds(protocol, s, seed=seed, n_folds=n_folds)
        for c, s in per_corpus.items()
    }
    if protocol == "loso":  # one fold per subject of every corpus
        folds = [f for c in corpus.corpora for f in built[c]]
        return [dataclasses.replace(f, index=i) for i, f in enumerate(folds)]
    n = min(len(v) for v in built.values())
    return [
        protocols.Fold(
            i,
            *(
                tuple(sorted(s for c in corpus.corpora for s in getattr(built[c][i], part)))
                for part in ("train", "validation", "test")
            ),
        )
        for i in range(n)
    ]


def per_corpus_metrics(builder, data, model, fold):
    """Test metrics of ``model`` on each corpus's test subjects of ``fold`` (corpus -> metrics)."""
    from amigos_emo.training import pipeline
    from amigos_emo.training.evaluation import evaluate_heads

    result = {}
    means = {name: stats[0] for name, stats in data.regression_stats.items()}
    for corpus_name in builder.corpora:
        splits = [s for s in fold.test if builder.corpus_of(s) == corpus_name]
        if not splits:
            continue
        raw = builder.as_dataset(split="+".join(splits))
        dataset = pipeline.make_dataset(raw, data.inputs, data.specs, data.batch_size)
        outputs = model.predict(dataset, verbose=0)
        values = pipeline.collect_targets(raw, data.specs)
        truth = {s.name: pipeline.encode_target_numpy(s, values[s.name]) for s in data.specs}
        result[corpus_name] = evaluate_heads(data.specs, outputs, truth, means, data.majority)
    return result
