"""Runs every shared-harness check on every case in ``models/harness_cases.py``."""

import keras
import numpy as np
import pytest

from amigos_emo.models import model_harness
from amigos_emo.models.harness_cases import HARNESS_CASES, HarnessCase


def _harness_params():
    """Every (case, check) pair. The XLA train step (5-32 s a case on 2 cores) runs on each
    model's first case by default; on its further cases it is marked ``slow``
    (``python -m pytest -m slow``), which keeps the default suite near 20 minutes on CI."""
    params, seen = [], set()
    for case in HARNESS_CASES:
        for check_name in model_harness.CHECKS:
            marks = (
                [pytest.mark.slow] if check_name == "jit_train_step" and case.name in seen else []
            )
            params.append(
                pytest.param(case, check_name, marks=marks, id=f"{case.test_id}-{check_name}")
            )
        seen.add(case.name)
    return params


@pytest.mark.parametrize(("case", "check_name"), _harness_params())
def test_harness(case, check_name, tmp_path):
    model_harness.CHECKS[check_name](case, tmp_path)


def test_make_targets_kinds():
    inputs = {"x": keras.Input((3,), name="x")}
    hidden = keras.layers.Dense(4, name="hidden")(inputs["x"])
    outputs = {
        "probabilities": keras.layers.Dense(5, activation="softmax", name="probabilities")(hidden),
        "flag": keras.layers.Dense(1, activation="sigmoid", name="flag")(hidden),
        "score": keras.layers.Dense(2, name="score")(hidden),
    }
    model = keras.Model(inputs, outputs)
    targets = model_harness.make_targets(model, task="regression+binary", batch_size=6)
    assert targets["probabilities"].shape == (6, 5)
    assert targets["probabilities"].dtype == "float32"
    assert (targets["probabilities"].sum(axis=-1) == 1).all()
    assert set(targets["probabilities"].ravel()) <= {0.0, 1.0}
    assert targets["flag"].shape == (6, 1) and set(targets["flag"].ravel()) <= {0.0, 1.0}
    assert targets["score"].shape == (6, 2) and len(set(targets["score"].ravel())) == 12


def test_dtype_policy_restored_on_failure():
    before = keras.config.dtype_policy().name
    with pytest.raises(RuntimeError, match="boom"):
        with model_harness.dtype_policy("mixed_bfloat16"):
            assert keras.config.dtype_policy().name == "mixed_bfloat16"
            raise RuntimeError("boom")
    assert keras.config.dtype_policy().name == before


def test_harness_case_ids_are_unique():
    ids = [case.test_id for case in HARNESS_CASES]
    assert len(ids) == len(set(ids)), ids
    assert isinstance(HARNESS_CASES[0], HarnessCase)


class _HiddenBranchModel(keras.Model):
    """The layout of the VAE-GNN decoder bug: a branch off the path to the output that only an
    untracked inner model holds, so its weights are used but neither tracked nor trained."""

    def __init__(self):
        inputs = {"x": keras.Input((3,), name="x")}
        hidden = keras.layers.Dense(4, name="shared")(inputs["x"])
        label = keras.layers.Dense(2, activation="softmax", name="label")(hidden)
        side = keras.layers.Dense(5, name="side_branch")(hidden)
        super().__init__(inputs, {"label": label}, name="hidden_branch")
        object.__setattr__(self, "_full", keras.Model(inputs, {"label": label, "side": side}))

    def call(self, inputs, training=None):
        return {"label": self._full(inputs, training=training)["label"]}


def _toy_batch():
    rng = np.random.default_rng(0)
    inputs = {"x": rng.standard_normal((6, 3)).astype("float32")}
    targets = {"label": np.eye(2, dtype="float32")[rng.integers(0, 2, 6)]}
    return inputs, targets


def test_untracked_used_variables_finds_a_hidden_branch():
    model = _HiddenBranchModel()
    inputs, _ = _toy_batch()
    assert model.count_params() == (3 * 4 + 4) + (4 * 2 + 2)
    missing = model_harness.untracked_used_variables(model, inputs)
    assert sorted(missing) == [("side_branch/bias", (5,)), ("side_branch/kernel", (4, 5))]
    # A plain functional model uses only tracked weights.
    plain = keras.Model(model.inputs, model.outputs)
    assert model_harness.untracked_used_variables(plain, inputs) == []


def test_unchanged_after_train_step_names_untrained_weights():
    model = _HiddenBranchModel()
    model.compile(optimizer="adam", loss={"label": "categorical_crossentropy"})
    inputs, targets = _toy_batch()
    logs, unchanged = model_harness.unchanged_after_train_step(model, inputs, targets)
    assert np.isfinite(logs["loss"])
    assert unchanged == ["side_branch/bias", "side_branch/kernel"]
    # A frozen-by-construction weight (no path to the loss) is reported even when tracked.
    inputs_ = {"x": keras.Input((3,), name="x")}
    used = keras.layers.Dense(2, activation="softmax", name="label")(inputs_["x"])
    dead = keras.layers.Dense(1, name="dead")(inputs_["x"])
    tracked = keras.Model(inputs_, {"label": used, "dead": dead})
    tracked.compile(optimizer="adam", loss={"label": "categorical_crossentropy", "dead": None})
    _, unchanged = model_harness.unchanged_after_train_step(
        tracked, inputs, {"label": targets["label"], "dead": np.zeros((6, 1), "float32")}
    )
    assert unchanged == ["dead/bias", "dead/kernel"]
