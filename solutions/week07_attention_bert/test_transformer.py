"""Lab 7 tests: your attention against PyTorch's, your encoder layer against nn.TransformerEncoderLayer,
and your mapping of the real all-MiniLM-L6-v2 checkpoint against transformers' BertModel."""

import ast
import copy
import inspect
import math
from contextlib import contextmanager

import pytest
import torch
import torch.nn.functional as F

from aimastery.labs.scratch import assert_written_from_scratch
from aimastery.testing import one_torch_thread  # noqa: F401 (autouse: small tensors, one thread)

from . import transformer
from .transformer import (
    EncoderLayer, MultiHeadAttention, attention, bert_layer_state_dict, causal_mask, encoder_from_checkpoint,
    merge_heads, split_heads,
)

TASK1 = pytest.mark.task(1, "attention with padding and causal masks")
TASK2 = pytest.mark.task(2, "multi-head attention")
TASK3 = pytest.mark.task(3, "one BERT encoder layer (post-LN)")
TASK4 = pytest.mark.task(4, "the real checkpoint's names")

B, H, T, D = 3, 4, 6, 8
E = H * D
LENGTHS = [6, 4, 2]  # real tokens in each sequence of the batch; the rest is padding



def gen(seed):
    return torch.Generator().manual_seed(seed)


def qkv(seed=0):
    g = gen(seed)
    return [torch.randn(B, H, T, D, generator=g, dtype=torch.float64) for _ in range(3)]


def attention_mask():
    return (torch.arange(T)[None] < torch.tensor(LENGTHS)[:, None]).long()  # (B, T): 1 real, 0 padding


FINISHED = ("aimastery.attention", "aimastery.bert", "transformers", "solutions")  # the course's own, and the reference
FUSED = {"scaled_dot_product_attention", "multi_head_attention_forward", "MultiheadAttention",
         "TransformerEncoderLayer", "TransformerEncoder"}


def assert_no_finished_attention():
    """Your module may not import the finished attention it is compared with, nor name PyTorch's fused one
    (``from torch.nn.functional import scaled_dot_product_attention``, ``sdpa = F.scaled_dot_product_attention``)."""
    assert_written_from_scratch(transformer, FINISHED)
    tree = ast.parse(inspect.getsource(transformer))
    for node in ast.walk(tree):
        name = (node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute)
                else node.name if isinstance(node, ast.alias) else None)
        if name in FUSED:
            raise AssertionError(f"transformer.py:{getattr(node, 'lineno', '?')} uses {name}: write attention with "
                                 "tensor operations (PyTorch's fused attention is what your code is checked against)")


@contextmanager
def no_shortcuts():
    """PyTorch's fused attention is what your code is compared with: it may not call it."""
    assert_no_finished_attention()
    def refuse(*args, **kwargs):
        raise AssertionError("write attention with tensor operations: F.scaled_dot_product_attention and "
                             "nn.MultiheadAttention are what your code is checked against")
    saved = F.scaled_dot_product_attention, F.multi_head_attention_forward
    F.scaled_dot_product_attention = F.multi_head_attention_forward = refuse
    try:
        yield
    finally:
        F.scaled_dot_product_attention, F.multi_head_attention_forward = saved


def close(ours, theirs, tol, what, reference="PyTorch's"):
    assert ours.shape == theirs.shape, f"{what}: shape {tuple(ours.shape)}, expected {tuple(theirs.shape)}"
    err = float((ours - theirs).detach().abs().max())
    assert err <= tol, f"{what}: differs from {reference} by up to {err:.2e} (tolerance {tol:.0e})"


# ----- Task 1


@TASK1
def test_causal_mask():
    m = causal_mask(4)
    assert m.dtype == torch.bool and m.shape == (4, 4), f"a (4, 4) bool tensor, got {m.dtype} {tuple(m.shape)}"
    assert m.tolist() == [[True, False, False, False], [True, True, False, False],
                          [True, True, True, False], [True, True, True, True]], \
        "query i may attend to keys j <= i: itself and the past, never the future"


def weights_of(q, k, mask=None, *, scale=None, dim=-1):
    """Reference weights; ``scale`` and ``dim`` give the classic wrong variants, to name a mistake."""
    scores = q @ k.transpose(-2, -1) / (math.sqrt(q.shape[-1]) if scale is None else scale)
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf")) if mask.dtype == torch.bool else scores + mask
    return scores.softmax(dim)


