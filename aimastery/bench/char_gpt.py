"""The character GPT's 10-minute run: validation loss in nats per character, scored as nanoGPT scores.

Target (Week 8, book/week08_gpt.md): <= 1.40 nats/char within 10 minutes on a 2-core CPU, all in.
Trains :data:`aimastery.gpt.recipes.BENCH_10MIN` with ``aimastery.charlm.train`` and a training-time
budget that leaves room for loading and for the final evaluation (timed beforehand), into
``checkpoints/char_gpt_bench/`` (replaced on every run).

``val_loss`` is nanoGPT's figure: the mean loss over random 64-character windows of the validation
split, every position of each window counted (contexts of 1 to 64 characters), the windows drawn
with a fixed seed (``scoring`` says how many). ``val_loss_chunked`` is the loss over the consecutive
64-character chunks of the split, every character once (deterministic). ``load_avg`` is
``os.getloadavg()`` (1, 5 and 15 minutes) at the end: the machine is shared, and a loaded machine
trains fewer steps in the same time.
"""

from __future__ import annotations

import dataclasses
import os
import time

from aimastery.config import REPO_ROOT

OUT = REPO_ROOT / "checkpoints" / "char_gpt_bench"
BUDGET_S = 600.0  # everything: loading, training, the final evaluation
MARGIN_S = 10.0


def final_evaluation_seconds(corpus, recipe) -> float:
    """How long the final evaluation takes, timed on an untrained model of the recipe
    (its cost does not depend on the weights), with a 50 % allowance."""
    import torch

    from aimastery.charlm.data import evaluate, evaluate_windows
    from aimastery.charlm.train import SCORING_WINDOW
    from aimastery.gpt.model import GPT

    gpt, config = recipe
    model = GPT(gpt)
    val = torch.as_tensor(corpus.vocab.encode(corpus.val))
    threads = torch.get_num_threads()
    torch.set_num_threads(config.num_threads or threads)
    try:
        start = time.perf_counter()
        evaluate_windows(model, val, SCORING_WINDOW, config.eval_windows, config.seed)
        evaluate(model, val, stateful=False, chunk_len=SCORING_WINDOW)
        return 1.5 * (time.perf_counter() - start)
    finally:
        torch.set_num_threads(threads)


def run_recipe(recipe, out, budget_s: float | None = None, train_s: float | None = None) -> dict:
    """Train ``recipe`` into ``out`` for ``train_s`` seconds of training, or for whatever
    ``budget_s`` of wall time leaves once loading and the final evaluation are set aside."""
    start = time.perf_counter()
    from aimastery.charlm.train import CHECKPOINT_NAME, train
    from aimastery.data.shakespeare import load_shakespeare

    corpus = load_shakespeare()
    gpt, config = recipe
    if train_s is None:
        reserve = final_evaluation_seconds(corpus, recipe)
        train_s = budget_s - MARGIN_S - reserve - (time.perf_counter() - start)
    config = dataclasses.replace(config, max_steps=None, max_minutes=train_s / 60)
    (out / CHECKPOINT_NAME).unlink(missing_ok=True)
    result = train(out, gpt, config, corpus=corpus, progress_bar=False, log=lambda _: None)
    final = result.progress.final
    return {
        "val_loss": round(final["val_loss"], 4),
        "val_loss_chunked": round(final["val_loss_chunked"], 4),
        "wall_s": round(time.perf_counter() - start, 1),
        "train_s": round(result.progress.seconds, 1),
        "params": result.model.num_parameters(),
        "steps": result.progress.step,
        "scoring": final["scoring"],
        "load_avg": [round(x, 2) for x in os.getloadavg()],
    }


def run() -> dict:
    from aimastery.gpt.recipes import BENCH_10MIN

    return run_recipe(BENCH_10MIN, OUT, budget_s=BUDGET_S)
