"""The cases the shared model harness runs: one or more per registered model.

Each :class:`HarnessCase` names a registered model, tiny per-example input shapes (no batch
axis) and the build arguments. ``models/model_harness_test.py`` runs every check in
:mod:`amigos_emo.models.model_harness` on every case, and ``models/registry_test.py`` fails
when a registered model has no case here.

Keep shapes tiny: the whole harness over all models must stay fast on a 2-core CPU.

To add cases for a new family, append a block to :data:`HARNESS_CASES` under its own
``# --- <family> ---`` heading (small in-place edits only; several engineers edit this file).
"""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class HarnessCase:
    """One model configuration the harness checks.

    Attributes:
        name: the registered model name (see :func:`amigos_emo.models.list_models`).
        input_shapes: input name -> per-example shape without the batch axis, e.g.
            ``{"eeg": (16, 14)}``.
        n_outputs: passed to ``build(..., n_outputs=...)``; ``None`` for fixed-head models.
        build_kwargs: extra ``build`` arguments (``preset=...``, ``heads=...`` for models
            registered with ``outputs=None``, and overrides).
        case_id: short suffix that tells several cases of one model apart in test ids.
    """

    name: str
    input_shapes: dict
    n_outputs: int | None = None
    build_kwargs: dict = dataclasses.field(default_factory=dict)
    case_id: str = "default"

    @property
    def test_id(self):
        """``"<name>-<case_id>"``, the pytest id."""
        return f"{self.name}-{self.case_id}"


HARNESS_CASES = [
    # --- multimodal_lstm ---
    HarnessCase(
        name="multimodal_lstm",
        input_shapes={"eeg": (16, 14), "ecg": (16, 2), "gsr": (16, 1)},
        build_kwargs={"preset": "lightweight"},
        case_id="lightweight",
    ),
    # --- signal_fusion ---
    # E4-like wearable inputs: 60 s windows of BVP 64 Hz, EDA 4 Hz, 3-axis ACC 32 Hz and skin
    # temperature 4 Hz, three classes (target_steps=8 keeps the unrolled LSTMs short).
    HarnessCase(
        name="signal_fusion",
        input_shapes={"bvp": (3840, 1), "gsr": (240, 1), "acc": (1920, 3), "temperature": (240, 1)},
        n_outputs=3,
        build_kwargs={"target_steps": 8, "lstm_units": (4,), "fusion_units": (8,)},
        case_id="e4-3class",
    ),
    HarnessCase(
        name="signal_fusion",
        input_shapes={"eeg": (64, 4)},
        build_kwargs={
            "heads": {"stress": {"kind": "binary", "n_classes": None}},
            "target_steps": 8,
            "lstm_units": (4, 3),
            "dense_units": (5,),
        },
        case_id="eeg-binary",
    ),
    HarnessCase(
        name="signal_fusion",
        input_shapes={"ecg": (48, 2), "resp": (12, 1)},
        build_kwargs={
            "heads": {
                "valence": {"kind": "regression", "n_classes": None},
                "emotion": {"kind": "classification", "n_classes": 4},
            },
            "target_steps": 6,
            "lstm_units": (4,),
            "front_end": "depthwise",
        },
        case_id="regression-and-4class",
    ),
    # "representation": "raw+features": signal windows and the per-window feature vector
    HarnessCase(
        name="signal_fusion",
        input_shapes={"bvp": (64, 1), "gsr": (8, 1), "features": (13,)},
        build_kwargs={
            "heads": {"stress": {"kind": "binary", "n_classes": None}},
            "target_steps": 4,
            "lstm_units": (4,),
            "feature_units": (6, 5),
            "fusion_units": (8,),
            "window_norm": "levels",
        },
        case_id="signals-and-features",
    ),
    HarnessCase(
        name="signal_fusion",
        input_shapes={"eeg": (16, 14), "ecg": (16, 2), "gsr": (16, 1)},
        build_kwargs={"preset": "amigos"},
        case_id="amigos",
    ),
    # --- gru_classifier ---
    HarnessCase(
        name="gru_classifier",
        input_shapes={"features": (50,)},
        n_outputs=3,
        build_kwargs={"n_steps": 8, "gru_units": 8},
        case_id="chunked-padded",
    ),
    HarnessCase(
        name="gru_classifier",
        input_shapes={"features": (12,)},
        n_outputs=4,
        build_kwargs={"preset": "seed", "gru_units": 8},
        case_id="seed",
    ),
    # --- res_attention_net ---
    HarnessCase(
        name="res_attention_net",
        input_shapes={"de": (40, 15)},
        n_outputs=4,
        build_kwargs={"preset": "tiny"},
        case_id="tiny",
    ),
    # --- gru_xnet ---
    HarnessCase(
        name="gru_xnet",
        input_shapes={"stft": (3, 12, 10)},
        n_outputs=3,
        build_kwargs={"preset": "tiny"},
        case_id="tiny-standard",
    ),
    HarnessCase(
        name="gru_xnet",
        input_shapes={"stft": (2, 9, 7)},
        n_outputs=2,
        build_kwargs={"preset": "tiny", "variant": "dynamic", "freq_pooling": "flatten"},
        case_id="tiny-dynamic-flatten",
    ),
    # --- vae_gnn ---
    HarnessCase(
        name="vae_gnn",
        input_shapes={"eeg_grid": (64, 9, 9), "node_features": (5, 4, 3), "adjacency": (5, 4, 4)},
        build_kwargs={"preset": "tiny"},
        case_id="tiny",
    ),
    # --- eegnet ---
    HarnessCase(
        name="eegnet",
        input_shapes={"eeg": (32, 4)},
        n_outputs=3,
        build_kwargs={"preset": "tiny"},
        case_id="tiny",
    ),
    # --- shallow_convnet ---
    HarnessCase(
        name="shallow_convnet",
        input_shapes={"eeg": (32, 3)},
        n_outputs=2,
        build_kwargs={"preset": "tiny"},
        case_id="tiny",
    ),
    # --- deep_convnet ---
    HarnessCase(
        name="deep_convnet",
        input_shapes={"eeg": (48, 3)},
        n_outputs=3,
        build_kwargs={"preset": "tiny"},
        case_id="tiny",
    ),
    # --- tsception ---
    # Named electrodes, so the hemisphere gather is exercised too.
    HarnessCase(
        name="tsception",
        input_shapes={"eeg": (64, 5)},
        n_outputs=3,
        build_kwargs={"preset": "tiny", "channel_names": ("F3", "Fz", "F4", "O1", "O2")},
        case_id="tiny-named-channels",
    ),
    # --- dgcnn ---
    HarnessCase(
        name="dgcnn",
        input_shapes={"de": (6, 20)},
        n_outputs=3,
        build_kwargs={"preset": "tiny"},
        case_id="tiny-sequence",
    ),
]


def cases_for(name):
    """The harness cases of the registered model ``name`` (possibly empty)."""
    return [case for case in HARNESS_CASES if case.name == name]
