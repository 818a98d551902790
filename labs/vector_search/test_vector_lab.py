"""Vector search lab tests: your search layer, tenant-filtered query and weighted RRF.

The tasks build on each other: do them in order.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from aimastery.labs.expect import must_raise
from aimastery.labs.scratch import assert_written_from_scratch
from aimastery.sysdesign.retrieval import reciprocal_rank_fusion
from aimastery.vectordb.ann_eval import synthetic_embeddings
from aimastery.vectordb.exact import exact_knn, knn_recall, normalize

from . import vector_lab
from .vector_lab import Graph, build_graph, knn, search_layer, tenant_search, weighted_rrf

TASK1 = pytest.mark.task(1, "search_layer: the best-first beam search")
TASK2 = pytest.mark.task(2, "tenant_search: one tenant's nearest nodes in a shared graph")
TASK3 = pytest.mark.task(3, "weighted_rrf over one tenant's candidates")

# the course's finished index, store and fusion, and the libraries the chapter compares with
FINISHED = ("aimastery.vectordb", "aimastery.sysdesign", "hnswlib", "faiss", "sklearn", "scipy")
GIVEN = ("aimastery.vectordb.hnsw.HNSW", "aimastery.vectordb.exact.normalize")  # build_graph and knn use them

N, DIM = 500, 32


class Recording(Graph):
    """The lab's Graph, remembering which nodes each distance was computed for."""

    measured: list[int]

    def distances(self, q, ids):
        self.measured.extend(int(i) for i in ids)
        return super().distances(q, ids)

    def reset(self):
        self.measured, self.distance_count = [], 0


def recording(graph: Graph) -> Recording:
    g = Recording(graph.vectors, graph.neighbours, graph.entry)
    g.reset()
    return g


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


def arc(angles, links, entry=0):
    """Unit vectors in the plane at ``angles`` (radians), linked as ``links`` says."""
    angles = np.asarray(angles, dtype=np.float64)
    vectors = np.stack([np.cos(angles), np.sin(angles)], axis=1).astype(np.float32)
    return Graph(vectors, links, entry=entry)


def line_graph():
    """Five points on an arc, each linked to its neighbours along it: 0 - 1 - 2 - 3 - 4."""
    return arc(np.linspace(0, 1.2, 5), [[1], [0, 2], [1, 3], [2, 4], [3]])


# A query along the x axis (angle 0) and a chain 0 - 1 - 2 - 3. Node 1 (angle 0.6) is a local minimum:
# its only other neighbour, node 2 (angle -1.0), is farther from the query. Node 3 (angle -0.1), the
# nearest of all, lies behind node 2.
LOCAL_MINIMUM = dict(angles=[1.5, 0.6, -1.0, -0.1], links=[[1], [0, 2], [1, 3], [2]])
Q_ALONG_X = np.array([1.0, 0.0], dtype=np.float32)


def ids_of(found):
    return [n for _, n in found]


def assert_each_node_measured_once(g: Recording, returned, what: str):
    """Every returned node's distance came from graph.distances, and no node's distance was computed twice."""
    unmeasured = sorted(set(returned) - set(g.measured))
    assert not unmeasured, (f"{what} returned nodes {unmeasured[:5]} without computing their distance with "
                            "graph.distances(q, ids): compute every distance with it (the tests count them), "
                            "and walk the graph instead of scanning the vectors")
    twice = sorted({i for i in g.measured if g.measured.count(i) > 1})
    assert not twice, (f"{what} computed the distance of nodes {twice[:5]} more than once: keep a visited set, "
                       "and measure each neighbour only the first time you meet it")


# ----- Task 1


@TASK1
def test_a_walk_along_a_line_finds_the_far_end():
    g = line_graph()
    found = search_layer(g, g.vectors[4], [0], ef=2)
    assert ids_of(found) == [4, 3], (f"from node 0 of the line 0-1-2-3-4, with q = node 4 and ef=2, expected ids "
                                     f"[4, 3]; got {ids_of(found)}: keep going while a neighbour is nearer")
    assert found[0][0] == pytest.approx(0.0, abs=1e-6), \
        f"node 4 is the query itself, so its distance is 0; got {found[0][0]}"
    assert_written_from_scratch(vector_lab, FINISHED, allowed=GIVEN)


