"""Accessibility checks of the built book: axe-core in Chromium, and the figures' alt text.

axe-core is vendored at set-up into ``_vendor/axe/`` (:func:`aimastery.devtools.vendor.vendor_axe`),
outside the built book, and injected into each page by the browser smoke
test (``tests/browser/test_pages.py``). Summary of every page:

    python -m aimastery.devtools.a11y [--impact serious]

prints one line per page and rule: the violations at or above that impact.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from html.parser import HTMLParser
from pathlib import Path

from aimastery.devtools.vendor import AXE

IMPACTS = ("minor", "moderate", "serious", "critical")
BLOCKING = ("serious", "critical")  # the smoke test's gate
# axe's rule set: WCAG 2.1 A and AA plus axe's best practices
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]},
               "resultTypes": ["violations"]}


def axe_source() -> str:
    if not AXE.exists():
        raise FileNotFoundError(f"{AXE} is missing: run `python -m aimastery.devtools.vendor` (make test does)")
    return AXE.read_text(encoding="utf-8")


def run_axe(driver, source: str | None = None) -> list[dict]:
    """axe's violations on the page open in ``driver``: [{id, impact, help, nodes: [css target, ...]}]."""
    if not driver.execute_script("return typeof window.axe !== 'undefined';"):
        driver.execute_script(source or axe_source())
    driver.set_script_timeout(120)
    result = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, arguments[0]).then(r => done(r.violations.map(v => ({id: v.id, impact: v.impact,"
        "  help: v.help, nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 8), count: v.nodes.length}))))"
        ".catch(e => done([{id: 'axe-error', impact: 'critical', help: String(e), nodes: [], count: 1}]));",
        AXE_OPTIONS)
    return result


def at_least(violations: list[dict], impact: str) -> list[dict]:
    floor = IMPACTS.index(impact)
    return [v for v in violations if v.get("impact") in IMPACTS and IMPACTS.index(v["impact"]) >= floor]


def describe(violations: list[dict]) -> str:
    return "\n".join(f"  {v['impact']:>8} {v['id']} ({v['count']}×): {v['help']}; e.g. {', '.join(v['nodes'][:3])}"
                     for v in violations)


# ----- alt text of figures (static: read from the built HTML)

GENERIC_ALTS = {"", "image", "figure", "plot", "output", "png", "img", "chart", "graph", "picture", "a figure",
                "a plot", "the figure", "matplotlib figure", "<figure>", "none"}
FILE_LIKE = re.compile(r"(^|/)[\w.-]+\.(png|jpe?g|svg|gif|webp)$|^[0-9a-f]{16,}", re.IGNORECASE)
MIN_WORDS = 4


class _Images(HTMLParser):
    def __init__(self):
        super().__init__()
        self.images: list[dict[str, str | None]] = []

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.images.append(dict(attrs))


def images(html: str) -> list[dict[str, str | None]]:
    parser = _Images()
    parser.feed(html)
    return parser.images


def alt_problem(img: dict[str, str | None]) -> str | None:
    """Why an ``<img>``'s alt text does not say what it shows, or None when it does."""
    alt = (img.get("alt") or "").strip()
    if img.get("role") == "presentation" or img.get("aria-hidden") == "true":
        return None  # decoration, hidden from assistive technology on purpose
    if not alt:
        return "no alt text"
    if alt.lower() in GENERIC_ALTS or FILE_LIKE.search(alt):
        return f"a generic alt text ({alt[:60]!r})"
    if len(alt.split()) < MIN_WORDS:
        return f"an alt text too short to say what the figure shows ({alt!r})"
    return None


def main(argv: list[str] | None = None) -> int:
    from aimastery.devtools.browser import BOOK, chromium, serve

    parser = argparse.ArgumentParser(prog="python -m aimastery.devtools.a11y", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--impact", default="minor", choices=IMPACTS, help="the lowest impact to list")
    parser.add_argument("--wait", type=float, default=3.0, help="seconds to let a page render before axe runs")
    parser.add_argument("pages", nargs="*", help="pages under _build/html (default: every page)")
    args = parser.parse_args(argv)
    wait = args.wait
    skip = {"_static", "_sources", "_assets", "_images", "reports"}
    pages = args.pages or sorted(str(p.relative_to(BOOK)) for p in BOOK.rglob("*.html")
                                 if not skip.intersection(p.relative_to(BOOK).parts))
    totals: dict[str, int] = {i: 0 for i in IMPACTS}
    source = axe_source()
    with serve(BOOK) as base, chromium() as driver:
        for page in pages:
            driver.get(f"{base}/{page}")
            time.sleep(wait)  # widgets and maths render after the load event
            found = at_least(run_axe(driver, source), args.impact)
            for v in found:
                totals[v["impact"]] += v["count"]
            print(f"{page}: {sum(v['count'] for v in found)} elements in {len(found)} rules")
            if found:
                print(describe(found))
    print("total elements by impact:", totals)
    return 0


if __name__ == "__main__":
    sys.exit(main())
