"""Generating text with the GPT, one token at a time: with a KV cache and without.

Taught in Week 8 (book/week08_gpt.md). A GPT gives next-token logits for
every position; generating is a loop: run the model, choose the next token
from the last position's logits (Week 6's :mod:`aimastery.sampling`: greedy,
temperature, top-k, top-p, drawn with a seeded ``numpy.random.Generator``),
append it, repeat.

**Without the cache** every step runs the model on the whole context again:
step t costs a forward pass over t positions, so n tokens cost O(n^2)
position-passes. **With the cache** the prompt is run once (the *prefill*)
and each layer keeps its keys and values; every later step feeds only the
newest token with ``past`` and attends to the cached keys: one position per
step. The tokens are the same either way (the tests check it); only the
work differs (:func:`cache_speedup` measures it).

**Past block_size.** The model has ``block_size`` position embeddings, so
the context is cropped to the last ``block_size`` tokens. Without the cache
that is just a slice. With the cache it is not: the cached keys were made
with *absolute* positions (token 5 was embedded with ``wpe[5]``), and after
cropping that token sits at position 4, so the cache cannot slide by
dropping its oldest entry. Once the cache is full, every step *re-prefills*
the cropped window (one full forward pass over ``block_size`` positions,
exactly what the uncached loop does), so past ``block_size`` the cache saves
nothing, and the two loops still give the same tokens.

:func:`attention_in_generation` records, for every generated token, the
attention weights of every layer and head over the context the model saw at
that step (for the attention-in-generation plot).

A caveat for tests and demos: a freshly initialised GPT (zero biases, unit
LayerNorm weights, small random weights) gives almost uniform, degenerate
logits and collapses to a few tokens, so "the same tokens with and without
the cache" proves little on it. Perturb the weights, or train first.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from aimastery import sampling
from aimastery.attention import causal_mask, scaled_dot_product_attention, split_heads
from aimastery.gpt.model import GPT
from aimastery.threads import one_thread


def _as_ids(model: GPT, idx) -> tuple[Tensor, bool]:
    """A prompt (a sequence of ints, a (T,) or (B, T) integer tensor) as (B, T) int64, and whether it was 1-D."""
    ids = torch.as_tensor(idx) if not isinstance(idx, Tensor) else idx
    if ids.numel() == 0:
        raise ValueError(f"the prompt is empty (shape {tuple(ids.shape)}): give at least one token id to start from")
    if ids.dtype.is_floating_point or ids.dtype.is_complex or ids.dtype == torch.bool:
        raise ValueError(f"the prompt must hold integer token ids, got dtype {ids.dtype}")
    if ids.ndim not in (1, 2):
        raise ValueError(f"the prompt is a sequence of ids (T,) or a batch (B, T), got shape {tuple(ids.shape)}")
    one_d = ids.ndim == 1
    ids = ids.reshape(1, -1) if one_d else ids
    V = model.config.vocab_size
    lo, hi = int(ids.min()), int(ids.max())
    if lo < 0 or hi >= V:
        bad = lo if lo < 0 else hi
        raise ValueError(f"token id {bad} is outside the vocabulary: ids must lie in [0, {V - 1}]")
    return ids.to(torch.long).to(model.transformer.wte.weight.device), one_d


def _chooser(temperature, top_k, top_p, greedy, rng):
    """The rule that turns a (B, V) tensor of logits into (B,) next ids: Week 6's sampling functions."""
    if greedy:
        return lambda logits: torch.as_tensor(np.atleast_1d(sampling.greedy(logits.float().cpu().numpy())))
    if rng is None:
        raise ValueError("sampling needs rng=np.random.default_rng(seed) (a seeded generator), or greedy=True")
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        rng = np.random.default_rng(int(rng))
    sampling.next_token_probs(np.zeros(2), temperature, top_k, top_p)  # refuses bad settings before any work
    return lambda logits: torch.as_tensor(np.atleast_1d(sampling.sample(
        logits.float().cpu().numpy(), rng, temperature=temperature, top_k=top_k, top_p=top_p)))


def _check_count(max_new_tokens) -> int:
    if isinstance(max_new_tokens, bool) or not isinstance(max_new_tokens, (int, np.integer)) or max_new_tokens < 0:
        raise ValueError(f"max_new_tokens must be an integer >= 0, got {max_new_tokens!r}")
    return int(max_new_tokens)


