"""``python -m aimastery.charlm train|sample``: train the character LSTM, or
write text with a checkpoint (see aimastery/charlm/train.py)."""

from __future__ import annotations

import argparse
import sys

from aimastery.charlm.checkpoint import CheckpointError
from aimastery.charlm.model import CharLSTMConfig
from aimastery.charlm.train import CHECKPOINT_NAME, TrainConfig, train


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m aimastery.charlm",
                                     description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train", help="train (or resume) a character LSTM")
    t.add_argument("--out", default="checkpoints/char_lstm",
                   help="folder of the checkpoint (default: %(default)s)")
    t.add_argument("--resume", action="store_true",
                   help="go on from the folder's last checkpoint")
    t.add_argument("--minutes", type=float, help="training-time budget")
    t.add_argument("--steps", type=int, help="step budget")
    t.add_argument("--hidden", type=int, default=CharLSTMConfig.hidden_size)
    t.add_argument("--layers", type=int, default=CharLSTMConfig.num_layers)
    t.add_argument("--batch-size", type=int, default=TrainConfig.batch_size)
    t.add_argument("--seq-len", type=int, default=TrainConfig.seq_len)
    t.add_argument("--lr", type=float, default=TrainConfig.lr)
    t.add_argument("--eval-every", type=int, default=TrainConfig.eval_every)
    t.add_argument("--no-progress", action="store_true",
                   help="no progress bar")
    s = sub.add_parser("sample", help="write text with a checkpoint")
    s.add_argument("--out", default="checkpoints/char_lstm",
                   help="folder of the checkpoint (default: %(default)s)")
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


def _train(args) -> int:
    if args.minutes is None and args.steps is None and not args.resume:
        args.minutes = 10.0
    budget = {"max_minutes": args.minutes, "max_steps": args.steps}
    if args.resume:
        run = train(args.out, resume=True, progress_bar=not args.no_progress,
                    **budget)
    else:
        from aimastery.data.shakespeare import load_shakespeare

        vocab_size = len(load_shakespeare().vocab)
        model_config = CharLSTMConfig(vocab_size=vocab_size,
                                      hidden_size=args.hidden,
                                      num_layers=args.layers)
        config = TrainConfig(batch_size=args.batch_size, seq_len=args.seq_len,
                             lr=args.lr, eval_every=args.eval_every, **budget)
        run = train(args.out, model_config, config,
                    progress_bar=not args.no_progress)
    final = run.progress.final
    print(f"{run.progress.step} steps in {run.progress.seconds:.0f} s; "
          f"validation loss {final['val_loss']:.3f} nats/char "
          f"(stateful), {final['val_loss_chunked']:.3f} (64-char chunks); "
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
