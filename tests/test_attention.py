"""The course's attention against PyTorch's: F.scaled_dot_product_attention and nn.MultiheadAttention."""

import pytest
import torch
import torch.nn.functional as F

from aimastery.attention import (
    CausalSelfAttention, MultiHeadAttention, additive_mask, causal_mask, merge_heads, padding_mask,
    scaled_dot_product_attention, split_heads,
)
from aimastery.testing import one_torch_thread  # noqa: F401 (autouse: small tensors, one thread)

B, H, T, D = 3, 4, 7, 8
LENGTHS = [7, 4, 1]  # real tokens per sequence; the rest is padding



def qkv(seed=0, dtype=torch.float32):
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(B, H, T, D, generator=g, dtype=dtype) for _ in range(3)]


def attention_mask():
    return (torch.arange(T)[None] < torch.tensor(LENGTHS)[:, None]).long()  # (B, T)


@pytest.mark.parametrize("dtype, tol", [(torch.float32, 1e-6), (torch.float64, 1e-12)])
def test_matches_torch_with_padding_and_causal_masks(dtype, tol):
    q, k, v = qkv(dtype=dtype)
    pad = padding_mask(attention_mask())  # (B, 1, 1, T)
    masks = {"none": None, "padding": pad, "causal": causal_mask(T), "both": pad & causal_mask(T)}
    for name, mask in masks.items():
        ours, weights = scaled_dot_product_attention(q, k, v, mask)
        theirs = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        assert (ours - theirs).abs().max() <= tol, name
        assert torch.allclose(weights.sum(-1), torch.ones((), dtype=dtype)), name
        if mask is not None:
            assert (weights[~mask.expand_as(weights)] == 0).all(), f"{name}: a masked weight is not exactly 0"
    ours, _ = scaled_dot_product_attention(q, k, v, causal_mask(T))
    assert (ours - F.scaled_dot_product_attention(q, k, v, is_causal=True)).abs().max() <= tol
    float_mask = additive_mask(pad, dtype)
    assert (scaled_dot_product_attention(q, k, v, float_mask)[0]
            - scaled_dot_product_attention(q, k, v, pad)[0]).abs().max() <= tol


def test_causal_mask_sees_the_past_only():
    assert causal_mask(3).tolist() == [[True, False, False], [True, True, False], [True, True, True]]
    assert causal_mask(2, 4).tolist() == [[True, True, True, False], [True, True, True, True]]  # the last two
    with pytest.raises(ValueError, match="q_len <= k_len"):
        causal_mask(4, 2)
    q, k, v = qkv()
    out, _ = scaled_dot_product_attention(q, k, v, causal_mask(T))
    k2, v2 = k.clone(), v.clone()
    k2[..., 4:, :] += 5.0  # change the future
    v2[..., 4:, :] -= 3.0
    out2, _ = scaled_dot_product_attention(q, k2, v2, causal_mask(T))
    assert torch.equal(out[..., :4, :], out2[..., :4, :])


def test_a_fully_masked_row_gives_no_nan():
    q, k, v = qkv()
    mask = torch.zeros(T, T, dtype=torch.bool)
    out, weights = scaled_dot_product_attention(q, k, v, mask)
    assert torch.isfinite(out).all() and torch.allclose(weights, torch.full_like(weights, 1 / T))


def test_heads_split_and_merge():
    x = torch.randn(B, T, H * D)
    heads = split_heads(x, H)
    assert heads.shape == (B, H, T, D) and torch.equal(heads[:, 1], x[..., D:2 * D])
    assert torch.equal(merge_heads(heads), x)
    with pytest.raises(ValueError, match="not divisible"):
        split_heads(x, 5)


def copy_into_torch(ours: MultiHeadAttention) -> torch.nn.MultiheadAttention:
    E = ours.query.in_features
    ref = torch.nn.MultiheadAttention(E, ours.num_heads, batch_first=True)
    with torch.no_grad():
        ref.in_proj_weight.copy_(torch.cat([ours.query.weight, ours.key.weight, ours.value.weight]))
        ref.in_proj_bias.copy_(torch.cat([ours.query.bias, ours.key.bias, ours.value.bias]))
        ref.out_proj.weight.copy_(ours.out.weight)
        ref.out_proj.bias.copy_(ours.out.bias)
    return ref.eval()


def test_multi_head_attention_matches_nn_multihead_attention():
    torch.manual_seed(0)
    E = H * D
    ours = MultiHeadAttention(E, H).eval()
    ref = copy_into_torch(ours)
    x = torch.randn(B, T, E)
    am = attention_mask()
    with torch.no_grad():
        out, w = ours(x, mask=padding_mask(am))
        expected, expected_w = ref(x, x, x, key_padding_mask=~am.bool(), average_attn_weights=False)
        assert (out - expected).abs().max() <= 1e-6 and (w - expected_w).abs().max() <= 1e-6
        out, _ = ours(x, mask=causal_mask(T))
        expected, _ = ref(x, x, x, attn_mask=~causal_mask(T))  # nn.MultiheadAttention: True means "do not attend"
        assert (out - expected).abs().max() <= 1e-6
        memory = torch.randn(B, 5, E)  # cross-attention
        assert (ours(x, memory)[0] - ref(x, memory, memory)[0]).abs().max() <= 1e-6


def test_causal_self_attention_matches_torch_and_its_cache_equals_recomputing():
    torch.manual_seed(1)
    E = H * D
    attn = CausalSelfAttention(E, H).eval()
    ref = torch.nn.MultiheadAttention(E, H, batch_first=True).eval()
    with torch.no_grad():
        ref.in_proj_weight.copy_(attn.c_attn.weight)
        ref.in_proj_bias.copy_(attn.c_attn.bias)
        ref.out_proj.load_state_dict(attn.c_proj.state_dict())
        x = torch.randn(B, T, E)
        full, (k, v) = attn(x)
        assert k.shape == (B, H, T, D)
        expected, _ = ref(x, x, x, attn_mask=~causal_mask(T))
        assert (full - expected).abs().max() <= 1e-6
        past = None  # one token at a time, as a generator does
        steps = []
        for t in range(T):
            y, past = attn(x[:, t:t + 1], past=past)
            steps.append(y)
        assert (torch.cat(steps, dim=1) - full).abs().max() <= 1e-6
        am = attention_mask().flip(1)  # left padding
        padded, _ = attn(x, attention_mask=am)
        assert torch.isfinite(padded).all()
        real = am.bool()
        expected, _ = ref(x, x, x, attn_mask=~causal_mask(T), key_padding_mask=~real)
        assert (padded[real] - expected[real]).abs().max() <= 1e-6
