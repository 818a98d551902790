"""Open every page of the built book in headless Chromium.

A page fails when it does not load, logs a JavaScript console error, fetches
anything from outside the book, leaves maths untypeset, or when a widget does
not render or does not respond to its controls (each control is moved and the
widget's view must change).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from aimastery.devtools.browser import BOOK

pytestmark = pytest.mark.browser

SKIP_DIRS = {"_static", "_sources", "_assets", "_images", "reports"}


def built_pages() -> list[str]:
    if not BOOK.exists():
        return ["index.html"]  # the book_dir fixture then says how to build it
    return sorted(
        str(p.relative_to(BOOK)) for p in BOOK.rglob("*.html") if not SKIP_DIRS.intersection(p.relative_to(BOOK).parts)
    )


def wait_for(driver, script: str, timeout: float = 20.0, poll: float = 0.1):
    """Poll a JS expression until it is truthy; return its value (or the last falsy one)."""
    deadline = time.monotonic() + timeout
    value = driver.execute_script(f"return ({script});")
    while not value and time.monotonic() < deadline:
        time.sleep(poll)
        value = driver.execute_script(f"return ({script});")
    return value


VIEW = "document.querySelectorAll('[data-aim-widget]')[{w}].querySelector('[data-aim-view]').innerHTML"
CONTROL = "document.querySelectorAll('[data-aim-widget]')[{w}].querySelector('[data-aim-control=\"' + {label!r} + '\"]')"


def control_labels(driver, w: int) -> list[str]:
    return driver.execute_script(
        "return [...document.querySelectorAll('[data-aim-widget]')[arguments[0]].querySelectorAll('[data-aim-control]')]"
        ".map(c => c.getAttribute('data-aim-control'));", w)


def set_ranges_to_middle(driver, w: int) -> None:
    driver.execute_script(
        "for (const r of document.querySelectorAll('[data-aim-widget]')[arguments[0]].querySelectorAll('input[type=range]')) {"
        "  const mid = Math.round((Number(r.min) + Number(r.max)) / 2);"
        "  if (Number(r.value) !== mid) { r.value = mid; r.dispatchEvent(new Event('input', {bubbles: true})); } }", w)


def operate(driver, w: int, label: str) -> str:
    """Move one control to a different state; return what kind of control it was."""
    return driver.execute_script(f"""
        const c = {CONTROL.format(w=w, label=label)};
        if (!c) return 'missing';
        if (c.tagName === 'SELECT') {{
            c.selectedIndex = (c.selectedIndex + 1) % c.options.length;
            c.dispatchEvent(new Event('change', {{bubbles: true}}));
            return 'select';
        }}
        if (c.type === 'range') {{
            const target = Number(c.value) === Number(c.max) ? Number(c.min) : Number(c.max);
            c.value = target;
            c.dispatchEvent(new Event('input', {{bubbles: true}}));
            return 'range';
        }}
        c.click();
        return 'button';
    """)


@pytest.mark.parametrize("page", built_pages())
def test_page(driver, base_url, page):
    driver.get_log("browser")  # drop messages from earlier pages
    driver.get(f"{base_url}/{page}")
    assert wait_for(driver, "document.readyState === 'complete'"), f"{page} did not finish loading"
    assert driver.title.strip(), f"{page} has no title"

    expected = driver.execute_script(
        "return document.querySelectorAll('script[type=\"application/vnd.jupyter.widget-view+json\"]').length;")
    if expected:
        rendered = wait_for(driver, f"document.querySelectorAll('[data-aim-widget] [data-aim-view]').length >= {expected}"
                                    f" && document.querySelectorAll('[data-aim-widget]').length", timeout=30)
        assert rendered == expected, f"{page}: {expected} widgets in the page, {rendered or 0} rendered"
        for w in range(expected):
            assert driver.execute_script(f"return {VIEW.format(w=w)};").strip(), f"{page}: widget {w} drew nothing"
            for label in control_labels(driver, w):
                set_ranges_to_middle(driver, w)
                before = driver.execute_script(f"return {VIEW.format(w=w)};")
                kind = operate(driver, w, label)
                changed = wait_for(driver, f"{VIEW.format(w=w)} !== arguments[0]".replace("arguments[0]", repr(before)),
                                   timeout=3)
                assert kind != "missing", f"{page}: widget {w} lost its control {label!r}"
                assert changed, f"{page}: widget {w} did not respond to its {kind} {label!r}"
                if "play" in label.lower():
                    operate(driver, w, label)  # pause again

    if driver.execute_script("return document.querySelectorAll('.math').length;"):
        assert wait_for(driver, "document.querySelectorAll('mjx-container').length > 0", timeout=20), \
            f"{page}: MathJax did not typeset the page's maths"

    outside = driver.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
        ".filter(n => !n.startsWith(location.origin) && !n.startsWith('data:') && !n.startsWith('blob:'));")
    assert not outside, f"{page} fetched from outside the book: {outside[:5]}"

    errors = [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    assert not errors, f"{page} logged console errors:\n" + "\n".join(errors[:10])


def test_every_toc_page_was_built(book_dir: Path):
    import yaml

    toc = yaml.safe_load((book_dir.parent.parent / "_toc.yml").read_text())
    files = [toc["root"]]
    stack = list(toc.get("parts", []))
    while stack:
        entry = stack.pop()
        files += [c["file"] for c in entry.get("chapters", []) + entry.get("sections", []) if "file" in c]
        stack += entry.get("chapters", []) + entry.get("sections", [])
    missing = [f for f in files if not (book_dir / f"{f}.html").exists()]
    assert not missing, f"pages in _toc.yml that were not built: {missing}"
