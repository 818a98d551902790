"""MLOps lab — three pieces of a model's life after training, written from scratch.

The course's versions live in aimastery/mlops/ and are taught in
book/mlops.md. Here you write:

1. ``point_in_time_join``: each training row gets the feature value that
   existed at its time, never a later one;
2. ``psi``: the population stability index of a numeric feature;
3. ``gate_failures``: the metric gate a candidate model must pass;
4. ``promote`` and ``rollback``: moving the ``production`` alias of a small
   JSON registry, atomically, only through the gate.

Only the standard library, NumPy and ``aimastery.atomic`` here: the tests
compare your join with DuckDB's ``ASOF JOIN`` and your PSI with the
course's, so calling those would prove nothing. They check the imports of
every task: no DuckDB, pandas, polars, pyarrow, SQLite (``sqlite3``), SciPy,
scikit-learn or MLflow, and nothing of the course's ``aimastery`` but
``aimastery.atomic``.
``make lab-check WEEK=mlops`` tells you how far you are.
"""

from __future__ import annotations

import bisect
import json
from pathlib import Path

import numpy as np

from aimastery.atomic import write_text_atomic

# ----- Task 1: the point-in-time join


def point_in_time_join(rows, events, ttl=None):
    """The value each row would have seen at its own time.

    ``rows`` is a list of ``(key, time)``; ``events`` a list of
    ``(key, time, created, value)`` in any order. For a row ``(k, t)`` the
    answer is the ``value`` of the event with key ``k`` whose ``time`` is the
    largest one ``<= t`` (an event at exactly ``t`` counts); among events
    with that same time, the one with the largest ``created``. ``None`` when
    the key has no such event, or when ``ttl`` is given and the event is too
    old (``t - event time > ttl``). Returns one answer per row, in the rows'
    order, and leaves the caller's ``events`` list as it was (sort a copy).
    """
    # TODO: Think of each key's events as one timeline sorted by (time, created): a row's answer is the last entry at or before its time, found by a binary search, not a scan; sorted that way, the tie rule costs nothing more.
    # Stuck? One more hint at a time: make lab-check WEEK=mlops HINT=2 (in the notebook: check(1, hint=2))
    raise NotImplementedError('MLOps lab · point_in_time_join in lifecycle.py: not implemented yet (the TODO just above says what to write)')


# ----- Task 2: the population stability index

PSI_EPS = 1e-4


def psi(expected, actual, bins=10, eps=PSI_EPS):
    """Population stability index of the sample ``actual`` against the reference sample ``expected``.

    1. Inner bin edges at the quantiles ``1/bins, 2/bins, ..., (bins-1)/bins``
       of ``expected`` (``np.quantile``, duplicate edges removed): of the
       reference only, not of ``actual`` nor of both samples pooled. The
       course writes the positions ``np.arange(1, bins) / bins``; the tests
       also accept ``np.linspace(0, 1, bins + 1)[1:-1]`` and the
       ``np.percentile`` forms, which can round an edge one ULP lower.
    2. Each sample's share in each bin ``(-inf, e0], (e0, e1], ..., (e_last, inf)``.
    3. Shares below ``eps`` become ``eps`` (an empty bin would need ln 0);
       then ``sum((a - e) * ln(a / e))`` over the bins, ``e`` the reference's
       shares and ``a`` the actual ones.

    An empty sample is a ``ValueError`` that says which one.
    """
    # TODO: Three steps, as in the chapter's PSI: edges from the expected sample alone, then each sample's share per bin, then the formula; the edge cases are a value exactly on an edge (which bin?) and an empty bin (eps).
    # Stuck? One more hint at a time: make lab-check WEEK=mlops HINT=2 (in the notebook: check(2, hint=2))
    raise NotImplementedError('MLOps lab · psi in lifecycle.py: not implemented yet (the TODO just above says what to write)')


# ----- Task 3: the metric gate

GATE_TOLERANCE = 1e-9  # scores are floats: 0.90 - 0.89 is 0.010000000000000009, a drop of exactly 0.01


