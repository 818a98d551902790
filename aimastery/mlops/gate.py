"""The metric gate a model must pass before it takes the production alias.

Taught in the MLOps chapter (book/mlops.md). The held-out scores in each
model's manifest were measured on *that training run's* split: two runs
on different data have different test sets, and their scores cannot be
compared. So the gate scores the candidate **and** the model in production
on one fixed evaluation set (its hash recorded with the decision) and asks
three things:

* an absolute floor: ``metric >= min_value``;
* no regression: ``metric >= incumbent's metric - max_drop``;
* no class left behind: no label's recall falls by more than
  ``max_class_recall_drop``, and none the incumbent reports is missing.

A drop is "more than" its limit only when it exceeds it by more than
``TOLERANCE``: scores are floats, and ``0.90 - 0.89`` is
``0.010000000000000009``, so a plain comparison would refuse a drop of
exactly ``max_drop``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

from aimastery.capstone.artefacts import Artefacts
from aimastery.capstone.evaluation import evaluate
from aimastery.capstone.issues import Issue, dataset_hash
from aimastery.capstone.predictor import Predictor


TOLERANCE = 1e-9


@dataclass(frozen=True)
class MetricGate:
    """What a candidate must score on the gate's evaluation set (see the module docstring)."""

    metric: str = "macro_f1"
    min_value: float = 0.80
    max_drop: float = 0.01
    max_class_recall_drop: float = 0.05

    def failures(self, candidate: dict, incumbent: dict | None) -> list[str]:
        """Why ``candidate`` may not replace ``incumbent`` (None: no model yet); empty when it may."""
        for name, scores in (("candidate", candidate), ("incumbent", incumbent)):
            if scores is not None and self.metric not in scores:
                raise KeyError(f"the {name}'s scores lack {self.metric!r}; they have {sorted(scores)}")
        reasons = []
        value = candidate[self.metric]
        if value < self.min_value:
            reasons.append(f"{self.metric} {value:.4f} is below the floor {self.min_value:.4f}")
        if incumbent is None:
            return reasons
        if incumbent[self.metric] - value > self.max_drop + TOLERANCE:
            reasons.append(f"{self.metric} {value:.4f} is more than {self.max_drop:.4f} below production's "
                           f"{incumbent[self.metric]:.4f}")
        recalls = candidate.get("recall", {})
        for label, before in incumbent.get("recall", {}).items():
            if label not in recalls:
                reasons.append(f"recall on {label!r}: production's is {before:.4f}, the candidate reports none")
            elif before - recalls[label] > self.max_class_recall_drop + TOLERANCE:
                reasons.append(f"recall on {label!r} fell from {before:.4f} to {recalls[label]:.4f} "
                               f"(more than {self.max_class_recall_drop:.4f})")
        return reasons

    def to_json(self) -> dict:
        return asdict(self)


def score_artefacts(artefacts: Artefacts, issues: Sequence[Issue]) -> dict:
    """The gate's scores of a capstone model on ``issues``: accuracy, macro-F1, recall per label, data hash."""
    if not issues:
        raise ValueError("the gate's evaluation set is empty")
    predictor = Predictor(artefacts)
    labels = list(predictor.labels)
    y_true = np.array([labels.index(i.label) for i in issues])
    y_pred = np.array([labels.index(predictor.predict(i.title, i.body).label) for i in issues])
    ev = evaluate(artefacts.version, y_true, y_pred, labels=tuple(labels))
    return {"accuracy": round(ev.accuracy, 6), "macro_f1": round(ev.macro_f1, 6),
            "recall": {label: round(float(r), 6) for label, r in zip(labels, ev.recall)},
            "n": len(issues), "data_sha256": dataset_hash(issues)}
