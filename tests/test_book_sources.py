"""The chapter shape every page of the book keeps (book/contributing.md)."""

from __future__ import annotations

import re
from pathlib import Path

import jupytext
import pytest
import yaml
from jupytext.config import load_jupytext_configuration_file

from aimastery.config import REPO_ROOT
from aimastery.devtools.book_sources import code_lines, toc_files

BIB_KEYS = set(re.findall(r"@\w+\{([^,\s]+),", (REPO_ROOT / "references.bib").read_text()))


def chapters() -> list[Path]:
    """Pages that are notebooks of the book proper (not labs, solution pages or Part V's
    interview pages, whose shape tests/test_interview_pages.py checks)."""
    return [REPO_ROOT / f"{f}.md" for f in toc_files()
            if f.startswith("book/") and not f.startswith("book/interview/")
            and "kernelspec:" in (REPO_ROOT / f"{f}.md").read_text()]


def test_every_toc_entry_exists():
    missing = [f for f in toc_files() if not (REPO_ROOT / f"{f}.md").exists()]
    assert not missing, f"_toc.yml lists files that do not exist: {missing}"


@pytest.mark.parametrize("path", chapters(), ids=lambda p: p.stem)
def test_chapter_shape(path: Path):
    text = path.read_text()
    assert "jupytext_version" not in text, "keep tool versions out of the header (jupytext.toml filters them)"
    assert re.search(r"^\(\w[\w-]*\)=\n# ", text, re.M), "a chapter opens with a (label)= and its # title"
    for heading in ("## Summary", "## Exercises", "## References"):
        assert f"\n{heading}\n" in text, f"missing section {heading!r}"
    exercises = re.findall(r"```\{exercise\}.*\n:label: ([\w-]+)", text)
    assert len(exercises) >= 5, f"{len(exercises)} exercises; a chapter has at least five"
    solved = set(re.findall(r"```\{solution-start\} ([\w-]+)\n:class: dropdown", text))
    assert set(exercises) <= solved, f"exercises without a dropdown solution: {set(exercises) - solved}"
    long = [line for line in code_lines(text) if len(line) > 79]
    assert not long, f"code lines over 79 characters scroll sideways in the page: {long[:3]}"


@pytest.mark.parametrize("path", chapters(), ids=lambda p: p.stem)
def test_citations_resolve(path: Path):
    text = path.read_text()
    prefixes = re.findall(r":keyprefix: (\S+)", text)
    assert len(prefixes) == 1, "one {bibliography} with its own :keyprefix: per chapter (no duplicate citations)"
    cited = re.findall(r"\{cite(?::\w+)?\}`([^`]+)`", text)
    assert cited, "a chapter cites its references"
    for key in (k.strip() for group in cited for k in group.split(",")):
        assert key.startswith(prefixes[0]), f"{key} lacks the page's key prefix {prefixes[0]}"
        assert key.removeprefix(prefixes[0]) in BIB_KEYS, f"{key} is not in references.bib"


@pytest.mark.parametrize("path", [p for p in chapters() if re.match(r"week\d\d_", p.stem)], ids=lambda p: p.stem)
def test_week_chapter_links_its_lab(path: Path):
    text = path.read_text()
    assert "\n## Lab\n" in text, "a week's chapter ends with its Lab admonition"
    week = path.stem[:6]
    links = re.findall(r"\]\(([^)]+\.md)\)", text.split("\n## Lab\n", 1)[1])
    targets = {(path.parent / link).resolve() for link in links}
    assert any(t.parent.parent == REPO_ROOT / "labs" and t.parent.name.startswith(week) for t in targets), \
        "the Lab admonition links to labs/weekNN_*/lab.md"
    assert any(t.parent == REPO_ROOT / "book" / "solutions" and t.stem.startswith(week) for t in targets), \
        "the Lab admonition links to the solution page book/solutions/weekNN_*.md"
    for t in targets:
        assert t.exists(), f"the Lab admonition links to a missing file: {t.relative_to(REPO_ROOT)}"


@pytest.mark.parametrize("path", chapters(), ids=lambda p: p.stem)
def test_chapter_budget_header_is_valid(path: Path):
    """The execution budget a chapter declares (if any) is one the budget check accepts."""
    from aimastery.devtools.budgets import budget_from_metadata

    header = yaml.safe_load(path.read_text().split("\n---\n", 1)[0].removeprefix("---\n"))
    assert budget_from_metadata(path.stem, header) <= 90


JUPYTEXT_CONFIG = load_jupytext_configuration_file(str(REPO_ROOT / "jupytext.toml"))


@pytest.mark.parametrize("path", chapters(), ids=lambda p: p.stem)
def test_jupytext_keeps_the_header(path: Path):
    """`make notebooks` syncs each .md with its .ipynb: the round trip must keep the header's metadata
    (a filter that dropped the `aimastery:` key would silently lower the chapter's budget to 60 s)."""
    notebook = jupytext.reads(path.read_text(), fmt="md:myst")
    again = jupytext.reads(jupytext.writes(notebook, fmt="md:myst", config=JUPYTEXT_CONFIG), fmt="md:myst")
    mine = {k: v for k, v in notebook.metadata.items() if k != "jupytext"}  # jupytext's own keys may change
    kept = {k: v for k, v in again.metadata.items() if k != "jupytext"}
    assert kept == mine, (
        f"jupytext would rewrite {path.name}'s header as {kept}; "
        "jupytext.toml's notebook_metadata_filter must keep every key the header uses")
