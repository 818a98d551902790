"""Masked-language-model pretraining, BERT's way, for a tiny BERT on a small corpus.

Taught in Week 7 (book/week07_attention_bert.md). BERT learns by filling in
blanks (Devlin et al. 2019): 15 % of the positions of each sequence are
chosen; of those, 80 % are replaced by ``[MASK]``, 10 % by a random token and
10 % left as they are, and the model is scored (cross-entropy) on predicting
the original token at the chosen positions only. The random and unchanged
10 % keep the model from learning that only ``[MASK]`` positions matter.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import torch
from torch import Tensor

from aimastery.bert.model import BertForMaskedLM

IGNORE = -100  # the label of a position that is not scored (PyTorch's cross_entropy default)


def mask_tokens(ids: Tensor, mask_id: int, vocab_size: int, generator: torch.Generator,
                p: float = 0.15, protected: Sequence[int] = ()) -> tuple[Tensor, Tensor]:
    """BERT's masking of a batch of ids (B, T) -> (inputs, labels), both (B, T).

    ``labels`` is the original id where a position was chosen and
    :data:`IGNORE` elsewhere. Ids in ``protected`` (padding, [CLS], ...) are
    never chosen. Random replacements are drawn from ids not in ``protected``
    and not ``mask_id``.
    """
    if not 0 < p < 1:
        raise ValueError(f"the masking probability p must lie in (0, 1), got {p}")
    chosen = torch.rand(ids.shape, generator=generator) < p  # (B, T)
    for t in protected:
        chosen &= ids != t
    labels = torch.where(chosen, ids, torch.full_like(ids, IGNORE))
    roll = torch.rand(ids.shape, generator=generator)
    inputs = ids.clone()
    inputs[chosen & (roll < 0.8)] = mask_id  # 80 %: [MASK]
    random_pos = chosen & (roll >= 0.8) & (roll < 0.9)  # 10 %: a random token; the last 10 %: unchanged
    allowed = torch.tensor([i for i in range(vocab_size) if i != mask_id and i not in set(protected)])
    inputs[random_pos] = allowed[torch.randint(len(allowed), (int(random_pos.sum()),), generator=generator)]
    return inputs, labels


def random_windows(ids: Tensor, batch_size: int, seq_len: int, generator: torch.Generator) -> Tensor:
    """``batch_size`` windows of ``seq_len`` consecutive ids, at random offsets: (B, T)."""
    if len(ids) <= seq_len:
        raise ValueError(f"the corpus has {len(ids)} ids, too few for windows of {seq_len}")
    starts = torch.randint(0, len(ids) - seq_len, (batch_size,), generator=generator)
    return torch.stack([ids[s:s + seq_len] for s in starts.tolist()])


@dataclass
class MLMRun:
    steps: list[int] = field(default_factory=list)
    loss: list[float] = field(default_factory=list)  # training loss at each step
    val_steps: list[int] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    seconds: float = 0.0


@torch.no_grad()
def mlm_loss(model: BertForMaskedLM, batches: list[tuple[Tensor, Tensor]]) -> float:
    """Mean masked-token cross-entropy over fixed, pre-masked batches (evaluation mode)."""
    was_training = model.training
    model.eval()
    total, count = 0.0, 0
    for inputs, labels in batches:
        _, loss = model(inputs, labels=labels)
        n = int((labels != IGNORE).sum())
        total, count = total + float(loss) * n, count + n
    model.train(was_training)
    return total / max(count, 1)


def train_mlm(model: BertForMaskedLM, train_ids: Tensor, *, mask_id: int, steps: int, batch_size: int = 32,
              seq_len: int = 64, lr: float = 1e-3, warmup: int = 50, seed: int = 0,
              val_batches: list[tuple[Tensor, Tensor]] | None = None, val_every: int = 100,
              protected: Sequence[int] = (), on_step: Callable[[int, float], None] | None = None) -> MLMRun:
    """Pretrain ``model`` by masked-token prediction on random windows of ``train_ids`` (1-D).

    AdamW with a linear warm-up over ``warmup`` steps, then a linear decay to
    zero; gradients clipped at norm 1. Returns the loss curve (and the
    validation loss every ``val_every`` steps, if ``val_batches`` are given).
    """
    import time

    gen = torch.Generator().manual_seed(seed)
    vocab_size = model.config.vocab_size
    decay = [p for n, p in model.named_parameters() if p.ndim >= 2]  # no weight decay on biases and LayerNorms
    rest = [p for n, p in model.named_parameters() if p.ndim < 2]
    optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": rest, "weight_decay": 0.0}],
                                  lr=lr, betas=(0.9, 0.98))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / warmup, max(0.0, (steps - s) / max(1, steps - warmup))))
    run = MLMRun()
    start = time.perf_counter()
    model.train()
    for step in range(1, steps + 1):
        inputs, labels = mask_tokens(random_windows(train_ids, batch_size, seq_len, gen), mask_id, vocab_size,
                                     gen, protected=protected)
        _, loss = model(inputs, labels=labels)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        run.steps.append(step)
        run.loss.append(loss.item())
        if on_step:
            on_step(step, run.loss[-1])
        if val_batches and (step % val_every == 0 or step == steps):
            run.val_steps.append(step)
            run.val_loss.append(mlm_loss(model, val_batches))
    run.seconds = time.perf_counter() - start
    model.eval()
    return run


def fixed_val_batches(ids: Tensor, mask_id: int, vocab_size: int, n_batches: int = 4, batch_size: int = 32,
                      seq_len: int = 64, seed: int = 1, protected: Sequence[int] = ()) -> list[tuple[Tensor, Tensor]]:
    """Validation batches masked once, so that every evaluation scores the same positions."""
    gen = torch.Generator().manual_seed(seed)
    return [mask_tokens(random_windows(ids, batch_size, seq_len, gen), mask_id, vocab_size, gen,
                        protected=protected) for _ in range(n_batches)]


@torch.no_grad()
def top_guesses(model: BertForMaskedLM, ids: Sequence[int], position: int, k: int = 5) -> list[tuple[int, float]]:
    """The ``k`` most likely ids at ``position`` of ``ids`` (where a [MASK] is), with their probabilities."""
    model.eval()
    logits, _ = model(torch.tensor([list(ids)]))  # (1, T, V)
    probs = logits[0, position].softmax(-1)
    values, indices = probs.topk(k)
    return [(int(i), float(v)) for i, v in zip(indices, values)]


def parameters_by_part(model: BertForMaskedLM) -> dict[str, int]:
    """How many parameters the embeddings, the encoder layers and the MLM head hold."""
    parts = {"embeddings": model.bert.embeddings, "encoder": model.bert.encoder, "MLM head": model.cls}
    counted = {name: sum(p.numel() for p in part.parameters()) for name, part in parts.items()}
    counted["MLM head"] -= model.cls.predictions.decoder.weight.numel()  # tied: already in the embeddings
    return counted
