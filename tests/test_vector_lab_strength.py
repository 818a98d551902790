"""The vector search lab's tests must catch the mistakes learners make, not only pass the solution.

Each mutant is the reference solution with one classic mistake; the lab's
tests must fail on every one of them, in the task that owns the mistake.
"""

from aimastery.config import REPO_ROOT
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
