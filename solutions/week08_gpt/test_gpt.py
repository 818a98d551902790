"""Lab 8 tests: your causal attention against PyTorch's, your KV cache against Week 7's attention and
transformers' GPT-2 (the tokens of greedy decoding), your LoRA layer against its formula."""

import copy
import math
from contextlib import contextmanager

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from aimastery.labs.expect import must_raise
from aimastery.labs.scratch import assert_written_from_scratch
from aimastery.testing import one_torch_thread  # noqa: F401 (autouse: small tensors, one thread)

from . import gpt
from .gpt import CachedSelfAttention, LoRALinear, append_kv, causal_attention, causal_mask, generate

TASK1 = pytest.mark.task(1, "the causal mask and masked attention")
TASK2 = pytest.mark.task(2, "the KV cache")
TASK3 = pytest.mark.task(3, "a LoRA linear layer")

B, H, D = 2, 3, 4  # batch, heads, features per head
E = H * D  # the embedding width
V = 29  # the tiny GPT's vocabulary

# What your module may not use: the course's finished code, the references, PyTorch's fused attention
FINISHED = ("aimastery.attention", "aimastery.gpt", "transformers", "peft")
FUSED = ("torch.nn.functional.scaled_dot_product_attention", "F.scaled_dot_product_attention",
         "torch.nn.functional.multi_head_attention_forward", "F.multi_head_attention_forward",
         "torch.nn.MultiheadAttention", "nn.MultiheadAttention", "torch._C._nn.scaled_dot_product_attention")
TASK_CODE = {1: ("causal_mask", "causal_attention"), 2: ("append_kv", "CachedSelfAttention", "generate"),
             3: ("LoRALinear",)}


def gen(seed):
    return torch.Generator().manual_seed(seed)


def randn(*shape, seed):
    return torch.randn(*shape, generator=gen(seed), dtype=torch.float64)


@contextmanager
def no_shortcuts(task):
    """The task's code is written from scratch, and PyTorch's fused attention refuses to run inside it."""
    assert_written_from_scratch(gpt, FINISHED + FUSED, functions=TASK_CODE[task])

    def refuse(*args, **kwargs):
        raise AssertionError("write attention with tensor operations: F.scaled_dot_product_attention is what your "
                             "code is checked against")

    saved = F.scaled_dot_product_attention
    F.scaled_dot_product_attention = refuse
    try:
        yield
    finally:
        F.scaled_dot_product_attention = saved


def max_err(ours, theirs):
    return float((ours - theirs).detach().abs().max())


def close(ours, theirs, tol, what, reference="PyTorch's"):
    assert isinstance(ours, torch.Tensor), f"{what}: got a {type(ours).__name__}, expected a tensor"
    assert ours.shape == theirs.shape, f"{what}: shape {tuple(ours.shape)}, expected {tuple(theirs.shape)}"
    err = max_err(ours, theirs)
    assert err <= tol, f"{what}: differs from {reference} by up to {err:.2e} (tolerance {tol:.0e})"


def same(a, b):
    return a.shape == b.shape and torch.allclose(a, b, atol=1e-10, rtol=0, equal_nan=True)


# ----- Task 1


def expected_mask(q_len, k_len, shift=0, first=False):
    """The right mask; ``shift`` moves its diagonal, ``first`` lines the queries up with the first keys
    (the classic wrong variants, to name a mistake)."""
    return torch.ones(q_len, k_len, dtype=torch.bool).tril((0 if first else k_len - q_len) + shift)


def explain_mask(m, q_len, k_len, what=None):
    """The first mistake a (q_len, k_len) mask shows, as a message; None when it is right."""
    what = what or f"causal_mask({q_len}, {k_len})"
    if not isinstance(m, torch.Tensor) or m.dtype != torch.bool or tuple(m.shape) != (q_len, k_len):
        got = f"{m.dtype} {tuple(m.shape)}" if isinstance(m, torch.Tensor) else type(m).__name__
        return f"{what}: expected a ({q_len}, {k_len}) bool tensor, got {got}"
    right = expected_mask(q_len, k_len)
    if torch.equal(m, right):
        return None
    first = q_len != k_len and torch.equal(m, expected_mask(q_len, k_len, first=True))
    if torch.equal(m, expected_mask(q_len, k_len, shift=-1)):
        also = " (or your queries are lined up with the FIRST keys: here both give this mask)" if first else ""
        return (f"{what}: each query is hidden from its own key{also}; query i (position i + k_len - q_len) may "
                "attend to every key j <= i + (k_len - q_len), itself included")
    if torch.equal(m, expected_mask(q_len, k_len, shift=1)):
        return (f"{what}: each query sees one key of the future, the one right after it; query i (position "
                "i + k_len - q_len) may attend to keys j <= i + (k_len - q_len) only")
    if first:
        return (f"{what}: your queries are lined up with the FIRST keys. With a cache, the {q_len} queries are "
                f"the LAST {q_len} of the {k_len} positions: query i is position i + {k_len - q_len}")
    if torch.equal(m, ~right):
        return f"{what}: True and False are swapped: True means the query MAY attend to that key"
    i, j = (m != right).nonzero()[0].tolist()
    return (f"{what}: query {i} (position {i + k_len - q_len}) and key {j} give {bool(m[i, j])}, expected "
            f"{bool(right[i, j])}: a query sees the keys up to its own position")


