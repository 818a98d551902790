"""MLOps lab tests: your join against DuckDB's ASOF JOIN, your PSI against the course's, your gate and registry.

The tasks build on each other only in Task 4 (promote calls your gate): do them in order.
"""

import hashlib
import json
import os
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aimastery.labs.expect import must_raise
from aimastery.labs.scratch import assert_written_from_scratch
from aimastery.mlops.drift import psi_with_edges
from aimastery.mlops.pit import duckdb_asof_join

from . import lifecycle
from .lifecycle import PromotionRefused, gate_failures, point_in_time_join, promote, psi, read_registry, rollback

TASK1 = pytest.mark.task(1, "point_in_time_join: the latest value at or before each row's time")
TASK2 = pytest.mark.task(2, "psi: the population stability index")
TASK3 = pytest.mark.task(3, "gate_failures: the metric gate")
TASK4 = pytest.mark.task(4, "promote and rollback, atomically, through the gate")

# what would do a task for you: the course's own join, PSI, gate and registry (all of aimastery but its atomic
# writes), DuckDB's ASOF JOIN and the other data-frame and SQL engines, SciPy's statistics, MLflow
FINISHED = ("aimastery", "duckdb", "pandas", "polars", "pyarrow", "sqlite3", "scipy", "sklearn", "mlflow")
GIVEN = ("aimastery.atomic.write_text_atomic", "aimastery.atomic.atomic_path", "aimastery.atomic.sha256_file")


def from_scratch():
    assert_written_from_scratch(lifecycle, FINISHED, allowed=GIVEN)


# ----- Task 1

EVENTS = [  # (key, time, created, value)
    ("ann", 10, 10, "a@10"),
    ("ann", 20, 25, "a@20 second"),  # listed first, but created after the next one
    ("ann", 20, 21, "a@20 first"),
    ("bob", 15, 15, "b@15"),
]


@TASK1
def test_the_latest_value_at_or_before_each_row():
    rows = [("ann", 9), ("ann", 10), ("ann", 19), ("ann", 20), ("ann", 99), ("bob", 14), ("bob", 15), ("cat", 50)]
    got = point_in_time_join(rows, EVENTS)
    assert got[:3] == [None, "a@10", "a@10"], (f"rows ann@9, ann@10, ann@19: before the first event None, at an "
                                               f"event's own time that event: expected [None, 'a@10', 'a@10']; "
                                               f"got {got[:3]}")
    assert got[3] == "a@20 second", (f"row ann@20: two events at time 20, the one created last (created=25) wins: "
                                     f"expected 'a@20 second'; got {got[3]!r}")
    assert got[4:] == ["a@20 second", None, "b@15", None], (
        f"rows ann@99, bob@14, bob@15, cat@50 (cat has no events: None): expected "
        f"['a@20 second', None, 'b@15', None]; got {got[4:]}")
    from_scratch()


NO_TIES = [("ann", 10, 10, "a@10"), ("ann", 20, 21, "a@20"), ("bob", 15, 15, "b@15")]  # one event per (key, time)


@TASK1
def test_ttl_drops_values_that_are_too_old():
    rows = [("bob", 15), ("bob", 25), ("bob", 26), ("ann", 30)]
    got = point_in_time_join(rows, NO_TIES, ttl=10)  # no two events share a time: only the TTL decides here
    assert got == ["b@15", "b@15", None, "a@20"], (
        f"ttl=10: an event exactly 10 old (bob@25, ann@30) is kept, one 11 old (bob@26) is not: expected "
        f"['b@15', 'b@15', None, 'a@20']; got {got}")
    got = point_in_time_join(rows, NO_TIES, ttl=0)
    assert got == ["b@15", None, None, None], (f"ttl=0 keeps only an event at the row's own time: expected "
                                               f"['b@15', None, None, None]; got {got}")


