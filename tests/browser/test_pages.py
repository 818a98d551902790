"""Open every page of the built book in headless Chromium.

A page fails when it does not load, logs a JavaScript console error, fetches
anything from outside the book, leaves maths untypeset, has a serious or
critical accessibility violation (axe-core, injected by the test: the book's
readers never load it), or when a widget does not render, does not respond to
its controls (each control is moved and the widget's view must change), or
cannot be used from the keyboard (every control reached with Tab, moved with
the arrow keys or Enter, the view changes and the focus stays on it). Every
figure of every page has an alt text that says what it shows.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from selenium.webdriver.common.keys import Keys

from aimastery.devtools.a11y import BLOCKING, alt_problem, at_least, axe_source, describe, images, run_axe
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


ROOT = "document.querySelectorAll('[data-aim-widget]')[arguments[0]]"


def tab_order(driver, w: int, limit: int = 60) -> list[str]:
    """The controls of widget ``w`` that Tab reaches, in order, starting just before the widget."""
    driver.execute_script(f"""
        const root = {ROOT};
        const start = document.createElement('span');
        start.tabIndex = 0; start.id = 'aim-tab-start';
        root.before(start); start.focus();""", w)
    reached: list[str] = []
    for _ in range(limit):
        driver.switch_to.active_element.send_keys(Keys.TAB)
        where = driver.execute_script(f"""
            const a = document.activeElement, root = {ROOT};
            if (!root.contains(a)) return null;
            return a.getAttribute('data-aim-control') || '(a focusable element without data-aim-control)';""", w)
        if where is None and reached:
            break
        if where is not None:
            reached.append(where)
    driver.execute_script("document.getElementById('aim-tab-start').remove();")
    return reached


def press(driver, w: int, label: str) -> str:
    """Focus one control and press the key that moves it; return the key's name."""
    kind, at_end = driver.execute_script(f"""
        const c = {CONTROL.format(w='arguments[0]', label=label)};
        c.focus();
        if (c.tagName === 'SELECT') return ['select', c.selectedIndex === c.options.length - 1];
        if (c.type === 'range') return ['range', Number(c.value) === Number(c.max)];
        return ['button', false];""", w)
    key = {"select": Keys.ARROW_UP if at_end else Keys.ARROW_DOWN,
           "range": Keys.ARROW_LEFT if at_end else Keys.ARROW_RIGHT, "button": Keys.ENTER}[kind]
    driver.switch_to.active_element.send_keys(key)
    return {Keys.ARROW_UP: "↑", Keys.ARROW_DOWN: "↓", Keys.ARROW_LEFT: "←", Keys.ARROW_RIGHT: "→",
            Keys.ENTER: "Enter"}[key] + f" on the {kind}"


def check_keyboard(driver, page: str, w: int) -> None:
    labels = control_labels(driver, w)
    reached = tab_order(driver, w)
    unreachable = [label for label in labels if label not in reached]
    assert not unreachable, f"{page}: widget {w}: Tab never reaches {unreachable} (reached {reached})"
    assert all(r in labels for r in reached), f"{page}: widget {w}: Tab stops on an unlabelled element: {reached}"
    for label in labels:
        set_ranges_to_middle(driver, w)
        before = driver.execute_script(f"return {VIEW.format(w=w)};")
        key = press(driver, w, label)
        changed = wait_for(driver, f"{VIEW.format(w=w)} !== {before!r}", timeout=3)
        assert changed, f"{page}: widget {w}: {key} {label!r} did not change the drawing"
        focused = driver.execute_script("return document.activeElement.getAttribute('data-aim-control');")
        assert focused == label, f"{page}: widget {w}: after {key} {label!r} the focus went to {focused!r}"
        if "play" in label.lower():
            driver.switch_to.active_element.send_keys(Keys.ENTER)  # pause again


@pytest.fixture(scope="session")
def axe() -> str:
    try:
        return axe_source()
    except FileNotFoundError as err:
        pytest.fail(str(err))


@pytest.mark.parametrize("page", built_pages())
def test_page(driver, base_url, page, axe):
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
            check_keyboard(driver, page, w)

    if driver.execute_script("return document.querySelectorAll('.math').length;"):
        assert wait_for(driver, "document.querySelectorAll('mjx-container').length > 0", timeout=20), \
            f"{page}: MathJax did not typeset the page's maths"

    outside = driver.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
        ".filter(n => !n.startsWith(location.origin) && !n.startsWith('data:') && !n.startsWith('blob:'));")
    assert not outside, f"{page} fetched from outside the book: {outside[:5]}"

    errors = [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    assert not errors, f"{page} logged console errors:\n" + "\n".join(errors[:10])

    blocking = at_least(run_axe(driver, axe), BLOCKING[0])
    assert not blocking, f"{page}: axe-core finds serious or critical accessibility violations:\n" + describe(blocking)


@pytest.mark.parametrize("page", built_pages())
def test_every_figure_says_what_it_shows(book_dir: Path, page):
    problems = [f"{img.get('src')}: {alt_problem(img)}"
                for img in images((book_dir / page).read_text(encoding="utf-8")) if alt_problem(img)]
    assert not problems, (f"{page}: images without an alt text that says what they show (a chapter's figure: "
                          "give its cell `mystnb: image: alt: ...` metadata):\n  " + "\n  ".join(problems))


def test_the_accessibility_engine_is_not_served_to_readers(book_dir: Path):
    served = [str(p.relative_to(book_dir)) for p in book_dir.rglob("*") if "axe" in p.name.lower()]
    assert not served, f"axe-core is for the tests only; the built book contains {served}"


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
