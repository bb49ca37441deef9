"""Named configurations of :class:`GRUClassifierBackbone` (plain dicts of constructor overrides).

- ``seed``: the well-known baseline for the Kaggle "EEG brainwave: feeling emotions" CSV: the
  2548-feature vector is read as a sequence of 2548 scalar steps -> GRU(256, all steps) ->
  Flatten -> softmax. 2,155,779 parameters at 2548 features and 3 classes (the 652,288-wide
  flattened GRU output feeds the softmax); 2548 recurrent steps make it slow on CPU (minutes per
  epoch).
- ``fast`` (the default): the vector cut into 28 chunks (91 features each at 2548 features,
  zero-padded at the end when ``n_features`` is not a multiple of ``n_steps``) -> GRU(64, all
  steps) -> dropout -> Flatten -> softmax; 35,523 parameters at 2548 features, and one epoch
  of the 2132 examples takes seconds on 2 CPU cores.
"""

GRU_CLASSIFIER_PRESETS = {
    "seed": {
        "n_steps": None,
        "gru_units": 256,
        "dropout": 0.0,
    },
    "fast": {
        "n_steps": 28,
        "gru_units": 64,
        "dropout": 0.2,
    },
}

DEFAULT_PRESET = "fast"
