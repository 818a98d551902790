"""PostgreSQL + pgvector beside our store: the same results, and tenants isolated by row-level security.

Runs on a throwaway cluster (initdb in a temporary folder, 127.0.0.1 only).
Skipped, with the reason, only where PostgreSQL or pgvector cannot be installed.
"""

import numpy as np
import pytest

from aimastery.vectordb.pgvector import LocalPostgres, PgVectorStore, pgvector_status
from aimastery.vectordb.store import VectorStore

AVAILABLE, REASON = pgvector_status()
pytestmark = pytest.mark.skipif(not AVAILABLE, reason=REASON)
DIM = 16


@pytest.fixture(scope="module")
def pg():
    with LocalPostgres() as server:
        store = PgVectorStore(server, DIM)
        yield store
        store.close()


def data(seed, n):
    return np.random.default_rng(seed).normal(size=(n, DIM))


def test_row_level_security_shows_each_tenant_only_its_rows(pg):
    pg.upsert("rls-a", "docs", [f"a{i}" for i in range(7)], data(1, 7))
    pg.upsert("rls-b", "docs", [f"b{i}" for i in range(3)], data(2, 3))
    assert pg.count_visible("rls-a") == 7 and pg.count_visible("rls-b") == 3
    assert pg.count_visible(None) == 0, "a connection that names no tenant must see nothing"
    hits = pg.query("rls-b", "docs", data(1, 1)[0], k=10)  # a's vectors are nearer, and invisible
    assert {i for i, _, _ in hits} == {"b0", "b1", "b2"}
    with pg.admin.cursor() as cur:  # the superuser bypasses the policy: why queries run as 'app'
        cur.execute("SELECT count(*) FROM items WHERE tenant LIKE 'rls-%'")
        assert cur.fetchone()[0] == 10


def test_a_tenant_cannot_write_rows_of_another(pg):
    import psycopg

    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
        with pg.conn.transaction(), pg.conn.cursor() as cur:
            pg._tenant(cur, "rls-a")
            cur.execute("INSERT INTO items VALUES ('rls-b', 'docs', 'sneaky', %s::vector, '{}')",
                        ("[" + ",".join(["1"] * DIM) + "]",))
    assert pg.count_visible("rls-b") == 3  # unchanged by the refused write
    assert "sneaky" not in {i for i, _, _ in pg.query("rls-b", "docs", np.ones(DIM), k=10)}


def test_same_collection_same_answers_as_our_store(pg, tmp_path):
    x, ids = data(3, 300), [f"s{i:03d}" for i in range(300)]
    meta = [{"lang": "en" if i % 3 else "fr"} for i in range(300)]
    pg.upsert("same", "docs", ids, x, meta)
    with VectorStore(tmp_path / "ours") as ours:
        ours.create_tenant("same")
        ours.create_collection("same", "docs", DIM)
        ours.upsert("same", "docs", ids, x, meta)
        for seed in range(10):
            q = data(100 + seed, 1)[0]
            for where in (None, {"lang": "fr"}):
                theirs = pg.query("same", "docs", q, k=10, where=where)
                mine = ours.query("same", "docs", q, k=10, where=where)
                assert [i for i, _, _ in theirs] == [h.id for h in mine]
                np.testing.assert_allclose([s for _, s, _ in theirs], [h.score for h in mine], atol=1e-5)


def test_pgvector_hnsw_index_is_approximate_but_close(pg):
    x = data(4, 2000)
    pg.upsert("ann", "docs", [f"n{i}" for i in range(2000)], x)
    qs = data(5, 20)
    exact = [[i for i, _, _ in pg.query("ann", "docs", q, k=10)] for q in qs]
    pg.upsert("ann-small", "docs", [f"m{i}" for i in range(20)], data(6, 20))  # 1 % of the rows
    pg.create_hnsw_index(m=16, ef_construction=64)
    try:
        approx = [[i for i, _, _ in pg.query("ann", "docs", q, k=10, ef_search=200)] for q in qs]
        assert "items_hnsw" in pg.plan("ann", "docs", qs[0], k=10, ef_search=200)
        # the index yields its ef_search nearest rows of every tenant; the policy then drops the others'
        small = [len(pg.query("ann-small", "docs", q, k=10, ef_search=10)) for q in qs]
        iterative = [len(pg.query("ann-small", "docs", q, k=10, ef_search=10, iterative_scan=True)) for q in qs]
    finally:
        pg.drop_hnsw_index()
    recall = np.mean([len(set(a) & set(e)) / 10 for a, e in zip(approx, exact)])
    assert recall >= 0.9
    assert np.mean(small) < 5 and min(iterative) == 10