@TASK1
def test_causal_mask():
    with no_shortcuts(1):
        square, cached = causal_mask(4, 4), causal_mask(2, 5)
    for m, (q_len, k_len) in ((square, (4, 4)), (cached, (2, 5))):
        problem = explain_mask(m, q_len, k_len)
        assert problem is None, problem
    for bad in ((3, 2), (0, 3)):
        with must_raise(ValueError, f"causal_mask{bad}: more queries than keys, or none (the queries are the last "
                                    "q_len of k_len positions)"):
            causal_mask(*bad)


@TASK1
@given(q_len=st.integers(1, 8), past=st.integers(0, 8))
def test_causal_mask_of_any_lengths(q_len, past):
    with no_shortcuts(1):
        m = causal_mask(q_len, q_len + past)
    problem = explain_mask(m, q_len, q_len + past)
    assert problem is None, problem


def weights_of(q, k, *, scale=None, dim=-1, mask=None):
    """Reference weights; ``scale``, ``dim`` and ``mask`` give the classic wrong variants, to name a mistake."""
    mask = expected_mask(q.shape[-2], k.shape[-2]) if mask is None else mask
    scores = q @ k.transpose(-2, -1) / (math.sqrt(q.shape[-1]) if scale is None else scale)
    return scores.masked_fill(~mask, float("-inf")).softmax(dim)


def explain_weights(weights, q, k):
    """The first mistake the weights show, as a message; None when they are right."""
    q_len, k_len = q.shape[-2], k.shape[-2]
    right = weights_of(q, k)
    if not isinstance(weights, torch.Tensor) or weights.shape != right.shape:
        got = tuple(weights.shape) if isinstance(weights, torch.Tensor) else type(weights).__name__
        return f"weights of shape {got}, expected (..., T_q, T_k) = {tuple(right.shape)}"
    if same(weights, right):
        return None
    if same(weights, weights_of(q, k, scale=1.0)):
        return "your weights are those of unscaled scores: divide q k^T by sqrt(d), d = the last size of q"
    if same(weights, weights_of(q, k, scale=q.shape[-1])):
        return "your weights are those of scores divided by d: the scale is sqrt(d)"
    if same(weights, weights_of(q, k, dim=-2)):
        return "each COLUMN of your weights sums to 1: the softmax runs over the keys, the last axis"
    swapped = ~expected_mask(q_len, k_len)
    alike = torch.equal(swapped, expected_mask(q_len, k_len, shift=-1))  # 1 query, 1 key: the NaN message says both
    if not alike and same(weights, weights_of(q, k, mask=swapped)):
        return ("your mask is used the wrong way round: the allowed keys got -inf. Tensor.masked_fill writes where "
                "ITS mask is True: hand it the disallowed places, ~mask")
    if torch.isnan(weights).any():
        return ("NaN weights: a row whose every score is -inf went through the softmax. Every query may attend "
                "to its own key at least: is your mask True there, and is the softmax over the keys?")
    unmasked = weights_of(q, k, mask=torch.ones(q_len, k_len, dtype=torch.bool))
    if same(weights, unmasked.masked_fill(~expected_mask(q_len, k_len), 0.0)):
        return "your rows do not sum to 1: mask the scores (to -inf) BEFORE the softmax, not the weights after it"
    seen = (weights != 0).reshape(-1, q_len, k_len)[0]  # the keys each query gave a weight to
    problem = explain_mask(seen, q_len, k_len, f"the keys given a weight (T_q = {q_len}, T_k = {k_len})")
    if problem:
        return problem
    rows = weights.sum(-1)
    if (rows - 1).abs().max() > 1e-10:
        return f"a row of weights sums to {float(rows.flatten()[(rows - 1).abs().argmax()]):.4f}, expected 1"
    return f"the weights differ from softmax(q k^T / sqrt(d)) by up to {max_err(weights, right):.2e} (tolerance 1e-10)"


