"""A decoder-only GPT, from scratch, in GPT-2's layout (Week 8).

Taught in Week 8 (book/week08_gpt.md). Pre-LN blocks of causal
self-attention (Week 7's :class:`~aimastery.attention.CausalSelfAttention`)
and a GELU MLP, learned position embeddings, and an output layer tied to the
token embedding. Module names are GPT-2's, so a Hugging Face GPT-2
checkpoint maps onto this model name by name (:mod:`aimastery.gpt.hf`):

    transformer.wte / wpe               token and position embeddings
    transformer.h.{i}.ln_1, .attn.c_attn, .attn.c_proj
    transformer.h.{i}.ln_2, .mlp.c_fc, .mlp.c_proj
    transformer.ln_f                    the final LayerNorm

There is no ``lm_head`` module: the logits are ``x @ wte.weight.T`` (the
tied weight is stored once, which safetensors requires).

``forward(idx, past)`` takes the keys and values of earlier positions (one
``(k, v)`` pair per layer, each (B, H, T_past, d)) and returns the new ones:
that is the KV cache of :mod:`aimastery.gpt.generate`.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from aimastery.attention import CausalSelfAttention

#: One (keys, values) pair per layer, each (B, H, T, d).
KVCache = list[tuple[Tensor, Tensor]]

#: Hugging Face's names of the MLP's activation -> F.gelu's ``approximate``.
GELU_APPROXIMATE = {"gelu_new": "tanh", "gelu": "none"}


@dataclass(frozen=True)
class GPTConfig:
    """Every size of the model (GPT-2's names; the defaults are a small char model)."""

    vocab_size: int = 63  # characters (or tokens) in the vocabulary
    block_size: int = 128  # the longest context, in positions
    n_layer: int = 4
    n_head: int = 4
    n_embd: int = 128  # the width of the residual stream
    dropout: float = 0.0
    bias: bool = True  # biases in the linear layers and LayerNorms (GPT-2 has them)
    layer_norm_epsilon: float = 1e-5
    activation_function: str = "gelu_new"  # GPT-2's tanh GELU; "gelu": the exact one (nanoGPT's)

    def __post_init__(self):
        for name in ("vocab_size", "block_size", "n_layer", "n_head", "n_embd"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        if self.n_embd % self.n_head:
            raise ValueError(f"n_embd={self.n_embd} is not divisible by n_head={self.n_head}")
        if not 0 <= self.dropout < 1:
            raise ValueError(f"dropout must lie in [0, 1), got {self.dropout}")
        if self.activation_function not in GELU_APPROXIMATE:
            raise ValueError(f"activation_function must be one of {sorted(GELU_APPROXIMATE)}, "
                             f"got {self.activation_function!r}")

    def to_dict(self) -> dict:
        return asdict(self)


class MLP(nn.Module):
    """E -> 4E -> GELU (GPT-2's tanh approximation, or the exact one) -> E."""

    def __init__(self, config: GPTConfig):
        super().__init__()
        self.approximate = GELU_APPROXIMATE[config.activation_function]
        self.c_fc = nn.Linear(config.n_embd, 4 * config.n_embd, bias=config.bias)
        self.c_proj = nn.Linear(4 * config.n_embd, config.n_embd, bias=config.bias)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, x: Tensor) -> Tensor:
        return self.dropout(self.c_proj(F.gelu(self.c_fc(x), approximate=self.approximate)))


class Block(nn.Module):
    """x + attn(ln_1(x)), then x + mlp(ln_2(x)): the pre-LN transformer block."""

    def __init__(self, config: GPTConfig):
        super().__init__()
        eps = config.layer_norm_epsilon
        self.ln_1 = nn.LayerNorm(config.n_embd, eps=eps, bias=config.bias)
        self.attn = CausalSelfAttention(config.n_embd, config.n_head, bias=config.bias,
                                        dropout=config.dropout)
        self.ln_2 = nn.LayerNorm(config.n_embd, eps=eps, bias=config.bias)
        self.mlp = MLP(config)
        self.resid_dropout = nn.Dropout(config.dropout)

    def forward(self, x: Tensor, past: tuple[Tensor, Tensor] | None = None
                ) -> tuple[Tensor, tuple[Tensor, Tensor]]:
        """x (B, T, E) -> (B, T, E), and this layer's keys and values (B, H, T_past + T, d)."""
        attended, present = self.attn(self.ln_1(x), past=past)
        x = x + self.resid_dropout(attended)
        return x + self.mlp(self.ln_2(x)), present


class GPT(nn.Module):
    """Next-token logits for every position of a batch of id sequences."""

    def __init__(self, config: GPTConfig):
        super().__init__()
        self.config = config
        self.transformer = nn.ModuleDict(dict(
            wte=nn.Embedding(config.vocab_size, config.n_embd),
            wpe=nn.Embedding(config.block_size, config.n_embd),
            drop=nn.Dropout(config.dropout),
            h=nn.ModuleList(Block(config) for _ in range(config.n_layer)),
            ln_f=nn.LayerNorm(config.n_embd, eps=config.layer_norm_epsilon, bias=config.bias),
        ))
        self.apply(self._init_weights)
        for name, p in self.named_parameters():  # GPT-2: residual projections scaled by depth
            if name.endswith("c_proj.weight"):
                nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * config.n_layer))

    @staticmethod
    def _init_weights(module: nn.Module) -> None:
        if isinstance(module, (nn.Linear, nn.Embedding)):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)
        if isinstance(module, nn.Linear) and module.bias is not None:
            nn.init.zeros_(module.bias)

    def forward(self, idx: Tensor, past: KVCache | None = None) -> tuple[Tensor, KVCache]:
        """idx (B, T) int64 -> logits (B, T, V), and the cache: past plus these T positions."""
        B, T = idx.shape
        start = 0 if past is None else past[0][0].shape[-2]
        if start + T > self.config.block_size:
            raise ValueError(f"{start} cached + {T} new positions exceed block_size="
                             f"{self.config.block_size}: crop the context first")
        pos = torch.arange(start, start + T, device=idx.device)  # (T,)
        tr = self.transformer
        x = tr.drop(tr.wte(idx) + tr.wpe(pos))  # (B, T, E)
        presents = []
        for i, block in enumerate(tr.h):
            x, present = block(x, None if past is None else past[i])
            presents.append(present)
        x = tr.ln_f(x)
        return F.linear(x, tr.wte.weight), presents  # tied output layer: (B, T, V)

    def num_parameters(self, non_embedding: bool = False) -> int:
        """Parameters, counted once (the tied output layer is the token embedding);
        ``non_embedding`` leaves out the position embedding, as nanoGPT reports."""
        n = sum(p.numel() for p in self.parameters())
        return n - self.transformer.wpe.weight.numel() if non_embedding else n
