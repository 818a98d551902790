"""Architecture diagrams drawn with matplotlib: boxes, arrows, labels.

Used by every chapter of the System design part (``book/sysdesign/``). A
diagram is data: :class:`Box` es placed on a grid and :class:`Arrow` s between
them; :func:`check_diagram` validates it and :func:`draw_architecture` draws
it, so that a diagram is code a learner can edit, with no CDN and no image
file to keep in sync.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import matplotlib.pyplot as plt
from matplotlib.patches import FancyBboxPatch

#: Fill colours by kind of component (light tints of the course's palette).
KIND_COLORS = {
    "client": "#FFFFFF",
    "online": "#D6E9F8",   # on the request path
    "store": "#FCE3C9",    # data at rest: indexes, caches, databases
    "offline": "#D5F0E6",  # batch and streaming jobs off the request path
    "model": "#F4D9EA",    # model inference
}


@dataclass(frozen=True)
class Box:
    key: str
    x: float  # centre, in grid units
    y: float
    label: str
    kind: str = "online"


@dataclass(frozen=True)
class Arrow:
    src: str
    dst: str
    label: str = ""
    dashed: bool = False  # dashed: asynchronous or offline flow


def check_diagram(boxes: Sequence[Box], arrows: Sequence[Arrow]) -> None:
    """Raise ``ValueError`` on duplicate keys, unknown kinds or arrows to missing boxes."""
    keys = [b.key for b in boxes]
    if len(set(keys)) != len(keys):
        raise ValueError(f"box keys must be unique, got {keys}")
    for b in boxes:
        if b.kind not in KIND_COLORS:
            raise ValueError(f"box {b.key!r} has kind {b.kind!r}; kinds are {sorted(KIND_COLORS)}")
    for a in arrows:
        for end in (a.src, a.dst):
            if end not in keys:
                raise ValueError(f"arrow {a.src!r} -> {a.dst!r} names a box that does not exist: {end!r}")


def draw_architecture(boxes: Sequence[Box], arrows: Sequence[Arrow], title: str = "",
                      box_size: tuple[float, float] = (1.7, 0.72), figsize: tuple[float, float] = (9.0, 4.6),
                      legend: bool = True):
    """Draw the diagram; returns the matplotlib figure."""
    check_diagram(boxes, arrows)
    fig, ax = plt.subplots(figsize=figsize)
    w, h = box_size
    patches = {}
    for b in boxes:
        patch = FancyBboxPatch((b.x - w / 2, b.y - h / 2), w, h, boxstyle="round,pad=0.02,rounding_size=0.12",
                               facecolor=KIND_COLORS[b.kind], edgecolor="#333333", linewidth=1.0, zorder=2)
        ax.add_patch(patch)
        ax.text(b.x, b.y, b.label, ha="center", va="center", fontsize=8.2, zorder=3, wrap=True)
        patches[b.key] = patch
    centre = {b.key: (b.x, b.y) for b in boxes}
    for a in arrows:
        ax.annotate("", xy=centre[a.dst], xytext=centre[a.src], zorder=1,
                    arrowprops=dict(arrowstyle="-|>", color="#333333", lw=1.1, shrinkA=0, shrinkB=0,
                                    patchA=patches[a.src], patchB=patches[a.dst],
                                    linestyle="--" if a.dashed else "-", mutation_scale=12))
        if a.label:
            (x0, y0), (x1, y1) = centre[a.src], centre[a.dst]
            ax.text((x0 + x1) / 2, (y0 + y1) / 2 + 0.06, a.label, ha="center", va="bottom", fontsize=7,
                    color="#444444", zorder=4,
                    bbox=dict(boxstyle="round,pad=0.15", facecolor="white", edgecolor="none", alpha=0.85))
    xs = [b.x for b in boxes]
    ys = [b.y for b in boxes]
    ax.set_xlim(min(xs) - w, max(xs) + w)
    ax.set_ylim(min(ys) - h * 1.2, max(ys) + h * 1.2)
    ax.set_aspect("equal")
    ax.axis("off")
    if title:
        ax.set_title(title)
    if legend:
        used = [k for k in KIND_COLORS if any(b.kind == k for b in boxes) and k != "client"]
        handles = [plt.Rectangle((0, 0), 1, 1, facecolor=KIND_COLORS[k], edgecolor="#333333") for k in used]
        labels = {"online": "request path", "store": "data store", "offline": "offline / streaming",
                  "model": "model inference"}
        ax.legend(handles, [labels[k] for k in used], loc="upper center", bbox_to_anchor=(0.5, 0.0),
                  ncol=len(used), fontsize=8, frameon=False)
    fig.tight_layout()
    return fig
