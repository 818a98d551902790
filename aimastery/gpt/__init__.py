"""Week 8's GPT (book/week08_gpt.md): the model, its generation, GPT-2 checkpoints, LoRA.

``aimastery.gpt.model`` (the GPT, in GPT-2's names), ``.generate`` (sampling
with a KV cache, and the attention it used), ``.hf`` (Hugging Face GPT-2
checkpoints into the from-scratch model), ``.lora`` and ``.adapt``
(low-rank adaptation, and the chapter's comparison with full fine-tuning),
``.recipes`` (the training recipes the chapter and the benchmark run).
"""