def same(a, b):
    return a.shape == b.shape and torch.allclose(a, b, atol=1e-10, rtol=0, equal_nan=True)


def explain_weights(weights, q, k, mask=None):
    """The first mistake the weights show, as a message; None when they are right."""
    if same(weights, weights_of(q, k, mask)):
        return None
    if weights.shape != weights_of(q, k, mask).shape:
        return f"weights of shape {tuple(weights.shape)}, expected (..., T_q, T_k) = {tuple(weights_of(q, k).shape)}"
    if same(weights, weights_of(q, k, mask, scale=1.0)):
        return "your weights are those of unscaled scores: divide q k^T by sqrt(d), d = the last size of q"
    if same(weights, weights_of(q, k, mask, scale=q.shape[-1])):
        return "your weights are those of scores divided by d: the scale is sqrt(d)"
    if same(weights, weights_of(q, k, mask, dim=-2)):
        return "each COLUMN of your weights sums to 1: the softmax runs over the keys, the last axis"
    if mask is not None and mask.dtype == torch.bool and same(weights, weights_of(q, k, ~mask)):
        return "your mask is used the wrong way round: True means the query MAY attend to that key"
    if torch.isnan(weights).any():
        return ("NaN weights: a row whose every score is -inf went through the softmax. Every query here has an "
                "allowed key: is True in your mask where attending is ALLOWED, and is the softmax over the keys?")
    if mask is not None and mask.dtype == torch.bool:
        masked = weights[~mask.expand_as(weights)]
        if (masked != 0).any():
            return (f"a masked key got weight {float(masked.abs().max()):.3g}, expected exactly 0: mask the scores "
                    "(to -inf) BEFORE the softmax, not the weights after it")
    rows = weights.sum(-1)
    if (rows - 1).abs().max() > 1e-10:
        return f"a row of weights sums to {float(rows.flatten()[(rows - 1).abs().argmax()]):.4f}, expected 1"
    err = float((weights - weights_of(q, k, mask)).abs().max())
    return f"the weights differ from softmax(q k^T / sqrt(d)) by up to {err:.2e} (tolerance 1e-10)"


def check_attention(q, k, v, mask, expected_out, what):
    with no_shortcuts():
        out, weights = attention(q, k, v, mask)
    problem = explain_weights(weights, q, k, mask)
    if problem:
        raise AssertionError(f"{what}: {problem}")
    close(out, expected_out, 1e-10, what)
    return out, weights


@TASK1
def test_attention_without_a_mask():
    q, k, v = qkv(0)
    check_attention(q, k, v, None, F.scaled_dot_product_attention(q, k, v), "attention without a mask")


@TASK1
def test_attention_with_a_padding_mask():
    q, k, v = qkv(1)
    mask = attention_mask().bool()[:, None, None, :]  # (B, 1, 1, T) over the keys
    check_attention(q, k, v, mask, F.scaled_dot_product_attention(q, k, v, attn_mask=mask),
                    "attention with a (B, 1, 1, T) padding mask")


@TASK1
def test_attention_with_more_keys_than_queries():
    g = gen(7)
    q = torch.randn(2, H, 3, D, generator=g, dtype=torch.float64)  # T_q = 3
    k, v = (torch.randn(2, H, 5, D, generator=g, dtype=torch.float64) for _ in range(2))  # T_k = 5
    mask = torch.tensor([[True] * 5, [True, True, False, True, False]])[:, None, None, :]  # (2, 1, 1, T_k)
    out, weights = check_attention(q, k, v, mask, F.scaled_dot_product_attention(q, k, v, attn_mask=mask),
                                   "cross-attention, T_q = 3 queries over T_k = 5 keys")
    assert weights.shape == (2, H, 3, 5), f"weights (B, H, T_q, T_k) = (2, {H}, 3, 5), got {tuple(weights.shape)}"


@TASK1
def test_a_float_mask_is_added_to_the_scores():
    q, k, v = qkv(8)
    bias = torch.randn(1, H, T, T, generator=gen(9), dtype=torch.float64)  # a learned bias, as ALiBi or T5 use
    bias[..., -1] = torch.finfo(torch.float64).min  # and "drop the last key", transformers' way
    check_attention(q, k, v, bias, F.scaled_dot_product_attention(q, k, v, attn_mask=bias),
                    "a float mask (added to the scores, as F.scaled_dot_product_attention does)")


