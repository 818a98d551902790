"""Training a character model for longer than a chapter can (Weeks 6 and 8).

``python -m aimastery.charlm train --out checkpoints/char_lstm --minutes 10``
trains Week 6's LSTM with Adam, a warm-up then a cosine learning-rate
schedule, truncated backpropagation through time over side-by-side streams
(the hidden state is carried from one chunk to the next), gradient clipping,
a tqdm progress bar, a validation loss every ``eval_every`` steps and a
checkpoint at each one. ``--resume`` goes on from the last checkpoint exactly
where it stopped.

The same loop trains Week 8's GPT (``--model gpt``; taught in
book/week08_gpt.md): the run's ``kind`` is then ``"gpt"``, nothing is carried
from one batch to the next, each batch is windows of ``seq_len`` characters
drawn at random places with a seeded generator (checkpointed, so resuming is
exact), the optimiser is AdamW with weight decay on the matrices only, and
validation is nanoGPT's: the mean loss over random 64-character windows.
Optionally the GPT trains under bfloat16 autocast and with PyTorch's fused
attention (:attr:`TrainConfig.bf16`, :attr:`TrainConfig.fused_attention`).
"""

from __future__ import annotations

import contextlib
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
from aimastery.attention import CausalSelfAttention
from aimastery.charlm.data import (
    IGNORE,
    RandomWindows,
    StreamBatches,
    evaluate,
    evaluate_windows,
)
from aimastery.charlm.model import CharLSTM, CharLSTMConfig
from aimastery.data.shakespeare import CharVocab, load_shakespeare
from aimastery.gpt.model import GPT, GPTConfig

CHECKPOINT_NAME = "last.safetensors"
#: The kinds of model the loop trains: their configuration and module.
KINDS = {"lstm": (CharLSTMConfig, CharLSTM), "gpt": (GPTConfig, GPT)}
#: The GPT's validation windows (nanoGPT's scoring of a 64-character block).
SCORING_WINDOW = 64


