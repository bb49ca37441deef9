"""Deep ConvNet tests (the shared harness covers save/export/XLA/mixed precision)."""

import numpy as np
import pytest

from amigos_emo.models import build_model, get_model_entry
from amigos_emo.models.deep_convnet.deep_convnet_backbone import output_length


def _trainable(model):
    return sum(int(np.prod(w.shape)) for w in model.trainable_weights)


def test_parameter_count_at_bci_iv_2a():
    model = build_model("deep_convnet", {"eeg": (1125, 22)}, n_outputs=4)
    length = 1125
    for _ in range(4):  # valid conv of 10, then max pool 3 / stride 3
        length = (length - 10 + 1 - 3) // 3 + 1
    assert length == output_length(1125, 4, 10, 3, 3) == 9
    expected = (
        (10 * 25 + 25)  # temporal conv with bias
        + 25 * 25 * 22  # spatial conv
        + 2 * 25
        + (25 * 50 * 10 + 2 * 50)
        + (50 * 100 * 10 + 2 * 100)
        + (100 * 200 * 10 + 2 * 200)
        + (200 * length * 4 + 4)
    )
    assert _trainable(model) == expected == 284_479  # braindecode's Deep4Net count
    assert model.get_layer("block4_pool").output.shape == (None, 9, 1, 200)


def test_dropout_sits_before_each_later_block():
    model = build_model("deep_convnet", {"eeg": (48, 3)}, preset="tiny")
    names = [layer.name for layer in model.layers]
    for block in (2, 3, 4):
        assert names.index(f"block{block}_dropout") + 1 == names.index(f"block{block}_conv")
    assert not any(name.startswith("block1_dropout") for name in names)


def test_registered_entry_and_errors():
    entry = get_model_entry("deep_convnet")
    assert (entry.inputs, entry.outputs, entry.task) == (("eeg",), ("label",), "classification")
    with pytest.raises(ValueError, match="no time step is left. Received: n_times=20"):
        build_model("deep_convnet", {"eeg": (20, 3)}, preset="tiny")
    with pytest.raises(ValueError, match="Received: n_times=440"):
        build_model("deep_convnet", {"eeg": (440, 3)})
    build_model("deep_convnet", {"eeg": (441, 3)})  # the shortest window the paper sizes take
    with pytest.raises(TypeError, match="block_filters"):
        build_model("deep_convnet", {"eeg": (48, 3)}, preset="tiny", block_filters=8)
