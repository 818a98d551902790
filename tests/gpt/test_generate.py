"""Week 8's generation: the KV cache changes the work, never the tokens; the attention weights it records."""

import math

import numpy as np
import pytest
import torch

from aimastery import sampling
from aimastery.gpt.generate import attention_in_generation, cache_speedup, generate
from aimastery.gpt.model import GPT, GPTConfig
from aimastery.testing import one_torch_thread  # noqa: F401 (autouse: small tensors, one thread)

CONFIG = GPTConfig(vocab_size=40, block_size=16, n_layer=2, n_head=2, n_embd=32)
PROMPT = [1, 2, 3]
N_NEW = 40  # well past block_size: the cache is re-prefilled from step 14 on
SETTINGS = [dict(temperature=1.0), dict(temperature=0.7), dict(temperature=1.3, top_k=5),
            dict(top_p=0.9), dict(temperature=0.8, top_k=8, top_p=0.8)]


@pytest.fixture(scope="module")
def model():
    """A GPT with noise on every weight: a fresh one gives near-uniform logits and repeats one token.

    The token embeddings get equal norms, so that no token wins the tied output layer by its size alone.
    """
    torch.manual_seed(0)
    gpt = GPT(CONFIG)
    g = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for p in gpt.parameters():
            p.add_(0.3 * torch.randn(p.shape, generator=g))
        wte = gpt.transformer.wte.weight
        wte.div_(wte.norm(dim=1, keepdim=True))
    return gpt.eval()


def reference(model, prompt, n, choose):
    """The plainest loop: the whole (cropped) context through the model for every token."""
    ids = list(prompt)
    with torch.no_grad():
        for _ in range(n):
            logits, _ = model(torch.tensor([ids[-model.config.block_size:]]))
            ids.append(int(choose(logits[0, -1].numpy())))
    return ids


