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
    ### BEGIN SOLUTION (Task 1)
    ### HINT 1: Think of each key's events as one timeline sorted by (time, created): a row's answer is the last entry at or before its time, found by a binary search, not a scan; sorted that way, the tie rule costs nothing more.
    ### HINT 2: Group events by key and sort each group by (time, created); bisect_right on the times gives the last event <= t; None if there is none or it is older than ttl.
    by_key: dict = {}
    for key, time, created, value in events:
        by_key.setdefault(key, []).append((time, created, value))
    times = {}
    for key, group in by_key.items():
        group.sort(key=lambda e: (e[0], e[1]))
        times[key] = [e[0] for e in group]
    out = []
    for key, t in rows:
        group = by_key.get(key)
        i = bisect.bisect_right(times[key], t) - 1 if group else -1  # the last event at or before t
        if i < 0 or (ttl is not None and t - group[i][0] > ttl):
            out.append(None)
        else:
            out.append(group[i][2])
    return out
    ### END SOLUTION


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
    ### BEGIN SOLUTION (Task 2)
    ### HINT 1: Three steps, as in the chapter's PSI: edges from the expected sample alone, then each sample's share per bin, then the formula; the edge cases are a value exactly on an edge (which bin?) and an empty bin (eps).
    ### HINT 2: Edges: np.quantile(expected, np.arange(1, bins) / bins), then np.unique; shares per bin via np.searchsorted + np.bincount, divided by the sample size, clipped below at eps; refuse an empty sample first.
    expected, actual = np.asarray(expected, dtype=float).ravel(), np.asarray(actual, dtype=float).ravel()
    for name, sample in (("expected", expected), ("actual", actual)):
        if sample.size == 0:
            raise ValueError(f"psi: the {name} sample is empty")
    positions = np.arange(1, bins) / bins  # 1/b, ..., (b-1)/b: (bins - 1,)
    edges = np.unique(np.quantile(expected, positions))

    def shares(x):
        counts = np.bincount(np.searchsorted(edges, x, side="left"), minlength=len(edges) + 1)
        return np.clip(counts / x.size, eps, None)

    e, a = shares(expected), shares(actual)
    return float(np.sum((a - e) * np.log(a / e)))
    ### END SOLUTION


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
    ### BEGIN SOLUTION (Task 3)
    ### HINT 1: A list you append to, one if per rule, and no early return but 'no incumbent': then every broken rule is reported. Mind the floats: 0.90 - 0.89 is not 0.01, hence GATE_TOLERANCE; and mind whose labels you loop over.
    ### HINT 2: Collect one reason string per broken rule into a list (empty list = pass); drop = incumbent's - candidate's, a failure if drop > limit + GATE_TOLERANCE; go over the incumbent's labels (a label missing from the candidate is a reason too); say macro_f1 in the first two reasons, and name the label in a recall reason.
    reasons = []
    f1 = candidate["macro_f1"]
    if f1 < min_macro_f1:
        reasons.append(f"macro_f1 {f1:.4f} is below the floor {min_macro_f1:.4f}")
    if incumbent is None:
        return reasons
    if incumbent["macro_f1"] - f1 > max_drop + GATE_TOLERANCE:
        reasons.append(f"macro_f1 {f1:.4f} is more than {max_drop} below production's {incumbent['macro_f1']:.4f}")
    recalls = candidate.get("recall", {})
    for label, before in incumbent.get("recall", {}).items():
        if label not in recalls:
            reasons.append(f"recall on {label}: production's is {before:.4f}, the candidate reports none")
        elif before - recalls[label] > max_recall_drop + GATE_TOLERANCE:
            reasons.append(f"recall on {label} fell from {before:.4f} to {recalls[label]:.4f}")
    return reasons
    ### END SOLUTION


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
    ### BEGIN SOLUTION (Task 4)
    ### HINT 1: Read, check everything, and only then write once, atomically; a refusal writes nothing.
    ### HINT 2: Unknown version -> KeyError; the incumbent is the alias's last version's metrics (None if none); raise PromotionRefused(reasons) if gate_failures returns any; append the version and write_text_atomic the JSON.
    state = read_registry(path)
    if str(version) not in state["versions"]:
        raise KeyError(f"no version {version}; the registry has {sorted(state['versions'], key=int)}")
    history = state["aliases"].get(alias, [])
    incumbent = state["versions"][str(history[-1])]["metrics"] if history else None
    reasons = gate_failures(state["versions"][str(version)]["metrics"], incumbent, **gate)
    if reasons:
        raise PromotionRefused(reasons)
    state["aliases"][alias] = history + [version]
    write_text_atomic(path, json.dumps(state, indent=1))
    return state
    ### END SOLUTION


def rollback(path, alias="production"):
    """Point ``alias`` back at the version it held before; ``ValueError`` if it never held another.

    Written atomically too; a ``ValueError`` writes nothing. Returns the
    version that holds the alias now.
    """
    ### BEGIN SOLUTION (Task 4)
    ### HINT 1: The alias's list is a stack: rollback pops it, once you have checked that something is left to go back to; write with the same atomic helper as promote.
    ### HINT 2: Refuse (ValueError) when fewer than two versions are in the history; write atomically; return the version that now holds the alias.
    state = read_registry(path)
    history = state["aliases"].get(alias, [])
    if len(history) < 2:
        raise ValueError(f"{alias!r} has held {history}: nothing to roll back to")
    state["aliases"][alias] = history[:-1]
    write_text_atomic(path, json.dumps(state, indent=1))
    return history[-2]
    ### END SOLUTION
