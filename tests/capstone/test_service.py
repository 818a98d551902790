"""The service in-process (FastAPI's TestClient): endpoints, validation, auth, readiness, metrics."""

from __future__ import annotations

import hashlib
import json
import logging
import shutil

import re

import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from prometheus_client.parser import text_string_to_metric_families

from aimastery.capstone.artefacts import WEIGHTS
from aimastery.capstone.schemas import (
    BLANK_LOOKING, MAX_BATCH, MAX_BODY_CHARS, MAX_TITLE_CHARS, has_visible_character, is_visible, visible_pattern,
)
from aimastery.capstone.edge import MAX_PROBLEMS
from aimastery.capstone import service
from aimastery.capstone.service import API_KEY_HEADER, MAX_REQUEST_BYTES, LimitRequestSize, Settings, create_app

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
    ({"title": "x", "labels": ["bug"]}, ["body"]),  # an unknown field: its name is not echoed
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


# control, format, whitespace, and the letters and symbols drawn as blank (U+3164 Hangul filler, U+2800 Braille blank)
INVISIBLE = st.characters(categories=("Cc", "Cf", "Zs", "Zl", "Zp")) | st.sampled_from(sorted(BLANK_LOOKING))
VISIBLE = st.characters(categories=("L", "N", "P", "S"))


@pytest.mark.parametrize("title", ["\x00", "\x00" * 50, "\u200b", "\u200b\u200c\u200d\u2060", "\ufeff", "\u202e\u2066",
                                   "\u0301", "\ue000", "\u2028\u2029", "\u3164", "\u2800 \u2800", "\u115f\u1160",
                                   "\uffa0"])
def test_titles_with_nothing_visible_are_a_clear_422(client, title):
    r = client.post("/predict", json={"title": title, "body": "text"})
    assert r.status_code == 422
    problem = r.json()["detail"][0]
    assert problem["loc"] == ["body", "title"] and problem["type"] == "blank_title"
    assert "no visible character" in problem["msg"] and "letter, number, punctuation mark or symbol" in problem["msg"]


@settings(max_examples=60, deadline=None)
@given(blank=st.text(INVISIBLE, max_size=40), visible=VISIBLE, where=st.integers(0, 40))
def test_visible_means_letter_number_punctuation_or_symbol(artefacts_dir, blank, visible, where):
    with TestClient(create_app(Settings(artefacts_dir))) as c:
        assert c.post("/predict", json={"title": blank}).status_code == 422
        assert c.post("/predict", json={"title": blank[:where] + visible + blank[where:]}).status_code == 200


@settings(max_examples=300)
@given(st.text(st.characters() | st.sampled_from(sorted(BLANK_LOOKING)), max_size=30))
def test_the_published_pattern_is_the_rule(text):
    assert bool(re.search(visible_pattern(), text)) == has_visible_character(text)
    assert has_visible_character(text) == any(is_visible(c) for c in text)


def test_schema_publishes_the_rule(client):
    title = client.get("/openapi.json").json()["components"]["schemas"]["IssueIn"]["properties"]["title"]
    assert title["pattern"] == visible_pattern() and "visible" in title["description"]
    assert re.search(title["pattern"], "\u200b\x00 ") is None and re.search(title["pattern"], "\u200bx")


def test_unknown_fields_are_not_echoed_and_collapse_into_one_problem(client):
    name = "f" * 5_000
    fields = {f"{name}{i}": 1 for i in range(1_000)}
    r = client.post("/predict", json={"title": "x", **fields})
    assert r.status_code == 422 and len(r.content) < 1_000 and name not in r.text
    assert r.json()["detail"] == [{"loc": ["body"], "msg": r.json()["detail"][0]["msg"], "type": "extra_forbidden"}]
    assert "unknown field" in r.json()["detail"][0]["msg"]


def test_many_problems_are_cut_to_a_few_and_a_count(client):
    r = client.post("/predict/batch", json={"issues": [{"title": " "}] * MAX_BATCH})
    assert r.status_code == 422 and len(r.content) < 5_000
    detail = r.json()["detail"]
    assert len(detail) == MAX_PROBLEMS + 1 and detail[-1]["type"] == "too_many_errors"
    assert detail[-1]["msg"] == f"and {MAX_BATCH - MAX_PROBLEMS} more problems (the first {MAX_PROBLEMS} are listed)"


