"""DGCNN (Song, Zheng, Song & Cui 2018, "EEG emotion recognition using dynamical graph
convolutional neural networks", IEEE Trans. Affect. Comput. 11(3)) on differential-entropy
features.

What it consumes: the package's DE layout, input ``de`` ``(n_steps, n_chans * n_bands)``
channel-major (feature ``c * n_bands + b``), as the SEED-family builders write it (SEED ``de``:
``(60, 310)`` = 60 one-second windows x 62 electrodes x 5 bands). The DE of the ``n_steps``
windows is averaged over time, then read as ``(n_chans, n_bands)`` node features: one graph per
example (the paper classifies each window's 62 x 5 DE; a trial-level mean is its smoothed
equivalent). Zero-padded steps of trials shorter than ``n_steps`` enter the mean as the
normaliser maps them. A single window ``(n_chans, n_bands)`` is accepted too
(``n_steps=None``; :func:`build_dgcnn` picks it when the last axis equals ``n_bands``).

Layers, after the paper's Fig. 3:

1. graph filtering: :class:`~.dgcnn_layers.DynamicGraphConv`, ``chebyshev_order`` (``K``)
   Chebyshev terms over a learnable adjacency ``W`` (ReLU on ``W``, degree normalisation),
   ``n_filters`` features per electrode;
2. a 1x1 convolution (a dense layer per electrode, ``n_filters`` -> ``n_filters``) -> ReLU;
3. flatten -> dropout (0 by default; an addition, the paper has none) -> dense ``n_outputs``
   -> softmax.

Regularisation: the paper minimises cross-entropy + ``alpha * ||Theta||^2`` over the model
parameters, the adjacency included. Here ``adjacency_l2`` (1e-4) is that penalty on ``W`` and
``kernel_l2`` (1e-4) on the graph filters, the 1x1 convolution and the classifier;
``adjacency_l1`` (0 by default) adds a sparsity penalty on ``W``. ``K`` defaults to 2 (``T_0``,
``T_1``); the paper treats ``K`` as a hyperparameter, and the hypermodel searches 1-5.

At 62 electrodes x 5 bands, ``n_filters=32``, ``K=2`` and 3 classes this has 11,207 parameters:
adjacency 62*62 = 3,844, graph filters 2*5*32 + 32 = 352, 1x1 convolution 32*32 + 32 = 1,056,
classifier 62*32*3 + 3 = 5,955.
"""

from __future__ import annotations

from collections.abc import Mapping

import keras

from amigos_emo._checks import check_count, check_option, check_positive, check_rate, validate_type
from amigos_emo._logging import logger
from amigos_emo.models.dgcnn.dgcnn_layers import DynamicGraphConv
from amigos_emo.models.dgcnn.dgcnn_presets import DEFAULT_PRESET, DGCNN_PRESETS
from amigos_emo.models.eeg_classifiers_common import LABEL_OUTPUT, compile_softmax_classifier

DE_INPUT = "de"
INPUT_NAMES = (DE_INPUT,)
OUTPUT_NAMES = (LABEL_OUTPUT,)