@torch.no_grad()
def _loop(model: GPT, ids: Tensor, n: int, choose, use_cache: bool) -> Tensor:
    """ids (B, T) -> (B, T + n): one forward pass and one choice per new token."""
    block = model.config.block_size
    past = None
    for _ in range(n):
        if use_cache and past is not None and past[0][0].shape[-2] < block:
            logits, past = model(ids[:, -1:], past=past)  # the newest token only: (B, 1, V)
        else:  # the first step, every step without the cache, and a re-prefill once the cache is full
            logits, past = model(ids[:, -block:])  # (B, min(T, block), V)
        next_id = choose(logits[:, -1]).to(ids.device)  # (B,)
        ids = torch.cat([ids, next_id.view(-1, 1)], dim=1)  # (B, T + 1)
    return ids


def generate(model: GPT, idx, max_new_tokens: int, *, temperature: float = 1.0, top_k: int | None = None,
             top_p: float | None = None, greedy: bool = False, rng: np.random.Generator | int | None = None,
             use_cache: bool = True) -> Tensor:
    """The prompt followed by ``max_new_tokens`` generated ids.

    ``idx`` is a sequence of ids or an integer tensor (T,) or (B, T); the
    result has the same rank: (T + n,) or (B, T + n), int64. ``greedy=True``
    takes the argmax (``temperature``, ``top_k``, ``top_p`` and ``rng`` are
    then unused); otherwise each token is drawn with
    :func:`aimastery.sampling.sample` and ``rng`` (a seeded
    ``numpy.random.Generator``, or an int seed), so a seed gives the same text
    with and without the cache. ``use_cache=False`` recomputes the whole
    context every step. The model runs in evaluation mode (its mode is
    restored afterwards).
    """
    n = _check_count(max_new_tokens)
    ids, one_d = _as_ids(model, idx)
    choose = _chooser(temperature, top_k, top_p, greedy, rng)
    was_training = model.training
    model.eval()
    try:
        out = _loop(model, ids, n, choose, use_cache)
    finally:
        model.train(was_training)
    return out[0] if one_d else out


def cache_speedup(model: GPT, lengths: Sequence[int], *, prompt_length: int = 1, repeats: int = 1,
                  seed: int = 0) -> list[dict]:
    """Seconds per generated token with and without the KV cache, for each total length.

    For every length L (prompt included) a seeded random prompt of
    ``prompt_length`` ids is extended greedily to L tokens both ways, one
    right after the other (so the ratio compares like with like on a busy
    machine); the best of ``repeats`` runs counts. Each row:
    ``{"length", "new_tokens", "cache_s_per_token", "no_cache_s_per_token",
    "speedup", "same_tokens"}``. Past ``block_size`` the speedup falls
    towards 1 (the cache is re-prefilled every step, see the module's text).
    It runs on one thread (:func:`aimastery.threads.one_thread`): a small
    model's one-token steps only wait for a second thread, and on a busy
    2-core machine two threads made one measurement 30 times slower in total.
    """
    lengths = [int(L) for L in lengths]
    if not lengths or min(lengths) <= prompt_length or prompt_length < 1:
        raise ValueError(f"every length must exceed prompt_length={prompt_length} >= 1, got lengths {lengths}")
    if repeats < 1:
        raise ValueError(f"repeats must be >= 1, got {repeats}")
    prompt = np.random.default_rng(seed).integers(0, model.config.vocab_size, size=(1, prompt_length))
    with one_thread():
        return _time_generation(model, torch.as_tensor(prompt), lengths, repeats)


def _time_generation(model: GPT, prompt: Tensor, lengths: list[int], repeats: int) -> list[dict]:
    prompt_length = prompt.shape[1]
    generate(model, prompt, 2, greedy=True)  # warm-up: the first call pays for allocations
    generate(model, prompt, 2, greedy=True, use_cache=False)
    rows = []
    for L in lengths:
        n = L - prompt_length
        best, out = {}, {}
        for use_cache in (True, False) * repeats:
            start = time.perf_counter()
            out[use_cache] = generate(model, prompt, n, greedy=True, use_cache=use_cache)
            seconds = time.perf_counter() - start
            best[use_cache] = min(best.get(use_cache, seconds), seconds)
        rows.append(dict(length=L, new_tokens=n, cache_s_per_token=best[True] / n,
                         no_cache_s_per_token=best[False] / n, speedup=best[False] / best[True],
                         same_tokens=bool(torch.equal(out[True], out[False]))))
    return rows


