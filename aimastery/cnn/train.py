"""Training and scoring an image classifier in PyTorch (Week 5, book/week05_cnn.md).

One loop for every network of the week: AdamW with a one-cycle learning
rate over all the steps (or, to compare networks at one fixed learning
rate, SGD with momentum), seeded batch orders (Week 4's
:func:`aimastery.mlp.train.batch_order`), an optional augmentation
(:mod:`aimastery.cnn.augment`) applied to each training batch, and a
history of every step's loss and each epoch's scores. ``progress=True``
shows a tqdm bar (the chapter passes False: a page must write nothing on
stderr).

Images go through the network in PyTorch's ``channels_last`` memory
layout (N, C, H, W indexed as always, stored as N, H, W, C): the same
numbers, but the CPU convolutions (oneDNN) run on it without reordering,
which made the chapter's MNIST CNN train 40 % faster on this machine. The caller seeds the model's initialisation
(:func:`aimastery.config.seed_everything`); the loop seeds its own
batch order and augmentation from ``config.seed``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from aimastery.config import SEED
from aimastery.mlp.train import Scores, batch_order


OPTIMIZERS = ("adamw", "sgd")


@dataclass
class TrainConfig:
    epochs: int = 1
    batch_size: int = 128
    lr: float = 3e-3  # AdamW: the one-cycle schedule's peak; SGD: the constant rate
    weight_decay: float = 1e-4
    optimizer: str = "adamw"  # or "sgd": momentum 0.9, constant learning rate, no weight decay
    max_steps: int | None = None  # stop after this many steps (a short run of the first epoch)
    seed: int = SEED

    def __post_init__(self) -> None:
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {self.optimizer!r}")
        if self.epochs < 1 or self.batch_size < 1 or not self.lr > 0 or (self.max_steps is not None
                                                                           and self.max_steps < 1):
            raise ValueError(f"epochs, batch_size and max_steps must be >= 1 and lr > 0, got epochs={self.epochs}, "
                             f"batch_size={self.batch_size}, max_steps={self.max_steps}, lr={self.lr}")


@dataclass
class History:
    """Per-epoch figures: training time, running loss/accuracy, and validation scores (if given)."""

    seconds: list[float] = field(default_factory=list)
    train: list[Scores] = field(default_factory=list)
    val: list[Scores] = field(default_factory=list)
    step_loss: list[float] = field(default_factory=list)  # every step's training loss

    @property
    def train_seconds(self) -> float:
        return float(sum(self.seconds))


def as_tensor(X: np.ndarray) -> torch.Tensor:
    """Images as float32 (N, C, H, W): (N, H, W) gets a channel axis."""
    t = torch.as_tensor(X, dtype=torch.float32)
    return t.unsqueeze(1) if t.ndim == 3 else t


def to_channels_last(x: torch.Tensor) -> torch.Tensor:
    """A batch (B, C, H, W) stored as (B, H, W, C); the same tensor to every operation."""
    return x.contiguous(memory_format=torch.channels_last) if x.ndim == 4 else x


def train(model: nn.Module, X: np.ndarray, y: np.ndarray, config: TrainConfig, *,
          X_val: np.ndarray | None = None, y_val: np.ndarray | None = None,
          augment: Callable[[torch.Tensor, torch.Generator], torch.Tensor] | None = None,
          progress: bool = False) -> History:
    """Train ``model`` in place on X (N, [C,] H, W), y (N,); return its :class:`History`."""
    Xt, yt = as_tensor(X), torch.as_tensor(y, dtype=torch.long)
    if len(Xt) != len(yt) or len(Xt) == 0:
        raise ValueError(f"X and y must hold the same number (>= 1) of examples, got {len(Xt)} and {len(yt)}")
    steps_per_epoch = -(-len(Xt) // config.batch_size)
    total_steps = config.epochs * steps_per_epoch
    if config.max_steps is not None:
        total_steps = min(total_steps, config.max_steps)
    if config.optimizer == "sgd":
        optimizer = torch.optim.SGD(model.parameters(), lr=config.lr, momentum=0.9)
        schedule = None
    else:
        optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
        schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=config.lr, total_steps=total_steps)
    model.to(memory_format=torch.channels_last)  # in place: the convolutions' weights, (C_out, kh, kw, C_in) in memory
    generator = torch.Generator().manual_seed(config.seed)
    loss_fn = nn.CrossEntropyLoss()
    history = History()
    bar = tqdm(total=total_steps, disable=not progress, desc="training")
    for epoch in range(-(-total_steps // steps_per_epoch)):
        model.train()
        order = torch.as_tensor(batch_order(len(Xt), epoch, config.seed))
        order = order[:(total_steps - epoch * steps_per_epoch) * config.batch_size]  # all of it but in a short run
        start, total_loss, correct = time.perf_counter(), 0.0, 0
        for first in range(0, len(order), config.batch_size):
            idx = order[first:first + config.batch_size]
            xb, yb = Xt[idx], yt[idx]  # (B, C, H, W), (B,)
            if augment is not None:
                xb = augment(xb, generator)
            logits = model(to_channels_last(xb))  # (B, classes)
            loss = loss_fn(logits, yb)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            if schedule is not None:
                schedule.step()
            step_loss = loss.item()
            total_loss += step_loss * len(idx)
            correct += int((logits.argmax(1) == yb).sum())
            history.step_loss.append(step_loss)
            bar.update(1)
        history.seconds.append(time.perf_counter() - start)
        history.train.append(Scores(total_loss / len(order), correct / len(order)))
        if X_val is not None:
            history.val.append(evaluate(model, X_val, y_val))
    bar.close()
    return history


@torch.no_grad()
def logits_of(model: nn.Module, X: np.ndarray, batch_size: int = 1000) -> torch.Tensor:
    """The logits (N, classes) of ``model`` in eval mode on X."""
    model.eval()
    Xt = as_tensor(X)
    return torch.cat([model(to_channels_last(Xt[i:i + batch_size])) for i in range(0, len(Xt), batch_size)])


def predict_proba(model: nn.Module, X: np.ndarray, batch_size: int = 1000) -> np.ndarray:
    """Softmax probabilities (N, classes) as NumPy."""
    return torch.softmax(logits_of(model, X, batch_size), 1).numpy()


def evaluate(model: nn.Module, X: np.ndarray, y: np.ndarray, batch_size: int = 1000) -> Scores:
    """Mean cross-entropy and accuracy of ``model`` on X, y."""
    logits = logits_of(model, X, batch_size)
    yt = torch.as_tensor(y, dtype=torch.long)
    return Scores(float(nn.functional.cross_entropy(logits, yt)), float((logits.argmax(1) == yt).float().mean()))