@keras.saving.register_keras_serializable(package="amigos_emo")
class DGCNN(keras.Model):
    """DGCNN classifier on DE features (functional model).

    Args:
        n_chans: electrodes (graph nodes), 62 for the SEED family.
        n_bands: frequency bands per electrode (node features), 5.
        n_steps: DE windows per example, averaged over time; ``None`` when the input is one
            window ``(n_chans, n_bands)``.
        n_outputs: number of classes (>= 2).
        n_filters: graph-filter (and 1x1 convolution) features per electrode.
        chebyshev_order: Chebyshev terms ``K``.
        adjacency_l1: L1 penalty on the adjacency.
        adjacency_l2: L2 penalty on the adjacency.
        kernel_l2: L2 penalty on the other kernels.
        dropout: dropout rate before the classifier.
        **kwargs: ``name``, ``trainable`` (forwarded to ``keras.Model``).

    Inputs:
        ``de``: float32 (batch, n_steps, n_chans * n_bands) channel-major DE (log-power units,
        normalised by the trainer), or (batch, n_chans, n_bands) when ``n_steps`` is ``None``.

    Outputs:
        ``label``: float32 (batch, n_outputs) class probabilities.

    Example:
        >>> model = DGCNN(n_chans=62, n_bands=5, n_steps=60, n_outputs=3)
        >>> model.count_params()
        11207
    """

    def __init__(
        self,
        n_chans,
        n_bands=5,
        n_steps=None,
        n_outputs=3,
        n_filters=32,
        chebyshev_order=2,
        adjacency_l1=0.0,
        adjacency_l2=1e-4,
        kernel_l2=1e-4,
        dropout=0.0,
        **kwargs,
    ):
        n_chans = check_count(n_chans, "n_chans")
        n_bands = check_count(n_bands, "n_bands")
        n_steps = check_count(n_steps, "n_steps", allow_none=True)
        n_outputs = check_count(n_outputs, "n_outputs")
        if n_outputs < 2:
            raise ValueError(
                f"n_outputs must be >= 2 classes for a softmax. Received: n_outputs={n_outputs}"
            )
        n_filters = check_count(n_filters, "n_filters")
        chebyshev_order = check_count(chebyshev_order, "chebyshev_order")
        check_positive(adjacency_l1, "adjacency_l1", allow_zero=True)
        check_positive(adjacency_l2, "adjacency_l2", allow_zero=True)
        check_positive(kernel_l2, "kernel_l2", allow_zero=True)
        dropout = check_rate(dropout, "dropout")
        kwargs.setdefault("name", "dgcnn")
        kernel_penalty = keras.regularizers.L2(kernel_l2) if kernel_l2 else None

        # === Layers ===
        if n_steps is None:
            input_shape = (n_chans, n_bands)
            time_mean = None
        else:
            input_shape = (n_steps, n_chans * n_bands)
            time_mean = keras.layers.GlobalAveragePooling1D(name="time_mean")
        to_nodes = keras.layers.Reshape((n_chans, n_bands), name="to_nodes")
        graph_conv = DynamicGraphConv(
            n_filters,
            chebyshev_order=chebyshev_order,
            adjacency_l1=adjacency_l1,
            adjacency_l2=adjacency_l2,
            kernel_l2=kernel_l2,
            name="graph_conv",
        )
        pointwise = keras.layers.Dense(
            n_filters, activation="relu", kernel_regularizer=kernel_penalty, name="pointwise_conv"
        )
        flatten = keras.layers.Flatten(name="flatten")
        dropout_layer = keras.layers.Dropout(dropout, name="dropout")
        head = keras.layers.Dense(
            n_outputs,
            activation="softmax",
            kernel_regularizer=kernel_penalty,
            dtype="float32",
            name=LABEL_OUTPUT,
        )

        # === Functional Model ===
        inputs = {DE_INPUT: keras.Input(shape=input_shape, name=DE_INPUT)}
        x = inputs[DE_INPUT]
        if time_mean is not None:
            x = time_mean(x)
        x = pointwise(graph_conv(to_nodes(x)))
        outputs = {LABEL_OUTPUT: head(dropout_layer(flatten(x)))}
        super().__init__(inputs=inputs, outputs=outputs, **kwargs)

        # === Config ===
        self.n_chans = n_chans
        self.n_bands = n_bands
        self.n_steps = n_steps
        self.n_outputs = n_outputs
        self.n_filters = n_filters
        self.chebyshev_order = chebyshev_order
        self.adjacency_l1 = float(adjacency_l1)
        self.adjacency_l2 = float(adjacency_l2)
        self.kernel_l2 = float(kernel_l2)
        self.dropout = dropout

    def get_config(self):
        return {
            "name": self.name,
            "trainable": self.trainable,
            "n_chans": self.n_chans,
            "n_bands": self.n_bands,
            "n_steps": self.n_steps,
            "n_outputs": self.n_outputs,
            "n_filters": self.n_filters,
            "chebyshev_order": self.chebyshev_order,
            "adjacency_l1": self.adjacency_l1,
            "adjacency_l2": self.adjacency_l2,
            "kernel_l2": self.kernel_l2,
            "dropout": self.dropout,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def learned_adjacency(self):
        """The learned edge weights ``relu(W)`` as a NumPy array ``(n_chans, n_chans)``."""
        weights = self.get_layer("graph_conv").adjacency
        return keras.ops.convert_to_numpy(keras.ops.relu(weights))


_TUNABLE_ARGUMENTS = (
    "n_bands",
    "n_filters",
    "chebyshev_order",
    "adjacency_l1",
    "adjacency_l2",
    "kernel_l2",
    "dropout",
    "name",
)


def build_dgcnn(input_shapes, n_outputs=None, preset=None, **overrides):
    """Registry ``build``: an uncompiled :class:`DGCNN`.

    Args:
        input_shapes: mapping with ``"de"``: ``(n_steps, n_chans * n_bands)`` (the package's
            DE sequences) or ``(n_chans, n_bands)`` (one window; chosen when the last axis
            equals ``n_bands``). Extra keys are ignored.
        n_outputs: number of classes; ``None`` takes the preset's.
        preset: a name in :data:`DGCNN_PRESETS` (``"seed"`` by default).
        **overrides: :class:`DGCNN` arguments that replace the preset's.

    Returns:
        The uncompiled model; input ``de``, output ``label`` ``(batch, n_outputs)``.

    Raises:
        ValueError: a missing or non 2-D ``de`` shape, a feature count that is not a multiple
            of ``n_bands``, an unknown preset or argument.
    """
    validate_type(input_shapes, Mapping, "input_shapes")
    if DE_INPUT not in input_shapes:
        raise ValueError(
            f"input_shapes must give the per-example shape of {DE_INPUT!r} for dgcnn: "
            f"(n_steps, n_chans * n_bands). Received: input_shapes={dict(input_shapes)!r}"
        )
    shape = tuple(int(s) for s in input_shapes[DE_INPUT])
    if len(shape) != 2:
        raise ValueError(
            f"input_shapes[{DE_INPUT!r}] must be (n_steps, n_chans * n_bands) or "
            f"(n_chans, n_bands). Received: input_shapes[{DE_INPUT!r}]={shape!r}"
        )
    extra = sorted(set(input_shapes) - {DE_INPUT})
    if extra:
        logger.debug("dgcnn ignores the inputs %s", extra)
    preset = DEFAULT_PRESET if preset is None else preset
    check_option(preset, tuple(DGCNN_PRESETS), "preset")
    unknown = sorted(set(overrides) - set(_TUNABLE_ARGUMENTS))
    if unknown:
        raise ValueError(
            f"Unknown dgcnn arguments {unknown}. Expected some of {sorted(_TUNABLE_ARGUMENTS)}. "
            f"Received: overrides={overrides!r}"
        )
    arguments = {**DGCNN_PRESETS[preset], **overrides}
    n_bands = arguments["n_bands"]
    if shape[1] == n_bands:
        arguments.update(n_chans=shape[0], n_steps=None)
    elif shape[1] % n_bands == 0:
        arguments.update(n_chans=shape[1] // n_bands, n_steps=shape[0])
    else:
        raise ValueError(
            f"input_shapes[{DE_INPUT!r}] must have n_chans * n_bands features per step "
            f"(channel-major) or n_bands={n_bands} per electrode. "
            f"Received: input_shapes[{DE_INPUT!r}]={shape} with n_bands={n_bands}"
        )
    if n_outputs is not None:
        arguments["n_outputs"] = n_outputs
    return DGCNN(**arguments)


def compile_dgcnn(
    model,
    *,
    steps_per_epoch=100,
    epochs=10,
    jit_compile=False,
    learning_rate=1e-3,
    label_smoothing=0.0,
):
    """Registry ``compile``: Adam (learning rate 1e-3), categorical cross-entropy on one-hot
    ``label`` (plus the layers' L1/L2 penalties), accuracy.

    Args:
        model: a model with a softmax output ``label``.
        steps_per_epoch: unused (registry contract).
        epochs: unused (registry contract).
        jit_compile: compile the train step with XLA.
        learning_rate: Adam learning rate.
        label_smoothing: categorical cross-entropy label smoothing in [0, 1).
    """
    del steps_per_epoch, epochs
    return compile_softmax_classifier(
        model,
        jit_compile=jit_compile,
        learning_rate=learning_rate,
        label_smoothing=label_smoothing,
    )
