"""Point-in-time joins: each training row gets the feature values that existed at its time.

Taught in the MLOps chapter (book/mlops.md). A *spine* (the rows to train
on, each with an entity key and a timestamp) is joined to a table of
feature *events* (key, event timestamp, created timestamp, values): every
spine row takes the **latest event of its key at or before its own time**,
ties on the event time going to the row created last, and nothing older
than ``ttl``. A join on the key alone (:func:`naive_join`) hands each row
the latest values of all: values computed from what happened *after* it,
often from its own label.

:func:`point_in_time_join` is a sort-merge join in NumPy: feature events and
spine rows are sorted together by (key, time), events before spine rows at
equal times; then each spine row looks back to the last event of its key.
:func:`duckdb_asof_join` is DuckDB's ``ASOF JOIN`` on the same tables, the
oracle the tests compare it with row for row.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np
import pandas as pd


def _check_columns(df: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"the {what} lacks the column(s) {missing}; it has {list(df.columns)}")


def _as_int_time(values: pd.Series, what: str) -> np.ndarray:
    """Timestamps as int64 (seconds, or datetime64's nanoseconds); a clear error for anything else."""
    if pd.api.types.is_datetime64_any_dtype(values):
        return values.to_numpy(dtype="datetime64[ns]").view(np.int64)
    if not pd.api.types.is_integer_dtype(values):
        raise TypeError(f"{what} must hold integer timestamps (seconds) or datetimes, got dtype {values.dtype}")
    return values.to_numpy(dtype=np.int64)


def point_in_time_join(spine: pd.DataFrame, features: pd.DataFrame, *, on: str,
                       spine_time: str = "event_timestamp", feature_time: str = "event_timestamp",
                       created: str | None = "created", ttl: int | None = None,
                       columns: Sequence[str] | None = None) -> pd.DataFrame:
    """The spine (rows in their order, index reset) with the feature ``columns`` as of each row's time.

    For a spine row with key ``k`` at time ``t`` the values come from the
    feature event of key ``k`` with the largest ``feature_time`` <= ``t``
    (among equal times, the largest ``created``; among full ties, the last
    in ``features``' order). No such event, or one older than ``ttl``
    (``t - event time > ttl``), gives missing values (NaN / None).
    Timestamps are integers (seconds) or datetimes (then ``ttl`` is in
    nanoseconds). ``columns`` defaults to every column of ``features`` but
    the key and the timestamps.
    """
    _check_columns(spine, [on, spine_time], "spine")
    _check_columns(features, [on, feature_time] + ([created] if created else []), "feature table")
    if columns is None:
        columns = [c for c in features.columns if c not in {on, feature_time, created}]
    _check_columns(features, columns, "feature table")
    clash = [c for c in columns if c in spine.columns]
    if clash:
        raise ValueError(f"the spine already has column(s) {clash}; rename them or leave them out of `columns`")
    if ttl is not None and ttl < 0:
        raise ValueError(f"ttl is a non-negative duration, got {ttl}")

    m, n = len(features), len(spine)
    codes, _ = pd.factorize(pd.concat([features[on], spine[on]], ignore_index=True), use_na_sentinel=True)
    times = np.concatenate([_as_int_time(features[feature_time], "the feature time"),
                            _as_int_time(spine[spine_time], "the spine time")])
    is_spine = np.concatenate([np.zeros(m, np.int8), np.ones(n, np.int8)])  # events sort first at equal times
    tiebreak = np.zeros(m + n, np.int64)
    if created and m:
        tiebreak[:m] = _as_int_time(features[created], "the created time")
    order = np.lexsort((tiebreak, is_spine, times, codes))  # last key is the primary one; stable
    # In sorted order: for every position, the position of the last feature event at or before it.
    event_pos = np.where(is_spine[order] == 0, np.arange(m + n), -1)
    last_event = np.maximum.accumulate(event_pos) if m + n else event_pos
    spine_rows = order[is_spine[order] == 1] - m  # spine row numbers, in sorted order
    back = last_event[is_spine[order] == 1]  # sorted position of its candidate event (-1: none)
    found = back >= 0
    match = np.full(n, -1, np.int64)  # for each spine row, the feature row it takes (-1: none)
    candidate = np.where(found, order[np.maximum(back, 0)], 0)  # a feature row number when found
    same_key = found & (codes[candidate] == codes[m + spine_rows]) & (codes[m + spine_rows] >= 0)
    if ttl is not None:
        same_key &= times[m + spine_rows] - times[candidate] <= ttl
    match[spine_rows[same_key]] = candidate[same_key]

    out = spine.reset_index(drop=True).copy()
    taken = features.reset_index(drop=True).reindex(np.where(match >= 0, match, -1))  # -1: a row of NaN
    for c in columns:
        out[c] = taken[c].to_numpy()
    return out


def latest_per_key(features: pd.DataFrame, *, on: str, feature_time: str = "event_timestamp",
                   created: str | None = "created") -> pd.DataFrame:
    """The last event of each key (what a table of 'current' features holds), by time then created."""
    sort = [on, feature_time] + ([created] if created else [])
    return features.sort_values(sort, kind="stable").groupby(on, sort=False).tail(1)


def naive_join(spine: pd.DataFrame, features: pd.DataFrame, *, on: str, feature_time: str = "event_timestamp",
               created: str | None = "created", columns: Sequence[str] | None = None) -> pd.DataFrame:
    """The leaky join: every spine row gets its key's *latest* values, whatever the row's time."""
    if columns is None:
        columns = [c for c in features.columns if c not in {on, feature_time, created}]
    latest = latest_per_key(features, on=on, feature_time=feature_time, created=created)
    return spine.reset_index(drop=True).merge(latest[[on, *columns]], on=on, how="left")


@functools.lru_cache(maxsize=1)
def _duckdb():
    """One in-memory DuckDB database per process (connecting costs tens of milliseconds); one thread."""
    import duckdb

    return duckdb.connect(config={"threads": 1})


def duckdb_asof_join(spine: pd.DataFrame, features: pd.DataFrame, *, on: str,
                     spine_time: str = "event_timestamp", feature_time: str = "event_timestamp",
                     created: str | None = "created", ttl: int | None = None,
                     columns: Sequence[str] | None = None) -> pd.DataFrame:
    """The same join in DuckDB: ``ASOF LEFT JOIN ... ON key = key AND spine_time >= feature_time``.

    DuckDB picks one of several events with the same key and time without a
    rule, so the events are first reduced to the last created per (key,
    time), as the from-scratch join does.
    """
    if columns is None:
        columns = [c for c in features.columns if c not in {on, feature_time, created}]
    q = '"{}"'.format
    s = spine.reset_index(drop=True).assign(__row=np.arange(len(spine)))
    f = features.reset_index(drop=True).assign(__order=np.arange(len(features)))
    rank = f"{q(created)} DESC, " if created else ""
    picked = ", ".join(f"f.{q(c)}" for c in columns)
    kept = f"CASE WHEN s.{q(spine_time)} - f.{q(feature_time)} <= {int(ttl)} THEN f.{{c}} END" if ttl is not None \
        else "f.{c}"
    picked = ", ".join(f"{kept.format(c=q(c))} AS {q(c)}" for c in columns) if ttl is not None else picked
    sql = f"""
        WITH events AS (
            SELECT * FROM f
            QUALIFY row_number() OVER (PARTITION BY {q(on)}, {q(feature_time)}
                                       ORDER BY {rank}__order DESC) = 1)
        SELECT s.__row, {picked}
        FROM s ASOF LEFT JOIN events AS f
          ON s.{q(on)} = f.{q(on)} AND s.{q(spine_time)} >= f.{q(feature_time)}
        ORDER BY s.__row"""
    con = _duckdb().cursor()  # a cursor of the shared database: its own registrations
    try:
        con.register("s", s)
        con.register("f", f)
        joined = con.sql(sql).df()
    finally:
        con.close()
    out = spine.reset_index(drop=True).copy()
    for c in columns:
        out[c] = joined[c].to_numpy()
    return out