@pytest.mark.parametrize("headers", [{"content-type": "text/plain"}, {"content-type": "application/x-www-form-urlencoded"},
                                     {"content-type": "application/xml"}, {"content-type": "multipart/form-data; boundary=x"},
                                     {"content-type": "application/json; charset=latin-1"}, {}],
                         ids=["text", "form", "xml", "multipart", "latin-1", "none"])
@pytest.mark.parametrize("path", ["/predict", "/predict/batch"])
def test_a_body_not_declared_as_json_is_415(client, headers, path):
    r = client.post(path, content=json.dumps(ISSUE).encode(), headers=headers)
    assert r.status_code == 415, r.text
    assert "application/json" in r.json()["detail"] and "Content-Type" in r.json()["detail"]


@pytest.mark.parametrize("content_type", ["application/json", "application/json; charset=UTF-8", "application/problem+json"])
def test_json_content_types_are_accepted(client, content_type):
    assert client.post("/predict", content=json.dumps(ISSUE).encode(),
                       headers={"content-type": content_type}).status_code == 200


@pytest.mark.parametrize("raw, why", [(b'{"title": "\xff\xfe"}', "it is not UTF-8"),
                                      (b'{"title": "x", "body": ' + b"9" * 5_000 + b"}", "a number in it is too long"),
                                      (b"[" * 100_000 + b"]" * 100_000, "it nests too deeply")],
                         ids=["not-utf8", "huge-integer", "deep-nesting"])
def test_unparseable_bodies_get_the_services_json_error(client, raw, why):
    r = client.post("/predict", content=raw, headers={"content-type": "application/json"})
    assert r.status_code == 422, r.text
    assert r.json() == {"detail": [{"loc": ["body"], "msg": f"the body is not valid JSON ({why})", "type": "json_invalid"}],
                        "accepted": service.ISSUE_ACCEPTS}


def test_ten_thousand_blank_issues_get_one_short_error(client):
    r = client.post("/predict/batch", json={"issues": [{"title": "\u200b"}] * 10_000})
    assert r.status_code == 422 and len(r.content) < 1_000
    assert [p["msg"] for p in r.json()["detail"]] == ["a batch holds 1 to 100 issues, got 10,000"]


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


def chunked(body: bytes, size: int = 100):
    """A body as a generator: httpx sends it with Transfer-Encoding: chunked and no Content-Length."""
    for start in range(0, len(body), size):
        yield body[start:start + size]


def test_chunked_oversize_body_is_413(artefacts_dir):
    body = json.dumps({"title": "Crash on start", "body": "x" * 1_000}).encode()
    with TestClient(create_app(Settings(artefacts_dir, max_request_bytes=500))) as c:
        headers = {"content-type": "application/json"}
        r = c.post("/predict", content=chunked(body), headers=headers)
        assert r.status_code == 413 and "500 bytes" in r.json()["detail"]
        assert "content-length" not in {k.lower() for k in r.request.headers}
        small = json.dumps({"title": "Crash on start"}).encode()
        assert c.post("/predict", content=chunked(small, 5), headers=headers).status_code == 200
        assert c.post("/predict", content=body, headers=headers).status_code == 413  # the declared fast path
        counted = samples(c, "http_requests_total")
        assert sum(v for k, v in counted.items() if ("status", "413") in k) == 2  # the metrics see both


def test_size_limit_also_guards_bodies_read_outside_a_route():
    async def echo(scope, receive, send):  # a bare ASGI app that reads the whole body itself
        body, more = b"", True
        while more:
            message = await receive()
            body, more = body + message.get("body", b""), message.get("more_body", False)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": body})

    c = TestClient(LimitRequestSize(echo, max_bytes=10))  # no `with`: this app has no lifespan
    r = c.post("/", content=chunked(b"y" * 1_000, 7))
    assert r.status_code == 413 and "over 10 bytes, the most" in r.json()["detail"]
    assert c.post("/", content=chunked(b"y" * 10, 3)).text == "y" * 10  # exactly the limit is accepted


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


