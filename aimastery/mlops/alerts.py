"""Prometheus alerting rules for the issue classifier: drift thresholds from measurements, service health.

Taught in the MLOps chapter (book/mlops.md). :func:`alert_rules` writes the
rules file from the thresholds the chapter chooses (each drift test's
threshold from its false-alarm rate on days without a shift, see
:mod:`aimastery.mlops.detection`); the file in the package,
``aimastery/mlops/prometheus/issue_classifier_rules.yml``, is what
``python -m aimastery.mlops alert-rules`` writes, and
``promtool check rules`` / ``promtool test rules`` (Debian's ``prometheus``
package) check it and its unit tests in ``issue_classifier_rules_test.yml``.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import yaml

PROMETHEUS_DIR = Path(__file__).resolve().parent / "prometheus"
RULES_FILE = PROMETHEUS_DIR / "issue_classifier_rules.yml"
RULES_TEST_FILE = PROMETHEUS_DIR / "issue_classifier_rules_test.yml"
HEADER = ("# Alerting rules of the issue classifier (book/mlops.md).\n"
          "# Written by `python -m aimastery.mlops alert-rules` from the measured thresholds: do not edit by hand.\n")

#: How each drift test is alerted on: the gauge, its labels, and whether a high or a low value is drift.
DRIFT_ALERTS = {
    "psi": ("UnknownWordsDriftPSI", "drift_statistic", {"test": "psi", "feature": "unknown_words"}, ">"),
    "ks": ("UnknownWordsDriftKS", "drift_p_value", {"test": "ks", "feature": "unknown_words"}, "<"),
    "chi2": ("PredictedLabelMixShift", "drift_p_value", {"test": "chi2", "feature": "predicted_label"}, "<"),
    "embedding": ("IssueEmbeddingDrift", "drift_statistic", {"test": "embedding", "feature": "text"}, ">"),
}
WHAT = {
    "psi": "Issues use words the model never saw, more or less than in training (PSI).",
    "ks": "Issues use words the model never saw, more or less than in training (Kolmogorov-Smirnov).",
    "chi2": "The mix of predicted labels differs from the training data (chi-squared test).",
    "embedding": "What issues are about moved away from the training data (distance of the mean MiniLM embeddings).",
}


def _threshold(test: str, score_threshold: float) -> float:
    """A score threshold (PSI, or -log10 p) as the gauge's threshold (PSI, or p), rounded to 3 significant digits."""
    value = score_threshold if DRIFT_ALERTS[test][3] == ">" else 10.0 ** -score_threshold
    return float(f"{value:.3g}")


DESCRIPTION = ("Check what changed in the project (a release, new features, a new integration); retrain on "
               "recent issues if the model's accuracy on newly triaged issues has dropped.")
SILENT = ("No window of issues was tested for drift in two days.",
          "The monitor sees no traffic, or it is broken: no news is not good news.")
LATENCY_P99_SECONDS = 0.05
LATENCY_SUMMARY = f"p99 latency of POST /predict above {LATENCY_P99_SECONDS * 1e3:g} ms for 10 minutes."
LATENCY_DESCRIPTION = "Look at the workers' CPU and at the request sizes."


def alert_rules(score_thresholds: dict[str, float], *, error_ratio: float = 0.01) -> str:
    """The rules file (YAML text) for these drift thresholds (scores as in :mod:`aimastery.mlops.detection`)."""
    drift = []
    for test, (alert, metric, labels, op) in DRIFT_ALERTS.items():
        if test not in score_thresholds:
            continue
        selector = ",".join(f'{k}="{v}"' for k, v in labels.items())
        drift.append({
            "alert": alert,
            "expr": f"{metric}{{{selector}}} {op} {_threshold(test, score_thresholds[test])}",
            "labels": {"severity": "ticket"},
            "annotations": {"summary": WHAT[test], "description": DESCRIPTION},
        })
    drift.append({
        "alert": "DriftMonitorSilent",
        "expr": "increase(drift_windows_total[2d]) == 0",
        "for": "1h",
        "labels": {"severity": "ticket"},
        "annotations": {"summary": SILENT[0], "description": SILENT[1]},
    })
    service = [
        {"alert": "PredictLatencyHigh",
         "expr": "histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket"
                 f'{{route="/predict"}}[5m]))) > {LATENCY_P99_SECONDS}',
         "for": "10m", "labels": {"severity": "page"},
         "annotations": {"summary": LATENCY_SUMMARY, "description": LATENCY_DESCRIPTION}},
        {"alert": "ServerErrorsHigh",
         "expr": 'sum(rate(http_requests_total{status=~"5.."}[5m])) / sum(rate(http_requests_total[5m])) '
                 f"> {error_ratio}",
         "for": "5m", "labels": {"severity": "page"},
         "annotations": {"summary": f"More than {error_ratio:.0%} of requests fail with a 5xx for 5 minutes.",
                         "description": "Check /ready and the server log (a model that did not load answers 503)."}},
    ]
    doc = {"groups": [{"name": "issue-classifier-drift", "rules": drift},
                      {"name": "issue-classifier-service", "rules": service}]}
    return HEADER + yaml.safe_dump(doc, sort_keys=False, width=100)


