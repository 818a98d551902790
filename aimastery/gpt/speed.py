"""How long one training step of a recipe takes, measured on the training loop's own step (Week 8).

Taught in Week 8 (book/week08_gpt.md): at a fixed wall-time budget, a
recipe's steps per second matter as much as what one step learns. The page
times each change of its recipe (bfloat16 autocast, batch size, depth) with
:func:`step_seconds`, which runs :func:`aimastery.charlm.train.train_step`
on random windows of the corpus. The recipes take turns, a few steps each,
round after round, so that a machine that gets busier half-way slows all of
them alike; timings are only compared as ratios taken in one run.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import torch

from aimastery.charlm.data import RandomWindows
from aimastery.charlm.train import TrainConfig, new_run, train_step
from aimastery.data.shakespeare import CharVocab
from aimastery.gpt.model import GPTConfig


def step_seconds(recipes: Mapping[str, tuple[GPTConfig, TrainConfig]], train_ids, vocab: CharVocab, *,
                 rounds: int = 4, steps: int = 3, warmup: int = 2) -> dict[str, float]:
    """Median seconds of one training step of each (GPTConfig, TrainConfig) recipe, by name.

    Each recipe gets a fresh run (seeded by its ``seed``, never saved) and
    ``warmup`` untimed steps; then ``rounds`` rounds of ``steps`` timed steps
    each, the recipes in turn. ``num_threads`` of the recipes is ignored: the
    caller's thread count applies to all of them.
    """
    if not recipes or rounds < 1 or steps < 1 or warmup < 0:
        raise ValueError(f"need at least one recipe, rounds >= 1, steps >= 1, warmup >= 0; got {len(recipes)} "
                         f"recipes, rounds={rounds}, steps={steps}, warmup={warmup}")
    ids = torch.as_tensor(train_ids)
    runs, times = {}, {name: [] for name in recipes}
    for name, (model_config, config) in recipes.items():
        run = new_run(Path("never-saved.safetensors"), model_config, config, vocab)
        batches = RandomWindows(ids, config.batch_size, config.seq_len, torch.Generator().manual_seed(config.seed))
        runs[name] = (run, batches)
        for _ in range(warmup):
            train_step(run, *batches.next()[:2], config.lr)
    for _ in range(rounds):
        for name, (run, batches) in runs.items():
            for _ in range(steps):
                x, y, _ = batches.next()  # (B, T) each
                start = time.perf_counter()
                train_step(run, x, y, run.config.lr)
                times[name].append(time.perf_counter() - start)
    return {name: float(np.median(t)) for name, t in times.items()}
