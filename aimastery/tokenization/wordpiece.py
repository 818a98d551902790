"""BERT's WordPiece tokeniser, written from scratch: ``vocab.txt`` in, token ids out.

Taught in Week 7 (book/week07_attention_bert.md). It gives the same ids as
the Rust tokeniser shipped with all-MiniLM-L6-v2 (``tokenizer.json``:
``BertNormalizer`` with lowercasing, ``BertPreTokenizer``, ``WordPiece`` with
``##`` continuations, ``[CLS] ... [SEP]``), in four steps:

1. **normalise** (:func:`normalize`): drop NUL, U+FFFD and control and format
   characters, turn every whitespace character into a space, put spaces round
   CJK ideographs, strip accents (NFD, then drop the nonspacing marks),
   lowercase;
2. **pre-tokenise** (:func:`pre_tokenize`): split on whitespace, and make each
   punctuation character a word of its own;
3. **WordPiece** (:meth:`WordPiece.tokenize_word`): cut each word greedily into
   the longest pieces the vocabulary has, continuations spelled ``##piece``;
   a word with no such cut, or longer than 100 characters, becomes ``[UNK]``;
4. **wrap** the ids in ``[CLS]`` and ``[SEP]``.

Two traps, each measured in the chapter against the shipped tokeniser:

* Python's ``str.lower()`` turns a Greek capital sigma at the end of a word
  into the final form ``ς``; the Rust tokeniser lowercases one character at a
  time, which gives ``σ`` everywhere. So lowercase character by character.
* Python's Unicode tables (``unicodedata``) may be older than the text: a
  code point they do not know yet (category ``Cn``, e.g. an emoji newer than
  Python's Unicode version) is *not* a control character to the Rust
  tokeniser, which keeps it (it becomes ``[UNK]``). So delete only ``Cc``,
  ``Cf`` and ``Co``, never ``Cn``.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

#: The special tokens of BERT's vocabulary.
PAD, UNK, CLS, SEP, MASK = "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"

#: The CJK ideograph blocks the Rust ``BertNormalizer`` surrounds with spaces
#: (note: its Extension-C range starts at 0x2B920, not at 0x2B820).
CJK_RANGES = (
    (0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0x20000, 0x2A6DF), (0x2A700, 0x2B73F),
    (0x2B740, 0x2B81F), (0x2B920, 0x2CEAF), (0xF900, 0xFAFF), (0x2F800, 0x2FA1F),
)

#: Characters longer words than this become a single ``[UNK]``.
MAX_INPUT_CHARS_PER_WORD = 100


def is_whitespace(ch: str) -> bool:
    """Tab, newline, carriage return, and every character Unicode calls white space."""
    return ch in "\t\n\r" or ch.isspace()


def is_control(ch: str, drop_unassigned: bool = False) -> bool:
    """A character the normaliser deletes: categories Cc, Cf, Co (but not tab, newline, CR).

    Unassigned code points (Cn) are kept unless ``drop_unassigned`` (the trap
    of the module's docstring, there to be measured).
    """
    if ch in "\t\n\r":
        return False
    return unicodedata.category(ch) in (("Cc", "Cf", "Co", "Cn") if drop_unassigned else ("Cc", "Cf", "Co"))


def is_punctuation(ch: str) -> bool:
    """ASCII punctuation (``$``, ``+``, ``<``, ``^``, ... included) or a Unicode P* character."""
    return (ch.isascii() and not ch.isalnum() and ch.isprintable() and ch != " ") or \
        unicodedata.category(ch).startswith("P")


def is_cjk(ch: str) -> bool:
    cp = ord(ch)
    return any(lo <= cp <= hi for lo, hi in CJK_RANGES)


def normalize(text: str, lowercase: bool = True, *, traps: bool = False) -> str:
    """BERT's normaliser (``BertNormalizer`` with ``clean_text``, CJK spacing and, if
    ``lowercase``, accent stripping and lowercasing).

    ``traps=True`` falls into both traps of the module's docstring (Python's
    ``str.lower()``, unassigned code points deleted), so that their cost can
    be measured.
    """
    out = []
    for ch in text:  # clean: drop NUL, U+FFFD and controls; any whitespace -> " "
        if ch == "\0" or ch == "\ufffd" or is_control(ch, drop_unassigned=traps):
            continue
        out.append(" " if is_whitespace(ch) else ch)
    text = "".join(f" {ch} " if is_cjk(ch) else ch for ch in out)
    if lowercase:
        text = "".join(ch for ch in unicodedata.normalize("NFD", text)
                       if unicodedata.category(ch) != "Mn")  # strip accents
        # one character at a time: no final sigma
        text = text.lower() if traps else "".join(ch.lower() for ch in text)
    return text


def pre_tokenize(text: str) -> list[str]:
    """Words: split on whitespace, each punctuation character a word of its own."""
    words, current = [], []
    for ch in text:
        if is_whitespace(ch) or is_punctuation(ch):
            if current:
                words.append("".join(current))
                current = []
            if not is_whitespace(ch):
                words.append(ch)
        else:
            current.append(ch)
    if current:
        words.append("".join(current))
    return words


def read_vocab(path: str | Path) -> dict[str, int]:
    """``vocab.txt``: one token a line, its id the line number (from 0)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no vocabulary file at {path}")
    tokens = path.read_text(encoding="utf-8").split("\n")
    if tokens and tokens[-1] == "":
        tokens.pop()  # the final newline
    vocab: dict[str, int] = {}
    for i, token in enumerate(tokens):
        vocab.setdefault(token, i)  # a repeated line keeps its first id, as the Rust reader does
    missing = [t for t in (PAD, UNK, CLS, SEP) if t not in vocab]
    if missing:
        raise ValueError(f"{path.name} is not a BERT vocabulary: it lacks {missing}")
    return vocab


