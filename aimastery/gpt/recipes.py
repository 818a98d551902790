"""Named recipes for training the character GPT on Shakespeare: (GPTConfig, TrainConfig) pairs.

Taught in Week 8 (book/week08_gpt.md), which runs the anchor and the chapter's recipe side by side;
``make bench ONLY=char_gpt`` runs :data:`BENCH_10MIN` and ``ONLY=char_gpt_70s`` :data:`CHAPTER_70S`.
Each trains with :func:`aimastery.charlm.train.train`; replace a budget with ``dataclasses.replace``
(``max_minutes`` for wall time; the cosine then runs to the end of the time budget).

* :data:`NANOGPT_CPU`: nanoGPT's ``train_shakespeare_char`` with the overrides its README gives for a
  CPU (4 layers, 4 heads, 128 wide, block 64, batch 12, no dropout, lr 1e-3 with 100 warm-up steps and
  a cosine to 1e-4 over 2,000 iterations, AdamW with betas (0.9, 0.99) and weight decay 0.1; no
  biases and the exact GELU, as nanoGPT's model). The anchor: about 70 s on an idle 2-core machine.
  nanoGPT validates every 250 steps on 20 batches; here the validation is once, at the end, on
  4,096 windows (a standard error near 0.003), so that the training time is all training.
* :data:`CHAPTER_70S`: what 70 seconds buy. Half the depth (2 layers: each step costs about half),
  bfloat16 autocast (the CPU's bf16 matrix units: faster still), 32 windows a batch instead of 12
  (fewer, larger matrix products use the cores better), a learning rate three times higher and
  AdamW's beta2 = 0.95 (a small model for a short run tolerates, and needs, larger steps), the cosine
  run to the end of the time budget. Evaluated once, at the end.
* :data:`BENCH_10MIN`: ten minutes buy depth and width back: 4 layers 192 wide (1.8 M parameters), and
  dropout 0.1 (measured better than none for this size and budget). Like CHAPTER_70S it validates
  once, at the end: validating every 1,000 steps on 4,096 windows cost about 7 s each, 5 % of the
  training time (quiet machine, 2 threads: 5,032 steps and 1.405 with those validations, 5,350 steps
  and 1.394 without). The learning rate is not what limits it: 3e-3 gave 1.406 against 2e-3's 1.405.
"""

from __future__ import annotations

from dataclasses import replace

from aimastery.charlm.train import TrainConfig
from aimastery.gpt.model import GPTConfig

VOCAB_SIZE = 63  # the characters of aimastery.data.shakespeare.load_shakespeare()

#: nanoGPT's CPU settings for train_shakespeare_char (the anchor).
NANOGPT_CPU: tuple[GPTConfig, TrainConfig] = (
    GPTConfig(vocab_size=VOCAB_SIZE, block_size=64, n_layer=4, n_head=4, n_embd=128, dropout=0.0,
              bias=False, activation_function="gelu"),
    TrainConfig(batch_size=12, seq_len=64, lr=1e-3, final_lr_fraction=0.1, warmup_steps=100,
                grad_clip=1.0, max_steps=2000, eval_every=2000, weight_decay=0.1, beta2=0.99),
)

#: The chapter's recipe: 70 seconds of training.
CHAPTER_70S: tuple[GPTConfig, TrainConfig] = (
    replace(NANOGPT_CPU[0], n_layer=2),
    replace(NANOGPT_CPU[1], max_steps=None, max_minutes=70 / 60, batch_size=32, lr=3e-3, beta2=0.95,
            bf16=True, num_threads=2, eval_every=10**9),
)

#: The 10-minute benchmark's recipe.
BENCH_10MIN: tuple[GPTConfig, TrainConfig] = (
    replace(NANOGPT_CPU[0], n_embd=192, n_head=6, dropout=0.1),
    replace(CHAPTER_70S[1], max_minutes=10.0, lr=2e-3),
)

RECIPES = {"nanogpt_cpu": NANOGPT_CPU, "chapter_70s": CHAPTER_70S, "bench_10min": BENCH_10MIN}

#: The anchor's figure, measured once on the machine that builds the book (not by this code): nanoGPT's own
#: train_shakespeare_char with NANOGPT_CPU's settings on this course's corpus reached this validation loss
#: (random 64-character windows of the validation split) after about 70 seconds of training.
ANCHOR_VAL_LOSS_70S = 1.867
