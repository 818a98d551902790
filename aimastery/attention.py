"""Attention, written from scratch in PyTorch: masks, scaled dot-product attention, heads.

Taught in Week 7 (book/week07_attention_bert.md): the BERT encoder of
:mod:`aimastery.bert.model` is built on these pieces, and Week 8's GPT on
:class:`CausalSelfAttention`. Everything follows PyTorch's conventions, so
each piece can be checked against its PyTorch twin:

* a **boolean mask is True where a query may attend** (as in
  ``torch.nn.functional.scaled_dot_product_attention``; note that
  ``nn.MultiheadAttention``'s ``key_padding_mask`` is the opposite, True for
  padding); a float mask is *added* to the scores;
* shapes are ``(..., T, d)``: any leading batch and head dimensions;
* :func:`causal_mask` lines the queries up with the *last* keys, so that it
  also serves queries that see a longer past (a KV cache).

Softmax over scores filled with the dtype's most negative number, not
``-inf``: a row whose keys are all masked then gets uniform weights instead of
NaN (PyTorch returns NaN there), and every masked weight of any other row is
exactly 0.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn


def causal_mask(q_len: int, k_len: int | None = None, device=None) -> Tensor:
    """(q_len, k_len) bool, True where query i may see key j: j <= i + (k_len - q_len).

    With ``k_len = q_len`` (the default) it is the lower triangle: each
    position sees itself and the past. With a longer past (``k_len > q_len``),
    the queries are the last ``q_len`` positions.
    """
    k_len = q_len if k_len is None else k_len
    if not 0 < q_len <= k_len:
        raise ValueError(f"causal_mask needs 0 < q_len <= k_len, got q_len={q_len}, k_len={k_len}")
    return torch.ones(q_len, k_len, dtype=torch.bool, device=device).tril(diagonal=k_len - q_len)


def padding_mask(attention_mask: Tensor) -> Tensor:
    """(B, T) of 1 for real tokens and 0 for padding -> (B, 1, 1, T) bool, broadcast over heads and queries."""
    if attention_mask.ndim != 2:
        raise ValueError(f"attention_mask is (batch, tokens) of 1s and 0s, got shape {tuple(attention_mask.shape)}")
    return attention_mask.bool()[:, None, None, :]


def additive_mask(mask: Tensor, dtype: torch.dtype = torch.float32) -> Tensor:
    """A boolean mask as a float mask to add to the scores: 0 where allowed, the dtype's minimum elsewhere."""
    return torch.zeros(mask.shape, dtype=dtype, device=mask.device).masked_fill(~mask, torch.finfo(dtype).min)


def scaled_dot_product_attention(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None = None,
                                 dropout_p: float = 0.0, scale: float | None = None) -> tuple[Tensor, Tensor]:
    """softmax(q k^T / sqrt(d) + mask) v, and the attention weights.

    q (..., Tq, d), k (..., Tk, d), v (..., Tk, dv) -> out (..., Tq, dv),
    weights (..., Tq, Tk). ``mask`` broadcasts to (..., Tq, Tk): bool (True =
    may attend) or float (added to the scores). ``dropout_p`` drops weights
    (training only: pass 0 at evaluation). ``scale`` replaces 1/sqrt(d), as in
    PyTorch's function (``scale=1.0`` for queries that are scaled already).
    """
    if q.shape[-1] != k.shape[-1] or k.shape[-2] != v.shape[-2]:
        raise ValueError(f"need q (..., Tq, d), k (..., Tk, d), v (..., Tk, dv); got q {tuple(q.shape)}, "
                         f"k {tuple(k.shape)}, v {tuple(v.shape)}")
    scale = 1 / math.sqrt(q.shape[-1]) if scale is None else scale
    scores = q @ k.transpose(-2, -1)  # (..., Tq, Tk)
    if scale != 1.0:
        scores = scores.mul_(scale)  # in place: no second (..., Tq, Tk) tensor
    if mask is not None:
        if mask.dtype == torch.bool:
            scores = scores.masked_fill_(~mask, torch.finfo(scores.dtype).min)
        else:
            scores = scores.add_(mask)
    weights = scores.softmax(dim=-1)  # (..., Tq, Tk): each row sums to 1
    if dropout_p > 0:
        weights = F.dropout(weights, dropout_p)
    return weights @ v, weights  # (..., Tq, dv)


