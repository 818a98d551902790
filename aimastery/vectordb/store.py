"""A small multi-tenant vector store: SQLite for metadata and the write-ahead log, vectors in ``.npy`` files.

Taught in ``book/vector_search.md``. The API::

    store = VectorStore(path)                       # a folder; created when new
    store.create_tenant("acme")
    store.create_collection("acme", "docs", dim=384)
    lsn = store.upsert("acme", "docs", ids, vectors, metadata)   # acknowledged: durable on return
    store.delete("acme", "docs", ["doc-7"])
    hits = store.query("acme", "docs", vector, k=5, where={"lang": "en"})
    store.snapshot(backup_dir)                      # online: writes go on meanwhile
    VectorStore.restore(backup_dir, new_path)       # verified byte for byte

The folder holds ``store.sqlite`` (tenants, collections, each item's
metadata, the write-ahead log and the manifest of segments) and
``segments/``, where each collection's vectors were last checkpointed as two
``.npy`` files (float32 vectors, fixed-width unicode ids; read with
``allow_pickle=False``). A write is one SQLite transaction that appends the
vectors to the log and updates the metadata; it is acknowledged only after
the commit, so a writer killed at any moment leaves every acknowledged write
and no half of any batch. A checkpoint writes a collection's arrays to new
segment files, then, in one transaction, points the manifest at them and
drops the log rows they cover. Opening replays the log over the segments.

Tenants are isolated by construction: a collection belongs to one tenant,
every call names the tenant, and ids live in per-collection namespaces. An
error about a tenant never lists the other tenants.
"""

from __future__ import annotations

import fcntl
import filecmp
import json
import math
import os
import re
import shutil
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from pydantic import BaseModel, ConfigDict, ValidationError

from aimastery.atomic import atomic_path, sha256_file, write_text_atomic

