"""Threshold explorer: one classifier's scores, and what each threshold costs.

Taught in Week 3 (book/week03_evaluation.md). A binary classifier outputs a
score; flagging every example whose score is at least a threshold turns it
into decisions. Moving the threshold trades false alarms against misses:
the point moves along the ROC and precision–recall curves, the confusion
matrix changes, and so does the expected cost when a miss costs ``r`` times
a false alarm. Three layers, as for every widget of the course:

* :func:`compute_threshold_data` turns labelled scores into plain data:
  the counts at a ladder of thresholds, both curves, a histogram;
* :func:`plot_threshold` draws one threshold's state with matplotlib;
* :func:`threshold_widget` lets a reader move the threshold and pick the
  cost ratio, in Jupyter and in the static page (``js/threshold.js``
  recomputes precision, recall and cost from the stored counts).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import traitlets

from aimastery.evaluation.metrics import average_precision, binary_counts, precision_recall_curve, roc_auc, roc_curve
from aimastery.widgets.base import CourseWidget

#: What a miss (false negative) costs, in false alarms.
COST_RATIOS = (0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0)


@dataclass(frozen=True)
class ScoredTask:
    """A binary task and a classifier's scores on its validation examples."""

    name: str  # e.g. "is it an 8?"
    positive: str  # what a positive is, e.g. "an 8"
    negative: str  # e.g. "another digit"
    score_name: str  # e.g. "P(8)"
    y: np.ndarray  # (N,) 0/1
    scores: np.ndarray  # (N,) higher = more likely positive
    probabilities: bool = True  # scores are (calibrated) probabilities


def _even_picks(n: int, k: int) -> np.ndarray:
    """At most ``k`` indices spread evenly over 0..n-1, both ends included."""
    return np.unique(np.linspace(0, n - 1, min(n, k)).round().astype(int))


def task_data(task: ScoredTask, steps: int = 200, curve_points: int = 300, n_bins: int = 40) -> dict:
    """One task as JSON-able data (see :func:`compute_threshold_data`)."""
    y = np.asarray(task.y).astype(np.int64)
    s = np.asarray(task.scores, dtype=np.float64)
    counts = binary_counts(y, s)  # one entry per distinct score, highest first
    n_pos, n_neg = int(counts.tps[-1]), int(counts.fps[-1])
    if n_pos == 0 or n_neg == 0:
        raise ValueError(f"task {task.name!r} needs positives and negatives; got {n_pos} and {n_neg}")
    # the ladder, lowest threshold first: distinct scores spread evenly by rank, then "flag nothing"
    picks = _even_picks(len(counts.thresholds), steps)[::-1]
    thresholds = [float(t) for t in counts.thresholds[picks]] + [None]  # None: above every score
    tp = [int(v) for v in counts.tps[picks]] + [0]
    fp = [int(v) for v in counts.fps[picks]] + [0]
    fpr, tpr, _ = roc_curve(y, s)
    precision, recall, _ = precision_recall_curve(y, s)
    roc_keep, pr_keep = _even_picks(len(fpr), curve_points), _even_picks(len(recall), curve_points)
    edges = np.linspace(s.min(), s.max(), n_bins + 1) if s.max() > s.min() else np.array([s.min() - 0.5, s.min() + 0.5])
    hist_pos = np.histogram(s[y == 1], edges)[0]
    hist_neg = np.histogram(s[y == 0], edges)[0]
    start = int(np.argmin([abs(t - 0.5) if t is not None else np.inf for t in thresholds])) \
        if task.probabilities else len(thresholds) // 2
    return {
        "name": task.name, "positive": task.positive, "negative": task.negative,
        "score_name": task.score_name, "probabilities": task.probabilities,
        "n_pos": n_pos, "n_neg": n_neg,
        "thresholds": thresholds, "tp": tp, "fp": fp, "start": start,
        "roc": {"fpr": _rounded(fpr[roc_keep]), "tpr": _rounded(tpr[roc_keep])},
        "pr": {"recall": _rounded(recall[pr_keep]), "precision": _rounded(precision[pr_keep])},
        "auc": roc_auc(y, s), "ap": average_precision(y, s),
        "hist": {"edges": _rounded(edges, 6), "pos": hist_pos.tolist(), "neg": hist_neg.tolist()},
    }


def _rounded(a: np.ndarray, digits: int = 5) -> list[float]:
    return [round(float(v), digits) for v in a]


def compute_threshold_data(tasks: Sequence[ScoredTask], steps: int = 200,
                           cost_ratios: Sequence[float] = COST_RATIOS) -> dict:
    """Everything the widget shows, as plain data.

    For each task: the true and false positives ``tp[i]``, ``fp[i]`` when
    flagging every score >= ``thresholds[i]`` (lowest first, at most
    ``steps`` distinct scores spread by rank, then ``None``: flag nothing);
    the full ROC and PR curves (thinned for drawing), ROC-AUC, average
    precision, and a histogram of each class's scores.
    """
    if not tasks:
        raise ValueError("compute_threshold_data needs at least one ScoredTask")
    if not cost_ratios or min(cost_ratios) <= 0:
        raise ValueError(f"cost ratios are positive numbers, got {list(cost_ratios)}")
    return {"tasks": [task_data(t, steps) for t in tasks], "cost_ratios": [float(r) for r in cost_ratios]}


