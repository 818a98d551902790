"""Characters, words or subwords: what each way of cutting a text costs, measured.

Taught in Week 7 (book/week07_attention_bert.md). For each segmentation the
vocabulary is built on the training text and measured on the validation
text: how many symbols it has, how many tokens the validation text becomes
(a model's sequence length, and so its cost), and which share of them the
vocabulary does not know (unknown tokens carry no information).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

#: Word-level tokens: runs of letters, digits or apostrophes, single punctuation marks, newlines.
WORD = re.compile(r"[\w']+|[^\w\s]|\n")


def words(text: str) -> list[str]:
    return WORD.findall(text)


@dataclass(frozen=True)
class SegmentationStats:
    name: str
    vocab_size: int
    tokens: int  # the validation text's length in tokens
    chars_per_token: float
    unknown_rate: float  # share of validation tokens outside the vocabulary

    def row(self) -> dict:
        return {"segmentation": self.name, "vocabulary": self.vocab_size, "validation tokens": self.tokens,
                "characters per token": round(self.chars_per_token, 2),
                "unknown tokens": f"{self.unknown_rate:.2%}"}


def measure(name: str, tokenize: Callable[[str], list[str]], known: Callable[[str], bool], vocab_size: int,
            val: str) -> SegmentationStats:
    """Stats of one segmentation: ``tokenize`` the validation text, count the tokens ``known`` refuses."""
    tokens = tokenize(val)
    if not tokens:
        raise ValueError("the validation text gave no tokens")
    unknown = sum(not known(t) for t in tokens)
    return SegmentationStats(name, vocab_size, len(tokens), len(val) / len(tokens), unknown / len(tokens))


def word_vocabulary(train: str, max_size: int | None = None) -> set[str]:
    """The training text's words, or its ``max_size`` most frequent (ties: first seen)."""
    counts = Counter(words(train))
    return {w for w, _ in counts.most_common(max_size)}


def compare_segmentations(train: str, val: str, bpe, wordpiece=None,
                          word_sizes: tuple[int | None, ...] = (None, 5000)) -> list[SegmentationStats]:
    """Characters, words (every training word, then the most frequent ``word_sizes``), BPE, and WordPiece.

    ``bpe`` is a trained :class:`aimastery.tokenization.bpe.BPE`;
    ``wordpiece`` a :class:`aimastery.tokenization.wordpiece.WordPiece` (its
    vocabulary comes with the model, not from this text; it lowercases).
    """
    chars = set(train)
    out = [measure("characters", list, chars.__contains__, len(chars), val)]
    for size in word_sizes:
        vocab = word_vocabulary(train, size)
        label = "words (every training word)" if size is None else f"words (the {size:,} most frequent)"
        out.append(measure(label, words, vocab.__contains__, len(vocab), val))
    bpe_known = set(bpe.tokens)
    out.append(measure(f"BPE ({len(bpe.merges):,} merges)", bpe.tokenize, bpe_known.__contains__,
                       len(bpe.tokens) - len(bpe.specials), val))
    if wordpiece is not None:
        out.append(measure("WordPiece (MiniLM's vocabulary)", wordpiece.tokenize, lambda t: t != "[UNK]",
                           len(wordpiece), val))
    return out
