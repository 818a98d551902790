"""The character LSTM's 10-minute run: validation loss in nats per character.

Target (Week 6): <= 1.40 nats/char within 10 minutes on a 2-core CPU. Trains
``python -m aimastery.charlm train``'s default model (one 512-unit LSTM
layer) with a training-time budget that leaves room for loading and for the
final evaluation (timed beforehand), into ``checkpoints/char_lstm_bench/`` (replaced on every run).

``val_loss`` is the mean negative log-likelihood per character over the
whole validation split, read from start to end with the hidden state carried
across consecutive chunks. ``val_loss_windows`` is Week 8's scoring (nanoGPT's:
4,096 seeded random 64-character windows, each from a zero state), so that the
LSTM and the GPT compare on the same figure. The loss on independent
64-character chunks goes to stderr.
"""

from __future__ import annotations

import sys
import time

from aimastery.config import REPO_ROOT

OUT = REPO_ROOT / "checkpoints" / "char_lstm_bench"
BUDGET_S = 600.0  # everything: loading, training, the final evaluation
MARGIN_S = 10.0


def final_evaluation_seconds(corpus) -> float:
    """How long the final evaluation takes, timed on an untrained model
    (its cost does not depend on the weights), with a 50 % allowance."""
    import torch

    from aimastery.charlm.data import evaluate, evaluate_windows
    from aimastery.charlm.model import CharLSTM, CharLSTMConfig

    model = CharLSTM(CharLSTMConfig(vocab_size=len(corpus.vocab)))
    val = torch.as_tensor(corpus.vocab.encode(corpus.val))
    start = time.perf_counter()
    evaluate(model, val, stateful=True)
    evaluate(model, val, stateful=False, chunk_len=64)
    evaluate_windows(model, val)
    return 1.5 * (time.perf_counter() - start)


def run() -> dict:
    start = time.perf_counter()
    from aimastery.charlm.train import CHECKPOINT_NAME, TrainConfig, train
    from aimastery.data.shakespeare import load_shakespeare

    corpus = load_shakespeare()
    reserve = final_evaluation_seconds(corpus)
    minutes = (BUDGET_S - MARGIN_S - reserve
               - (time.perf_counter() - start)) / 60
    (OUT / CHECKPOINT_NAME).unlink(missing_ok=True)
    result = train(OUT, config=TrainConfig(max_minutes=minutes),
                   corpus=corpus, progress_bar=False, log=lambda _: None)
    from aimastery.charlm.data import evaluate_windows

    windows = evaluate_windows(result.model, corpus.vocab.encode(corpus.val))
    wall = time.perf_counter() - start
    final = result.progress.final
    print(f"char_lstm: val_loss_chunked {final['val_loss_chunked']:.4f} "
          f"(independent 64-character chunks); checkpoint "
          f"{result.path.relative_to(REPO_ROOT)}", file=sys.stderr)
    return {
        "val_loss": round(final["val_loss"], 4),
        "val_loss_windows": round(windows, 4),
        "wall_s": round(wall, 1),
        "params": result.model.num_parameters(),
        "steps": result.progress.step,
    }
