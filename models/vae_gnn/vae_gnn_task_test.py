import keras
import pytest

from amigos_emo.models import build_model, get_model_entry

SHAPES = {"eeg_grid": (64, 9, 9), "node_features": (5, 4, 3), "adjacency": (5, 4, 4)}


def test_registered_entry():
    entry = get_model_entry("vae_gnn")
    assert entry.inputs == ("eeg_grid", "node_features", "adjacency")
    assert entry.outputs == ("valence", "arousal") and entry.task == "binary"
    dreamer = entry.presets["dreamer"]
    assert (
        dreamer["n_times"],
        dreamer["n_bands"],
        dreamer["n_nodes"],
        dreamer["n_node_feats"],
    ) == (1280, 5, 14, 10)


def test_build_takes_shapes_from_input_shapes_and_compile_clips_gradients():
    entry = get_model_entry("vae_gnn")
    model = entry.build(SHAPES, preset="tiny")
    assert (model.n_times, model.n_nodes, model.n_node_feats) == (64, 4, 3)
    entry.compile(model)
    assert isinstance(model.optimizer, keras.optimizers.Adam) and model.optimizer.clipnorm == 1.0


def test_build_errors_name_the_problem():
    with pytest.raises(ValueError, match="leave n_outputs at None. Received: n_outputs=2"):
        build_model("vae_gnn", SHAPES, n_outputs=2, preset="tiny")
    with pytest.raises(ValueError, match="Missing: \\['adjacency'\\]"):
        build_model("vae_gnn", {k: v for k, v in SHAPES.items() if k != "adjacency"}, preset="tiny")
    with pytest.raises(ValueError, match="\\(5, 4, 4\\) to match node_features"):
        build_model("vae_gnn", {**SHAPES, "adjacency": (5, 14, 14)}, preset="tiny")
    with pytest.raises(ValueError, match="n_nodes disagrees .* expected 4. Received: n_nodes=14"):
        build_model("vae_gnn", SHAPES, preset="tiny", n_nodes=14)
