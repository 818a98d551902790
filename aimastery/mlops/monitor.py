"""Drift statistics inside the capstone's service, exported as Prometheus gauges.

Taught in the MLOps chapter (book/mlops.md). A :class:`DriftMonitor` holds
a *reference profile* of the training data (issue body lengths, and the
labels the model predicted on it) and the service hands it every issue it
classifies (``create_app(settings, monitor=...)``). Each time a window of
``window`` issues is full, it compares the window with the reference and
sets::

    drift_statistic{test="psi", feature="body_length"}      PSI
    drift_statistic{test="ks", feature="body_length"}       Kolmogorov–Smirnov D
    drift_p_value{test="ks", feature="body_length"}         its p-value
    drift_statistic{test="chi2", feature="predicted_label"} chi-squared
    drift_p_value{test="chi2", feature="predicted_label"}   its p-value
    drift_window_issues                                     issues in the last window
    drift_windows_total                                     windows evaluated

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

from aimastery.mlops.drift import chi2_test, ks_2samp, psi

FORMAT = "aimastery-drift-reference"


@dataclass
class ReferenceProfile:
    """What the model saw in training: a sample of body lengths, and its predicted labels' counts."""

    labels: tuple[str, ...]
    body_lengths: np.ndarray  # (n,)
    label_counts: np.ndarray  # (C,)

    @classmethod
    def from_issues(cls, bodies: Sequence[str], predicted: Sequence[str], labels: Sequence[str]) -> ReferenceProfile:
        labels = tuple(labels)
        unknown = sorted(set(predicted) - set(labels))
        if unknown:
            raise ValueError(f"predicted labels {unknown} are not among {labels}")
        if len(bodies) < 2:
            raise ValueError("the reference needs at least two issues")
        return cls(labels, np.array([len(b) for b in bodies], dtype=float),
                   np.array([list(predicted).count(label) for label in labels], dtype=float))

    def to_json(self) -> dict[str, Any]:
        return {"format": FORMAT, "labels": list(self.labels), "body_lengths": self.body_lengths.tolist(),
                "label_counts": self.label_counts.tolist()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ReferenceProfile:
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ValueError(f"not a drift reference (expected format {FORMAT!r})")
        return cls(tuple(data["labels"]), np.asarray(data["body_lengths"], float),
                   np.asarray(data["label_counts"], float))


@dataclass
class DriftMonitor:
    """Collects what the service classifies and tests each full window against the reference."""

    reference: ReferenceProfile
    window: int = 100
    bins: int = 10
    last: dict[str, float] = field(default_factory=dict)  # the last window's results
    _lengths: list[float] = field(default_factory=list, repr=False)
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
        del title  # the tests here read the body and the prediction
        with self._lock:
            self._lengths.append(float(len(body)))
            self._labels.append(label)
            if len(self._lengths) < self.window:
                return
            lengths, labels = self._lengths, self._labels
            self._lengths, self._labels = [], []
        self._export(self.evaluate(lengths, labels), len(lengths))

    def evaluate(self, lengths: Sequence[float], labels: Sequence[str]) -> dict[str, float]:
        """The drift tests on one window (body lengths and predicted labels)."""
        ref = self.reference
        counts = np.array([list(labels).count(label) for label in ref.labels], dtype=float)
        ks = ks_2samp(ref.body_lengths, lengths)
        chi2 = chi2_test(ref.label_counts, counts)
        return {"psi": psi(ref.body_lengths, lengths, bins=self.bins), "ks_statistic": ks.statistic,
                "ks_p_value": ks.p_value, "chi2_statistic": chi2.statistic, "chi2_p_value": chi2.p_value}

    def _export(self, result: dict[str, float], n: int) -> None:
        self.last = result
        if self._gauges is None:
            return
        statistic, p_value, size, windows = self._gauges
        statistic.labels("psi", "body_length").set(result["psi"])
        statistic.labels("ks", "body_length").set(result["ks_statistic"])
        p_value.labels("ks", "body_length").set(result["ks_p_value"])
        statistic.labels("chi2", "predicted_label").set(result["chi2_statistic"])
        p_value.labels("chi2", "predicted_label").set(result["chi2_p_value"])
        size.set(n)
        windows.inc()
