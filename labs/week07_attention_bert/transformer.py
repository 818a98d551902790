"""Lab 7 — attention with masks, multi-head attention, a BERT encoder layer, and the real checkpoint.

Conventions (PyTorch's):

* a **boolean mask is True where a query may attend** to a key, and it
  broadcasts to the scores' shape (..., T_q, T_k); a float mask is added
  to the scores;
* an ``attention_mask`` of a batch is (B, T) with 1 for a real token and 0
  for padding (Hugging Face's convention);
* the layer's attribute names are those of ``torch.nn.TransformerEncoderLayer``
  (``self_attn.in_proj_weight``, ``linear1``, ``norm1``, ...), so the tests
  can copy PyTorch's weights into your layer by name; Task 4 maps the real
  all-MiniLM-L6-v2 checkpoint, whose names are BERT's, onto them.

Taught in Week 7 (book/week07_attention_bert.md). ``make lab-check WEEK=07``
tells you how far you are. Write everything with tensor operations: the
tests refuse ``F.scaled_dot_product_attention``, ``nn.MultiheadAttention``,
the course's finished ``aimastery.attention`` and ``aimastery.bert``, and
``transformers`` (they are what your code is compared with).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

# ----- Task 1: attention with masks


def causal_mask(T: int) -> Tensor:
    """(T, T) bool: True where query i may attend to key j, that is j <= i (itself and the past)."""
    # TODO: Draw the (T, T) grid with the query i down and the key j across: which cells may be True?
    # Stuck? One more hint at a time: make lab-check WEEK=07 HINT=2 (in the notebook: check(1, hint=2))
    raise NotImplementedError('Lab 7 · causal_mask in transformer.py: not implemented yet (the TODO just above says what to write)')


def attention(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None = None) -> tuple[Tensor, Tensor]:
    """Scaled dot-product attention, and its weights.

    q (..., T_q, d), k (..., T_k, d), v (..., T_k, d_v). ``mask`` broadcasts
    to (..., T_q, T_k) and is either boolean, True where attending is
    allowed (masked weights are then exactly 0), or floating point, a bias
    added to the scores (transformers' "extended" mask: 0 to keep, a large
    negative number to drop; or any learned bias). Returns out (..., T_q, d_v)
    and weights (..., T_q, T_k), each row summing to 1; gradients flow to q,
    k and v.
    """
    # TODO: The chapter's formula (Week 7, "Attention"), batched: only the last two axes are the matrices;
    #       T_q and T_k may differ. Where does a mask act: on the scores, or on the weights?
    # Stuck? One more hint at a time: make lab-check WEEK=07 HINT=2 (in the notebook: check(1, hint=2))
    # Keep the code below the raise: it uses the weights and out you set here.
    raise NotImplementedError('Lab 7 · attention in transformer.py: not implemented yet (the TODO just above says what to write)')
    return out, weights


# ----- Task 2: multi-head attention


def split_heads(x: Tensor, num_heads: int) -> Tensor:
    """(B, T, E) -> (B, H, T, E // H): head h gets features h*d ... (h+1)*d - 1 of every token."""
    # TODO: The E features of a token are H blocks of d: the heads split the features of each token, never
    #       the tokens. Which axes must the result have, in which order?
    # Stuck? One more hint at a time: make lab-check WEEK=07 HINT=2 (in the notebook: check(2, hint=2))
    raise NotImplementedError('Lab 7 · split_heads in transformer.py: not implemented yet (the TODO just above says what to write)')


def merge_heads(x: Tensor) -> Tensor:
    """(B, H, T, d) -> (B, T, H * d): the inverse of :func:`split_heads`."""
    # TODO: Undo split_heads step by step, in the reverse order.
    # Stuck? One more hint at a time: make lab-check WEEK=07 HINT=2 (in the notebook: check(2, hint=2))
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
        # TODO: The chapter's multi-head formula (Week 7, "Many heads"), with nn.MultiheadAttention's
        #       parameters: one stacked projection gives queries, keys and values; the masks say which
        #       KEYS each query may see.
        # Stuck? One more hint at a time: make lab-check WEEK=07 HINT=2 (in the notebook: check(2, hint=2))
        # Keep the code below the raise: it uses the out and weights you set here.
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
        # TODO: Five sublayers, named as nn.TransformerEncoderLayer names them (the class docstring lists
        #       them): the tests copy PyTorch's weights into yours by name.
        # Stuck? One more hint at a time: make lab-check WEEK=07 HINT=2 (in the notebook: check(3, hint=2))
        raise NotImplementedError('Lab 7 · EncoderLayer.__init__ in transformer.py: not implemented yet (the TODO just above says what to write)')

    def forward(self, x: Tensor, attention_mask: Tensor | None = None) -> Tensor:
        """x (B, T, E), attention_mask (B, T) -> (B, T, E)."""
        # TODO: Two blocks, attention and feed-forward, each wrapped in a residual and a LayerNorm; BERT
        #       is post-LN (Week 7, "BERT, from scratch"): where does the norm go, before or after the add?
        # Stuck? One more hint at a time: make lab-check WEEK=07 HINT=2 (in the notebook: check(3, hint=2))
        # Keep the code below the raise: it uses the x you set here.
        raise NotImplementedError('Lab 7 · EncoderLayer.forward in transformer.py: not implemented yet (the TODO just above says what to write)')
        return x


# ----- Task 4: the real checkpoint's names


def bert_layer_state_dict(tensors: dict[str, Tensor], layer: int) -> dict[str, Tensor]:
    """Layer ``layer`` of a BERT checkpoint (names like ``encoder.layer.0.attention.self.query.weight``)
    as a state dict for :class:`EncoderLayer` (names like ``self_attn.in_proj_weight``).

    A tensor the checkpoint lacks raises ``KeyError`` naming it.
    """
    # TODO: List one layer's names (the notebook does) beside EncoderLayer().state_dict()'s: every one of
    #       yours must be built from the checkpoint's, with the same shape.
    # Stuck? One more hint at a time: make lab-check WEEK=07 HINT=2 (in the notebook: check(4, hint=2))
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
