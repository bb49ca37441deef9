import keras
import numpy as np
import pytest

from amigos_emo.models.res_attention_net.res_attention_net_layers import AttentionPooling1D


def _reference_pool(x, layer):
    """Float64 loop over batch and heads: softmax(q k^T / sqrt(d)) v, then the output projection."""
    w = {v.path.split("/")[-1]: np.asarray(v.numpy(), dtype=np.float64) for v in layer.weights}
    batch, n_steps, dim = x.shape
    head_dim = dim // layer.n_heads
    q = w["query"] @ w["query_kernel"] + w["query_bias"]  # (1, dim)
    k = x @ w["key_kernel"] + w["key_bias"]
    v = x @ w["value_kernel"] + w["value_bias"]
    out = np.zeros((batch, dim))
    for b in range(batch):
        heads = []
        for h in range(layer.n_heads):
            sl = slice(h * head_dim, (h + 1) * head_dim)
            scores = k[b, :, sl] @ q[0, sl] / np.sqrt(head_dim)
            p = np.exp(scores - scores.max())
            p /= p.sum()
            heads.append(p @ v[b, :, sl])
        out[b] = np.concatenate(heads) @ w["output_kernel"] + w["output_bias"]
    return out


@pytest.mark.parametrize("n_heads", [1, 2, 4])
def test_attention_pooling_matches_numpy_reference(n_heads):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 7, 8)).astype("float32")
    layer = AttentionPooling1D(n_heads=n_heads, bias_initializer="random_normal", name="pool")
    out = layer(x)
    assert out.shape == (3, 8)
    assert keras.backend.standardize_dtype(out.dtype) == "float32"
    np.testing.assert_allclose(
        np.asarray(out), _reference_pool(x.astype(np.float64), layer), atol=1e-4
    )


def test_attention_pooling_parameter_count_matches_torch_multihead_attention():
    layer = AttentionPooling1D(n_heads=2, name="pool")
    layer.build((None, 5, 128))
    # nn.MultiheadAttention(128, 2): in_proj 3*128*128 + 3*128, out_proj 128*128 + 128; query 128.
    assert layer.count_params() == 3 * 128 * 128 + 3 * 128 + 128 * 128 + 128 + 128 == 66176


def test_attention_pooling_config_round_trip():
    layer = AttentionPooling1D(n_heads=4, use_bias=False, name="pool")
    clone = AttentionPooling1D.from_config(layer.get_config())
    assert clone.n_heads == 4 and clone.use_bias is False and clone.name == "pool"
    clone.build((None, 3, 8))
    assert clone.count_params() == 4 * 8 * 8 + 8


def test_attention_pooling_rejects_bad_arguments():
    with pytest.raises(ValueError, match="Received: n_heads=0"):
        AttentionPooling1D(n_heads=0)
    with pytest.raises(ValueError, match="dim=6, n_heads=4"):
        AttentionPooling1D(n_heads=4)(np.zeros((1, 3, 6), "float32"))
