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
    ### BEGIN SOLUTION (Task 1)
    ### HINT 1: Draw the grid for q_len = 2, k_len = 5, the query i down and the key j across: the two queries
    ###         are positions 3 and 4 of the sequence (0, 1, 2 are in the cache). Which cells may be True?
    ### HINT 2: Query i stands at position i + (k_len - q_len) and sees every key up to its own position: the True
    ###         cells are a lower triangle whose diagonal is moved k_len - q_len columns to the right.
    ### HINT 3: Tensor.tril keeps a lower triangle, and its diagonal= argument moves the diagonal to the right;
    ###         start from a (q_len, k_len) tensor of ones of dtype torch.bool.
    return torch.ones(q_len, k_len, dtype=torch.bool).tril(diagonal=k_len - q_len)
    ### END SOLUTION


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
    ### BEGIN SOLUTION (Task 1)
    ### HINT 1: Lab 7's attention with your causal mask: which two lengths does the mask need here, and where
    ###         does it act, on the scores or on the weights?
    ### HINT 2: The scores q k^T / sqrt(d) are (..., T_q, T_k), d the last size of q; a disallowed score becomes
    ###         -inf BEFORE the softmax, which runs over the keys, the last axis. The mask (T_q, T_k) broadcasts.
    ### HINT 3: Your causal_mask of the queries' and the keys' lengths (axis -2 of each); Tensor.masked_fill
    ###         writes where its mask is True, so hand it the disallowed places; transpose only k's last two axes.
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])  # (..., T_q, T_k)
    allowed = causal_mask(q.shape[-2], k.shape[-2]).to(q.device)  # (T_q, T_k)
    scores = scores.masked_fill(~allowed, float("-inf"))
    weights = scores.softmax(dim=-1)  # each row sums to 1
    out = weights @ v  # (..., T_q, d_v)
    ### END SOLUTION
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
    ### BEGIN SOLUTION (Task 2)
    ### HINT 1: Which axis of (B, H, T, d) counts the positions? The new positions go after the cached ones along
    ###         it, for the keys and for the values; the batch, the heads and d stay as they are.
    ### HINT 2: The time axis is dim -2 (dim 2). Without a past there is nothing to append to: the new keys and
    ###         values are the whole cache.
    ### HINT 3: torch.cat takes a list (the past first) and the axis, dim=-2; the keys and the values are joined
    ###         separately, and the result is a pair again.
    if past is None:
        return k, v
    past_k, past_v = past  # (B, H, T_past, d) each
    return torch.cat([past_k, k], dim=-2), torch.cat([past_v, v], dim=-2)  # (B, H, T_past + T, d)
    ### END SOLUTION


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
        ### BEGIN SOLUTION (Task 2)
        ### HINT 1: The new positions' queries attend to every key up to their own position: the cached keys and
        ###         their own. Only the new positions go through c_attn; the cache already holds the rest.
        ### HINT 2: c_attn, then cut its output in three along the features (queries, keys, values) and into
        ###         heads; append the new keys and values to the past; attend with the new queries over the whole
        ###         cache; merge the heads and apply c_proj.
        ### HINT 3: Tensor.split(E, dim=-1); your append_kv gives the present; your causal_attention(q, keys,
        ###         values) lines the T new queries up with the last keys.
        E = x.shape[-1]
        q, k, v = self.c_attn(x).split(E, dim=-1)  # 3 x (B, T, E)
        q, k, v = (split_heads(t, self.n_head) for t in (q, k, v))  # (B, H, T, d)
        present = append_kv(past, k, v)  # (B, H, T_past + T, d) each
        out, _ = causal_attention(q, *present)  # (B, H, T, d)
        out = self.c_proj(merge_heads(out))  # (B, T, E)
        ### END SOLUTION
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
    ### BEGIN SOLUTION (Task 2)
    ### HINT 1: The prompt goes through the model once and fills the cache; after that, only the token just
    ###         chosen is new: every earlier position's keys and values are in the cache already.
    ### HINT 2: Each step: the argmax of the LAST position's logits over the vocabulary is the next token of each
    ###         sequence; append it to idx; unless it is the last one, feed it alone, shape (B, 1), with the
    ###         presents the model returned (the last token is only appended: nothing will read its logits).
    ### HINT 3: Tensor.argmax with keepdim=True keeps a (B, 1) shape; torch.cat along dim=1 grows idx; the last
    ###         token chosen needs no model call of its own (max_new_tokens calls in all: the prompt, then one per
    ###         token but the last).
    logits, past = model(idx)  # (B, T, V): the prompt fills the cache
    for step in range(max_new_tokens):
        next_token = logits[:, -1].argmax(dim=-1, keepdim=True)  # (B, 1)
        idx = torch.cat([idx, next_token], dim=1)
        if step + 1 < max_new_tokens:
            logits, past = model(next_token, past)  # (B, 1, V): one new position
    ### END SOLUTION
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
        ### BEGIN SOLUTION (Task 3)
        ### HINT 1: Three things: freeze base, make the two factors (B A has base.weight's shape, out x in), and
        ###         the scaling. Which factor starts at zero so that the layer starts as base?
        ### HINT 2: Every parameter of base (weight AND bias) gets requires_grad False. lora_A (r, in_features) is
        ###         random, lora_B (out_features, r) is zeros, both nn.Parameter in base.weight's dtype and
        ###         device; scaling is alpha / r, not alpha.
        ### HINT 3: base.parameters() and Tensor.requires_grad_(False); torch.empty(..., dtype=, device=) then
        ###         nn.init.kaiming_uniform_(A, a=math.sqrt(5)) (nn.Linear's own init); torch.zeros for B.
        for p in base.parameters():
            p.requires_grad_(False)
        like = dict(dtype=base.weight.dtype, device=base.weight.device)
        self.lora_A = nn.Parameter(torch.empty(r, base.in_features, **like))  # (r, in)
        nn.init.kaiming_uniform_(self.lora_A, a=math.sqrt(5))
        self.lora_B = nn.Parameter(torch.zeros(base.out_features, r, **like))  # (out, r)
        self.scaling = alpha / r
        ### END SOLUTION

    def forward(self, x: Tensor) -> Tensor:
        """x (..., in_features) -> (..., out_features): base(x) + scaling * x A^T B^T; once merged, base(x)
        alone (its weight holds the update)."""
        ### BEGIN SOLUTION (Task 3)
        ### HINT 1: The class docstring's formula; the update goes through the small rank r in the middle, never
        ###         through an (out, in) matrix. What changes once the update has been merged into base?
        ### HINT 2: x (..., in) times A^T is (..., r), times B^T is (..., out); multiply by scaling and add base(x).
        ###         When merged, base.weight holds the update already: adding it again counts it twice.
        ### HINT 3: Two matrix products with the transposes of lora_A and of lora_B, in that order, then the
        ###         scaling; one if on self.merged decides whether the update is added.
        out = self.base(x)  # (..., out)
        if not self.merged:
            out = out + (x @ self.lora_A.T @ self.lora_B.T) * self.scaling  # (..., r) then (..., out)
        ### END SOLUTION
        return out

    @torch.no_grad()
    def merge(self) -> None:
        """Add scaling * B A into base.weight, in place, for inference at the cost of base alone."""
        if self.merged:
            raise ValueError("this LoRALinear is merged already: unmerge() it before merging again")
        ### BEGIN SOLUTION (Task 3)
        ### HINT 1: Which (out, in) matrix does the update x A^T B^T, times scaling, multiply x by? Add it to
        ###         base.weight, and remember that the layer is merged now.
        ### HINT 2: x A^T B^T = x (B A)^T: the update's weight is scaling * B A, of base.weight's shape. Change
        ###         base.weight in place (this method runs without autograd) and set merged.
        ### HINT 3: += on base.weight changes the Parameter in place (allowed here, without autograd); the product
        ###         is lora_B (out, r) times lora_A (r, in), in that order, times scaling.
        self.base.weight += self.scaling * (self.lora_B @ self.lora_A)  # (out, in)
        self.merged = True
        ### END SOLUTION

    @torch.no_grad()
    def unmerge(self) -> None:
        """Undo :meth:`merge`: base.weight as it was (up to rounding), the update separate again."""
        if not self.merged:
            raise ValueError("this LoRALinear is not merged: there is nothing to unmerge")
        ### BEGIN SOLUTION (Task 3)
        ### HINT 1: The inverse of merge, step by step: base.weight gives back what merge added.
        ### HINT 2: Subtract the same scaling * B A (A and B have not changed since the merge) and clear merged,
        ###         so that forward adds the update itself again.
        ### HINT 3: -= on base.weight, in place as merge's +=; then the flag goes back to what __init__ set.
        self.base.weight -= self.scaling * (self.lora_B @ self.lora_A)  # (out, in)
        self.merged = False
        ### END SOLUTION