FORMAT = "aimastery-vectorstore-1"
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
FIELD_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
MAX_ID_CHARS = 128
MAX_K = 1_000
OPERATORS = {"$eq": "=", "$ne": "!=", "$gt": ">", "$gte": ">=", "$lt": "<", "$lte": "<="}
WHERE_ACCEPTS = ('{"field": value} for equality, or {"field": {"$in": [values]}} or {"field": {op: value}} '
                 f"with op among {sorted(OPERATORS)}; values are strings, numbers or booleans")

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tenants(name TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS collections(
    id INTEGER PRIMARY KEY, tenant TEXT NOT NULL REFERENCES tenants(name), name TEXT NOT NULL,
    dim INTEGER NOT NULL CHECK(dim > 0), UNIQUE(tenant, name));
CREATE TABLE IF NOT EXISTS items(
    collection_id INTEGER NOT NULL REFERENCES collections(id), id TEXT NOT NULL, metadata TEXT NOT NULL,
    PRIMARY KEY(collection_id, id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS log(
    lsn INTEGER PRIMARY KEY AUTOINCREMENT, collection_id INTEGER NOT NULL REFERENCES collections(id),
    op TEXT NOT NULL CHECK(op IN ('upsert', 'delete')), ids TEXT NOT NULL, vectors BLOB);
CREATE TABLE IF NOT EXISTS segments(
    collection_id INTEGER PRIMARY KEY REFERENCES collections(id), lsn INTEGER NOT NULL, n INTEGER NOT NULL,
    vectors_file TEXT NOT NULL, ids_file TEXT NOT NULL, vectors_sha256 TEXT NOT NULL, ids_sha256 TEXT NOT NULL);
"""


class StoreError(Exception):
    """Anything the store refuses; the message says what was wrong and what is accepted."""


class InvalidInput(StoreError, ValueError):
    """A malformed argument (dimension, NaN, empty query, bad id or filter). Nothing was stored."""


class NotFound(StoreError, LookupError):
    """An unknown tenant, collection or id. Nothing was stored."""


class StoreLocked(StoreError, RuntimeError):
    """Another process has the store open."""


class CorruptStore(StoreError, RuntimeError):
    """Files that do not match what the store recorded about them."""


@dataclass(frozen=True)
class Hit:
    id: str
    score: float  # cosine similarity
    metadata: dict


@dataclass
class _Collection:
    """One collection's vectors in memory: dense rows, an id -> row map (rows move on delete)."""

    cid: int
    tenant: str
    name: str
    dim: int
    ids: list[str] = field(default_factory=list)
    row: dict[str, int] = field(default_factory=dict)
    vectors: np.ndarray = None  # (capacity, dim) float32; rows [0, n) are live
    lsn: int = 0  # the last log entry applied
    logged: int = 0  # log entries since the last checkpoint

    def __post_init__(self):
        if self.vectors is None:
            self.vectors = np.empty((16, self.dim), dtype=np.float32)

    @property
    def n(self) -> int:
        return len(self.ids)

    def upsert(self, ids: list[str], vectors: np.ndarray) -> None:
        for i, v in zip(ids, vectors):
            r = self.row.get(i)
            if r is None:
                r = self.n
                if r == len(self.vectors):
                    grown = np.empty((2 * r, self.dim), dtype=np.float32)
                    grown[:r] = self.vectors[:r]
                    self.vectors = grown
                self.ids.append(i)
                self.row[i] = r
            self.vectors[r] = v

    def delete(self, ids: list[str]) -> None:
        for i in ids:
            r = self.row.pop(i)
            last = self.n - 1
            if r != last:  # move the last row into the hole
                moved = self.ids[last]
                self.vectors[r] = self.vectors[last]
                self.ids[r] = moved
                self.row[moved] = r
            self.ids.pop()


class SnapshotFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    format: str
    lsn: int
    files: dict[str, str]  # relative path -> SHA-256


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _save_npy(path: Path, array: np.ndarray) -> str:
    """Write ``array`` to ``path`` atomically and durably (no pickle); returns its SHA-256."""
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            np.save(f, array, allow_pickle=False)
            f.flush()
            os.fsync(f.fileno())
    _fsync_dir(path.parent)
    return sha256_file(path)


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")  # a commit is on disk before upsert returns
    conn.execute("PRAGMA foreign_keys=ON")
    return conn


class VectorStore:
    """A folder of tenants' collections; one process opens it at a time (it holds ``LOCK``)."""

    def __init__(self, path: str | Path, checkpoint_every: int = 256):
        self.path = Path(path)
        self.checkpoint_every = checkpoint_every
        self.path.mkdir(parents=True, exist_ok=True)
        (self.path / "segments").mkdir(exist_ok=True)
        self._lock_file = open(self.path / "LOCK", "a+")
        try:
            fcntl.flock(self._lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock_file.close()
            raise StoreLocked(f"another process has the store at {self.path} open; "
                              "one process writes a store at a time") from None
        self._lock = threading.RLock()  # memory and the main connection
        self._segment_lock = threading.Lock()  # checkpoints versus snapshots
        self.db = _connect(self.path / "store.sqlite")
        self.db.executescript(SCHEMA)
        fmt = self.db.execute("SELECT value FROM meta WHERE key = 'format'").fetchone()
        if fmt is None:
            self.db.execute("INSERT INTO meta VALUES ('format', ?)", (FORMAT,))
        elif fmt[0] != FORMAT:
            raise CorruptStore(f"{self.path} holds a store of format {fmt[0]!r}; this code reads {FORMAT!r}")
        self._collections: dict[tuple[str, str], _Collection] = {}
        self._load()

    # ----- opening: segments, then the log

    def _load(self) -> None:
        referenced = set()
        for cid, tenant, name, dim in self.db.execute("SELECT id, tenant, name, dim FROM collections ORDER BY id"):
            coll = _Collection(cid, tenant, name, dim)
            seg = self.db.execute("SELECT lsn, n, vectors_file, ids_file, vectors_sha256, ids_sha256 "
                                  "FROM segments WHERE collection_id = ?", (cid,)).fetchone()
            if seg:
                lsn, n, vfile, ifile, vsha, isha = seg
                referenced |= {vfile, ifile}
                vectors = self._load_npy(vfile, vsha)
                ids = self._load_npy(ifile, isha)
                if vectors.dtype != np.float32 or vectors.shape != (n, dim) or ids.shape != (n,) \
                        or ids.dtype.kind != "U":
                    raise CorruptStore(f"segment {vfile} of {tenant}/{name} has shape {vectors.shape} "
                                       f"({vectors.dtype}), ids {ids.shape}; the manifest says ({n}, {dim})")
                coll.upsert(ids.tolist(), vectors)
                coll.lsn = lsn
            for lsn, op, ids_json, blob in self.db.execute(
                    "SELECT lsn, op, ids, vectors FROM log WHERE collection_id = ? AND lsn > ? ORDER BY lsn",
                    (cid, coll.lsn)):
                ids = json.loads(ids_json)
                if op == "upsert":
                    coll.upsert(ids, np.frombuffer(blob, dtype=np.float32).reshape(len(ids), dim))
                else:
                    coll.delete(ids)
                coll.lsn, coll.logged = lsn, coll.logged + 1
            stored = {r[0] for r in self.db.execute("SELECT id FROM items WHERE collection_id = ?", (cid,))}
            if stored != set(coll.row):
                raise CorruptStore(f"{tenant}/{name}: the metadata lists {len(stored)} items and the vectors "
                                   f"{coll.n}; the store's files do not belong together")
            self._collections[(tenant, name)] = coll
        for stale in (self.path / "segments").iterdir():  # left by a checkpoint cut short
            if stale.name not in referenced:
                stale.unlink()

    def _load_npy(self, name: str, sha: str) -> np.ndarray:
        path = self.path / "segments" / name
        if not path.is_file():
            raise CorruptStore(f"the segment file {name} recorded in the manifest is missing")
        if sha256_file(path) != sha:
            raise CorruptStore(f"the segment file {name} does not match its recorded SHA-256")
        return np.load(path, allow_pickle=False)

    def close(self) -> None:
        with self._lock:
            self.db.close()
            self._lock_file.close()  # releases the flock

    def __enter__(self) -> "VectorStore":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        """One SQLite write transaction: committed whole, or rolled back whole."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # ----- tenants and collections

    def create_tenant(self, tenant: str) -> None:
        _check_name(tenant, "tenant")
        with self._lock:
            if self.db.execute("SELECT 1 FROM tenants WHERE name = ?", (tenant,)).fetchone():
                raise InvalidInput(f"the tenant {tenant!r} exists already")
            self.db.execute("INSERT INTO tenants VALUES (?)", (tenant,))

    def create_collection(self, tenant: str, name: str, dim: int) -> None:
        _check_name(name, "collection")
        if not isinstance(dim, int) or isinstance(dim, bool) or not 1 <= dim <= 65_536:
            raise InvalidInput(f"dim is a whole number of dimensions from 1 to 65,536, got {dim!r}")
        with self._lock:
            self._tenant(tenant)
            if (tenant, name) in self._collections:
                raise InvalidInput(f"tenant {tenant!r} has a collection {name!r} already")
            cur = self.db.execute("INSERT INTO collections(tenant, name, dim) VALUES (?, ?, ?)", (tenant, name, dim))
            self._collections[(tenant, name)] = _Collection(cur.lastrowid, tenant, name, dim)

    def collections(self, tenant: str) -> list[str]:
        with self._lock:
            self._tenant(tenant)
            return sorted(n for t, n in self._collections if t == tenant)

    def count(self, tenant: str, collection: str) -> int:
        with self._lock:
            return self._collection(tenant, collection).n

    def _tenant(self, tenant: str) -> None:
        _check_name(tenant, "tenant")
        if not self.db.execute("SELECT 1 FROM tenants WHERE name = ?", (tenant,)).fetchone():
            raise NotFound(f"no tenant named {tenant!r} in this store; create_tenant() makes one")

    def _collection(self, tenant: str, name: str) -> _Collection:
        self._tenant(tenant)
        coll = self._collections.get((tenant, name))
        if coll is None:
            raise NotFound(f"tenant {tenant!r} has no collection {name!r}; its collections: "
                           f"{sorted(n for t, n in self._collections if t == tenant)}")
        return coll

    # ----- writes

    def upsert(self, tenant: str, collection: str, ids: list[str], vectors, metadata: list[dict] | None = None) -> int:
        """Insert or replace ``ids`` with their vectors (normalised) and metadata; returns the write's LSN.

        Durable when it returns. All of the batch or none of it is stored.
        """
        with self._lock:
            coll = self._collection(tenant, collection)
            ids = _check_ids(ids)
            x = _check_vectors(vectors, coll.dim, len(ids))
            meta = _check_metadata(metadata, len(ids))
            with self._transaction():
                lsn = self.db.execute("INSERT INTO log(collection_id, op, ids, vectors) VALUES (?, 'upsert', ?, ?)",
                                      (coll.cid, json.dumps(ids), x.tobytes())).lastrowid
                self.db.executemany("INSERT OR REPLACE INTO items VALUES (?, ?, ?)",
                                    [(coll.cid, i, m) for i, m in zip(ids, meta)])
            coll.upsert(ids, x)
            coll.lsn, coll.logged = lsn, coll.logged + 1
        self._maybe_checkpoint(coll)
        return lsn

    def delete(self, tenant: str, collection: str, ids: list[str]) -> int:
        """Remove ``ids`` (all must exist, or nothing is removed); returns the write's LSN."""
        with self._lock:
            coll = self._collection(tenant, collection)
            ids = _check_ids(ids)
            missing = [i for i in ids if i not in coll.row]
            if missing:
                raise NotFound(f"{len(missing)} of the ids are not in {tenant}/{collection} "
                               f"(e.g. {missing[:3]}); nothing was deleted")
            with self._transaction():
                lsn = self.db.execute("INSERT INTO log(collection_id, op, ids) VALUES (?, 'delete', ?)",
                                      (coll.cid, json.dumps(ids))).lastrowid
                self.db.executemany("DELETE FROM items WHERE collection_id = ? AND id = ?", [(coll.cid, i) for i in ids])
            coll.delete(ids)
            coll.lsn, coll.logged = lsn, coll.logged + 1
        self._maybe_checkpoint(coll)
        return lsn

    def _maybe_checkpoint(self, coll: _Collection) -> None:
        if coll.logged >= self.checkpoint_every and self._segment_lock.acquire(blocking=False):
            try:  # a snapshot in progress holds the lock: the checkpoint waits for a later write
                self._checkpoint(coll)
            finally:
                self._segment_lock.release()

    def checkpoint(self) -> None:
        """Write every collection's vectors to segment files and drop the log entries they cover."""
        with self._segment_lock:
            for coll in list(self._collections.values()):
                self._checkpoint(coll)

    def _checkpoint(self, coll: _Collection) -> None:
        with self._lock:
            lsn, n = coll.lsn, coll.n
            vectors, ids = coll.vectors[:n].copy(), np.array(coll.ids, dtype=f"<U{MAX_ID_CHARS}")
        seg = self.path / "segments"
        vfile, ifile = f"{coll.cid}-{lsn}.vectors.npy", f"{coll.cid}-{lsn}.ids.npy"
        vsha, isha = _save_npy(seg / vfile, vectors), _save_npy(seg / ifile, ids)
        with self._lock:
            old = self.db.execute("SELECT vectors_file, ids_file FROM segments WHERE collection_id = ?",
                                  (coll.cid,)).fetchone()
            with self._transaction():
                self.db.execute("INSERT OR REPLACE INTO segments VALUES (?, ?, ?, ?, ?, ?, ?)",
                                (coll.cid, lsn, n, vfile, ifile, vsha, isha))
                self.db.execute("DELETE FROM log WHERE collection_id = ? AND lsn <= ?", (coll.cid, lsn))
            coll.logged = self.db.execute("SELECT COUNT(*) FROM log WHERE collection_id = ?", (coll.cid,)).fetchone()[0]
        if old and old[0] != vfile:
            for name in old:
                (seg / name).unlink(missing_ok=True)

    # ----- reads

    def query(self, tenant: str, collection: str, vector, k: int = 10, where: dict | None = None) -> list[Hit]:
        """The ``k`` items most similar to ``vector`` (cosine), best first, among those matching ``where``.

        Exact search over the tenant's collection; ties go to the smaller id.
        """
        if not isinstance(k, int) or isinstance(k, bool) or not 1 <= k <= MAX_K:
            raise InvalidInput(f"k is a whole number from 1 to {MAX_K}, got {k!r}")
        with self._lock:
            coll = self._collection(tenant, collection)
            q = _check_vectors(vector, coll.dim, 1, what="query")[0]  # (d,)
            if where:
                sql, params = _where_sql(where)
                allowed = [r[0] for r in self.db.execute(
                    f"SELECT id FROM items WHERE collection_id = ? AND {sql}", (coll.cid, *params))]
                rows = np.fromiter((coll.row[i] for i in allowed), dtype=np.int64, count=len(allowed))
            else:
                rows = np.arange(coll.n)
            if not len(rows):
                return []
            sims = coll.vectors[rows] @ q  # (len(rows),)
            if len(rows) > k:  # every row at least as similar as the k-th, ties included
                keep = np.flatnonzero(sims >= np.partition(sims, len(sims) - k)[len(sims) - k])
                rows, sims = rows[keep], sims[keep]
            ids = np.array([coll.ids[r] for r in rows])
            order = np.lexsort((ids, -sims))[:k]
            top = [(str(ids[o]), float(sims[o])) for o in order]
            meta = dict(self.db.execute(
                f"SELECT id, metadata FROM items WHERE collection_id = ? AND id IN ({','.join('?' * len(top))})",
                (coll.cid, *[i for i, _ in top])).fetchall())
        return [Hit(i, s, json.loads(meta[i])) for i, s in top]

    def ids(self, tenant: str, collection: str) -> set[str]:
        """Every id stored in the tenant's collection."""
        with self._lock:
            return set(self._collection(tenant, collection).row)

    def get_vector(self, tenant: str, collection: str, id: str) -> np.ndarray:
        with self._lock:
            coll = self._collection(tenant, collection)
            if id not in coll.row:
                raise NotFound(f"{tenant}/{collection} has no item {id!r}")
            return coll.vectors[coll.row[id]].copy()

    # ----- backup and restore

    def snapshot(self, dest: str | Path) -> SnapshotFile:
        """An online, consistent copy of the store in the new folder ``dest``; writes go on meanwhile.

        SQLite's ``VACUUM INTO`` copies the database as of one read
        transaction (in WAL mode a reader never blocks the writer); the segment
        files it names are copied while checkpoints wait. ``SNAPSHOT.json``
        records each file's SHA-256.
        """
        dest = Path(dest)
        if dest.exists():
            raise InvalidInput(f"the snapshot folder {dest} exists already; give a new path")
        partial = dest.with_name(dest.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        (partial / "segments").mkdir(parents=True)
        with self._segment_lock:
            reader = sqlite3.connect(self.path / "store.sqlite", timeout=30)
            try:
                reader.execute("VACUUM INTO ?", (str(partial / "store.sqlite"),))
            finally:
                reader.close()
            copy = sqlite3.connect(partial / "store.sqlite")
            try:
                files = [f for row in copy.execute("SELECT vectors_file, ids_file FROM segments") for f in row]
                lsn = max(copy.execute("SELECT COALESCE(MAX(lsn), 0) FROM log").fetchone()[0],
                          copy.execute("SELECT COALESCE(MAX(lsn), 0) FROM segments").fetchone()[0])
            finally:
                copy.close()
            for name in files:
                shutil.copyfile(self.path / "segments" / name, partial / "segments" / name)
        rels = ["store.sqlite"] + [f"segments/{name}" for name in files]
        info = SnapshotFile(format=FORMAT, lsn=lsn, files={r: sha256_file(partial / r) for r in rels})
        write_text_atomic(partial / "SNAPSHOT.json", info.model_dump_json(indent=1))
        os.replace(partial, dest)
        return info

    @staticmethod
    def verify_snapshot(snapshot: str | Path) -> SnapshotFile:
        """Check a snapshot before trusting it: its manifest, every file's SHA-256, SQLite's integrity check."""
        snapshot = Path(snapshot)
        try:
            info = SnapshotFile.model_validate_json((snapshot / "SNAPSHOT.json").read_text())
        except FileNotFoundError:
            raise CorruptStore(f"{snapshot} has no SNAPSHOT.json: not a snapshot, or an unfinished one") from None
        except ValidationError as err:
            raise CorruptStore(f"{snapshot}/SNAPSHOT.json is not a snapshot manifest: {err}") from None
        if info.format != FORMAT:
            raise CorruptStore(f"the snapshot is of format {info.format!r}; this code reads {FORMAT!r}")
        for rel, sha in info.files.items():
            path = snapshot / rel
            if ".." in Path(rel).parts or not path.is_file():
                raise CorruptStore(f"the snapshot lacks {rel}")
            if sha256_file(path) != sha:
                raise CorruptStore(f"{rel} in the snapshot does not match its SHA-256: the backup is damaged")
        conn = sqlite3.connect(f"file:{snapshot / 'store.sqlite'}?mode=ro", uri=True)
        try:
            if conn.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise CorruptStore("the snapshot's database fails SQLite's integrity check")
        finally:
            conn.close()
        return info

    @staticmethod
    def restore(snapshot: str | Path, target: str | Path) -> Path:
        """Verify ``snapshot``, copy it to the new folder ``target``, and check the copy byte for byte."""
        snapshot, target = Path(snapshot), Path(target)
        info = VectorStore.verify_snapshot(snapshot)
        if target.exists():
            raise InvalidInput(f"the restore target {target} exists already; restore into a new folder")
        partial = target.with_name(target.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        (partial / "segments").mkdir(parents=True)
        for rel in [*info.files, "SNAPSHOT.json"]:
            shutil.copyfile(snapshot / rel, partial / rel)
            if not filecmp.cmp(snapshot / rel, partial / rel, shallow=False):
                raise CorruptStore(f"the restored copy of {rel} differs from the snapshot")
        os.replace(partial, target)
        return target


# ----- validation: everything is checked before anything is written


def _check_name(name, what: str) -> None:
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise InvalidInput(f"a {what} name is 1 to 63 characters of a-z, 0-9, '_' and '-', starting with a "
                           f"letter or digit; got {name!r}")


def _check_ids(ids) -> list[str]:
    if isinstance(ids, str) or not isinstance(ids, (list, tuple)) or not ids:
        raise InvalidInput(f"ids is a non-empty list of strings, got {type(ids).__name__} {str(ids)[:40]!r}")
    for i in ids:
        if not isinstance(i, str) or not 1 <= len(i) <= MAX_ID_CHARS or not i.isprintable():
            raise InvalidInput(f"an id is a printable string of 1 to {MAX_ID_CHARS} characters, got {str(i)[:40]!r}")
    if len(set(ids)) != len(ids):
        raise InvalidInput("ids repeat within one batch; each id may appear once per upsert or delete")
    return list(ids)


def _check_vectors(vectors, dim: int, n: int, what: str = "vectors") -> np.ndarray:
    try:
        x = np.asarray(vectors, dtype=np.float64)
    except (TypeError, ValueError):
        raise InvalidInput(f"{what} must be numbers, an array of shape ({n}, {dim})") from None
    if x.size == 0:
        raise InvalidInput(f"no numbers in the {what}; {dim}-dimensional vectors are accepted")
    if what == "query" and x.ndim == 1:
        x = x[None, :]
    if x.ndim != 2 or x.shape != (n, dim):
        raise InvalidInput(f"the {what} array has shape {x.shape}; this collection takes {dim}-dimensional "
                           f"vectors, shape ({n}, {dim})")
    if not np.isfinite(x).all():
        raise InvalidInput(f"the {what} hold NaN or infinite values; only finite numbers are accepted")
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    if (norms == 0).any():
        raise InvalidInput(f"the {what} hold a zero vector, which has no direction (cosine is undefined)")
    return (x / norms).astype(np.float32)


def _check_metadata(metadata, n: int) -> list[str]:
    if metadata is None:
        return ["{}"] * n
    if not isinstance(metadata, (list, tuple)) or len(metadata) != n:
        raise InvalidInput(f"metadata is a list of {n} dicts (one per id), or None")
    out = []
    for m in metadata:
        if not isinstance(m, dict):
            raise InvalidInput(f"each metadata entry is a dict of field -> value, got {type(m).__name__}")
        for key, value in m.items():
            if not isinstance(key, str) or not FIELD_RE.match(key):
                raise InvalidInput(f"a metadata field name is an identifier (letters, digits, '_'), got {key!r}")
            if not _is_scalar(value) and value is not None:
                raise InvalidInput(f"metadata field {key!r} holds {type(value).__name__}; accepted: strings, "
                                   "finite numbers, booleans, None")
        out.append(json.dumps(m, sort_keys=True))
    return out


def _is_scalar(value) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    return isinstance(value, (str, int, bool))


def _where_sql(where: dict) -> tuple[str, list]:
    """A metadata filter as a SQL condition on ``items.metadata`` (JSON), with its parameters."""
    if not isinstance(where, dict):
        raise InvalidInput(f"where is a dict; accepted: {WHERE_ACCEPTS}")
    parts, params = [], []
    for key, cond in where.items():
        if not isinstance(key, str) or not FIELD_RE.match(key):
            raise InvalidInput(f"a filter field is an identifier, got {key!r}; accepted: {WHERE_ACCEPTS}")
        col = f"json_extract(metadata, '$.{key}')"
        if _is_scalar(cond):
            parts.append(f"{col} = ?")
            params.append(cond)
        elif isinstance(cond, dict) and len(cond) == 1:
            (op, value), = cond.items()
            if op == "$in" and isinstance(value, (list, tuple)) and value and all(map(_is_scalar, value)):
                parts.append(f"{col} IN ({','.join('?' * len(value))})")
                params.extend(value)
            elif op in OPERATORS and _is_scalar(value):
                parts.append(f"{col} {OPERATORS[op]} ?")
                params.append(value)
            else:
                raise InvalidInput(f"the filter on {key!r} is {cond!r}; accepted: {WHERE_ACCEPTS}")
        else:
            raise InvalidInput(f"the filter on {key!r} is {cond!r}; accepted: {WHERE_ACCEPTS}")
    return " AND ".join(parts), params
