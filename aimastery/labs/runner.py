"""Run a lab's tests in a fresh interpreter and report them task by task.

``make lab-check WEEK=01`` and ``check()`` in a lab notebook both end here.
A task passes when all of its tests pass; it is "not implemented yet" while
any of its tests stops at a stub's ``NotImplementedError`` (and nothing else:
a test that hypothesis saw fail for a real reason too counts as failing);
otherwise it fails, and the report quotes the first failing assertion.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from aimastery.config import REPO_ROOT
from aimastery.labs.generate import LABS, LAB_DIR_RE, NAMED_LABS, SOLUTIONS, lab_key, lab_title
from aimastery.labs.hints import LabHint, lab_hints
from aimastery.labs.results_cache import ResultsCache


TEST_TIMEOUT = 120  # seconds per test: an endless loop is stopped, not left to eat the machine


def check_hint(hint) -> None:
    """A clear error unless ``hint`` is None or a hint's number (1, 2, 3, ...)."""
    if hint is not None and (isinstance(hint, bool) or not isinstance(hint, int) or hint < 1):
        raise ValueError(f"a hint's number is 1, 2, 3, ... (HINT=2 shows hint 2); got {hint!r}")


@dataclass
class TestOutcome:
    nodeid: str
    name: str
    task: int
    title: str
    outcome: str  # passed | failed | skipped | not run
    exc_type: str | None = None
    message: str | None = None
    example: str | None = None  # the input a hypothesis test failed on

    @property
    def not_implemented(self) -> bool:
        return self.exc_type == "NotImplementedError"


@dataclass
class TaskResult:
    number: int
    title: str
    tests: list[TestOutcome]

    @property
    def status(self) -> str:
        """passed; not implemented yet (every test that does not pass meets a stub); else failed."""
        problems = [t for t in self.tests if t.outcome != "passed"]
        if not problems:
            return "passed"
        if all(t.not_implemented for t in problems):
            return "not implemented yet"
        return "failed"

    @property
    def first_problem(self) -> TestOutcome | None:
        return next((t for t in self.tests if t.outcome != "passed"), None)


