"""The vector search lab's tests must catch the mistakes learners make, not only pass the solution.

Each mutant is the reference solution with one classic mistake; the lab's
tests must fail on every one of them, in the task that owns the mistake.
"""

from aimastery.config import REPO_ROOT
from aimastery.labs.expect import silent_asserts
from aimastery.labs.mutants import uncaught_mutants

SOLUTION = REPO_ROOT / "solutions" / "vector_search"

# the first expansion loop of search_layer, and the one of tenant_search, differ in their last lines
SL_ADMIT = ("                heapq.heappush(results, (-dn, n))\n                if len(results) > ef:\n"
            "                    heapq.heappop(results)\n    return sorted((-negd, n) for negd, n in results)\n")
TS_STOP = ("        if len(results) >= ef and d > -results[0][0]:\n            break\n"
           "        new = [n for n in graph.neighbours[c] if n not in visited]\n        visited.update(new)\n"
           "        if not new:\n            continue\n        for dn, n in zip(graph.distances(q, new).tolist(), new):\n"
           "            if len(results) < ef or dn < -results[0][0]:\n                heapq.heappush(candidates, (dn, n))\n"
           "                if tenants[n] == tenant:")

SCAN_ALL = ("    dist = graph.distances(q, range(len(graph.vectors)))\n"
            "    return [(float(dist[i]), int(i)) for i in np.argsort(dist, kind=\"stable\")[:ef]]\n")
VISIT_ALL = ("    seen, todo = set(entry_points), list(entry_points)\n    while todo:\n"
             "        todo += [n for n in graph.neighbours[todo.pop()] if n not in seen and not seen.add(n)]\n"
             "    ids = sorted(seen)\n    dist = graph.distances(q, ids)\n"
             "    return sorted((float(dd), n) for dd, n in zip(dist, ids))[:ef]\n")
SCAN_TENANT = ("    mine = [i for i, t in enumerate(tenants) if t == tenant]\n    dist = graph.distances(q, mine)\n"
               "    return [mine[i] for i in np.argsort(dist, kind=\"stable\")[:k]]\n")

