"""Optimiser playground: optimisers on 2-D loss surfaces, their trajectories over the contours.

Taught in Week 2 (book/week02_linear.md). Three layers:

* :func:`compute_trajectory` runs one of the course's optimisers
  (:mod:`aimastery.optim`) on one surface and records every iterate (pure:
  settings in, plain data out); :func:`compute_playground` adds the contour
  lines of every surface and the control grids, which is all the static page
  needs;
* :func:`plot_playground` draws trajectories over the contours with matplotlib;
* :func:`optim_playground_widget` lets a reader pick a surface, an optimiser,
  the learning rate, momentum, weight decay and the number of steps; its
  JavaScript (``js/optim_playground.js``) runs the same update rules on the
  same surfaces and redraws, with no kernel.

A run *diverges* at step k when the k-th iterate is not finite or leaves the
square ``|x|, |y| <= DIVERGENCE_BOUND``; the trajectory then stops there and
says so.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

import numpy as np
import torch
import traitlets

from aimastery.optim import SGD, Adam, AdamW, RMSprop
from aimastery.threads import one_thread
from aimastery.widgets.base import CourseWidget

DIVERGENCE_BOUND = 1e4


@dataclass(frozen=True)
class Surface:
    """A loss f(x, y) on a plotting window, with a start point and its minima."""

    name: str
    title: str
    formula: str  # for captions, plain text
    f: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
    x_range: tuple[float, float]
    y_range: tuple[float, float]
    start: tuple[float, float]
    minima: tuple[tuple[float, float], ...]
    f_min: float


SURFACES = {s.name: s for s in (
    Surface("quadratic", "ill-conditioned quadratic", "f = (x² + 25 y²) / 2",
            lambda x, y: 0.5 * (x * x + 25 * y * y),
            (-5.0, 5.0), (-2.5, 2.5), (-4.5, 2.0), ((0.0, 0.0),), 0.0),
    Surface("rosenbrock", "Rosenbrock's valley", "f = (1 − x)² + 100 (y − x²)²",
            lambda x, y: (1 - x) ** 2 + 100 * (y - x * x) ** 2,
            (-2.0, 2.0), (-1.0, 3.0), (-1.2, 1.0), ((1.0, 1.0),), 0.0),
    Surface("saddle", "a saddle between two valleys", "f = x² / 2 + y⁴ / 4 − y² / 2",
            lambda x, y: 0.5 * x * x + 0.25 * y ** 4 - 0.5 * y * y,
            (-2.5, 2.5), (-2.0, 2.0), (-2.2, 0.001), ((0.0, 1.0), (0.0, -1.0)), -0.25),
)}

#: The optimisers of the playground, and how each one reads the momentum control.
OPTIMIZERS = {
    "SGD": "plain SGD (no momentum)",
    "momentum": "SGD with heavy-ball momentum μ",
    "Nesterov": "SGD with Nesterov momentum μ",
    "RMSProp": "RMSProp (α = 0.99) with momentum μ",
    "Adam": "Adam with β₁ = μ, β₂ = 0.999",
    "AdamW": "AdamW with β₁ = μ, β₂ = 0.999 (decoupled weight decay)",
}

LRS = tuple(float(f"{10 ** (k / 4):.3g}") for k in range(-16, 3))  # 1e-4 ... 3.16, a quarter decade apart
MOMENTA = (0.0, 0.5, 0.8, 0.9, 0.95, 0.99)
WEIGHT_DECAYS = (0.0, 0.01, 0.1, 0.5)
STEPS = (25, 50, 100, 200, 500, 1000)

#: A learning rate that works, per surface and optimiser (momentum 0.9, no weight decay, 200 steps).
DEFAULT_LRS = {
    "quadratic": {"SGD": 0.0562, "momentum": 0.0178, "Nesterov": 0.0316, "RMSProp": 0.01, "Adam": 0.1,
                  "AdamW": 0.1},
    "rosenbrock": {"SGD": 0.00178, "momentum": 0.001, "Nesterov": 0.001, "RMSProp": 0.01, "Adam": 0.1,
                   "AdamW": 0.1},
    "saddle": {"SGD": 0.1, "momentum": 0.0316, "Nesterov": 0.0316, "RMSProp": 0.01, "Adam": 0.0316,
               "AdamW": 0.0316},
}


def make_optimizer(name: str, params: list[torch.Tensor], lr: float, momentum: float = 0.9,
                   weight_decay: float = 0.0):
    """The course's optimiser ``name`` (a key of :data:`OPTIMIZERS`) over ``params``."""
    if name == "SGD":
        return SGD(params, lr=lr, weight_decay=weight_decay)
    if name in ("momentum", "Nesterov"):
        return SGD(params, lr=lr, momentum=momentum, nesterov=name == "Nesterov", weight_decay=weight_decay)
    if name == "RMSProp":
        return RMSprop(params, lr=lr, momentum=momentum, weight_decay=weight_decay)
    if name in ("Adam", "AdamW"):
        cls = Adam if name == "Adam" else AdamW
        return cls(params, lr=lr, betas=(momentum, 0.999), weight_decay=weight_decay)
    raise ValueError(f"optimizer must be one of {list(OPTIMIZERS)}, got {name!r}")