def gate_failures(candidate, incumbent, *, min_macro_f1=0.80, max_drop=0.01, max_recall_drop=0.05):
    """Why ``candidate`` may not replace ``incumbent``; an empty list when it may.

    Both are score dictionaries measured on the same evaluation set, e.g.
    ``{"macro_f1": 0.91, "recall": {"bug": 0.95, "question": 0.88}}``;
    ``incumbent`` is None when nothing is in production yet. One reason (a
    string) per broken rule, all of them, not only the first:

    * ``macro_f1`` below ``min_macro_f1`` (the floor itself passes);
    * ``macro_f1`` more than ``max_drop`` below the incumbent's;
    * for each label the incumbent has a recall for, the candidate's recall
      more than ``max_recall_drop`` below it, or missing (a candidate that
      reports no recall for a label cannot show it did not fall). A label
      only the candidate has cannot fall.

    A drop is "more than" its limit only when it exceeds the limit by more
    than ``GATE_TOLERANCE``: a drop of exactly ``max_drop`` (0.90 to 0.89)
    passes, although ``0.90 - 0.89`` is ``0.010000000000000009`` in floats.
    The floor is a plain comparison (no arithmetic, so nothing to round).

    A reason names what broke: ``macro_f1`` for the first two rules, the
    label (e.g. ``bug``) for the third.
    """
    # TODO: A list you append to, one if per rule, and no early return but 'no incumbent': then every broken rule is reported. Mind the floats: 0.90 - 0.89 is not 0.01, hence GATE_TOLERANCE; and mind whose labels you loop over.
    # Stuck? One more hint at a time: make lab-check WEEK=mlops HINT=2 (in the notebook: check(3, hint=2))
    raise NotImplementedError('MLOps lab · gate_failures in lifecycle.py: not implemented yet (the TODO just above says what to write)')


# ----- Task 4: promotion and rollback in a JSON registry


class PromotionRefused(Exception):
    """The gate said no; ``reasons`` lists why."""

    def __init__(self, reasons):
        super().__init__("; ".join(reasons))
        self.reasons = reasons


def read_registry(path):
    """The registry file: ``{"versions": {"1": {"metrics": {...}}, ...}, "aliases": {"production": [1, 2]}}``.

    Each alias maps to the versions it has held, oldest first; the last one
    holds it now.
    """
    return json.loads(Path(path).read_text(encoding="utf-8"))


def promote(path, version, alias="production", **gate):
    """Move ``alias`` to ``version`` if its metrics pass the gate against the alias's current version.

    Raise ``KeyError`` for a version the registry does not have, and
    ``PromotionRefused(reasons)`` when ``gate_failures`` (with the keyword
    arguments ``gate``) finds any. Either way nothing is written: not even
    the same bytes again, and no file created in the folder; the tests check
    the folder's contents and modification times. Otherwise append
    ``version`` (an int, as given) to the alias's list (an alias not in the
    file yet starts empty: then only the gate's floor applies) and write the
    registry back **atomically** (``write_text_atomic``: a new file renamed
    over the old one, so that a crash mid-write leaves the old file whole and
    no temporary file behind). Returns the new state.
    """
    # TODO: Read, check everything, and only then write once, atomically; a refusal writes nothing.
    # Stuck? One more hint at a time: make lab-check WEEK=mlops HINT=2 (in the notebook: check(4, hint=2))
    raise NotImplementedError('MLOps lab · promote in lifecycle.py: not implemented yet (the TODO just above says what to write)')


def rollback(path, alias="production"):
    """Point ``alias`` back at the version it held before; ``ValueError`` if it never held another.

    Written atomically too; a ``ValueError`` writes nothing. Returns the
    version that holds the alias now.
    """
    # TODO: The alias's list is a stack: rollback pops it, once you have checked that something is left to go back to; write with the same atomic helper as promote.
    # Stuck? One more hint at a time: make lab-check WEEK=mlops HINT=2 (in the notebook: check(4, hint=2))
    raise NotImplementedError('MLOps lab · rollback in lifecycle.py: not implemented yet (the TODO just above says what to write)')