@TASK1
def test_a_beam_of_one_stops_at_a_local_minimum_and_a_wider_one_escapes():
    g = recording(arc(**LOCAL_MINIMUM))
    found = search_layer(g, Q_ALONG_X, [0], ef=1)
    assert ids_of(found) == [1], (
        f"with ef=1 the walk from node 0 must stop at node 1, a local minimum (its neighbour node 2 is farther "
        f"from q), expected [1]; got {ids_of(found)}. Node 3 is nearer, but only through node 2: this is a "
        "graph search, not an exact scan")
    assert 3 not in g.measured, ("with ef=1 the search stops at node 1 and never expands node 2, so node 3's "
                                 f"distance is never computed; your search computed distances for {g.measured}")
    g.reset()
    found = search_layer(g, Q_ALONG_X, [0], ef=2)
    assert ids_of(found) == [3, 1], (f"with ef=2 the beam still holds node 2 when node 1 is expanded, so the walk "
                                     f"goes on through node 2 to node 3: expected [3, 1]; got {ids_of(found)}")


@TASK1
def test_a_node_no_link_leads_to_is_never_found():
    line = line_graph()
    island = np.array([[0.0, 1.0]], dtype=np.float32)  # angle pi/2, nearer the query below than any node of the line
    g = recording(Graph(np.vstack([line.vectors, island]), line.neighbours + [[4]], entry=0))  # 5 links out, none in
    q = normalize(np.array([[0.1, 1.0]], dtype=np.float32))[0]
    found = ids_of(search_layer(g, q, [0], ef=6))
    assert 5 not in found, (f"node 5 links to node 4, but no node links to node 5, so a walk from node 0 never "
                            f"reaches it, even with ef=6; got {found}. Search the graph, do not scan the vectors")
    assert sorted(found) == [0, 1, 2, 3, 4], f"the walk reaches every node of the line 0..4; got {found}"
    assert 5 not in g.measured, f"node 5 is never reached, so its distance is never computed; measured {g.measured}"


@TASK1
def test_results_are_at_most_ef_nearest_first_and_unique(graph, data):
    for q in data[1][:10]:
        found = search_layer(graph, q, [graph.entry], ef=16)
        ids, dists = ids_of(found), [d for d, _ in found]
        assert len(found) == 16, f"ef=16 on a graph of {N} nodes gives 16 results; got {len(found)}"
        assert len(set(ids)) == len(ids), f"no id twice: keep a set of visited nodes; got {ids}"
        assert dists == sorted(dists), f"results go nearest first; got the distances {np.round(dists, 4)}"
        np.testing.assert_allclose(dists, graph.distances(q, ids), atol=1e-6,
                                   err_msg="each pair is (the node's distance to q, the node's id)")


@TASK1
def test_a_search_looks_at_a_small_part_of_the_graph(graph, data):
    g = recording(graph)
    counts = []
    for q in data[1]:
        g.reset()
        found = ids_of(search_layer(g, q, [g.entry], ef=10))
        assert_each_node_measured_once(g, found, "search_layer")
        counts.append(len(g.measured))
    assert np.mean(counts) < N / 3 and max(counts) < N / 2, (
        f"a search with ef=10 computed {np.mean(counts):.0f} distances on average (at most {max(counts)}) on a "
        f"graph of {N} nodes; a best-first walk that stops when the nearest candidate is farther than the worst "
        f"result looks at fewer than a third of them on average ({N // 3}), and never at half")


@TASK1
def test_the_entry_point_is_a_result_too(graph):
    q = graph.vectors[graph.entry]
    found = search_layer(graph, q, [graph.entry], ef=1)
    assert ids_of(found) == [graph.entry], (f"q is the entry point's own vector, so with ef=1 the entry point "
                                            f"{graph.entry} is the answer; got {ids_of(found)}: put the entry "
                                            "points in the results as well as in the candidates")


@TASK1
def test_ef_as_large_as_the_graph_is_exact(graph, data):
    q = data[1][0]
    truth, _ = exact_knn(graph.vectors, q[None, :], 20)
    found = ids_of(search_layer(graph, q, [graph.entry], ef=N))
    assert found[:20] == truth[0].tolist(), (f"with ef={N} (the whole graph) the 20 first results are the exact 20 "
                                             f"nearest {truth[0].tolist()}; got {found[:20]}")


@TASK1
def test_recall_at_10_reaches_095_and_grows_with_ef(graph, data):
    queries = data[1]
    truth, _ = exact_knn(graph.vectors, queries, 10)
    recall = {ef: knn_recall(np.array([knn(graph, q, 10, ef) for q in queries]), truth) for ef in (10, 64)}
    assert recall[64] >= 0.95, (f"recall@10 at ef=64 is {recall[64]:.3f}; a layer-0 search of this graph reaches "
                                "0.95 or more")
    assert recall[10] <= recall[64], (f"a wider beam finds at least as much: recall@10 is {recall[10]:.3f} at ef=10 "
                                      f"but {recall[64]:.3f} at ef=64")