def state_at(task: dict, index: int, cost_ratio: float) -> dict:
    """The confusion matrix, rates and expected cost at threshold ``index`` (what the JS shows)."""
    P, N = task["n_pos"], task["n_neg"]
    tp, fp = task["tp"][index], task["fp"][index]
    fn, tn = P - tp, N - fp
    return {"threshold": task["thresholds"][index], "tp": tp, "fp": fp, "fn": fn, "tn": tn,
            "precision": tp / (tp + fp) if tp + fp else None, "recall": tp / P, "fpr": fp / N,
            "cost": expected_costs(task, cost_ratio)[index]}


def expected_costs(task: dict, cost_ratio: float) -> np.ndarray:
    """Cost per example at every threshold, in false alarms: (FP + r FN) / N."""
    fn = task["n_pos"] - np.asarray(task["tp"])
    return (np.asarray(task["fp"]) + cost_ratio * fn) / (task["n_pos"] + task["n_neg"])


# ----- static figure


def plot_threshold(data: dict, task: int = 0, index: int | None = None, cost_ratio: float = 1.0):
    """Scores by class with the threshold, the point on the ROC and PR curves, and the cost curve."""
    import matplotlib.pyplot as plt

    t = data["tasks"][task]
    index = t["start"] if index is None else index
    st = state_at(t, index, cost_ratio)
    costs = expected_costs(t, cost_ratio)
    fig = plt.figure(figsize=(11, 5.6))
    grid = fig.add_gridspec(2, 4, height_ratios=(1, 1.25), hspace=0.55, wspace=0.45)
    ax_h = fig.add_subplot(grid[0, :])
    edges = np.array(t["hist"]["edges"])
    for counts, label, colour in ((t["hist"]["neg"], t["negative"], "C0"), (t["hist"]["pos"], t["positive"], "C1")):
        ax_h.stairs(np.asarray(counts) + 0.0, edges, fill=True, alpha=0.45, color=colour, label=label)
    ax_h.set_yscale("symlog", linthresh=1)
    threshold = st["threshold"]
    if threshold is not None:
        ax_h.axvline(threshold, color="k", lw=1.5)
    ax_h.set(xlabel=t["score_name"], ylabel="examples (log scale)",
             title=f"{t['name']}  threshold {_show(threshold)}: flag {st['tp'] + st['fp']} of {t['n_pos'] + t['n_neg']}")
    ax_h.legend(loc="upper center")
    ax_roc, ax_pr, ax_cost, ax_cm = (fig.add_subplot(grid[1, i]) for i in range(4))
    ax_roc.plot(t["roc"]["fpr"], t["roc"]["tpr"], color="C0")
    ax_roc.plot(st["fpr"], st["recall"], "o", color="k")
    ax_roc.set(xlabel="false-positive rate", ylabel="true-positive rate", title=f"ROC (AUC {t['auc']:.3f})",
               xlim=(-0.02, 1.02), ylim=(-0.02, 1.02))
    ax_pr.plot(t["pr"]["recall"], t["pr"]["precision"], color="C2")
    if st["precision"] is not None:
        ax_pr.plot(st["recall"], st["precision"], "o", color="k")
    ax_pr.set(xlabel="recall", ylabel="precision", title=f"PR (AP {t['ap']:.3f})", xlim=(-0.02, 1.02),
              ylim=(-0.02, 1.02))
    ax_cost.plot(range(len(costs)), costs, color="C3")
    ax_cost.plot(index, costs[index], "o", color="k")
    best = int(np.argmin(costs))
    ax_cost.plot(best, costs[best], "v", color="C3")
    ax_cost.set(xlabel="threshold step (low → high)", ylabel="cost per example",
                title=f"expected cost (a miss = {cost_ratio:g} false alarms)")
    cm = np.array([[st["tp"], st["fn"]], [st["fp"], st["tn"]]])  # as the widget's table
    ax_cm.imshow(cm, cmap="Blues")
    for (i, j), n in np.ndenumerate(cm):
        ax_cm.text(j, i, str(n), ha="center", va="center", color="white" if n > cm.max() / 2 else "black")
    ax_cm.set_xticks([0, 1], ["flagged", "not flagged"])
    ax_cm.set_yticks([0, 1], [t["positive"], t["negative"]])
    ax_cm.set_title("confusion matrix")
    ax_cm.grid(False)
    return fig


def _show(threshold: float | None) -> str:
    return "above every score" if threshold is None else f"{threshold:.3g}"


# ----- widget


class ThresholdWidget(CourseWidget):
    """Pick a task, move the threshold, choose what a miss costs."""

    _widget_name = "threshold"
    data = traitlets.Dict().tag(sync=True)  # from compute_threshold_data
    task = traitlets.Int(0).tag(sync=True)
    index = traitlets.Int(0).tag(sync=True)  # into the task's thresholds
    cost_ratio = traitlets.Int(3).tag(sync=True)  # into cost_ratios


def threshold_widget(data: dict, cost_ratio: float = 1.0) -> ThresholdWidget:
    """The explorer over ``data``, starting at the first task's default threshold."""
    ratios = data.get("cost_ratios", [])
    start = ratios.index(cost_ratio) if cost_ratio in ratios else 0
    return ThresholdWidget(data=data, index=data["tasks"][0]["start"] if data.get("tasks") else 0,
                           cost_ratio=start)
