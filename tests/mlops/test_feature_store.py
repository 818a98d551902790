"""The SQLite feature store: definitions, the offline and online stores, materialisation, bad input."""

from __future__ import annotations

import sqlite3

import pandas as pd
import pytest

from aimastery.mlops.feature_store import Entity, FeatureStore, FeatureStoreError, FeatureView, Field
from aimastery.mlops.pit import duckdb_asof_join

REPORTER = Entity("reporter")
STATS = FeatureView("stats", (REPORTER,), (Field("n", "int64"), Field("share"), Field("tier", "string")), ttl=100)
FEATURES = ["stats:n", "stats:share", "stats:tier"]
EVENTS = pd.DataFrame({"reporter": ["a", "a", "a", "b", "c"], "event_timestamp": [10, 20, 20, 15, 500],
                       "created": [10, 21, 20, 15, 500], "n": [1, 3, 2, 7, 9],
                       "share": [1.0, 0.3, 0.5, 0.0, 0.2], "tier": ["new", "old", "mid", "new", None]})


@pytest.fixture
def store(tmp_path):
    s = FeatureStore(tmp_path / "features.db")
    s.apply([REPORTER, STATS])
    s.write_to_offline_store("stats", EVENTS)
    yield s
    s.close()


def test_historical_features_are_point_in_time_and_match_duckdb(store):
    spine = pd.DataFrame({"reporter": ["a", "a", "a", "b", "b", "c", "z"],
                          "event_timestamp": [5, 10, 25, 20, 200, 505, 30]})
    out = store.get_historical_features(spine, FEATURES)
    assert out["n"].fillna(-1).tolist() == [-1, 1, 3, 7, -1, 9, -1]  # b at 200: older than the ttl of 100 s
    oracle = duckdb_asof_join(spine, EVENTS, on="reporter", ttl=100, columns=["n", "share", "tier"])
    assert (out.astype(object).where(out.notna(), None).values.tolist()
            == oracle.astype(object).where(oracle.notna(), None).values.tolist())


def test_materialize_then_online_lookup(store):
    assert store.materialize(0, 15) == {"stats": 2}  # the latest of a and of b up to t=15
    rows = [{"reporter": "a"}, {"reporter": "b"}, {"reporter": "nobody"}]
    assert store.get_online_features(["stats:n"], rows) == {"stats:n": [1, 7, None]}
    store.materialize_incremental(600)  # from 15 on
    assert store.get_online_features(["stats:n", "stats:tier"], rows) == {"stats:n": [3, 7, None],
                                                                          "stats:tier": ["old", "new", None]}
    store.materialize(0, 15)  # an old range again never rolls a value back
    assert store.get_online_features(["stats:n"], rows)["stats:n"] == [3, 7, None]
    # with the time of the request, values older than the ttl are missing
    assert store.get_online_features(["stats:n"], rows, now=120)["stats:n"] == [3, None, None]


def test_a_batch_larger_than_sqlites_parameter_limit(store):
    store.materialize_incremental(1_000)
    rows = [{"reporter": "a"}] * 2_000 + [{"reporter": "c"}]
    assert store.get_online_features(["stats:n"], rows)["stats:n"] == [3] * 2_000 + [9]


def test_definitions_survive_reopening(tmp_path, store):
    store.close()
    again = FeatureStore(tmp_path / "features.db")
    assert again.get_feature_view("stats") == STATS
    assert len(again.read_offline("stats")) == len(EVENTS)
    again.apply([STATS])  # the same definition: nothing happens
    with pytest.raises(FeatureStoreError, match="exists with another definition"):
        again.apply([FeatureView("stats", (REPORTER,), (Field("n", "int64"),))])
    again.close()


def test_a_failed_write_changes_nothing(store):
    bad = EVENTS.assign(reporter=["a", None, "b", "c", "d"])
    with pytest.raises(FeatureStoreError, match="join key"):
        store.write_to_offline_store("stats", bad)
    # a row that SQLite rejects half-way through: the rows before it go too
    store.conn.execute("CREATE TRIGGER no_x BEFORE INSERT ON offline_stats WHEN NEW.n = 'x' "
                       "BEGIN SELECT RAISE(ABORT, 'x is not a count'); END")
    before = len(store.read_offline("stats"))
    with pytest.raises(sqlite3.IntegrityError, match="x is not a count"):
        store.write_to_offline_store("stats", EVENTS.assign(n=["1", "2", "x", "4", "5"]))
    assert len(store.read_offline("stats")) == before


@pytest.mark.parametrize("make, message", [
    (lambda: Entity("Reporter"), "not a valid name"),
    (lambda: Entity("r", join_key="event_timestamp"), "timestamp column"),
    (lambda: Field("n", "int32"), "accepted: int64, float64, string"),
    (lambda: FeatureView("v", (), (Field("n"),)), "exactly one entity"),
    (lambda: FeatureView("v", (REPORTER,), ()), "has no features"),
    (lambda: FeatureView("v", (REPORTER,), (Field("n"), Field("n"))), "distinct"),
    (lambda: FeatureView("v", (REPORTER,), (Field("n"),), ttl=0), "positive number of seconds"),
])
def test_bad_definitions_are_clear_errors(make, message):
    with pytest.raises(FeatureStoreError, match=message):
        make()


def test_bad_requests_are_clear_errors(store):
    with pytest.raises(FeatureStoreError, match='"view:feature"'):
        store.get_online_features(["n"], [{"reporter": "a"}])
    with pytest.raises(FeatureStoreError, match="no feature 'm'"):
        store.get_online_features(["stats:m"], [{"reporter": "a"}])
    with pytest.raises(FeatureStoreError, match="no feature view named 'other'"):
        store.get_online_features(["other:n"], [{"reporter": "a"}])
    with pytest.raises(FeatureStoreError, match="wrap a single one in a list"):
        store.get_online_features("stats:n", [{"reporter": "a"}])
    with pytest.raises(FeatureStoreError, match="mapping with the key 'reporter'"):
        store.get_online_features(["stats:n"], [{"user": "a"}])
    with pytest.raises(FeatureStoreError, match="lack the column"):
        store.write_to_offline_store("stats", EVENTS.drop(columns="share"))
    with pytest.raises(FeatureStoreError, match="integer seconds"):
        store.write_to_offline_store("stats", EVENTS.assign(created=EVENTS["created"] * 0.5))
    with pytest.raises(FeatureStoreError, match="before start"):
        store.materialize(10, 5)
    with pytest.raises(FeatureStoreError, match="need the columns"):
        store.get_historical_features(pd.DataFrame({"reporter": ["a"]}), FEATURES)
