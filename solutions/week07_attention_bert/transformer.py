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
    ### BEGIN SOLUTION (Task 1)
    ### HINT 1: Draw the (T, T) grid with the query i down and the key j across: which cells may be True?
    ### HINT 2: The allowed cells are the diagonal and everything below it: a lower-triangular matrix,
    ###         as a boolean tensor.
    ### HINT 3: torch has a function that keeps the lower triangle of a matrix (Week 7, "Masks"); start from
    ###         a (T, T) tensor of ones of dtype torch.bool.
    return torch.ones(T, T, dtype=torch.bool).tril()
    ### END SOLUTION


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
    ### BEGIN SOLUTION (Task 1)
    ### HINT 1: The chapter's formula (Week 7, "Attention"), batched: only the last two axes are the matrices;
    ###         T_q and T_k may differ. Where does a mask act: on the scores, or on the weights?
    ### HINT 2: On the scores, before the softmax, which runs over the keys (the last axis). A boolean mask
    ###         sends a disallowed score to -inf; a float mask is simply added. Check the mask's dtype.
    ### HINT 3: Transpose only the last two axes of k for the scores, divide by the square root of q's last
    ###         size; Tensor.masked_fill takes a boolean of where to write (the disallowed places).
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])  # (..., T_q, T_k)
    if mask is not None:
        if mask.dtype == torch.bool:
            scores = scores.masked_fill(~mask, float("-inf"))
        else:
            scores = scores + mask
    weights = scores.softmax(dim=-1)
    out = weights @ v
    ### END SOLUTION
    return out, weights


# ----- Task 2: multi-head attention


