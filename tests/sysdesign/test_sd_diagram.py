"""Architecture diagrams: validated data, drawn with matplotlib."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from aimastery.sysdesign.diagram import Arrow, Box, check_diagram, draw_architecture  # noqa: E402


def test_draws_boxes_arrows_and_labels():
    boxes = [Box("a", 0, 0, "client", "client"), Box("b", 3, 0, "API"), Box("c", 3, -2, "index", "store")]
    fig = draw_architecture(boxes, [Arrow("a", "b", "query"), Arrow("b", "c", dashed=True)], title="t")
    ax = fig.axes[0]
    texts = {t.get_text() for t in ax.texts}
    assert {"client", "API", "index", "query"} <= texts
    assert len(ax.patches) == 3
    plt.close(fig)


def test_bad_diagrams_are_refused():
    with pytest.raises(ValueError, match="unique"):
        check_diagram([Box("a", 0, 0, "x"), Box("a", 1, 0, "y")], [])
    with pytest.raises(ValueError, match="does not exist"):
        check_diagram([Box("a", 0, 0, "x")], [Arrow("a", "zz")])
    with pytest.raises(ValueError, match="kind"):
        check_diagram([Box("a", 0, 0, "x", "cloud")], [])
