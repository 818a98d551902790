"""Load real exported issues (JSONL, JSON or CSV) and report every bad row by line.

Taught in the capstone chapter (book/capstone_issue_classifier.md). Train on
your own repository's history with, for example::

    gh issue list --state all --limit 5000 --json title,body,labels > issues.json
    python -m aimastery.capstone train --data issues.json

Accepted files:

* ``.jsonl`` — one JSON object per line;
* ``.json`` — one JSON array of objects (what ``gh issue list --json`` and
  the REST API's ``/issues`` write);
* ``.csv`` — a header row with ``title``, ``body`` and ``labels`` columns.

Each issue needs a non-empty ``title``; ``body`` may be missing or null (many
real issues have none). ``labels`` may be a list of names, a list of objects
with a ``name`` (as GitHub writes them), or one comma-separated string (CSV).
Label names are matched case-insensitively through :data:`LABEL_ALIASES`
(``enhancement`` is a *feature*, ``docs`` is *documentation*, ...); an issue
must map to exactly one of the four labels. Pull requests (objects with a
``pull_request`` key) are not issues.

A row that breaks a rule is never guessed at: it is reported with its line
number (its item number in a ``.json`` array) and skipped, or, with
``on_error="raise"``, the load fails listing the problems.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from aimastery.capstone.issues import LABELS, Issue

#: Label names seen in real repositories, lower-cased, for each of the four labels.
LABEL_ALIASES: dict[str, tuple[str, ...]] = {
    "bug": ("bug", "type: bug", "kind/bug", "type/bug", "defect", "crash", "regression"),
    "feature": ("feature", "enhancement", "feature request", "type: feature", "kind/feature",
                "type/feature", "type: enhancement", "new feature"),
    "question": ("question", "type: question", "kind/question", "support", "help", "usage question"),
    "documentation": ("documentation", "docs", "doc", "type: docs", "type: documentation",
                      "kind/documentation", "area/docs"),
}
_ALIAS_TO_LABEL = {alias: label for label, aliases in LABEL_ALIASES.items() for alias in aliases}
SUFFIXES = (".jsonl", ".json", ".csv")


class IssueDataError(ValueError):
    """An export that cannot be used (unreadable, wrong format, or bad rows with on_error="raise")."""


@dataclass(frozen=True)
class RowProblem:
    """One rejected row: where it is (``line``, 1-based; the item number in a JSON array) and why."""

    line: int
    reason: str
    unit: str = "line"

    def __str__(self) -> str:
        return f"{self.unit} {self.line}: {self.reason}"


@dataclass
class LoadResult:
    """The issues that passed, the rows that did not, and the file they came from."""

    path: Path
    issues: list[Issue] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)

    def summary(self, max_problems: int = 10) -> str:
        lines = [f"{self.path.name}: {len(self.issues)} issues loaded, {len(self.problems)} rows skipped"]
        lines += [f"  {p}" for p in self.problems[:max_problems]]
        if len(self.problems) > max_problems:
            lines.append(f"  ... and {len(self.problems) - max_problems} more")
        return "\n".join(lines)


def map_label(names: list[str]) -> str:
    """The one course label that ``names`` (an issue's labels) map to; ValueError otherwise."""
    found = {_ALIAS_TO_LABEL[n.strip().lower()] for n in names if n.strip().lower() in _ALIAS_TO_LABEL}
    if len(found) == 1:
        return found.pop()
    if not found:
        shown = ", ".join(repr(n) for n in names) or "none"
        raise ValueError(f"no known label (labels: {shown}); accepted: {', '.join(LABELS)} "
                         f"or an alias such as 'enhancement' or 'docs'")
    raise ValueError(f"labels map to several classes ({', '.join(sorted(found))}); an issue needs exactly one")


def _label_names(raw: Any) -> list[str]:
    if raw is None:
        return []
    if isinstance(raw, str):
        return [part for part in raw.split(",") if part.strip()]
    if isinstance(raw, list):
        names = []
        for item in raw:
            if isinstance(item, str):
                names.append(item)
            elif isinstance(item, dict) and isinstance(item.get("name"), str):
                names.append(item["name"])
            else:
                raise ValueError(f"a label must be a name or an object with a 'name', got {item!r:.60}")
        return names
    raise ValueError(f"'labels' must be a list or a comma-separated string, got {type(raw).__name__}")


def parse_record(record: Any) -> Issue:
    """One exported issue (a dict) as an Issue; ValueError saying what is wrong."""
    if not isinstance(record, dict):
        raise ValueError(f"expected an object with title, body and labels, got {type(record).__name__}")
    if record.get("pull_request"):
        raise ValueError("a pull request, not an issue")
    title = record.get("title")
    if not isinstance(title, str) or not title.strip():
        raise ValueError("missing title" if title is None or title == "" else
                         "the title is blank" if isinstance(title, str) else
                         f"the title must be text, got {type(title).__name__}")
    body = record.get("body")
    if body is None:
        body = ""
    elif not isinstance(body, str):
        raise ValueError(f"the body must be text or null, got {type(body).__name__}")
    if "labels" not in record:
        raise ValueError("no 'labels' field")
    return Issue(title=title.strip(), body=body, label=map_label(_label_names(record["labels"])))


def _jsonl_records(text: str) -> Iterator[tuple[int, Any]]:
    # split on "\n" only: str.splitlines() also splits on U+2028 and other
    # characters that JSON allows inside strings, and would miscount lines
    for number, line in enumerate(text.split("\n"), start=1):
        line = line.removesuffix("\r")
        if not line.strip():
            continue
        try:
            yield number, json.loads(line)
        except json.JSONDecodeError as err:
            yield number, ValueError(f"not valid JSON ({err.msg} at column {err.colno})")


def _json_records(text: str) -> Iterator[tuple[int, Any]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise IssueDataError(f"not valid JSON: {err.msg} at line {err.lineno}, column {err.colno}") from None
    if not isinstance(data, list):
        raise IssueDataError(f"a .json export is an array of issues, got a {type(data).__name__} "
                             f"(one object per line? name the file .jsonl)")
    yield from enumerate(data, start=1)


def _csv_records(text: str) -> Iterator[tuple[int, Any]]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    columns = {c.strip().lower() for c in reader.fieldnames or []}
    missing = {"title", "labels"} - columns
    if missing:
        raise IssueDataError(f"the CSV header needs title and labels columns (body is optional); "
                             f"missing {', '.join(sorted(missing))} (found: {', '.join(sorted(columns)) or 'none'})")
    start = reader.line_num + 1
    for row in reader:  # a quoted body may span several lines: report where the row starts
        if None in row:
            yield start, ValueError(f"{len(row) - 1 + len(row[None])} fields, the header has {len(row) - 1}")
        else:
            yield start, {k.strip().lower(): v for k, v in row.items() if k is not None}
        start = reader.line_num + 1


def load_issues(path: str | Path, *, on_error: Literal["skip", "raise"] = "skip") -> LoadResult:
    """Read an export of issues; skip (and report) or reject the bad rows.

    Raises :class:`IssueDataError` when the file cannot be read at all, when
    no row is usable, or, with ``on_error="raise"``, when any row is bad.
    """
    if on_error not in ("skip", "raise"):
        raise ValueError(f"on_error is 'skip' or 'raise', got {on_error!r}")
    path = Path(path)
    if path.suffix.lower() not in SUFFIXES:
        raise IssueDataError(f"{path.name}: expected a {', '.join(SUFFIXES)} file, got {path.suffix or 'no suffix'}")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise IssueDataError(f"{path}: no such file") from None
    except UnicodeDecodeError as err:
        raise IssueDataError(f"{path.name}: not UTF-8 text (byte {err.start})") from None
    reader = {".jsonl": _jsonl_records, ".json": _json_records, ".csv": _csv_records}[path.suffix.lower()]
    unit = "item" if path.suffix.lower() == ".json" else "line"
    result = LoadResult(path)
    try:
        for number, record in reader(text):
            try:
                if isinstance(record, ValueError):
                    raise record
                result.issues.append(parse_record(record))
            except ValueError as err:
                result.problems.append(RowProblem(number, str(err), unit))
    except csv.Error as err:
        raise IssueDataError(f"{path.name}: not a readable CSV file ({err})") from None
    if result.problems and on_error == "raise":
        raise IssueDataError(result.summary())
    if not result.issues:
        raise IssueDataError(f"{path.name}: no usable issue in the file\n{result.summary()}")
    return result
