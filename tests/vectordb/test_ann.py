"""Exact search, HNSW and IVF from scratch, judged against exact search and against hnswlib and faiss."""

import numpy as np
import pytest

from aimastery.sysdesign.corpus import Passage
from aimastery.vectordb.ann_eval import CurvePoint, FaissHNSWIndex, FaissIVFIndex, HnswlibIndex, qps_at_recall, \
    synthetic_embeddings, sweep
from aimastery.vectordb.answer import extractive_answer, split_sentences
from aimastery.vectordb.exact import exact_knn, knn_recall, normalize
from aimastery.vectordb.hnsw import HNSW
from aimastery.vectordb.ivf import IVF


@pytest.fixture(scope="module")
def vectors():
    x = synthetic_embeddings(1_100, dim=48, seed=1)
    return x[:1_000], x[1_000:]


@pytest.fixture(scope="module")
def index(vectors):
    h = HNSW(48, M=8, ef_construction=64)
    h.add(vectors[0])
    return h


def test_exact_knn_is_a_full_sort_with_ties_to_the_lower_id():
    data = normalize(np.array([[1, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32))
    ids, sims = exact_knn(data, np.array([[1.0, 0.0]]), 3)
    assert ids.tolist() == [[0, 2, 3]] and np.allclose(sims, [[1, 1, np.sqrt(0.5)]])
    rng = np.random.default_rng(0)
    x, q = normalize(rng.normal(size=(300, 16))), normalize(rng.normal(size=(7, 16)))
    ids, _ = exact_knn(x, q, 5, batch=3)
    assert ids.tolist() == np.argsort(-(q @ x.T), axis=1, kind="stable")[:, :5].tolist()
    assert knn_recall(ids, ids) == 1.0 and knn_recall(ids[:, ::-1], ids) == 1.0
    assert knn_recall(np.full_like(ids, -1), ids) == 0.0


def test_hnsw_graph_respects_its_degree_bounds(index):
    assert (index.count0[:index.n] <= index.M0).all() and (index.count0[:index.n] >= 1).all()
    for layer in index.upper:
        assert all(len(v) <= index.M for v in layer.values())
    for node in range(index.n):
        assert node not in index.neighbours(node, 0).tolist()
    seen, frontier = {index.entry}, [index.entry]  # layer 0 is connected: every node can be reached
    while frontier:
        frontier = [m for n in frontier for m in index.neighbours(n, 0).tolist() if m not in seen]
        seen.update(frontier)
    assert len(seen) == index.n
    share_up = (index.levels[:index.n] >= 1).mean()  # P(level >= 1) = 1 / M
    assert abs(share_up - 1 / index.M) < 0.05


def test_hnsw_recall_grows_with_ef_and_reaches_exact(vectors, index):
    data, queries = vectors
    truth, _ = exact_knn(data, queries, 10)
    recalls = [knn_recall(index.search_batch(queries, 10, ef), truth) for ef in (10, 40, 160)]
    assert recalls[0] <= recalls[1] <= recalls[2] and recalls[1] >= 0.95
    ids, dists = index.search(queries[0], 10, ef=len(data))
    assert ids.tolist() == truth[0].tolist() and (np.diff(dists) >= 0).all()


def test_hnsw_from_scratch_is_as_accurate_as_hnswlib_with_the_same_settings(vectors, index):
    data, queries = vectors
    truth, _ = exact_knn(data, queries, 10)
    lib = HnswlibIndex(data, M=8, ef_construction=64)
    for ef in (10, 20):
        ours, theirs = knn_recall(index.search_batch(queries, 10, ef), truth), \
            knn_recall(lib.search_batch(queries, 10, ef), truth)
        assert abs(ours - theirs) < 0.05, (ef, ours, theirs)


def test_filtered_search_returns_only_allowed_ids_and_finds_them(vectors, index):
    data, queries = vectors
    allowed = np.zeros(len(data), dtype=bool)
    allowed[::10] = True  # a tenant with a tenth of the collection
    truth, _ = exact_knn(data[allowed], queries, 10)
    truth = np.flatnonzero(allowed)[truth]
    found = np.stack([index.search(q, 10, ef=64, allowed=allowed)[0] for q in queries])
    assert allowed[found].all()
    assert knn_recall(found, truth) >= 0.9


def test_neighbour_heuristic_spreads_links_over_directions():
    h = HNSW(2, M=2)
    h.add(np.array([[1.0, 0.02], [1.0, 0.0], [0.9, 0.3], [0.0, 1.0]]))  # ids 0..3
    base = normalize(np.array([[1.0, 0.1]]))[0]
    cands = sorted((float(1 - h.vectors[i] @ base), i) for i in range(4))
    assert [i for _, i in cands][:2] == [0, 1]
    assert h.select_neighbours(cands, 2) == [0, 2]  # 1 sits behind 0; 2 opens a new direction


def test_bad_arguments_are_clear():
    with pytest.raises(ValueError, match="empty"):
        HNSW(4).search(np.ones(4), 1)
    with pytest.raises(ValueError, match="4-dimensional"):
        HNSW(4).add(np.ones((2, 3)))
    with pytest.raises(ValueError, match="zero vector"):
        normalize(np.zeros((1, 4)))
    with pytest.raises(ValueError, match="nprobe"):
        IVF(4).build(synthetic_embeddings(50, dim=8)).search(np.ones(8), 3, nprobe=5)


def test_ivf_recall_grows_with_nprobe_and_is_exact_when_it_probes_every_cell(vectors):
    data, queries = vectors
    truth, _ = exact_knn(data, queries, 10)
    ivf = IVF(16).build(data)
    recalls = [knn_recall(ivf.search_batch(queries, 10, p), truth) for p in (1, 4, 16)]
    assert recalls[0] < recalls[1] <= recalls[2] == 1.0
    assert sorted(np.concatenate(ivf.lists).tolist()) == list(range(len(data)))


def test_sweep_and_the_real_libraries(vectors):
    data, queries = vectors
    truth, _ = exact_knn(data, queries, 10)
    for idx, knobs in ((FaissHNSWIndex(data, M=8, ef_construction=64), (10, 80)), (FaissIVFIndex(data, 16), (1, 16))):
        points = sweep("x", idx.search_batch, queries, truth, knobs)
        assert points[-1].recall >= 0.99 and all(p.qps > 0 for p in points)
    curve = [CurvePoint("x", 1, 0.80, 900.0), CurvePoint("x", 2, 0.96, 500.0), CurvePoint("x", 4, 0.99, 200.0)]
    assert qps_at_recall(curve, 0.95) is curve[1] and qps_at_recall(curve, 0.999) is None


class BagOfWords:
    """A stand-in encoder: hashed word counts, normalised."""

    def encode(self, texts):
        out = np.zeros((len(texts), 64))
        for i, t in enumerate(texts):
            for w in t.lower().replace(".", " ").split():
                out[i, hash(w) % 64] += 1
        return out / np.linalg.norm(out, axis=1, keepdims=True)


def test_extractive_answer_quotes_and_cites_its_passages():
    passages = [Passage(0, "book/a.md", "Cats", "Page A — Cats: Cats sleep most of the day. They purr when content."),
                Passage(1, "book/b.md", "Dogs", "Page B — Dogs: Dogs bark at the mail carrier. Dogs sleep at night too.")]
    assert split_sentences(passages[0].text) == ["Cats sleep most of the day.", "They purr when content."]
    ans = extractive_answer("when do dogs bark at the mail", passages, BagOfWords(), max_sentences=1)
    assert ans.text == "Dogs bark at the mail carrier. [2]" and ans.cited == [2]
    assert "[2] book/b.md — Dogs" in ans.render()
    with pytest.raises(ValueError, match="no passages"):
        extractive_answer("q", [], BagOfWords())