MUTANTS = {  # name: (the task that must catch it, [(text in the solution, replacement)])
    "greedy: stops after the first expansion": (1, [(
        "        if len(results) >= ef and d > -results[0][0]:\n            break\n        new = [n for n in graph.neighbours[c] if n not in visited]\n        visited.update(new)\n        if not new:\n            continue\n        for dn, n in zip(graph.distances(q, new).tolist(), new):\n            if len(results) < ef or dn < -results[0][0]:\n                heapq.heappush(candidates, (dn, n))\n                heapq.heappush(results",
        "        if results:\n            break\n        new = [n for n in graph.neighbours[c] if n not in visited]\n        visited.update(new)\n        if not new:\n            continue\n        for dn, n in zip(graph.distances(q, new).tolist(), new):\n            if len(results) < ef or dn < -results[0][0]:\n                heapq.heappush(candidates, (dn, n))\n                heapq.heappush(results")]),
    "stops when the candidate is nearer than the worst (sign flipped)": (1, [(
        "    while candidates:\n        d, c = heapq.heappop(candidates)\n        if len(results) >= ef and d > -results[0][0]:\n            break\n        new = [n for n in graph.neighbours[c] if n not in visited]\n        visited.update(new)\n        if not new:\n            continue\n        for dn, n in zip(graph.distances(q, new).tolist(), new):\n            if len(results) < ef or dn < -results[0][0]:\n                heapq.heappush(candidates, (dn, n))\n                heapq.heappush(results",
        "    while candidates:\n        d, c = heapq.heappop(candidates)\n        if len(results) >= ef and d < -results[0][0]:\n            break\n        new = [n for n in graph.neighbours[c] if n not in visited]\n        visited.update(new)\n        if not new:\n            continue\n        for dn, n in zip(graph.distances(q, new).tolist(), new):\n            if len(results) < ef or dn < -results[0][0]:\n                heapq.heappush(candidates, (dn, n))\n                heapq.heappush(results")]),
    "no visited set": (1, [("        new = [n for n in graph.neighbours[c] if n not in visited]\n        visited.update(new)\n        if not new:\n            continue\n        for dn, n in zip(graph.distances(q, new).tolist(), new):\n            if len(results) < ef or dn < -results[0][0]:\n                heapq.heappush(candidates, (dn, n))\n                heapq.heappush(results",
                            "        new = [n for n in graph.neighbours[c] if n not in entry_points]\n        if not new:\n            continue\n        for dn, n in zip(graph.distances(q, new).tolist(), new):\n            if len(results) < ef or dn < -results[0][0]:\n                heapq.heappush(candidates, (dn, n))\n                heapq.heappush(results")]),
    "results never trimmed to ef": (1, [(SL_ADMIT, SL_ADMIT.replace("if len(results) > ef:", "if len(results) > 10 * ef:"))]),
    "farthest first": (1, [("    return sorted((-negd, n) for negd, n in results)\n    ### END SOLUTION\n\n\ndef knn",
                            "    return sorted(((-negd, n) for negd, n in results), reverse=True)\n    ### END SOLUTION\n\n\ndef knn")]),
    "entry point left out of the results": (1, [(
        "        heapq.heappush(candidates, (d, e))\n        heapq.heappush(results, (-d, e))\n",
        "        heapq.heappush(candidates, (d, e))\n")]),
    "every neighbour admitted, near or far": (1, [(
        "        for dn, n in zip(graph.distances(q, new).tolist(), new):\n            if len(results) < ef or dn < -results[0][0]:\n                heapq.heappush(candidates, (dn, n))\n                heapq.heappush(results, (-dn, n))\n                if len(results) > ef:\n                    heapq.heappop(results)\n    return sorted",
        "        for dn, n in zip(graph.distances(q, new).tolist(), new):\n            if True:\n                heapq.heappush(candidates, (dn, n))\n                heapq.heappush(results, (-dn, n))\n                if len(results) > ef:\n                    heapq.heapreplace(results, max(results))\n    return sorted")]),
    "post-filtering: search everyone, then keep the tenant's": (2, [(
        "                if tenants[n] == tenant:\n                    heapq.heappush(results, (-dn, n))",
        "                if True:\n                    heapq.heappush(results, (-dn, n))"), (
        "    return [n for _, n in sorted((-negd, n) for negd, n in results)[:k]]",
        "    return [n for _, n in sorted((-negd, n) for negd, n in results)[:k] if tenants[n] == tenant]")]),
    "walk only through the tenant's nodes": (2, [(
        "        for dn, n in zip(graph.distances(q, new).tolist(), new):\n            if len(results) < ef or dn < -results[0][0]:\n                heapq.heappush(candidates, (dn, n))\n                if tenants[n] == tenant:",
        "        for dn, n in zip(graph.distances(q, new).tolist(), new):\n            if tenants[n] == tenant and (len(results) < ef or dn < -results[0][0]):\n                heapq.heappush(candidates, (dn, n))\n                if tenants[n] == tenant:")]),
    "the entry point returned whoever owns it": (2, [(
        "    results: list[tuple[float, int]] = [(-d0, e)] if tenants[e] == tenant else []",
        "    results: list[tuple[float, int]] = [(-d0, e)]")]),
    "an unknown tenant gets an empty answer": (2, [(
        "        raise ValueError(f\"no node belongs to the tenant {tenant!r}\")", "        return []")]),
    "stops as soon as the results are full of near others": (2, [(TS_STOP, TS_STOP.replace(
        "        if len(results) >= ef and d > -results[0][0]:\n            break\n",
        "        if len(visited) >= ef and (not results or d > -results[0][0]):\n            break\n"))]),
    # brute force passes a graph search's tests unless they count distances and use graphs where the two differ
    "exact scan of every vector, through graph.distances": (1, [("    visited = set(entry_points)\n", SCAN_ALL)]),
    "exact scan of every vector, with its own arithmetic": (1, [("    visited = set(entry_points)\n", SCAN_ALL.replace(
        "graph.distances(q, range(len(graph.vectors)))", "1.0 - graph.vectors @ q"))]),
    "every reachable node visited, then the ef nearest": (1, [("    visited = set(entry_points)\n", VISIT_ALL)]),
    "no stopping rule: expands until the candidates run out": (1, [(
        "    while candidates:\n        d, c = heapq.heappop(candidates)\n        if len(results) >= ef and d > -results[0][0]:\n            break\n        new = [n for n in graph.neighbours[c] if n not in visited]\n        visited.update(new)\n        if not new:\n            continue\n        for dn, n in zip(graph.distances(q, new).tolist(), new):\n            if len(results) < ef or dn < -results[0][0]:\n                heapq.heappush(candidates, (dn, n))\n                heapq.heappush(results",
        "    while candidates:\n        d, c = heapq.heappop(candidates)\n        new = [n for n in graph.neighbours[c] if n not in visited]\n        visited.update(new)\n        if not new:\n            continue\n        for dn, n in zip(graph.distances(q, new).tolist(), new):\n            if len(results) < ef or dn < -results[0][0]:\n                heapq.heappush(candidates, (dn, n))\n                heapq.heappush(results")]),
    "results capped at ef, not max(ef, k)": (2, [("    ef = max(ef, k)\n", "")]),
    "exact scan of the tenant's nodes": (2, [("    e = graph.entry\n", SCAN_TENANT + "    e = graph.entry\n")]),
    "exact scan of the tenant's nodes, with its own arithmetic": (2, [("    e = graph.entry\n", SCAN_TENANT.replace(
        "graph.distances(q, mine)", "1.0 - graph.vectors[mine] @ q") + "    e = graph.entry\n")]),
    "tenant search with no stopping rule": (2, [(TS_STOP, TS_STOP.replace(
        "        if len(results) >= ef and d > -results[0][0]:\n            break\n", ""))]),
    "plain RRF from the course when the weights are all 1": (3, [(
        "    fused: dict[Hashable, float] = {}\n",
        "    if allowed is None and all(w == 1 for w in weights):\n"
        "        from aimastery.sysdesign.retrieval import reciprocal_rank_fusion\n"
        "        return reciprocal_rank_fusion(rankings, k)\n    fused: dict[Hashable, float] = {}\n")]),
    "ranks from 0": (3, [("        for rank, d in enumerate(kept, start=1):", "        for rank, d in enumerate(kept):")]),
    "weights ignored": (3, [("fused.get(d, 0.0) + w / (k + rank)", "fused.get(d, 0.0) + 1 / (k + rank)")]),
    "filtered after ranking (other tenants' ids keep their ranks)": (3, [(
        "        kept = [d for d in ranking if allowed is None or d in allowed]\n        for rank, d in enumerate(kept, start=1):\n            fused[d] = fused.get(d, 0.0) + w / (k + rank)",
        "        for rank, d in enumerate(ranking, start=1):\n            if allowed is None or d in allowed:\n                fused[d] = fused.get(d, 0.0) + w / (k + rank)")]),
    "ties broken by id": (3, [("key=lambda item: (-item[1][1], item[0]))", "key=lambda item: (-item[1][1], str(item[1][0])))")]),
    "weights of the wrong length accepted": (3, [(
        "    if len(weights) != len(rankings):\n        raise ValueError(", "    if False:\n        raise ValueError(")]),
    "negative weights accepted": (3, [("    if any(w < 0 for w in weights):", "    if False:")]),
}



def test_every_mutant_is_caught(tmp_path):
    uncaught = uncaught_mutants(SOLUTION, "vector_lab.py", "test_vector_lab.py", MUTANTS, tmp_path)
    assert not uncaught, f"the vector search lab's tests pass these buggy solutions: {uncaught}"


def test_every_check_says_what_was_expected_and_what_came_back():
    lines = silent_asserts(SOLUTION / "test_vector_lab.py")
    assert not lines, (f"vector_search/test_vector_lab.py: the checks on lines {lines} would fail without a message "
                       "(a bare assert, np.testing without err_msg, or pytest.raises: use aimastery.labs.expect.must_raise)")