@dataclass
class GenerationAttention:
    """What :func:`attention_in_generation` saw: the ids, and each step's attention over its context.

    ``weights[s]`` belongs to the forward pass that chose ``new_ids[s]``: the
    attention of the last context position (the query) over the context
    ``ids[context_start[s] : context_start[s] + context_lengths[s]]``, shape
    (L, H, T_ctx), or (H, T_ctx) when one ``layer`` was asked for.
    """

    ids: list[int]  # the prompt and the generated tokens
    prompt_length: int
    weights: list[np.ndarray]  # one per generated token: (L, H, T_ctx) or (H, T_ctx)
    context_start: list[int]  # where each step's context starts in ids (> 0 once past block_size)

    @property
    def new_ids(self) -> list[int]:
        return self.ids[self.prompt_length:]

    @property
    def context_lengths(self) -> list[int]:
        return [w.shape[-1] for w in self.weights]

    def padded(self) -> np.ndarray:
        """(steps, [L,] H, len(ids) - 1): column j is token j; NaN where a step did not see it."""
        steps = len(self.weights)
        shape = self.weights[0].shape[:-1] if steps else ()
        out = np.full((steps, *shape, len(self.ids) - 1), np.nan)
        for s, (w, start) in enumerate(zip(self.weights, self.context_start)):
            out[s, ..., start:start + w.shape[-1]] = w
        return out


def attention_in_generation(model: GPT, prompt_ids, n_new: int, *, rng: np.random.Generator | int | None = None,
                            temperature: float = 1.0, top_k: int | None = None, top_p: float | None = None,
                            greedy: bool = False, layer: int | None = None) -> GenerationAttention:
    """Generate ``n_new`` tokens with the cache and keep every step's attention weights.

    Week 7's ``CausalSelfAttention`` returns its output and the keys and
    values, not its weights, so a forward hook on each layer's attention
    recomputes them from what the layer really used: the queries from its own
    ``c_attn`` applied to its input, the keys it returned (cache included),
    ``softmax(q k^T / sqrt(d))`` for the last query. Nothing in the model
    changes. ``prompt_ids`` is one sequence (T,); the sampling arguments are
    :func:`generate`'s.
    """
    n = _check_count(n_new)
    ids, one_d = _as_ids(model, prompt_ids)
    if not one_d:
        raise ValueError(f"attention_in_generation takes one prompt (T,), got shape {tuple(ids.shape)}")
    blocks = model.transformer.h
    if layer is not None and not (isinstance(layer, int) and -len(blocks) <= layer < len(blocks)):
        raise ValueError(f"layer must be None (all layers) or an index in [0, {len(blocks) - 1}], got {layer!r}")
    layers = range(len(blocks)) if layer is None else [layer % len(blocks)]
    choose = _chooser(temperature, top_k, top_p, greedy, rng)
    seen: list[np.ndarray] = []  # this forward pass's weights, one (H, T_ctx) per recorded layer

    def record(attn, args, kwargs, output):
        x, (k, v) = (args[0] if args else kwargs["x"]), output[1]  # ln_1(...) (1, T, E); (1, H, T_all, d)
        q = split_heads(attn.c_attn(x).split(x.shape[-1], dim=-1)[0], attn.num_heads)  # (1, H, T, d)
        q = q[:, :, -1:]  # the last position's query chooses the next token: (1, H, 1, d)
        _, w = scaled_dot_product_attention(q, k, v, causal_mask(1, k.shape[-2], device=k.device))  # (1, H, 1, Tk)
        seen.append(w[0, :, 0].float().cpu().numpy())  # (H, T_ctx)

    weights, starts = [], []

    def choose_and_keep(logits):
        weights.append(np.stack(seen) if layer is None else seen[0])  # (L, H, T_ctx) or (H, T_ctx)
        seen.clear()
        return choose(logits)

    hooks = [blocks[i].attn.register_forward_hook(record, with_kwargs=True) for i in layers]
    was_training = model.training
    model.eval()
    try:
        out = _loop(model, ids, n, choose_and_keep, use_cache=True)[0].tolist()
    finally:
        for h in hooks:
            h.remove()
        model.train(was_training)
    T0 = ids.shape[1]
    for s, w in enumerate(weights):  # step s saw tokens up to T0 + s - 1, at most block_size of them
        starts.append(T0 + s - w.shape[-1])
    return GenerationAttention(ids=out, prompt_length=T0, weights=weights, context_start=starts)
