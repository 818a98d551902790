"""Vector search lab tests: your search layer, tenant-filtered query and weighted RRF.

The tasks build on each other: do them in order.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from aimastery.sysdesign.retrieval import reciprocal_rank_fusion
from aimastery.vectordb.ann_eval import synthetic_embeddings
from aimastery.vectordb.exact import exact_knn, knn_recall, normalize

from .vector_lab import Graph, build_graph, knn, search_layer, tenant_search, weighted_rrf

TASK1 = pytest.mark.task(1, "search_layer: the best-first beam search")
TASK2 = pytest.mark.task(2, "tenant_search: one tenant's nearest nodes in a shared graph")
TASK3 = pytest.mark.task(3, "weighted_rrf over one tenant's candidates")

N, DIM = 500, 32


@pytest.fixture(scope="module")
def data():
    x = synthetic_embeddings(N + 40, dim=DIM, seed=3)
    return x[:N], x[N:]


@pytest.fixture(scope="module")
def graph(data):
    return build_graph(data[0], M=8, ef_construction=64)


@pytest.fixture(scope="module")
def tenants():
    rng = np.random.default_rng(0)  # a big tenant, a tenth of the nodes scattered everywhere, and three nodes
    owners = rng.choice(["big", "tenth"], size=N, p=[0.9, 0.1]).astype(object)
    owners[[5, 250, 477]] = "tiny"
    return list(owners)


def line_graph():
    """Five points on an arc, each linked to its neighbours along it: 0 - 1 - 2 - 3 - 4."""
    angles = np.linspace(0, 1.2, 5)
    vectors = np.stack([np.cos(angles), np.sin(angles)], axis=1).astype(np.float32)
    return Graph(vectors, [[1], [0, 2], [1, 3], [2, 4], [3]], entry=0)


# ----- Task 1


@TASK1
def test_a_walk_along_a_line_finds_the_far_end():
    g = line_graph()
    q = g.vectors[4]
    found = search_layer(g, q, [0], ef=2)
    assert [n for _, n in found] == [4, 3], "the walk must keep going while a neighbour is nearer"
    assert found[0][0] == pytest.approx(0.0, abs=1e-6)


@TASK1
def test_results_are_at_most_ef_nearest_first_and_unique(graph, data):
    for q in data[1][:10]:
        found = search_layer(graph, q, [graph.entry], ef=16)
        ids = [n for _, n in found]
        dists = [d for d, _ in found]
        assert len(found) == 16, f"ef=16 on a graph of {N} nodes gives 16 results, got {len(found)}"
        assert len(set(ids)) == len(ids), "a node appears twice: keep a set of visited nodes"
        assert dists == sorted(dists), "results go nearest first"
        np.testing.assert_allclose(dists, graph.distances(q, ids), atol=1e-6)


@TASK1
def test_the_entry_point_is_a_result_too(graph):
    q = graph.vectors[graph.entry]
    assert search_layer(graph, q, [graph.entry], ef=1)[0][1] == graph.entry


@TASK1
def test_ef_as_large_as_the_graph_is_exact(graph, data):
    q = data[1][0]
    truth, _ = exact_knn(graph.vectors, q[None, :], 20)
    found = search_layer(graph, q, [graph.entry], ef=N)
    assert [n for _, n in found[:20]] == truth[0].tolist()


@TASK1
def test_recall_at_10_reaches_095_and_grows_with_ef(graph, data):
    queries = data[1]
    truth, _ = exact_knn(graph.vectors, queries, 10)
    recall = {ef: knn_recall(np.array([knn(graph, q, 10, ef) for q in queries]), truth) for ef in (10, 64)}
    assert recall[64] >= 0.95, f"recall@10 at ef=64 is {recall[64]:.3f}; an HNSW layer-0 search reaches 0.95"
    assert recall[10] <= recall[64]


# ----- Task 2


@TASK2
def test_only_the_tenants_own_nodes_come_back(graph, data, tenants):
    for tenant in ("tenth", "big"):
        for q in data[1][:10]:
            found = tenant_search(graph, tenants, tenant, q, k=10, ef=32)
            assert all(tenants[i] == tenant for i in found), f"another tenant's node was returned to {tenant!r}"
            assert len(found) == 10, (f"{tenant!r} owns many nodes, so k=10 of them must come back, "
                                      f"got {len(found)}: filter while walking, not after")


@TASK2
def test_a_scattered_tenant_is_found_with_high_recall(graph, data, tenants):
    mine = np.array([i for i, t in enumerate(tenants) if t == "tenth"])
    queries = data[1]
    truth, _ = exact_knn(graph.vectors[mine], queries, 10)
    found = [tenant_search(graph, tenants, "tenth", q, k=10, ef=32) for q in queries]
    assert all(len(f) == 10 for f in found), "k=10 nodes of the tenant come back for every query"
    recall = knn_recall(np.array(found), mine[truth])
    assert recall >= 0.9, (f"recall@10 for a tenant owning a tenth of the graph is {recall:.3f}; walk through "
                           "every node, but let only the tenant's nodes into the results")


@TASK2
def test_a_tiny_tenant_gets_all_its_nodes_nearest_first(graph, data, tenants):
    q = data[1][3]
    found = tenant_search(graph, tenants, "tiny", q, k=10, ef=16)
    want = sorted([5, 250, 477], key=lambda i: float(graph.distances(q, [i])[0]))
    assert found == want


@TASK2
def test_an_entry_point_of_another_tenant_is_never_returned(graph, tenants):
    owner = tenants[graph.entry]
    other = "tiny" if owner != "tiny" else "big"
    found = tenant_search(graph, tenants, other, graph.vectors[graph.entry], k=5, ef=8)
    assert graph.entry not in found


@TASK2
def test_an_unknown_tenant_is_an_error(graph, tenants):
    with pytest.raises(ValueError, match="nobody"):
        tenant_search(graph, tenants, "nobody", np.ones(DIM), k=3, ef=8)


# ----- Task 3


@TASK3
def test_weights_scale_each_rankings_contribution():
    fused = weighted_rrf([["a", "b"], ["b", "c"]], weights=[2.0, 1.0], k=60)
    scores = dict(fused)
    assert scores["a"] == pytest.approx(2 / 61) and scores["b"] == pytest.approx(2 / 62 + 1 / 61)
    assert scores["c"] == pytest.approx(1 / 62)
    assert [d for d, _ in fused] == ["b", "a", "c"]
    assert [d for d, _ in weighted_rrf([["a", "b"], ["b", "a"]], weights=[3.0, 1.0])] == ["a", "b"]


@TASK3
def test_other_tenants_ids_are_dropped_before_ranking():
    fused = weighted_rrf([["x1", "a", "x2", "b"]], weights=[1.0], allowed={"a", "b"}, k=60)
    assert fused == [("a", pytest.approx(1 / 61)), ("b", pytest.approx(1 / 62))]
    fused = weighted_rrf([["x", "a", "b"], ["b", "y"]], weights=[1.0, 1.0], allowed={"a", "b"}, k=0)
    assert dict(fused) == {"a": pytest.approx(1.0), "b": pytest.approx(1 / 2 + 1.0)}


@TASK3
def test_ties_keep_the_order_first_seen():
    assert [d for d, _ in weighted_rrf([["z"], ["a"]], weights=[1.0, 1.0])] == ["z", "a"]


@TASK3
def test_bad_arguments_are_errors():
    with pytest.raises(ValueError, match="one weight per ranking"):
        weighted_rrf([["a"], ["b"]], weights=[1.0])
    with pytest.raises(ValueError, match=">= 0"):
        weighted_rrf([["a"]], weights=[-1.0])
    with pytest.raises(ValueError, match="repeats"):
        weighted_rrf([["a", "a"]], weights=[1.0])


@TASK3
@given(st.lists(st.lists(st.integers(0, 12), max_size=8, unique=True), min_size=1, max_size=4), st.integers(0, 80))
def test_unit_weights_and_no_filter_are_plain_rrf(rankings, k):
    mine, plain = weighted_rrf(rankings, [1.0] * len(rankings), k=k), reciprocal_rank_fusion(rankings, k)
    assert [d for d, _ in mine] == [d for d, _ in plain]
    np.testing.assert_allclose([s for _, s in mine], [s for _, s in plain], rtol=1e-12)