@TASK1
def test_gradients_reach_q_k_and_v():
    q, k, v = (t[:1, :2].clone().requires_grad_() for t in qkv(10))
    mask = causal_mask(T)
    with no_shortcuts():
        out, _ = attention(q, k, v, mask)
    assert out.requires_grad, "your output does not depend on q, k, v through autograd: no NumPy, no .detach()"
    ours = torch.autograd.grad(out.square().sum(), (q, k, v), allow_unused=True)
    theirs = torch.autograd.grad(F.scaled_dot_product_attention(q, k, v, attn_mask=mask).square().sum(), (q, k, v))
    for name, g_ours, g_theirs in zip("qkv", ours, theirs):
        assert g_ours is not None, f"no gradient reaches {name}: is it detached somewhere?"
        close(g_ours, g_theirs, 1e-10, f"the gradient with respect to {name}")


@TASK1
def test_attention_with_a_causal_mask():
    q, k, v = qkv(2)
    out, weights = check_attention(q, k, v, causal_mask(T), F.scaled_dot_product_attention(q, k, v, is_causal=True),
                                   "causal attention with your causal_mask(T)")
    assert (weights.triu(1) == 0).all(), "no weight on the future"
    k2, v2 = k.clone(), v.clone()
    k2[..., 3:, :] += 1.0
    v2[..., 3:, :] += 1.0
    out2, _ = attention(q, k2, v2, causal_mask(T))
    assert torch.equal(out[..., :3, :], out2[..., :3, :]), "changing positions 3.. changed the outputs at 0..2"


# ----- Task 2


def torch_mha(seed=0):
    torch.manual_seed(seed)
    ref = torch.nn.MultiheadAttention(E, H, batch_first=True, dtype=torch.float64)
    with torch.no_grad():
        ref.in_proj_bias.normal_()
        ref.out_proj.bias.normal_()
    ours = MultiHeadAttention(E, H).double()
    ours.load_state_dict(ref.state_dict())  # the same names: in_proj_weight, in_proj_bias, out_proj.*
    return ours.eval(), ref.eval()


@TASK2
def test_split_and_merge_heads():
    x = torch.arange(2 * 3 * 8, dtype=torch.float64).view(2, 3, 8)
    heads = split_heads(x, 2)
    assert heads.shape == (2, 2, 3, 4), f"(B, T, E) = (2, 3, 8) with 2 heads gives (2, 2, 3, 4), got {heads.shape}"
    assert torch.equal(heads[0, 1, 0], x[0, 0, 4:]), \
        (f"head 1 of token 0 should hold features 4..7 of token 0, {x[0, 0, 4:].tolist()}, got "
         f"{heads[0, 1, 0].tolist()} (split the features of each token, not the tokens)")


@TASK2
def test_merge_heads():
    heads = torch.arange(2 * 2 * 3 * 4, dtype=torch.float64).view(2, 2, 3, 4)  # (B, H, T, d)
    merged = merge_heads(heads)
    assert merged.shape == (2, 3, 8), f"(B, H, T, d) = (2, 2, 3, 4) merges to (2, 3, 8), got {tuple(merged.shape)}"
    assert torch.equal(merged[0, 0], torch.cat([heads[0, 0, 0], heads[0, 1, 0]])), \
        (f"token 0 should be head 0's features then head 1's, {torch.cat([heads[0, 0, 0], heads[0, 1, 0]]).tolist()}, "
         f"got {merged[0, 0].tolist()}")
    x = torch.randn(2, 5, 12, generator=gen(11), dtype=torch.float64)
    assert torch.equal(merge_heads(split_heads(x, 3)), x), "merge_heads(split_heads(x, 3)) should give x back"


