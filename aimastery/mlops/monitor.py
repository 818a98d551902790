"""Drift statistics inside the capstone's service, exported as Prometheus gauges.

Taught in the MLOps chapter (book/mlops.md). A :class:`DriftMonitor` holds
a *reference profile* of the training data (for each reference issue, the
share of its words the model's vocabulary lacks, and the label the model
predicted) and the service hands it every issue it classifies
(``create_app(settings, monitor=...)``). Each time a window of ``window``
issues is full, it compares the window with the reference and sets::

    drift_statistic{test="psi", feature="unknown_words"}    PSI
    drift_statistic{test="ks", feature="unknown_words"}     Kolmogorov–Smirnov D
    drift_p_value{test="ks", feature="unknown_words"}       its p-value
    drift_statistic{test="chi2", feature="predicted_label"} chi-squared
    drift_p_value{test="chi2", feature="predicted_label"}   its p-value
    drift_window_issues                                     issues in the last window
    drift_windows_total                                     windows evaluated

The unknown-word share (:class:`UnknownWords`) is the model's own view of
new vocabulary: words it never saw in training carry no weight in its
TF-IDF features, so an issue made of them is one it classifies blind.

The tests are cheap (a millisecond on a window of a hundred issues), so
they run in the request that fills the window. Embedding drift needs
MiniLM, and so PyTorch, which the service's image leaves out: it runs as a
separate job on logged texts (:mod:`aimastery.mlops.detection`).

With several workers (prometheus-client's multiprocess mode) each worker
watches its own share of the traffic; ``/metrics`` reports the largest
statistic and the smallest p-value over the live workers.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from prometheus_client import CollectorRegistry, Counter, Gauge

from aimastery.capstone.features import TfidfFeatures
from aimastery.capstone.issues import issue_text
from aimastery.mlops.drift import chi2_test, ks_2samp, psi

FORMAT = "aimastery-drift-reference"


class UnknownWords:
    """``unknown(text)``: the share of a text's words that a TF-IDF vocabulary lacks (0 for a text of no words).

    Words are the model's own tokens (lower case, runs of two or more word
    characters); the vocabulary's single words are the known ones.
    """

    def __init__(self, features: TfidfFeatures):
        self._features = features
        self._known = frozenset(t for t in features.terms if " " not in t)

    def __call__(self, text: str) -> float:
        words = [g for g in self._features.analyze(text) if " " not in g]
        return sum(w not in self._known for w in words) / len(words) if words else 0.0


@dataclass
class ReferenceProfile:
    """What the model saw in training: its issues' unknown-word shares, and its predicted labels' counts."""

    labels: tuple[str, ...]
    unknown_shares: np.ndarray  # (n,)
    label_counts: np.ndarray  # (C,)

    @classmethod
    def from_issues(cls, texts: Sequence[str], predicted: Sequence[str], labels: Sequence[str],
                    unknown: UnknownWords) -> ReferenceProfile:
        labels = tuple(labels)
        strangers = sorted(set(predicted) - set(labels))
        if strangers:
            raise ValueError(f"predicted labels {strangers} are not among {labels}")
        if len(texts) < 2 or len(texts) != len(predicted):
            raise ValueError(f"the reference needs two or more texts, each with its prediction; "
                             f"got {len(texts)} texts and {len(predicted)} predictions")
        return cls(labels, np.array([unknown(t) for t in texts], dtype=float),
                   np.array([list(predicted).count(label) for label in labels], dtype=float))

    def to_json(self) -> dict[str, Any]:
        return {"format": FORMAT, "labels": list(self.labels), "unknown_shares": self.unknown_shares.tolist(),
                "label_counts": self.label_counts.tolist()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ReferenceProfile:
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ValueError(f"not a drift reference (expected format {FORMAT!r})")
        return cls(tuple(data["labels"]), np.asarray(data["unknown_shares"], float),
                   np.asarray(data["label_counts"], float))


@dataclass
class DriftMonitor:
    """Collects what the service classifies and tests each full window against the reference."""

    reference: ReferenceProfile
    unknown: UnknownWords
    window: int = 100
    bins: int = 10
    last: dict[str, float] = field(default_factory=dict)  # the last window's results
    _shares: list[float] = field(default_factory=list, repr=False)
    _labels: list[str] = field(default_factory=list, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _gauges: tuple | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.window < 10:
            raise ValueError(f"a window of {self.window} issues is too small to test; use 10 or more")

    def bind(self, registry: CollectorRegistry) -> None:
        """Create the gauges in the service's registry (once per app)."""
        statistic = Gauge("drift_statistic", "Drift statistic of the last window against the training reference.",
                          ["test", "feature"], registry=registry, multiprocess_mode="livemax")
        p_value = Gauge("drift_p_value", "p-value of the last window's drift test (small = drift).",
                        ["test", "feature"], registry=registry, multiprocess_mode="livemin")
        size = Gauge("drift_window_issues", "Issues in the last window the drift tests read.",
                     registry=registry, multiprocess_mode="livemax")
        windows = Counter("drift_windows", "Windows of issues the drift tests evaluated.", registry=registry)
        self._gauges = (statistic, p_value, size, windows)

    def observe(self, title: str, body: str, label: str) -> None:
        """One classified issue; evaluates and exports when the window is full."""
        share = self.unknown(issue_text(title, body))
        with self._lock:
            self._shares.append(share)
            self._labels.append(label)
            if len(self._shares) < self.window:
                return
            shares, labels = self._shares, self._labels
            self._shares, self._labels = [], []
        self._export(self.evaluate(shares, labels), len(shares))

    def evaluate(self, shares: Sequence[float], labels: Sequence[str]) -> dict[str, float]:
        """The drift tests on one window (unknown-word shares and predicted labels)."""
        ref = self.reference
        counts = np.array([list(labels).count(label) for label in ref.labels], dtype=float)
        ks = ks_2samp(ref.unknown_shares, shares)
        chi2 = chi2_test(ref.label_counts, counts)
        return {"psi": psi(ref.unknown_shares, shares, bins=self.bins), "ks_statistic": ks.statistic,
                "ks_p_value": ks.p_value, "chi2_statistic": chi2.statistic, "chi2_p_value": chi2.p_value}

    def _export(self, result: dict[str, float], n: int) -> None:
        self.last = result
        if self._gauges is None:
            return
        statistic, p_value, size, windows = self._gauges
        statistic.labels("psi", "unknown_words").set(result["psi"])
        statistic.labels("ks", "unknown_words").set(result["ks_statistic"])
        p_value.labels("ks", "unknown_words").set(result["ks_p_value"])
        statistic.labels("chi2", "predicted_label").set(result["chi2_statistic"])
        p_value.labels("chi2", "predicted_label").set(result["chi2_p_value"])
        size.set(n)
        windows.inc()
