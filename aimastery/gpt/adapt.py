"""Adapting a pretrained char-GPT to a play it has never read: none vs full fine-tuning vs LoRA (Week 8).

Taught in Week 8 (book/week08_gpt.md). The chapter's GPT is pretrained on the
nine plays of :data:`~aimastery.data.shakespeare.PLAYS`. :func:`compare_adaptation`
takes another play (Henry V by default: French scenes, Fluellen's Welsh English),
cuts it at a speech boundary into an adaptation-train part and a held-out part,
and compares three arms on the same batches for the same number of steps:

* **none**: the pretrained model as it is;
* **full fine-tuning**: AdamW on every weight;
* **LoRA**: AdamW on the adapters of :mod:`aimastery.gpt.lora` only.

For each: the held-out loss (nats per character, the mean over the same seeded
random 64-character windows), the loss on the pretraining corpus's validation
split (what adapting costs on the old text), trainable parameters, training
seconds, and memory, two ways. ``grad_adam_bytes`` counts the bytes of the
gradients and the two AdamW moments an arm keeps, read from the tensors
themselves (``p.grad.nbytes``, the optimiser's state): exact for those, blind
to activations. ``peak_rss_rise_mb`` is measured: the process's resident
memory, sampled by a thread (psutil) during training, peak minus start, after
handing freed memory back to the OS (glibc's ``malloc_trim``) so that an arm
cannot hide in memory an earlier arm freed. It includes activations and
temporaries, and varies by several MB from run to run. ``tracemalloc`` would
see none of torch's allocations (it traces Python's allocator only), and
``resource.getrusage``'s ``ru_maxrss`` is one high-water mark for the whole
process, which cannot separate one arm from another.
"""

from __future__ import annotations

import copy
import ctypes
import ctypes.util
import math
import threading
import time
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
import psutil
import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from aimastery.charlm.data import RandomWindows, evaluate_windows
from aimastery.data.shakespeare import PLAYS, CharVocab, load_play_text, split_speeches
from aimastery.gpt.lora import apply_lora, trainable_parameters