@TASK2
def test_multi_head_attention_matches_nn_multihead_attention():
    ours, ref = torch_mha(0)
    x = torch.randn(B, T, E, generator=gen(3), dtype=torch.float64)
    with torch.no_grad(), no_shortcuts():
        out, weights = ours(x)
    expected, expected_w = ref(x, x, x, average_attn_weights=False)
    assert weights.shape == (B, H, T, T), f"weights should be (B, H, T, T), got {tuple(weights.shape)}"
    swapped = copy.deepcopy(ref)
    with torch.no_grad():  # the query and key projections exchanged
        for p in (swapped.in_proj_weight, swapped.in_proj_bias):
            p.copy_(torch.cat([p[E:2 * E], p[:E], p[2 * E:]]))
    if same(weights, swapped(x, x, x, average_attn_weights=False)[1]):
        raise AssertionError("your weights are what q and k exchanged give: in_proj_weight's rows are the query, "
                             "key, value projections, in that order")
    close(weights, expected_w, 1e-10, "the attention weights of each head")
    close(out, expected, 1e-10, "multi-head attention")


@TASK2
def test_multi_head_attention_with_padding_and_causal_masks():
    ours, ref = torch_mha(1)
    x = torch.randn(B, T, E, generator=gen(4), dtype=torch.float64)
    am = attention_mask()
    with torch.no_grad(), no_shortcuts():
        padded, _ = ours(x, am)
        causal, _ = ours(x, causal=True)
        both, _ = ours(x, am, causal=True)
        plain, _ = ours(x)
    real = am.bool()
    close(plain, ref(x, x, x)[0], 1e-10, "already without a mask (fix test_multi_head_attention_matches_"
          "nn_multihead_attention first)")
    assert not torch.isnan(padded).any(), \
        ("NaN outputs with a padding mask: a query whose every key is masked. Each sequence has real tokens: "
         "is your mask True where attending is ALLOWED (attention_mask 1 = a real token)?")
    # nn.MultiheadAttention's masks are the other way round: True means "do not attend"
    close(padded[real], ref(x, x, x, key_padding_mask=~real)[0][real], 1e-10,
          "with a padding mask (padding must be masked as a KEY, for every query: shape (B, 1, 1, T))")
    close(causal, ref(x, x, x, attn_mask=~causal_mask(T))[0], 1e-10, "with causal=True")
    close(both[real], ref(x, x, x, attn_mask=~causal_mask(T), key_padding_mask=~real)[0][real], 1e-10,
          "with both masks")


# ----- Task 3


def torch_layer(seed=0):
    torch.manual_seed(seed)
    ref = torch.nn.TransformerEncoderLayer(E, H, dim_feedforward=3 * E, dropout=0.0, activation="gelu",
                                           layer_norm_eps=1e-12, batch_first=True, norm_first=False,
                                           dtype=torch.float64)
    with torch.no_grad():
        for p in ref.parameters():
            p.add_(0.3 * torch.randn(p.shape, dtype=torch.float64))  # no zero biases or unit LayerNorms to hide behind
    ref.train()  # dropout is 0: training mode only keeps PyTorch on its plain (non-fused) path
    return ref


@TASK3
def test_encoder_layer_has_pytorchs_names():
    ours = EncoderLayer(E, H, 3 * E, layer_norm_eps=1e-12)
    ref = torch_layer()
    assert {k: tuple(v.shape) for k, v in ours.state_dict().items()} == \
        {k: tuple(v.shape) for k, v in ref.state_dict().items()}, \
        "EncoderLayer needs self_attn, linear1, linear2, norm1 and norm2, shaped like nn.TransformerEncoderLayer's"
    for norm in (ours.norm1, ours.norm2):
        assert norm.eps == 1e-12, f"BERT's LayerNorms use eps = 1e-12 (layer_norm_eps), got {norm.eps}"


@TASK3
def test_encoder_layer_matches_nn_transformer_encoder_layer():
    ref = torch_layer(0)
    ours = EncoderLayer(E, H, 3 * E, layer_norm_eps=1e-12).double()
    ours.load_state_dict(ref.state_dict())
    x = torch.randn(B, T, E, generator=gen(5), dtype=torch.float64)
    am = attention_mask()
    real = am.bool()
    with torch.no_grad(), no_shortcuts():
        out = ours(x)
        padded = ours(x, am)
    with torch.no_grad():
        expected = ref(x)
    err = float((out - expected).abs().max()) if out.shape == x.shape else math.inf
    if 1e-9 < err < 1e-2:
        raise AssertionError(f"your layer differs from nn.TransformerEncoderLayer by up to {err:.2e}, a small "
                             "difference: BERT uses the exact GELU x * Phi(x), not its tanh approximation")
    close(out, expected, 1e-9, "your layer against nn.TransformerEncoderLayer(norm_first=False): a large difference "
          "is the structure; post-LN adds the sublayer's output to x, THEN normalises, around both sublayers")
    close(padded[real], ref(x, src_key_padding_mask=~real)[real], 1e-9, "with a padding mask")


