"""Week 7's BERT written from scratch against ``transformers.BertModel``: sentences per second.

``make bench ONLY=bert``: both models hold all-MiniLM-L6-v2's weights and
encode the same batch (32 Shakespeare passages of exactly 32 WordPiece tokens,
[CLS] and [SEP] included) with the same number of torch threads, in inference
mode. The two are timed in alternation, round after round, so that both see
the same load; ``ratio`` is the median over rounds of transformers' time over
ours (above 1: ours is faster). Target (book/week07_attention_bert.md):
``ratio >= 1.0`` against transformers' default attention (sdpa). Its eager
attention is timed too. ``max_abs_diff`` checks that both computed the same
thing.
"""

from __future__ import annotations

import os
import statistics
import time

BATCH, TOKENS, THREADS = 32, 32, 2
ROUNDS, REPEATS = 15, 3


def shakespeare_batch(tokenizer, batch: int = BATCH, tokens: int = TOKENS) -> list[list[int]]:
    """``batch`` consecutive passages of the corpus, each exactly ``tokens`` ids long."""
    from aimastery.data.shakespeare import load_shakespeare

    ids = tokenizer.encode(load_shakespeare().val[:20_000], add_special_tokens=False)
    body = tokens - 2
    if len(ids) < batch * body:
        raise ValueError("the validation text is too short for this batch")
    cls, sep = tokenizer.vocab["[CLS]"], tokenizer.vocab["[SEP]"]
    return [[cls, *ids[i * body:(i + 1) * body], sep] for i in range(batch)]


def _seconds(fn) -> float:
    best = float("inf")
    for _ in range(REPEATS):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def run() -> dict:
    import torch
    import transformers

    from aimastery.bert.checkpoint import load_minilm
    from aimastery.pretrained import minilm_folder, pad_ids
    from aimastery.tokenization.wordpiece import WordPiece

    torch.set_num_threads(THREADS)
    transformers.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    ours = load_minilm(add_pooling_layer=False)
    theirs = {impl: transformers.BertModel.from_pretrained(minilm_folder(), attn_implementation=impl,
                                                           add_pooling_layer=False).eval()
              for impl in ("sdpa", "eager")}
    ids, mask = pad_ids(shakespeare_batch(WordPiece.minilm()))  # (32, 32), no padding
    calls = {"scratch": lambda: ours(ids, mask).last_hidden_state,
             **{impl: (lambda m=m: m(input_ids=ids, attention_mask=mask).last_hidden_state)
                for impl, m in theirs.items()}}
    with torch.inference_mode():
        outputs = {name: call() for name, call in calls.items()}  # warm-up, and the check
        times: dict[str, list[float]] = {name: [] for name in calls}
        for _ in range(ROUNDS):
            for name, call in calls.items():
                times[name].append(_seconds(call))
    ratio = statistics.median(s / o for s, o in zip(times["sdpa"], times["scratch"]))
    ratio_eager = statistics.median(e / o for e, o in zip(times["eager"], times["scratch"]))
    per_s = {name: BATCH / statistics.median(t) for name, t in times.items()}
    return {
        "batch": BATCH, "tokens": TOKENS, "threads": THREADS,
        "scratch_sentences_per_s": round(per_s["scratch"], 1),
        "transformers_sdpa_sentences_per_s": round(per_s["sdpa"], 1),
        "transformers_eager_sentences_per_s": round(per_s["eager"], 1),
        "ratio": round(ratio, 3),
        "ratio_vs_eager": round(ratio_eager, 3),
        "target_ratio": 1.0,
        "max_abs_diff": float(f"{(outputs['scratch'] - outputs['sdpa']).abs().max():.2e}"),
        "load_avg_1min": round(os.getloadavg()[0], 2),
    }
