"""The MLOps lab's tests must catch the mistakes learners make, not only pass the solution.

Each mutant is the reference solution with one classic mistake; the lab's
tests must fail on every one of them, in the task that owns the mistake.
"""

import shutil

from aimastery.config import REPO_ROOT
from aimastery.labs.hints import without_hints
from aimastery.labs.expect import silent_asserts
from aimastery.labs.mutants import apply_edits, rejected_variants, uncaught_mutants
from aimastery.labs.results_cache import ENV as RESULTS_CACHE
from aimastery.labs.runner import run_lab

SOLUTION = REPO_ROOT / "solutions" / "mlops_lifecycle"

COURSE_GATE = ("    from aimastery.mlops.gate import MetricGate\n"
               "    return MetricGate(min_value=min_macro_f1, max_drop=max_drop, max_class_recall_drop=max_recall_drop)"
               ".failures(candidate, incumbent)\n")

MUTANTS = {  # name: (the task that must catch it, [(text in the solution, replacement)])
    # Task 1: the point-in-time join
    "strictly before, not at or before": (1, [("bisect.bisect_right(times[key], t) - 1",
                                               "bisect.bisect_left(times[key], t) - 1")]),
    "ties broken by input order": (1, [("group.sort(key=lambda e: (e[0], e[1]))", "group.sort(key=lambda e: e[0])")]),
    "ties go to the first created": (1, [("group.sort(key=lambda e: (e[0], e[1]))",
                                          "group.sort(key=lambda e: (e[0], -e[1]))")]),
    "ttl off by one": (1, [("t - group[i][0] > ttl", "t - group[i][0] >= ttl")]),
    "ttl ignored": (1, [("(ttl is not None and t - group[i][0] > ttl)", "False")]),
    "the latest event of the key, whatever the time": (1, [("bisect.bisect_right(times[key], t) - 1",
                                                            "len(times[key]) - 1")]),
    "the caller's events sorted in place": (1, [(
        "    for key, time, created, value in events:\n",
        "    events.sort(key=lambda e: (e[1], e[2]))\n    for key, time, created, value in events:\n")]),
    # Task 2: PSI
    "bins from the actual sample": (2, [("edges = np.unique(np.quantile(expected,", "edges = np.unique(np.quantile(actual,")]),
    "bins from the pooled data": (2, [("edges = np.unique(np.quantile(expected,",
                                       "edges = np.unique(np.quantile(np.concatenate([expected, actual]),")]),
    "the course's PSI, through __import__": (2, [("    e, a = shares(expected), shares(actual)\n",
                                                  "    return __import__(\"aimastery.mlops.drift\", fromlist=[\"psi\"])"
                                                  ".psi(expected, actual, bins, eps)\n    e, a = shares(expected), shares(actual)\n")]),
    "equal-width bins": (2, [("edges = np.unique(np.quantile(expected, positions))",
                              "edges = np.linspace(expected.min(), expected.max(), bins + 1)[1:-1]")]),
    "bins closed on the left": (2, [('np.searchsorted(edges, x, side="left")', 'np.searchsorted(edges, x, side="right")')]),
    "no eps for empty bins": (2, [("return np.clip(counts / x.size, eps, None)", "return counts / x.size")]),
    "eps added to every bin": (2, [("return np.clip(counts / x.size, eps, None)", "return counts / x.size + eps")]),
    "KL one way only": (2, [("return float(np.sum((a - e) * np.log(a / e)))", "return float(np.sum(a * np.log(a / e)))")]),
    "counts, not shares": (2, [("return np.clip(counts / x.size, eps, None)", "return np.clip(counts, eps, None)")]),
    "no error on an empty sample": (2, [('            raise ValueError(f"psi: the {name} sample is empty")\n',
                                         "            pass\n")]),
    # Task 3: the gate
    "the floor itself fails": (3, [("if f1 < min_macro_f1:", "if f1 <= min_macro_f1:")]),
    "no margin for noise": (3, [("if incumbent[\"macro_f1\"] - f1 > max_drop + GATE_TOLERANCE:",
                                 "if f1 < incumbent[\"macro_f1\"]:")]),
    "macro_f1 drop: a plain subtraction, no tolerance": (3, [(
        "if incumbent[\"macro_f1\"] - f1 > max_drop + GATE_TOLERANCE:", "if incumbent[\"macro_f1\"] - f1 > max_drop:")]),
    "macro_f1 drop: below incumbent - max_drop, no tolerance": (3, [(
        "if incumbent[\"macro_f1\"] - f1 > max_drop + GATE_TOLERANCE:", "if f1 < incumbent[\"macro_f1\"] - max_drop:")]),
    "a tolerance that forgives a real drop": (3, [("GATE_TOLERANCE = 1e-9", "GATE_TOLERANCE = 1e-3")]),
    "per-label recall unchecked": (3, [("before - recalls[label] > max_recall_drop + GATE_TOLERANCE", "False")]),
    "recall drop: a plain subtraction, no tolerance": (3, [(
        "before - recalls[label] > max_recall_drop + GATE_TOLERANCE", "before - recalls[label] > max_recall_drop")]),
    "recall drop: below before - max_recall_drop, no tolerance": (3, [(
        "before - recalls[label] > max_recall_drop + GATE_TOLERANCE", "recalls[label] < before - max_recall_drop")]),
    "a label missing from the candidate passes": (3, [(
        "        if label not in recalls:\n            reasons.append(", "        if label not in recalls:\n            continue\n            reasons.append(")]),
    "a new label fails the gate": (3, [("    return reasons\n    ### END SOLUTION\n\n\n# ----- Task 4",
                                        "    reasons += [f\"no recall on {label} in production\" for label in recalls\n"
                                        "                if label not in incumbent.get(\"recall\", {})]\n"
                                        "    return reasons\n    ### END SOLUTION\n\n\n# ----- Task 4")]),
    "first failure only": (3, [("    if incumbent is None:\n        return reasons\n",
                                "    if incumbent is None or reasons:\n        return reasons\n")]),
    "the course's MetricGate": (3, [("    reasons = []\n    f1 = candidate[\"macro_f1\"]\n", COURSE_GATE)]),
    # Task 4: promotion and rollback
    "history replaced, not appended": (4, [("state[\"aliases\"][alias] = history + [version]",
                                            "state[\"aliases\"][alias] = [version]")]),
    "written in place": (4, [("    write_text_atomic(path, json.dumps(state, indent=1))\n    return state\n",
                              "    Path(path).write_text(json.dumps(state, indent=1), encoding=\"utf-8\")\n"
                              "    return state\n")]),
    "refusal written anyway": (4, [("    if reasons:\n        raise PromotionRefused(reasons)\n",
                                    "    if reasons:\n        write_text_atomic(path, json.dumps(state, indent=1))\n"
                                    "        raise PromotionRefused(reasons)\n")]),
    "refusal: the file deleted and written again, the same bytes": (4, [(
        "    if reasons:\n        raise PromotionRefused(reasons)\n",
        "    if reasons:\n        text = Path(path).read_text(encoding=\"utf-8\")\n        Path(path).unlink()\n"
        "        Path(path).write_text(text, encoding=\"utf-8\")\n        raise PromotionRefused(reasons)\n")]),
    "a backup copy written before the gate is asked": (4, [(
        "    history = state[\"aliases\"].get(alias, [])\n    incumbent",
        "    Path(str(path) + \".bak\").write_text(json.dumps(state), encoding=\"utf-8\")\n"
        "    history = state[\"aliases\"].get(alias, [])\n    incumbent")]),
    "promotion gated by the course's MetricGate": (4, [(
        "    reasons = gate_failures(state[\"versions\"][str(version)][\"metrics\"], incumbent, **gate)\n",
        "    from aimastery.mlops.gate import MetricGate\n"
        "    names = {\"min_macro_f1\": \"min_value\", \"max_drop\": \"max_drop\", \"max_recall_drop\": \"max_class_recall_drop\"}\n"
        "    reasons = MetricGate(**{names[k]: v for k, v in gate.items()}).failures(\n"
        "        state[\"versions\"][str(version)][\"metrics\"], incumbent)\n")]),
    "gate settings dropped": (4, [("gate_failures(state[\"versions\"][str(version)][\"metrics\"], incumbent, **gate)",
                                   "gate_failures(state[\"versions\"][str(version)][\"metrics\"], incumbent)")]),
    "compared with the first production version": (4, [("incumbent = state[\"versions\"][str(history[-1])]",
                                                         "incumbent = state[\"versions\"][str(history[0])]")]),
    "rollback in place": (4, [("    state[\"aliases\"][alias] = history[:-1]\n    write_text_atomic(path, json.dumps(state, indent=1))\n",
                               "    state[\"aliases\"][alias] = history[:-1]\n"
                               "    Path(path).write_text(json.dumps(state, indent=1), encoding=\"utf-8\")\n")]),
    "rollback returns the version it left": (4, [("    return history[-2]\n", "    return history[-1]\n")]),
}


