"""Writing text with a character model, one sampled character at a time (Week 6).

The same function writes with Week 8's GPT, whose context is at most
``block_size`` characters: once its KV cache is full, it re-reads the last
``block_size`` characters instead of feeding only the new one (nanoGPT's
cropping of the context).
"""

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
    the hidden state (the LSTM's) or the keys and values (the GPT's) carried
    along: no re-reading of the text so far, until a GPT's context is full.
    """
    if not prompt:
        raise ValueError("generate needs a prompt of at least one character")
    block = getattr(model.config, "block_size", None)  # a GPT's context
    was_training = model.training
    model.eval()
    ids = [int(i) for i in vocab.encode(prompt)]
    idx = torch.tensor([ids if block is None else ids[-block:]])  # (1, T)
    logits, state = model(idx)
    out = []
    for _ in range(length):
        last = logits[0, -1].double().numpy()  # (V,)
        nxt = sample(last, rng, temperature, top_k, top_p)
        out.append(nxt)
        ids.append(nxt)
        if block is not None and state[0][0].shape[-2] >= block:  # full
            logits, state = model(torch.tensor([ids[-block:]]))
        else:
            logits, state = model(torch.tensor([[nxt]]), state)
    model.train(was_training)
    return vocab.decode(out)
