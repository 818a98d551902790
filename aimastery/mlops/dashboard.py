"""Simulated days of traffic through the capstone's service, read back from ``/metrics`` as a dashboard would.

Taught in the MLOps chapter (book/mlops.md). Each day's issues are sent to
``POST /predict``; at the end of the day ``/metrics`` is scraped and parsed
(prometheus-client's parser), and the day's figures are what a Prometheus
dashboard shows: latency quantiles from the histogram's bucket increments
(:func:`histogram_quantile`, Prometheus' own interpolation), traffic by
predicted label from the counter's increments, and the drift gauges.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from prometheus_client.parser import text_string_to_metric_families

from aimastery.capstone.issues import LABELS, Issue

ROUTE = "/predict"


def parse_metrics(text: str) -> dict[str, dict[tuple, float]]:
    """Every sample of a Prometheus text exposition: ``{name: {sorted label items: value}}``."""
    out: dict[str, dict[tuple, float]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out.setdefault(sample.name, {})[tuple(sorted(sample.labels.items()))] = sample.value
    return out


def histogram_quantile(q: float, buckets: Sequence[tuple[float, float]]) -> float:
    """Prometheus' ``histogram_quantile``: ``buckets`` are (upper bound, cumulative count), +Inf last.

    The quantile's rank is found in the cumulative counts and interpolated
    linearly inside its bucket (from 0 for the first); a rank in the +Inf
    bucket gives the largest finite bound. NaN without observations.
    """
    buckets = sorted(buckets)
    total = buckets[-1][1] if buckets else 0.0
    if total <= 0 or not 0 <= q <= 1:
        return math.nan
    rank = q * total
    lower_bound, lower_count = 0.0, 0.0
    for bound, count in buckets:
        if count >= rank:
            if math.isinf(bound):
                return lower_bound
            return lower_bound + (bound - lower_bound) * (rank - lower_count) / max(count - lower_count, 1e-300)
        lower_bound, lower_count = bound, count
    return lower_bound


def _latency_buckets(metrics: dict) -> dict[float, float]:
    out: dict[float, float] = {}
    for labels, value in metrics.get("http_request_duration_seconds_bucket", {}).items():
        d = dict(labels)
        if d.get("route") == ROUTE and d.get("status") == "200":
            out[float(d["le"])] = out.get(float(d["le"]), 0.0) + value
    return out


def simulate_days(client, days: Sequence[Sequence[Issue]]) -> pd.DataFrame:
    """Send each day's issues to ``POST /predict`` (through ``client``) and read the day back from /metrics.

    One row per day: ``requests``, ``p50_ms`` and ``p99_ms`` (from the
    histogram), one column per label (predictions that day), and every drift
    gauge at the day's end (``psi``, ``ks_p_value``, ``chi2_p_value``, ...).
    """
    rows = []
    before = parse_metrics(client.get("/metrics").text)
    for day, issues in enumerate(days):
        for issue in issues:
            r = client.post(ROUTE, json={"title": issue.title, "body": issue.body})
            if r.status_code != 200:
                raise RuntimeError(f"day {day}: POST {ROUTE} answered {r.status_code}: {r.text[:200]}")
        after = parse_metrics(client.get("/metrics").text)
        b0, b1 = _latency_buckets(before), _latency_buckets(after)
        increments = [(le, b1[le] - b0.get(le, 0.0)) for le in b1]
        row = {"day": day, "requests": len(issues),
               "p50_ms": histogram_quantile(0.5, increments) * 1e3,
               "p99_ms": histogram_quantile(0.99, increments) * 1e3}
        predictions0, predictions1 = before.get("predictions_total", {}), after.get("predictions_total", {})
        for label in LABELS:
            key = (("label", label),)
            row[label] = predictions1.get(key, 0.0) - predictions0.get(key, 0.0)
        for name in ("drift_statistic", "drift_p_value"):
            for labels, value in after.get(name, {}).items():
                d = dict(labels)
                row[f"{d['test']}_{'statistic' if name == 'drift_statistic' else 'p_value'}"] = value
        rows.append(row)
        before = after
    return pd.DataFrame(rows)


def plot_dashboard(df: pd.DataFrame, thresholds: dict[str, float] | None = None, shift_day: int | None = None):
    """Three panels over the days: latency p50/p99, traffic by predicted label, drift (with alert thresholds)."""
    import matplotlib.pyplot as plt

    fig, (ax0, ax1, ax2) = plt.subplots(3, 1, figsize=(10, 7.5), sharex=True)
    outside = {"fontsize": 8, "loc": "upper left", "bbox_to_anchor": (1.01, 1.0)}
    ax0.plot(df["day"], df["p50_ms"], marker=".", label="p50")
    ax0.plot(df["day"], df["p99_ms"], marker=".", label="p99")
    ax0.set(ylabel="ms", title="Latency of POST /predict (from the histogram)")
    ax0.legend(**outside)
    bottom = np.zeros(len(df))
    for label in LABELS:
        ax1.bar(df["day"], df[label], bottom=bottom, label=label, width=0.85)
        bottom += df[label].to_numpy()
    ax1.set(ylabel="issues", title="Traffic by predicted label")
    ax1.legend(**outside)
    series = {"psi_statistic": "PSI · unknown words", "ks_p_value": "KS p · unknown words",
              "chi2_p_value": "chi² p · predicted label"}
    for column, name in series.items():
        if column in df:
            values = df[column].to_numpy(dtype=float)
            shown = values if column == "psi_statistic" else -np.log10(np.maximum(values, 1e-300))
            line, = ax2.plot(df["day"], shown, marker=".", label=name)
            test = column.split("_")[0]
            if thresholds and test in thresholds:
                ax2.axhline(thresholds[test], color=line.get_color(), ls="--", lw=0.8)
    ax2.set(yscale="log", xlabel="day", ylabel="PSI, or -log10 p",
            title="Drift gauges at the end of each day (dashed: alert thresholds)")
    ax2.legend(**outside)
    if shift_day is not None:
        for ax in (ax0, ax1, ax2):
            ax.axvline(shift_day - 0.5, color="k", lw=0.8, ls=":")
    fig.tight_layout()
    return fig
