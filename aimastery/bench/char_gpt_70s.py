"""The chapter's character GPT: 70 seconds of training, scored as nanoGPT scores.

Target (Week 8, book/week08_gpt.md): <= 1.86 nats/char after 70 s of training on a 2-core CPU, where
nanoGPT's CPU recipe (:data:`aimastery.gpt.recipes.NANOGPT_CPU`) reaches about 1.87. Trains
:data:`aimastery.gpt.recipes.CHAPTER_70S` into ``checkpoints/char_gpt_70s_bench/`` (replaced on every
run); the figures are those of :mod:`aimastery.bench.char_gpt` (``wall_s`` adds loading and the final
evaluation to the 70 s).
"""

from __future__ import annotations

from aimastery.bench.char_gpt import run_recipe
from aimastery.config import REPO_ROOT

OUT = REPO_ROOT / "checkpoints" / "char_gpt_70s_bench"
TRAIN_S = 70.0


def run() -> dict:
    from aimastery.gpt.recipes import CHAPTER_70S

    return run_recipe(CHAPTER_70S, OUT, train_s=TRAIN_S)