@TASK1
def test_rows_keep_their_order_and_nothing_is_mutated():
    events = [("bob", 15, 15, "b@15"), ("ann", 20, 25, "a@20"), ("ann", 10, 10, "a@10")]
    as_given = list(events)
    rows = [("bob", 100), ("ann", 15), ("bob", 100)]
    got = point_in_time_join(rows, events)
    assert got == ["b@15", "a@10", "b@15"], (f"one answer per row, in the rows' order: expected "
                                             f"['b@15', 'a@10', 'b@15']; got {got}")
    assert events == as_given, (f"leave the caller's list of events as it was (sort a copy, or group first): it "
                                f"was {as_given}, it is now {events}")
    got = point_in_time_join([], EVENTS)
    assert got == [], f"no rows, no answers: expected []; got {got}"
    got = point_in_time_join([("ann", 5)], [])
    assert got == [None], f"no events at all: every row gets None, expected [None]; got {got}"


@TASK1
@settings(max_examples=40)
@given(st.lists(st.tuples(st.sampled_from("abc"), st.integers(0, 20)), max_size=25),
       st.lists(st.tuples(st.sampled_from("abcd"), st.integers(0, 20), st.floats(-100, 100)), max_size=25),
       st.one_of(st.none(), st.integers(0, 8)))
def test_equals_duckdbs_asof_join_on_generated_streams(rows, raw_events, ttl):
    events = [(k, t, created, v) for created, (k, t, v) in enumerate(raw_events)]  # distinct created times
    got = point_in_time_join(rows, events, ttl=ttl)
    spine = pd.DataFrame(rows, columns=["key", "event_timestamp"]).astype({"key": object, "event_timestamp": "int64"})
    table = pd.DataFrame(events, columns=["key", "event_timestamp", "created", "value"]).astype(
        {"key": object, "event_timestamp": "int64", "created": "int64", "value": "float64"})
    expected = [None if pd.isna(v) else v for v in duckdb_asof_join(spine, table, on="key", ttl=ttl)["value"]]
    wrong = [i for i, (a, b) in enumerate(zip(got, expected)) if a != b]
    assert len(got) == len(expected) and not wrong, (
        f"DuckDB's ASOF JOIN answers {expected}; yours {got}"
        + (f" (first difference: row {rows[wrong[0]]})" if wrong else f" ({len(rows)} rows, {len(got)} answers)"))


# ----- Task 2


def by_hand(e, a):
    """PSI from the two samples' shares, as in the chapter's formula."""
    e, a = np.asarray(e, dtype=float), np.asarray(a, dtype=float)
    return float(np.sum((a - e) * np.log(a / e)))


@TASK2
def test_psi_of_a_sample_against_itself_is_zero():
    x = np.random.default_rng(0).gamma(2.0, 100.0, size=500)
    got = psi(x, x)
    assert got == pytest.approx(0.0, abs=1e-12), f"a sample has the same shares as itself, so PSI is 0; got {got}"
    from_scratch()


@TASK2
def test_psi_by_hand():
    expected = np.arange(1000.0)
    actual = expected + 250  # a quarter of the values move up: shares 0, 1/4, 1/4, 1/2 in the reference's quartiles
    want = by_hand(np.full(4, 0.25), [1e-4, 0.25, 0.25, 0.5])
    got = psi(expected, actual, bins=4)
    assert got == pytest.approx(want, rel=1e-9), (
        f"bins=4: the expected sample's quartiles give it shares [0.25] * 4 and the shifted sample [0 -> 1e-4, "
        f"0.25, 0.25, 0.5], so PSI = {want:.6f}; got {got:.6f}")


@TASK2
def test_the_bins_hold_equal_shares_of_the_expected_sample_not_equal_widths():
    expected = np.arange(100.0) ** 2  # skewed: equal-width bins would put most values in the first bin
    actual = np.arange(50.0) ** 2  # the lower half: two deciles' worth in each of the first five bins
    want = by_hand(np.full(10, 0.1), [0.2] * 5 + [1e-4] * 5)
    got = psi(expected, actual)
    assert got == pytest.approx(want, rel=1e-9), (
        f"the bins are cut at the expected sample's deciles (np.quantile), each holding a tenth of it, not at "
        f"equal widths: the shares are [0.1] * 10 and [0.2] * 5 + [1e-4] * 5, PSI = {want:.6f}; got {got:.6f}")