def split_heads(x: Tensor, num_heads: int) -> Tensor:
    """(B, T, E) -> (B, H, T, E / H): each head gets its own slice of the features."""
    B, T, E = x.shape
    if E % num_heads:
        raise ValueError(f"the embedding size {E} is not divisible by {num_heads} heads")
    return x.view(B, T, num_heads, E // num_heads).transpose(1, 2)


def merge_heads(x: Tensor) -> Tensor:
    """(B, H, T, d) -> (B, T, H * d): the heads' outputs side by side again."""
    B, H, T, d = x.shape
    return x.transpose(1, 2).reshape(B, T, H * d)


class MultiHeadAttention(nn.Module):
    """Multi-head attention with separate query, key, value and output projections.

    ``forward(query, key_value=None, mask=None)``: self-attention when
    ``key_value`` is None, cross-attention otherwise; returns the output
    (B, Tq, E) and the weights (B, H, Tq, Tk). The same maths as
    ``nn.MultiheadAttention`` (whose ``in_proj_weight`` stacks our three
    projections' weights).
    """

    def __init__(self, embed_dim: int, num_heads: int, bias: bool = True, dropout: float = 0.0):
        super().__init__()
        if embed_dim % num_heads:
            raise ValueError(f"embed_dim {embed_dim} is not divisible by num_heads {num_heads}")
        self.num_heads, self.dropout = num_heads, dropout
        self.query = nn.Linear(embed_dim, embed_dim, bias=bias)
        self.key = nn.Linear(embed_dim, embed_dim, bias=bias)
        self.value = nn.Linear(embed_dim, embed_dim, bias=bias)
        self.out = nn.Linear(embed_dim, embed_dim, bias=bias)

    def forward(self, query: Tensor, key_value: Tensor | None = None,
                mask: Tensor | None = None) -> tuple[Tensor, Tensor]:
        kv = query if key_value is None else key_value
        q = split_heads(self.query(query), self.num_heads)  # (B, H, Tq, d)
        k = split_heads(self.key(kv), self.num_heads)  # (B, H, Tk, d)
        v = split_heads(self.value(kv), self.num_heads)  # (B, H, Tk, d)
        out, weights = scaled_dot_product_attention(q, k, v, mask, self.dropout if self.training else 0.0)
        return self.out(merge_heads(out)), weights  # (B, Tq, E), (B, H, Tq, Tk)


class CausalSelfAttention(nn.Module):
    """Masked (causal) multi-head self-attention, GPT-2's layout: one fused projection for q, k, v.

    ``c_attn`` maps (B, T, E) to the queries, keys and values side by side
    (B, T, 3E); ``c_proj`` mixes the heads' outputs. Position t attends to
    positions <= t only. ``past`` (keys and values of earlier positions, each
    (B, H, T_past, d)) lets a generator feed one new token at a time: the
    returned ``present`` is what to pass as ``past`` next time (a KV cache).

    ``fused=True`` (an attribute, so it can be switched on a built model) computes the attention of a
    whole sequence (no ``past``, no padding: training) with PyTorch's fused
    ``F.scaled_dot_product_attention(is_causal=True)``, which never stores the (T, T) weights: the
    same maths, faster. Everything else always takes the from-scratch path above.
    """

    def __init__(self, embed_dim: int, num_heads: int, bias: bool = True, dropout: float = 0.0,
                 fused: bool = False):
        super().__init__()
        if embed_dim % num_heads:
            raise ValueError(f"embed_dim {embed_dim} is not divisible by num_heads {num_heads}")
        self.num_heads, self.dropout, self.fused = num_heads, dropout, fused
        self.c_attn = nn.Linear(embed_dim, 3 * embed_dim, bias=bias)
        self.c_proj = nn.Linear(embed_dim, embed_dim, bias=bias)

    def forward(self, x: Tensor, attention_mask: Tensor | None = None,
                past: tuple[Tensor, Tensor] | None = None) -> tuple[Tensor, tuple[Tensor, Tensor]]:
        """x (B, T, E); ``attention_mask`` (B, T_past + T) of 1s and 0s for left padding -> (B, T, E), present."""
        q, k, v = self.c_attn(x).split(x.shape[-1], dim=-1)  # 3 x (B, T, E)
        q, k, v = (split_heads(t, self.num_heads) for t in (q, k, v))  # (B, H, T, d)
        if past is not None:
            k, v = torch.cat([past[0], k], dim=-2), torch.cat([past[1], v], dim=-2)  # (B, H, T_past + T, d)
        dropout_p = self.dropout if self.training else 0.0
        if self.fused and past is None and attention_mask is None:
            out = F.scaled_dot_product_attention(q, k, v, dropout_p=dropout_p, is_causal=True)  # (B, H, T, d)
            return self.c_proj(merge_heads(out)), (k, v)
        mask = causal_mask(q.shape[-2], k.shape[-2], device=x.device)  # (T, T_past + T)
        if attention_mask is not None:
            mask = mask & padding_mask(attention_mask)  # (B, 1, T, T_past + T)
        out, _ = scaled_dot_product_attention(q, k, v, mask, dropout_p)
        return self.c_proj(merge_heads(out)), (k, v)
