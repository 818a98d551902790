"""Batches for truncated backpropagation through time, and evaluation (Week 6);
random windows for a transformer, and their scoring (Week 8).

The LSTM's batches and evaluation cut a long id sequence into ``B``
contiguous streams, side by side (the layout of PyTorch's word-language-model
example), and walk along them in chunks, so that the hidden state at the end
of one chunk is the right starting state for the next.

A GPT carries no state from one batch to the next: it trains on windows of
``seq_len`` characters drawn at random places (nanoGPT's ``get_batch``), and
nanoGPT scores it as the mean loss over random 64-character windows of the
validation split, every position of each window counted (contexts of 1 to 64
characters): :func:`evaluate_windows`. Taught in Week 8 (book/week08_gpt.md).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

IGNORE = -1  # the target id of padding: not counted in the loss


def _pairs(ids, rows: int, length: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(input, target) pairs of ``ids`` laid out row by row in (rows, length),
    padded at the end with target ``IGNORE``."""
    n = len(ids) - 1  # number of (input, target) pairs
    inputs = torch.zeros(rows * length, dtype=torch.int64)
    targets = torch.full((rows * length,), IGNORE, dtype=torch.int64)
    inputs[:n], targets[:n] = ids[:-1], ids[1:]
    return inputs.view(rows, length), targets.view(rows, length)


def _as_ids(ids) -> torch.Tensor:
    ids = torch.as_tensor(ids, dtype=torch.int64)
    if ids.ndim != 1 or len(ids) < 2:
        raise ValueError("need a 1-D sequence of at least 2 ids, "
                         f"got shape {tuple(ids.shape)}")
    return ids


