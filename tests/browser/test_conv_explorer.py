"""The convolution explorer in Chromium: its JavaScript computes the same feature maps and dot products as the
Python (aimastery.widgets.conv_explorer, on the course's NumPy convolution), and on Week 5's page it steps the
kernel from the keyboard, prints the value Python computes for the page's own data (the CNN's learned kernels
among them), and keeps the focus on the control."""

from __future__ import annotations

import json

import numpy as np
import pytest
from selenium.webdriver.common.keys import Keys

from aimastery.widgets.base import JS_DIR
from aimastery.widgets.conv_explorer import (
    PADDINGS, STRIDES, Kernel, compute_conv_explorer, dot_product_at, feature_map, output_shape, padding_for,
)

from .test_pages import wait_for

pytestmark = pytest.mark.browser

PAGE = "book/week05_cnn.html"
ROOT = "document.querySelector('[data-aim-widget=\"conv-explorer\"]')"
RESULT = f"{ROOT}.querySelector('[data-aim-view]').getAttribute('data-aim-result')"


def explorer_functions() -> str:
    """The widget's module as a classic script: its functions, without the export."""
    code = (JS_DIR / "common.js").read_text() + "\n" + (JS_DIR / "conv_explorer.js").read_text()
    return code.replace("export default { render };", "")


def test_the_javascript_computes_what_python_computes(driver):
    rng = np.random.default_rng(0)
    data = compute_conv_explorer(kernels={"random 5x5": Kernel(rng.normal(size=(5, 5)), 0.25),
                                          "random 2x2": rng.normal(size=(2, 2))})
    cases = [(i, k, s, p) for i in range(len(data["images"])) for k in range(len(data["kernels"]))
             for s in range(len(STRIDES)) for p in range(len(PADDINGS))]
    batch = []
    for i, k, s, p in cases:
        spec = data["kernels"][k]
        batch.append([data["images"][i]["pixels"], spec["weights"], spec["bias"], data["strides"][s],
                      padding_for(data["paddings"][p], len(spec["weights"]))])
    driver.get("about:blank")
    maps = driver.execute_script(explorer_functions() + "\nreturn arguments[0].map((c) => featureMap(...c));", batch)
    for case, js in zip(cases, maps):
        np.testing.assert_allclose(np.array(js), feature_map(data, *case), rtol=0, atol=1e-12, err_msg=str(case))
    steps = []
    for n, (case, args) in enumerate(zip(cases, batch)):
        H_out, W_out = output_shape(data, *case)
        for step in {0, W_out - 1, H_out * W_out - 1, n % (H_out * W_out)}:
            steps.append((case, step, args + [step]))
    results = driver.execute_script(explorer_functions() + "\nreturn arguments[0].map((c) => dotProductAt(...c));",
                                    [args for _, _, args in steps])
    for (case, step, _), js in zip(steps, results):
        py = dot_product_at(data, step, *case)
        assert (js["row"], js["col"], js["top"], js["left"]) == (py["row"], py["col"], py["top"], py["left"])
        np.testing.assert_allclose(js["patch"], py["patch"], rtol=0, atol=0)
        np.testing.assert_allclose(js["products"], py["products"], rtol=0, atol=1e-15)
        assert js["value"] == pytest.approx(py["value"], abs=1e-12), (case, step)


@pytest.fixture
def page(driver, base_url, book_dir):
    if not (book_dir / PAGE).exists():
        pytest.skip(f"{PAGE} is not built (the Week 5 chapter is not in _toc.yml yet)")
    driver.get("about:blank")
    driver.get(f"{base_url}/{PAGE}")
    assert wait_for(driver, f"{ROOT} && {RESULT}", timeout=30), f"{PAGE}: the convolution explorer did not render"
    return driver


def page_data(driver) -> dict:
    """The explorer's data as the page stores it (its widget state), so Python can recompute what it draws."""
    return driver.execute_script(f"""
        let node = {ROOT}.closest('.widget-subarea').nextElementSibling;
        while (node && node.tagName !== 'SCRIPT') node = node.nextElementSibling;
        const id = JSON.parse(node.textContent).model_id;
        const states = [...document.querySelectorAll('script[type="application/vnd.jupyter.widget-state+json"]')]
            .map((s) => JSON.parse(s.textContent).state);
        return states.find((st) => st[id])[id].state.data;""")


def state(driver) -> dict:
    return json.loads(driver.execute_script(f"return {RESULT};"))


def press(driver, label: str, key: str) -> dict:
    """Focus a control, press a key as a reader would; return the widget's new state (the focus must stay)."""
    before = state(driver)
    element = driver.execute_script(f"return {ROOT}.querySelector('[data-aim-control=\"{label}\"]');")
    element.send_keys(key)
    assert wait_for(driver, f"{RESULT} !== {json.dumps(json.dumps(before))}", timeout=5), \
        f"pressing {key!r} on {label!r} changed nothing"
    focused = driver.execute_script("return document.activeElement.getAttribute('data-aim-control');")
    assert focused == label, f"after {key!r} on {label!r} the focus went to {focused!r}"
    return state(driver)


def assert_matches_python(data: dict, s: dict) -> None:
    setting = (s["image"], s["kernel"], s["stride"], s["padding"])
    assert (s["rows"], s["cols"]) == output_shape(data, *setting)
    py = dot_product_at(data, s["step"], *setting)
    assert (s["row"], s["col"]) == (py["row"], py["col"])
    assert s["value"] == pytest.approx(py["value"], abs=1e-9)


def test_the_chapter_page_steps_the_kernel_from_the_keyboard(page):
    data = page_data(page)
    learned = [k["name"] for k in data["kernels"] if k["name"].startswith("learned")]
    assert learned, "the chapter passes the CNN's learned first-layer kernels"
    start = state(page)
    assert_matches_python(data, start)

    moved = press(page, "step", Keys.ARROW_RIGHT)
    assert moved["step"] == start["step"] + 1
    assert_matches_python(data, moved)
    shown = page.execute_script(f"return {ROOT}.querySelector('[data-aim-view]').textContent;")
    assert f"output[{moved['row']}, {moved['col']}]" in shown

    last = press(page, "step", Keys.END)
    assert last["step"] == last["rows"] * last["cols"] - 1 and (last["row"], last["col"]) == (last["rows"] - 1,
                                                                                              last["cols"] - 1)
    first = press(page, "step", Keys.HOME)
    assert (first["row"], first["col"]) == (0, 0)
    assert_matches_python(data, first)

    while state(page)["kernel"] < len(data["kernels"]) - 1:  # down the kernel list, to the learned ones
        s = press(page, "kernel", Keys.ARROW_DOWN)
        assert_matches_python(data, s)
    assert data["kernels"][state(page)["kernel"]]["name"] == learned[-1]

    same = press(page, "padding", Keys.ARROW_DOWN)
    k = len(data["kernels"][same["kernel"]]["weights"])
    image = np.array(data["images"][same["image"]]["pixels"])
    assert data["paddings"][same["padding"]] == "same" and same["rows"] == image.shape[0] + 2 * (k // 2) - k + 1
    assert_matches_python(data, same)
    strided = press(page, "stride", Keys.ARROW_DOWN)
    assert strided["rows"] == (image.shape[0] + 2 * (k // 2) - k) // 2 + 1
    assert_matches_python(data, strided)
    other = press(page, "image", Keys.ARROW_DOWN)
    assert other["image"] == same["image"] + 1
    assert_matches_python(data, other)

    errors = [e["message"] for e in page.get_log("browser") if e["level"] == "SEVERE"]
    assert not errors, errors