@dataclass
class LabReport:
    lab_dir: Path
    tests: list[TestOutcome]
    collect_errors: list[dict] = field(default_factory=list)
    returncode: int = 0
    output: str = ""  # pytest's own output, shown when nothing could be collected
    printed_in_cell: int | None = field(default=None, repr=False, compare=False)  # set by check()

    @property
    def tasks(self) -> list[TaskResult]:
        numbers = sorted({t.task for t in self.tests})
        return [
            TaskResult(n, next(t.title for t in self.tests if t.task == n), [t for t in self.tests if t.task == n])
            for n in numbers
        ]

    @property
    def all_passed(self) -> bool:
        return bool(self.tests) and not self.collect_errors and all(t.outcome == "passed" for t in self.tests)

    @property
    def all_failed(self) -> bool:
        return bool(self.tests) and all(t.outcome == "failed" for t in self.tests)

    def render(self, hint: int | None = None, solutions: Path = SOLUTIONS) -> str:
        """The report; with ``hint=k``, hint k of every region whose task does not pass (from ``solutions``)."""
        check_hint(hint)
        solution_dir = Path(solutions) / self.lab_dir.name
        hints = lab_hints(solution_dir) if solution_dir.is_dir() else []
        try:
            where = self.lab_dir.resolve().relative_to(REPO_ROOT)
        except ValueError:
            where = self.lab_dir
        lines = [f"{lab_title(self.lab_dir)} · {where}"]
        for err in self.collect_errors:
            lines.append(f"  ✗ could not load {err['nodeid'] or 'the lab'}:")
            lines.extend("      " + line for line in err["message"].splitlines())
        if not self.tests and not self.collect_errors:
            lines.append("  no tests were collected")
            if self.output:
                lines.extend("      " + line for line in self.output.strip().splitlines()[-15:])
        tasks = self.tasks
        width = max((len(t.title) for t in tasks), default=0)
        for task in tasks:
            n_pass = sum(t.outcome == "passed" for t in task.tests)
            head = f"  Task {task.number}  {task.title:<{width}}  "
            if task.status == "passed":
                lines.append(f"{head}✓ passed ({n_pass}/{len(task.tests)} tests)")
                continue
            if task.status == "not implemented yet":
                lines.append(f"{head}○ not implemented yet")
            else:
                n_stub = sum(t.not_implemented for t in task.tests)
                stubs = f" ({n_stub} still meet a stub)" if n_stub else ""
                lines.append(f"{head}✗ failed: {n_pass} of {len(task.tests)} tests pass{stubs}")
            lines.extend(_problem_lines(task.tests))
            if hint is not None:
                lines.extend(_hint_lines(task, hints, hint))
        counts = {s: sum(t.status == s for t in tasks) for s in ("passed", "not implemented yet", "failed")}
        summary = f"Summary: {counts['passed']} of {len(tasks)} tasks pass"
        if counts["not implemented yet"]:
            summary += f" · {counts['not implemented yet']} not implemented yet"
        if counts["failed"]:
            summary += f" · {counts['failed']} failing"
        if self.collect_errors:
            summary += " · the lab's code could not be imported (see above)"
        lines.append(summary)
        first_open = next((t for t in tasks if t.status != "passed"), None)
        if first_open is not None and sum(t.status != "passed" for t in tasks) > 1:
            lines.append(f"Start with Task {first_open.number}, the first that does not pass (the tasks are "
                         "numbered in the order to do them), then run the check again.")
        most = max((len(h.hints) for h in hints), default=0)
        if first_open is not None and most > (hint or 1):
            k = (hint or 1) + 1
            lines.append(f"Stuck? `make lab-check WEEK={lab_key(self.lab_dir)} HINT={k}` shows hint {k} for each "
                         f"task that does not pass (in the lab notebook: check({first_open.number}, hint={k})).")
        return "\n".join(lines)

    def summary(self) -> str:
        """One line: how many tasks pass."""
        tasks = self.tasks
        passed = sum(t.status == "passed" for t in tasks)
        return f"{lab_title(self.lab_dir)}: {passed} of {len(tasks)} tasks pass"

    def __repr__(self) -> str:  # check() has printed the whole report already
        return f"<LabReport {self.summary()}>"

    def _ipython_display_(self) -> None:
        """As a notebook cell's value: the whole report, unless check() printed it in this very cell."""
        if self.printed_in_cell is not None and self.printed_in_cell == _ipython_cell():
            return
        print(self.render())


def _problem_lines(tests: list[TestOutcome], limit: int = 6) -> list[str]:
    """Every function still a stub (each once), one line per failing test (at most ``limit``), then
    one multi-line failure in full."""
    stubs: list[str] = []
    failures: list[str] = []
    problems = [t for t in tests if t.outcome != "passed"]
    for t in problems:
        lines = (t.message or t.outcome).splitlines()
        if t.not_implemented:
            # one stub's message, or hypothesis's list of several ("- ..." after a count)
            listed = [line.removeprefix("- ") for line in lines[1:] if line.startswith("- ")]
            new = [f"      ○ {stub.removeprefix('NotImplementedError: ')}" for stub in listed or lines[:1]]
            stubs += [entry for entry in new if entry not in stubs]
        else:
            entry = f"      ✗ {t.name}: {one_line(t.message or t.outcome).removeprefix('AssertionError: ')}"
            if t.example:
                entry += f"\n          failing input: {t.example}"
            if entry not in failures:
                failures.append(entry)
    lines = stubs + failures[:limit]
    if len(failures) > limit:
        lines.append(f"      … and {len(failures) - limit} more")
    detail = next((t for t in problems if not t.not_implemented and t.message and _says_more(t.message)), None)
    if detail is not None:
        lines.append(f"      one failure in full, {detail.name}:")
        lines.extend("        " + line for line in detail.message.splitlines())
    return lines


