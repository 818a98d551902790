"""Byte-pair encoding (BPE), trained from scratch: the subword vocabulary GPT-2 and friends use.

Taught in Week 7 (book/week07_attention_bert.md); Week 8 can tokenise its
Shakespeare with it. Training (Sennrich et al. 2016) starts from single
characters and repeats one step: count every pair of adjacent symbols in the
corpus, merge the most frequent pair into a new symbol. Each merge is one new
vocabulary entry; ``num_merges`` of them give a vocabulary of
``len(alphabet) + num_merges`` symbols.

As in GPT-2, the text is first cut into *pre-tokens* (a word with the space
before it, a run of punctuation, a run of whitespace), and merges never cross
a pre-token's edge: ``" the"`` can become one symbol, ``"e t"`` never.
Encoding is lossless: the symbols of a text concatenate back to it.

Counting every pair again after each merge would be slow; :func:`train_bpe`
keeps the pair counts and updates only the words a merge touches, with a heap
to find the most frequent pair (ties go to the pair that sorts first, so
training is deterministic).
"""

from __future__ import annotations

import heapq
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field

#: Pre-tokens: letters with the space before them, digits, punctuation runs, whitespace runs.
PRE_TOKEN = re.compile(r" ?[^\W\d_]+| ?\d+| ?(?:[^\s\w]|_)+|\s+")


def pre_tokenize(text: str) -> list[str]:
    """GPT-2-style pre-tokens; they concatenate back to ``text``."""
    return PRE_TOKEN.findall(text)


@dataclass(frozen=True)
class Merge:
    """One training step: ``left + right`` became ``token``, seen ``count`` times."""

    step: int
    left: str
    right: str
    count: int

    @property
    def token(self) -> str:
        return self.left + self.right


@dataclass
class BPE:
    """A trained BPE tokeniser: its alphabet and its merges, in the order they were learnt."""

    alphabet: list[str]
    merges: list[Merge]
    specials: list[str] = field(default_factory=list)  # extra ids after the symbols ([PAD], [MASK], ...)

    def __post_init__(self):
        self.tokens = list(self.alphabet) + [m.token for m in self.merges] + list(self.specials)
        self.ids = {t: i for i, t in enumerate(self.tokens)}
        if len(self.ids) != len(self.tokens):
            raise ValueError("a BPE vocabulary needs distinct tokens (a special clashes with a symbol?)")
        self.ranks = {(m.left, m.right): i for i, m in enumerate(self.merges)}
        self._cache: dict[tuple[str, int], list[str]] = {}

    def __len__(self) -> int:
        return len(self.tokens)

    def segment(self, pre_token: str, num_merges: int | None = None) -> list[str]:
        """The symbols of one pre-token, using the first ``num_merges`` merges (all by default).

        Applies merges in the order they were learnt: at each step, the
        adjacent pair with the earliest merge is merged everywhere.
        """
        limit = len(self.merges) if num_merges is None else num_merges
        key = (pre_token, limit)
        if key in self._cache:
            return self._cache[key]
        unknown = [ch for ch in pre_token if ch not in self.ids]
        if unknown:
            raise ValueError(f"character {unknown[0]!r} (U+{ord(unknown[0]):04X}) is not in the BPE alphabet; "
                             f"it knows {len(self.alphabet)} characters: {''.join(self.alphabet)!r}")
        symbols = list(pre_token)
        while len(symbols) > 1:
            ranked = [(self.ranks.get(pair, limit), i) for i, pair in enumerate(zip(symbols, symbols[1:]))]
            rank, _ = min(ranked)
            if rank >= limit:
                break
            left, right = self.merges[rank].left, self.merges[rank].right
            symbols = _merge_pair(symbols, left, right)
        if len(self._cache) < 200_000:
            self._cache[key] = symbols
        return symbols

    def tokenize(self, text: str, num_merges: int | None = None) -> list[str]:
        return [s for piece in pre_tokenize(text) for s in self.segment(piece, num_merges)]

    def encode(self, text: str) -> list[int]:
        return [self.ids[s] for s in self.tokenize(text)]

    def decode(self, ids) -> str:
        bad = [int(i) for i in ids if not 0 <= int(i) < len(self.tokens)]
        if bad:
            raise ValueError(f"id {bad[0]} is outside the vocabulary: ids run from 0 to {len(self.tokens) - 1}")
        return "".join(self.tokens[int(i)] for i in ids if self.tokens[int(i)] not in self.specials)


def _merge_pair(symbols: list[str], left: str, right: str) -> list[str]:
    """``symbols`` with every adjacent (left, right) joined, scanning left to right."""
    out, i = [], 0
    while i < len(symbols):
        if i + 1 < len(symbols) and symbols[i] == left and symbols[i + 1] == right:
            out.append(left + right)
            i += 2
        else:
            out.append(symbols[i])
            i += 1
    return out


def train_bpe(text: str, num_merges: int,
              specials: list[str] | tuple[str, ...] = ()) -> BPE:
    """Learn ``num_merges`` merges from ``text`` (fewer if no pair is left)."""
    if num_merges < 0:
        raise ValueError(f"num_merges must be >= 0, got {num_merges}")
    word_counts = Counter(pre_tokenize(text))
    words = [list(w) for w in word_counts]  # each distinct pre-token
    freqs = list(word_counts.values())  # ... and how often it occurs
    alphabet = sorted(set(text))

    pair_counts: Counter = Counter()
    where = defaultdict(set)  # pair -> the words that (may) contain it
    for w, (symbols, f) in enumerate(zip(words, freqs)):
        for pair in zip(symbols, symbols[1:]):
            pair_counts[pair] += f
            where[pair].add(w)
    heap = [(-c, pair) for pair, c in pair_counts.items()]
    heapq.heapify(heap)  # the most frequent pair on top

    merges: list[Merge] = []
    while len(merges) < num_merges and heap:
        neg, pair = heapq.heappop(heap)
        if pair_counts.get(pair, 0) != -neg or -neg <= 0:
            continue  # stale: the pair's count changed since it was pushed
        left, right = pair
        merges.append(Merge(len(merges) + 1, left, right, -neg))
        changed: set[tuple[str, str]] = set()
        for w in where.pop(pair):
            old = words[w]
            new = _merge_pair(old, left, right)
            if len(new) == len(old):
                continue  # stale: this word no longer has the pair
            f = freqs[w]
            for p in zip(old, old[1:]):  # the word's old pairs go ...
                pair_counts[p] -= f
                changed.add(p)
            for p in zip(new, new[1:]):  # ... and its new pairs come
                pair_counts[p] += f
                where[p].add(w)
                changed.add(p)
            words[w] = new
        pair_counts.pop(pair, None)
        for p in changed:  # push the new counts; old entries go stale
            c = pair_counts.get(p, 0)
            if c > 0:
                heapq.heappush(heap, (-c, p))
            else:
                pair_counts.pop(p, None)
    return BPE(alphabet, merges, list(specials))