@TASK2
def test_a_value_on_an_edge_belongs_to_the_bin_below():
    expected = [1, 1, 1, 1, 2, 2, 2, 2, 3, 3]  # bins=2: the edge is the median, 2.0
    actual = [2] * 10  # all of them exactly on the edge: in (-inf, 2], with 80% of the reference
    want = by_hand([0.8, 0.2], [1.0, 1e-4])
    got = psi(expected, actual, bins=2)
    assert got == pytest.approx(want, rel=1e-9), (
        f"a value equal to an edge belongs to the bin below it, (e0, e1]: np.searchsorted(edges, x, side='left'). "
        f"Here the edge is 2.0 and every actual value is 2.0: shares [0.8, 0.2] and [1, 1e-4], PSI = {want:.6f}; "
        f"got {got:.6f}")


@TASK2
def test_the_bins_come_from_the_expected_sample():
    expected = np.arange(100.0)  # deciles 9.9, 19.8, ..., 89.1: ten values in each bin
    actual = np.repeat(np.arange(50.0, 100.0), 8)  # 400 values, the upper half: a fifth in each of the top 5 bins
    want = by_hand(np.full(10, 0.1), [1e-4] * 5 + [0.2] * 5)
    got = psi(expected, actual)
    assert got == pytest.approx(want, rel=1e-9), (
        f"bins from the expected sample only (its deciles 9.9, 19.8, ..., 89.1) give PSI = {want:.6f}; got "
        f"{got:.6f}. The shares are [0.1] * 10 and [1e-4] * 5 + [0.2] * 5; bins from the actual sample's "
        "quantiles, or from both samples pooled, give another number")
    got = psi(expected, expected[::-1])
    assert got == pytest.approx(0.0, abs=1e-12), f"the same values in another order have PSI 0; got {got}"


@TASK2
def test_an_empty_bin_counts_as_eps():
    expected = np.arange(10.0)
    actual = np.full(10, 100.0)  # everything in the last bin: nine empty bins
    want = by_hand(np.full(10, 0.1), [1e-4] * 9 + [1.0])
    got = psi(expected, actual)
    assert got == pytest.approx(want, rel=1e-9), (f"nine empty bins count as eps=1e-4 each: PSI = {want:.6f}; "
                                                  f"got {got:.6f}")
    smaller = psi(expected, actual, eps=1e-6)
    assert np.isfinite(smaller) and smaller > got, (f"with eps=1e-6 the empty bins count as 1e-6, so PSI is finite "
                                                    f"and larger than {got:.4f} (eps=1e-4); got {smaller}")


# The positions 1/b, ..., (b-1)/b can be written several ways, and they round differently: linspace's 5/7 is
# one ULP below np.arange(1, 7)[4] / 7. On a sample with a value exactly at that quantile, the lower position puts
# the edge just below the value (0.9999999999999982, not 1.0) and moves it a bin up. The course writes
# np.arange(1, bins) / bins; a PSI that equals the course's at any of these positions is right.
POSITIONS = {  # how it is written -> the positions np.quantile sees (np.percentile divides by 100)
    "np.quantile(expected, np.arange(1, bins) / bins)": lambda b: np.arange(1, b) / b,
    "np.quantile(expected, np.linspace(0, 1, bins + 1)[1:-1])": lambda b: np.linspace(0, 1, b + 1)[1:-1],
    "np.percentile(expected, 100 * np.arange(1, bins) / bins)": lambda b: np.true_divide(
        100 * np.arange(1, b) / b, 100),
    "np.percentile(expected, np.linspace(0, 100, bins + 1)[1:-1])": lambda b: np.true_divide(
        np.linspace(0, 100, b + 1)[1:-1], 100),
}
QUANTILE_FUNCTIONS = ("quantile", "percentile", "nanquantile", "nanpercentile")