def test_cached_steps_give_the_full_recomputation_logits(model):
    ids = torch.randint(0, CONFIG.vocab_size, (2, CONFIG.block_size), generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        full, _ = model(ids)  # (2, T, V)
        step, past = model(ids[:, :5])
        steps = [step]
        for t in range(5, ids.shape[1]):
            step, past = model(ids[:, t:t + 1], past=past)
            steps.append(step)
    assert (torch.cat(steps, dim=1) - full).abs().max() < 1e-5


@pytest.mark.parametrize("use_cache", [True, False])
def test_greedy_matches_the_plain_loop_past_block_size(model, use_cache):
    ours = generate(model, PROMPT, N_NEW, greedy=True, use_cache=use_cache)
    assert ours.shape == (len(PROMPT) + N_NEW,) and ours.dtype == torch.long
    expected = reference(model, PROMPT, N_NEW, sampling.greedy)
    assert ours.tolist() == expected
    assert len(set(expected[len(PROMPT):])) >= 4, "a degenerate model: the test would prove little"


@pytest.mark.parametrize("settings", SETTINGS, ids=lambda s: ",".join(f"{k}={v}" for k, v in s.items()))
def test_seeded_sampling_is_the_same_with_and_without_the_cache(model, settings):
    cached = generate(model, PROMPT, N_NEW, rng=np.random.default_rng(7), **settings)
    uncached = generate(model, PROMPT, N_NEW, rng=np.random.default_rng(7), use_cache=False, **settings)
    rng = np.random.default_rng(7)
    expected = reference(model, PROMPT, N_NEW, lambda logits: sampling.sample(logits, rng, **settings))
    assert cached.tolist() == uncached.tolist() == expected
    assert generate(model, PROMPT, N_NEW, rng=7, **settings).tolist() == expected  # an int seed is a Generator
    other = generate(model, PROMPT, N_NEW, rng=np.random.default_rng(8), **settings)
    assert other.tolist() != expected, "another seed should give other text"


def test_a_batch_and_a_long_prompt(model):
    prompts = torch.tensor([[1, 2, 3, 4], [9, 8, 7, 6]])
    batch = generate(model, prompts, 20, greedy=True)
    assert batch.shape == (2, 24)
    for row, prompt in zip(batch, prompts):
        assert row.tolist() == generate(model, prompt, 20, greedy=True).tolist()
    long = list(range(30))  # longer than block_size: only the last 16 tokens are seen
    out = generate(model, long, 10, greedy=True)
    assert out[:30].tolist() == long
    assert out[30:].tolist() == generate(model, long[-16:], 10, greedy=True)[16:].tolist()
    assert generate(model, PROMPT, 0, greedy=True).tolist() == PROMPT


def test_mode_is_restored(model):
    model.train()
    try:
        a = generate(model, PROMPT, 5, greedy=True)
        assert model.training
    finally:
        model.eval()
    assert a.tolist() == generate(model, PROMPT, 5, greedy=True).tolist()


@pytest.mark.parametrize("prompt, n, kwargs, message", [
    ([], 3, dict(greedy=True), "empty"),
    (torch.zeros(2, 0, dtype=torch.long), 3, dict(greedy=True), "empty"),
    ([1, 40], 3, dict(greedy=True), r"token id 40 .*\[0, 39\]"),
    ([-1, 2], 3, dict(greedy=True), r"token id -1"),
    (torch.tensor([1.0, 2.0]), 3, dict(greedy=True), "integer token ids"),
    (torch.zeros(1, 1, 2, dtype=torch.long), 3, dict(greedy=True), r"\(T,\) or a batch"),
    ([1, 2], -1, dict(greedy=True), "max_new_tokens must be an integer >= 0"),
    ([1, 2], 2.5, dict(greedy=True), "max_new_tokens"),
    ([1, 2], 3, dict(), "rng=np.random.default_rng"),
    ([1, 2], 3, dict(rng=0, temperature=0.0), "temperature must be > 0"),
    ([1, 2], 3, dict(rng=0, top_k=0), "top-k"),
    ([1, 2], 3, dict(rng=0, top_p=1.5), "top-p"),
])
def test_bad_input_is_refused(model, prompt, n, kwargs, message):
    with pytest.raises(ValueError, match=message):
        generate(model, prompt, n, **kwargs)


def full_attention(model, ids):
    """Every layer's (H, T, T) causal attention of one sequence, recomputed by hand from the weights."""
    tr, H = model.transformer, model.config.n_head
    T, E = len(ids), model.config.n_embd
    d = E // H
    weights = []
    with torch.no_grad():
        x = tr.wte(torch.tensor([ids])) + tr.wpe(torch.arange(T))  # (1, T, E)
        for block in tr.h:
            q, k, _ = block.attn.c_attn(block.ln_1(x)).split(E, dim=-1)  # (1, T, E) each
            q, k = (t.view(T, H, d).transpose(0, 1) for t in (q, k))  # (H, T, d)
            scores = (q @ k.transpose(1, 2) / math.sqrt(d)).masked_fill(~torch.ones(T, T).tril().bool(), -math.inf)
            weights.append(scores.softmax(-1))  # (H, T, T)
            x, _ = block(x)
    return weights


@pytest.mark.parametrize("n_new", [10, 24])  # within block_size, and past it (a cropped window)
def test_attention_in_generation_is_what_the_model_used(model, n_new):
    rec = attention_in_generation(model, PROMPT, n_new, rng=np.random.default_rng(3), temperature=0.9)
    assert rec.ids == generate(model, PROMPT, n_new, rng=np.random.default_rng(3), temperature=0.9).tolist()
    assert rec.new_ids == rec.ids[3:] and len(rec.weights) == n_new
    L, H = CONFIG.n_layer, CONFIG.n_head
    for s, (w, start) in enumerate(zip(rec.weights, rec.context_start)):
        T_ctx = min(len(PROMPT) + s, CONFIG.block_size)
        assert w.shape == (L, H, T_ctx) and start == len(PROMPT) + s - T_ctx
        np.testing.assert_allclose(w.sum(-1), 1.0, atol=1e-6)
        window = rec.ids[start:start + T_ctx]  # what the model saw when it chose new_ids[s]
        expected = np.stack([a[:, -1].numpy() for a in full_attention(model, window)])  # (L, H, T_ctx)
        np.testing.assert_allclose(w, expected, atol=1e-6)
    grid = rec.padded()  # (steps, L, H, len(ids) - 1)
    assert grid.shape == (n_new, L, H, len(rec.ids) - 1)
    np.testing.assert_allclose(np.nansum(grid, -1), 1.0, atol=1e-6)
    assert np.isnan(grid[0, ..., len(PROMPT):]).all()  # the first step saw the prompt only
    one = attention_in_generation(model, PROMPT, n_new, rng=np.random.default_rng(3), temperature=0.9, layer=1)
    assert one.ids == rec.ids and all(np.array_equal(a, b[1]) for a, b in zip(one.weights, rec.weights))


def test_attention_in_generation_refuses_bad_input(model):
    with pytest.raises(ValueError, match="layer"):
        attention_in_generation(model, PROMPT, 3, greedy=True, layer=2)
    with pytest.raises(ValueError, match="one prompt"):
        attention_in_generation(model, [PROMPT, PROMPT], 3, greedy=True)


def test_cache_speedup_rows(model):
    rows = cache_speedup(model, [8, 16, 24], prompt_length=2)
    assert [r["length"] for r in rows] == [8, 16, 24] and [r["new_tokens"] for r in rows] == [6, 14, 22]
    for r in rows:
        assert r["cache_s_per_token"] > 0 and r["no_cache_s_per_token"] > 0 and r["same_tokens"]
        assert r["speedup"] == pytest.approx(r["no_cache_s_per_token"] / r["cache_s_per_token"])
    with pytest.raises(ValueError, match="exceed prompt_length"):
        cache_speedup(model, [2], prompt_length=2)