@dataclass(frozen=True)
class AdaptConfig:
    """The experiment's settings (the defaults are the chapter's)."""

    play: str = "histories/henry-v"  # not one of PLAYS
    train_fraction: float = 0.8  # the first 80 % of the play adapts, the rest is held out
    steps: int = 100  # optimiser steps per training arm (the same batches for both)
    batch_size: int = 8
    seq_len: int = 64  # characters per training window
    lr_full: float = 3e-4  # full fine-tuning: below pretraining's, not to undo what it learned
    lr_lora: float = 3e-3  # LoRA: ten times higher (a few parameters, an update that starts at zero)
    grad_clip: float = 1.0
    r: int = 2  # rank of the adapters
    alpha: float = 4.0  # the update is scaled by alpha / r
    targets: tuple[str, ...] = ("attn.c_attn",)  # the fused q, k, v projection (peft's default for GPT-2)
    eval_windows: int = 256  # random windows of held-out text scored per arm
    eval_window: int = 64  # characters per scored window
    seed: int = 0

    def __post_init__(self):
        if self.play in PLAYS:
            raise ValueError(f"{self.play} is one of the pretraining plays (PLAYS): adapt to a play the model "
                             f"has not read, e.g. 'histories/henry-v'")
        if not 0 < self.train_fraction < 1:
            raise ValueError(f"train_fraction must lie in (0, 1), got {self.train_fraction}")
        for name in ("steps", "batch_size", "seq_len", "eval_windows", "eval_window"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")


def adaptation_data(vocab: CharVocab, play: str = AdaptConfig.play, train_fraction: float = 0.8
                    ) -> tuple[np.ndarray, np.ndarray]:
    """The play's ids in the corpus vocabulary, cut at a speech boundary: (adapt-train, held-out).

    A character the vocabulary lacks is an error (:func:`load_play_text` names it); Henry V has none.
    """
    train, held_out = split_speeches(load_play_text(play, vocab), train_fraction)
    return vocab.encode(train), vocab.encode(held_out)


def _release_free_memory() -> bool:
    """Hand memory that malloc holds but nobody uses back to the OS (glibc's malloc_trim); False if unavailable."""
    try:
        ctypes.CDLL(ctypes.util.find_library("c")).malloc_trim(0)  # returns 1 if it released any
        return True
    except (OSError, AttributeError, TypeError):  # not glibc (macOS, Windows, musl)
        return False


class PeakRSS:
    """The process's peak resident memory during a block, sampled by a thread (psutil), minus where it began.

    Sees every allocation torch makes on the CPU (unlike tracemalloc). Memory the process freed earlier but
    still holds would be reused without raising the resident size, so on entry it is handed back to the OS
    (``released`` says whether that was possible; without it, read the rise as a lower bound).
    """

    def __init__(self, interval: float = 0.002):
        self.interval, self.rise = interval, 0
        self._process, self._stop = psutil.Process(), threading.Event()

    def _sample(self) -> None:
        while not self._stop.is_set():
            self._peak = max(self._peak, self._process.memory_info().rss)
            self._stop.wait(self.interval)

    def __enter__(self) -> PeakRSS:
        self.released = _release_free_memory()
        self._start = self._peak = self._process.memory_info().rss
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self._peak = max(self._peak, self._process.memory_info().rss)
        self.rise = self._peak - self._start


def train_steps(model: nn.Module, ids, steps: int, lr: float, batch_size: int = 16, seq_len: int = 64,
                grad_clip: float = 1.0, seed: int = 0, progress_bar: bool = False, desc: str = "train") -> dict:
    """AdamW (no weight decay) on the parameters that have ``requires_grad``, on random windows of ``ids``.

    Returns the mean training loss of the last 10 % of steps, the seconds, and the bytes of the gradients
    and AdamW moments held at the end (read from the tensors).
    """
    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        raise ValueError("nothing to train: no parameter of the model has requires_grad")
    optimizer = torch.optim.AdamW(params, lr=lr, weight_decay=0.0)
    batches = RandomWindows(ids, batch_size, seq_len, torch.Generator().manual_seed(seed))  # nanoGPT's batches
    model.train()
    losses = []
    started = time.perf_counter()
    for _ in tqdm(range(steps), desc=desc, unit="step", disable=not progress_bar, leave=False):
        inputs, targets, _ = batches.next()  # (B, T) each
        logits, _ = model(inputs)  # (B, T, V)
        loss = F.cross_entropy(logits.flatten(0, 1), targets.flatten())
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(params, grad_clip)
        optimizer.step()
        losses.append(loss.item())
    seconds = time.perf_counter() - started
    model.eval()
    grad_bytes = sum(p.grad.nbytes for p in params if p.grad is not None)
    adam_bytes = sum(t.nbytes for state in optimizer.state.values() for k, t in state.items()
                     if k in ("exp_avg", "exp_avg_sq"))
    tail = losses[-max(1, steps // 10):]
    return {"train_loss": float(np.mean(tail)), "seconds": seconds, "grad_bytes": grad_bytes,
            "adam_bytes": adam_bytes}


def compare_adaptation(model: nn.Module, vocab: CharVocab, config: AdaptConfig = AdaptConfig(),
                       corpus_val: str | None = None, progress_bar: bool = False,
                       models: dict | None = None) -> pd.DataFrame:
    """The three arms on ``model`` (left untouched: each arm trains a copy), one row each.

    ``corpus_val`` (e.g. ``load_shakespeare().val``) adds the loss on the pretraining corpus
    after adapting, scored on the same kind of seeded windows. A dict passed as ``models``
    receives each arm's model, by arm name (to look at or merge the adapters afterwards).
    """
    if len(vocab) != model.config.vocab_size:
        raise ValueError(f"the vocabulary has {len(vocab)} characters, the model {model.config.vocab_size}")
    train_ids, held_ids = adaptation_data(vocab, config.play, config.train_fraction)
    val_ids = None if corpus_val is None else vocab.encode(corpus_val)
    score = dict(n_windows=config.eval_windows, window=config.eval_window, seed=config.seed)
    lora_name = f"LoRA r={config.r} on {', '.join(config.targets)}"
    # warm-up, discarded: the first step in a process pays one-time costs (imports, thread pools, allocator)
    train_steps(copy.deepcopy(model), train_ids, 1, config.lr_full, config.batch_size, config.seq_len)
    rows = []
    for arm in ("none", "full fine-tuning", lora_name):
        candidate = copy.deepcopy(model)
        result = {"train_loss": math.nan, "seconds": 0.0, "grad_bytes": 0, "adam_bytes": 0}
        rss = PeakRSS()
        if arm != "none":
            if arm == lora_name:
                torch.manual_seed(config.seed)  # the adapters' A
                apply_lora(candidate, r=config.r, alpha=config.alpha, targets=config.targets)
            lr = config.lr_lora if arm == lora_name else config.lr_full
            with rss:
                result = train_steps(candidate, train_ids, config.steps, lr, config.batch_size, config.seq_len,
                                     config.grad_clip, config.seed, progress_bar, desc=arm)
        trainable, total = trainable_parameters(candidate) if arm != "none" else (0, model.num_parameters())
        if models is not None:
            models[arm] = candidate
        rows.append({
            "arm": arm,
            "held_out_loss": evaluate_windows(candidate, held_ids, **score),
            "corpus_val_loss": math.nan if val_ids is None else evaluate_windows(candidate, val_ids, **score),
            "adapt_train_loss": result["train_loss"],
            "trainable_params": trainable,
            "trainable_pct": 100 * trainable / total,
            "train_seconds": result["seconds"],
            "grad_adam_bytes": result["grad_bytes"] + result["adam_bytes"],
            "peak_rss_rise_mb": rss.rise / 2**20 if arm != "none" else math.nan,
        })
    frame = pd.DataFrame(rows).set_index("arm")
    frame.attrs["config"] = asdict(config)
    frame.attrs["adapt_chars"], frame.attrs["held_out_chars"] = len(train_ids), len(held_ids)
    return frame
