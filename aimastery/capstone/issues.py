"""The ``Issue`` record, the four labels, and the hash that names a data set.

Taught in the capstone chapter (book/capstone_issue_classifier.md).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass

#: The classes the classifier predicts, in the order of its outputs.
LABELS: tuple[str, ...] = ("bug", "feature", "question", "documentation")


@dataclass(frozen=True)
class Issue:
    """One issue: its title, its body (may be empty) and its label."""

    title: str
    body: str
    label: str

    def __post_init__(self) -> None:
        if self.label not in LABELS:
            raise ValueError(f"unknown label {self.label!r}; the labels are {', '.join(LABELS)}")

    @property
    def text(self) -> str:
        """What the models read: the title, a newline, the body."""
        return issue_text(self.title, self.body)


def issue_text(title: str, body: str) -> str:
    """The one place that joins a title and a body (training and serving agree)."""
    return f"{title}\n{body}"


def dataset_hash(issues: Iterable[Issue]) -> str:
    """SHA-256 of the issues in order (title, body, label as JSON lines).

    Two trainings on the same data record the same hash in their manifests;
    one changed character anywhere changes it.
    """
    h = hashlib.sha256()
    for issue in issues:
        line = json.dumps([issue.title, issue.body, issue.label], ensure_ascii=False)
        h.update(line.encode("utf-8", "surrogatepass"))
        h.update(b"\n")
    return h.hexdigest()
