"""The PyTorch peers of bench/torch_peers.py match the Keras models' trainable parameter counts.

Skipped without torch (the ``bench`` extra). Only modules are built and run forward here: no
torch optimiser is created, because that loads ``triton``, which crashed processes that had
TensorFlow loaded (see the module docstring of ``bench/torch_peers.py``).
"""

import importlib.util
import os
import pathlib
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")

BENCH_DIR = pathlib.Path(__file__).resolve().parents[2] / "bench"

# (model, preset, input shapes, n_outputs): the small registry configurations.
CASES = [
    ("gru_classifier", None, {"features": (2548,)}, 3),
    ("gru_classifier", "seed", {"features": (40,)}, 3),
    ("res_attention_net", None, {"de": (60, 310)}, None),
    ("res_attention_net", "tiny", {"de": (40, 20)}, None),
    ("multimodal_lstm", None, {"eeg": (512, 14), "ecg": (512, 2), "gsr": (512, 1)}, None),
    ("multimodal_lstm", "lightweight", {"eeg": (64, 14), "ecg": (64, 2), "gsr": (64, 1)}, None),
    ("gru_xnet", "tiny", {"stft": (3, 12, 10)}, None),
    (
        "vae_gnn",
        "tiny",
        {"eeg_grid": (64, 9, 9), "node_features": (5, 4, 3), "adjacency": (5, 4, 4)},
        None,
    ),
]


@pytest.fixture(scope="module")
def peers():
    saved_path, saved_env = list(sys.path), dict(os.environ)
    try:
        spec = importlib.util.spec_from_file_location(
            "bench_torch_peers", BENCH_DIR / "torch_peers.py"
        )
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path[:] = saved_path
        os.environ.clear()
        os.environ.update(saved_env)
    return module


@pytest.mark.parametrize("name,preset,shapes,n_outputs", CASES)
def test_peer_parameter_count_and_output_shape(peers, name, preset, shapes, n_outputs):
    from amigos_emo.models import build_model

    model = build_model(name, shapes, n_outputs=n_outputs, preset=preset)
    peer = peers.build_peer(name, model, shapes)
    assert peer.n_trainable() == peers.keras_trainable_count(model)
    rng = np.random.default_rng(0)
    inputs = [
        torch.from_numpy(rng.standard_normal((2, *shapes[k])).astype("float32"))
        for k in peer.input_names
    ]
    peer.module.eval()
    with torch.no_grad():
        out = peer.module(*inputs)
    first = out[0] if isinstance(out, tuple) else out
    n_heads = sum(int(np.prod(t.shape[1:])) for t in model.outputs)
    assert tuple(first.shape) == (2, n_heads) and torch.isfinite(first).all()


def test_keras_count_includes_the_vae_gnn_decoder(peers):
    # The decoder lives only in VAE-GNN's untracked _full_graph view; the count must add it.
    from amigos_emo.models import build_model

    shapes = {"eeg_grid": (64, 9, 9), "node_features": (5, 4, 3), "adjacency": (5, 4, 4)}
    model = build_model("vae_gnn", shapes, preset="tiny")
    tracked = {id(w) for w in model.trainable_weights}
    tracked_size = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    untracked_decoder = sum(
        int(np.prod(w.shape))
        for layer in model._full_graph.layers
        if layer.name.startswith("decoder")
        for w in layer.trainable_weights
        if id(w) not in tracked
    )
    assert peers.keras_trainable_count(model) == tracked_size + untracked_decoder


def test_unknown_peer_is_named(peers):
    with pytest.raises(KeyError, match="No PyTorch peer for model 'nope'"):
        peers.build_peer("nope", None, {})
