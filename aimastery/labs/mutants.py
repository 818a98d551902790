"""Mutation checks for a lab's tests: they must catch the mistakes learners make.

A mutant is the reference solution with one classic bug, written as text
edits. :func:`uncaught_mutants` writes every mutant as its own lab folder,
runs the lab's tests over all of them in one pytest run — in each mutant's
folder only the tests of the task that owns the bug, and without shrinking
hypothesis's failing examples — and returns the mutants whose owning task
still passed. The mutants edit the solution's code with its hint lines
removed (a hint may quote the line an edit targets). Each lab has a strength test in
``tests/`` that asserts the list is empty.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

from aimastery.labs.hints import without_hints
from aimastery.labs.runner import run_lab

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
) -> list[str]:
    """The mutants of ``solution_dir/module`` that the tests in ``test_file`` fail to catch in their task."""
    # the code alone: a hint may quote a line a mutant edits
    source = without_hints((solution_dir / module).read_text(encoding="utf-8"), f"{solution_dir.name}/{module}")
    tests = (solution_dir / test_file).read_text(encoding="utf-8")
    root = workdir / "mutants"
    root.mkdir(parents=True)
    prefix = solution_dir.name.split("_")[0]  # keeps the lab-folder naming rule: week01_..., capstone_...
    names: dict[str, str] = {}
    for i, (name, (_, edits)) in enumerate(mutants.items()):
        lab = root / f"{prefix}_mutant{i:02d}"
        lab.mkdir()
        (lab / "__init__.py").write_text("", encoding="utf-8")
        (lab / module).write_text(apply_edits(source, name, edits), encoding="utf-8")
        (lab / test_file).write_text(tests, encoding="utf-8")
        names[lab.name] = name

    task_map = root / "tasks.json"  # each mutant's folder runs only its owning task's tests
    task_map.write_text(json.dumps({lab: mutants[name][0] for lab, name in names.items()}), encoding="utf-8")
    report = run_lab(root, extra_args=(f"--lab-task-map={task_map}", "--lab-no-shrink"))  # one pytest run
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