def as_streams(ids, batch_size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Inputs and targets as ``batch_size`` long side-by-side streams.

    ids (N,) -> inputs, targets each (B, L) with L = ceil((N - 1) / B):
    every character after the first is a target exactly once.
    """
    ids = _as_ids(ids)
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    return _pairs(ids, batch_size, math.ceil((len(ids) - 1) / batch_size))


def as_chunks(ids, chunk_len: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Inputs and targets as consecutive independent chunks of ``chunk_len``.

    ids (N,) -> inputs, targets each (ceil((N - 1) / chunk_len), chunk_len).
    """
    ids = _as_ids(ids)
    if chunk_len < 1:
        raise ValueError(f"chunk_len must be >= 1, got {chunk_len}")
    return _pairs(ids, math.ceil((len(ids) - 1) / chunk_len), chunk_len)


class StreamBatches:
    """Consecutive (B, T) chunks of B streams; wraps around at the end.

    ``position`` is where the next chunk starts; ``next()`` returns
    ``(inputs, targets, new_epoch)``, where ``new_epoch`` says the streams
    started over (the carried hidden state must then be reset).
    """

    def __init__(self, ids, batch_size: int, seq_len: int, position: int = 0):
        self.inputs, self.targets = as_streams(ids, batch_size)
        self.seq_len = seq_len
        if self.inputs.shape[1] < seq_len:
            raise ValueError(f"each of the {batch_size} streams holds "
                             f"{self.inputs.shape[1]} characters, fewer than "
                             f"seq_len={seq_len}: use less batch or seq_len")
        self.position = position

    @property
    def chunks_per_epoch(self) -> int:
        return self.inputs.shape[1] // self.seq_len

    def next(self) -> tuple[torch.Tensor, torch.Tensor, bool]:
        new_epoch = self.position + self.seq_len > self.inputs.shape[1]
        if new_epoch:
            self.position = 0
        sl = slice(self.position, self.position + self.seq_len)
        self.position += self.seq_len
        return self.inputs[:, sl], self.targets[:, sl], new_epoch


@torch.no_grad()
def evaluate(model, ids, stateful: bool = True, chunk_len: int = 64,
             batch_size: int = 32) -> float:
    """Mean negative log-likelihood, in nats per character, of ``ids``.

    Every character after the first is predicted once. ``stateful=True``
    carries the hidden state across consecutive chunks of ``batch_size``
    long streams (the model sees all the text before each character, as when
    it reads the split from start to end); ``stateful=False`` scores
    independent chunks of ``chunk_len`` characters, each from a zero state,
    which is higher (less context). Either way the same characters count.
    """
    was_training = model.training
    model.eval()
    ids = torch.as_tensor(ids, dtype=torch.int64)
    if stateful:
        inputs, targets = as_streams(ids, batch_size)  # (B, L)
        step = 256
    else:
        inputs, targets = as_chunks(ids, chunk_len)  # (chunks, chunk_len)
        step = chunk_len
    total, count, state = 0.0, 0, None
    rows = 1024 if not stateful else inputs.shape[0]
    for r in range(0, inputs.shape[0], rows):  # chunked: batches of chunks
        state = None
        for t in range(0, inputs.shape[1], step):
            x = inputs[r:r + rows, t:t + step]
            y = targets[r:r + rows, t:t + step]
            logits, state = model(x, state)  # (B, T, V)
            total += F.cross_entropy(logits.flatten(0, 1), y.flatten(),
                                     ignore_index=IGNORE,
                                     reduction="sum").item()
            count += int((y != IGNORE).sum())
    model.train(was_training)
    return total / count


class RandomWindows:
    """(B, T) windows of consecutive ids starting at random places (nanoGPT's ``get_batch``).

    The starts are drawn with ``generator``, whose state a checkpoint keeps,
    so that a resumed run draws the same windows as one that never stopped.
    ``next()`` returns ``(inputs, targets, new_epoch)`` like
    :class:`StreamBatches` (``new_epoch`` is always False: nothing is carried).
    """

    def __init__(self, ids, batch_size: int, seq_len: int, generator: torch.Generator):
        self.ids = _as_ids(ids)
        if batch_size < 1 or seq_len < 1:
            raise ValueError(f"batch_size and seq_len must be >= 1, got {batch_size} and {seq_len}")
        if len(self.ids) <= seq_len:
            raise ValueError(f"{len(self.ids)} ids hold no window of seq_len={seq_len} plus its target")
        self.batch_size, self.seq_len, self.generator = batch_size, seq_len, generator
        self.offsets = torch.arange(seq_len)  # (T,)

    def next(self) -> tuple[torch.Tensor, torch.Tensor, bool]:
        starts = torch.randint(len(self.ids) - self.seq_len, (self.batch_size,),
                               generator=self.generator)  # (B,)
        at = starts[:, None] + self.offsets  # (B, T)
        return self.ids[at], self.ids[at + 1], False


@torch.no_grad()
def window_losses(model, ids, window: int = 64, n_windows: int = 4096, seed: int = 0,
                  batch_size: int = 512) -> torch.Tensor:
    """The mean loss of each of ``n_windows`` random windows of ``window`` characters, (n_windows,).

    Window i is ``ids[s_i : s_i + window]`` predicting ``ids[s_i + 1 : s_i + window + 1]``,
    its start drawn from a generator seeded with ``seed``: the same windows on every call.
    Each of the window's positions counts, so the contexts run from 1 to ``window`` characters.
    """
    ids = _as_ids(ids)
    if window < 1 or n_windows < 1 or batch_size < 1:
        raise ValueError(f"window, n_windows and batch_size must be >= 1, got {window}, {n_windows}, {batch_size}")
    if len(ids) <= window:
        raise ValueError(f"{len(ids)} ids hold no window of {window} characters plus its target")
    starts = torch.randint(len(ids) - window, (n_windows,), generator=torch.Generator().manual_seed(seed))
    offsets = torch.arange(window)
    was_training = model.training
    model.eval()
    out = []
    for b in range(0, n_windows, batch_size):
        at = starts[b:b + batch_size, None] + offsets  # (b, window)
        logits, _ = model(ids[at])  # (b, window, V)
        nll = F.cross_entropy(logits.float().transpose(1, 2), ids[at + 1], reduction="none")  # (b, window)
        out.append(nll.mean(dim=1))
    model.train(was_training)
    return torch.cat(out)


def evaluate_windows(model, ids, window: int = 64, n_windows: int = 4096, seed: int = 0) -> float:
    """Mean negative log-likelihood, in nats per character, over random windows (nanoGPT's scoring).

    See :func:`window_losses`; its standard error is ``window_losses(...).std() / sqrt(n_windows)``.
    """
    return window_losses(model, ids, window, n_windows, seed).mean().item()
