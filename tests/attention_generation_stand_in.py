"""The tests' stand-in for ``aimastery.gpt.generate.attention_in_generation``: a small GPT (aimastery/gpt/model.py)
writes a sample one character at a time, and at every step each layer's and head's attention from the last
position over the context is recomputed from what the attention module was given (its input, through its own
c_attn) and checked against what the module returned. Used by tests/test_attention_generation_widget.py and
tests/browser/test_attention_generation.py."""

from __future__ import annotations

import numpy as np
import torch

from aimastery.attention import merge_heads, scaled_dot_product_attention, split_heads
from aimastery.gpt.model import GPT, GPTConfig
from aimastery.sampling import sample

CHARS = sorted(set("\n !',.:;?ABCDEGHIKLMNORSTUWYabcdefghiklmnoprstuvwy"))
PROMPT = "ROMEO:\nO, she "


def tiny_gpt(block_size: int = 16, n_layer: int = 2, n_head: int = 3, seed: int = 0) -> GPT:
    """A GPT with random weights; its queries and keys scaled up so that the heads do not all attend uniformly."""
    torch.manual_seed(seed)
    model = GPT(GPTConfig(vocab_size=len(CHARS), block_size=block_size, n_layer=n_layer, n_head=n_head, n_embd=24))
    for block in model.transformer.h:
        torch.nn.init.normal_(block.attn.c_attn.weight, std=0.4)
    return model.eval()


@torch.no_grad()
def attention_in_generation(model: GPT, prompt: str, n_new: int, seed: int = 0) -> tuple[str, list[np.ndarray]]:
    """The generated text, and at each step t the (L, H, T_t) weights of the last context position (no KV
    cache: the context is cropped to the block size and read whole at every step)."""
    stoi = {ch: i for i, ch in enumerate(CHARS)}
    ids, rng, steps = [stoi[ch] for ch in prompt], np.random.default_rng(seed), []
    seen: dict[int, tuple] = {}
    hooks = [block.attn.register_forward_hook(lambda mod, args, out, i=i: seen.__setitem__(i, (args[0], out[0])))
             for i, block in enumerate(model.transformer.h)]
    try:
        for _ in range(n_new):
            logits, _ = model(torch.tensor([ids[-model.config.block_size:]]))  # (1, T, V)
            layers = []
            for i, block in enumerate(model.transformer.h):
                x, out = seen[i]  # (1, T, E), the module's output (1, T, E)
                q, k, v = (split_heads(t, model.config.n_head) for t in block.attn.c_attn(x).split(x.shape[-1], -1))
                y, w = scaled_dot_product_attention(q[:, :, -1:], k, v)  # the last query sees every key
                assert torch.allclose(block.attn.c_proj(merge_heads(y)), out[:, -1:], atol=1e-5)
                layers.append(w[0, :, 0])  # (H, T)
            steps.append(torch.stack(layers).numpy())  # (L, H, T)
            ids.append(sample(logits[0, -1].double().numpy(), rng))
    finally:
        for hook in hooks:
            hook.remove()
    return "".join(CHARS[i] for i in ids[len(prompt):]), steps
