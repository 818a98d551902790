"""The real tool beside ours: PostgreSQL with pgvector, tenants isolated by row-level security.

Taught in ``book/vector_search.md``. :class:`LocalPostgres` starts a
throwaway cluster (``initdb`` and ``pg_ctl`` in a temporary folder, listening
on 127.0.0.1 only; as root, the server runs as the ``postgres`` user, since
PostgreSQL refuses to run as root). :class:`PgVectorStore` keeps one table of
items for every tenant and collection, and a row-level-security policy that
shows a connection only the rows of the tenant it named with
``SET app.tenant``. Policies bind ordinary roles only: a superuser, a role
with ``BYPASSRLS`` and (unless ``FORCE ROW LEVEL SECURITY``) the table's
owner see everything, so queries run as a plain ``app`` role.

Debian 12 ships PostgreSQL 15 but no pgvector binary package; ``.ci/run``
builds Debian's own pgvector source package against PostgreSQL 15
(``.ci/install-pgvector``). :func:`pgvector_status` says whether this
machine can run it, and why not.
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

from aimastery.vectordb.exact import normalize

APP_ROLE = "app"


def _bindir() -> Path | None:
    """The folder holding ``initdb`` and ``pg_ctl``: on the PATH, or Debian's /usr/lib/postgresql/N/bin."""
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent  # Debian links some into /usr/local/bin
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    return versions[-1].parent if versions else None


def pgvector_status() -> tuple[bool, str]:
    """(available, reason): can this machine start PostgreSQL and load the ``vector`` extension?"""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return False, "the psycopg package is not installed (requirements.txt has it)"
    bindir = _bindir()
    if bindir is None:
        return False, "PostgreSQL's initdb is not installed (Debian: apt-get install postgresql)"
    pg_config = bindir / "pg_config"
    share = (subprocess.run([str(pg_config), "--sharedir"], capture_output=True, text=True).stdout.strip()
             if pg_config.exists() else f"/usr/share/postgresql/{bindir.parent.name}")
    if not (Path(share) / "extension" / "vector.control").is_file():
        return False, (f"PostgreSQL is installed ({bindir}) but the pgvector extension is not "
                       "(.ci/install-pgvector builds Debian's pgvector package)")
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return False, "running as root, and there is no 'postgres' user to run the server as"
    return True, "PostgreSQL with pgvector is available"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LocalPostgres:
    """A throwaway PostgreSQL cluster on 127.0.0.1; ``with LocalPostgres() as pg: pg.dsn()``."""

    def __init__(self):
        ok, reason = pgvector_status()
        if not ok:
            raise RuntimeError(reason)
        self.bindir = _bindir()
        self.port = _free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="aim-pg-"))
        self._as = []
        if os.geteuid() == 0:  # PostgreSQL will not run as root
            os.chown(self.dir, pwd.getpwnam("postgres").pw_uid, -1)
            self._as = ["runuser", "-u", "postgres", "--"]

    def _run(self, *args: str) -> None:
        proc = subprocess.run([*self._as, str(self.bindir / args[0]), *args[1:]], capture_output=True, text=True)
        if proc.returncode:
            raise RuntimeError(f"{args[0]} failed: {proc.stderr.strip() or proc.stdout.strip()}")

    def start(self) -> "LocalPostgres":
        data = self.dir / "data"
        self._run("initdb", "-D", str(data), "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8")
        # fsync off: a throwaway cluster for a page or a test, never for data you keep
        opts = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=20"
        self._run("pg_ctl", "-D", str(data), "-o", opts, "-l", str(self.dir / "log"), "-w", "-t", "60", "start")
        return self

    def dsn(self, user: str = "postgres") -> str:
        return f"host=127.0.0.1 port={self.port} user={user} dbname=postgres"

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.dir / "data"), "-m", "fast", "-w", "stop")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> "LocalPostgres":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def _vec(v: np.ndarray) -> str:
    """pgvector's text form of a vector, '[0.1,0.2,...]'."""
    return "[" + ",".join(f"{x:.8g}" for x in np.asarray(v, dtype=np.float32)) + "]"


