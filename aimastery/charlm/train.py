"""Training the character LSTM for longer than a chapter can (Week 6).

``python -m aimastery.charlm train --out checkpoints/char_lstm --minutes 10``
trains with Adam, a warm-up then a cosine learning-rate schedule, truncated
backpropagation through time over side-by-side streams (the hidden state is
carried from one chunk to the next), gradient clipping, a tqdm progress bar,
a validation loss every ``eval_every`` steps and a checkpoint at each one.
``--resume`` goes on from the last checkpoint exactly where it stopped.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path

import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from aimastery.charlm.checkpoint import (
    CheckpointError,
    load_checkpoint,
    save_checkpoint,
    split_prefix,
)
from aimastery.charlm.data import IGNORE, StreamBatches, evaluate
from aimastery.charlm.model import CharLSTM, CharLSTMConfig
from aimastery.data.shakespeare import CharVocab, load_shakespeare

CHECKPOINT_NAME = "last.safetensors"


@dataclass(frozen=True)
class TrainConfig:
    """How to train (the defaults are the benchmark's)."""

    batch_size: int = 64  # side-by-side streams
    seq_len: int = 128  # characters per chunk (steps of backprop in time)
    lr: float = 4e-3  # peak learning rate
    final_lr_fraction: float = 0.05  # the cosine ends at lr * this
    warmup_steps: int = 50
    grad_clip: float = 1.0  # max global gradient norm
    max_steps: int | None = None  # stop after this many steps ...
    max_minutes: float | None = None  # ... or this much training time
    eval_every: int = 100  # validate (and checkpoint) every this many steps
    eval_chars: int = 20_000  # periodic validation on this much of val
    seed: int = 0

    def __post_init__(self):
        if self.max_steps is None and self.max_minutes is None:
            raise ValueError("give max_steps or max_minutes (or both)")
        for name in ("batch_size", "seq_len", "eval_every", "eval_chars"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1")

    def budget_used(self, step: int, seconds: float) -> float:
        """How much of the run is done, in [0, 1]: the larger of the two."""
        done = 0.0
        if self.max_steps is not None:
            done = max(done, step / self.max_steps)
        if self.max_minutes is not None:
            done = max(done, seconds / (60 * self.max_minutes))
        return min(done, 1.0)

    def lr_at(self, step: int, seconds: float) -> float:
        """Linear warm-up, then a cosine from ``lr`` to ``lr * final``."""
        if step < self.warmup_steps:
            return self.lr * (step + 1) / self.warmup_steps
        cosine = 0.5 * (1 + math.cos(math.pi * self.budget_used(step,
                                                                seconds)))
        low = self.lr * self.final_lr_fraction
        return low + (self.lr - low) * cosine


@dataclass
class Progress:
    step: int = 0
    position: int = 0  # where the next training chunk starts
    seconds: float = 0.0  # training time so far, over every resume
    history: list | None = None  # one dict per validation
    final: dict | None = None  # full-split figures, once the run is done


@dataclass
class Run:
    """Everything a training run holds, and the file it lives in."""

    model: CharLSTM
    optimizer: torch.optim.Adam
    config: TrainConfig
    vocab: CharVocab
    progress: Progress
    state: tuple[torch.Tensor, torch.Tensor]
    path: Path

    def save(self) -> Path:
        tensors = {f"model.{k}": v for k, v in self.model.state_dict().items()}
        for idx, slots in self.optimizer.state_dict()["state"].items():
            tensors.update({f"optim.{idx}.{k}": torch.as_tensor(v)
                            for k, v in slots.items()})
        tensors["state.h"], tensors["state.c"] = self.state
        tensors["rng.torch"] = torch.get_rng_state()
        meta = {"model_config": self.model.config.to_dict(),
                "train_config": asdict(self.config),
                "vocab": self.vocab.chars, "progress": asdict(self.progress)}
        return save_checkpoint(self.path, tensors, meta)


def new_run(path, model_config: CharLSTMConfig, config: TrainConfig,
            vocab: CharVocab) -> Run:
    if model_config.vocab_size != len(vocab):
        raise ValueError(f"the model has vocab_size {model_config.vocab_size}"
                         f" but the corpus has {len(vocab)} characters")
    torch.manual_seed(config.seed)
    model = CharLSTM(model_config)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
    zeros = torch.zeros(model_config.num_layers, config.batch_size,
                        model_config.hidden_size)
    return Run(model, optimizer, config, vocab, Progress(history=[]),
               (zeros, zeros.clone()), Path(path))


def load_run(path, **overrides) -> Run:
    """The run saved at ``path``; ``overrides`` may extend its budget."""
    tensors, meta = load_checkpoint(path)
    try:
        model_config = CharLSTMConfig(**meta["model_config"])
        names = {f.name for f in fields(TrainConfig)}
        config = TrainConfig(**{k: v for k, v in meta["train_config"].items()
                                if k in names})
        config = replace(config, **{k: v for k, v in overrides.items()
                                    if v is not None})
        progress = Progress(**meta["progress"])
        vocab = CharVocab(meta["vocab"])
    except (TypeError, ValueError) as err:
        raise CheckpointError(f"{path} has invalid configuration: {err}") \
            from None
    run = new_run(path, model_config, config, vocab)
    run.progress = progress
    try:
        run.model.load_state_dict(split_prefix(tensors, "model"), strict=True)
        optim_state = {}
        for key, value in split_prefix(tensors, "optim").items():
            idx, name = key.split(".", 1)
            optim_state.setdefault(int(idx), {})[name] = value
        run.optimizer.load_state_dict({
            "state": optim_state,
            "param_groups": run.optimizer.state_dict()["param_groups"]})
        h, c = tensors["state.h"], tensors["state.c"]
        if h.shape != run.state[0].shape or c.shape != h.shape:
            raise ValueError(f"carried state of shape {tuple(h.shape)}, "
                             f"expected {tuple(run.state[0].shape)}")
        run.state = (h, c)
        torch.set_rng_state(tensors["rng.torch"])
    except (KeyError, RuntimeError, ValueError) as err:
        raise CheckpointError(f"{path} does not match its configuration: "
                              f"{err}") from None
    return run


def train_step(run: Run, x: torch.Tensor, y: torch.Tensor, lr: float
               ) -> float:
    """One step of truncated BPTT on a (B, T) chunk; returns its loss."""
    for group in run.optimizer.param_groups:
        group["lr"] = lr
    logits, state = run.model(x, run.state)  # (B, T, V)
    loss = F.cross_entropy(logits.flatten(0, 1), y.flatten(),
                           ignore_index=IGNORE)
    run.optimizer.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(run.model.parameters(),
                                   run.config.grad_clip)
    run.optimizer.step()
    run.state = (state[0].detach(), state[1].detach())  # cut the graph here
    return loss.item()


def train(out_dir, model_config: CharLSTMConfig | None = None,
          config: TrainConfig | None = None, *, resume: bool = False,
          corpus=None, progress_bar: bool = True,
          log: Callable[[str], None] | None = None, **overrides) -> Run:
    """Train (or, with ``resume``, go on training) and checkpoint in ``out_dir``.

    Returns the finished run; its ``progress.final`` holds the validation
    loss on the whole validation split, stateful and in independent
    64-character chunks. Refuses to overwrite an existing checkpoint unless
    ``resume`` is given.
    """
    corpus = corpus or load_shakespeare()
    path = Path(out_dir) / CHECKPOINT_NAME
    if resume and path.exists():
        run = load_run(path, **overrides)
        if run.vocab != corpus.vocab:
            raise CheckpointError(f"{path} was trained on another vocabulary")
    elif path.exists():
        raise FileExistsError(f"{path} exists: pass --resume to go on "
                              f"training it, or choose another --out")
    else:
        model_config = model_config or CharLSTMConfig(
            vocab_size=len(corpus.vocab))
        run = new_run(path, model_config, config or TrainConfig(
            **{k: v for k, v in overrides.items() if v is not None}),
            corpus.vocab)
    cfg, prog = run.config, run.progress
    train_ids = corpus.vocab.encode(corpus.train)
    val_ids = corpus.vocab.encode(corpus.val)
    batches = StreamBatches(train_ids, cfg.batch_size, cfg.seq_len,
                            prog.position)
    say = log or (lambda message: tqdm.write(message, file=sys.stderr))
    bar = tqdm(total=cfg.max_steps, initial=prog.step, unit="step",
               desc="char-LSTM", disable=not progress_bar, file=sys.stderr,
               dynamic_ncols=True)
    started = time.perf_counter() - prog.seconds
    losses: list[float] = []
    while cfg.budget_used(prog.step, prog.seconds) < 1.0:
        x, y, new_epoch = batches.next()
        if new_epoch:  # the streams start over: so does the memory
            run.state = tuple(torch.zeros_like(s) for s in run.state)
        lr = cfg.lr_at(prog.step, prog.seconds)
        losses.append(train_step(run, x, y, lr))
        prog.step += 1
        prog.position = batches.position
        prog.seconds = time.perf_counter() - started
        bar.update(1)
        bar.set_postfix(loss=f"{losses[-1]:.3f}", lr=f"{lr:.1e}")
        done = cfg.budget_used(prog.step, prog.seconds) >= 1.0
        if prog.step % cfg.eval_every == 0 or done:
            val = evaluate(run.model, val_ids[:cfg.eval_chars])
            prog.history.append({
                "step": prog.step, "seconds": round(prog.seconds, 1),
                "train_loss": round(sum(losses) / len(losses), 4),
                "val_loss": round(val, 4), "lr": lr})
            say(f"step {prog.step}: train {prog.history[-1]['train_loss']:.3f}"
                f"  val {val:.3f} nats/char  ({prog.seconds:.0f} s)")
            losses.clear()
            run.save()
    bar.close()
    if prog.final is None or prog.final.get("step") != prog.step:
        prog.final = {
            "step": prog.step,
            "val_loss": evaluate(run.model, val_ids, stateful=True),
            "val_loss_chunked": evaluate(run.model, val_ids, stateful=False,
                                         chunk_len=64)}
        run.save()
    return run