def split_heads(x: Tensor, num_heads: int) -> Tensor:
    """(B, T, E) -> (B, H, T, E // H): head h gets features h*d ... (h+1)*d - 1 of every token."""
    ### BEGIN SOLUTION (Task 2)
    ### HINT 1: The E features of a token are H blocks of d: the heads split the features of each token, never
    ###         the tokens. Which axes must the result have, in which order?
    ### HINT 2: A view can only cut the last axis into (H, d) where it stands, giving (B, T, H, d); one more
    ###         step moves the head axis in front of the tokens. A direct view as (B, H, T, d) mixes tokens up.
    ### HINT 3: Tensor.view, then Tensor.transpose of two axes.
    B, T, E = x.shape
    return x.view(B, T, num_heads, E // num_heads).transpose(1, 2)
    ### END SOLUTION


def merge_heads(x: Tensor) -> Tensor:
    """(B, H, T, d) -> (B, T, H * d): the inverse of :func:`split_heads`."""
    ### BEGIN SOLUTION (Task 2)
    ### HINT 1: Undo split_heads step by step, in the reverse order.
    ### HINT 2: First bring the tokens back in front of the heads, then glue each token's H blocks of d
    ###         features into one row of H * d.
    ### HINT 3: After a transpose the tensor is no longer contiguous: Tensor.reshape copies when it must,
    ###         Tensor.view refuses.
    B, H, T, d = x.shape
    return x.transpose(1, 2).reshape(B, T, H * d)
    ### END SOLUTION


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
        ### BEGIN SOLUTION (Task 2)
        ### HINT 1: The chapter's multi-head formula (Week 7, "Many heads"), with nn.MultiheadAttention's
        ###         parameters: one stacked projection gives queries, keys and values; the masks say which
        ###         KEYS each query may see.
        ### HINT 2: in_proj_weight's rows are the query, key and value projections, in that order: one
        ###         F.linear, then cut its output in three along the features. attention_mask (B, T) is about
        ###         keys: reshape it so that it broadcasts over heads and queries (Week 7, "Masks").
        ### HINT 3: Padding as (B, 1, 1, T) booleans, the causal mask (T, T), combined with &; then your
        ###         split_heads, your attention, merge_heads, and out_proj last.
        q, k, v = F.linear(x, self.in_proj_weight, self.in_proj_bias).chunk(3, dim=-1)  # 3 x (B, T, E)
        q, k, v = (split_heads(t, self.num_heads) for t in (q, k, v))  # (B, H, T, d)
        mask = None
        if attention_mask is not None:
            mask = attention_mask.bool()[:, None, None, :]  # (B, 1, 1, T): which keys are real
        if causal:
            c = causal_mask(x.shape[1]).to(x.device)  # (T, T)
            mask = c if mask is None else mask & c
        out, weights = attention(q, k, v, mask)
        out = self.out_proj(merge_heads(out))
        ### END SOLUTION
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
        ### BEGIN SOLUTION (Task 3)
        ### HINT 1: Five sublayers, named as nn.TransformerEncoderLayer names them (the class docstring lists
        ###         them): the tests copy PyTorch's weights into yours by name.
        ### HINT 2: Your MultiHeadAttention, two nn.Linear (E -> F and F -> E) and two nn.LayerNorm over E.
        ### HINT 3: BERT's LayerNorms use layer_norm_eps, not nn.LayerNorm's default 1e-5: pass eps=.
        self.self_attn = MultiHeadAttention(d_model, nhead)
        self.linear1 = nn.Linear(d_model, dim_feedforward)
        self.linear2 = nn.Linear(dim_feedforward, d_model)
        self.norm1 = nn.LayerNorm(d_model, eps=layer_norm_eps)
        self.norm2 = nn.LayerNorm(d_model, eps=layer_norm_eps)
        ### END SOLUTION

    def forward(self, x: Tensor, attention_mask: Tensor | None = None) -> Tensor:
        """x (B, T, E), attention_mask (B, T) -> (B, T, E)."""
        ### BEGIN SOLUTION (Task 3)
        ### HINT 1: Two blocks, attention and feed-forward, each wrapped in a residual and a LayerNorm; BERT
        ###         is post-LN (Week 7, "BERT, from scratch"): where does the norm go, before or after the add?
        ### HINT 2: Each block: x becomes norm(x + block(x)). The attention needs the padding mask; the
        ###         feed-forward block is linear1, GELU, linear2.
        ### HINT 3: self_attn returns (out, weights); BERT's GELU is the exact one, F.gelu's default.
        h, _ = self.self_attn(x, attention_mask)
        x = self.norm1(x + h)
        x = self.norm2(x + self.linear2(F.gelu(self.linear1(x))))
        ### END SOLUTION
        return x


# ----- Task 4: the real checkpoint's names


def bert_layer_state_dict(tensors: dict[str, Tensor], layer: int) -> dict[str, Tensor]:
    """Layer ``layer`` of a BERT checkpoint (names like ``encoder.layer.0.attention.self.query.weight``)
    as a state dict for :class:`EncoderLayer` (names like ``self_attn.in_proj_weight``).

    A tensor the checkpoint lacks raises ``KeyError`` naming it.
    """
    ### BEGIN SOLUTION (Task 4)
    ### HINT 1: List one layer's names (the notebook does) beside EncoderLayer().state_dict()'s: every one of
    ###         yours must be built from the checkpoint's, with the same shape.
    ### HINT 2: BERT keeps query, key and value as three Linear layers; yours stacks them in in_proj_* in
    ###         that order. The other five modules map one to one: which LayerNorm comes right after the
    ###         attention's output dense layer?
    ### HINT 3: torch.cat of the three weights (and of the three biases) along the first axis; a loop over
    ###         (your name, BERT's name) pairs and over "weight", "bias" does the rest; tensors[name] raises
    ###         the KeyError for a missing one.
    p = f"encoder.layer.{layer}."
    out = {
        "self_attn.in_proj_weight": torch.cat([tensors[p + f"attention.self.{n}.weight"]
                                               for n in ("query", "key", "value")]),
        "self_attn.in_proj_bias": torch.cat([tensors[p + f"attention.self.{n}.bias"]
                                             for n in ("query", "key", "value")]),
    }
    for ours, theirs in (("self_attn.out_proj", "attention.output.dense"), ("norm1", "attention.output.LayerNorm"),
                         ("linear1", "intermediate.dense"), ("linear2", "output.dense"),
                         ("norm2", "output.LayerNorm")):
        for kind in ("weight", "bias"):
            out[f"{ours}.{kind}"] = tensors[p + f"{theirs}.{kind}"]
    ### END SOLUTION
    return out


def encoder_from_checkpoint(tensors: dict[str, Tensor], num_layers: int, d_model: int, nhead: int,
                            dim_feedforward: int, layer_norm_eps: float = 1e-12) -> nn.ModuleList:
    """Every layer of a BERT checkpoint as your EncoderLayers (given: it uses your mapping)."""
    layers = nn.ModuleList(EncoderLayer(d_model, nhead, dim_feedforward, layer_norm_eps) for _ in range(num_layers))
    for i, layer in enumerate(layers):
        layer.load_state_dict(bert_layer_state_dict(tensors, i))  # strict: every name, every shape
    return layers.eval()