def test_api_key_is_compared_as_digests_of_equal_length(artefacts_dir, monkeypatch):
    calls, original = [], service.hmac.compare_digest

    def spy(a, b):
        calls.append((a, b))
        return original(a, b)

    monkeypatch.setattr(service.hmac, "compare_digest", spy)
    with TestClient(create_app(Settings(artefacts_dir, api_key="s3cret-key"))) as c:
        for guess in ("s", "s3cret-key-and-more", "s3cret-key"):
            c.post("/predict", json=ISSUE, headers={API_KEY_HEADER: guess})
    expected = hashlib.sha256(b"s3cret-key").digest()
    assert [b for _, b in calls] == [expected] * 3  # a key's length never reaches compare_digest
    assert [a for a, _ in calls] == [hashlib.sha256(g.encode()).digest() for g in ("s", "s3cret-key-and-more",
                                                                                      "s3cret-key")]


def test_api_key_from_environment(monkeypatch, artefacts_dir):
    monkeypatch.setenv("AIM_API_KEY", "  ")
    monkeypatch.setenv("AIM_ARTEFACTS_DIR", str(artefacts_dir))
    assert Settings.from_env() == Settings(artefacts_dir, None)  # blank means no key
    monkeypatch.setenv("AIM_API_KEY", "k")
    assert Settings.from_env().api_key == "k"


def assert_nothing_internal(text: str, folder) -> None:
    """No directory, hash or command in what an anonymous client reads."""
    assert str(folder) not in text and str(folder.parent) not in text
    assert "/" not in text.replace("/ready", "") and "\\" not in text, text
    assert "sha-256" not in text.lower() and "python -m" not in text, text


def test_missing_artefacts_make_ready_say_why(tmp_path, caplog):
    folder = tmp_path / "nothing-here"
    with caplog.at_level(logging.ERROR, logger="aimastery.capstone.service"):
        with TestClient(create_app(Settings(folder))) as c:
            assert c.get("/health").status_code == 200
            r = c.get("/ready")
            assert r.status_code == 503 and r.json()["ready"] is False
            assert r.json()["reason"] == "model artefacts missing (details in the server log)"
            p = c.post("/predict", json=ISSUE)
            assert p.status_code == 503 and "no model loaded: model artefacts missing" in p.json()["detail"]
            assert c.get("/model").status_code == 503
            for response in (r, p):
                assert_nothing_internal(response.text, folder)
            assert c.post("/predict", json={"title": ""}).status_code == 422  # client errors stay client errors
    # the operator gets the full story in the log: where, and what to do
    assert str(folder) in caplog.text and "python -m aimastery.capstone train" in caplog.text


def test_corrupt_artefacts_make_ready_say_why(artefacts_dir, tmp_path, caplog):
    copy = tmp_path / "artefacts"
    shutil.copytree(artefacts_dir, copy)
    with open(copy / WEIGHTS, "r+b") as f:
        f.seek(200)
        f.write(b"\x00\x01\x02")
    with caplog.at_level(logging.ERROR, logger="aimastery.capstone.service"):
        with TestClient(create_app(Settings(copy))) as c:
            r = c.get("/ready")
            assert r.status_code == 503 and r.json()["reason"].startswith(f"checksum mismatch in {WEIGHTS}")
            p = c.post("/predict", json=ISSUE)
            assert p.status_code == 503 and f"checksum mismatch in {WEIGHTS}" in p.json()["detail"]
            assert c.get("/model").status_code == 503
            for response in (r, p):
                assert_nothing_internal(response.text, copy)
    assert str(copy / WEIGHTS) in caplog.text and "SHA-256 mismatch" in caplog.text


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
    assert issue["properties"]["title"]["pattern"] == visible_pattern()
    assert schema["components"]["schemas"]["BatchIn"]["properties"]["issues"]["maxItems"] == MAX_BATCH
    assert set(schema["paths"]["/predict"]["post"]["responses"]) >= {"200", "413", "422", "503"}
    json.dumps(schema)