POSITIONS = ("    positions = np.arange(1, bins) / bins  # 1/b, ..., (b-1)/b: (bins - 1,)\n"
             "    edges = np.unique(np.quantile(expected, positions))\n")

# right answers written another way: every test of their task must pass them
VARIANTS = {
    # Task 2: the quantile positions, as a learner may write them (each rounds some i/b differently)
    "positions from np.linspace": (2, [(POSITIONS, "    edges = np.unique(np.quantile(expected, "
                                                   "np.linspace(0, 1, bins + 1)[1:-1]))\n")]),
    "positions i / bins in a list": (2, [(POSITIONS, "    edges = np.unique(np.quantile(expected, "
                                                     "[i / bins for i in range(1, bins)]))\n")]),
    "np.percentile at 100 * i / bins": (2, [(POSITIONS, "    edges = np.unique(np.percentile(expected, "
                                                        "100 * np.arange(1, bins) / bins))\n")]),
    "np.percentile at linspace(0, 100)": (2, [(POSITIONS, "    edges = np.unique(np.percentile(expected, "
                                                          "np.linspace(0, 100, bins + 1)[1:-1]))\n")]),
}


def test_every_mutant_is_caught(tmp_path):
    uncaught = uncaught_mutants(SOLUTION, "lifecycle.py", "test_lifecycle.py", MUTANTS, tmp_path)
    assert not uncaught, f"the MLOps lab's tests pass these buggy solutions: {uncaught}"