@dataclass(frozen=True)
class Trajectory:
    surface: str
    optimizer: str
    lr: float
    momentum: float
    weight_decay: float
    points: list[tuple[float, float]]  # the start, then every finite iterate kept
    losses: list[float]  # f at each point
    diverged_at: int | None  # the step whose iterate left the window of trust, if any

    def to_dict(self) -> dict:
        return asdict(self)


def _surface(surface: str | Surface) -> Surface:
    if isinstance(surface, Surface):
        return surface
    if surface not in SURFACES:
        raise ValueError(f"surface must be one of {list(SURFACES)} (or a Surface), got {surface!r}")
    return SURFACES[surface]


def compute_trajectory(surface: str | Surface, optimizer: str, lr: float, momentum: float = 0.9,
                       weight_decay: float = 0.0, steps: int = 200,
                       start: Sequence[float] | None = None) -> Trajectory:
    """Run ``optimizer`` for ``steps`` steps on ``surface`` from ``start`` (default: the surface's own).

    Gradients come from autograd, in float64; every iterate is recorded until
    the run ends or diverges.
    """
    s = _surface(surface)
    if steps < 1:
        raise ValueError(f"steps must be at least 1, got {steps}")
    xy = torch.tensor(list(start if start is not None else s.start), dtype=torch.float64, requires_grad=True)
    opt = make_optimizer(optimizer, [xy], lr, momentum, weight_decay)
    with one_thread():  # two numbers: threads would only wait for each other
        return _run(s, optimizer, opt, xy, steps, lr, momentum, weight_decay)


def _run(s: Surface, optimizer: str, opt, xy: torch.Tensor, steps: int, lr: float, momentum: float,
         weight_decay: float) -> Trajectory:
    points, losses, diverged_at = [], [], None
    for step in range(steps + 1):
        loss = s.f(xy[0], xy[1])
        x, y = (float(v) for v in xy.detach())
        if not (math.isfinite(x) and math.isfinite(y)) or max(abs(x), abs(y)) > DIVERGENCE_BOUND \
                or not math.isfinite(float(loss.detach())):
            diverged_at = step
            break
        points.append((x, y))
        losses.append(float(loss.detach()))
        if step == steps:
            break
        opt.zero_grad()
        loss.backward()
        opt.step()
    return Trajectory(s.name, optimizer, lr, momentum, weight_decay, points, losses, diverged_at)


def contour_lines(surface: str | Surface, n_levels: int = 14, grid: int = 81,
                  digits: int = 2) -> list[dict]:
    """Contour lines of ``f - f_min`` at geometrically spaced levels, as polylines in (x, y).

    Returns ``[{"level": value, "paths": [[[x, y], ...], ...]}, ...]``.
    """
    import contourpy

    s = _surface(surface)
    xs = np.linspace(*s.x_range, grid)
    ys = np.linspace(*s.y_range, grid)
    X, Y = np.meshgrid(xs, ys)  # (grid, grid)
    with torch.no_grad():
        Z = s.f(torch.from_numpy(X), torch.from_numpy(Y)).numpy() - s.f_min
    top = float(np.quantile(Z, 0.9))
    levels = np.geomspace(top * 1e-4, top, n_levels)
    gen = contourpy.contour_generator(X, Y, Z)
    spacing = 0.01 * max(s.x_range[1] - s.x_range[0], s.y_range[1] - s.y_range[0])
    out = []
    for level in levels:
        paths = [np.round(_thin(line, spacing), digits).tolist() for line in gen.lines(level) if len(line) > 1]
        out.append({"level": float(f"{level:.4g}"), "paths": paths})
    return out


def _thin(line: np.ndarray, spacing: float) -> np.ndarray:
    """The points of ``line`` (n, 2) at least ``spacing`` from the previous one kept, and the last."""
    kept = [line[0]]
    for point in line[1:-1]:
        if np.hypot(*(point - kept[-1])) >= spacing:
            kept.append(point)
    kept.append(line[-1])
    return np.asarray(kept)


def compute_playground(steps_default: int = 200) -> dict:
    """Everything the widget draws from, as plain JSON-able data.

    The surfaces (window, start, minima, contour lines), the control grids,
    and the suggested learning rate of each (surface, optimiser) as an index
    into ``lrs``.
    """
    if steps_default not in STEPS:
        raise ValueError(f"steps_default must be one of {STEPS}, got {steps_default}")
    return {
        "surfaces": [{"name": s.name, "title": s.title, "formula": s.formula,
                      "x_range": list(s.x_range), "y_range": list(s.y_range), "start": list(s.start),
                      "minima": [list(m) for m in s.minima], "f_min": s.f_min,
                      "contours": contour_lines(s)} for s in SURFACES.values()],
        "optimizers": [{"name": name, "description": text} for name, text in OPTIMIZERS.items()],
        "lrs": list(LRS),
        "momenta": list(MOMENTA),
        "weight_decays": list(WEIGHT_DECAYS),
        "steps": list(STEPS),
        "default_lr": {surface: {opt: LRS.index(lr) for opt, lr in by_opt.items()}
                       for surface, by_opt in DEFAULT_LRS.items()},
        "divergence_bound": DIVERGENCE_BOUND,
        "initial": {"steps": STEPS.index(steps_default), "momentum": MOMENTA.index(0.9), "weight_decay": 0},
    }


