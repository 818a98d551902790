"""A feature store on SQLite: definitions, an offline and an online store, materialisation.

Taught in the MLOps chapter (book/mlops.md). The vocabulary is Feast's:

* an :class:`Entity` is what features describe (a reporter, a driver), named
  by its ``join_key`` column;
* a :class:`FeatureView` is a group of features of one entity, each a
  :class:`Field`, with a time to live (``ttl``): a value older than that is
  treated as missing;
* the **offline store** keeps every feature *event* ever written (key,
  event time, created time, values): the history training reads, through a
  point-in-time join (:meth:`FeatureStore.get_historical_features`);
* the **online store** keeps one row per key, the latest values, for
  serving at low latency (:meth:`FeatureStore.get_online_features`);
* **materialisation** copies the latest event of each key in a time range
  from the offline store to the online one (:meth:`FeatureStore.materialize`).

Both stores live in one SQLite file (``sqlite3`` from the standard library),
in write-ahead-log mode so that readers never wait for a writer. Timestamps
are integer seconds since 1970 (UTC). Every write is one transaction: a
failed write changes nothing.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pandas as pd

from aimastery.mlops.pit import point_in_time_join

NAME_RE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
#: The column types a Field may have, and how SQLite stores them.
DTYPES = {"int64": "INTEGER", "float64": "REAL", "string": "TEXT"}
EVENT_TIME, CREATED = "event_timestamp", "created"
RESERVED = {EVENT_TIME, CREATED}
SQLITE_MAX_PARAMS = 900  # well under SQLite's limit on ? placeholders in one statement


class FeatureStoreError(ValueError):
    """A definition, a write or a request the store cannot accept (the message says what it accepts)."""


def _check_name(name: str, what: str) -> str:
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise FeatureStoreError(f"{what} {name!r} is not a valid name: lower-case letters, digits and _, "
                                f"starting with a letter or _, at most 63 characters")
    return name


@dataclass(frozen=True)
class Entity:
    """What features describe; rows name it by ``join_key`` (default: the entity's name)."""

    name: str
    join_key: str = ""
    description: str = ""

    def __post_init__(self) -> None:
        _check_name(self.name, "entity name")
        if not self.join_key:
            object.__setattr__(self, "join_key", self.name)
        _check_name(self.join_key, "join key")
        if self.join_key in RESERVED:
            raise FeatureStoreError(f"the join key may not be called {self.join_key!r} (a timestamp column)")


@dataclass(frozen=True)
class Field:
    """One feature: a name and a type among ``int64``, ``float64``, ``string``."""

    name: str
    dtype: str = "float64"

    def __post_init__(self) -> None:
        _check_name(self.name, "feature name")
        if self.name in RESERVED:
            raise FeatureStoreError(f"a feature may not be called {self.name!r} (a timestamp column)")
        if self.dtype not in DTYPES:
            raise FeatureStoreError(f"feature {self.name!r}: dtype {self.dtype!r}; accepted: {', '.join(DTYPES)}")


@dataclass(frozen=True)
class FeatureView:
    """Features of one entity, their types, and how long a value stays valid (``ttl`` seconds; None: forever)."""

    name: str
    entities: tuple[Entity, ...]
    schema: tuple[Field, ...]
    ttl: int | None = None
    description: str = ""
    tags: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _check_name(self.name, "feature view name")
        object.__setattr__(self, "entities", tuple(self.entities))
        object.__setattr__(self, "schema", tuple(self.schema))
        if len(self.entities) != 1:
            raise FeatureStoreError(f"feature view {self.name!r}: exactly one entity per view here "
                                    f"(got {len(self.entities)}); composite keys are not supported")
        if not self.schema:
            raise FeatureStoreError(f"feature view {self.name!r} has no features")
        names = [f.name for f in self.schema]
        if len(set(names)) != len(names) or self.entity.join_key in names:
            raise FeatureStoreError(f"feature view {self.name!r}: feature names must be distinct and differ "
                                    f"from the join key {self.entity.join_key!r}; got {names}")
        if self.ttl is not None and (not isinstance(self.ttl, int) or self.ttl <= 0):
            raise FeatureStoreError(f"feature view {self.name!r}: ttl is a positive number of seconds or None, "
                                    f"got {self.ttl!r}")

    @property
    def entity(self) -> Entity:
        return self.entities[0]

    @property
    def feature_names(self) -> list[str]:
        return [f.name for f in self.schema]

    def to_json(self) -> dict:
        return {"name": self.name, "entities": [asdict(e) for e in self.entities],
                "schema": [asdict(f) for f in self.schema], "ttl": self.ttl,
                "description": self.description, "tags": dict(self.tags)}

    @classmethod
    def from_json(cls, data: dict) -> FeatureView:
        return cls(data["name"], tuple(Entity(**e) for e in data["entities"]),
                   tuple(Field(**f) for f in data["schema"]), data["ttl"], data.get("description", ""),
                   data.get("tags", {}))


def _q(name: str) -> str:
    return f'"{name}"'  # names are checked against NAME_RE before they reach SQL


class FeatureStore:
    """Offline and online feature stores in one SQLite file (see the module docstring)."""

    def __init__(self, path: str | Path = ":memory:"):
        self.path = str(path)
        self.conn = sqlite3.connect(self.path, isolation_level=None)  # explicit transactions below
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.execute("CREATE TABLE IF NOT EXISTS feature_views (name TEXT PRIMARY KEY, definition TEXT)")
        self.conn.execute("CREATE TABLE IF NOT EXISTS materializations "
                          "(feature_view TEXT, start_ts INTEGER, end_ts INTEGER, rows INTEGER)")
        self._views = {name: FeatureView.from_json(json.loads(d))
                       for name, d in self.conn.execute("SELECT name, definition FROM feature_views")}

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> FeatureStore:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ----- definitions

    def apply(self, objects: Iterable[FeatureView | Entity]) -> None:
        """Register feature views (entities come with their views); re-applying the same definition is a no-op."""
        views = [o for o in objects if isinstance(o, FeatureView)]
        others = [o for o in objects if not isinstance(o, (FeatureView, Entity))]
        if others:
            raise FeatureStoreError(f"apply takes Entity and FeatureView objects, got {type(others[0]).__name__}")
        with self._transaction():
            for view in views:
                old = self._views.get(view.name)
                if old is not None and old.to_json() != view.to_json():
                    raise FeatureStoreError(f"feature view {view.name!r} exists with another definition; "
                                            f"give the new one another name (views are immutable here)")
                cols = ", ".join(f"{_q(f.name)} {DTYPES[f.dtype]}" for f in view.schema)
                key = _q(view.entity.join_key)
                self.conn.execute(f"CREATE TABLE IF NOT EXISTS {_q('offline_' + view.name)} ({key} TEXT NOT NULL, "
                                  f"{EVENT_TIME} INTEGER NOT NULL, {CREATED} INTEGER NOT NULL, {cols})")
                self.conn.execute(f"CREATE INDEX IF NOT EXISTS {_q('offline_' + view.name + '_key_time')} "
                                  f"ON {_q('offline_' + view.name)} ({key}, {EVENT_TIME}, {CREATED})")
                self.conn.execute(f"CREATE TABLE IF NOT EXISTS {_q('online_' + view.name)} ({key} TEXT PRIMARY KEY, "
                                  f"{EVENT_TIME} INTEGER NOT NULL, {CREATED} INTEGER NOT NULL, {cols})")
                self.conn.execute("INSERT OR IGNORE INTO feature_views VALUES (?, ?)",
                                  (view.name, json.dumps(view.to_json())))
        self._views.update({v.name: v for v in views})

    def list_feature_views(self) -> list[FeatureView]:
        return list(self._views.values())

    def get_feature_view(self, name: str) -> FeatureView:
        try:
            return self._views[name]
        except KeyError:
            raise FeatureStoreError(f"no feature view named {name!r}; the views are: "
                                    f"{', '.join(self._views) or 'none (call apply first)'}") from None

    # ----- the offline store

    def write_to_offline_store(self, view_name: str, df: pd.DataFrame) -> int:
        """Append feature events (the join key, ``event_timestamp``, ``created``, every feature); return the count."""
        view = self.get_feature_view(view_name)
        columns = [view.entity.join_key, EVENT_TIME, CREATED, *view.feature_names]
        missing = [c for c in columns if c not in df.columns]
        if missing:
            raise FeatureStoreError(f"rows for {view_name!r} lack the column(s) {missing}; expected {columns}")
        for c in (EVENT_TIME, CREATED):
            if not pd.api.types.is_integer_dtype(df[c]):
                raise FeatureStoreError(f"column {c!r} holds integer seconds since 1970, got dtype {df[c].dtype}")
        if df[view.entity.join_key].isna().any():
            raise FeatureStoreError(f"column {view.entity.join_key!r} (the join key) has missing values")
        rows = df[columns].astype({view.entity.join_key: str}).astype(object).where(df[columns].notna(), None)
        marks = ", ".join("?" * len(columns))
        with self._transaction():
            self.conn.executemany(f"INSERT INTO {_q('offline_' + view.name)} VALUES ({marks})",
                                  rows.itertuples(index=False, name=None))
        return len(rows)

    def read_offline(self, view_name: str, *, keys: Sequence | None = None, until: int | None = None) -> pd.DataFrame:
        """The events of a view (optionally of some keys, with ``event_timestamp <= until``)."""
        view = self.get_feature_view(view_name)
        key = _q(view.entity.join_key)
        sql, params = f"SELECT * FROM {_q('offline_' + view.name)} WHERE 1=1", []
        if until is not None:
            sql += f" AND {EVENT_TIME} <= ?"
            params.append(int(until))
        frames = []
        chunks = [None] if keys is None else [list(keys)[i:i + SQLITE_MAX_PARAMS]
                                              for i in range(0, len(keys), SQLITE_MAX_PARAMS)] or [[]]
        for chunk in chunks:
            where = "" if chunk is None else f" AND {key} IN ({', '.join('?' * len(chunk))})"
            frames.append(pd.read_sql_query(sql + where, self.conn, params=params + [str(k) for k in chunk or []]))
        return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]

    def get_historical_features(self, entity_df: pd.DataFrame, features: Sequence[str]) -> pd.DataFrame:
        """Training data: ``entity_df`` (join key + ``event_timestamp``) with each feature as of its row's time.

        ``features`` are ``"view:feature"`` references. A point-in-time join
        (:func:`aimastery.mlops.pit.point_in_time_join`) per view, honouring its ttl.
        """
        out = entity_df.reset_index(drop=True)
        for view, names in self._resolve(features):
            key = view.entity.join_key
            if key not in out.columns or EVENT_TIME not in out.columns:
                raise FeatureStoreError(f"the entity rows need the columns {key!r} and {EVENT_TIME!r}; "
                                        f"they have {list(out.columns)}")
            events = self.read_offline(view.name, keys=pd.unique(out[key].astype(str)),
                                       until=int(out[EVENT_TIME].max()) if len(out) else None)
            spine = out.assign(__key=out[key].astype(str))
            joined = point_in_time_join(spine, events.rename(columns={key: "__key"}), on="__key",
                                        ttl=view.ttl, columns=names)
            out = joined.drop(columns="__key")
        return out

    # ----- materialisation and the online store

    def materialize(self, start: int, end: int, views: Sequence[str] | None = None) -> dict[str, int]:
        """Copy each key's latest event with ``start < event_timestamp <= end`` to the online store.

        An online row is only replaced by a newer event (by event time, then
        created time), so materialising an old range never rolls a value back.
        Returns the number of events loaded per view.
        """
        if end < start:
            raise FeatureStoreError(f"materialize: end ({end}) is before start ({start})")
        loaded = {}
        with self._transaction():
            for name in views or list(self._views):
                view = self.get_feature_view(name)
                key, cols = _q(view.entity.join_key), [_q(c) for c in view.feature_names]
                all_cols = ", ".join([key, EVENT_TIME, CREATED, *cols])
                updates = ", ".join(f"{c} = excluded.{c}" for c in [EVENT_TIME, CREATED, *cols])
                online = _q("online_" + view.name)
                cur = self.conn.execute(f"""
                    INSERT INTO {online} ({all_cols})
                    SELECT {all_cols} FROM (
                        SELECT *, row_number() OVER (PARTITION BY {key}
                                                     ORDER BY {EVENT_TIME} DESC, {CREATED} DESC) AS rn
                        FROM {_q('offline_' + view.name)}
                        WHERE {EVENT_TIME} > ? AND {EVENT_TIME} <= ?)
                    WHERE rn = 1
                    ON CONFLICT ({key}) DO UPDATE SET {updates}
                    WHERE (excluded.{EVENT_TIME}, excluded.{CREATED}) > ({online}.{EVENT_TIME}, {online}.{CREATED})
                    """, (int(start), int(end)))
                loaded[name] = cur.rowcount
                self.conn.execute("INSERT INTO materializations VALUES (?, ?, ?, ?)",
                                  (name, int(start), int(end), cur.rowcount))
        return loaded

    def materialize_incremental(self, end: int, views: Sequence[str] | None = None) -> dict[str, int]:
        """Materialise from each view's last materialised end (or the beginning of time) up to ``end``."""
        loaded = {}
        for name in views or list(self._views):
            (last,) = self.conn.execute("SELECT max(end_ts) FROM materializations WHERE feature_view = ?",
                                        (name,)).fetchone()
            start = last if last is not None else -(2 ** 62)
            loaded.update(self.materialize(min(start, end), end, [name]))
        return loaded

    def get_online_features(self, features: Sequence[str], entity_rows: Sequence[Mapping],
                            *, now: int | None = None) -> dict[str, list]:
        """The latest materialised values for each entity row, as columns (``{"view:feature": [...]}``).

        Unknown keys give None; so do values older than the view's ttl when
        ``now`` (seconds) is given.
        """
        out: dict[str, list] = {}
        for view, names in self._resolve(features):
            key = view.entity.join_key
            try:
                keys = [str(row[key]) for row in entity_rows]
            except (KeyError, TypeError):
                raise FeatureStoreError(f"each entity row is a mapping with the key {key!r}, "
                                        f"e.g. {{{key!r}: ...}}") from None
            found: dict[str, tuple] = {}
            cols = ", ".join([_q(key), EVENT_TIME, *(_q(n) for n in names)])
            unique = list(dict.fromkeys(keys))
            for i in range(0, len(unique), SQLITE_MAX_PARAMS):
                chunk = unique[i:i + SQLITE_MAX_PARAMS]
                for row in self.conn.execute(f"SELECT {cols} FROM {_q('online_' + view.name)} "
                                             f"WHERE {_q(key)} IN ({', '.join('?' * len(chunk))})", chunk):
                    found[row[0]] = row[1:]
            expired = (lambda ts: False) if now is None or view.ttl is None else (lambda ts: now - ts > view.ttl)
            for j, name in enumerate(names):
                out[f"{view.name}:{name}"] = [found[k][1 + j] if k in found and not expired(found[k][0]) else None
                                              for k in keys]
        return out

    # ----- helpers

    def _resolve(self, features: Sequence[str]) -> list[tuple[FeatureView, list[str]]]:
        if isinstance(features, str):
            raise FeatureStoreError('features is a list of "view:feature" references; wrap a single one in a list')
        by_view: dict[str, list[str]] = {}
        for ref in features:
            view_name, sep, name = str(ref).partition(":")
            if not sep:
                raise FeatureStoreError(f'feature reference {ref!r}: write it as "view:feature"')
            view = self.get_feature_view(view_name)
            if name not in view.feature_names:
                raise FeatureStoreError(f"feature view {view_name!r} has no feature {name!r}; "
                                        f"it has {view.feature_names}")
            by_view.setdefault(view_name, []).append(name)
        return [(self._views[v], names) for v, names in by_view.items()]

    def _transaction(self):
        return _Transaction(self.conn)


class _Transaction:
    """BEGIN ... COMMIT, or ROLLBACK when the block raises: a failed write leaves nothing behind."""

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn

    def __enter__(self) -> None:
        self.conn.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type, *_) -> None:
        self.conn.execute("ROLLBACK" if exc_type else "COMMIT")
