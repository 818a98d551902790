"""A retrieval corpus made of the course's own pages, and its labelled queries.

Taught in ``book/sysdesign/rag_at_scale.md``. The pages are split into
passages under their headings; a query's relevant passages are named by
*source file and section heading*, read from a committed JSON file
(``rag_queries.json`` beside this module), so the labels survive other
chapters being added or edited. When a labelled heading disappears,
:func:`check_labels` fails and says which query, which file and which
headings the file has now.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from aimastery.config import REPO_ROOT

#: The committed query set (and the list of pages it searches).
QUERY_FILE = Path(__file__).with_name("rag_queries.json")


@dataclass(frozen=True)
class Passage:
    """A piece of one page: at most ``max_words`` words under one heading."""

    pid: int
    source: str  # path relative to the repository root
    section: str  # the nearest heading above the text
    text: str

    @property
    def section_id(self) -> tuple[str, str]:
        return (self.source, self.section)


class Label(BaseModel):
    model_config = ConfigDict(extra="forbid")
    source: str = Field(min_length=1)
    section: str = Field(min_length=1)


class Query(BaseModel):
    model_config = ConfigDict(extra="forbid")
    query: str = Field(min_length=3)
    relevant: list[Label] = Field(min_length=1)
    kind: str = Field(pattern="^(lexical|paraphrase)$")


class QuerySet(BaseModel):
    model_config = ConfigDict(extra="forbid")
    description: str
    corpus: list[str] = Field(min_length=1)
    queries: list[Query] = Field(min_length=1)


class CorpusLabelError(LookupError):
    """A query's label names a file or a section the corpus no longer has."""


_FENCE = re.compile(r"^(`{3,}|:{3,})(.*)$")
_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_ROLE_DROP = re.compile(r"\{(glue:text|glue|cite:t|cite:p|cite|numref|eq)\}`[^`]*`")
_ROLE_KEEP = re.compile(r"\{(ref|doc|term|math)\}`([^`<]*?)(?:\s*<[^>]*>)?`")
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")


def clean_markdown(text: str) -> list[tuple[int, str, str]]:
    """``(level, heading, paragraph)`` triples of a MyST page's prose.

    Dropped: the YAML header, code cells and code blocks, directive options,
    ``(label)=`` targets, and roles whose text is not prose (glue, cite).
    Directive bodies (exercises, admonitions) are kept as prose.
    """
    lines = text.splitlines()
    if lines and lines[0].strip() == "---":
        end = next((i for i in range(1, len(lines)) if lines[i].strip() == "---"), 0)
        lines = lines[end + 1:]
    out: list[tuple[int, str, str]] = []
    level, heading, para = 0, "", []
    stack: list[tuple[str, bool]] = []  # open fences: (marker, is code)

    def flush():
        if para:
            joined = " ".join(para).strip()
            if joined:
                out.append((level, heading, joined))
            para.clear()

    for line in lines:
        fence = _FENCE.match(line.strip())
        if fence:
            marker, rest = fence.groups()
            if stack and stack[-1][0] == marker and not rest.strip():
                stack.pop()
                flush()
                continue
            if not stack or not stack[-1][1]:
                is_code = not rest.startswith("{") or rest.startswith("{code-cell}")
                stack.append((marker, is_code))
                flush()
                title = re.sub(r"^\{[\w:-]+\}\s*", "", rest).strip()
                if not is_code and title and not rest.startswith(("{solution", "{bibliography")):
                    para.append(title + ".")  # a directive's title, e.g. an exercise's
                continue
        if any(is_code for _, is_code in stack):
            continue
        stripped = line.strip()
        if stack and re.match(r"^:[\w-]+:", stripped):
            continue  # a directive option such as :label: or :class:
        if re.match(r"^\([\w-]+\)=$", stripped):
            continue
        head = _HEADING.match(stripped) if not stack else None
        if head:
            flush()
            level, heading = len(head.group(1)), head.group(2)
            continue
        if not stripped:
            flush()
            continue
        stripped = _ROLE_DROP.sub("", stripped)
        stripped = _ROLE_KEEP.sub(r"\2", stripped)
        stripped = _LINK.sub(r"\1", stripped)
        para.append(stripped)
    flush()
    return out


def split_page(text: str, source: str, max_words: int = 90, first_pid: int = 0) -> list[Passage]:
    """Pack each section's paragraphs into passages of at most ``max_words`` words.

    Each passage starts with its page title and heading ("Week 1 · Autodiff —
    Derivatives, numerically: ..."), so a passage read alone says where it
    comes from. A paragraph longer than ``max_words`` is cut into pieces.
    """
    if max_words < 10:
        raise ValueError(f"max_words must be at least 10, got {max_words}")
    items = clean_markdown(text)
    title = next((h for lvl, h, _ in items if lvl == 1), Path(source).stem)
    passages: list[Passage] = []
    current: list[str] = []
    current_heading = None

    def emit():
        if current:
            head = title if current_heading in (title, "") else f"{title} — {current_heading}"
            passages.append(Passage(first_pid + len(passages), source, current_heading or title,
                                    f"{head}: " + " ".join(current)))
            current.clear()

    for _, heading, para in items:
        if heading != current_heading:
            emit()
            current_heading = heading
        words = para.split()
        for start in range(0, len(words), max_words):
            piece = words[start:start + max_words]
            if len(current) + len(piece) > max_words:
                emit()
            current.extend(piece)
    emit()
    return passages


def load_query_set(path: Path = QUERY_FILE) -> QuerySet:
    """Read and validate the query file; a clear error says what is wrong."""
    try:
        raw = json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise FileNotFoundError(f"no query file at {path}") from None
    except json.JSONDecodeError as err:
        raise ValueError(f"{path} is not valid JSON: {err}") from None
    try:
        return QuerySet.model_validate(raw)
    except ValidationError as err:
        raise ValueError(f"{path} does not have the expected shape "
                         f"(description, corpus: [paths], queries: [{{query, kind, relevant: "
                         f"[{{source, section}}]}}]):\n{err}") from None


def build_corpus(files: list[str], root: Path = REPO_ROOT, max_words: int = 90) -> list[Passage]:
    """Split every listed page (paths relative to ``root``) into passages."""
    passages: list[Passage] = []
    for rel in files:
        path = root / rel
        if not path.is_file():
            raise CorpusLabelError(f"the corpus lists {rel}, which does not exist under the repository root")
        passages += split_page(path.read_text(), rel, max_words=max_words, first_pid=len(passages))
    return passages


def check_labels(queries: list[Query], passages: list[Passage]) -> None:
    """Fail clearly if any label names a file or section the corpus does not have."""
    sections: dict[str, list[str]] = {}
    for p in passages:
        names = sections.setdefault(p.source, [])
        if p.section not in names:
            names.append(p.section)
    problems = []
    for i, q in enumerate(queries):
        for label in q.relevant:
            if label.source not in sections:
                problems.append(f"query {i} ({q.query!r}) labels {label.source}, which is not in the corpus "
                                f"(corpus files: {sorted(sections)})")
            elif label.section not in sections[label.source]:
                problems.append(f"query {i} ({q.query!r}) labels the section {label.section!r} of "
                                f"{label.source}, which has no such heading now; its headings are: "
                                f"{sections[label.source]}")
    if problems:
        raise CorpusLabelError("the query labels no longer match the corpus; update "
                               f"{QUERY_FILE.name}:\n- " + "\n- ".join(problems))


def relevant_sections(query: Query) -> set[tuple[str, str]]:
    return {(label.source, label.section) for label in query.relevant}
