"""A pytest plugin that records each lab test's outcome and task as JSON.

Loaded by :func:`aimastery.labs.runner.run_lab` in a fresh interpreter
(``-p aimastery.labs.collect``) so that the learner's latest code is imported.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import numpy as np

import pytest

from aimastery.atomic import write_text_atomic
from aimastery.testing import use_course_hypothesis_profile

_results: dict[str, dict] = {}
_collect_errors: list[dict] = []


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("aimastery-labs")
    group.addoption("--lab-results", default=None, help="write each test's outcome to this JSON file")
    group.addoption("--lab-task", type=int, default=None, help="run only the tests of this task")
    group.addoption("--lab-task-map", default=None,
                    help="a JSON file {lab folder name: task}: in each of those folders, run only that task's tests")
    group.addoption("--lab-no-shrink", action="store_true",
                    help="hypothesis reports the first failing example without shrinking it (mutant runs)")


NOISE = ("Use -v to get more diff", "Failing test case:", "Falsifying example:")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "task(number, title): the lab task a test checks")
    use_course_hypothesis_profile(shrink=not config.getoption("--lab-no-shrink"))


def _task_map(config: pytest.Config) -> dict[str, int]:
    path = config.getoption("--lab-task-map")
    return json.loads(Path(path).read_text(encoding="utf-8")) if path else {}


def _first_lines(text: str, n: int = 4) -> str:
    """The first ``n`` informative lines of an error (pytest's and hypothesis's hints dropped)."""
    lines = []
    for line in text.strip().splitlines():
        if line.strip().startswith(NOISE):
            break
        if line.strip():
            lines.append(line)
    return "\n".join(lines[:n])


EXAMPLE_CHARS = 240  # a falsifying example longer than this is cut: the report stays a report


def _short_repr(value) -> str:
    with np.printoptions(threshold=12, edgeitems=3, precision=4, linewidth=10_000):
        text = repr(value)
    return " ".join(text.split())


def _record_inputs(item: pytest.Item) -> None:
    """Let a hypothesis test's failure carry the input it failed on.

    Hypothesis's own "Failing test case" note leaves the values blank in the
    course's setup, and pytest's report of it is not what a learner reads;
    so the test's inner function (documented as replaceable:
    ``test.hypothesis.inner_test``) tags the exception it raises with its
    arguments. Hypothesis raises the exception of the final replay of the
    (shrunk) failing example, so that is the input the report shows.
    """
    handle = getattr(getattr(item, "obj", None), "hypothesis", None)
    if handle is None or getattr(handle.inner_test, "_aim_records", False):
        return
    inner = handle.inner_test

    @functools.wraps(inner)
    def recording(*args, **kwargs):
        try:
            return inner(*args, **kwargs)
        except BaseException as exc:
            positional = args[1:] if args and item.instance is not None and args[0] is item.instance else args
            shown = [_short_repr(a) for a in positional] + [f"{k}={_short_repr(v)}" for k, v in kwargs.items()
                                                         if k not in getattr(item, "funcargs", {})]  # not fixtures
            exc._aim_example = ", ".join(shown)
            raise

    recording._aim_records = True
    handle.inner_test = recording


def _example(exc: BaseException) -> str | None:
    """The input a hypothesis test failed on (see :func:`_record_inputs`), cut to a readable length."""
    example = getattr(exc, "_aim_example", None)
    if isinstance(exc, BaseExceptionGroup):
        example = next((e for e in (_example(sub) for sub in exc.exceptions) if e), None)
    if not example:
        return None
    return example if len(example) <= EXAMPLE_CHARS else example[:EXAMPLE_CHARS - 1] + "…"


def _headline(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _describe(exc: BaseException) -> tuple[str, str]:
    """The exception's type name and a short message. When hypothesis found
    several distinct failures it raises an ExceptionGroup; then each failure
    gets a line of its own (``- ...``), so that no real message is lost.

    A group of stubs' ``NotImplementedError`` only is "not implemented yet"
    and lists every function still to write; a group with a real failure is
    named after its first real failure.
    """
    if not isinstance(exc, BaseExceptionGroup):
        return type(exc).__name__, _first_lines(_headline(exc), n=6)
    leaves: list[BaseException] = []
    stack = [exc]
    while stack:
        for sub in stack.pop().exceptions:
            (stack if isinstance(sub, BaseExceptionGroup) else leaves).append(sub)
    stubs = [leaf for leaf in leaves if isinstance(leaf, NotImplementedError)]
    if len(stubs) == len(leaves):
        messages = list(dict.fromkeys(_first_lines(str(leaf) or type(leaf).__name__, n=1) for leaf in leaves))
        return "NotImplementedError", "\n".join(
            [f"{len(messages)} functions not implemented yet:"] + [f"- {m}" for m in messages])
    first = next(leaf for leaf in leaves if not isinstance(leaf, NotImplementedError))
    headlines = list(dict.fromkeys(_first_lines(_headline(leaf), n=1) for leaf in leaves))
    lines = [f"{len(headlines)} different failures; the first: {_first_lines(_headline(first), n=1)}"]
    lines += [f"- {h}" for h in headlines]
    return type(first).__name__, "\n".join(lines)


def _error_lines(longrepr: str, n: int = 8) -> str:
    """The lines of a collection error that say what went wrong (pytest marks them with 'E')."""
    marked = [line[1:].rstrip() for line in longrepr.splitlines() if line.startswith("E ")]
    lines = marked or longrepr.strip().splitlines()
    return "\n".join(lines[-n:])


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    wanted = config.getoption("--lab-task")
    per_folder = _task_map(config)
    keep, drop = [], []
    for item in items:
        marker = item.get_closest_marker("task")
        number, title = (marker.args[0], marker.args[1]) if marker and len(marker.args) >= 2 else (0, "untasked")
        folder_task = next((per_folder[part] for part in item.path.parts if part in per_folder), None)
        if (wanted is not None and number != wanted) or (folder_task is not None and number != folder_task):
            drop.append(item)
            continue
        keep.append(item)
        _results[item.nodeid] = {"nodeid": item.nodeid, "name": item.name, "task": number, "title": title,
                                 "outcome": "not run", "exc_type": None, "message": None, "example": None}
        _record_inputs(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def pytest_collectreport(report: pytest.CollectReport) -> None:
    if report.failed:
        _collect_errors.append({"nodeid": report.nodeid, "message": _error_lines(str(report.longrepr))})


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    report = outcome.get_result()
    record = _results.get(item.nodeid)
    if record is None:
        return
    if report.when == "call" or (report.when == "setup" and not report.passed):
        record["outcome"] = report.outcome
        if call.excinfo is not None and not report.passed:
            record["exc_type"], message = _describe(call.excinfo.value)
            record["example"] = _example(call.excinfo.value)
            if "Timeout" in message and "pytest-timeout" in message:
                seconds = item.config.getoption("timeout", default=None)
                message = f"stopped after {seconds} s without finishing: an endless loop?"
            record["message"] = message


def pytest_sessionfinish(session: pytest.Session) -> None:
    path = session.config.getoption("--lab-results")
    if not path:
        return
    data = {"tests": list(_results.values()), "collect_errors": _collect_errors}
    write_text_atomic(path, json.dumps(data, indent=1))