@dataclass
class WordPiece:
    """A WordPiece tokeniser over ``vocab`` (token -> id), BERT-style (uncased by default)."""

    vocab: dict[str, int]
    lowercase: bool = True
    traps: bool = False  # True: normalise with both traps (see :func:`normalize`), to measure them
    prefix: str = "##"
    max_chars: int = MAX_INPUT_CHARS_PER_WORD
    inverse: list[str] = field(init=False, repr=False)

    def __post_init__(self):
        self.inverse = [""] * (max(self.vocab.values()) + 1)
        for token, i in self.vocab.items():
            self.inverse[i] = token
        self.unk_id = self.vocab[UNK]

    @classmethod
    def from_file(cls, path: str | Path, lowercase: bool = True) -> WordPiece:
        return cls(read_vocab(path), lowercase=lowercase)

    @classmethod
    def minilm(cls) -> WordPiece:
        """The tokeniser of all-MiniLM-L6-v2, from its ``vocab.txt``."""
        from aimastery.pretrained import minilm_folder

        return cls.from_file(minilm_folder() / "vocab.txt")

    def tokenize_word(self, word: str) -> list[str]:
        """Greedy longest match first: "unaffable" -> una ##ffa ##ble."""
        if len(word) > self.max_chars:
            return [UNK]
        pieces, start = [], 0
        while start < len(word):
            end = len(word)
            while end > start:  # the longest piece from `start` it knows
                piece = word[start:end]
                if start > 0:
                    piece = self.prefix + piece  # a continuation: ##piece
                if piece in self.vocab:
                    break
                end -= 1
            if end == start:  # no piece fits: the whole word is unknown
                return [UNK]
            pieces.append(piece)
            start = end
        return pieces

    def tokenize(self, text: str) -> list[str]:
        """The WordPiece tokens of ``text``, without [CLS] and [SEP]."""
        if not isinstance(text, str):
            raise TypeError(f"tokenize takes a str, got {type(text).__name__}")
        return [p for word in pre_tokenize(normalize(text, self.lowercase, traps=self.traps)) for p in self.tokenize_word(word)]

    def encode(self, text: str, add_special_tokens: bool = True, max_length: int | None = None) -> list[int]:
        """Token ids of ``text``, as ``[CLS] ... [SEP]`` unless ``add_special_tokens=False``.

        ``max_length`` truncates (special tokens included) and keeps [SEP] last.
        """
        ids = [self.vocab[t] for t in self.tokenize(text)]
        if max_length is not None:
            room = max_length - (2 if add_special_tokens else 0)
            if room < 0:
                raise ValueError(f"max_length must leave room for [CLS] and [SEP] (>= 2), got {max_length}")
            ids = ids[:room]
        return [self.vocab[CLS], *ids, self.vocab[SEP]] if add_special_tokens else ids

    def convert_ids_to_tokens(self, ids) -> list[str]:
        return [self.inverse[int(i)] for i in ids]

    def __len__(self) -> int:
        return len(self.inverse)
