"""BM25, dense search, reciprocal-rank fusion and the ranking metrics."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from aimastery.sysdesign.metrics import catalogue_coverage, ndcg_at_k, recall_at_k, reciprocal_rank, unique_in_order
from aimastery.sysdesign.retrieval import BM25, DenseIndex, reciprocal_rank_fusion, tokenize, top_k


def test_tokenize_drops_stopwords_and_case():
    assert tokenize("The Cache, and the p95 latency!") == ["cache", "p95", "latency"]


def bm25_by_hand(docs, query, k1=1.2, b=0.75):
    n = len(docs)
    avgdl = sum(map(len, docs)) / n
    out = []
    for d in docs:
        s = 0.0
        for t in query:
            df = sum(t in x for x in docs)
            idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
            tf = d.count(t)
            s += idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * len(d) / avgdl))
        out.append(s)
    return np.array(out)


def test_bm25_matches_the_formula_by_hand():
    docs = [["cache", "hit", "rate"], ["cache", "cache", "miss", "latency", "tail"], ["batch", "size"],
            ["latency", "budget"]]
    bm = BM25(docs)
    for query in (["cache"], ["latency", "cache"], ["cache", "cache"], ["unknown"]):
        np.testing.assert_allclose(bm.scores(query), bm25_by_hand(docs, query), rtol=1e-12)
    assert bm.search(["latency", "tail"], 2) == [1, 3]
    assert bm.search(["unknown"], 3) == []


@given(st.lists(st.lists(st.sampled_from("abcdef"), min_size=1, max_size=8), min_size=1, max_size=8),
       st.lists(st.sampled_from("abcdefg"), min_size=1, max_size=4))
def test_bm25_property_matches_by_hand(docs, query):
    np.testing.assert_allclose(BM25(docs).scores(query), bm25_by_hand(docs, query), rtol=1e-9, atol=1e-12)


def test_bm25_rejects_strings():
    with pytest.raises(TypeError, match="tokenised"):
        BM25(["a whole string"])
    with pytest.raises(ValueError, match="at least one"):
        BM25([])


def test_top_k_breaks_ties_by_index():
    assert top_k(np.array([1.0, 3.0, 3.0, 2.0]), 3) == [1, 2, 3]
    assert top_k(np.array([0.0, 1.0]), 5, positive_only=True) == [1]


def test_dense_index_is_cosine_search():
    rng = np.random.default_rng(0)
    emb = rng.standard_normal((50, 8)).astype(np.float32)
    emb /= np.linalg.norm(emb, axis=1, keepdims=True)
    idx = DenseIndex(emb)
    q = emb[7] + 0.01 * rng.standard_normal(8).astype(np.float32)
    assert idx.search(q / np.linalg.norm(q), 1) == [7]
    with pytest.raises(ValueError, match="unit length"):
        DenseIndex(emb * 2)


def test_rrf_worked_example():
    fused = reciprocal_rank_fusion([["a", "b", "c"], ["c", "a", "d"]], k=60)
    scores = dict(fused)
    assert scores["a"] == pytest.approx(1 / 61 + 1 / 62)
    assert scores["c"] == pytest.approx(1 / 63 + 1 / 61)
    assert scores["d"] == pytest.approx(1 / 63)
    assert [d for d, _ in fused] == ["a", "c", "b", "d"]
    with pytest.raises(ValueError, match="repeats"):
        reciprocal_rank_fusion([["a", "a"]])


@given(st.lists(st.permutations(list(range(6))), min_size=1, max_size=4))
def test_rrf_unanimous_first_wins_and_scores_bounded(rankings):
    fused = reciprocal_rank_fusion(rankings)
    assert all(0 < s <= len(rankings) / 61 + 1e-12 for _, s in fused)
    assert sorted(d for d, _ in fused) == list(range(6))
    if all(r[0] == rankings[0][0] for r in rankings):
        assert fused[0][0] == rankings[0][0]


def test_metrics():
    assert recall_at_k(["a", "b", "c"], {"c", "z"}, 2) == 0.0
    assert recall_at_k(["a", "b", "c"], {"c", "z"}, 3) == 0.5
    assert reciprocal_rank(["a", "b", "c"], {"b"}) == 0.5
    assert reciprocal_rank(["a", "b", "c"], {"c"}, k=2) == 0.0
    assert unique_in_order([3, 1, 3, 2, 1]) == [3, 1, 2]
    assert catalogue_coverage([[0, 1], [1, 2]], 10) == 0.3
    with pytest.raises(ValueError, match="deduplicate"):
        recall_at_k(["a", "a"], {"a"}, 2)
    with pytest.raises(ValueError, match="relevant"):
        reciprocal_rank(["a"], set())


def test_ndcg_by_hand():
    assert ndcg_at_k(["a", "b", "c"], {"a"}, 3) == 1.0
    assert ndcg_at_k(["x", "a"], {"a"}, 2) == pytest.approx(1 / math.log2(3))
    assert ndcg_at_k(["x", "y"], {"a"}, 2) == 0.0
    assert ndcg_at_k(["a", "x", "b"], {"a", "b"}, 3) == pytest.approx((1 + 0.5) / (1 + 1 / math.log2(3)))
    with pytest.raises(ValueError, match="repeats"):
        ndcg_at_k(["a", "a"], {"a"}, 2)


@given(st.lists(st.integers(0, 9), min_size=2, max_size=10, unique=True), st.sets(st.integers(0, 12), min_size=1),
       st.integers(1, 10))
def test_ndcg_matches_scikit_learn(ranked, relevant, k):
    from sklearn.metrics import ndcg_score

    items = sorted(set(ranked) | relevant)
    true = np.array([[1.0 if i in relevant else 0.0 for i in items]])
    # scores that order `ranked` first, best first, and every other item after it
    score = {x: len(ranked) - r for r, x in enumerate(ranked)}
    pred = np.array([[score.get(i, -1.0 - j * 1e-3) for j, i in enumerate(items)]])
    if set(ranked) >= relevant or k <= len(ranked):  # sklearn ranks every item; we rank only `ranked`
        assert ndcg_at_k(ranked, relevant, k) == pytest.approx(ndcg_score(true, pred, k=k), abs=1e-9)