# ----- Task 2


@TASK2
def test_only_the_tenants_own_nodes_come_back(graph, data, tenants):
    for tenant in ("tenth", "big"):
        for q in data[1][:10]:
            found = tenant_search(graph, tenants, tenant, q, k=10, ef=32)
            others = [(i, tenants[i]) for i in found if tenants[i] != tenant]
            assert not others, f"{tenant!r} was given other tenants' nodes (id, owner): {others}"
            assert len(found) == 10, (f"{tenant!r} owns many nodes, so k=10 of them must come back; got "
                                      f"{len(found)}: filter while walking, not after")
    assert_written_from_scratch(vector_lab, FINISHED, allowed=GIVEN)


@TASK2
def test_the_walk_stops_at_the_tenants_local_minimum():
    owners = ["other", "me", "other", "me"]  # the chain 0 - 1 - 2 - 3 of LOCAL_MINIMUM; the entry is someone else's
    g = recording(arc(**LOCAL_MINIMUM))
    found = tenant_search(g, owners, "me", Q_ALONG_X, k=1, ef=1)
    assert found == [1], (
        f"with k=1 and ef=1 the walk passes node 0 (someone else's), holds node 1 and stops there: node 2 is "
        f"farther than node 1, so it is never expanded. Expected [1]; got {found}. Node 3 is nearer, but a "
        "tenant search walks the graph like search_layer, it does not scan the tenant's nodes")
    assert 3 not in g.measured, f"node 3 lies behind node 2 and is never reached; your search measured {g.measured}"
    g.reset()
    assert tenant_search(g, owners, "me", Q_ALONG_X, k=1, ef=2) == [3], \
        "with ef=2 the search keeps going (its results are not full) through node 2 to node 3, the nearest of 'me'"


@TASK2
def test_a_tenant_search_looks_at_a_small_part_of_the_graph(graph, data, tenants):
    g = recording(graph)
    counts = []
    for q in data[1]:
        g.reset()
        found = tenant_search(g, tenants, "big", q, k=10, ef=10)
        assert_each_node_measured_once(g, found, "tenant_search")
        counts.append(len(g.measured))
    assert np.mean(counts) < N / 3 and max(counts) < N / 2, (
        f"a search for 10 nodes of 'big', which owns 90% of the graph, computed {np.mean(counts):.0f} distances "
        f"on average (at most {max(counts)}) on a graph of {N} nodes; a walk that stops like search_layer's "
        f"looks at fewer than a third of them on average ({N // 3}), and never at half (a scan of the tenant's "
        f"nodes costs {sum(t == 'big' for t in tenants)})")


@TASK2
def test_a_scattered_tenant_is_found_with_high_recall(graph, data, tenants):
    mine = np.array([i for i, t in enumerate(tenants) if t == "tenth"])
    queries = data[1]
    truth, _ = exact_knn(graph.vectors[mine], queries, 10)
    found = [tenant_search(graph, tenants, "tenth", q, k=10, ef=32) for q in queries]
    sizes = sorted({len(f) for f in found})
    assert sizes == [10], f"k=10 nodes of the tenant come back for every query; got lists of lengths {sizes}"
    recall = knn_recall(np.array(found), mine[truth])
    assert recall >= 0.9, (f"recall@10 for a tenant owning a tenth of the graph is {recall:.3f}, expected at least "
                           "0.9 with ef=32; walk through every node, but let only the tenant's nodes into the "
                           "results")


@TASK2
def test_k_larger_than_ef_still_gives_k_nodes(graph, data, tenants):
    owned = sum(t == "tenth" for t in tenants)
    for q in data[1][:10]:
        found = tenant_search(graph, tenants, "tenth", q, k=10, ef=2)
        assert len(found) == 10, (f"'tenth' owns {owned} nodes and k=10 > ef=2: the search keeps max(ef, k) = 10 "
                                  f"results, so 10 come back; got {len(found)}: {found}")
        others = [(i, tenants[i]) for i in found if tenants[i] != "tenth"]
        assert not others, f"k=10, ef=2: 'tenth' was given other tenants' nodes (id, owner): {others}"
        d = [float(graph.distances(normalize(q.reshape(1, -1))[0], [i])[0]) for i in found]
        assert d == sorted(d), f"k=10, ef=2: the nodes come back nearest first; their distances are {d}"


