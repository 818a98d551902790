"""Lab 7 — attention with masks, multi-head attention, a BERT encoder layer, and the real checkpoint.

Conventions (PyTorch's):

* a **boolean mask is True where a query may attend** to a key, and it
  broadcasts to the scores' shape (..., T_q, T_k);
* an ``attention_mask`` of a batch is (B, T) with 1 for a real token and 0
  for padding (Hugging Face's convention);
* the layer's attribute names are those of ``torch.nn.TransformerEncoderLayer``
  (``self_attn.in_proj_weight``, ``linear1``, ``norm1``, ...), so the tests
  can copy PyTorch's weights into your layer by name; Task 4 maps the real
  all-MiniLM-L6-v2 checkpoint, whose names are BERT's, onto them.

Taught in Week 7 (book/week07_attention_bert.md). ``make lab-check WEEK=07``
tells you how far you are. Write everything with tensor operations: the
tests refuse ``F.scaled_dot_product_attention`` and ``nn.MultiheadAttention``.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

# ----- Task 1: attention with masks


def causal_mask(T: int) -> Tensor:
    """(T, T) bool: True where query i may attend to key j, that is j <= i (itself and the past)."""
    # TODO: a lower-triangular (T, T) boolean tensor (torch.tril of ones)
    raise NotImplementedError('Lab 7 · causal_mask in transformer.py: not implemented yet (the TODO just above says what to write)')


def attention(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None = None) -> tuple[Tensor, Tensor]:
    """Scaled dot-product attention, and its weights.

    q (..., T_q, d), k (..., T_k, d), v (..., T_k, d_v); ``mask`` bool,
    broadcastable to (..., T_q, T_k), True where attending is allowed.
    Returns out (..., T_q, d_v) and weights (..., T_q, T_k), each row of the
    weights summing to 1 over the allowed keys (masked weights exactly 0).
    """
    # TODO: scores = q k^T / sqrt(d); masked scores to -inf BEFORE the softmax (over the keys); out = weights v
    # Keep the code below the raise: it uses the weights, out you set here.
    raise NotImplementedError('Lab 7 · attention in transformer.py: not implemented yet (the TODO just above says what to write)')
    return out, weights


# ----- Task 2: multi-head attention


def split_heads(x: Tensor, num_heads: int) -> Tensor:
    """(B, T, E) -> (B, H, T, E // H): head h gets features h*d ... (h+1)*d - 1 of every token."""
    # TODO: view as (B, T, H, d), then swap the T and H axes
    raise NotImplementedError('Lab 7 · split_heads in transformer.py: not implemented yet (the TODO just above says what to write)')


def merge_heads(x: Tensor) -> Tensor:
    """(B, H, T, d) -> (B, T, H * d): the inverse of :func:`split_heads`."""
    # TODO: swap the axes back, then reshape
    raise NotImplementedError('Lab 7 · merge_heads in transformer.py: not implemented yet (the TODO just above says what to write)')


class MultiHeadAttention(nn.Module):
    """Multi-head self-attention with ``nn.MultiheadAttention``'s parameters.

    ``in_proj_weight`` (3E, E) and ``in_proj_bias`` (3E,) stack the query,
    key and value projections, in that order; ``out_proj`` mixes the heads.
    """

    def __init__(self, embed_dim: int, num_heads: int):
        super().__init__()
        if embed_dim % num_heads:
            raise ValueError(f"embed_dim {embed_dim} must be divisible by num_heads {num_heads}")
        self.embed_dim, self.num_heads = embed_dim, num_heads
        self.in_proj_weight = nn.Parameter(torch.empty(3 * embed_dim, embed_dim))
        self.in_proj_bias = nn.Parameter(torch.zeros(3 * embed_dim))
        self.out_proj = nn.Linear(embed_dim, embed_dim)
        nn.init.xavier_uniform_(self.in_proj_weight)

    def forward(self, x: Tensor, attention_mask: Tensor | None = None,
                causal: bool = False) -> tuple[Tensor, Tensor]:
        """x (B, T, E); attention_mask (B, T) of 1s and 0s -> out (B, T, E), weights (B, H, T, T).

        A padded token is never attended to (it may still attend: its output is ignored later).
        """
        # TODO: project with in_proj (then split into q, k, v), split heads, build the (B, 1, 1, T) padding mask over the KEYS and the causal mask, attend, merge heads, out_proj
        # Keep the code below the raise: it uses the out, weights you set here.
        raise NotImplementedError('Lab 7 · MultiHeadAttention.forward in transformer.py: not implemented yet (the TODO just above says what to write)')
        return out, weights


# ----- Task 3: one BERT encoder layer (post-LN)


class EncoderLayer(nn.Module):
    """BERT's layer, with ``nn.TransformerEncoderLayer``'s names:

    ``self_attn`` (your MultiHeadAttention), ``linear1`` (E -> F), ``linear2``
    (F -> E), ``norm1``, ``norm2`` (LayerNorms with ``eps``)::

        x = norm1(x + self_attn(x))
        x = norm2(x + linear2(gelu(linear1(x))))    # the exact GELU, x * Phi(x)
    """

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int, layer_norm_eps: float = 1e-12):
        super().__init__()
        # TODO: self_attn, linear1, linear2, norm1, norm2 (both LayerNorms with eps=layer_norm_eps)
        raise NotImplementedError('Lab 7 · EncoderLayer.__init__ in transformer.py: not implemented yet (the TODO just above says what to write)')

    def forward(self, x: Tensor, attention_mask: Tensor | None = None) -> Tensor:
        """x (B, T, E), attention_mask (B, T) -> (B, T, E)."""
        # TODO: post-LN: add the sublayer's output to x, THEN normalise; twice
        # Keep the code below the raise: it uses the x you set here.
        raise NotImplementedError('Lab 7 · EncoderLayer.forward in transformer.py: not implemented yet (the TODO just above says what to write)')
        return x


# ----- Task 4: the real checkpoint's names


def bert_layer_state_dict(tensors: dict[str, Tensor], layer: int) -> dict[str, Tensor]:
    """Layer ``layer`` of a BERT checkpoint (names like ``encoder.layer.0.attention.self.query.weight``)
    as a state dict for :class:`EncoderLayer` (names like ``self_attn.in_proj_weight``).

    A tensor the checkpoint lacks raises ``KeyError`` naming it.
    """
    # TODO: self_attn.in_proj_* = torch.cat of the checkpoint's query, key, value weights (biases), in that order; each of the other five checkpoint modules (weight and bias) is one of your five other sublayers
    # Keep the code below the raise: it uses the out you set here.
    raise NotImplementedError('Lab 7 · bert_layer_state_dict in transformer.py: not implemented yet (the TODO just above says what to write)')
    return out


def encoder_from_checkpoint(tensors: dict[str, Tensor], num_layers: int, d_model: int, nhead: int,
                            dim_feedforward: int, layer_norm_eps: float = 1e-12) -> nn.ModuleList:
    """Every layer of a BERT checkpoint as your EncoderLayers (given: it uses your mapping)."""
    layers = nn.ModuleList(EncoderLayer(d_model, nhead, dim_feedforward, layer_norm_eps) for _ in range(num_layers))
    for i, layer in enumerate(layers):
        layer.load_state_dict(bert_layer_state_dict(tensors, i))  # strict: every name, every shape
    return layers.eval()