def check_attention(q, k, v, what):
    """Your causal attention against F.scaled_dot_product_attention: the weights, then the output."""
    with no_shortcuts(1):
        out, weights = causal_attention(q, k, v)
    problem = explain_weights(weights, q, k)
    if problem:
        raise AssertionError(f"{what}: {problem}")
    if q.shape[-2] == k.shape[-2]:
        expected = F.scaled_dot_product_attention(q, k, v, is_causal=True)
    else:  # is_causal lines the queries up with the FIRST keys: a cache needs an explicit mask
        expected = F.scaled_dot_product_attention(q, k, v, attn_mask=expected_mask(q.shape[-2], k.shape[-2]))
    close(out, expected, 1e-10, f"{what}: the output")
    return out, weights


@TASK1
def test_causal_attention_without_a_cache():
    q, k, v = (randn(B, H, 6, D, seed=s) for s in (1, 2, 3))
    _, weights = check_attention(q, k, v, "causal attention, 6 queries over their own 6 keys")
    assert (weights.triu(1) == 0).all(), "a query gave weight to a key of the future"


@TASK1
def test_causal_attention_with_a_cache():
    q = randn(B, H, 2, D, seed=4)  # the 2 newest positions
    k, v = (randn(B, H, 7, D, seed=s) for s in (5, 6))  # 5 cached positions, then those 2
    _, weights = check_attention(q, k, v, "2 new queries over 7 keys (5 of them cached)")
    assert weights.shape == (B, H, 2, 7), f"weights (B, H, T_q, T_k) = ({B}, {H}, 2, 7), got {tuple(weights.shape)}"
    one = randn(B, H, 1, D, seed=7)
    _, w1 = check_attention(one, k, v, "1 new query over 7 keys (one generation step)")
    assert (w1 > 0).all(), "the newest position must give a weight to every key: all of them are its past"


@TASK1
@settings(max_examples=60)
@given(lead=st.lists(st.integers(1, 3), max_size=2), q_len=st.integers(1, 5), past=st.integers(0, 4),
       d=st.integers(1, 6), d_v=st.integers(1, 6), seed=st.integers(0, 2 ** 16))
def test_causal_attention_matches_pytorch_on_any_shape(lead, q_len, past, d, d_v, seed):
    q = randn(*lead, q_len, d, seed=seed)
    k = randn(*lead, q_len + past, d, seed=seed + 1)
    v = randn(*lead, q_len + past, d_v, seed=seed + 2)
    check_attention(q, k, v, f"q {tuple(q.shape)}, k {tuple(k.shape)}, v {tuple(v.shape)}")


@TASK1
def test_gradients_reach_q_k_and_v():
    q = randn(1, 2, 3, D, seed=8).requires_grad_()
    k, v = (randn(1, 2, 5, D, seed=s).requires_grad_() for s in (9, 10))
    with no_shortcuts(1):
        out, _ = causal_attention(q, k, v)
    assert out.requires_grad, "your output does not depend on q, k, v through autograd: no NumPy, no .detach()"
    ours = torch.autograd.grad(out.square().sum(), (q, k, v), allow_unused=True)
    mask = expected_mask(3, 5)
    theirs = torch.autograd.grad(F.scaled_dot_product_attention(q, k, v, attn_mask=mask).square().sum(), (q, k, v))
    for name, g_ours, g_theirs in zip("qkv", ours, theirs):
        assert g_ours is not None, f"no gradient reaches {name}: is it detached somewhere?"
        close(g_ours, g_theirs, 1e-10, f"the gradient with respect to {name}")


@TASK1
def test_the_future_does_not_change_the_past():
    q = randn(B, H, 4, D, seed=11)  # positions 2..5 of 6
    k, v = (randn(B, H, 6, D, seed=s) for s in (12, 13))
    with no_shortcuts(1):
        out, _ = causal_attention(q, k, v)
        k2, v2 = k.clone(), v.clone()
        k2[..., 4:, :] += 1.0  # change positions 4 and 5
        v2[..., 4:, :] += 1.0
        out2, _ = causal_attention(q, k2, v2)
    assert torch.equal(out[..., :2, :], out2[..., :2, :]), \
        ("changing the keys and values of positions 4 and 5 changed the outputs of the queries at positions 2 and 3: "
         "they must not see the future (the 4 queries are the last 4 of the 6 positions)")


