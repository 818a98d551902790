"""Can a lab task be passed by copying the chapter? Which of its lines the built page prints.

The rule (book/contributing.md, "What the chapter prints, and what the lab
asks"): a chapter works one instance in full and the lab asks for the
others. This reads a chapter's built HTML page, collects the code it shows
(code cells, ``show_source`` and ``literalinclude`` blocks, exercises'
solutions), and reports, for each ``### BEGIN SOLUTION`` region of the
chapter's own lab (the page ``week01_autodiff.html`` has the lab
``solutions/week01_*``), how many of the region's lines appear in that code
verbatim (comments and spacing aside)::

    python -m aimastery.devtools.copycheck _build/html/book/week01_autodiff.html

A region whose lines all appear could be pasted; a low count still allows
an adaptation (other names, another API), which only a learner's trial
shows. Lines shorter than ``MIN_CHARS`` characters (``return out``,
``else:``) are not counted: they say nothing about copying.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from aimastery.config import REPO_ROOT
from aimastery.labs.generate import SOLUTIONS
from aimastery.labs.hints import parse_regions

MIN_CHARS = 12


class _CodeBlocks(HTMLParser):
    """The text of every ``<pre>`` element of a page."""

    def __init__(self):
        super().__init__()
        self.blocks: list[str] = []
        self._depth = 0

    def handle_starttag(self, tag, attrs):
        if tag == "pre":
            self._depth += 1
            if self._depth == 1:
                self.blocks.append("")

    def handle_endtag(self, tag):
        if tag == "pre" and self._depth:
            self._depth -= 1

    def handle_data(self, data):
        if self._depth:
            self.blocks[-1] += data


def normalise(line: str) -> str:
    """A line of code without its comment and with single spaces."""
    code = re.sub(r"\s+#.*$", "", line.strip())
    code = "" if code.startswith("#") else code
    return " ".join(code.replace("\u00a0", " ").split())


@dataclass
class Region:
    file: str
    line: int  # of its BEGIN marker
    hint: str
    lines: list[str]  # normalised, long enough to count
    shown: list[str]  # those the page shows

    def summary(self) -> str:
        verdict = "ALL SHOWN" if self.lines and len(self.shown) == len(self.lines) else ""
        hint = self.hint if len(self.hint) <= 40 else self.hint[:39] + "…"
        return f"{self.file}:{self.line} ({hint})  {len(self.shown)}/{len(self.lines)} lines shown  {verdict}".rstrip()


def solution_regions(path: Path) -> list[tuple[int, str, list[str]]]:
    """(line of BEGIN, hint 1, the region's code lines) of each marked region of a solution file."""
    return [(r.begin + 1, r.hints[0] if r.hints else "", r.code)
            for r in parse_regions(path.read_text(encoding="utf-8"), path.name)]


def page_code(html: str) -> set[str]:
    parser = _CodeBlocks()
    parser.feed(html)
    return {normalise(line) for block in parser.blocks for line in block.splitlines()} - {""}


def check_page(page: Path, solutions: Path = SOLUTIONS) -> list[Region]:
    """Every region of the chapter's own lab (week01_autodiff.html: solutions/week01_*), with the lines
    the page shows."""
    prefix = page.stem.split("_")[0] + "_"  # week01_, or capstone_
    labs = sorted(p for p in solutions.iterdir() if p.is_dir() and p.name.startswith(prefix))
    if not labs:
        raise ValueError(f"no lab in {solutions} for the page {page.name} (a folder named {prefix}...)")
    shown = page_code(page.read_text(encoding="utf-8"))
    regions = []
    for lab in labs:
        for source in sorted(lab.glob("*.py")):
            for number, hint, lines in solution_regions(source):
                counted = [n for n in map(normalise, lines) if len(n.replace(" ", "")) >= MIN_CHARS]
                regions.append(Region(f"{lab.name}/{source.name}", number, hint, counted,
                                      [n for n in counted if n in shown]))
    return regions


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m aimastery.devtools.copycheck", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("pages", nargs="+", type=Path, help="built chapter pages (.html)")
    parser.add_argument("--solutions", type=Path, default=SOLUTIONS, help="where the labs' solutions are")
    args = parser.parse_args(argv)
    for page in args.pages:
        try:
            where = page.resolve().relative_to(REPO_ROOT)
        except ValueError:
            where = page
        print(where)
        for region in check_page(page, args.solutions):
            print("  " + region.summary())
    return 0


if __name__ == "__main__":
    sys.exit(main())
