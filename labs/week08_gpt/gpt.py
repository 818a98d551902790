"""Lab 8 — the causal mask and masked attention, the KV cache, and a LoRA linear layer.

Conventions:

* a **boolean mask is True where a query may attend** to a key (PyTorch's,
  and Lab 7's);
* keys and values are (B, H, T, d): batch, heads, positions, the features
  of one head. A cache grows along the positions, the **time axis, dim -2**;
* with a cache, the T_q queries are the **last** T_q of the T_k positions
  the keys cover (the first T_k - T_q are the cached past);
* the attention layer keeps GPT-2's names and layout: ``c_attn`` (E -> 3E:
  queries, keys and values side by side, in that order) and ``c_proj``
  (E -> E). A layer's cache is the pair (keys, values), as in Week 7's
  ``CausalSelfAttention`` (``past`` in, ``present`` out); a model's cache is
  one pair per layer;
* LoRA's names are the paper's and peft's: ``lora_A`` (r, in_features),
  ``lora_B`` (out_features, r), ``scaling`` = alpha / r.

Taught in Week 8 (book/week08_gpt.md). ``make lab-check WEEK=08`` tells you
how far you are. Write everything with tensor operations: the tests refuse
``F.scaled_dot_product_attention``, ``nn.MultiheadAttention``, the course's
finished ``aimastery.attention`` and ``aimastery.gpt``, ``transformers`` and
``peft`` (they are what your code is compared with).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

#: One attention layer's cache: (keys, values), each (B, H, T, d).
LayerCache = tuple[Tensor, Tensor]


# ----- Task 1: the causal mask and masked attention


def causal_mask(q_len: int, k_len: int) -> Tensor:
    """(q_len, k_len) bool: True where query i may attend to key j.

    The queries are the last ``q_len`` of the ``k_len`` positions: query i
    stands at position i + (k_len - q_len) and may attend to the keys
    j <= i + (k_len - q_len), itself and everything before it, never the
    future. With q_len == k_len that is the lower triangle.
    """
    if not (isinstance(q_len, int) and isinstance(k_len, int) and 0 < q_len <= k_len):
        raise ValueError(f"causal_mask needs whole numbers 0 < q_len <= k_len (the queries are the last q_len "
                         f"of k_len positions), got q_len={q_len!r}, k_len={k_len!r}")
    # TODO: Draw the grid for q_len = 2, k_len = 5, the query i down and the key j across: the two queries
    #       are positions 3 and 4 of the sequence (0, 1, 2 are in the cache). Which cells may be True?
    # Stuck? One more hint at a time: make lab-check WEEK=08 HINT=2 (in the notebook: check(1, hint=2))
    raise NotImplementedError('Lab 8 · causal_mask in gpt.py: not implemented yet (the TODO just above says what to write)')


def causal_attention(q: Tensor, k: Tensor, v: Tensor) -> tuple[Tensor, Tensor]:
    """Causal scaled dot-product attention, and its weights.

    q (..., T_q, d), k (..., T_k, d), v (..., T_k, d_v), any leading
    dimensions, T_q <= T_k: the queries are the last T_q of the T_k
    positions (Task 2 passes the cached keys before the new ones). Returns
    out (..., T_q, d_v) and weights (..., T_q, T_k): the softmax over the
    keys (the last axis) of q k^T / sqrt(d), masked by
    ``causal_mask(T_q, T_k)``. Each row sums to 1, a key after the query's
    position gets a weight of exactly 0, and gradients flow to q, k and v.
    """
    if q.shape[-1] != k.shape[-1] or k.shape[-2] != v.shape[-2] or q.shape[-2] > k.shape[-2]:
        raise ValueError(f"need q (..., T_q, d), k (..., T_k, d), v (..., T_k, d_v) with T_q <= T_k (the queries "
                         f"are the last T_q positions); got q {tuple(q.shape)}, k {tuple(k.shape)}, "
                         f"v {tuple(v.shape)}")
    # TODO: Lab 7's attention with your causal mask: which two lengths does the mask need here, and where
    #       does it act, on the scores or on the weights?
    # Stuck? One more hint at a time: make lab-check WEEK=08 HINT=2 (in the notebook: check(1, hint=2))
    # Keep the code below the raise: it uses the weights and out you set here.
    raise NotImplementedError('Lab 8 · causal_attention in gpt.py: not implemented yet (the TODO just above says what to write)')
    return out, weights


# ----- Task 2: the KV cache


def split_heads(x: Tensor, n_head: int) -> Tensor:
    """(B, T, E) -> (B, H, T, E // H) (given: you wrote it in Lab 7)."""
    B, T, E = x.shape
    return x.view(B, T, n_head, E // n_head).transpose(1, 2)


def merge_heads(x: Tensor) -> Tensor:
    """(B, H, T, d) -> (B, T, H * d) (given: you wrote it in Lab 7)."""
    B, H, T, d = x.shape
    return x.transpose(1, 2).reshape(B, T, H * d)


def append_kv(past: LayerCache | None, k: Tensor, v: Tensor) -> LayerCache:
    """One layer's cache after T new positions.

    ``past`` is None (nothing cached yet: the prompt) or the (keys, values)
    of the T_past earlier positions, each (B, H, T_past, d); ``k`` and ``v``
    are the new positions' keys and values, each (B, H, T, d). Returns
    (keys, values), each (B, H, T_past + T, d): the past first, then the new
    positions, along the time axis (dim -2). The inputs are not modified.
    """
    # TODO: Which axis of (B, H, T, d) counts the positions? The new positions go after the cached ones along
    #       it, for the keys and for the values; the batch, the heads and d stay as they are.
    # Stuck? One more hint at a time: make lab-check WEEK=08 HINT=2 (in the notebook: check(2, hint=2))
    raise NotImplementedError('Lab 8 · append_kv in gpt.py: not implemented yet (the TODO just above says what to write)')


class CachedSelfAttention(nn.Module):
    """GPT-2's causal self-attention, fed its KV cache.

    ``c_attn`` (E -> 3E) gives each position's query, key and value side by
    side, in that order; ``c_proj`` (E -> E) mixes the heads. The names and
    the layout of Week 7's ``CausalSelfAttention``: the tests load its
    weights into yours.
    """

    def __init__(self, n_embd: int, n_head: int, bias: bool = True):
        super().__init__()
        if n_embd % n_head:
            raise ValueError(f"n_embd={n_embd} is not divisible by n_head={n_head}")
        self.n_embd, self.n_head = n_embd, n_head
        self.c_attn = nn.Linear(n_embd, 3 * n_embd, bias=bias)
        self.c_proj = nn.Linear(n_embd, n_embd, bias=bias)

    def forward(self, x: Tensor, past: LayerCache | None = None) -> tuple[Tensor, LayerCache]:
        """x (B, T, E), the T newest positions; ``past`` this layer's cache of the T_past positions before them,
        or None. Returns out (B, T, E) and ``present``: the cache with these T positions appended, each
        (B, H, T_past + T, d), to pass as ``past`` with the next positions.

        Feeding a sequence in pieces, each with the ``present`` of the pieces before, gives the outputs of
        feeding it whole.
        """
        # TODO: The new positions' queries attend to every key up to their own position: the cached keys and
        #       their own. Only the new positions go through c_attn; the cache already holds the rest.
        # Stuck? One more hint at a time: make lab-check WEEK=08 HINT=2 (in the notebook: check(2, hint=2))
        # Keep the code below the raise: it uses the present and out you set here.
        raise NotImplementedError('Lab 8 · CachedSelfAttention.forward in gpt.py: not implemented yet (the TODO just above says what to write)')
        return out, present


@torch.no_grad()
def generate(model: nn.Module, idx: Tensor, max_new_tokens: int) -> Tensor:
    """Greedy decoding with the KV cache: idx (B, T) int64, the prompts -> (B, T + max_new_tokens).

    ``model(tokens, past)`` returns (logits (B, T_new, V), presents): Week 8's
    GPT (``aimastery.gpt.model.GPT``), whose ``past`` is the ``presents`` of
    the call before (one (keys, values) pair per layer) or None. Run the
    prompt once; then each step feeds only the newest token, (B, 1), with the
    cache. Each new token is the argmax over the vocabulary of the last
    position's logits. The model is called max_new_tokens times.
    """
    if isinstance(max_new_tokens, bool) or not isinstance(max_new_tokens, int) or max_new_tokens < 0:
        raise ValueError(f"max_new_tokens is a whole number >= 0, got {max_new_tokens!r}")
    if idx.ndim != 2 or idx.dtype != torch.long:
        raise ValueError(f"idx is (B, T) int64 token ids, got {tuple(idx.shape)} {idx.dtype}")
    if max_new_tokens == 0:
        return idx
    # TODO: The prompt goes through the model once and fills the cache; after that, only the token just
    #       chosen is new: every earlier position's keys and values are in the cache already.
    # Stuck? One more hint at a time: make lab-check WEEK=08 HINT=2 (in the notebook: check(2, hint=2))
    # Keep the code below the raise: it uses the idx you set here.
    raise NotImplementedError('Lab 8 · generate in gpt.py: not implemented yet (the TODO just above says what to write)')
    return idx


# ----- Task 3: a LoRA linear layer


class LoRALinear(nn.Module):
    """A frozen ``nn.Linear`` and a trainable low-rank update (Hu et al., 2021)::

        y = base(x) + scaling * x A^T B^T,    scaling = alpha / r

    * ``base``: the layer adapted (in_features -> out_features), every one of
      its parameters frozen (``requires_grad`` False): only A and B train;
    * ``lora_A``: ``nn.Parameter`` (r, in_features), random (as nn.Linear
      initialises its weight, which peft does too), never all zeros;
    * ``lora_B``: ``nn.Parameter`` (out_features, r), zeros, so that the new
      layer computes exactly what ``base`` does until it trains;
    * A and B have the dtype and device of ``base.weight``;
    * ``scaling`` (a float) and ``merged`` (a bool) as peft names them.
    """

    def __init__(self, base: nn.Linear, r: int, alpha: float):
        super().__init__()
        if not isinstance(base, nn.Linear):
            raise ValueError(f"LoRALinear adapts an nn.Linear, got {type(base).__name__}")
        if isinstance(r, bool) or not isinstance(r, int) or r < 1:
            raise ValueError(f"the rank r is a whole number >= 1, got {r!r}")
        if not alpha > 0:
            raise ValueError(f"alpha is a number > 0, got {alpha!r}")
        self.base, self.r, self.alpha = base, r, alpha
        self.merged = False
        # TODO: Three things: freeze base, make the two factors (B A has base.weight's shape, out x in), and
        #       the scaling. Which factor starts at zero so that the layer starts as base?
        # Stuck? One more hint at a time: make lab-check WEEK=08 HINT=2 (in the notebook: check(3, hint=2))
        raise NotImplementedError('Lab 8 · LoRALinear.__init__ in gpt.py: not implemented yet (the TODO just above says what to write)')

    def forward(self, x: Tensor) -> Tensor:
        """x (..., in_features) -> (..., out_features): base(x) + scaling * x A^T B^T; once merged, base(x)
        alone (its weight holds the update)."""
        # TODO: The class docstring's formula; the update goes through the small rank r in the middle, never
        #       through an (out, in) matrix. What changes once the update has been merged into base?
        # Stuck? One more hint at a time: make lab-check WEEK=08 HINT=2 (in the notebook: check(3, hint=2))
        # Keep the code below the raise: it uses the out you set here.
        raise NotImplementedError('Lab 8 · LoRALinear.forward in gpt.py: not implemented yet (the TODO just above says what to write)')
        return out

    @torch.no_grad()
    def merge(self) -> None:
        """Add scaling * B A into base.weight, in place, for inference at the cost of base alone."""
        if self.merged:
            raise ValueError("this LoRALinear is merged already: unmerge() it before merging again")
        # TODO: Which (out, in) matrix does the update x A^T B^T, times scaling, multiply x by? Add it to
        #       base.weight, and remember that the layer is merged now.
        # Stuck? One more hint at a time: make lab-check WEEK=08 HINT=2 (in the notebook: check(3, hint=2))
        raise NotImplementedError('Lab 8 · LoRALinear.merge in gpt.py: not implemented yet (the TODO just above says what to write)')

    @torch.no_grad()
    def unmerge(self) -> None:
        """Undo :meth:`merge`: base.weight as it was (up to rounding), the update separate again."""
        if not self.merged:
            raise ValueError("this LoRALinear is not merged: there is nothing to unmerge")
        # TODO: The inverse of merge, step by step: base.weight gives back what merge added.
        # Stuck? One more hint at a time: make lab-check WEEK=08 HINT=2 (in the notebook: check(3, hint=2))
        raise NotImplementedError('Lab 8 · LoRALinear.unmerge in gpt.py: not implemented yet (the TODO just above says what to write)')
