"""Mutation checks for a lab's tests: they must catch the mistakes learners make.

A mutant is the reference solution with one classic bug, written as text
edits. :func:`uncaught_mutants` writes every mutant as its own lab folder,
runs the lab's tests over all of them in one pytest run — in each mutant's
folder only the tests of the task that owns the bug, and without shrinking
hypothesis's failing examples — and returns the mutants whose owning task
still passed (:func:`mutant_failures` returns what each mutant's task reported, its messages included,
for a strength test that checks them too). :func:`rejected_variants` is the converse: solutions written
another right way, which every test of their task must pass. The mutants edit the solution's code with its hint lines
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


def _run_edited(solution_dir: Path, module: str, test_file: str, edited: Mutants, root: Path,
                ) -> dict[str, list[tuple[int, str, str]]]:
    """Write each edited solution as its own lab folder under ``root`` and run, in one pytest run, only the
    tests of its task in each; return name -> [(task, test name, message)] of the tests that did not pass."""
    # the code alone: a hint may quote a line an edit targets
    source = without_hints((solution_dir / module).read_text(encoding="utf-8"), f"{solution_dir.name}/{module}")
    tests = (solution_dir / test_file).read_text(encoding="utf-8")
    root.mkdir(parents=True)
    prefix = solution_dir.name.split("_")[0]  # keeps the lab-folder naming rule: week01_..., capstone_...
    names: dict[str, str] = {}
    for i, (name, (_, edits)) in enumerate(edited.items()):
        lab = root / f"{prefix}_{root.name}{i:02d}"
        lab.mkdir()
        (lab / "__init__.py").write_text("", encoding="utf-8")
        (lab / module).write_text(apply_edits(source, name, edits), encoding="utf-8")
        (lab / test_file).write_text(tests, encoding="utf-8")
        names[lab.name] = name

    task_map = root / "tasks.json"  # each folder runs only its task's tests
    task_map.write_text(json.dumps({lab: edited[name][0] for lab, name in names.items()}), encoding="utf-8")
    report = run_lab(root, extra_args=(f"--lab-task-map={task_map}", "--lab-no-shrink"))  # one pytest run
    if report.collect_errors:
        raise AssertionError(f"the edited solutions in {root.name} could not be collected:\n" + report.render())
    failed: dict[str, list[tuple[int, str, str]]] = {name: [] for name in edited}
    for t in report.tests:
        if t.outcome != "passed":
            # the node id is relative to pytest's rootdir, which depends on where the suite runs from
            lab = next(part for part in t.nodeid.split("::")[0].split("/") if part in names)
            failed[names[lab]].append((t.task, t.name, t.message or t.outcome))
    return failed


def mutant_failures(
    solution_dir: Path,
    module: str,
    test_file: str,
    mutants: Mutants,
    workdir: Path,
) -> dict[str, list[tuple[int, str, str]]]:
    """What each mutant's own task reported: name -> [(task, test name, message)] of its tests that did not pass.

    For a strength test that checks the messages too (what a learner reads), in the same single run.
    """
    return _run_edited(solution_dir, module, test_file, mutants, workdir / "mutant")


def uncaught_mutants(
    solution_dir: Path,
    module: str,
    test_file: str,
    mutants: Mutants,
    workdir: Path,
) -> list[str]:
    """The mutants of ``solution_dir/module`` that the tests in ``test_file`` fail to catch in their task."""
    failed = mutant_failures(solution_dir, module, test_file, mutants, workdir)
    return [f"{name} (Task {task})" for name, (task, _) in mutants.items()
            if task not in {t for t, _, _ in failed[name]}]


def rejected_variants(
    solution_dir: Path,
    module: str,
    test_file: str,
    variants: Mutants,
    workdir: Path,
) -> dict[str, list[str]]:
    """The correct variants of the solution (written another right way) that some test of their task fails.

    The opposite of a mutant: ``variants`` has the same shape, and a lab's
    strength test asserts that the returned dict (name -> "test: message")
    is empty, so that the tests do not refuse a right answer.
    """
    failed = _run_edited(solution_dir, module, test_file, variants, workdir / "variant")
    return {name: [f"{test}: {message}" for _, test, message in failed[name]] for name in variants if failed[name]}
