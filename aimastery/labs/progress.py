"""Where a learner stands: every lab's checker run on their own ``labs/``, as a table and a web page.

``make progress`` runs ``python -m aimastery.labs progress``: each lab's tests
(two labs at a time, each in its own pytest process, as ``make lab-check``
runs them), then prints one row per lab — tasks passed of the total, and the
first task that does not pass — and writes the same table as
``_build/progress.html``, each lab linked to its chapter and its notebook in
the built book. A lab whose code does not import is reported as such; the
other labs are still checked. The task totals come from the tests' task
markers, read as text, so a lab that does not import still shows its total.
"""

from __future__ import annotations

import html
import os
import re
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from aimastery.atomic import write_text_atomic
from aimastery.config import REPO_ROOT
from aimastery.labs.generate import LABS, lab_title
from aimastery.labs.hints import lab_tasks
from aimastery.labs.runner import LabReport, available_labs, run_lab

PAGE = REPO_ROOT / "_build" / "progress.html"
BOOK_SOURCES = REPO_ROOT / "book"
BUILT_BOOK = REPO_ROOT / "_build" / "html"
REF_RE = re.compile(r"\{ref\}`([A-Za-z0-9_-]+)`")
LABEL_RE = re.compile(r"^\(([A-Za-z0-9_-]+)\)=\s*$", re.MULTILINE)


@dataclass
class LabProgress:
    lab_dir: Path
    tasks: dict[int, str]  # number -> title, from the test files
    passed: list[int]
    first_open: tuple[int, str, str] | None  # (task, title, status) of the first task that does not pass
    problem: str | None = None  # the lab could not be run or imported

    @property
    def title(self) -> str:
        return lab_title(self.lab_dir)

    @property
    def score(self) -> str:
        return f"{len(self.passed)} / {len(self.tasks)}"

    @property
    def next_step(self) -> str:
        if self.problem:
            return self.problem
        if self.first_open is None:
            return "all tasks pass"
        number, title, status = self.first_open
        return f"Task {number} · {title} ({status})"


FILE_LINE_RE = re.compile(r'File "(?P<path>[^"]+)", line (?P<line>\d+)')


def _first_error_line(report: LabReport) -> str:
    """"does not import (losses.py, line 44): SyntaxError: ...": the learner's file, else the test file."""
    err = report.collect_errors[0]
    lines = [line.strip() for line in err["message"].splitlines() if line.strip()]
    where = err["nodeid"] or "the lab"
    mine = [m for m in FILE_LINE_RE.finditer(err["message"]) if Path(m["path"]).parent == report.lab_dir]
    if mine:
        where = f"{Path(mine[-1]['path']).name}, line {mine[-1]['line']}"
    return f"does not import ({where}): {lines[-1] if lines else 'see make lab-check'}"


def lab_progress(lab_dir: Path, timeout: float = 900) -> LabProgress:
    """Run one lab's tests and summarise them."""
    tasks = lab_tasks(lab_dir)
    try:
        report = run_lab(lab_dir, timeout=timeout)
    except subprocess.TimeoutExpired:
        return LabProgress(lab_dir, tasks, [], None, f"stopped after {timeout:.0f} s: an endless loop?")
    ran = {t.number: t for t in report.tasks}
    passed = [n for n in tasks if n in ran and ran[n].status == "passed"]
    first_open = None
    for number, title in tasks.items():
        if number not in passed:
            status = ran[number].status if number in ran else "not run: its tests did not load"
            first_open = (number, title, status)
            break
    problem = _first_error_line(report) if report.collect_errors else None
    if not report.tests and not report.collect_errors:
        problem = "no tests were collected"
    return LabProgress(lab_dir, tasks, passed, first_open, problem)


def check_all(root: Path = LABS, jobs: int = 2) -> list[LabProgress]:
    """Every lab under ``root``, ``jobs`` at a time, in the book's order (the weeks, then the capstone)."""
    labs = available_labs(root)
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        return list(pool.map(lab_progress, labs))


