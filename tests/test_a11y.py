"""The alt-text rule of the browser smoke test (aimastery.devtools.a11y), on hand-made images."""

import pytest

from aimastery.devtools.a11y import alt_problem, at_least, images


@pytest.mark.parametrize("tag, problem", [
    ('<img src="../_images/3fa9.png">', "no alt text"),
    ('<img src="a.png" alt="">', "no alt text"),
    ('<img src="x.png" alt="../_images/f410bfc1bd7e626a165f579d105ab94fc22504c493abdcae825121c95e398742.png">', "generic"),
    ('<img src="x.png" alt="Figure">', "generic"),
    ('<img src="x.png" alt="loss curve">', "too short"),
    ('<img src="x.png" alt="Training loss falling over twenty epochs">', None),
    ('<img src="x.png" alt="" role="presentation">', None),
])
def test_alt_text_must_say_what_the_figure_shows(tag, problem):
    (img,) = images(f"<p>{tag}</p>")
    found = alt_problem(img)
    assert (found is None) if problem is None else (problem in found), found


def test_impact_floor():
    found = [{"impact": i} for i in ("minor", "moderate", "serious", "critical", None)]
    assert [v["impact"] for v in at_least(found, "serious")] == ["serious", "critical"]
