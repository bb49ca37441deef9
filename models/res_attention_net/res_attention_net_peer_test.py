"""ResAttentioNet equals its PyTorch peer (``bench/torch_peers.py``) for the same weights.

The peer is written layer for layer from the published PyTorch description (paddings 3 / 1,
max-pool padding 1, ``nn.MultiheadAttention`` pooling), so equal outputs pin the Keras
formulation (explicit or "same" paddings, fused or not) to the original. Skipped without torch.
"""

import importlib.util
import pathlib

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from amigos_emo.models import build_model  # noqa: E402

BENCH = pathlib.Path(__file__).resolve().parents[2] / "bench" / "torch_peers.py"


def _peers():
    spec = importlib.util.spec_from_file_location("bench_torch_peers_res", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _copy_weights(model, peer):
    """Keras weights -> the torch peer (conv kernels transposed, attention projections packed)."""

    def tensor(array):
        return torch.from_numpy(np.ascontiguousarray(array))

    def conv(layer, target):
        target.weight.copy_(tensor(np.transpose(layer.get_weights()[0], (2, 1, 0))))

    def bn(layer, target):
        gamma, beta, mean, var = layer.get_weights()
        target.weight.copy_(tensor(gamma))
        target.bias.copy_(tensor(beta))
        target.running_mean.copy_(tensor(mean))
        target.running_var.copy_(tensor(var))

    module = peer.module
    with torch.no_grad():
        conv(model.get_layer("stem_conv"), module.stem[0])
        bn(model.get_layer("stem_bn"), module.stem[1])
        index = 0
        for stage in range(1, 5):
            for block in (1, 2):
                prefix, target = f"stage{stage}_block{block}", module.blocks[index]
                conv(model.get_layer(f"{prefix}_conv1"), target.conv1)
                bn(model.get_layer(f"{prefix}_bn1"), target.bn1)
                conv(model.get_layer(f"{prefix}_conv2"), target.conv2)
                bn(model.get_layer(f"{prefix}_bn2"), target.bn2)
                if target.shortcut is not None:
                    conv(model.get_layer(f"{prefix}_shortcut_conv"), target.shortcut[0])
                    bn(model.get_layer(f"{prefix}_shortcut_bn"), target.shortcut[1])
                index += 1
        pool = model.get_layer("attention_pool")
        module.query.copy_(tensor(np.asarray(pool.query)[None]))
        kernels = [np.asarray(getattr(pool, f"{r}_kernel")).T for r in ("query", "key", "value")]
        biases = [np.asarray(getattr(pool, f"{r}_bias")) for r in ("query", "key", "value")]
        module.attention.in_proj_weight.copy_(tensor(np.concatenate(kernels)))
        module.attention.in_proj_bias.copy_(tensor(np.concatenate(biases)))
        module.attention.out_proj.weight.copy_(tensor(np.asarray(pool.output_kernel).T))
        module.attention.out_proj.bias.copy_(tensor(np.asarray(pool.output_bias)))
        for layer_name, target in (("classifier_dense", 0), ("label", 3)):
            kernel, bias = model.get_layer(layer_name).get_weights()
            module.classifier[target].weight.copy_(tensor(kernel.T))
            module.classifier[target].bias.copy_(tensor(bias))


@pytest.mark.parametrize(
    "preset,shape", [("tiny", (40, 20)), ("tiny", (37, 20)), ("seed_iv", (60, 310))]
)
def test_outputs_equal_the_pytorch_peer_for_the_same_weights(preset, shape):
    model = build_model("res_attention_net", {"de": shape}, preset=preset)
    rng = np.random.default_rng(0)
    # Non-trivial batch-norm statistics, so inference-mode normalisation is exercised.
    for layer in model.layers:
        if "bn" in layer.name:
            gamma, beta, mean, var = layer.get_weights()
            layer.set_weights(
                [
                    rng.uniform(0.5, 1.5, gamma.shape).astype("float32"),
                    rng.normal(size=beta.shape).astype("float32"),
                    rng.normal(size=mean.shape).astype("float32"),
                    rng.uniform(0.5, 2.0, var.shape).astype("float32"),
                ]
            )
    peer = _peers().build_peer("res_attention_net", model, {"de": shape})
    _copy_weights(model, peer)
    x = rng.standard_normal((3, *shape)).astype("float32")
    expected = model.predict_on_batch({"de": x})["label"]
    peer.module.eval()
    with torch.no_grad():
        got = torch.softmax(peer.module(torch.from_numpy(x)), -1).numpy()
    np.testing.assert_allclose(got, expected, rtol=2e-4, atol=2e-6)
