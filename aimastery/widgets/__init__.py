"""Widgets that stay interactive in the static book (anywidget).

Each widget comes in three layers (see book/contributing.md):

* ``compute_*``: a pure function returning plain data (unit-tested);
* ``plot_*``: a matplotlib figure of that data, so the page reads well
  without any JavaScript;
* ``*_widget``: a thin anywidget whose JavaScript redraws from the data, with
  no kernel and no network, so its controls work in the built HTML too.
"""

from aimastery.widgets.base import CourseWidget

__all__ = ["CourseWidget"]