def _first_statement(message: str) -> tuple[list[str], int]:
    """The first line of ``message`` and the lines an open bracket carries over (a NumPy array:
    "got [[1, 0, -1],\n [0, 1, 0]], expected ..."), and how many lines the message has in all."""
    lines = [line for line in message.strip().splitlines() if line.strip()]
    joined, depth = [], 0
    for line in lines:
        if joined and depth <= 0:
            break
        joined.append(line)
        depth += sum(line.count(c) for c in "([{") - sum(line.count(c) for c in ")]}")
    return joined, len(lines)


def one_line(message: str, limit: int = 320) -> str:
    """The first statement of ``message`` on one line, so that a value printed over several lines
    keeps its end (and the expected value after it)."""
    joined, _ = _first_statement(message)
    text = " ".join(" ".join(joined).split()) if len(joined) > 1 else "".join(joined).rstrip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _says_more(message: str) -> bool:
    """True when ``message`` goes on past the statement :func:`one_line` shows."""
    joined, total = _first_statement(message)
    return total > len(joined)


def _hint_lines(task: TaskResult, hints: list[LabHint], k: int) -> list[str]:
    """Hint ``k`` of each region of ``task``: the regions that name the task, or, for regions written
    without one, those whose function the task's stubs report as not implemented yet."""
    stub_messages = "\n".join(t.message or "" for t in task.tests if t.not_implemented)
    mine = [h for h in hints if h.task == task.number
            or (h.task is None and f" · {h.where} in {h.file}:" in stub_messages)]
    lines = []
    for region in mine:
        if not region.hints:
            continue
        shown = min(k, len(region.hints))
        last = " (the last there is: next, the solution page)" if k >= len(region.hints) else ""
        if k > len(region.hints):  # say so, rather than show an earlier hint as if it were hint k
            count = "is only 1 hint" if len(region.hints) == 1 else f"are only {len(region.hints)} hints"
            lines.append(f"      There {count} for this task; showing hint {shown} (you asked for hint {k}).")
        lines.append(f"      Hint {shown} of {len(region.hints)}{last} · {region.where} in {region.file}:")
        lines.extend(f"        {line}" for line in region.hints[shown - 1].splitlines())
    if not lines and not mine and hints and all(h.task is not None for h in hints):
        lines.append(f"      (Task {task.number} has no code of its own to write: it tests what the other tasks wrote)")
    elif not lines:
        lines.append(f"      (no hints for Task {task.number})")
    return lines


def available_labs(root: Path = LABS) -> list[Path]:
    if not root.exists():
        return []
    labs = [p for p in root.iterdir() if p.is_dir() and LAB_DIR_RE.match(p.name)]
    return sorted(labs, key=lambda p: (lab_key(p) in NAMED_LABS, p.name))  # the weeks, then Part III's


def find_lab(week: str | int, root: Path = LABS) -> Path:
    """The lab folder of ``week`` under ``root``; a clear error otherwise.

    ``week`` is a week number ("01", "1", 1), a Part III name ("capstone",
    "mlops", "vector"), or a lab folder's own name ("week01_autodiff",
    "mlops_lifecycle"), as the error's listing shows them.
    """
    labs = available_labs(root)
    listing = ", ".join(f"{lab_key(p)} ({p.name})" for p in labs) or "none"
    wanted = str(week).strip().strip("/").lower()
    example = lab_key(labs[0]) if labs else "01"
    if not wanted:
        raise LookupError(f"Say which lab to check, e.g. make lab-check WEEK={example}. Labs that exist: {listing}")
    by_folder = {lab.name.lower(): lab for lab in labs}
    if Path(wanted).name in by_folder:  # the folder's name, or labs/<name>
        return by_folder[Path(wanted).name]
    if wanted not in NAMED_LABS:
        try:
            wanted = f"{int(wanted):02d}"
        except ValueError:
            raise LookupError(f"WEEK is a lab's week number, e.g. WEEK={example}, one of "
                              f"{', '.join(NAMED_LABS)}, or a lab folder's name; got {week!r}. "
                              f"Labs that exist: {listing}") from None
    for lab in labs:
        if lab_key(lab) == wanted:
            return lab
    missing = f"{wanted} lab" if wanted in NAMED_LABS else f"lab for week {wanted}"
    raise LookupError(f"There is no {missing}. Labs that exist: {listing}")


