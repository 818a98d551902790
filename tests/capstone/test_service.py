"""The service in-process (FastAPI's TestClient): endpoints, validation, auth, readiness, metrics."""

from __future__ import annotations

import json
import shutil

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from aimastery.capstone.artefacts import WEIGHTS
from aimastery.capstone.schemas import MAX_BATCH, MAX_BODY_CHARS, MAX_TITLE_CHARS
from aimastery.capstone.service import API_KEY_HEADER, MAX_REQUEST_BYTES, Settings, create_app

ISSUE = {"title": "Crash when the config has a trailing comma",
         "body": "Traceback (most recent call last):\nKeyError: 'user_id'"}


def samples(client: TestClient, name: str) -> dict[tuple, float]:
    """{label values: value} of one metric family, read from /metrics."""
    text = client.get("/metrics").text
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == name:
                out[tuple(sorted(s.labels.items()))] = s.value
    return out


def test_health_ready_model(client):
    assert client.get("/health").json() == {"status": "ok"}
    ready = client.get("/ready")
    assert ready.status_code == 200 and ready.json()["ready"] is True
    info = client.get("/model").json()
    assert info["version"] == ready.json()["model_version"]
    assert info["labels"] == ["bug", "feature", "question", "documentation"]
    assert info["metrics"]["held_out"]["accuracy"] > 0.5 and info["loaded_at"].endswith("+00:00")


def test_predict(client):
    r = client.post("/predict", json=ISSUE)
    assert r.status_code == 200
    body = r.json()
    assert body["label"] in body["probabilities"] and set(body) == {"label", "probabilities", "model_version",
                                                                    "latency_ms"}
    assert abs(sum(body["probabilities"].values()) - 1) < 1e-5
    assert body["label"] == max(body["probabilities"], key=body["probabilities"].get)
    assert body["latency_ms"] >= 0
    assert client.post("/predict", json={"title": "Typo in README"}).status_code == 200  # body is optional


def test_batch_keeps_order_and_agrees_with_single(client):
    issues = [ISSUE, {"title": "How do I configure the cache directory?", "body": ""},
              {"title": "Typo in the quickstart: 'recieve'", "body": ""}]
    batch = client.post("/predict/batch", json={"issues": issues})
    assert batch.status_code == 200
    singles = [client.post("/predict", json=i).json() for i in issues]
    assert [p["label"] for p in batch.json()["predictions"]] == [s["label"] for s in singles]
    full = client.post("/predict/batch", json={"issues": [ISSUE] * MAX_BATCH})
    assert full.status_code == 200 and len(full.json()["predictions"]) == MAX_BATCH


@pytest.mark.parametrize("payload, where", [
    ({"title": "", "body": "x"}, ["body", "title"]),
    ({"title": "   \t\n", "body": "x"}, ["body", "title"]),
    ({"title": "\u00a0\u2003"}, ["body", "title"]),
    ({"body": "no title"}, ["body", "title"]),
    ({"title": 42}, ["body", "title"]),
    ({"title": ["a"]}, ["body", "title"]),
    ({"title": None}, ["body", "title"]),
    ({"title": "x", "body": None}, ["body", "body"]),
    ({"title": "x", "body": "b" * (MAX_BODY_CHARS + 1)}, ["body", "body"]),
    ({"title": "t" * (MAX_TITLE_CHARS + 1)}, ["body", "title"]),
    ({"title": "x", "labels": ["bug"]}, ["body", "labels"]),
    ([{"title": "x"}], ["body"]),
    ("just a string", ["body"]),
])
def test_bad_issues_are_422_saying_what_is_accepted(client, payload, where):
    r = client.post("/predict", json=payload)
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["detail"][0]["loc"] == where and body["detail"][0]["msg"]
    assert "at most 20,000 characters" in body["accepted"]
    assert "b" * 100 not in r.text  # the input is never echoed back


def test_limits_are_inclusive(client):
    ok = {"title": "t" * MAX_TITLE_CHARS, "body": "b" * MAX_BODY_CHARS}
    assert client.post("/predict", json=ok).status_code == 200


@pytest.mark.parametrize("payload", [
    {"issues": []}, {"issues": [ISSUE] * (MAX_BATCH + 1)}, {"issues": [ISSUE, {"title": " "}]},
    {"issues": ISSUE}, {}, {"issues": [ISSUE], "extra": 1},
])
def test_bad_batches_are_422(client, payload):
    r = client.post("/predict/batch", json=payload)
    assert r.status_code == 422 and "1 to 100 issues" in r.json()["accepted"]


@pytest.mark.parametrize("content, headers", [
    (b'{"title": "x", ', {"content-type": "application/json"}),
    (b"\xff\xfe\x00garbage", {"content-type": "application/json"}),
    (b"title=x&body=y", {"content-type": "application/x-www-form-urlencoded"}),
    (b"", {"content-type": "application/json"}),
    (b'{"title": "x"}', {"content-type": "text/plain"}),
])
def test_malformed_bodies_are_4xx_never_5xx(client, content, headers):
    r = client.post("/predict", content=content, headers=headers)
    assert 400 <= r.status_code < 500, (r.status_code, r.text)
    assert "detail" in r.json()


