"""Sentence embeddings with nothing but the course's own code: WordPiece, BERT, mean pooling.

Taught in Week 7 (book/week07_attention_bert.md): the tokeniser of
:mod:`aimastery.tokenization.wordpiece` and the BERT of
:mod:`aimastery.bert.model`, with all-MiniLM-L6-v2's weights loaded by name,
give the same unit vectors as :class:`aimastery.pretrained.MiniLMEncoder`
(``tokenizers`` + ``transformers``), which the RAG design chapter uses.
"""

from __future__ import annotations

import numpy as np

from aimastery.pretrained import MAX_TOKENS, embed_in_batches


class SentenceEncoder:
    """``encode(texts) -> (n, 384)`` float32 unit vectors from the from-scratch WordPiece and BERT."""

    def __init__(self, model=None, tokenizer=None, max_tokens: int = MAX_TOKENS):
        from aimastery.bert.checkpoint import load_minilm
        from aimastery.tokenization.wordpiece import WordPiece

        if not isinstance(max_tokens, int) or not 2 <= max_tokens <= 512:
            raise ValueError(f"max_tokens is a whole number from 2 ([CLS] and [SEP]) to 512, got {max_tokens!r}")
        self.model = model if model is not None else load_minilm(add_pooling_layer=False)
        self.tokenizer = tokenizer if tokenizer is not None else WordPiece.minilm()
        self.max_tokens = max_tokens

    def token_ids(self, texts: list[str]) -> list[list[int]]:
        if isinstance(texts, str):
            raise TypeError("encode takes a list of texts; wrap a single text in a list")
        return [self.tokenizer.encode(t, max_length=self.max_tokens) for t in texts]

    def encode(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        return embed_in_batches(self.token_ids(texts),
                                lambda ids, mask: self.model(ids, mask).last_hidden_state, batch_size)