@contextmanager
def quantile_calls():
    """What np.quantile and np.percentile return while the block runs: a learner's raw bin edges."""
    calls = []

    def spy(name, real):
        def recorded(*args, **kwargs):
            out = real(*args, **kwargs)
            calls.append((name, [float(v) for v in np.ravel(out)]))
            return out
        return recorded

    with mock.patch.multiple(np, **{name: spy(name, getattr(np, name)) for name in QUANTILE_FUNCTIONS}):
        yield calls


def assert_psi_is_the_courses(expected, actual, bins):
    got = psi(expected, actual, bins=bins)
    x = np.asarray(expected, dtype=float)
    wants = {how: psi_with_edges(x, actual, np.unique(np.quantile(x, at(bins)))) for how, at in POSITIONS.items()}
    if any(got == pytest.approx(want, rel=1e-9, abs=1e-12) for want in wants.values()):
        return
    with quantile_calls() as calls:  # run yours again, to show where its edges differ
        psi(expected, actual, bins=bins)
    yours = (f"yours (np.{calls[0][0]}) are {calls[0][1]}" if calls else
             "yours cannot be shown: your psi called neither np.quantile nor np.percentile")
    course_how = next(iter(POSITIONS))
    course_edges = [float(v) for v in np.quantile(x, POSITIONS[course_how](bins))]
    others = sorted(set(wants.values()) - {wants[course_how]})
    assert False, (f"psi(expected={list(expected)}, actual={list(actual)}, bins={bins}) is {wants[course_how]!r} by "
                   f"the course's; yours gave {got!r}. The inner edges before np.unique: the course's "
                   f"({course_how}) are {course_edges}; {yours}"
                   + (f". The linspace and np.percentile forms of the positions, accepted too, give {others} here"
                      if others else ""))


@TASK2
@settings(max_examples=60)
@given(st.lists(st.integers(0, 30), min_size=5, max_size=120), st.lists(st.integers(0, 40), min_size=1, max_size=80),
       st.integers(2, 12))
def test_equals_the_courses_psi_on_generated_samples(expected, actual, bins):
    assert_psi_is_the_courses(expected, actual, bins)


EDGE_ON_A_VALUE = [  # (expected, actual, bins) where the ways of writing the positions give different PSIs
    ([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 2, 2, 2], [0], 7),  # linspace's 5/7 puts an edge at 0.9999999999999982
    ([0, 1, 1, 1, 3, 3, 3], [2], 12),
    ([0, 0, 2, 2, 2, 3, 3], [1, 1, 3], 9),
    ([0, 0, 0, 1, 1, 1, 1, 2, 3, 3], [1, 2], 9),
    ([0, 0, 0, 3, 3], [2], 3),
    ([0, 0, 0, 0, 3], [1, 1, 3], 6),
]


@TASK2
def test_edges_one_float_rounding_apart_are_both_right():
    for expected, actual, bins in EDGE_ON_A_VALUE:
        assert_psi_is_the_courses(expected, actual, bins)


@TASK2
def test_an_empty_sample_is_a_clear_error():
    for expected, actual, which in (([1.0, 2.0], [], "actual"), ([], [1.0], "expected")):
        with must_raise(ValueError, f"psi(expected={expected}, actual={actual}): the {which} sample is empty, so a "
                                    f"ValueError that says which one", match=which):
            psi(expected, actual)


# ----- Task 3

GOOD = {"macro_f1": 0.90, "recall": {"bug": 0.92, "question": 0.88}}


@TASK3
def test_a_first_model_only_needs_the_floor():
    got = gate_failures(GOOD, None)
    assert got == [], f"macro_f1 0.90 with nothing in production passes: expected []; got {got}"
    got = gate_failures({"macro_f1": 0.80, "recall": {}}, None)
    assert got == [], f"the floor itself passes (macro_f1 0.80, min_macro_f1=0.80): expected []; got {got}"
    reasons = gate_failures({"macro_f1": 0.79, "recall": {}}, None)
    assert len(reasons) == 1 and "macro_f1" in reasons[0], (
        f"macro_f1 0.79 is below the floor 0.80: expected one reason that names macro_f1; got {reasons}")
    from_scratch()


