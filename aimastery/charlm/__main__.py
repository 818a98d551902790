"""``python -m aimastery.charlm train|sample``: train the character LSTM (or,
with ``--model gpt``, Week 8's GPT), or write text with a checkpoint (see
aimastery/charlm/train.py)."""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace

from aimastery.charlm.checkpoint import CheckpointError
from aimastery.charlm.model import CharLSTMConfig
from aimastery.charlm.train import CHECKPOINT_NAME, TrainConfig, train

GPT_EVAL_EVERY = 1000  # validate (and checkpoint) a GPT every this many steps


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m aimastery.charlm",
                                     description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train", help="train (or resume) a character LSTM "
                                     "or GPT")
    t.add_argument("--model", choices=("lstm", "gpt"), default="lstm",
                   help="Week 6's LSTM or Week 8's GPT, whose defaults are "
                        "the 10-minute recipe aimastery.gpt.recipes."
                        "BENCH_10MIN (default: %(default)s)")
    t.add_argument("--out", help="folder of the checkpoint (default: "
                                 "checkpoints/char_lstm or checkpoints/"
                                 "char_gpt)")
    t.add_argument("--resume", action="store_true",
                   help="go on from the folder's last checkpoint")
    t.add_argument("--minutes", type=float, help="training-time budget")
    t.add_argument("--steps", type=int, help="step budget")
    t.add_argument("--hidden", type=int, help="LSTM units per layer "
                   f"(default {CharLSTMConfig.hidden_size})")
    t.add_argument("--layers", type=int, help="layers (default: the LSTM's "
                   f"{CharLSTMConfig.num_layers}, the GPT recipe's)")
    t.add_argument("--n-embd", type=int, help="the GPT's width")
    t.add_argument("--n-head", type=int, help="the GPT's attention heads")
    t.add_argument("--batch-size", type=int, help="default: the LSTM's "
                   f"{TrainConfig.batch_size}, the GPT recipe's")
    t.add_argument("--seq-len", type=int, help="default: the LSTM's "
                   f"{TrainConfig.seq_len}, the GPT recipe's")
    t.add_argument("--lr", type=float, help="default: the LSTM's "
                   f"{TrainConfig.lr}, the GPT recipe's")
    t.add_argument("--eval-every", type=int, help="default: the LSTM's "
                   f"{TrainConfig.eval_every}, the GPT's {GPT_EVAL_EVERY}")
    t.add_argument("--no-progress", action="store_true",
                   help="no progress bar")
    s = sub.add_parser("sample", help="write text with a checkpoint")
    s.add_argument("--out", default="checkpoints/char_lstm",
                   help="folder of the checkpoint, LSTM or GPT "
                        "(default: %(default)s)")
    s.add_argument("--prompt", default="ROMEO:\n")
    s.add_argument("--length", type=int, default=500)
    s.add_argument("--temperature", type=float, default=0.8)
    s.add_argument("--top-k", type=int)
    s.add_argument("--top-p", type=float)
    s.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    try:
        if args.command == "train":
            return _train(args)
        return _sample(args)
    except (CheckpointError, FileExistsError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2


def _given(args, **names) -> dict:
    """The options that were given, under the configuration's field names."""
    return {field: getattr(args, arg) for field, arg in names.items()
            if getattr(args, arg) is not None}


def _train(args) -> int:
    if args.minutes is None and args.steps is None and not args.resume:
        args.minutes = 10.0
    budget = {"max_minutes": args.minutes, "max_steps": args.steps}
    out = args.out or f"checkpoints/char_{args.model}"
    train_options = _given(args, batch_size="batch_size", seq_len="seq_len",
                           lr="lr", eval_every="eval_every")
    if args.resume:
        run = train(out, resume=True, progress_bar=not args.no_progress,
                    **budget)
    elif args.model == "gpt":
        from aimastery.gpt.recipes import BENCH_10MIN

        gpt, config = BENCH_10MIN
        config = replace(config, eval_every=GPT_EVAL_EVERY)  # the recipe: only at the end
        gpt = replace(gpt, **_given(args, n_layer="layers", n_embd="n_embd",
                                    n_head="n_head"))
        config = replace(config, **train_options, **budget)
        if config.seq_len > gpt.block_size:
            gpt = replace(gpt, block_size=config.seq_len)
        run = train(out, gpt, config, progress_bar=not args.no_progress)
    else:
        from aimastery.data.shakespeare import load_shakespeare

        vocab_size = len(load_shakespeare().vocab)
        model_config = CharLSTMConfig(vocab_size=vocab_size,
                                      **_given(args, hidden_size="hidden",
                                               num_layers="layers"))
        config = TrainConfig(**train_options, **budget)
        run = train(out, model_config, config,
                    progress_bar=not args.no_progress)
    final = run.progress.final
    how = "random 64-char windows" if run.kind == "gpt" else "stateful"
    print(f"{run.progress.step} steps in {run.progress.seconds:.0f} s; "
          f"validation loss {final['val_loss']:.3f} nats/char "
          f"({how}), {final['val_loss_chunked']:.3f} (64-char chunks); "
          f"checkpoint {run.path}")
    return 0


def _sample(args) -> int:
    import numpy as np

    from aimastery.charlm.generate import generate
    from aimastery.charlm.train import load_run

    run = load_run(f"{args.out}/{CHECKPOINT_NAME}")
    rng = np.random.default_rng(args.seed)
    print(args.prompt + generate(run.model, run.vocab, args.prompt,
                                 args.length, rng, args.temperature,
                                 args.top_k, args.top_p))
    return 0


if __name__ == "__main__":
    sys.exit(main())
