"""Widget settings in the URL fragment, in Chromium: the backprop visualizer (Week 1) and the
sampling-temperature widget (Week 6, a page with several widgets). Moving a control writes the
settings into the fragment; opening that URL shows them; a bad fragment is ignored (the default
state); an in-page anchor in the same fragment still scrolls to its section."""

from __future__ import annotations

import re

import pytest

from .test_pages import wait_for

pytestmark = pytest.mark.browser

ROOT = "document.querySelector('[data-aim-widget=\"{kind}\"]')"
CONTROL = ROOT + ".querySelector('[data-aim-control=\"{label}\"]')"


def open_page(driver, url: str, kind: str) -> None:
    driver.get("about:blank")  # a new load, not only a change of fragment
    driver.get(url)
    assert wait_for(driver, f"{ROOT.format(kind=kind)} && {ROOT.format(kind=kind)}.querySelector('[data-aim-view]')"
                            ".innerHTML.length > 0", timeout=30), f"the {kind} widget did not render at {url}"


def control_value(driver, kind: str, label: str) -> int:
    return int(driver.execute_script(f"return {CONTROL.format(kind=kind, label=label)}.value;"))


def move(driver, kind: str, label: str, value: int) -> None:
    driver.execute_script(f"""
        const c = {CONTROL.format(kind=kind, label=label)};
        c.value = arguments[0];
        c.dispatchEvent(new Event(c.tagName === 'SELECT' ? 'change' : 'input', {{bubbles: true}}));""", value)


def own_part(driver, kind: str) -> tuple[str, dict[str, int]]:
    """The widget's part of the fragment: its key and its settings."""
    hash_ = driver.execute_script("return decodeURIComponent(location.hash.slice(1));")
    part = next((p for p in hash_.split("&") if p.startswith(kind)), None)
    assert part, f"no {kind} settings in the URL fragment {hash_!r}"
    key, _, values = part.partition("=")
    assert re.fullmatch(rf"{kind}\d+", key), part
    return key, {name: int(v) for name, v in (item.split(":") for item in values.split(","))}


def view_text(driver, kind: str) -> str:
    return driver.execute_script(f"return {ROOT.format(kind=kind)}.querySelector('[data-aim-view]').textContent;")


def test_backprop_state_round_trips_through_the_url(driver, base_url):
    page = f"{base_url}/book/week01_autodiff.html"
    open_page(driver, page, "backprop")
    default = view_text(driver, "backprop")
    n_examples = driver.execute_script(f"return {CONTROL.format(kind='backprop', label='expression')}.options.length;")
    assert n_examples >= 2

    move(driver, "backprop", "step", 2)
    key, state = own_part(driver, "backprop")
    assert state == {"example": 0, "preset": 0, "step": 2}, state

    move(driver, "backprop", "expression", 1)  # another expression: preset and step start again at 0
    move(driver, "backprop", "step", 3)
    _, state = own_part(driver, "backprop")
    assert state == {"example": 1, "preset": 0, "step": 3}, state
    shown = view_text(driver, "backprop")
    assert "Step 3 of" in shown

    open_page(driver, f"{page}#{key}=example:1,preset:0,step:3", "backprop")
    assert wait_for(driver, f"{CONTROL.format(kind='backprop', label='step')}.value === '3'", timeout=5)
    assert control_value(driver, "backprop", "expression") == 1 and control_value(driver, "backprop", "inputs") == 0
    assert view_text(driver, "backprop") == shown, "the URL's state draws what the learner saw"

    for bad in ("example:99,preset:0,step:0", "example:1,preset:0,step:9999", "example:1,preset:0",
                "example:1,preset:0,step:-1", "garbage", "example:1,preset:0,step:2,colour:3", "example:x,preset:0,step:1"):
        open_page(driver, f"{page}#{key}={bad}", "backprop")
        assert view_text(driver, "backprop") == default, f"#{key}={bad} should leave the default state"
        assert control_value(driver, "backprop", "expression") == 0 and control_value(driver, "backprop", "step") == 0
    errors = [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    assert not errors, errors


def test_sampling_state_and_an_anchor_share_the_fragment(driver, base_url):
    page = f"{base_url}/book/week06_sequences.html"
    open_page(driver, page, "sampling")
    assert driver.execute_script("return document.querySelectorAll('[data-aim-widget]').length;") >= 2
    default = view_text(driver, "sampling")
    section = driver.execute_script(f"return {ROOT.format(kind='sampling')}.closest('section[id]').id;")

    # an in-page anchor first, as a reader following a link would have it
    driver.get(f"{page}#{section}")
    t = 0 if control_value(driver, "sampling", "temperature") else 1  # away from the default
    k = 0 if control_value(driver, "sampling", "top-k") else 1
    move(driver, "sampling", "temperature", t)
    move(driver, "sampling", "top-k", k)
    key, state = own_part(driver, "sampling")
    hash_ = driver.execute_script("return decodeURIComponent(location.hash.slice(1));")
    assert hash_.split("&")[0] == section, f"the anchor must stay in the fragment: {hash_!r}"
    assert state["temperature"] == t and state["top_k"] == k, state
    shown = view_text(driver, "sampling")
    assert shown != default

    url = f"{page}#{section}&{key}=prompt:{state['prompt']},temperature:{t},top_k:{k},top_p:{state['top_p']}," \
          f"sample_index:{state['sample_index']}"
    open_page(driver, url, "sampling")
    assert wait_for(driver, f"{CONTROL.format(kind='sampling', label='temperature')}.value === '{t}'", timeout=5)
    assert control_value(driver, "sampling", "top-k") == k
    assert view_text(driver, "sampling") == shown, "the URL's state draws what the learner saw"
    top = driver.execute_script("return document.getElementById(arguments[0]).getBoundingClientRect().top;", section)
    assert abs(top) < 200, f"the page should open at the section #{section} (its top is at {top:.0f} px)"
    assert wait_for(driver, "document.querySelectorAll('[data-aim-widget] [data-aim-view]').length >= 2", timeout=30), \
        "the page's other widgets render too"

    open_page(driver, f"{page}#{section}&{key}=prompt:0,temperature:999,top_k:0,top_p:0,sample_index:0", "sampling")
    assert view_text(driver, "sampling") == default, "an out-of-range temperature is ignored"
    errors = [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    assert not errors, errors
