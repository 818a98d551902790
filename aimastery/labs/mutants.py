"""Mutation checks for a lab's tests: they must catch the mistakes learners make.

A mutant is the reference solution with one classic bug, written as text
edits. :func:`uncaught_mutants` writes every mutant as its own lab folder,
runs the lab's tests over all of them in one pytest run, and returns the
mutants whose owning task still passed. Each lab has a strength test in
``tests/`` that asserts the list is empty.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

from aimastery.labs.runner import run_lab
from aimastery.testing import PROFILE_VARIABLE

# name -> (the task that must catch it, [(text in the solution, replacement), ...])
Mutants = dict[str, tuple[int, list[tuple[str, str]]]]


def apply_edits(source: str, name: str, edits: list[tuple[str, str]]) -> str:
    """``source`` with each edit applied once; a clear error when a target is gone."""
    for old, new in edits:
        if source.count(old) != 1:
            raise AssertionError(f"mutant {name!r}: its target text occurs {source.count(old)} times in the "
                                 f"solution (it must occur once); update the mutant: {old[:60]!r}")
        source = source.replace(old, new)
    return source


def uncaught_mutants(
    solution_dir: Path,
    module: str,
    test_file: str,
    mutants: Mutants,
    workdir: Path,
    tests_for: Callable[[int, str], str] | None = None,
) -> list[str]:
    """The mutants of ``solution_dir/module`` that the tests in ``test_file`` fail to catch in their task.

    ``tests_for(task, tests_text)`` may trim the test file per mutant (e.g. to
    skip a slow test that cannot concern the mutated task).
    """
    source = (solution_dir / module).read_text(encoding="utf-8")
    tests = (solution_dir / test_file).read_text(encoding="utf-8")
    root = workdir / "mutants"
    root.mkdir(parents=True)
    prefix = solution_dir.name.split("_")[0]  # keeps the lab-folder naming rule: week01_..., capstone_...
    names: dict[str, str] = {}
    for i, (name, (task, edits)) in enumerate(mutants.items()):
        lab = root / f"{prefix}_mutant{i:02d}"
        lab.mkdir()
        (lab / "__init__.py").write_text("", encoding="utf-8")
        (lab / module).write_text(apply_edits(source, name, edits), encoding="utf-8")
        (lab / test_file).write_text(tests_for(task, tests) if tests_for else tests, encoding="utf-8")
        names[lab.name] = name

    previous = os.environ.get(PROFILE_VARIABLE)
    os.environ[PROFILE_VARIABLE] = "course-no-shrink"  # a failure is enough; its smallest example is not needed
    try:
        report = run_lab(root)  # one pytest run over every mutant
    finally:
        if previous is None:
            del os.environ[PROFILE_VARIABLE]
        else:
            os.environ[PROFILE_VARIABLE] = previous
    if report.collect_errors:
        raise AssertionError("the mutants could not be collected:\n" + report.render())
    failed_tasks: dict[str, set[int]] = defaultdict(set)
    for t in report.tests:
        if t.outcome != "passed":
            # the node id is relative to pytest's rootdir, which depends on where the suite runs from
            lab = next(part for part in t.nodeid.split("::")[0].split("/") if part in names)
            failed_tasks[lab].add(t.task)
    return [f"{names[lab]} (Task {mutants[names[lab]][0]})" for lab in names
            if mutants[names[lab]][0] not in failed_tasks[lab]]
