"""How a dataset's examples become a model's inputs and targets.

(Each corpus declares its own default configuration and model on its builder:
``DEFAULT_BUILDER_CONFIG_NAME`` and ``DEFAULT_MODEL``; see :func:`amigos_emo.datasets.resolve_dataset`.)

A model's registry entry names its inputs (feature keys) and outputs. Each output is fed from
the dataset feature of the same name, or from the source given in :data:`TARGET_SOURCES`, and
its kind decides the loss, the metrics and the trivial baseline it is reported beside:

- ``regression``: a float rating (MAE/RMSE beside the training-mean predictor);
- ``binary``: a 0/1 target (F1/accuracy beside the majority class);
- ``classification``: a ``ClassLabel`` fed one-hot (accuracy/macro-F1 beside the majority
  class).
"""

from __future__ import annotations

import dataclasses

# (model output) -> (dataset feature, threshold): where an output's target comes from when the
# dataset feature of the same name is not the right kind. ``threshold`` binarises a rating as
# ``rating >= threshold`` (stated once here and in the corpus constants).
TARGET_SOURCES = {}


@dataclasses.dataclass(frozen=True)
class TargetSpec:
    """One model output's target.

    Attributes:
        name: the model output name (and key in the target dict).
        kind: ``"regression"``, ``"binary"`` or ``"classification"``.
        source: the dataset feature it is read from.
        n_classes: number of classes (classification), else None.
        class_names: class names (classification/binary), else None.
        threshold: for a binary target made from a rating, ``rating >= threshold`` is 1.
    """

    name: str
    kind: str
    source: str
    n_classes: int | None = None
    class_names: tuple | None = None
    threshold: float | None = None


def target_specs(entry, features, dataset_name=None, sources=None, inputs=None):
    """Work out each output's :class:`TargetSpec` from a model entry and a dataset's features.

    Args:
        entry: the model's :class:`amigos_emo.models.registry.ModelEntry`.
        features: the builder's ``info.features`` (a ``tfds.features.FeaturesDict``).
        dataset_name: used for :data:`TARGET_SOURCES` overrides and error messages.
        sources: optional ``{output: dataset feature}`` chosen by the user (``--target``), e.g.
            ``{"label": "label_binary"}`` to train SEED-IV's classifiers on its 2-class mapping.
        inputs: the feature keys the model reads (default: the entry's registered inputs; a
            model that takes any signal set has them resolved from the dataset).

    Raises:
        ValueError: an input or target the model needs is not in the dataset.
    """
    import tensorflow_datasets as tfds

    available = sorted(features.keys())
    inputs = tuple(inputs if inputs is not None else entry.inputs)
    missing = [name for name in inputs if name not in features]
    if missing:
        if dataset_name == "custom":
            hint = (
                "Your own data provides one feature per signal type you declared (and `features` with "
                '"representation": "features" or "raw+features"); leave out --model for the '
                "any-signal default "
                "(signal_fusion), or pick a model whose inputs you have."
            )
        else:
            hint = "Pick the dataset configuration that writes them (e.g. --dataset NAME/CONFIG)."
        raise ValueError(
            f"Model {entry.name!r} needs input(s) {', '.join(missing)}, which dataset "
            f"{dataset_name!r} does not provide (it has: {', '.join(available)}). {hint}"
        )
    specs = []
    for output in entry.outputs or ("label",):
        source, threshold = TARGET_SOURCES.get((dataset_name, output), (output, None))
        if sources and output in sources:
            source, threshold = sources[output], None
        if source not in features:
            raise ValueError(
                f"Model {entry.name!r} predicts {output!r}, but dataset {dataset_name!r} has no "
                f"feature {source!r} to train it on (it has: {', '.join(available)})."
            )
        feature = features[source]
        if isinstance(feature, tfds.features.ClassLabel):
            names = tuple(feature.names)
            dynamic = getattr(entry, "dynamic_outputs", False)  # heads made from the labels
            if (
                dynamic
                and feature.num_classes > 2
                or not dynamic
                and entry.task == "classification"
            ):
                specs.append(
                    TargetSpec(output, "classification", source, feature.num_classes, names)
                )
            elif feature.num_classes == 2:
                specs.append(TargetSpec(output, "binary", source, 2, names))
            else:
                raise ValueError(
                    f"Output {output!r} of {entry.name!r} is not a classifier, but feature {source!r} "
                    f"has {feature.num_classes} classes."
                )
        elif (
            threshold is not None or entry.task == "binary"
        ):  # (a dynamic head on a rating: regression)
            specs.append(TargetSpec(output, "binary", source, 2, ("low", "high"), threshold))
        else:
            specs.append(TargetSpec(output, "regression", source))
    return specs