@TASK3
def test_no_regression_beyond_the_margin():
    got = gate_failures({**GOOD, "macro_f1": 0.891}, GOOD)
    assert got == [], f"0.891 is 0.009 below production's 0.90, within max_drop=0.01: expected []; got {got}"
    reasons = gate_failures({**GOOD, "macro_f1": 0.885}, GOOD)
    assert len(reasons) == 1 and "macro_f1" in reasons[0], (
        f"0.885 is 0.015 below production's 0.90, more than max_drop=0.01: expected one reason that names "
        f"macro_f1; got {reasons}")
    got = gate_failures({**GOOD, "macro_f1": 0.885}, GOOD, max_drop=0.02)
    assert got == [], f"with max_drop=0.02 a drop of 0.015 passes: expected []; got {got}"


@TASK3
def test_no_label_left_behind():
    reasons = gate_failures({"macro_f1": 0.95, "recall": {"bug": 0.86, "question": 0.99}}, GOOD)
    assert len(reasons) == 1 and "bug" in reasons[0], (
        f"bug's recall fell from 0.92 to 0.86, by more than max_recall_drop=0.05: expected one reason that names "
        f"'bug'; got {reasons}")
    got = gate_failures({"macro_f1": 0.95, "recall": {"bug": 0.875, "question": 0.9}}, GOOD)
    assert got == [], f"bug's recall fell by 0.045, within max_recall_drop=0.05: expected []; got {got}"
    new_label = {"macro_f1": 0.95, "recall": {"bug": 0.92, "question": 0.9, "documentation": 0.1}}
    got = gate_failures(new_label, GOOD)
    assert got == [], f"a label production never had has no recall to fall from: expected []; got {got}"


@TASK3
def test_a_drop_of_exactly_the_limit_passes():
    # in floats 0.90 - 0.89 = 0.010000000000000009 and 0.52 - 0.05 = 0.47000000000000003 (> 0.47): either way of
    # writing the comparison, without GATE_TOLERANCE, refuses one of these drops of exactly the limit
    for before, after, limit in ((0.90, 0.89, 0.01), (0.52, 0.47, 0.05)):
        got = gate_failures({"macro_f1": after, "recall": {}}, {"macro_f1": before, "recall": {}}, min_macro_f1=0.4,
                            max_drop=limit)
        assert got == [], (f"macro_f1 {before} -> {after} is a drop of exactly max_drop={limit}, not more: expected "
                           f"[]; got {got}. Floats round ({before} - {after} = {before - after!r}): compare the drop "
                           "with max_drop + GATE_TOLERANCE")
    for before, after in ((0.80, 0.75), (0.52, 0.47)):
        got = gate_failures({"macro_f1": 0.95, "recall": {"bug": after}}, {"macro_f1": 0.95, "recall": {"bug": before}})
        assert got == [], (f"bug's recall {before} -> {after} is a drop of exactly max_recall_drop=0.05: expected []; "
                           f"got {got}. Compare the drop with max_recall_drop + GATE_TOLERANCE")
    reasons = gate_failures({"macro_f1": 0.8899, "recall": {}}, {"macro_f1": 0.90, "recall": {}})
    assert len(reasons) == 1 and "macro_f1" in reasons[0], (
        f"0.90 -> 0.8899 is a drop of 0.0101, more than max_drop=0.01: GATE_TOLERANCE (1e-9) absorbs rounding, "
        f"not a real drop; expected one reason that names macro_f1; got {reasons}")


@TASK3
def test_a_label_missing_from_the_candidate_is_a_failure():
    reasons = gate_failures({"macro_f1": 0.95, "recall": {"bug": 0.95}}, GOOD)
    assert len(reasons) == 1 and "question" in reasons[0], (
        f"production has a recall for 'question' (0.88) and the candidate reports none, so it cannot show that "
        f"recall did not fall: expected one reason that names 'question'; got {reasons}")