def render_table(rows: list[LabProgress]) -> str:
    head = ("Lab", "Tasks passed", "First task not passing")
    cells = [(r.title, r.score, r.next_step) for r in rows]
    widths = [max(len(c[i]) for c in [head, *cells]) for i in range(2)]
    lines = [f"{head[0]:<{widths[0]}}  {head[1]:>{widths[1]}}  {head[2]}"]
    lines.append("-" * len(lines[0]))
    lines += [f"{a:<{widths[0]}}  {b:>{widths[1]}}  {c}" for a, b, c in cells]
    done = sum(len(r.passed) for r in rows)
    total = sum(len(r.tasks) for r in rows)
    lines.append(f"{done} of {total} tasks pass over {len(rows)} labs")
    return "\n".join(lines)


def chapter_of(lab_dir: Path, book: Path = BOOK_SOURCES) -> Path | None:
    """The chapter a lab belongs to: the first page its lab.md refers to, found by its label."""
    notebook = lab_dir / "lab.md"
    if not notebook.exists():
        return None
    refs = REF_RE.findall(notebook.read_text(encoding="utf-8"))
    if not refs:
        return None
    for page in sorted(book.rglob("*.md")):
        if refs[0] in LABEL_RE.findall(page.read_text(encoding="utf-8")):
            return page
    return None


def render_html(rows: list[LabProgress], page: Path = PAGE, book_sources: Path = BOOK_SOURCES,
                built: Path = BUILT_BOOK) -> str:
    """The table as a small self-contained page; links are relative to where ``page`` is written."""

    def link(target: Path, text: str) -> str:
        href = Path(os.path.relpath(target, page.parent)).as_posix()
        return f'<a href="{html.escape(href)}">{html.escape(text)}</a>'

    body = []
    for r in rows:
        chapter = chapter_of(r.lab_dir, book_sources)
        lab_cell = html.escape(r.title)
        notebook = built / "labs" / r.lab_dir.name / "lab.html"
        if notebook.exists():
            lab_cell = link(notebook, r.title)
        if chapter is not None:
            target = built / chapter.relative_to(book_sources.parent).with_suffix(".html")
            title = next((line[2:].strip() for line in chapter.read_text(encoding="utf-8").splitlines()
                          if line.startswith("# ")), "the chapter")
            lab_cell += f'<br><span class="chapter">chapter: {link(target, title)}</span>'
        state = "done" if r.first_open is None and not r.problem else "problem" if r.problem else "open"
        body.append(f'<tr class="{state}"><th scope="row">{lab_cell}</th><td>{html.escape(r.score)}</td>'
                    f"<td>{html.escape(r.next_step)}</td></tr>")
    done = sum(len(r.passed) for r in rows)
    total = sum(len(r.tasks) for r in rows)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>AI Mastery · your progress in the labs</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 56rem; margin: 2rem auto; padding: 0 1rem; color: #1a1a1a; }}
table {{ border-collapse: collapse; width: 100%; }}
th, td {{ text-align: left; padding: 0.4rem 0.6rem; border-bottom: 1px solid #ccc; }}
thead th {{ border-bottom: 2px solid #333; }}
tr.done td:nth-child(2) {{ color: #1b5e20; font-weight: bold; }}
tr.problem td:last-child {{ color: #8b0000; }}
a {{ color: #0b5394; }}
.chapter {{ font-weight: normal; font-size: 0.9em; }}
</style>
</head>
<body>
<main>
<h1>Your progress in the labs</h1>
<p>{done} of {total} tasks pass over {len(rows)} labs. Written by <code>make progress</code>, which ran every
lab's tests on your code in <code>labs/</code>; <code>make lab-check WEEK=NN</code> shows one lab in detail.</p>
<table>
<thead><tr><th scope="col">Lab</th><th scope="col">Tasks passed</th><th scope="col">First task not passing</th></tr></thead>
<tbody>
{chr(10).join(body)}
</tbody>
</table>
</main>
</body>
</html>
"""


def write_page(rows: list[LabProgress], page: Path = PAGE) -> Path:
    page.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(page, render_html(rows, page))
    return page
