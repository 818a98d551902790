"""Writing text with a character model, one sampled character at a time (Week 6)."""

from __future__ import annotations

import numpy as np
import torch

from aimastery.data.shakespeare import CharVocab
from aimastery.sampling import sample


@torch.no_grad()
def generate(model, vocab: CharVocab, prompt: str, length: int,
             rng: np.random.Generator, temperature: float = 1.0,
             top_k: int | None = None, top_p: float | None = None) -> str:
    """``length`` characters that follow ``prompt``, sampled with ``rng``.

    The prompt is read once; then each new character is fed back in, with
    the hidden state carried along (no re-reading of the text so far).
    """
    if not prompt:
        raise ValueError("generate needs a prompt of at least one character")
    was_training = model.training
    model.eval()
    idx = torch.as_tensor(vocab.encode(prompt))[None]  # (1, T)
    logits, state = model(idx)
    out = []
    for _ in range(length):
        last = logits[0, -1].double().numpy()  # (V,)
        nxt = sample(last, rng, temperature, top_k, top_p)
        out.append(nxt)
        logits, state = model(torch.tensor([[nxt]]), state)
    model.train(was_training)
    return vocab.decode(out)
