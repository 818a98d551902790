"""An extractive answer that cites its passages: the last step of a RAG pipeline, with no generator.

Taught in ``book/vector_search.md``. The retrieved passages are cut into
sentences; each sentence is embedded and scored by cosine similarity to the
question; the best ``max_sentences`` are returned in reading order, each
followed by the number of the passage it was taken from. Every word of the
answer is a word of a cited passage, so nothing is invented — and nothing is
rephrased either: that is what a generator would add, at the price of checks
that its claims are in the passages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from aimastery.sysdesign.corpus import Passage

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9`(\"'])")


def split_sentences(text: str) -> list[str]:
    """Sentences of a passage, its "Page — heading:" prefix removed."""
    body = text.split(": ", 1)[1] if ": " in text[:200] else text
    return [s.strip() for s in _SENTENCE_END.split(body) if len(s.split()) >= 4]


@dataclass(frozen=True)
class Answer:
    text: str  # sentences, each followed by [n]
    sources: list[Passage]  # sources[n - 1] is citation [n]
    cited: list[int]  # the citation numbers used, in order of first use

    def render(self) -> str:
        lines = [self.text, ""]
        lines += [f"[{n}] {self.sources[n - 1].source} — {self.sources[n - 1].section}" for n in self.cited]
        return "\n".join(lines)


def extractive_answer(question: str, passages: list[Passage], encoder, max_sentences: int = 2) -> Answer:
    """The ``max_sentences`` sentences of ``passages`` most similar to ``question``, cited.

    ``passages`` are the retrieved ones, best first (citation numbers follow
    that order); ``encoder.encode(texts) -> (n, d)`` unit vectors (MiniLM).
    """
    if not passages:
        raise ValueError("no passages to answer from: retrieval returned nothing")
    if max_sentences < 1:
        raise ValueError(f"max_sentences must be at least 1, got {max_sentences}")
    sentences = [(n, j, s) for n, p in enumerate(passages, start=1) for j, s in enumerate(split_sentences(p.text))]
    if not sentences:
        raise ValueError("the passages hold no sentence of four words or more")
    emb = encoder.encode([question] + [s for _, _, s in sentences])  # (1 + n_sentences, d)
    sims = emb[1:] @ emb[0]
    best = sorted(np.argsort(-sims, kind="stable")[:max_sentences], key=lambda i: sentences[i][:2])
    text = " ".join(f"{sentences[i][2]} [{sentences[i][0]}]" for i in best)
    cited = list(dict.fromkeys(sentences[i][0] for i in best))
    return Answer(text, list(passages), cited)