@TASK2
def test_a_tiny_tenant_gets_all_its_nodes_nearest_first(graph, data, tenants):
    q = data[1][3]
    found = tenant_search(graph, tenants, "tiny", q, k=10, ef=16)
    want = sorted([5, 250, 477], key=lambda i: float(graph.distances(q, [i])[0]))
    assert found == want, (f"'tiny' owns only nodes 5, 250 and 477: with k=10 all three come back, nearest "
                           f"first, {want}; got {found}")


@TASK2
def test_an_entry_point_of_another_tenant_is_never_returned(graph, tenants):
    owner = tenants[graph.entry]
    other = "tiny" if owner != "tiny" else "big"
    found = tenant_search(graph, tenants, other, graph.vectors[graph.entry], k=5, ef=8)
    assert graph.entry not in found, (f"the entry point {graph.entry} belongs to {owner!r}, not {other!r}, so it "
                                      f"must not come back to {other!r}; got {found}")


@TASK2
def test_an_unknown_tenant_is_an_error(graph, tenants):
    with must_raise(ValueError, "tenant_search for 'nobody', a tenant that owns no node", match="nobody"):
        tenant_search(graph, tenants, "nobody", np.ones(DIM), k=3, ef=8)


# ----- Task 3


@TASK3
def test_weights_scale_each_rankings_contribution():
    fused = weighted_rrf([["a", "b"], ["b", "c"]], weights=[2.0, 1.0], k=60)
    want = {"a": 2 / 61, "b": 2 / 62 + 1 / 61, "c": 1 / 62}
    assert dict(fused) == pytest.approx(want), (f"weights [2, 1], k=60: expected scores {want}; "
                                                f"got {dict(fused)}")
    assert [d for d, _ in fused] == ["b", "a", "c"], f"best first: expected b, a, c; got {[d for d, _ in fused]}"
    order = [d for d, _ in weighted_rrf([["a", "b"], ["b", "a"]], weights=[3.0, 1.0])]
    assert order == ["a", "b"], f"the first ranking weighs 3 times the second, so its top id 'a' wins; got {order}"
    assert_written_from_scratch(vector_lab, FINISHED, allowed=GIVEN)


@TASK3
def test_other_tenants_ids_are_dropped_before_ranking():
    fused = weighted_rrf([["x1", "a", "x2", "b"]], weights=[1.0], allowed={"a", "b"}, k=60)
    assert fused == [("a", pytest.approx(1 / 61)), ("b", pytest.approx(1 / 62))], (
        f"with x1 and x2 dropped first, a has rank 1 and b rank 2: expected [('a', 1/61), ('b', 1/62)]; got {fused}")
    fused = weighted_rrf([["x", "a", "b"], ["b", "y"]], weights=[1.0, 1.0], allowed={"a", "b"}, k=0)
    assert dict(fused) == {"a": pytest.approx(1.0), "b": pytest.approx(1 / 2 + 1.0)}, \
        f"k=0, x and y dropped: expected a 1/1 and b 1/2 + 1/1; got {dict(fused)}"


@TASK3
def test_ties_keep_the_order_first_seen():
    order = [d for d, _ in weighted_rrf([["z"], ["a"]], weights=[1.0, 1.0])]
    assert order == ["z", "a"], f"z and a tie; z was seen first, so it comes first; got {order}"


@TASK3
def test_bad_arguments_are_errors():
    with must_raise(ValueError, "two rankings and one weight", match="one weight per ranking"):
        weighted_rrf([["a"], ["b"]], weights=[1.0])
    with must_raise(ValueError, "a weight of -1", match=">= 0"):
        weighted_rrf([["a"]], weights=[-1.0])
    with must_raise(ValueError, "the ranking ['dup', 'x', 'dup']", match="repeats.*dup"):
        weighted_rrf([["dup", "x", "dup"]], weights=[1.0])


@TASK3
@given(st.lists(st.lists(st.integers(0, 12), max_size=8, unique=True), min_size=1, max_size=4), st.integers(0, 80))
def test_unit_weights_and_no_filter_are_plain_rrf(rankings, k):
    mine, plain = weighted_rrf(rankings, [1.0] * len(rankings), k=k), reciprocal_rank_fusion(rankings, k)
    assert [d for d, _ in mine] == [d for d, _ in plain], (f"with all weights 1 and no filter, the order is plain "
                                                           f"RRF's {[d for d, _ in plain]}; got {[d for d, _ in mine]}")
    np.testing.assert_allclose([s for _, s in mine], [s for _, s in plain], rtol=1e-12,
                               err_msg="with all weights 1 and no filter, the scores are plain RRF's")
