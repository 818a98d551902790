"""Learning-rate schedules: linear warm-up, then a cosine decay.

Taught in Week 2 (book/week02_linear.md); the cosine part is Week 4's
:func:`aimastery.mlp.train.cosine_lr`, counted in steps instead of epochs.
"""

from __future__ import annotations

from aimastery.mlp.train import cosine_lr


def warmup_cosine_lr(step: int, total_steps: int, peak_lr: float, warmup_steps: int = 0,
                     final_lr: float = 0.0) -> float:
    """The learning rate of 0-based ``step`` out of ``total_steps``.

    During the first ``warmup_steps`` it rises linearly, ``peak_lr * (step + 1)
    / warmup_steps``; then it falls from ``peak_lr`` to ``final_lr`` along half
    a cosine. The same values as ``torch.optim.lr_scheduler.LinearLR`` (start
    factor ``1 / warmup_steps``) followed by ``CosineAnnealingLR`` (``T_max =
    total_steps - warmup_steps``, ``eta_min = final_lr``).
    """
    if not 0 <= warmup_steps < total_steps:
        raise ValueError(f"need 0 <= warmup_steps < total_steps, got {warmup_steps} and {total_steps}")
    if not 0 <= step < total_steps:
        raise ValueError(f"step must be in [0, {total_steps}), got {step}")
    if not peak_lr > 0 or not 0 <= final_lr <= peak_lr:
        raise ValueError(f"need peak_lr > 0 and 0 <= final_lr <= peak_lr, got {peak_lr} and {final_lr}")
    if step < warmup_steps:
        return peak_lr * (step + 1) / warmup_steps
    return final_lr + cosine_lr(peak_lr - final_lr, step - warmup_steps, total_steps - warmup_steps)