def test_every_right_variant_passes(tmp_path):
    rejected = rejected_variants(SOLUTION, "lifecycle.py", "test_lifecycle.py", VARIANTS, tmp_path)
    assert not rejected, f"the MLOps lab's tests refuse these correct solutions: {rejected}"


def outcomes_of(test: str, task: int, mutants: tuple[str, ...], tmp_path) -> dict[str, str]:
    """The outcome of the one test ``test`` (of ``task``) on each of ``mutants``, by name, in one run of its own."""
    source = without_hints((SOLUTION / "lifecycle.py").read_text(encoding="utf-8"), "mlops_lifecycle/lifecycle.py")
    folders = {}
    for i, name in enumerate(mutants):
        lab = tmp_path / f"mlops_mutant{i:02d}"
        lab.mkdir()
        (lab / "__init__.py").write_text("", encoding="utf-8")
        (lab / "lifecycle.py").write_text(apply_edits(source, name, MUTANTS[name][1]), encoding="utf-8")
        shutil.copy(SOLUTION / "test_lifecycle.py", lab)
        folders[lab.name] = name
    report = run_lab(tmp_path, task=task, extra_args=("--lab-no-shrink", "-k", test))
    return {folders[next(p for p in t.nodeid.split("::")[0].split("/") if p in folders)]: t.outcome
            for t in report.tests if t.name == test}


def test_the_ttl_test_blames_the_ttl_and_only_the_ttl(tmp_path, monkeypatch):
    """A wrong tie rule once failed the TTL test too, whose message then blamed the TTL."""
    monkeypatch.delenv(RESULTS_CACHE, raising=False)  # a run of its own
    ties, ttl = ("ties broken by input order", "ties go to the first created"), ("ttl off by one", "ttl ignored")
    got = outcomes_of("test_ttl_drops_values_that_are_too_old", 1, ties + ttl, tmp_path)
    assert got == {**{name: "passed" for name in ties}, **{name: "failed" for name in ttl}}, got


BINS_TEST = "test_the_bins_come_from_the_expected_sample"


def test_the_psi_test_about_the_bins_fails_alone_when_they_come_from_the_wrong_sample(tmp_path, monkeypatch):
    """Not only some test of Task 2 catches these: the one whose name promises it (it once passed whatever the bins)."""
    monkeypatch.delenv(RESULTS_CACHE, raising=False)  # a run of its own
    binning = ("bins from the actual sample", "bins from the pooled data")
    got = outcomes_of(BINS_TEST, 2, binning, tmp_path)
    assert got == {name: "failed" for name in binning}, f"{BINS_TEST} on {binning}: {got}"


def test_every_check_says_what_was_expected_and_what_came_back():
    lines = silent_asserts(SOLUTION / "test_lifecycle.py")
    assert not lines, (f"mlops_lifecycle/test_lifecycle.py: the checks on lines {lines} would fail without a message "
                       "(a bare assert, np.testing without err_msg, or pytest.raises: use aimastery.labs.expect.must_raise)")


def test_the_edge_cases_tell_the_ways_of_writing_the_positions_apart():
    """The fixed cases of Task 2 are adversarial: each way of writing the positions but the course's own gives,
    on one of them at least, another PSI than the course's. A test that took the course's number only would
    refuse every variant above."""
    import numpy as np

    from aimastery.mlops.drift import psi, psi_with_edges
    from solutions.mlops_lifecycle.test_lifecycle import EDGE_ON_A_VALUE, POSITIONS

    for how, at in list(POSITIONS.items())[1:]:
        differs = [case for case in EDGE_ON_A_VALUE if abs(psi(*case) - psi_with_edges(
            case[0], case[1], np.unique(np.quantile(np.asarray(case[0], dtype=float), at(case[2]))))) > 1e-9]
        assert differs, f"no case of EDGE_ON_A_VALUE where {how} gives another PSI than the course's"
