"""The base class of the course's widgets: shared JavaScript helpers and style."""

from __future__ import annotations

from pathlib import Path

import anywidget

JS_DIR = Path(__file__).parent / "js"


def _esm(name: str) -> str:
    """The ES module of widget ``name``: the shared helpers, then the widget's own code.

    The helpers are pasted in front (not imported) because a static page has no
    module server to resolve imports from.
    """
    return (JS_DIR / "common.js").read_text(encoding="utf-8") + "\n" + (JS_DIR / f"{name}.js").read_text(encoding="utf-8")


class CourseWidget(anywidget.AnyWidget):
    """A widget whose front end is ``js/<_widget_name>.js`` plus ``js/common.js``.

    Conventions the browser smoke test relies on: the root element carries
    ``data-aim-widget``, each control ``data-aim-control`` and the redrawn
    output ``data-aim-view``. The JS reports a problem by showing it in the
    widget, never by throwing.
    """

    _widget_name = ""

    def __init_subclass__(cls, **kwargs):
        if cls.__dict__.get("_widget_name"):
            cls._esm = _esm(cls._widget_name)
            cls._css = (JS_DIR / "widgets.css").read_text(encoding="utf-8")
        super().__init_subclass__(**kwargs)