# ----- static figure


def plot_playground(trajectories: Sequence[Trajectory], data: dict | None = None, axes=None):
    """One panel per surface in ``trajectories``: its contours and each trajectory on it.

    One legend for all panels (a colour per optimiser); a run that
    diverged says so in a note inside its panel.
    """
    import matplotlib.pyplot as plt

    from aimastery.plotting import COLORS

    names = list(dict.fromkeys(t.surface for t in trajectories))
    if axes is None:
        _, axes = plt.subplots(1, len(names), figsize=(3.5 * len(names), 3.6), squeeze=False)
        axes = axes[0]
    surfaces = {s["name"]: s for s in (data or {}).get("surfaces", [])}
    optimizers = list(dict.fromkeys(t.optimizer for t in trajectories))
    colour = {name: COLORS[i % len(COLORS)] for i, name in enumerate(optimizers)}
    for ax, name in zip(axes, names):
        s = SURFACES.get(name)
        lines = surfaces[name]["contours"] if name in surfaces else contour_lines(name)
        for level in lines:
            for path in level["paths"]:
                xy = np.asarray(path)
                ax.plot(xy[:, 0], xy[:, 1], color="#ced4da", lw=0.7, zorder=1)
        for t in (t for t in trajectories if t.surface == name):
            xy = np.asarray(t.points)
            ax.plot(xy[:, 0], xy[:, 1], "-", color=colour[t.optimizer], lw=1.5, zorder=3)
            ax.plot(*xy[-1], "o", color=colour[t.optimizer], ms=4, zorder=4)
            if t.diverged_at is not None:  # its last point may be far outside the window: say it inside
                notes = sum(1 for text in ax.texts)
                ax.text(0.03, 0.04 + 0.08 * notes, f"{t.optimizer}: diverged at step {t.diverged_at}",
                        transform=ax.transAxes, fontsize=8, color=colour[t.optimizer],
                        bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8})
        if s is not None:
            ax.plot(*s.start, "s", color="black", ms=5, zorder=5)
            for m in s.minima:
                ax.plot(*m, "*", color="black", ms=9, zorder=5)
            ax.set(xlim=s.x_range, ylim=s.y_range, title=s.title)
        ax.set(xlabel="x", ylabel="y")
        ax.grid(False)
    fig = axes[0].figure
    handles = [plt.Line2D([], [], color=colour[o], lw=2, label=o) for o in optimizers]
    handles += [plt.Line2D([], [], ls="", marker="s", color="black", label="start"),
                plt.Line2D([], [], ls="", marker="*", ms=9, color="black", label="minimum")]
    fig.legend(handles=handles, loc="upper center", ncol=len(handles), frameon=False, fontsize=9)
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.4 / fig.get_figheight()))
    return axes


# ----- widget


class OptimPlaygroundWidget(CourseWidget):
    """Pick a surface, an optimiser and its settings; the trajectory redraws over the contours."""

    _widget_name = "optim_playground"
    data = traitlets.Dict().tag(sync=True)  # from compute_playground
    surface = traitlets.Int(0).tag(sync=True)  # index into data["surfaces"]
    optimizer = traitlets.Int(1).tag(sync=True)  # index into data["optimizers"]
    lr = traitlets.Int(0).tag(sync=True)  # index into data["lrs"]
    momentum = traitlets.Int(0).tag(sync=True)  # index into data["momenta"]
    weight_decay = traitlets.Int(0).tag(sync=True)  # index into data["weight_decays"]
    steps = traitlets.Int(0).tag(sync=True)  # index into data["steps"]


def optim_playground_widget(data: dict, surface: str = "quadratic", optimizer: str = "momentum"
                            ) -> OptimPlaygroundWidget:
    """The playground over ``data`` (from :func:`compute_playground`), starting on ``surface`` with ``optimizer``."""
    names = [s["name"] for s in data["surfaces"]]
    opts = [o["name"] for o in data["optimizers"]]
    if surface not in names or optimizer not in opts:
        raise ValueError(f"surface must be one of {names} and optimizer one of {opts}, "
                         f"got {surface!r} and {optimizer!r}")
    init = data["initial"]
    return OptimPlaygroundWidget(data=data, surface=names.index(surface), optimizer=opts.index(optimizer),
                                 lr=data["default_lr"][surface][optimizer], momentum=init["momentum"],
                                 weight_decay=init["weight_decay"], steps=init["steps"])