@TASK3
def test_every_broken_rule_is_reported():
    awful = {"macro_f1": 0.5, "recall": {"bug": 0.5, "question": 0.5}}
    reasons = gate_failures(awful, GOOD)
    assert len(reasons) == 4, f"floor, regression, and two labels: expected 4 reasons; got {reasons}"
    reasons = gate_failures(awful, GOOD, min_macro_f1=0.4)
    assert len(reasons) == 3, f"with min_macro_f1=0.4 the floor passes: expected 3 reasons; got {reasons}"


# ----- Task 4


def write_registry(path, production=(1,)):
    state = {"versions": {"1": {"metrics": GOOD},
                          "2": {"metrics": {"macro_f1": 0.93, "recall": {"bug": 0.94, "question": 0.9}}},
                          "3": {"metrics": {"macro_f1": 0.70, "recall": {"bug": 0.6, "question": 0.8}}},
                          "4": {"metrics": {"macro_f1": 0.905, "recall": {"bug": 0.93, "question": 0.9}}}},
             "aliases": {"production": list(production)} if production else {}}
    path.write_text(json.dumps(state, indent=1), encoding="utf-8")
    return path


LONG_AGO_NS = 10 ** 18  # 2001-09-09, as a modification time: no write made by a test run can carry it


def frozen(folder: Path) -> dict[str, tuple]:
    """Date every entry under ``folder`` (and the folder) back to LONG_AGO_NS; return its listing.

    The listing maps each relative path ("." for the folder) to (SHA-256 of a file's bytes, or "dir";
    modification time in ns). Any write after this shows: new bytes, a new file or a removed one, a file
    written again (even with the same bytes: its modification time is now), or a file created and removed
    (the folder's modification time). Inode numbers would not do: a file deleted and written again often
    gets its old inode back.
    """
    for p in [*folder.rglob("*"), folder]:
        os.utime(p, ns=(LONG_AGO_NS, LONG_AGO_NS), follow_symlinks=False)
    return listing(folder)


def listing(folder: Path) -> dict[str, tuple]:
    return {str(p.relative_to(folder)): (hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir",
                                         p.lstat().st_mtime_ns)
            for p in [folder, *folder.rglob("*")]}


def assert_nothing_written(folder: Path, before: dict[str, tuple], what: str):
    after = listing(folder)
    changes = [f"{name} is new" for name in after.keys() - before.keys()]
    changes += [f"{name} was removed" for name in before.keys() - after.keys()]
    for name in sorted(after.keys() & before.keys()):
        (h0, t0), (h1, t1) = before[name], after[name]
        if h0 != h1:
            changes.append(f"{name} has new contents")
        elif t0 != t1:
            changes.append("the folder was written to (a file created or removed in it)" if name == "."
                           else f"{name} was written again (same bytes, a new modification time)")
    assert not changes, (f"{what} must write nothing at all: read, check, and only then write; but "
                         f"{'; '.join(sorted(changes))}")


@TASK4
def test_a_better_version_is_promoted(tmp_path):
    path = write_registry(tmp_path / "registry.json")
    state = promote(path, 2)
    assert state["aliases"]["production"] == [1, 2], (f"promoting version 2 appends it to production's history: "
                                                      f"expected [1, 2]; promote returned {state['aliases']}")
    on_disk = read_registry(path)
    assert on_disk["aliases"]["production"] == [1, 2], (f"the new state is written to the file: expected production "
                                                        f"[1, 2] in it; the file says {on_disk['aliases']}")
    assert on_disk["versions"] == state["versions"], "the versions are written back as they were read"
    from_scratch()