def test_declared_oversize_body_is_413(client):
    r = client.post("/predict", content=b"{}", headers={"content-type": "application/json",
                                                         "content-length": str(MAX_REQUEST_BYTES + 1)})
    assert r.status_code == 413 and "bytes" in r.json()["detail"]


def test_unknown_route_and_method(client):
    assert client.get("/nope").status_code == 404
    assert client.get("/predict").status_code == 405


def test_api_key(artefacts_dir):
    with TestClient(create_app(Settings(artefacts_dir, api_key="s3cret-key"))) as c:
        assert c.post("/predict", json=ISSUE).status_code == 401
        wrong = c.post("/predict", json=ISSUE, headers={API_KEY_HEADER: "s3cret-kez"})
        assert wrong.status_code == 401 and "X-API-Key" in wrong.json()["detail"]
        assert "ApiKey" in wrong.headers["www-authenticate"]
        assert c.post("/predict", json=ISSUE, headers={API_KEY_HEADER: "s3cret-key"}).status_code == 200
        assert c.post("/predict/batch", json={"issues": [ISSUE]}).status_code == 401
        assert c.get("/model").status_code == 401
        assert c.post("/predict", json={"title": ""}).status_code == 401  # no key, no validation details
        for open_route in ("/health", "/ready", "/metrics"):  # probes and scrapers need no key
            assert c.get(open_route).status_code == 200
        assert c.post("/predict", json=ISSUE, headers={API_KEY_HEADER: "é".encode("latin-1")}).status_code == 401
    with TestClient(create_app(Settings(artefacts_dir, api_key="clé-ü"))) as c:  # a non-ASCII key, sent as UTF-8
        assert c.post("/predict", json=ISSUE, headers={API_KEY_HEADER: "clé-ü".encode()}).status_code == 200
        assert c.post("/predict", json=ISSUE, headers={API_KEY_HEADER: "clé-u".encode()}).status_code == 401


def test_api_key_from_environment(monkeypatch, artefacts_dir):
    monkeypatch.setenv("AIM_API_KEY", "  ")
    monkeypatch.setenv("AIM_ARTEFACTS_DIR", str(artefacts_dir))
    assert Settings.from_env() == Settings(artefacts_dir, None)  # blank means no key
    monkeypatch.setenv("AIM_API_KEY", "k")
    assert Settings.from_env().api_key == "k"


def test_missing_artefacts_make_ready_say_why(tmp_path):
    with TestClient(create_app(Settings(tmp_path / "nothing-here"))) as c:
        assert c.get("/health").status_code == 200
        r = c.get("/ready")
        assert r.status_code == 503 and r.json()["ready"] is False
        assert "no artefacts here" in r.json()["reason"] and "python -m aimastery.capstone train" in r.json()["reason"]
        p = c.post("/predict", json=ISSUE)
        assert p.status_code == 503 and "no model loaded" in p.json()["detail"]
        assert c.post("/predict", json={"title": ""}).status_code == 422  # client errors stay client errors


def test_corrupt_artefacts_make_ready_say_why(artefacts_dir, tmp_path):
    copy = tmp_path / "artefacts"
    shutil.copytree(artefacts_dir, copy)
    with open(copy / WEIGHTS, "r+b") as f:
        f.seek(200)
        f.write(b"\x00\x01\x02")
    with TestClient(create_app(Settings(copy))) as c:
        r = c.get("/ready")
        assert r.status_code == 503 and "SHA-256 mismatch" in r.json()["reason"]
        assert c.get("/model").status_code == 503


def test_metrics_count_requests_by_route_and_status_and_predictions_by_label(client):
    before = samples(client, "http_requests_total")
    for _ in range(3):
        client.post("/predict", json=ISSUE)
    client.post("/predict", json={"title": ""})
    client.get("/definitely/not/a/route")
    after = samples(client, "http_requests_total")

    def delta(**labels):
        key = tuple(sorted(labels.items()))
        return after.get(key, 0) - before.get(key, 0)

    assert delta(method="POST", route="/predict", status="200") == 3
    assert delta(method="POST", route="/predict", status="422") == 1
    assert delta(method="GET", route="unmatched", status="404") == 1
    latency = samples(client, "http_request_duration_seconds_count")
    assert latency[(("method", "POST"), ("route", "/predict"), ("status", "200"))] >= 3
    predictions = samples(client, "predictions_total")
    assert sum(predictions.values()) >= 3 and set(dict(k)["label"] for k in predictions) <= {
        "bug", "feature", "question", "documentation"}
    assert samples(client, "model_load_seconds")[()] > 0
    assert client.get("/metrics").headers["content-type"].startswith("text/plain")


def test_openapi_documents_limits_and_errors(client):
    schema = client.get("/openapi.json").json()
    issue = schema["components"]["schemas"]["IssueIn"]
    assert issue["properties"]["body"]["maxLength"] == MAX_BODY_CHARS
    assert issue["properties"]["title"]["pattern"] == r"\S"
    assert schema["components"]["schemas"]["BatchIn"]["properties"]["issues"]["maxItems"] == MAX_BATCH
    assert set(schema["paths"]["/predict"]["post"]["responses"]) >= {"200", "413", "422", "503"}
    json.dumps(schema)