def run_lab(lab_dir: Path, task: int | None = None, *, timeout: float = 900,
            extra_args: tuple[str, ...] = ()) -> LabReport:
    """Run the tests in ``lab_dir`` with pytest in a subprocess; return the report.

    ``extra_args`` go to pytest (e.g. the collect plugin's ``--lab-task-map``).
    Under ``make test`` a run is looked up first in the run's results cache
    (:mod:`aimastery.labs.results_cache`), keyed by every file of the lab.
    """
    lab_dir = Path(lab_dir).resolve()
    cache = ResultsCache.from_env()
    if cache is None:
        data = _run_pytest(lab_dir, task, timeout, extra_args)
    else:  # the whole lab once, then every task's report from that run
        key = cache.key(lab_dir, extra_args)
        data = cache.load(key)
        if data is None:
            data = _run_pytest(lab_dir, None, timeout, extra_args)
            cache.store(key, data)
        if task is not None:
            data = {**data, "tests": [t for t in data["tests"] if t["task"] == task]}
    tests = [TestOutcome(**t) for t in data["tests"]]
    return LabReport(lab_dir, tests, data["collect_errors"], data["returncode"], data["output"])


def _run_pytest(lab_dir: Path, task: int | None, timeout: float, extra_args: tuple[str, ...]) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        results = Path(tmp) / "results.json"
        cmd = [sys.executable, "-m", "pytest", str(lab_dir), "-p", "aimastery.labs.collect",
               f"--lab-results={results}", "-q", "--no-header", "-rN", "--tb=no", "-p", "no:cacheprovider",
               f"--timeout={TEST_TIMEOUT}"]
        if task is not None:
            cmd.append(f"--lab-task={task}")
        cmd.extend(extra_args)
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
        proc = subprocess.run(cmd, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=timeout)
        output = proc.stdout + proc.stderr
        if not results.exists():
            return {"tests": [], "collect_errors": [{"nodeid": "", "message": output}],
                    "returncode": proc.returncode, "output": output}
        data = json.loads(results.read_text(encoding="utf-8"))
    return {"tests": data["tests"], "collect_errors": data["collect_errors"], "returncode": proc.returncode,
            "output": output}


def _ipython_cell() -> int | None:
    """The number of the notebook cell running now, or None outside IPython."""
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    shell = get_ipython()
    return None if shell is None else shell.execution_count


def check(task: int | None = None, lab_dir: str | Path = ".", hint: int | None = None) -> LabReport:
    """Run this lab's tests (all, or one task's), print the report and return it.

    Call it from a lab notebook, whose working folder is the lab's folder. It
    prints wherever it is called (mid-cell, in a loop, in a script); the
    returned report says ``all_passed`` and lists ``tasks``. ``hint=k``
    adds hint k for each task that does not pass.
    """
    lab_dir = Path(lab_dir).resolve()
    if not LAB_DIR_RE.match(lab_dir.name):
        raise ValueError(f"check() runs in a lab folder such as labs/week01_autodiff; this one is {lab_dir.name}")
    check_hint(hint)  # before the tests run
    report = run_lab(lab_dir, task)
    print(report.render(hint))
    report.printed_in_cell = _ipython_cell()
    return report
