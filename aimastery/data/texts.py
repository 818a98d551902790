"""Short real texts read from files that installed packages ship.

Taught in Week 3 (book/week03_evaluation.md), where TF-IDF from scratch is
checked against scikit-learn on them (and on the capstone's synthetic
issues). gensim ships small corpora for its own tests in
``gensim/test/test_data/``; they are read as plain files, and gensim is
never imported (only located):

* ``lee_background.cor``: 300 Australian news articles, one per line
  (the Lee corpus, used to evaluate document similarity);
* ``pang_lee_polarity.cor``: 200 one-sentence film reviews from Pang and
  Lee's sentence polarity data, each line ``__label__pos`` or
  ``__label__neg`` and the sentence, in the Windows-1252 encoding.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

LABEL_PREFIX = "__label__"


def gensim_test_data() -> Path:
    """The folder ``gensim/test/test_data`` of the installed gensim (not imported)."""
    spec = importlib.util.find_spec("gensim")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("these texts come from the PyPI package gensim, which is not installed: "
                                "pip install gensim (see requirements.txt for the pinned version)")
    folder = Path(next(iter(spec.submodule_search_locations))) / "test" / "test_data"
    if not folder.is_dir():
        raise FileNotFoundError(f"gensim is installed but has no test_data folder at {folder}")
    return folder


def _lines(name: str, encoding: str) -> list[str]:
    path = gensim_test_data() / name
    if not path.is_file():
        raise FileNotFoundError(f"gensim's test data has no file {name!r} (looked in {path.parent})")
    try:
        text = path.read_text(encoding=encoding)
    except UnicodeDecodeError as err:
        raise ValueError(f"{name} is not {encoding} text as expected: {err}") from None
    return [line.strip() for line in text.splitlines() if line.strip()]


def load_lee_background() -> list[str]:
    """The 300 news articles of the Lee background corpus, one string each."""
    docs = _lines("lee_background.cor", "utf-8")
    if len(docs) != 300:
        raise ValueError(f"lee_background.cor should hold 300 articles, found {len(docs)}")
    return docs


@dataclass(frozen=True)
class LabelledTexts:
    texts: list[str]
    labels: list[str]


def load_pang_lee_polarity() -> LabelledTexts:
    """The 200 film-review sentences, labelled "pos" or "neg"."""
    texts, labels = [], []
    for number, line in enumerate(_lines("pang_lee_polarity.cor", "cp1252"), start=1):
        tag, _, sentence = line.partition(" ")
        if not tag.startswith(LABEL_PREFIX) or not sentence:
            raise ValueError(f"pang_lee_polarity.cor line {number}: expected '__label__pos <sentence>' "
                             f"or '__label__neg <sentence>', got {line[:40]!r}")
        texts.append(sentence)
        labels.append(tag.removeprefix(LABEL_PREFIX))
    if len(texts) != 200 or set(labels) != {"pos", "neg"}:
        raise ValueError(f"pang_lee_polarity.cor should hold 200 sentences labelled pos and neg, "
                         f"found {len(texts)} labelled {sorted(set(labels))}")
    return LabelledTexts(texts, labels)