@dataclass(frozen=True)
class TrainConfig:
    """How to train (the defaults are the LSTM benchmark's; the last group is the GPT's only)."""

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
    num_threads: int | None = None  # torch.set_num_threads during the run
    # the GPT only:
    eval_windows: int = 4096  # validation on random 64-char windows (s.e. ~0.003)
    weight_decay: float = 0.1  # AdamW's, on the matrices only
    beta2: float = 0.99  # AdamW's betas are (0.9, beta2)
    bf16: bool = False  # train under torch.autocast("cpu", torch.bfloat16)
    fused_attention: bool = False  # F.scaled_dot_product_attention

    def __post_init__(self):
        if self.max_steps is None and self.max_minutes is None:
            raise ValueError("give max_steps or max_minutes (or both)")
        for name in ("batch_size", "seq_len", "eval_every", "eval_chars",
                     "eval_windows"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1")
        if self.num_threads is not None and self.num_threads < 1:
            raise ValueError(f"num_threads must be >= 1 or None, "
                             f"got {self.num_threads}")

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
    """Everything a training run holds, and the file it lives in.

    An LSTM run carries its hidden ``state`` from one chunk to the next; a
    GPT run carries none (``state`` is None) but has the ``generator`` that
    draws its training windows.
    """

    model: CharLSTM | GPT
    optimizer: torch.optim.Optimizer
    config: TrainConfig
    vocab: CharVocab
    progress: Progress
    state: tuple[torch.Tensor, torch.Tensor] | None
    path: Path
    generator: torch.Generator | None = None

    @property
    def kind(self) -> str:
        return "gpt" if isinstance(self.model, GPT) else "lstm"

    def save(self) -> Path:
        tensors = {f"model.{k}": v for k, v in self.model.state_dict().items()}
        for idx, slots in self.optimizer.state_dict()["state"].items():
            tensors.update({f"optim.{idx}.{k}": torch.as_tensor(v)
                            for k, v in slots.items()})
        if self.state is not None:
            tensors["state.h"], tensors["state.c"] = self.state
        if self.generator is not None:
            tensors["rng.batches"] = self.generator.get_state()
        tensors["rng.torch"] = torch.get_rng_state()
        meta = {"kind": self.kind,
                "model_config": self.model.config.to_dict(),
                "train_config": asdict(self.config),
                "vocab": self.vocab.chars, "progress": asdict(self.progress)}
        return save_checkpoint(self.path, tensors, meta)


def adamw(model: torch.nn.Module, config: TrainConfig) -> torch.optim.AdamW:
    """AdamW with weight decay on the matrices (2-D parameters) only, as nanoGPT:
    biases and LayerNorm gains are not pulled towards 0."""
    params = [p for p in model.parameters() if p.requires_grad]
    groups = [{"params": [p for p in params if p.ndim >= 2],
               "weight_decay": config.weight_decay},
              {"params": [p for p in params if p.ndim < 2],
               "weight_decay": 0.0}]
    return torch.optim.AdamW(groups, lr=config.lr, betas=(0.9, config.beta2))


def new_run(path, model_config: CharLSTMConfig | GPTConfig,
            config: TrainConfig, vocab: CharVocab) -> Run:
    if model_config.vocab_size != len(vocab):
        raise ValueError(f"the model has vocab_size {model_config.vocab_size}"
                         f" but the corpus has {len(vocab)} characters")
    if isinstance(model_config, GPTConfig):
        if config.seq_len > model_config.block_size:
            raise ValueError(f"seq_len={config.seq_len} exceeds the GPT's "
                             f"block_size={model_config.block_size}")
        torch.manual_seed(config.seed)
        model = GPT(model_config)
        for module in model.modules():
            if isinstance(module, CausalSelfAttention):
                module.fused = config.fused_attention
        generator = torch.Generator().manual_seed(config.seed)
        return Run(model, adamw(model, config), config, vocab,
                   Progress(history=[]), None, Path(path), generator)
    if not isinstance(model_config, CharLSTMConfig):
        raise ValueError(f"model_config is a CharLSTMConfig or a GPTConfig, "
                         f"got {type(model_config).__name__}")
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
        if meta["kind"] not in KINDS:
            raise ValueError(f"kind {meta['kind']!r} is not one of "
                             f"{sorted(KINDS)}")
        model_config = KINDS[meta["kind"]][0](**meta["model_config"])
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
        if run.state is not None:
            h, c = tensors["state.h"], tensors["state.c"]
            if h.shape != run.state[0].shape or c.shape != h.shape:
                raise ValueError(f"carried state of shape {tuple(h.shape)}, "
                                 f"expected {tuple(run.state[0].shape)}")
            run.state = (h, c)
        if run.generator is not None:
            run.generator.set_state(tensors["rng.batches"])
        torch.set_rng_state(tensors["rng.torch"])
    except (KeyError, RuntimeError, ValueError) as err:
        raise CheckpointError(f"{path} does not match its configuration: "
                              f"{err}") from None
    return run


def train_step(run: Run, x: torch.Tensor, y: torch.Tensor, lr: float
               ) -> float:
    """One step on a (B, T) batch; returns its loss.

    The LSTM starts from the state carried from the previous chunk (truncated
    BPTT); the GPT from nothing (its ``presents`` are not needed).
    """
    for group in run.optimizer.param_groups:
        group["lr"] = lr
    autocast = (torch.autocast("cpu", dtype=torch.bfloat16)
                if run.config.bf16 else contextlib.nullcontext())
    with autocast:
        logits, state = run.model(x, run.state)  # (B, T, V)
        loss = F.cross_entropy(logits.flatten(0, 1), y.flatten(),
                               ignore_index=IGNORE)
    run.optimizer.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(run.model.parameters(),
                                   run.config.grad_clip)
    run.optimizer.step()
    if run.state is not None:  # cut the graph here
        run.state = (state[0].detach(), state[1].detach())
    return loss.item()


def validate(run: Run, val_ids) -> float:
    """The periodic validation loss: the LSTM's on the first ``eval_chars``
    characters (state carried), the GPT's on ``eval_windows`` random windows."""
    if run.kind == "gpt":
        return evaluate_windows(run.model, val_ids, SCORING_WINDOW,
                                run.config.eval_windows, run.config.seed)
    return evaluate(run.model, val_ids[:run.config.eval_chars])


def final_figures(run: Run, val_ids, last_val: tuple[int, float] | None
                  ) -> dict:
    """Whole-split figures: the LSTM's stateful loss, or the GPT's windows
    (reused from the last validation when it was at this step); and both's
    loss on consecutive independent 64-character chunks, every character once."""
    step = run.progress.step
    if run.kind == "gpt":
        val = last_val[1] if last_val and last_val[0] == step \
            else validate(run, val_ids)
        scoring = (f"mean over {run.config.eval_windows} random "
                   f"{SCORING_WINDOW}-character windows (seed "
                   f"{run.config.seed}), every position counted")
    else:
        val = evaluate(run.model, val_ids, stateful=True)
    final = {"step": step, "val_loss": val,
             "val_loss_chunked": evaluate(run.model, val_ids, stateful=False,
                                          chunk_len=SCORING_WINDOW)}
    if run.kind == "gpt":
        final["scoring"] = scoring
    return final


def train(out_dir, model_config: CharLSTMConfig | GPTConfig | None = None,
          config: TrainConfig | None = None, *, resume: bool = False,
          corpus=None, progress_bar: bool = True,
          log: Callable[[str], None] | None = None, **overrides) -> Run:
    """Train (or, with ``resume``, go on training) and checkpoint in ``out_dir``.

    ``model_config`` chooses the model: a :class:`CharLSTMConfig` (the
    default) or a :class:`~aimastery.gpt.model.GPTConfig`. Returns the
    finished run; its ``progress.final`` holds the validation loss on the
    validation split (the LSTM's stateful, over the whole split; the GPT's
    over random 64-character windows) and on independent consecutive
    64-character chunks. Refuses to overwrite an existing checkpoint unless
    ``resume`` is given.
    """
    threads = torch.get_num_threads()
    try:
        return _train(out_dir, model_config, config, resume, corpus,
                      progress_bar, log, overrides)
    finally:
        torch.set_num_threads(threads)


def _train(out_dir, model_config, config, resume, corpus, progress_bar, log,
           overrides) -> Run:
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
    if cfg.num_threads is not None:
        torch.set_num_threads(cfg.num_threads)
    train_ids = corpus.vocab.encode(corpus.train)
    val_ids = corpus.vocab.encode(corpus.val)
    if run.kind == "gpt":
        batches = RandomWindows(train_ids, cfg.batch_size, cfg.seq_len,
                                run.generator)
    else:
        batches = StreamBatches(train_ids, cfg.batch_size, cfg.seq_len,
                                prog.position)
    say = log or (lambda message: tqdm.write(message, file=sys.stderr))
    bar = tqdm(total=cfg.max_steps, initial=prog.step, unit="step",
               desc=f"char-{run.kind.upper()}", disable=not progress_bar,
               file=sys.stderr, dynamic_ncols=True)
    started = time.perf_counter() - prog.seconds
    losses: list[float] = []
    last_val = None  # (step, loss) of the last validation of this session
    while cfg.budget_used(prog.step, prog.seconds) < 1.0:
        x, y, new_epoch = batches.next()
        if new_epoch:  # the streams start over: so does the memory
            run.state = tuple(torch.zeros_like(s) for s in run.state)
        lr = cfg.lr_at(prog.step, prog.seconds)
        losses.append(train_step(run, x, y, lr))
        prog.step += 1
        if run.state is not None:
            prog.position = batches.position
        prog.seconds = time.perf_counter() - started
        bar.update(1)
        bar.set_postfix(loss=f"{losses[-1]:.3f}", lr=f"{lr:.1e}")
        done = cfg.budget_used(prog.step, prog.seconds) >= 1.0
        if prog.step % cfg.eval_every == 0 or done:
            val = validate(run, val_ids)
            last_val = (prog.step, val)
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
        prog.final = final_figures(run, val_ids, last_val)
        run.save()
    return run
