"""The book's sources as data: the pages ``_toc.yml`` lists (and under which part), a page's code.

Used by the source tests (``tests/test_book_sources.py``,
``tests/test_interview_pages.py``), which check the chapter shape of
``book/contributing.md`` without building the book; the build itself reads
``_toc.yml`` through sphinx-external-toc.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from aimastery.config import REPO_ROOT

TOC_FILE = REPO_ROOT / "_toc.yml"


def load_toc(path: Path = TOC_FILE) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def toc_files(toc: dict | None = None) -> list[str]:
    """Every page the table of contents lists (paths without ``.md``), the root first."""
    toc = load_toc() if toc is None else toc
    files, stack = [toc["root"]], list(toc.get("parts", []))
    while stack:
        entry = stack.pop()
        children = entry.get("chapters", []) + entry.get("sections", [])
        files += [c["file"] for c in children if "file" in c]
        stack += children
    return files


def part_files(caption: str, toc: dict | None = None) -> list[str]:
    """The pages of the part titled ``caption``, in order (a part's chapters and their sections)."""
    toc = load_toc() if toc is None else toc
    part = next((p for p in toc.get("parts", []) if p.get("caption") == caption), None)
    if part is None:
        raise KeyError(f"_toc.yml has no part {caption!r}; its parts: {[p.get('caption') for p in toc['parts']]}")
    files = []
    for chapter in part.get("chapters", []):
        files.append(chapter["file"])
        files += [s["file"] for s in chapter.get("sections", [])]
    return files


def code_lines(text: str) -> list[str]:
    """The lines of a MyST notebook's code cells (what the page shows as code).

    A cell's metadata block (``---`` lines right after the opening fence:
    tags, alt text) is not shown, so it is not counted.
    """
    lines, inside, metadata = [], False, False
    for line in text.splitlines():
        if line.startswith("```{code-cell}"):
            inside, metadata, first = True, False, True
            continue
        if inside and line.startswith("```"):
            inside = False
        elif inside and line == "---" and (first or metadata):
            metadata = not metadata  # opens on the cell's first line, closes on the next ---
        elif inside and not metadata:
            lines.append(line)
        first = False
    return lines
