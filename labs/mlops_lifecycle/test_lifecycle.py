"""MLOps lab tests: your join against DuckDB's ASOF JOIN, your PSI against the course's, your gate and registry.

The tasks build on each other only in Task 4 (promote calls your gate): do them in order.
"""

import ast
import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aimastery.mlops.drift import psi as course_psi
from aimastery.mlops.pit import duckdb_asof_join

from . import lifecycle
from .lifecycle import PromotionRefused, gate_failures, point_in_time_join, promote, psi, read_registry, rollback

TASK1 = pytest.mark.task(1, "point_in_time_join: the latest value at or before each row's time")
TASK2 = pytest.mark.task(2, "psi: the population stability index")
TASK3 = pytest.mark.task(3, "gate_failures: the metric gate")
TASK4 = pytest.mark.task(4, "promote and rollback, atomically, through the gate")

ALLOWED_IMPORTS = {"__future__", "bisect", "collections", "dataclasses", "functools", "heapq", "itertools", "json",
                   "math", "numpy", "os", "pathlib", "typing", "aimastery.atomic"}


def assert_written_from_scratch():
    """Your module imports only the standard library, NumPy and aimastery.atomic (not DuckDB, pandas, the course)."""
    tree = ast.parse(Path(lifecycle.__file__).read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                 else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
        for name in names:
            assert name in ALLOWED_IMPORTS or name.split(".")[0] in ALLOWED_IMPORTS - {"aimastery.atomic"}, (
                f"lifecycle.py imports {name}: write it from scratch (allowed: {sorted(ALLOWED_IMPORTS)})")


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
    assert got[:3] == [None, "a@10", "a@10"], "before the first event: None; at an event's own time: that event"
    assert got[3] == "a@20 second", "two events at the same time: the one created last wins"
    assert got[4:] == ["a@20 second", None, "b@15", None], "a key without events gives None"
    assert_written_from_scratch()


@TASK1
def test_ttl_drops_values_that_are_too_old():
    rows = [("bob", 15), ("bob", 25), ("bob", 26), ("ann", 30)]
    assert point_in_time_join(rows, EVENTS, ttl=10) == ["b@15", "b@15", None, "a@20 second"], \
        "an event exactly ttl old is kept; one second older is not"
    assert point_in_time_join(rows, EVENTS, ttl=0) == ["b@15", None, None, None]


@TASK1
def test_rows_keep_their_order_and_nothing_is_mutated():
    events = [("bob", 15, 15, "b@15"), ("ann", 20, 25, "a@20"), ("ann", 10, 10, "a@10")]
    as_given = list(events)
    rows = [("bob", 100), ("ann", 15), ("bob", 100)]
    assert point_in_time_join(rows, events) == ["b@15", "a@10", "b@15"]
    assert events == as_given, "leave the caller's list of events as it was (sort a copy, or group first)"
    assert point_in_time_join([], EVENTS) == [] and point_in_time_join([("ann", 5)], []) == [None]


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
    expected = duckdb_asof_join(spine, table, on="key", ttl=ttl)["value"]
    assert got == [None if pd.isna(v) else v for v in expected]


# ----- Task 2


@TASK2
def test_psi_of_a_sample_against_itself_is_zero():
    x = np.random.default_rng(0).gamma(2.0, 100.0, size=500)
    assert psi(x, x) == pytest.approx(0.0, abs=1e-12)
    assert_written_from_scratch()


@TASK2
def test_psi_by_hand():
    expected = np.arange(1000.0)
    actual = expected + 250  # a quarter of the values move up: shares 0, 1/4, 1/4, 1/2 in the reference's quartiles
    a = np.array([1e-4, 0.25, 0.25, 0.5])
    e = np.full(4, 0.25)
    assert psi(expected, actual, bins=4) == pytest.approx(float(np.sum((a - e) * np.log(a / e))), rel=2e-3)
    assert psi(expected, actual, bins=4) > 0.5


@TASK2
def test_the_bins_hold_equal_shares_of_the_expected_sample_not_equal_widths():
    expected = np.arange(100.0) ** 2  # skewed: equal-width bins would put most values in the first bin
    actual = np.arange(50.0) ** 2  # the lower half: two deciles' worth in each of the first five bins
    e, a = np.full(10, 0.1), np.array([0.2] * 5 + [1e-4] * 5)
    assert psi(expected, actual) == pytest.approx(float(np.sum((a - e) * np.log(a / e))), rel=1e-9)


@TASK2
def test_a_value_on_an_edge_belongs_to_the_bin_below():
    expected = [1, 1, 1, 1, 2, 2, 2, 2, 3, 3]  # bins=2: the edge is the median, 2.0
    actual = [2] * 10  # all of them exactly on the edge: in (-inf, 2], with 80% of the reference
    e, a = np.array([0.8, 0.2]), np.array([1.0, 1e-4])
    assert psi(expected, actual, bins=2) == pytest.approx(float(np.sum((a - e) * np.log(a / e))), rel=1e-9), \
        "a value equal to an edge belongs to the bin below it, (e0, e1]: np.searchsorted(edges, x, side='left')"


@TASK2
def test_the_bins_come_from_the_expected_sample():
    expected = np.arange(100.0)
    actual = np.concatenate([np.zeros(90), np.arange(10.0)])  # nearly all in the reference's first bin
    assert psi(expected, actual, bins=10) > 2.0, "bins from the actual sample's quantiles would hide this shift"
    assert psi(expected, expected[::-1]) == pytest.approx(0.0, abs=1e-12)


@TASK2
def test_an_empty_bin_counts_as_eps():
    expected = np.arange(10.0)
    actual = np.full(10, 100.0)  # everything in the last bin: nine empty bins
    e, a = np.full(10, 0.1), np.array([1e-4] * 9 + [1.0])
    assert psi(expected, actual) == pytest.approx(float(np.sum((a - e) * np.log(a / e))), rel=1e-9)
    assert np.isfinite(psi(expected, actual, eps=1e-6))
    assert psi(expected, actual, eps=1e-6) > psi(expected, actual)


@TASK2
@settings(max_examples=60)
@given(st.lists(st.integers(0, 30), min_size=5, max_size=120), st.lists(st.integers(0, 40), min_size=1, max_size=80),
       st.integers(2, 12))
def test_equals_the_courses_psi_on_generated_samples(expected, actual, bins):
    assert psi(expected, actual, bins=bins) == pytest.approx(course_psi(expected, actual, bins=bins), rel=1e-9,
                                                             abs=1e-12), \
        f"psi(expected={expected}, actual={actual}, bins={bins}) differs from the course's"


@TASK2
def test_an_empty_sample_is_a_clear_error():
    for expected, actual, which in (([1.0, 2.0], [], "actual"), ([], [1.0], "expected")):
        with pytest.raises(ValueError) as err:
            psi(expected, actual)
        assert which in str(err.value), f"the error says which sample is empty ({which!r}); it said: {err.value}"


# ----- Task 3

GOOD = {"macro_f1": 0.90, "recall": {"bug": 0.92, "question": 0.88}}


@TASK3
def test_a_first_model_only_needs_the_floor():
    assert gate_failures(GOOD, None) == []
    assert gate_failures({"macro_f1": 0.80, "recall": {}}, None) == [], "the floor itself passes"
    reasons = gate_failures({"macro_f1": 0.79, "recall": {}}, None)
    assert len(reasons) == 1 and "macro_f1" in reasons[0]


@TASK3
def test_no_regression_beyond_the_margin():
    assert gate_failures({**GOOD, "macro_f1": 0.891}, GOOD) == [], "0.009 below production is within max_drop=0.01"
    reasons = gate_failures({**GOOD, "macro_f1": 0.885}, GOOD)
    assert len(reasons) == 1 and "macro_f1" in reasons[0]
    assert gate_failures({**GOOD, "macro_f1": 0.885}, GOOD, max_drop=0.02) == []


@TASK3
def test_no_label_left_behind():
    worse = {"macro_f1": 0.95, "recall": {"bug": 0.86, "question": 0.99}}
    reasons = gate_failures(worse, GOOD)
    assert len(reasons) == 1 and "bug" in reasons[0], "bug's recall fell by 0.06, more than max_recall_drop=0.05"
    assert gate_failures({"macro_f1": 0.95, "recall": {"bug": 0.875, "question": 0.9}}, GOOD) == []
    new_label = {"macro_f1": 0.95, "recall": {"bug": 0.92, "question": 0.9, "documentation": 0.1}}
    assert gate_failures(new_label, GOOD) == [], "a label production never had has no recall to fall from"


@TASK3
def test_every_broken_rule_is_reported():
    awful = {"macro_f1": 0.5, "recall": {"bug": 0.5, "question": 0.5}}
    reasons = gate_failures(awful, GOOD)
    assert len(reasons) == 4, f"floor, regression, and two labels: expected 4 reasons, got {reasons}"
    assert len(gate_failures(awful, GOOD, min_macro_f1=0.4)) == 3


# ----- Task 4


def write_registry(path, production=(1,)):
    state = {"versions": {"1": {"metrics": GOOD},
                          "2": {"metrics": {"macro_f1": 0.93, "recall": {"bug": 0.94, "question": 0.9}}},
                          "3": {"metrics": {"macro_f1": 0.70, "recall": {"bug": 0.6, "question": 0.8}}},
                          "4": {"metrics": {"macro_f1": 0.905, "recall": {"bug": 0.93, "question": 0.9}}}},
             "aliases": {"production": list(production)} if production else {}}
    path.write_text(json.dumps(state, indent=1), encoding="utf-8")
    return path


@TASK4
def test_a_better_version_is_promoted(tmp_path):
    path = write_registry(tmp_path / "registry.json")
    state = promote(path, 2)
    assert state["aliases"]["production"] == [1, 2]
    assert read_registry(path)["aliases"]["production"] == [1, 2], "the new state is written to the file"
    assert read_registry(path)["versions"] == state["versions"]


@TASK4
def test_a_refused_version_changes_nothing(tmp_path):
    path = write_registry(tmp_path / "registry.json")
    before, inode = path.read_bytes(), os.stat(path).st_ino
    with pytest.raises(PromotionRefused) as refused:
        promote(path, 3)
    assert len(refused.value.reasons) >= 2, "the reasons come from your gate_failures"
    assert path.read_bytes() == before, "a refusal leaves the file exactly as it was"
    assert os.stat(path).st_ino == inode, "a refusal writes nothing at all, not even the same bytes again"
    with pytest.raises(PromotionRefused):
        promote(path, 2, min_macro_f1=0.95)  # the gate's settings are passed through
    with pytest.raises(KeyError):
        promote(path, 9)
    assert path.read_bytes() == before


@TASK4
def test_the_gate_compares_with_the_version_in_production_now(tmp_path):
    path = write_registry(tmp_path / "registry.json", production=(1, 2))
    with pytest.raises(PromotionRefused):
        promote(path, 4)  # better than v1, but more than 0.01 below v2, which holds production now
    rollback(path)
    assert promote(path, 4)["aliases"]["production"] == [1, 4]


@TASK4
def test_the_first_promotion_and_another_alias(tmp_path):
    path = write_registry(tmp_path / "registry.json", production=())
    assert promote(path, 1)["aliases"]["production"] == [1]
    assert promote(path, 3, alias="canary", min_macro_f1=0.5)["aliases"]["canary"] == [3]
    assert read_registry(path)["aliases"] == {"production": [1], "canary": [3]}


@TASK4
def test_writes_replace_the_file_atomically(tmp_path, monkeypatch):
    path = write_registry(tmp_path / "registry.json")
    inode = os.stat(path).st_ino
    promote(path, 2)
    assert os.stat(path).st_ino != inode, ("write a new file and rename it over the old one "
                                           "(write_text_atomic), do not rewrite the old file in place")
    before = path.read_bytes()

    def crash(*args, **kwargs):
        raise OSError("simulated crash before the rename")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="simulated crash"):
        rollback(path)
    assert path.read_bytes() == before, "a crash before the rename leaves the old file whole"
    assert [p.name for p in tmp_path.iterdir()] == ["registry.json"], "and no temporary file behind"


@TASK4
def test_rollback_steps_back_one_version(tmp_path):
    path = write_registry(tmp_path / "registry.json", production=(1,))
    promote(path, 2)
    inode = os.stat(path).st_ino
    assert rollback(path) == 1
    assert read_registry(path)["aliases"]["production"] == [1]
    assert os.stat(path).st_ino != inode, "rollback writes atomically too"
    before = path.read_bytes()
    with pytest.raises(ValueError):
        rollback(path)
    assert path.read_bytes() == before