class PgVectorStore:
    """One collection table in PostgreSQL + pgvector, tenants isolated by row-level security.

    ``setup()`` runs as the superuser (extension, table, policy, role);
    every other call runs as the plain ``app`` role, inside a transaction
    that first names its tenant with ``set_config('app.tenant', ..., true)``.
    """

    def __init__(self, pg: LocalPostgres, dim: int):
        import psycopg

        self.pg, self.dim = pg, dim
        self.admin = psycopg.connect(pg.dsn(), autocommit=True)
        self.setup()
        self.conn = psycopg.connect(pg.dsn(APP_ROLE))

    def setup(self) -> None:
        for sql in (
            "CREATE EXTENSION IF NOT EXISTS vector",
            f"CREATE TABLE items (tenant text NOT NULL, collection text NOT NULL, id text NOT NULL, "
            f"embedding vector({self.dim}) NOT NULL, metadata jsonb NOT NULL DEFAULT '{{}}', "
            f"PRIMARY KEY (tenant, collection, id))",
            "ALTER TABLE items ENABLE ROW LEVEL SECURITY",
            "ALTER TABLE items FORCE ROW LEVEL SECURITY",
            # current_setting(..., true) is NULL when unset: a connection that names no tenant sees nothing
            "CREATE POLICY tenant_isolation ON items "
            "USING (tenant = current_setting('app.tenant', true)) "
            "WITH CHECK (tenant = current_setting('app.tenant', true))",
            f"CREATE ROLE {APP_ROLE} LOGIN NOSUPERUSER NOBYPASSRLS",
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON items TO {APP_ROLE}",
        ):
            self.admin.execute(sql)

    def close(self) -> None:
        self.conn.close()
        self.admin.close()

    def _tenant(self, cur, tenant: str) -> None:
        cur.execute("SELECT set_config('app.tenant', %s, true)", (tenant,))  # true: for this transaction only

    def upsert(self, tenant: str, collection: str, ids: list[str], vectors: np.ndarray,
               metadata: list[dict] | None = None) -> None:
        x = normalize(vectors)
        meta = metadata or [{}] * len(ids)
        with self.conn.transaction(), self.conn.cursor() as cur:
            self._tenant(cur, tenant)
            cur.executemany(
                "INSERT INTO items VALUES (%s, %s, %s, %s::vector, %s::jsonb) ON CONFLICT (tenant, collection, id) "
                "DO UPDATE SET embedding = EXCLUDED.embedding, metadata = EXCLUDED.metadata",
                [(tenant, collection, i, _vec(v), json.dumps(m)) for i, v, m in zip(ids, x, meta)])

    def delete(self, tenant: str, collection: str, ids: list[str]) -> int:
        with self.conn.transaction(), self.conn.cursor() as cur:
            self._tenant(cur, tenant)
            cur.execute("DELETE FROM items WHERE collection = %s AND id = ANY(%s)", (collection, ids))
            return cur.rowcount

    def _select(self, collection: str, vector: np.ndarray, k: int, where: dict | None) -> tuple[str, list]:
        """The query's SQL: no tenant in it, the policy adds that."""
        q = _vec(normalize(np.asarray(vector).reshape(1, -1))[0])
        sql = "SELECT id, 1 - (embedding <=> %s::vector), metadata FROM items WHERE collection = %s"
        params: list = [q, collection]
        if where:
            sql += " AND metadata @> %s::jsonb"  # containment: every given field equals its value
            params.append(json.dumps(where))
        sql += " ORDER BY embedding <=> %s::vector LIMIT %s"  # the one form an HNSW index can serve
        return sql, params + [q, k]

    def _settings(self, cur, tenant: str, ef_search: int | None, iterative_scan: bool) -> None:
        self._tenant(cur, tenant)
        if ef_search:  # use the HNSW index, as the planner does on a large table (a small one it scans and sorts)
            cur.execute(f"SET LOCAL hnsw.ef_search = {int(ef_search)}")
            cur.execute("SET LOCAL enable_seqscan = off")
            cur.execute("SET LOCAL enable_sort = off")
        if iterative_scan:
            cur.execute("SET LOCAL hnsw.iterative_scan = relaxed_order")

    def query(self, tenant: str, collection: str, vector: np.ndarray, k: int = 10, where: dict | None = None,
              ef_search: int | None = None, iterative_scan: bool = False) -> list[tuple[str, float, dict]]:
        """(id, cosine similarity, metadata), best first, of the tenant's rows.

        With an HNSW index, the index yields its ``ef_search`` nearest rows and
        the filters (the policy's tenant, ``where``) are applied to those: a
        selective filter can leave fewer than ``k`` rows. ``iterative_scan``
        (pgvector 0.8) lets the scan go on until ``k`` rows pass.
        """
        sql, params = self._select(collection, vector, k, where)
        with self.conn.transaction(), self.conn.cursor() as cur:
            self._settings(cur, tenant, ef_search, iterative_scan)
            cur.execute(sql, params)
            rows = [(i, float(s), m) for i, s, m in cur.fetchall()]
        if iterative_scan:  # relaxed order: nearly sorted; sort it
            rows.sort(key=lambda r: -r[1])
        return rows

    def plan(self, tenant: str, collection: str, vector: np.ndarray, k: int = 10, where: dict | None = None,
             ef_search: int | None = None) -> str:
        """How PostgreSQL runs that query: its plan's nodes, outermost first, e.g.
        ``Limit > Index Scan (items_hnsw)``."""
        sql, params = self._select(collection, vector, k, where)
        with self.conn.transaction(), self.conn.cursor() as cur:
            self._settings(cur, tenant, ef_search, False)
            cur.execute("EXPLAIN (FORMAT JSON) " + sql, params)
            node = cur.fetchone()[0][0]["Plan"]
        steps = []
        while node:
            name = node["Node Type"]
            steps.append(f"{name} ({node['Index Name']})" if "Index Name" in node else name)
            node = (node.get("Plans") or [None])[0]
        return " > ".join(steps)

    def count_visible(self, tenant: str | None) -> int:
        """Rows the app role sees with ``tenant`` named (or none named): the policy at work."""
        with self.conn.transaction(), self.conn.cursor() as cur:
            if tenant is not None:
                self._tenant(cur, tenant)
            cur.execute("SELECT count(*) FROM items")
            return cur.fetchone()[0]

    def create_hnsw_index(self, m: int = 16, ef_construction: int = 64) -> float:
        """Build pgvector's HNSW index (cosine); returns the seconds it took."""
        start = time.perf_counter()
        self.admin.execute(f"CREATE INDEX items_hnsw ON items USING hnsw (embedding vector_cosine_ops) "
                           f"WITH (m = {int(m)}, ef_construction = {int(ef_construction)})")
        return time.perf_counter() - start

    def drop_hnsw_index(self) -> None:
        self.admin.execute("DROP INDEX IF EXISTS items_hnsw")
