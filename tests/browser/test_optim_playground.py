"""The optimiser playground in Chromium: its JavaScript takes the same steps as the Python
(aimastery.optim), and the built page works from the keyboard and says when a run diverges."""

from __future__ import annotations

import json

import numpy as np
import pytest

from aimastery.widgets.base import JS_DIR
from aimastery.widgets.optim_playground import (
    DEFAULT_LRS, DIVERGENCE_BOUND, LRS, MOMENTA, OPTIMIZERS, STEPS, SURFACES, WEIGHT_DECAYS, compute_trajectory,
)

from .test_pages import wait_for

pytestmark = pytest.mark.browser

PAGE = "book/week02_linear.html"
ROOT = "document.querySelector('[data-aim-widget=\"optim-playground\"]')"


def playground_functions() -> str:
    """The widget's module as a classic script: its functions, without the export."""
    code = (JS_DIR / "common.js").read_text() + "\n" + (JS_DIR / "optim_playground.js").read_text()
    return code.replace("export default { render };", "")


def cases() -> list[list]:
    """Every optimiser on every surface, with and without weight decay, and some that diverge."""
    out = []
    for surface, by_opt in DEFAULT_LRS.items():
        for opt, lr in by_opt.items():
            for momentum, wd in [(0.9, 0.0), (0.5, 0.1)]:
                out.append([surface, opt, lr, momentum, wd, 200])
    out += [["quadratic", "SGD", 0.1, 0.9, 0.0, 200], ["rosenbrock", "Nesterov", 0.0178, 0.9, 0.0, 200],
            ["saddle", "Adam", 3.16, 0.99, 0.5, 500]]
    return out


def test_the_javascript_takes_the_same_steps_as_python(driver):
    driver.get("about:blank")
    batch = [c + [list(SURFACES[c[0]].start), DIVERGENCE_BOUND] for c in cases()]
    results = driver.execute_script(playground_functions() + "\nreturn arguments[0].map((c) => runTrajectory(...c));",
                                    batch)
    assert any(r["divergedAt"] is not None for r in results), "the cases include divergent runs"
    for case, js in zip(cases(), results):
        py = compute_trajectory(*case[:5], steps=case[5])
        assert js["divergedAt"] == py.diverged_at, f"{case}: JS diverges at {js['divergedAt']}, " \
                                                   f"Python at {py.diverged_at}"
        assert len(js["points"]) == len(py.points), case
        np.testing.assert_allclose(js["points"], py.points, rtol=1e-9, atol=1e-9, err_msg=str(case))


def state(driver) -> dict:
    return json.loads(driver.execute_script(f"return {ROOT}.querySelector('[data-aim-result]')"
                                            ".getAttribute('data-aim-result');"))


def control(driver, label: str):
    return driver.execute_script(f"return {ROOT}.querySelector('[data-aim-control=\"{label}\"]');")


def press(driver, label: str, key: str) -> dict:
    """Focus a control, press a key as a reader would, and return the widget's new state."""
    before = state(driver)
    element = control(driver, label)
    element.send_keys(key)
    assert wait_for(driver, f"{ROOT}.querySelector('[data-aim-result]').getAttribute('data-aim-result') "
                            f"!== {json.dumps(json.dumps(before))}", timeout=5), \
        f"pressing {key!r} on {label!r} changed nothing"
    return state(driver)


def assert_matches_python(s: dict) -> None:
    py = compute_trajectory(s["surface"], s["optimizer"], s["lr"], s["momentum"], s["weight_decay"], s["steps"])
    assert s["diverged_at"] == py.diverged_at
    np.testing.assert_allclose(s["end"], py.points[-1], rtol=1e-9, atol=1e-9)


def test_the_built_page_works_from_the_keyboard_and_reports_divergence(driver, base_url):
    from selenium.webdriver.common.keys import Keys

    driver.get(f"{base_url}/{PAGE}")
    assert wait_for(driver, f"{ROOT} && {ROOT}.querySelector('[data-aim-result]')", timeout=30), \
        "the playground did not render"
    start = state(driver)
    assert (start["surface"], start["optimizer"]) == ("quadratic", "momentum")
    assert start["lr"] == DEFAULT_LRS["quadratic"]["momentum"] and start["steps"] == STEPS[3]
    assert_matches_python(start)

    moved = press(driver, "learning rate", Keys.ARROW_RIGHT)
    assert moved["lr"] == LRS[LRS.index(start["lr"]) + 1], "→ on the learning rate takes the next value"
    assert_matches_python(moved)
    moved = press(driver, "momentum μ / β₁", Keys.ARROW_LEFT)
    assert moved["momentum"] == MOMENTA[MOMENTA.index(0.9) - 1]
    moved = press(driver, "weight decay", Keys.ARROW_RIGHT)
    assert moved["weight_decay"] == WEIGHT_DECAYS[1]
    assert_matches_python(moved)

    nesterov = press(driver, "optimiser", Keys.ARROW_DOWN)
    assert nesterov["optimizer"] == list(OPTIMIZERS)[2], "↓ on the optimiser picks the next one"
    assert nesterov["lr"] == DEFAULT_LRS["quadratic"]["Nesterov"], "a new optimiser starts at its own rate"
    sgd = press(driver, "optimiser", Keys.HOME)
    assert sgd["optimizer"] == "SGD"

    diverged = press(driver, "learning rate", Keys.END)  # the largest rate: far past 2 / 25
    assert diverged["lr"] == LRS[-1] and diverged["diverged_at"] is not None
    assert_matches_python(diverged)
    view = driver.execute_script(f"return {ROOT}.querySelector('[data-aim-view]').innerText;")
    assert f"Diverged at step {diverged['diverged_at']}" in view, view
    drawn = driver.execute_script(f"return {ROOT}.querySelectorAll('[data-aim-view] svg polyline').length;")
    assert drawn > 10, "a divergent run still draws the contours and the path up to where it left"