@TASK4
def test_a_refused_version_writes_nothing(tmp_path):
    path = write_registry(tmp_path / "registry.json")
    before = frozen(tmp_path)
    with must_raise(PromotionRefused, "promote(path, 3): version 3 (macro_f1 0.70) is below the floor") as refused:
        promote(path, 3)
    assert len(refused.error.reasons) >= 2, (f"version 3 breaks the floor and the regression rule: the reasons come "
                                             f"from your gate_failures; got {refused.error.reasons}")
    assert_nothing_written(tmp_path, before, "a refused promotion")
    with must_raise(PromotionRefused, "promote(path, 2, min_macro_f1=0.95): pass the gate's settings on to "
                                      "gate_failures, and v2's macro_f1 0.93 is below that floor"):
        promote(path, 2, min_macro_f1=0.95)
    assert_nothing_written(tmp_path, before, "a promotion refused by min_macro_f1=0.95")
    with must_raise(KeyError, "promote(path, 9), a version the registry does not have"):
        promote(path, 9)
    assert_nothing_written(tmp_path, before, "promoting a version the registry does not have")


@TASK4
def test_the_gate_compares_with_the_version_in_production_now(tmp_path):
    path = write_registry(tmp_path / "registry.json", production=(1, 2))
    with must_raise(PromotionRefused, "promote(path, 4) while v2 holds production: v4's macro_f1 0.905 is better "
                                      "than v1's 0.90 but more than 0.01 below v2's 0.93, and the gate compares "
                                      "with the version in production now, the last of the alias's list"):
        promote(path, 4)
    rollback(path)
    got = promote(path, 4)["aliases"]["production"]
    assert got == [1, 4], f"after the rollback to v1, v4 passes against v1: expected production [1, 4]; got {got}"


@TASK4
def test_the_first_promotion_and_another_alias(tmp_path):
    path = write_registry(tmp_path / "registry.json", production=())
    got = promote(path, 1)["aliases"]
    assert got.get("production") == [1], f"the first promotion creates the alias: expected production [1]; got {got}"
    got = promote(path, 3, alias="canary", min_macro_f1=0.5)["aliases"]
    assert got.get("canary") == [3], (f"a new alias starts with no incumbent, so only the floor (0.5 here) applies: "
                                      f"expected canary [3]; got {got}")
    got = read_registry(path)["aliases"]
    assert got == {"production": [1], "canary": [3]}, (f"each alias keeps its own history: expected "
                                                       f"{{'production': [1], 'canary': [3]}} in the file; got {got}")


@TASK4
def test_writes_replace_the_file_atomically(tmp_path, monkeypatch):
    path = write_registry(tmp_path / "registry.json")
    inode = os.stat(path).st_ino
    promote(path, 2)
    # write_text_atomic writes a new file while the old one still exists, so it always has another inode
    assert os.stat(path).st_ino != inode, ("promote did not replace registry.json by a new file (it kept its "
                                           "inode): write a new file and rename it over the old one "
                                           "(write_text_atomic), do not rewrite the old one in place")
    before = path.read_bytes()

    def crash(*args, **kwargs):
        raise OSError("simulated crash before the rename")

    monkeypatch.setattr(os, "replace", crash)
    with must_raise(OSError, "rollback with os.replace failing (a crash before the rename): write with "
                             "write_text_atomic, which renames with os.replace", match="simulated crash"):
        rollback(path)
    assert path.read_bytes() == before, "a crash before the rename must leave the old file whole; it changed"
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == ["registry.json"], f"a crash before the rename leaves no temporary file behind; found {left}"


@TASK4
def test_rollback_steps_back_one_version(tmp_path):
    path = write_registry(tmp_path / "registry.json", production=(1,))
    promote(path, 2)
    inode = os.stat(path).st_ino
    got = rollback(path)
    assert got == 1, f"rollback returns the version that holds the alias now: expected 1; got {got!r}"
    got = read_registry(path)["aliases"]["production"]
    assert got == [1], f"production held [1, 2]; after the rollback the file says [1]; it says {got}"
    assert os.stat(path).st_ino != inode, ("rollback did not replace registry.json by a new file (it kept its "
                                           "inode): write it atomically too (write_text_atomic)")
    before = frozen(tmp_path)
    with must_raise(ValueError, "rollback when production has held only [1]: there is nothing to roll back to"):
        rollback(path)
    assert_nothing_written(tmp_path, before, "a rollback with no earlier version")