# ----- Task 2


def explain_cache(cache, expected_shape, what, past=None):
    """The first thing wrong with a returned (keys, values) cache, as a message; None when its shape is right."""
    if cache is None:
        return f"{what} is None: return the cache, (keys, values), with the new positions appended"
    if not isinstance(cache, (tuple, list)) or len(cache) != 2:
        return f"{what} must be a pair (keys, values), got {type(cache).__name__}"
    keys = cache[0]
    if not isinstance(keys, torch.Tensor):
        return f"{what}: the keys must be a tensor, got {type(keys).__name__}"
    got, (b, h, t, d) = tuple(keys.shape), expected_shape
    if got == expected_shape:
        return None
    if past is not None and got == tuple(past[0].shape) and torch.equal(keys, past[0]):
        return (f"{what} is the past you were given, {got}: the cache must grow by the new positions "
                f"(expected {expected_shape})")
    # joined along another axis: with as many cached positions as new ones, that axis doubles
    wrong_axis = {(b, 2 * h, t // 2, d): "the head axis (dim 1)", (b, h, t // 2, 2 * d): "the feature axis (dim -1)",
                  (2 * b, h, t // 2, d): "the batch axis (dim 0)"}
    if t % 2 == 0 and got in wrong_axis:
        where = wrong_axis[got]
        return (f"{what}: keys of shape {got}, expected (B, H, T_past + T, d) = {expected_shape}: you appended "
                f"along {where}; the positions are the time axis, dim -2")
    return f"{what}: keys of shape {got}, expected (B, H, T_past + T, d) = {expected_shape}"


@TASK2
def test_append_kv():
    past = (randn(B, H, 3, D, seed=20), randn(B, H, 3, D, seed=21))
    k, v = randn(B, H, 2, D, seed=22), randn(B, H, 2, D, seed=23)
    kept = [t.clone() for t in (*past, k, v)]
    with no_shortcuts(2):
        first = append_kv(None, k, v)
        problem = explain_cache(first, (B, H, 2, D), "append_kv(None, k, v)")
        assert problem is None, problem
        assert torch.equal(first[0], k) and torch.equal(first[1], v), \
            "with no past, the cache is the new keys and values themselves, (k, v)"
        two = (past[0][..., :2, :], past[1][..., :2, :])
        even = append_kv(two, k, v)
        problem = explain_cache(even, (B, H, 4, D), "append_kv of 2 cached and 2 new positions", two)
        assert problem is None, problem
        try:
            keys, values = append_kv(past, k, v)
        except NotImplementedError:
            raise
        except RuntimeError as err:
            raise AssertionError(f"append_kv of 3 cached and 2 new positions raised {err!s:.120}: positions of "
                                 "different counts can only be joined along the time axis, dim -2") from None
    problem = explain_cache((keys, values), (B, H, 5, D), "append_kv of 3 cached and 2 new positions", past)
    assert problem is None, problem
    if torch.equal(keys[..., :2, :], k):
        raise AssertionError("the new keys come first in your cache: the past first, then the new positions")
    assert torch.equal(keys[..., :3, :], past[0]) and torch.equal(keys[..., 3:, :], k), \
        "the keys must be the past's 3 positions, then the 2 new ones, unchanged"
    assert torch.equal(values[..., :3, :], past[1]) and torch.equal(values[..., 3:, :], v), \
        "the values must be the past's 3 positions, then the 2 new ones, unchanged (values from v, keys from k)"
    for before, after, name in zip(kept, (*past, k, v), ("the past keys", "the past values", "k", "v")):
        assert torch.equal(before, after), f"append_kv changed {name} it was given: return new tensors"


def week7_pair(seed):
    """Week 7's CausalSelfAttention (the reference) and yours, with the same perturbed weights."""
    from aimastery.attention import CausalSelfAttention

    torch.manual_seed(seed)
    ref = CausalSelfAttention(E, H).double().eval()
    noise = gen(seed + 1)
    with torch.no_grad():
        for p in ref.parameters():
            p.add_(0.3 * torch.randn(p.shape, generator=noise, dtype=torch.float64))
    ours = CachedSelfAttention(E, H).double().eval()
    ours.load_state_dict(ref.state_dict())  # the same names: c_attn.*, c_proj.*
    return ours, ref


@TASK2
def test_attention_without_a_cache_matches_week7():
    ours, ref = week7_pair(30)
    x = randn(B, 6, E, seed=31)
    with torch.no_grad(), no_shortcuts(2):
        out, present = ours(x)
    expected, (ref_k, ref_v) = ref(x)
    close(out, expected, 1e-10, "CachedSelfAttention on 6 positions without a cache",
          reference="Week 7's CausalSelfAttention (c_attn gives queries, keys, values in that order)")
    problem = explain_cache(present, (B, H, 6, D), "the present of 6 positions without a past")
    assert problem is None, problem
    close(present[0], ref_k, 1e-12, "the present's keys", reference="Week 7's")
    close(present[1], ref_v, 1e-12, "the present's values", reference="Week 7's")


@TASK2
@pytest.mark.parametrize("pieces", [(3, 1, 1, 1), (3, 2, 1), (1, 1, 1, 1, 1, 1)], ids=lambda p: "+".join(map(str, p)))
def test_feeding_in_pieces_equals_feeding_the_whole(pieces):
    ours, ref = week7_pair(32)
    x = randn(B, sum(pieces), E, seed=33)
    with torch.no_grad():
        whole, _ = ref(x)
        past, start = None, 0
        with no_shortcuts(2):
            for size in pieces:
                try:
                    out, present = ours(x[:, start:start + size], past)
                except NotImplementedError:  # a stub: the report says so
                    raise
                except (RuntimeError, ValueError) as err:
                    raise AssertionError(f"feeding {size} new positions with a cache of {start} raised {err!s:.120} "
                                         "(test_append_kv says more)") from None
                what = f"the present after positions 0..{start + size - 1} (fed {start} cached + {size} new)"
                problem = explain_cache(present, (B, H, start + size, D), what, past)
                assert problem is None, problem
                err = max_err(out, whole[:, start:start + size]) if out.shape == (B, size, E) else math.inf
                assert err <= 1e-10, (
                    f"the outputs of positions {start}..{start + size - 1}, fed with the cache of the {start} before, "
                    f"differ from feeding all {sum(pieces)} positions at once by up to {err:.2e}: the new queries "
                    "attend to the cached keys and to their own, with the mask lined up with the last keys")
                past, start = present, start + size


@pytest.fixture(scope="module")
def tiny_gpt2():
    """transformers' GPT2LMHeadModel with perturbed weights, and Week 8's GPT with the same weights (Week 7's
    attention inside): the references for generation."""
    import transformers
    from transformers import GPT2Config, GPT2LMHeadModel

    from aimastery.gpt.model import GPT, GPTConfig

    transformers.logging.set_verbosity_error()
    config = GPT2Config(vocab_size=V, n_positions=32, n_embd=E, n_layer=2, n_head=H, resid_pdrop=0.0,
                        embd_pdrop=0.0, attn_pdrop=0.0, bos_token_id=0, eos_token_id=None, pad_token_id=0,
                        attn_implementation="eager")
    torch.manual_seed(1)
    hf = GPT2LMHeadModel(config).double().eval()
    noise = gen(1)
    with torch.no_grad():  # a fresh model's zero biases and unit LayerNorms hide mistakes; it also repeats itself
        for p in hf.parameters():
            p.add_(0.5 * torch.randn(p.shape, generator=noise, dtype=torch.float64))
    ours = GPT(GPTConfig(vocab_size=V, block_size=32, n_layer=2, n_head=H, n_embd=E)).double().eval()
    conv1d = ("c_attn.weight", "c_proj.weight", "c_fc.weight")  # GPT-2's Conv1D stores (in, out)
    ours.load_state_dict({name: t.T if name.endswith(conv1d) else t for name, t in hf.state_dict().items()
                          if name != "lm_head.weight"})  # lm_head is tied to wte
    prompt = torch.tensor([[1, 2, 3, 4], [5, 6, 7, 8]])
    with torch.no_grad():
        assert max_err(ours(prompt)[0], hf(prompt).logits) < 1e-10, "the test's own weight mapping is wrong"
    return hf, ours, prompt


def with_your_attention(model):
    """A copy of Week 8's GPT whose every attention layer is your CachedSelfAttention, same weights."""
    model = copy.deepcopy(model)
    for block in model.transformer.h:
        yours = CachedSelfAttention(E, H).double().eval()
        yours.load_state_dict(block.attn.state_dict())
        block.attn = yours
    return model


def greedy_without_cache(model, idx, n):
    """The slow reference: the whole sequence through the model at every step."""
    with torch.no_grad():
        for _ in range(n):
            idx = torch.cat([idx, model(idx)[0][:, -1].argmax(-1, keepdim=True)], dim=1)
    return idx


class Recorder(nn.Module):
    """A model that checks what each call is fed, as it comes: the prompt with no cache first, then the newest
    token alone, (B, 1), with the cache of every position before it."""

    def __init__(self, model, prompt_shape):
        super().__init__()
        self.model, self.prompt_shape, self.calls = model, prompt_shape, 0

    def forward(self, idx, past=None):
        self.calls += 1
        shape, cached = tuple(idx.shape), None if past is None else past[0][0].shape[-2]
        if self.calls == 1:
            assert shape == self.prompt_shape and cached is None, \
                (f"the first call must feed the whole prompt, {self.prompt_shape}, with no cache; it fed {shape} "
                 f"with {cached} cached positions")
        else:
            assert shape == (self.prompt_shape[0], 1), \
                f"call {self.calls} fed tokens of shape {shape}: with the cache, feed only the newest token, (B, 1)"
            assert cached is not None, f"call {self.calls} passed no cache: pass the presents the model returned"
            expected = self.prompt_shape[1] + self.calls - 2
            assert cached == expected, (f"call {self.calls} passed a cache of {cached} positions, expected "
                                        f"{expected}: pass the presents of the call just before")
        return self.model(idx, past)


@TASK2
def test_generate_feeds_the_newest_token_with_the_cache(tiny_gpt2):
    _, model, prompt = tiny_gpt2  # Week 7's attention inside: only your generate is checked here
    n = 6
    recorder = Recorder(model, tuple(prompt.shape))
    with no_shortcuts(2):
        tokens = generate(recorder, prompt, n)
    assert recorder.calls == n, (f"generate called the model {recorder.calls} times for {n} new tokens, expected "
                                 f"{n}: the prompt once, then once for each new token but the last")
    expected = greedy_without_cache(model, prompt, n)
    assert isinstance(tokens, torch.Tensor) and tokens.shape == expected.shape, \
        f"generate returns (B, T + max_new_tokens) = {tuple(expected.shape)}, got {getattr(tokens, 'shape', tokens)}"
    assert torch.equal(tokens, expected), (f"your tokens {tokens[:, 4:].tolist()} differ from the greedy ones "
                                           f"{expected[:, 4:].tolist()}: the argmax of the LAST position's logits")
    with no_shortcuts(2):
        assert torch.equal(generate(model, prompt, 0), prompt), "max_new_tokens=0 returns the prompt as it is"


@TASK2
def test_greedy_tokens_with_your_cache_match_transformers(tiny_gpt2):
    hf, model, prompt = tiny_gpt2
    n = 16
    theirs = hf.generate(prompt, max_new_tokens=n, do_sample=False)
    assert min(len(set(row[4:].tolist())) for row in theirs) >= 4, "the test's model repeats itself: no test"
    yours = with_your_attention(model)
    try:
        with no_shortcuts(2):
            tokens = generate(yours, prompt, n)
            slow = greedy_without_cache(yours, prompt, n)
    except NotImplementedError:  # a stub: the report says so
        raise
    except (RuntimeError, TypeError, ValueError) as err:
        raise AssertionError(f"generating with your attention and your generate raised {type(err).__name__}: "
                             f"{err!s:.120} (the tests of append_kv, of feeding in pieces and of generate's calls "
                             "say more)") from None
    if not torch.equal(slow, theirs):
        raise AssertionError("with your attention and no cache, the greedy tokens already differ from transformers': "
                             "fix test_attention_without_a_cache_matches_week7 first")
    assert torch.equal(tokens, theirs), (
        f"with your cache, the greedy tokens {tokens[:, 4:].tolist()} differ from transformers' GPT2LMHeadModel."
        f"generate, {theirs[:, 4:].tolist()}, which recomputing the whole sequence gives too: the cache is wrong")


# ----- Task 3


IN, OUT, R, ALPHA = 12, 10, 4, 8.0  # scaling alpha / r = 2: not 1, not alpha


def base_linear(seed=40, dtype=torch.float64):
    torch.manual_seed(seed)
    return nn.Linear(IN, OUT, dtype=dtype)


def lora(base=None, r=R, alpha=ALPHA):
    base = base_linear() if base is None else base
    with no_shortcuts(3):
        return LoRALinear(base, r, alpha)


def trained(layer, seed=41):
    """The layer with a small random lora_B, as after some training (B = 0 would hide every mistake of the update)."""
    with torch.no_grad():
        layer.lora_B.copy_(0.1 * torch.randn(layer.lora_B.shape, generator=gen(seed), dtype=layer.lora_B.dtype))
    return layer


def update_of(layer, scaling, x):
    return (x @ layer.lora_A.T @ layer.lora_B.T) * scaling


def explain_scaling(got, r=R, alpha=ALPHA):
    if not isinstance(got, (int, float)) or isinstance(got, bool):
        return f"missing: set self.scaling = alpha / r, a float (got {got!r})"
    if got == alpha / r:
        return None
    if got == alpha:
        return f"scaled by alpha = {alpha} instead of alpha / r = {alpha / r}"
    if got == 1:
        return f"not scaled: the update is multiplied by scaling = alpha / r = {alpha / r}"
    if got == r / alpha:
        return f"scaled by r / alpha = {r / alpha}: it is alpha / r = {alpha / r}"
    return f"scaled by {got}, expected alpha / r = {alpha / r}"


@TASK3
def test_lora_starts_as_its_base():
    base = base_linear()
    layer = lora(base)
    assert layer.base is base, "keep the nn.Linear you were given as self.base (the tests and merge() use it)"
    for name, p in base.named_parameters():
        assert not p.requires_grad, f"base.{name} still requires grad: freeze every parameter of base"
    for name, shape in (("lora_A", (R, IN)), ("lora_B", (OUT, R))):
        p = getattr(layer, name, None)
        assert isinstance(p, nn.Parameter), f"{name} must be an nn.Parameter, got {type(p).__name__}"
        assert tuple(p.shape) == shape, f"{name} is {shape} = ({'r, in' if name == 'lora_A' else 'out, r'}), " \
                                        f"got {tuple(p.shape)}"
        assert p.dtype == base.weight.dtype, f"{name} has dtype {p.dtype}; base.weight's is {base.weight.dtype}"
    assert (layer.lora_B == 0).all(), ("lora_B is not all zeros: B starts at zero, so that B A = 0 and the layer "
                                       "starts as exactly its base")
    assert (layer.lora_A != 0).any(), ("lora_A is all zeros: with B = 0 too, no gradient would ever reach either "
                                       "(A starts random)")
    problem = explain_scaling(getattr(layer, "scaling", None))
    assert problem is None, f"layer.scaling: {problem}"
    x = randn(3, IN, seed=42)
    with torch.no_grad():
        assert torch.equal(layer(x), base(x)), "at initialisation, LoRALinear(base)(x) must equal base(x) exactly"
    for args, why in (((base, 0, ALPHA), "r = 0"), ((base, 2.5, ALPHA), "r = 2.5"), ((base, R, 0.0), "alpha = 0"),
                      ((nn.Conv1d(2, 2, 1), R, ALPHA), "a Conv1d")):
        with must_raise(ValueError, f"LoRALinear with {why}"):
            LoRALinear(*args)


@TASK3
def test_only_A_and_B_train():
    layer = lora()
    trainable = {name: p.numel() for name, p in layer.named_parameters() if p.requires_grad}
    assert set(trainable) == {"lora_A", "lora_B"}, (f"the trainable parameters are {sorted(trainable)}; "
                                                    "expected lora_A and lora_B only (base is frozen)")
    count = sum(trainable.values())
    assert count == R * (IN + OUT), f"{count} trainable numbers, expected r (in + out) = {R} x {IN + OUT}"


@TASK3
def test_forward_adds_the_scaled_update():
    layer = trained(lora())
    x = randn(2, 3, IN, seed=43)  # any leading dimensions
    with torch.no_grad(), no_shortcuts(3):
        y = layer(x)
        base_y = layer.base(x)
    assert y.shape == (2, 3, OUT), f"(..., in) = (2, 3, {IN}) gives (2, 3, {OUT}), got {tuple(y.shape)}"
    assert max_err(y, base_y) > 1e-6, ("with a non-zero lora_B, LoRALinear(x) still equals base(x): forward adds "
                                       "scaling * x A^T B^T (and lora_A starts random, not zero)")
    for scaling in (ALPHA / R, 1.0, ALPHA, R / ALPHA):
        if max_err(y, base_y + update_of(layer, scaling, x)) < 1e-10:
            problem = explain_scaling(scaling)
            assert problem is None, f"your update x A^T B^T is {problem}"
    close(y, base_y + update_of(layer, ALPHA / R, x), 1e-10, "LoRALinear(x)",
          reference="base(x) + alpha / r * x A^T B^T")


@TASK3
def test_the_first_step_trains_B_only_then_both():
    layer = lora()
    x, g = randn(5, IN, seed=44), randn(5, OUT, seed=45)
    with no_shortcuts(3):
        (layer(x) * g).sum().backward()
    for name, p in layer.base.named_parameters():
        assert p.grad is None, f"a gradient reached base.{name}: base is frozen"
    A, B_ = layer.lora_A, layer.lora_B
    assert A.grad is not None and B_.grad is not None, "no gradient reached lora_A or lora_B: does forward use them?"
    assert (A.grad == 0).all(), ("lora_A got a gradient at the first step; with lora_B = 0 it is exactly zero "
                                 "(dL/dA has a factor B): does lora_B start at zero?")
    assert (B_.grad != 0).any(), ("lora_B got no gradient at the first step: dL/dB has a factor x A^T, so lora_A "
                                  "must start random, not zero")
    expected = ALPHA / R * g.T @ (x @ A.detach().T)  # (out, r)
    for scaling in (1.0, ALPHA, R / ALPHA):
        if max_err(B_.grad, expected * scaling * R / ALPHA) < 1e-10:
            raise AssertionError(f"lora_B's gradient is that of an update {explain_scaling(scaling)}")
    close(B_.grad, expected, 1e-10, "lora_B's gradient at the first step", reference="alpha / r * g^T (x A^T)")
    torch.optim.SGD([A, B_], lr=0.1).step()  # one step: B is not zero any more
    A.grad = B_.grad = None
    (layer(x) * g).sum().backward()
    assert (A.grad != 0).any(), "after one step lora_B is not zero, so lora_A's gradient must not be zero either"
    assert (B_.grad != 0).any(), "after one step lora_B still gets a gradient"


@TASK3
def test_merge_and_unmerge():
    layer = trained(lora(base_linear(dtype=torch.float32)))  # float32, as a model is served
    x = torch.randn(6, IN, generator=gen(46))
    w0 = layer.base.weight.detach().clone()
    with torch.no_grad(), no_shortcuts(3):
        before = layer(x)
        layer.merge()
        merged = layer(x)
    delta = layer.lora_B.detach() @ layer.lora_A.detach()  # (out, in)
    w = layer.base.weight.detach()
    assert layer.merged is True, "after merge(), layer.merged must be True"
    assert not layer.base.weight.requires_grad, "after merge(), base.weight must still be frozen"
    if (delta == 0).all():
        raise AssertionError("B A is zero although lora_B was set at random: lora_A is zero (it starts random)")
    if max_err(w, w0) == 0:
        raise AssertionError("merge() left base.weight unchanged: add scaling * B A to it")
    for scaling in (1.0, ALPHA, R / ALPHA):
        if max_err(w, w0 + scaling * delta) < 1e-6:
            raise AssertionError(f"merge() added an update {explain_scaling(scaling)}")
    close(w, w0 + ALPHA / R * delta, 1e-6, "base.weight after merge()", reference="W + alpha / r * B A")
    if max_err(merged, before + update_of(layer, ALPHA / R, x)) < 1e-5:
        raise AssertionError("once merged, forward added the update again: base.weight holds it now")
    close(merged, before, 1e-6, "the merged layer's output", reference="the unmerged layer's")
    with must_raise(ValueError, "merge() of a layer merged already (it would add the update twice)"):
        layer.merge()
    with torch.no_grad(), no_shortcuts(3):
        layer.unmerge()
        after = layer(x)
    assert layer.merged is False, "after unmerge(), layer.merged must be False"
    if max_err(layer.base.weight, w0) > 1e-6 and max_err(layer.base.weight, w) < 1e-6:
        raise AssertionError("unmerge() left the update in base.weight: subtract what merge() added")
    close(layer.base.weight.detach(), w0, 1e-6, "base.weight after merge() then unmerge()",
          reference="the weight before merge()")
    close(after, before, 1e-6, "the output after merge() then unmerge()", reference="the output before")
    with must_raise(ValueError, "unmerge() of a layer that is not merged"):
        layer.unmerge()
