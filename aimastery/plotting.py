"""One look for every figure in the course (call :func:`use_course_style` once per chapter)."""

from __future__ import annotations

import matplotlib as mpl

#: Colours used across chapters (colour-blind safe: Okabe–Ito).
COLORS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000"]


def use_course_style() -> None:
    """Readable defaults: crisp figures, light grids, no top/right spines, the course's colours."""
    mpl.rcParams.update({
        "figure.dpi": 110,
        "savefig.dpi": 110,
        "figure.figsize": (6.4, 3.8),
        "axes.grid": True,
        "grid.alpha": 0.3,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.prop_cycle": mpl.cycler(color=COLORS),
        "axes.titlesize": 11,
        "axes.labelsize": 10,
        "legend.frameon": False,
        "font.size": 10,
    })