def alert_rules_tests(rules_file: str = RULES_FILE.name) -> str:
    """``promtool test rules`` unit tests for :func:`alert_rules`'s file (values far from any threshold).

    Each drift alert stays silent while its gauge is harmless and fires once
    it is extreme; the silent-monitor alert fires after two days without a
    window; the latency alert fires when every request takes a second.
    """
    drift_series, drift_tests = [], []
    for test, (alert, metric, labels, op) in DRIFT_ALERTS.items():
        selector = ",".join(f'{k}="{v}"' for k, v in labels.items())
        calm, extreme = ("0.0001", "50") if op == ">" else ("0.9", "1e-12")
        drift_series.append({"series": f"{metric}{{{selector}}}", "values": f"{calm}x30 {extreme}x30"})
        drift_tests += [
            {"eval_time": "20m", "alertname": alert, "exp_alerts": []},
            {"eval_time": "45m", "alertname": alert,
             "exp_alerts": [{"exp_labels": {"severity": "ticket", **labels},
                             "exp_annotations": {"summary": WHAT[test], "description": DESCRIPTION}}]},
        ]
    drift_series.append({"series": "drift_windows_total", "values": "0+1x60"})
    drift_tests.append({"eval_time": "45m", "alertname": "DriftMonitorSilent", "exp_alerts": []})
    silent = {"interval": "1h", "input_series": [{"series": "drift_windows_total", "values": "0+1x24 24x60"}],
              "alert_rule_test": [
                  {"eval_time": "30h", "alertname": "DriftMonitorSilent", "exp_alerts": []},
                  {"eval_time": "80h", "alertname": "DriftMonitorSilent",
                   "exp_alerts": [{"exp_labels": {"severity": "ticket"},
                                   "exp_annotations": {"summary": SILENT[0], "description": SILENT[1]}}]}]}
    bucket = 'http_request_duration_seconds_bucket{method="POST",route="/predict",status="200",le="%s"}'
    slow = {"interval": "1m", "input_series": [
        {"series": bucket % "0.01", "values": "0+60x20 1200x20"},  # fast for 20 minutes, then every request slow
        {"series": bucket % "1.0", "values": "0+60x40"},
        {"series": bucket % "+Inf", "values": "0+60x40"}],
        "alert_rule_test": [
            {"eval_time": "15m", "alertname": "PredictLatencyHigh", "exp_alerts": []},
            {"eval_time": "39m", "alertname": "PredictLatencyHigh",
             "exp_alerts": [{"exp_labels": {"severity": "page"},
                             "exp_annotations": {"summary": LATENCY_SUMMARY, "description": LATENCY_DESCRIPTION}}]}]}
    doc = {"rule_files": [rules_file], "evaluation_interval": "1m",
           "tests": [{"interval": "1m", "input_series": drift_series, "alert_rule_test": drift_tests}, silent, slow]}
    return ("# Unit tests of the issue classifier's alerting rules: `promtool test rules` runs them.\n"
            "# Written by `python -m aimastery.mlops alert-rules`: do not edit by hand.\n"
            + yaml.safe_dump(doc, sort_keys=False, width=100))


def thresholds_in(rules_text: str) -> dict[str, float]:
    """The drift thresholds (as written, PSI or p) of a rules file made by :func:`alert_rules`."""
    names = {alert: test for test, (alert, *_rest) in DRIFT_ALERTS.items()}
    out = {}
    for group in yaml.safe_load(rules_text)["groups"]:
        for rule in group["rules"]:
            if rule["alert"] in names:
                out[names[rule["alert"]]] = float(rule["expr"].rsplit(" ", 1)[1])
    return out


def score_thresholds(written: dict[str, float]) -> dict[str, float]:
    """The inverse of the rounding in :func:`alert_rules`: thresholds as scores (PSI, or -log10 p)."""
    import math

    return {test: (value if DRIFT_ALERTS[test][3] == ">" else -math.log10(value)) for test, value in written.items()}


def promtool() -> str | None:
    """The path of ``promtool`` (Debian's ``prometheus`` package), or None where it is not installed."""
    return shutil.which("promtool")


def run_promtool(*args: str) -> subprocess.CompletedProcess:
    """``promtool ARGS`` (e.g. ``check rules FILE``); a clear error where promtool is missing."""
    tool = promtool()
    if tool is None:
        raise FileNotFoundError("promtool is not installed: `apt-get install prometheus` (Debian) provides it")
    return subprocess.run([tool, *args], capture_output=True, text=True, timeout=60)
