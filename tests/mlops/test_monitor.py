"""Drift gauges from the capstone's service: the monitor hook, the reference profile, /metrics."""

from __future__ import annotations

import json

import numpy as np
import pytest
from fastapi.testclient import TestClient

from aimastery.capstone.issues import LABELS
from aimastery.capstone.predictor import Predictor
from aimastery.capstone.service import Settings, create_app
from aimastery.capstone.synthetic import generate_issues
from aimastery.mlops.dashboard import histogram_quantile, parse_metrics, simulate_days
from aimastery.mlops.drift import chi2_test, ks_2samp, psi
from aimastery.mlops.monitor import DriftMonitor, ReferenceProfile, UnknownWords


@pytest.fixture(scope="module")
def unknown(trained):
    return UnknownWords(Predictor.load(trained["decent"]).artefacts.features)


@pytest.fixture(scope="module")
def reference(trained, unknown):
    predictor = Predictor.load(trained["decent"])
    issues = generate_issues(50, seed=11)
    return ReferenceProfile.from_issues([i.text for i in issues],
                                        [predictor.predict(i.title, i.body).label for i in issues], LABELS, unknown)


def test_unknown_words_are_the_words_the_vocabulary_lacks(unknown):
    known = sorted(unknown._known)[:3]
    assert unknown(" ".join(known)) == 0.0
    assert unknown(" ".join(known + ["zzyzzyva", "qwxplk"])) == pytest.approx(2 / 5)
    assert unknown("") == 0.0 and unknown("a ! ?") == 0.0  # no words of two or more characters


def test_the_service_exports_the_drift_of_each_full_window(trained, reference, unknown):
    monitor = DriftMonitor(reference, unknown, window=20)
    issues = generate_issues(12, seed=12)[:45]  # two full windows and five issues over
    with TestClient(create_app(Settings(trained["decent"]), monitor=monitor)) as client:
        labels = [client.post("/predict", json={"title": i.title, "body": i.body}).json()["label"] for i in issues]
        metrics = parse_metrics(client.get("/metrics").text)
    second = issues[20:40]
    shares, predicted = [unknown(i.text) for i in second], labels[20:40]
    counts = [predicted.count(label) for label in LABELS]
    stat = metrics["drift_statistic"]
    p_value = metrics["drift_p_value"]
    assert stat[(("feature", "unknown_words"), ("test", "psi"))] == pytest.approx(
        psi(reference.unknown_shares, shares))
    assert p_value[(("feature", "unknown_words"), ("test", "ks"))] == pytest.approx(
        ks_2samp(reference.unknown_shares, shares).p_value)
    assert p_value[(("feature", "predicted_label"), ("test", "chi2"))] == pytest.approx(
        chi2_test(reference.label_counts, counts).p_value)
    assert metrics["drift_windows_total"][()] == 2 and metrics["drift_window_issues"][()] == 20
    assert sum(metrics["predictions_total"].values()) == 45


def test_the_batch_endpoint_feeds_the_monitor_too(trained, reference, unknown):
    monitor = DriftMonitor(reference, unknown, window=10)
    batch = [{"title": i.title, "body": i.body} for i in generate_issues(3, seed=13)[:10]]
    with TestClient(create_app(Settings(trained["decent"]), monitor=monitor)) as client:
        assert client.post("/predict/batch", json={"issues": batch}).status_code == 200
    assert set(monitor.last) == {"psi", "ks_statistic", "ks_p_value", "chi2_statistic", "chi2_p_value"}


def test_without_a_monitor_there_are_no_drift_gauges(trained):
    with TestClient(create_app(Settings(trained["decent"]))) as client:
        client.post("/predict", json={"title": "App crashes"})
        assert "drift_statistic" not in client.get("/metrics").text


def test_reference_profile_round_trip_and_errors(reference, unknown):
    again = ReferenceProfile.from_json(json.loads(json.dumps(reference.to_json())))
    assert again.labels == reference.labels and np.array_equal(again.unknown_shares, reference.unknown_shares)
    with pytest.raises(ValueError, match="not a drift reference"):
        ReferenceProfile.from_json({"labels": []})
    with pytest.raises(ValueError, match="not among"):
        ReferenceProfile.from_issues(["a", "b"], ["bug", "spam"], LABELS, unknown)
    with pytest.raises(ValueError, match="each with its prediction"):
        ReferenceProfile.from_issues(["a", "b", "c"], ["bug", "bug"], LABELS, unknown)
    with pytest.raises(ValueError, match="too small"):
        DriftMonitor(reference, unknown, window=3)


def test_histogram_quantile_interpolates_like_prometheus():
    buckets = [(0.1, 50.0), (0.2, 90.0), (0.5, 100.0), (float("inf"), 100.0)]
    assert histogram_quantile(0.5, buckets) == pytest.approx(0.1)  # exactly at a bucket's upper edge
    assert histogram_quantile(0.7, buckets) == pytest.approx(0.15)  # half-way through the second bucket
    assert histogram_quantile(0.25, buckets) == pytest.approx(0.05)  # the first bucket starts at 0
    assert histogram_quantile(0.99, [(0.1, 10.0), (float("inf"), 20.0)]) == pytest.approx(0.1)  # in +Inf
    assert np.isnan(histogram_quantile(0.5, [(0.1, 0.0), (float("inf"), 0.0)]))


def test_simulated_days_are_read_back_from_metrics(trained, reference, unknown):
    monitor = DriftMonitor(reference, unknown, window=15)
    days = [generate_issues(4, seed=20 + d)[:15] for d in range(3)]
    with TestClient(create_app(Settings(trained["decent"]), monitor=monitor)) as client:
        df = simulate_days(client, days)
    assert list(df["requests"]) == [15, 15, 15]
    assert (df[list(LABELS)].sum(axis=1) == 15).all()
    assert (df["p50_ms"] > 0).all() and (df["p99_ms"] >= df["p50_ms"]).all()
    assert df["psi_statistic"].notna().all() and df["chi2_p_value"].between(0, 1).all()
