"""Runs every shared-harness check on every case in ``models/harness_cases.py``."""

import keras
import pytest

from amigos_emo.models import model_harness
from amigos_emo.models.harness_cases import HARNESS_CASES, HarnessCase


@pytest.mark.parametrize("check_name", list(model_harness.CHECKS))
@pytest.mark.parametrize("case", HARNESS_CASES, ids=[case.test_id for case in HARNESS_CASES])
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
