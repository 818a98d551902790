"""Each chapter's execution time, recorded by the book build and checked against its budget.

A chapter runs in about a minute on a laptop CPU: that is a promise of the
course, and ``make test`` keeps it. The book build (the only place a chapter is
executed in a test run) records how long each notebook took, and this check
fails when one passed its budget:

* 60 s for a chapter;
* up to 90 s for a chapter that trains a model and says so in its Jupytext
  header::

      aimastery:
        execution_budget_s: 90

The times come from myst-nb's execution data: for a chapter taken from the
execution cache, the time of the run that filled the cache.

    python -m aimastery.devtools.budgets [--times _build/execution-times.json]
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from aimastery.atomic import write_text_atomic
from aimastery.config import REPO_ROOT

#: Where the build writes the times (next to the HTML, not inside it).
TIMES_FILE = REPO_ROOT / "_build" / "execution-times.json"
#: A chapter's budget, in seconds, unless its header asks for the training budget.
DEFAULT_BUDGET_S = 60.0
#: The longest budget any chapter may declare (a training chapter's).
MAX_BUDGET_S = 90.0


class BudgetError(ValueError):
    """A chapter header whose ``aimastery.execution_budget_s`` is not a budget the course allows."""


@dataclass(frozen=True)
class Execution:
    docname: str
    runtime_s: float | None
    budget_s: float
    executed_now: bool  # False when the build took the chapter from its execution cache
    succeeded: bool

    @property
    def over_budget(self) -> bool:
        return self.runtime_s is not None and self.runtime_s > self.budget_s


def budget_from_metadata(docname: str, metadata: dict) -> float:
    """The budget a chapter's notebook metadata declares, checked; the default when it declares none."""
    section = metadata.get("aimastery") or {}
    if isinstance(section, str):  # Sphinx may keep a nested header value as JSON text
        try:
            section = json.loads(section)
        except json.JSONDecodeError:
            raise BudgetError(f"{docname}: the header's `aimastery:` must be a mapping, got {section!r}") from None
    if not isinstance(section, dict):
        raise BudgetError(f"{docname}: the header's `aimastery:` must be a mapping, got {section!r}")
    value = section.get("execution_budget_s", DEFAULT_BUDGET_S)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= MAX_BUDGET_S:
        raise BudgetError(f"{docname}: aimastery.execution_budget_s must be a number of seconds above 0 and "
                          f"at most {MAX_BUDGET_S:g} (the budget of a training chapter), got {value!r}")
    return float(value)


def write_times(executions: list[Execution], path: Path = TIMES_FILE) -> None:
    rows = sorted((asdict(e) for e in executions), key=lambda r: r["docname"])
    write_text_atomic(path, json.dumps({"chapters": rows}, indent=1) + "\n")


def read_times(path: Path = TIMES_FILE) -> list[Execution]:
    """The recorded executions; a clear error when the file is missing or not what the build writes."""
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist: build the book first (make book)")
    try:
        rows = json.loads(path.read_text(encoding="utf-8"))["chapters"]
        return [Execution(**row) for row in rows]
    except (json.JSONDecodeError, KeyError, TypeError) as err:
        raise ValueError(f"{path} is not the execution-times file the book build writes ({err}); "
                         "rebuild the book") from None


def report(executions: list[Execution]) -> tuple[str, bool]:
    """A table of every executed chapter, slowest first, and whether all kept their budgets."""
    timed = sorted((e for e in executions if e.runtime_s is not None), key=lambda e: -e.runtime_s)
    width = max((len(e.docname) for e in timed), default=10)
    lines = [f"{'chapter':<{width}}  {'time':>7}  {'budget':>6}"]
    for e in timed:
        mark = "  OVER BUDGET" if e.over_budget else ""
        cached = "" if e.executed_now else "  (from the execution cache)"
        lines.append(f"{e.docname:<{width}}  {e.runtime_s:6.1f}s  {e.budget_s:5.0f}s{mark}{cached}")
    total = sum(e.runtime_s for e in timed)
    lines.append(f"{len(timed)} chapters, {total:.0f} s of execution in all")
    failed = [e.docname for e in executions if not e.succeeded]
    if failed:
        lines.append(f"did not execute: {', '.join(failed)}")
    over = [e for e in timed if e.over_budget]
    for e in over:
        lines.append(f"{e.docname} took {e.runtime_s:.1f} s, over its {e.budget_s:.0f} s budget: make it faster "
                     f"(a chapter that trains a model may declare up to {MAX_BUDGET_S:.0f} s in its header)")
    return "\n".join(lines), not over and not failed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m aimastery.devtools.budgets", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--times", type=Path, default=TIMES_FILE, help="the file the book build writes")
    args = parser.parse_args(argv)
    try:
        executions = read_times(args.times)
    except (FileNotFoundError, ValueError) as err:
        print(err, file=sys.stderr)
        return 2
    text, ok = report(executions)
    print(text)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
