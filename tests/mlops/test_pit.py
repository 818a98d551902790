"""The point-in-time join from scratch equals DuckDB's ASOF JOIN, row for row, on generated event streams."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aimastery.mlops.pit import duckdb_asof_join, latest_per_key, naive_join, point_in_time_join


def cells(df: pd.DataFrame) -> list[list]:
    """Rows as plain values, every kind of missing value as None (DuckDB and pandas spell them differently)."""
    return df.astype(object).where(df.notna(), None).values.tolist()


@st.composite
def event_streams(draw, keys=st.integers(0, 5), key_dtype="int64"):
    """A feature table (ties on time included, created times distinct) and a spine, both small and messy."""
    n_events = draw(st.integers(0, 40))
    key = draw(st.lists(keys, min_size=n_events, max_size=n_events))
    ts = draw(st.lists(st.integers(0, 30), min_size=n_events, max_size=n_events))
    created = draw(st.permutations(range(n_events)))
    value = draw(st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=n_events, max_size=n_events))
    label = draw(st.lists(st.sampled_from(["bug", "feature", None]), min_size=n_events, max_size=n_events))
    events = pd.DataFrame({"k": pd.Series(key, dtype=key_dtype),
                           "event_timestamp": pd.Series(ts, dtype="int64"),
                           "created": pd.Series(list(created), dtype="int64"),
                           "value": pd.Series(value, dtype="float64"), "label": pd.Series(label, dtype=object)})
    n_rows = draw(st.integers(0, 40))
    spine = pd.DataFrame({"k": pd.Series(draw(st.lists(keys, min_size=n_rows, max_size=n_rows)), dtype=key_dtype),
                          "event_timestamp": pd.Series(draw(st.lists(st.integers(-2, 35), min_size=n_rows,
                                                                     max_size=n_rows)), dtype="int64")})
    return spine, events


@settings(max_examples=100)
@given(event_streams(), st.one_of(st.none(), st.integers(0, 12)))
def test_equals_duckdb_asof_join_row_for_row(streams, ttl):
    spine, events = streams
    ours = point_in_time_join(spine, events, on="k", ttl=ttl)
    theirs = duckdb_asof_join(spine, events, on="k", ttl=ttl)
    assert list(ours.columns) == list(theirs.columns) == ["k", "event_timestamp", "value", "label"]
    assert cells(ours) == cells(theirs)


@settings(max_examples=40)
@given(event_streams(keys=st.sampled_from(["u1", "u2", "u3"]), key_dtype=object))
def test_string_keys_too(streams):
    spine, events = streams
    assert cells(point_in_time_join(spine, events, on="k")) == cells(duckdb_asof_join(spine, events, on="k"))


EVENTS = pd.DataFrame({"k": ["a", "a", "a", "b"], "event_timestamp": [10, 20, 20, 15], "created": [10, 21, 20, 15],
                       "n": [1, 3, 2, 7]})


def test_latest_at_or_before_with_ties_and_ttl():
    spine = pd.DataFrame({"k": ["a", "a", "a", "a", "b", "c"], "event_timestamp": [9, 10, 19, 20, 100, 50]})
    out = point_in_time_join(spine, EVENTS, on="k")
    # before the first event: nothing; at an event's own second: that event; a tie on time: the last created
    assert cells(out[["n"]]) == [[None], [1.0], [1.0], [3.0], [7.0], [None]]
    with_ttl = point_in_time_join(spine, EVENTS, on="k", ttl=9)
    assert cells(with_ttl[["n"]]) == [[None], [1.0], [1.0], [3.0], [None], [None]]  # b's value is 85 s old


def test_spine_order_and_index_are_kept():
    spine = pd.DataFrame({"k": ["b", "a"], "event_timestamp": [30, 30]}, index=[7, 3])
    out = point_in_time_join(spine, EVENTS, on="k")
    assert list(out["k"]) == ["b", "a"] and list(out.index) == [0, 1] and list(out["n"]) == [7, 3]


def test_datetimes_work_like_integers():
    events = EVENTS.assign(event_timestamp=pd.to_datetime(EVENTS["event_timestamp"], unit="s"),
                           created=pd.to_datetime(EVENTS["created"], unit="s"))
    spine = pd.DataFrame({"k": ["a", "a"], "event_timestamp": pd.to_datetime([15, 25], unit="s")})
    assert list(point_in_time_join(spine, events, on="k")["n"]) == [1, 3]


def test_naive_join_hands_every_row_the_latest_values():
    spine = pd.DataFrame({"k": ["a", "a"], "event_timestamp": [0, 100]})
    assert list(naive_join(spine, EVENTS, on="k")["n"]) == [3, 3]  # the row at t=0 sees the future
    assert list(latest_per_key(EVENTS, on="k")["n"]) == [3, 7]


@pytest.mark.parametrize("change, message", [
    (lambda s, e: (s.drop(columns="event_timestamp"), e), "spine lacks"),
    (lambda s, e: (s, e.drop(columns="created")), "feature table lacks"),
    (lambda s, e: (s.assign(n=1), e), "already has column"),
    (lambda s, e: (s.assign(event_timestamp=s["event_timestamp"] * 1.5), e), "integer timestamps"),
])
def test_bad_input_is_a_clear_error(change, message):
    spine, events = change(pd.DataFrame({"k": ["a"], "event_timestamp": [5]}), EVENTS)
    with pytest.raises((ValueError, TypeError), match=message):
        point_in_time_join(spine, events, on="k")
    with pytest.raises(ValueError, match="non-negative"):
        point_in_time_join(pd.DataFrame({"k": ["a"], "event_timestamp": [5]}), EVENTS, on="k", ttl=-1)


def test_a_large_join_is_fast_enough_to_matter():
    """Not a timing test: the join is a sort, so 200,000 rows must not fall back to a Python loop per row."""
    rng = np.random.default_rng(0)
    events = pd.DataFrame({"k": rng.integers(0, 1000, 100_000), "event_timestamp": rng.integers(0, 10**6, 100_000),
                           "created": np.arange(100_000), "v": rng.normal(size=100_000)})
    spine = pd.DataFrame({"k": rng.integers(0, 1000, 100_000), "event_timestamp": rng.integers(0, 10**6, 100_000)})
    ours = point_in_time_join(spine, events, on="k")
    sample = spine.sample(200, random_state=0)
    assert cells(ours.loc[sample.index, ["v"]]) == cells(duckdb_asof_join(sample, events, on="k")[["v"]])
