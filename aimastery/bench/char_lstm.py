"""The character LSTM's 10-minute run: validation loss in nats per character.

Target (Week 6): <= 1.40 nats/char within 10 minutes on a 2-core CPU. Trains
``python -m aimastery.charlm train``'s default model (one 512-unit LSTM
layer) with a training-time budget that leaves room for the final
evaluation, into ``checkpoints/char_lstm_bench/`` (replaced on every run).

``val_loss`` is the mean negative log-likelihood per character over the
whole validation split, read from start to end with the hidden state carried
across consecutive chunks. The loss on independent 64-character chunks,
higher because each chunk starts from nothing, goes to stderr.
"""

from __future__ import annotations

import sys
import time

from aimastery.config import REPO_ROOT

OUT = REPO_ROOT / "checkpoints" / "char_lstm_bench"
TRAIN_MINUTES = 9.6  # + loading and the final evaluation: under 10 minutes


def run() -> dict:
    start = time.perf_counter()
    from aimastery.charlm.train import CHECKPOINT_NAME, TrainConfig, train

    (OUT / CHECKPOINT_NAME).unlink(missing_ok=True)
    result = train(OUT, config=TrainConfig(max_minutes=TRAIN_MINUTES),
                   progress_bar=False, log=lambda _: None)
    wall = time.perf_counter() - start
    final = result.progress.final
    print(f"char_lstm: val_loss_chunked {final['val_loss_chunked']:.4f} "
          f"(independent 64-character chunks); checkpoint "
          f"{result.path.relative_to(REPO_ROOT)}", file=sys.stderr)
    return {
        "val_loss": round(final["val_loss"], 4),
        "wall_s": round(wall, 1),
        "params": result.model.num_parameters(),
        "steps": result.progress.step,
    }
