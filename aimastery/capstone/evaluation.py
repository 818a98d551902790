"""Evaluate classifiers on one held-out split: accuracy, per-class P/R/F1, confusion matrices, figures.

Taught in the capstone chapter (book/capstone_issue_classifier.md); Week 3
teaches the metrics themselves, so they come from scikit-learn here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from aimastery.capstone.issues import LABELS


@dataclass
class Evaluation:
    """One model's scores on the held-out split, per class in ``labels`` order."""

    name: str
    labels: tuple[str, ...]
    accuracy: float
    precision: np.ndarray  # (C,)
    recall: np.ndarray  # (C,)
    f1: np.ndarray  # (C,)
    support: np.ndarray  # (C,) true examples per class
    confusion: np.ndarray  # (C, C): row = true label, column = predicted

    @property
    def macro_f1(self) -> float:
        return float(np.mean(self.f1))

    def to_json(self) -> dict:
        """Plain numbers for the manifest and ``GET /model``."""
        per_class = {label: {"precision": round(float(p), 4), "recall": round(float(r), 4),
                             "f1": round(float(f), 4), "support": int(s)}
                     for label, p, r, f, s in zip(self.labels, self.precision, self.recall, self.f1, self.support)}
        return {"accuracy": round(self.accuracy, 4), "macro_f1": round(self.macro_f1, 4),
                "per_class": per_class, "confusion_matrix": self.confusion.tolist()}


def evaluate(name: str, y_true: Sequence[int], y_pred: Sequence[int],
             labels: Sequence[str] = LABELS) -> Evaluation:
    """Score integer predictions against integer labels (indices into ``labels``)."""
    from sklearn.metrics import accuracy_score, confusion_matrix, precision_recall_fscore_support

    classes = list(range(len(labels)))
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=classes, zero_division=0)
    return Evaluation(name, tuple(labels), float(accuracy_score(y_true, y_pred)), p, r, f, s,
                      confusion_matrix(y_true, y_pred, labels=classes))


def scores_table(evaluations: Sequence[Evaluation]):
    """A pandas DataFrame: one row per model, accuracy, macro F1 and each class's F1."""
    import pandas as pd

    rows = []
    for ev in evaluations:
        row = {"model": ev.name, "accuracy": ev.accuracy, "macro F1": ev.macro_f1}
        row.update({f"F1 {label}": float(f) for label, f in zip(ev.labels, ev.f1)})
        rows.append(row)
    return pd.DataFrame(rows).set_index("model")


def accuracy_table(scores: dict[str, dict[str, Evaluation]]):
    """A pandas DataFrame of accuracies: one row per model, one column per evaluation set (``scores[model][set]``)."""
    import pandas as pd

    return pd.DataFrame({model: {where: ev.accuracy for where, ev in by_set.items()}
                         for model, by_set in scores.items()}).T


def recall_table(scores: dict[str, dict[str, Evaluation]], where: str):
    """Each model's recall per class on one evaluation set: rows models, columns labels."""
    import pandas as pd

    return pd.DataFrame({model: dict(zip(by_set[where].labels, by_set[where].recall.tolist()))
                         for model, by_set in scores.items()}).T


def plot_confusion_matrices(evaluations: Sequence[Evaluation], ncols: int = 2):
    """One confusion matrix per model, ``ncols`` to a row, counts in each cell."""
    import matplotlib.pyplot as plt

    ncols = min(ncols, len(evaluations))
    nrows = -(-len(evaluations) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.6 * ncols, 3.5 * nrows), squeeze=False)
    for ax in axes.flat[len(evaluations):]:
        ax.set_visible(False)
    for ax, ev in zip(axes.flat, evaluations):
        cm = ev.confusion
        ax.imshow(cm, cmap="Blues", vmin=0, vmax=cm.max())
        for (i, j), n in np.ndenumerate(cm):
            ax.text(j, i, str(n), ha="center", va="center", fontsize=9,
                    color="white" if n > cm.max() / 2 else "black")
        ax.set_xticks(range(len(ev.labels)), [label[:4] for label in ev.labels])
        ax.set_yticks(range(len(ev.labels)), [label[:4] for label in ev.labels])
        ax.set(title=f"{ev.name}\naccuracy {ev.accuracy:.1%}", xlabel="predicted", ylabel="true")
        ax.grid(False)
    fig.tight_layout()
    return fig


def plot_per_class_scores(evaluations: Sequence[Evaluation]):
    """Precision, recall and F1 per class, one group of bars per model."""
    import matplotlib.pyplot as plt

    metrics = (("precision", "precision"), ("recall", "recall"), ("F1", "f1"))
    labels = evaluations[0].labels
    fig, axes = plt.subplots(1, 3, figsize=(11, 3.4), sharey=True)
    width = 0.8 / len(evaluations)
    for ax, (title, attr) in zip(axes, metrics):
        for k, ev in enumerate(evaluations):
            ax.bar(np.arange(len(labels)) + (k - (len(evaluations) - 1) / 2) * width,
                   getattr(ev, attr), width, label=ev.name)
        ax.set_xticks(range(len(labels)), labels, rotation=20)
        ax.set(title=title, ylim=(0.5, 1.0))
    axes[0].set_ylabel("score on the held-out split")
    handles, names = axes[0].get_legend_handles_labels()
    fig.legend(handles, names, loc="lower center", ncol=len(evaluations), fontsize=9)
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    return fig


def plot_latency_histogram(latencies_ms: np.ndarray, title: str = "latency per request"):
    """A histogram of latencies (ms), log-scaled, with p50, p95 and p99 marked."""
    import matplotlib.pyplot as plt

    latencies_ms = np.asarray(latencies_ms, dtype=float)
    fig, ax = plt.subplots(figsize=(6.4, 3.2))
    bins = np.logspace(np.log10(latencies_ms.min()), np.log10(latencies_ms.max()), 40)
    ax.hist(latencies_ms, bins=bins, color="C0", alpha=0.8)
    ax.set_xscale("log")
    for q, style in ((50, "-"), (95, "--"), (99, ":")):
        v = np.percentile(latencies_ms, q)
        ax.axvline(v, color="C1", ls=style, lw=1.2, label=f"p{q} = {v:.2f} ms")
    ax.set(xlabel="milliseconds (log scale)", ylabel="requests", title=title)
    ax.legend()
    fig.tight_layout()
    return fig