# ----- Task 4


@pytest.fixture(scope="module")
def minilm():
    """The real checkpoint's tensors, its config, and transformers' BertModel on it (the reference)."""
    import transformers
    from safetensors.torch import load_file

    from aimastery.pretrained import minilm_config, minilm_folder

    transformers.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    tensors = load_file(minilm_folder() / "model.safetensors")
    reference = transformers.BertModel.from_pretrained(minilm_folder(), attn_implementation="eager").eval()
    return tensors, minilm_config(), reference


@TASK4
def test_the_mapping_names_every_tensor(minilm):
    tensors, cfg, _ = minilm
    mapped = bert_layer_state_dict(tensors, 0)
    layer = EncoderLayer(cfg["hidden_size"], cfg["num_attention_heads"], cfg["intermediate_size"])
    expected = {k: tuple(v.shape) for k, v in layer.state_dict().items()}
    got = {k: tuple(v.shape) for k, v in mapped.items()}
    assert got.keys() == expected.keys(), (f"missing: {sorted(expected.keys() - got.keys())}; "
                                           f"not EncoderLayer names: {sorted(got.keys() - expected.keys())}")
    wrong = {k: (got[k], expected[k]) for k in expected if got[k] != expected[k]}
    assert not wrong, f"wrong shapes (got, expected): {wrong}"


@TASK4
def test_a_missing_tensor_is_named(minilm):
    tensors = dict(minilm[0])
    del tensors["encoder.layer.2.intermediate.dense.bias"]
    with pytest.raises(KeyError, match="encoder.layer.2.intermediate.dense.bias"):
        bert_layer_state_dict(tensors, 2)


@TASK4
@pytest.mark.parametrize("index", [0, 5])
def test_one_real_layer_matches_transformers(minilm, index):
    tensors, cfg, reference = minilm
    ours = EncoderLayer(cfg["hidden_size"], cfg["num_attention_heads"], cfg["intermediate_size"]).eval()
    ours.load_state_dict(bert_layer_state_dict(tensors, index))
    x = torch.randn(2, 7, cfg["hidden_size"], generator=gen(6))
    am = torch.tensor([[1] * 7, [1] * 4 + [0] * 3])
    extended = (1.0 - am[:, None, None, :].float()) * torch.finfo(torch.float32).min  # transformers' mask
    with torch.no_grad(), no_shortcuts():
        out = ours(x, am)
    expected = reference.encoder.layer[index](x, attention_mask=extended)
    expected = expected[0] if isinstance(expected, tuple) else expected
    close(out[am.bool()], expected[am.bool()], 1e-5, f"layer {index} of all-MiniLM-L6-v2 (did each checkpoint "
          "tensor go to the right name: q, k, v in that order, and which LayerNorm follows the attention?)",
          reference="transformers' BertLayer")


@TASK4
def test_the_whole_encoder_matches_transformers(minilm):
    tensors, cfg, reference = minilm
    layers = encoder_from_checkpoint(tensors, cfg["num_hidden_layers"], cfg["hidden_size"],
                                     cfg["num_attention_heads"], cfg["intermediate_size"], cfg["layer_norm_eps"])
    ids = torch.tensor([[101, 1996, 4937, 2938, 2006, 1996, 13523, 1012, 102],  # [CLS] the cat sat on the mat . [SEP]
                        [101, 7592, 999, 102, 0, 0, 0, 0, 0]])  # [CLS] hello ! [SEP] and padding
    am = (ids != 0).long()
    with torch.no_grad():
        out = reference(input_ids=ids, attention_mask=am, output_hidden_states=True)
        x = out.hidden_states[0]  # the embeddings' output, the input of layer 0
        with no_shortcuts():
            for layer in layers:
                x = layer(x, am)
    real = am.bool()
    close(x[real], out.last_hidden_state[real], 1e-5, "your six layers on MiniLM's weights",
          reference="transformers.BertModel")
