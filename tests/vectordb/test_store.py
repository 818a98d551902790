"""The multi-tenant vector store: its API, bad input, tenant isolation (hypothesis), crash safety, backup."""

import hashlib
import json
import threading
from pathlib import Path

import numpy as np
import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from aimastery.vectordb.crash import crash_trial
from aimastery.vectordb.store import CorruptStore, InvalidInput, NotFound, StoreLocked, VectorStore, _check_vectors

DIM = 8


def unit(rng, n, dim=DIM):
    return rng.normal(size=(n, dim))


@pytest.fixture
def store(tmp_path):
    s = VectorStore(tmp_path / "store")
    s.create_tenant("acme")
    s.create_collection("acme", "docs", DIM)
    yield s
    s.close()


def fingerprint(path: Path) -> dict:
    """SHA-256 of every file in a store folder, less the LOCK file and SQLite's ``-shm`` file (the WAL's
    shared-memory index, which readers update and SQLite can rebuild: it holds no data)."""
    return {str(p.relative_to(path)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(path.rglob("*")) if p.is_file() and p.name != "LOCK" and not p.name.endswith("-shm")}


def test_query_is_exact_cosine_search_with_filters(store):
    rng = np.random.default_rng(0)
    x = unit(rng, 50)
    ids = [f"d{i:02d}" for i in range(50)]
    meta = [{"lang": "en" if i % 2 else "fr", "year": 2000 + i, "draft": i % 5 == 0} for i in range(50)]
    lsn = store.upsert("acme", "docs", ids, x, meta)
    assert lsn >= 1 and store.count("acme", "docs") == 50
    q = rng.normal(size=DIM)
    xn = _check_vectors(x, DIM, 50)
    sims = xn @ (q / np.linalg.norm(q)).astype(np.float32)
    hits = store.query("acme", "docs", q, k=5)
    assert [h.id for h in hits] == [ids[i] for i in np.argsort(-sims)[:5]]
    np.testing.assert_allclose([h.score for h in hits], np.sort(sims)[::-1][:5], rtol=1e-5)
    assert hits[0].metadata == meta[int(hits[0].id[1:])]
    for where, keep in [({"lang": "en"}, lambda m: m["lang"] == "en"),
                        ({"year": {"$gte": 2040}}, lambda m: m["year"] >= 2040),
                        ({"lang": {"$in": ["fr"]}, "draft": True}, lambda m: m["lang"] == "fr" and m["draft"]),
                        ({"year": {"$ne": 2003}}, lambda m: m["year"] != 2003)]:
        allowed = [i for i in range(50) if keep(meta[i])]
        want = [ids[i] for i in sorted(allowed, key=lambda i: -sims[i])[:4]]
        assert [h.id for h in store.query("acme", "docs", q, k=4, where=where)] == want, where
    assert store.query("acme", "docs", q, k=3, where={"lang": "de"}) == []


def test_upsert_replaces_and_delete_removes_and_both_survive_reopening(tmp_path):
    path = tmp_path / "s"
    rng = np.random.default_rng(1)
    with VectorStore(path, checkpoint_every=2) as s:
        s.create_tenant("t1")
        s.create_collection("t1", "c", DIM)
        s.upsert("t1", "c", ["a", "b", "c"], unit(rng, 3), [{"v": 1}] * 3)
        new_b = rng.normal(size=(1, DIM))
        s.upsert("t1", "c", ["b"], new_b, [{"v": 2}])  # a checkpoint happens here
        s.delete("t1", "c", ["a"])
        s.upsert("t1", "c", ["d"], unit(rng, 1))
        before = s.query("t1", "c", new_b[0], k=3)
        assert before[0].id == "b" and before[0].metadata == {"v": 2} and abs(before[0].score - 1) < 1e-6
        assert s.ids("t1", "c") == {"b", "c", "d"}
    with VectorStore(path) as s:
        assert s.query("t1", "c", new_b[0], k=3) == before
        assert len(list((path / "segments").iterdir())) == 2  # one segment: vectors and ids, nothing stale


def test_one_process_at_a_time(store):
    with pytest.raises(StoreLocked, match="another process"):
        VectorStore(store.path)


BAD_CALLS = {
    "wrong dimension": (lambda s: s.upsert("acme", "docs", ["x"], np.ones((1, DIM + 1))), InvalidInput, "8-dim"),
    "NaN": (lambda s: s.upsert("acme", "docs", ["x", "y"], np.array([[1.0] * DIM, [np.nan] * DIM])),
            InvalidInput, "NaN or infinite"),
    "inf": (lambda s: s.upsert("acme", "docs", ["x"], np.full((1, DIM), np.inf)), InvalidInput, "NaN or infinite"),
    "zero vector": (lambda s: s.upsert("acme", "docs", ["x"], np.zeros((1, DIM))), InvalidInput, "zero vector"),
    "ids and vectors disagree": (lambda s: s.upsert("acme", "docs", ["x", "y"], np.ones((1, DIM))),
                                 InvalidInput, r"shape \(2, 8\)"),
    "repeated id": (lambda s: s.upsert("acme", "docs", ["x", "x"], np.ones((2, DIM))), InvalidInput, "repeat"),
    "metadata not scalar": (lambda s: s.upsert("acme", "docs", ["x"], np.ones((1, DIM)), [{"tags": ["a"]}]),
                            InvalidInput, "strings, finite numbers"),
    "unknown tenant": (lambda s: s.upsert("nobody", "docs", ["x"], np.ones((1, DIM))), NotFound, "no tenant"),
    "unknown collection": (lambda s: s.query("acme", "nope", np.ones(DIM)), NotFound, r"its collections: \['docs'\]"),
    "empty query": (lambda s: s.query("acme", "docs", []), InvalidInput, "no numbers in the query"),
    "query of the wrong dimension": (lambda s: s.query("acme", "docs", np.ones(3)), InvalidInput, "8-dim"),
    "NaN query": (lambda s: s.query("acme", "docs", np.full(DIM, np.nan)), InvalidInput, "NaN"),
    "k of 0": (lambda s: s.query("acme", "docs", np.ones(DIM), k=0), InvalidInput, "k is a whole number"),
    "unknown filter operator": (lambda s: s.query("acme", "docs", np.ones(DIM), where={"a": {"$regex": "x"}}),
                                InvalidInput, "accepted"),
    "filter field not an identifier": (lambda s: s.query("acme", "docs", np.ones(DIM), where={"a') OR 1=1 --": 1}),
                                       InvalidInput, "identifier"),
    "delete of a missing id": (lambda s: s.delete("acme", "docs", ["d0", "ghost"]), NotFound, "nothing was deleted"),
    "bad tenant name": (lambda s: s.create_tenant("Bad Name!"), InvalidInput, "a-z, 0-9"),
    "collection twice": (lambda s: s.create_collection("acme", "docs", DIM), InvalidInput, "already"),
}


@pytest.mark.parametrize("name", BAD_CALLS)
def test_bad_input_is_refused_clearly_and_changes_nothing(store, name):
    call, error, message = BAD_CALLS[name]
    store.upsert("acme", "docs", ["d0", "d1"], np.eye(DIM)[:2], [{"a": 1}, {"a": 2}])
    before_files = fingerprint(store.path)
    before = store.query("acme", "docs", np.ones(DIM), k=5)
    with pytest.raises(error, match=message):
        call(store)
    assert fingerprint(store.path) == before_files, "a refused call changed the store's files"
    assert store.query("acme", "docs", np.ones(DIM), k=5) == before


def test_unknown_tenant_error_lists_no_other_tenant(store):
    store.create_tenant("secret-co")
    with pytest.raises(NotFound) as err:
        store.query("ghost", "docs", np.ones(DIM))
    assert "secret-co" not in str(err.value) and "acme" not in str(err.value)


# ----- tenant isolation, with hypothesis driving random sequences of operations

TENANTS = ["t-a", "t-b", "t-c"]
IDS = [f"id{i}" for i in range(6)]  # the same ids in every tenant: namespaces must not mix


def vec(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=DIM)


class Isolation(RuleBasedStateMachine):
    """Random upserts, deletes, queries, checkpoints, reopenings and restores over three tenants."""

    @initialize()
    def setup(self):
        import tempfile

        self.tmp = Path(tempfile.mkdtemp(prefix="vs-iso-"))
        self.n_paths = 0
        self.store = VectorStore(self._new_path(), checkpoint_every=3)
        self.model = {t: {} for t in TENANTS}  # tenant -> id -> (normalised vector, tag)
        for t in TENANTS:
            self.store.create_tenant(t)
            self.store.create_collection(t, "docs", DIM)

    def _new_path(self) -> Path:
        self.n_paths += 1
        return self.tmp / f"s{self.n_paths}"

    @rule(tenant=st.sampled_from(TENANTS), ids=st.lists(st.sampled_from(IDS), min_size=1, max_size=4, unique=True),
          seed=st.integers(0, 10_000), tag=st.sampled_from(["red", "blue"]))
    def upsert(self, tenant, ids, seed, tag):
        x = np.stack([vec(seed + j) for j in range(len(ids))])
        self.store.upsert(tenant, "docs", ids, x, [{"owner": tenant, "tag": tag}] * len(ids))
        for i, v in zip(ids, _check_vectors(x, DIM, len(ids))):
            self.model[tenant][i] = (v, tag)

    @rule(tenant=st.sampled_from(TENANTS), data=st.data())
    def delete(self, tenant, data):
        have = sorted(self.model[tenant])
        if have:
            ids = data.draw(st.lists(st.sampled_from(have), min_size=1, max_size=len(have), unique=True))
            self.store.delete(tenant, "docs", ids)
            for i in ids:
                del self.model[tenant][i]

    @rule(tenant=st.sampled_from(TENANTS), seed=st.integers(0, 10_000), k=st.integers(1, 8),
          tag=st.sampled_from([None, "red", "blue"]))
    def query(self, tenant, seed, k, tag):
        hits = self.store.query(tenant, "docs", vec(seed), k=k, where={"tag": tag} if tag else None)
        mine = {i: v for i, (v, t) in self.model[tenant].items() if tag is None or t == tag}
        assert all(h.metadata["owner"] == tenant for h in hits), "a query returned another tenant's item"
        assert {h.id for h in hits} <= set(mine), "a query returned an id this tenant does not have"
        q = _check_vectors(vec(seed), DIM, 1, what="query")[0]
        want = sorted((float(v @ q) for v in mine.values()), reverse=True)[:k]
        np.testing.assert_allclose([h.score for h in hits], want, atol=1e-5)

    @rule()
    def checkpoint(self):
        self.store.checkpoint()

    @rule()
    def reopen(self):
        self.store.close()
        self.store = VectorStore(self.store.path, checkpoint_every=3)

    @rule()
    def snapshot_and_restore(self):
        snap = self._new_path()
        self.store.snapshot(snap)
        self.store.close()
        self.store = VectorStore(VectorStore.restore(snap, self._new_path()), checkpoint_every=3)

    @invariant()
    def counts_match(self):
        if hasattr(self, "store"):
            for t in TENANTS:
                assert self.store.ids(t, "docs") == set(self.model[t])

    def teardown(self):
        if hasattr(self, "store"):
            self.store.close()
            import shutil

            shutil.rmtree(self.tmp, ignore_errors=True)


Isolation.TestCase.settings = settings(max_examples=12, stateful_step_count=15)
test_tenant_isolation = Isolation.TestCase


# ----- crash safety


def test_a_writer_killed_mid_upsert_loses_no_acknowledged_write(tmp_path):
    rng = np.random.default_rng(0)
    path = tmp_path / "store"
    for trial in range(3):  # the same store, killed and reopened again and again
        result = crash_trial(path, first=1000 * trial, acks_before_kill=3 + 4 * trial, rng=rng)
        assert result.acknowledged >= 3 + 4 * trial
        assert result.missing_acknowledged == 0, result
        assert result.partial == 0 and result.wrong_vectors == 0, result
        assert result.found in (result.acknowledged, result.acknowledged + 1), result  # +1: committed, not yet acked


# ----- backup and restore


def test_online_snapshot_while_writing_restores_byte_for_byte_with_identical_results(tmp_path):
    rng = np.random.default_rng(2)
    s = VectorStore(tmp_path / "live", checkpoint_every=5)
    s.create_tenant("acme")
    s.create_collection("acme", "docs", DIM)
    written: list[tuple[int, list[str], np.ndarray]] = []  # (lsn, ids, vectors), in order
    stop = threading.Event()

    def writer():
        b = 0
        while not stop.is_set() and b < 400:
            ids = [f"w{b}-{j}" for j in range(5)]
            x = np.random.default_rng(b).normal(size=(5, DIM))
            written.append((s.upsert("acme", "docs", ids, x, [{"b": b}] * 5), ids, x))
            b += 1

    for b in range(-20, 0):  # some data before the writer starts
        ids = [f"w{b}-{j}" for j in range(5)]
        x = np.random.default_rng(b + 10_000).normal(size=(5, DIM))
        written.append((s.upsert("acme", "docs", ids, x, [{"b": b}] * 5), ids, x))
    thread = threading.Thread(target=writer)
    thread.start()
    while len(written) < 40:
        pass
    info = s.snapshot(tmp_path / "snap")  # writes go on during the snapshot
    stop.set()
    thread.join()
    assert any(lsn > info.lsn for lsn, _, _ in written), "the writer did not run during the snapshot"

    restored = VectorStore.restore(tmp_path / "snap", tmp_path / "restored")
    assert fingerprint(tmp_path / "snap") == fingerprint(restored)  # byte for byte, SNAPSHOT.json too
    with VectorStore(restored) as r:
        kept = [(ids, x) for lsn, ids, x in written if lsn <= info.lsn]
        assert r.ids("acme", "docs") == {i for ids, _ in kept for i in ids}
        ref_ids = [i for ids, _ in kept for i in ids]
        ref = np.concatenate([_check_vectors(x, DIM, 5) for _, x in kept])
        for seed in range(5):
            q = _check_vectors(np.random.default_rng(seed).normal(size=DIM), DIM, 1, what="query")[0]
            sims = ref @ q
            want = [ref_ids[i] for i in np.lexsort((np.array(ref_ids), -sims))[:10]]
            assert [h.id for h in r.query("acme", "docs", q, k=10)] == want

    # a quiet snapshot of the live store answers every query exactly as the live store does
    s.snapshot(tmp_path / "snap2")
    with VectorStore(VectorStore.restore(tmp_path / "snap2", tmp_path / "restored2")) as r2:
        for seed in range(5):
            q = np.random.default_rng(100 + seed).normal(size=DIM)
            assert r2.query("acme", "docs", q, k=10, where={"b": {"$gte": 3}}) == \
                s.query("acme", "docs", q, k=10, where={"b": {"$gte": 3}})
    s.close()


def test_a_damaged_snapshot_is_refused(tmp_path, store):
    store.upsert("acme", "docs", ["a", "b"], np.eye(DIM)[:2])
    store.checkpoint()
    info = store.snapshot(tmp_path / "snap")
    seg = next(r for r in info.files if r.startswith("segments/") and r.endswith("vectors.npy"))
    data = bytearray((tmp_path / "snap" / seg).read_bytes())
    data[-1] ^= 0xFF
    (tmp_path / "snap" / seg).write_bytes(bytes(data))
    with pytest.raises(CorruptStore, match="does not match its SHA-256"):
        VectorStore.restore(tmp_path / "snap", tmp_path / "r")
    assert not (tmp_path / "r").exists()
    with pytest.raises(CorruptStore, match="no SNAPSHOT.json"):
        VectorStore.restore(tmp_path, tmp_path / "r")


def test_a_damaged_segment_is_refused_on_open(tmp_path):
    with VectorStore(tmp_path / "s") as s:
        s.create_tenant("t")
        s.create_collection("t", "c", DIM)
        s.upsert("t", "c", ["a"], np.ones((1, DIM)))
        s.checkpoint()
    seg = next((tmp_path / "s" / "segments").glob("*.vectors.npy"))
    seg.write_bytes(seg.read_bytes()[:-4] + b"\0\0\0\0")
    with pytest.raises(CorruptStore, match="SHA-256"):
        VectorStore(tmp_path / "s")


def test_snapshot_manifest_is_json_with_checksums(tmp_path, store):
    store.upsert("acme", "docs", ["a"], np.ones((1, DIM)))
    store.snapshot(tmp_path / "snap")
    manifest = json.loads((tmp_path / "snap" / "SNAPSHOT.json").read_text())
    assert set(manifest) == {"format", "lsn", "files"} and "store.sqlite" in manifest["files"]
