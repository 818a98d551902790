"""The character LSTM: embedding -> LSTM -> linear head (Week 6).

Attribute names follow PyTorch's (``lstm.weight_ih_l0``...), so the NumPy
LSTM of the chapter and the gate trace below read the same weights.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn


@dataclass(frozen=True)
class CharLSTMConfig:
    """Every size of the model (the defaults are the benchmark's)."""

    vocab_size: int = 63  # characters in the corpus
    embed_dim: int = 64  # size of each character's embedding
    hidden_size: int = 512  # LSTM units per layer
    num_layers: int = 1
    dropout: float = 0.0  # between LSTM layers (needs num_layers > 1)
    forget_bias: float = 1.0  # added to the forget gate's bias at init

    def __post_init__(self):
        for name in ("vocab_size", "embed_dim", "hidden_size", "num_layers"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) \
                    or value < 1:
                raise ValueError(f"{name} must be a positive integer, "
                                 f"got {value!r}")
        if not 0 <= self.dropout < 1:
            raise ValueError(f"dropout must lie in [0, 1), got {self.dropout}")

    def to_dict(self) -> dict:
        return asdict(self)


class CharLSTM(nn.Module):
    """Next-character logits for every position of a batch of id sequences."""

    def __init__(self, config: CharLSTMConfig):
        super().__init__()
        self.config = config
        self.embed = nn.Embedding(config.vocab_size, config.embed_dim)
        self.lstm = nn.LSTM(config.embed_dim, config.hidden_size,
                            num_layers=config.num_layers, batch_first=True,
                            dropout=config.dropout if config.num_layers > 1
                            else 0.0)
        self.head = nn.Linear(config.hidden_size, config.vocab_size)
        H = config.hidden_size
        with torch.no_grad():  # gates in PyTorch's order: i, f, g, o
            for layer in range(config.num_layers):
                getattr(self.lstm, f"bias_ih_l{layer}")[H:2 * H] += \
                    config.forget_bias

    def forward(self, idx: torch.Tensor, state=None):
        """idx (B, T) int64 -> logits (B, T, V), state (h, c) each (L, B, H)."""
        x = self.embed(idx)  # (B, T, E)
        out, state = self.lstm(x, state)  # (B, T, H)
        return self.head(out), state

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())


@torch.no_grad()
def lstm_gates(model: CharLSTM, idx: torch.Tensor, layer: int = 0
               ) -> dict[str, torch.Tensor]:
    """Every gate of one LSTM layer at every step, for one sequence.

    idx (T,) int64 -> dict of (T, H) tensors: ``input``, ``forget``,
    ``cell_candidate``, ``output`` (the gates), ``cell`` (c_t) and
    ``hidden`` (h_t), recomputed step by step from the layer's weights
    (nn.LSTM does not expose its gates). Starts from a zero state.
    """
    if idx.ndim != 1:
        raise ValueError(f"lstm_gates reads one sequence of shape (T,), "
                         f"got shape {tuple(idx.shape)}")
    if not 0 <= layer < model.config.num_layers:
        raise ValueError(f"layer must lie in [0, {model.config.num_layers})")
    x = model.embed(idx)  # (T, E)
    for below in range(layer):  # the layers under the one we trace
        x, _ = _run_layer(model.lstm, below, x)
    return _run_layer(model.lstm, layer, x, record=True)[1]


def _run_layer(lstm: nn.LSTM, layer: int, x: torch.Tensor,
               record: bool = False):
    w_ih = getattr(lstm, f"weight_ih_l{layer}")  # (4H, E)
    w_hh = getattr(lstm, f"weight_hh_l{layer}")  # (4H, H)
    b = getattr(lstm, f"bias_ih_l{layer}") + getattr(lstm, f"bias_hh_l{layer}")
    H = w_hh.shape[1]
    pre_x = x @ w_ih.T + b  # (T, 4H): the input's part, for every step at once
    h, c = x.new_zeros(H), x.new_zeros(H)
    names = ("input", "forget", "cell_candidate", "output", "cell", "hidden")
    trace = {name: [] for name in names}
    hs = []
    for t in range(x.shape[0]):
        a = pre_x[t] + w_hh @ h  # (4H,)
        i, f = torch.sigmoid(a[:H]), torch.sigmoid(a[H:2 * H])
        g, o = torch.tanh(a[2 * H:3 * H]), torch.sigmoid(a[3 * H:])
        c = f * c + i * g
        h = o * torch.tanh(c)
        hs.append(h)
        if record:
            for name, value in zip(names, (i, f, g, o, c, h)):
                trace[name].append(value)
    out = torch.stack(hs)  # (T, H)
    return out, ({k: torch.stack(v) for k, v in trace.items()} if record
                 else None)
