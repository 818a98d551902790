"""The digit service in-process (FastAPI's TestClient): a good PNG, every kind of bad input, readiness, metrics,
and the command that serves it under uvicorn."""

from __future__ import annotations

import contextlib
import http.client
import shutil
import signal
import subprocess
import sys
import time

import httpx
import numpy as np
import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from aimastery.capstone.server import free_port, http_get
from aimastery.cnn.export import WEIGHTS, load_classifier
from aimastery.cnn.preprocess import MAX_PIXELS, PNG_ACCEPTED, png_to_mnist, solid_png, to_png
from aimastery.cnn.serve import MAX_UPLOAD_BYTES, UPLOAD_ACCEPTED, DigitSettings, create_app, main
from aimastery.config import REPO_ROOT
from aimastery.testing import one_torch_thread  # noqa: F401 (autouse fixture)

from .test_preprocess import png_bytes


@pytest.fixture(scope="module")
def client(exported):
    with TestClient(create_app(DigitSettings(exported))) as c:  # `with` runs the lifespan: the model loads
        yield c


@pytest.fixture(scope="module")
def png(mnist) -> bytes:
    return to_png(mnist.X_test[0])


def upload(client, data: bytes, content_type: str | None = "image/png", name: str = "digit.png", field: str = "file"):
    part = (name, data) if content_type is None else (name, data, content_type)
    return client.post("/predict", files={field: part})


def samples(client, name: str) -> dict[tuple, float]:
    out = {}
    for family in text_string_to_metric_families(client.get("/metrics").text):
        for s in family.samples:
            if s.name == name:
                out[tuple(sorted(s.labels.items()))] = s.value
    return out


def test_health_ready_model(client, exported):
    assert client.get("/health").json() == {"status": "ok"}
    ready = client.get("/ready").json()
    assert ready["ready"] is True and ready["model_version"] == load_classifier(exported).version
    info = client.get("/model").json()
    assert info["version"] == ready["model_version"] and info["labels"] == list("0123456789")
    assert info["metrics"] == {"note": "test fixture"} and info["training_data"] == {"n_digits": 4000}


def test_a_good_png_gets_the_digit_and_all_ten_probabilities(client, png, exported):
    r = upload(client, png)
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"digit", "label", "probabilities", "model_version", "latency_ms"}
    assert list(body["probabilities"]) == list("0123456789") and abs(sum(body["probabilities"].values()) - 1) < 1e-9
    assert body["label"] == str(body["digit"]) == max(body["probabilities"], key=body["probabilities"].get)
    assert body["latency_ms"] > 0
    expected = load_classifier(exported).predict_proba(png_to_mnist(png)[None, None])[0]
    assert np.allclose([body["probabilities"][str(d)] for d in range(10)], expected, rtol=0, atol=1e-12)


def test_the_service_reads_mnist_digits_as_the_model_does(client, mnist, trained):
    import torch

    x = mnist.X_test[:60]
    served = np.array([upload(client, to_png(1 - d)).json()["digit"] for d in x])  # dark on white, as people write
    with torch.no_grad():
        direct = trained(torch.from_numpy(np.ascontiguousarray(x))[:, None]).argmax(1).numpy()
    assert np.mean(served == direct) >= 0.95
    assert np.mean(served == mnist.y_test[:60]) >= 0.8


@pytest.mark.parametrize("content_type, name", [(None, "digit.png"), ("application/octet-stream", "blob"),
                                                ("image/png; charset=binary", "x")])
def test_the_file_may_be_undeclared_or_generic(client, png, content_type, name):
    assert upload(client, png, content_type, name).status_code == 200


def problem(r, status: int, kind: str) -> dict:
    assert r.status_code == status, r.text
    body = r.json()
    assert body["accepted"] == UPLOAD_ACCEPTED and PNG_ACCEPTED in body["accepted"]
    assert body["detail"][0]["type"] == kind, body
    return body["detail"][0]


@pytest.mark.parametrize("data, kind, says", [
    (b"", "empty", "the file is empty (0 bytes)"),
    (b"GIF89a, or any bytes at all", "not_png", "not a PNG image"),
    (png_bytes(10_000, 5_000, b""), "too_many_pixels", f"= 50,000,000 pixels, more than {MAX_PIXELS:,}"),
    (png_bytes(28, 28, b"\x78\x9cnot deflate"), "damaged", "damaged and cannot be decoded"),
    (to_png(np.full((40, 40), 0.8)), "blank", "shows no digit"),
], ids=["empty", "not-an-image", "50-megapixels", "damaged", "blank"])
def test_unusable_files_are_a_422_saying_what_is_accepted(client, data, kind, says):
    p = problem(upload(client, data), 422, kind)
    assert p["loc"] == ["body", "file"] and says in p["msg"]


def test_a_decompression_bomb_is_refused_quickly(client):
    data = solid_png(8_000, 8_000)  # 64 megapixels in about 70 kB
    start = time.perf_counter()
    p = problem(upload(client, data), 422, "too_many_pixels")
    assert time.perf_counter() - start < 1.0 and "8,000 x 8,000" in p["msg"]


def test_the_input_is_never_echoed(client):
    marker = "SECRET-" * 200
    r = upload(client, marker.encode(), name=marker[:100])
    assert r.status_code == 422 and "SECRET" not in r.text and len(r.content) < 2_000


@pytest.mark.parametrize("kwargs", [
    dict(json={"file": "digit.png"}), dict(content=b"\x89PNG", headers={"content-type": "image/png"}),
    dict(data={"file": "x"}), dict(content=b"file=x", headers={"content-type": "text/plain"}),
    dict(content=b"\x89PNG"),
], ids=["json", "raw-png", "urlencoded-form", "text", "none"])
def test_a_body_that_is_not_multipart_is_415(client, kwargs):
    r = client.post("/predict", **kwargs)
    assert r.status_code == 415, r.text
    assert "multipart/form-data" in r.json()["detail"] and "Content-Type" in r.json()["detail"]


@pytest.mark.parametrize("declared", ["text/plain", "image/jpeg", "application/pdf"])
def test_a_file_declared_as_another_type_is_415(client, png, declared):
    r = upload(client, png, declared)
    assert r.status_code == 415 and f"the file's Content-Type is '{declared}'" in r.json()["detail"]
    assert "image/png" in r.json()["detail"]


def test_a_missing_file_field_is_422(client, png):
    p = problem(upload(client, png, field="image"), 422, "missing")
    assert p["loc"] == ["body", "file"]
    r = client.post("/predict", data={"file": "not a file"}, files={"other": ("x.png", png, "image/png")})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "file"]
    empty = client.post("/predict", headers={"content-length": "0"})  # no body, no Content-Type
    assert problem(empty, 422, "missing")


@pytest.mark.parametrize("content, content_type", [
    (b"garbage", "multipart/form-data; boundary=xyz"),
    (b"--xyz\r\nContent-Disposition: form-data; name=\"file\"", "multipart/form-data"),
], ids=["bad-body", "no-boundary"])
def test_unparseable_multipart_is_422(client, content, content_type):
    p = problem(client.post("/predict", content=content, headers={"content-type": content_type}), 422,
                "multipart_invalid")
    assert p["msg"].startswith("the body is not valid multipart/form-data")


def test_oversized_bodies_are_413(exported, png):
    with TestClient(create_app(DigitSettings(exported, max_request_bytes=2_000))) as c:
        big = to_png(np.random.default_rng(0).random((60, 60)))  # noise compresses badly: over 2,000 bytes
        r = upload(c, big)
        assert r.status_code == 413 and "over 2,000 bytes" in r.json()["detail"]
        body = httpx.Request("POST", "http://t/predict", files={"file": ("d.png", big, "image/png")})
        content = body.read()

        def chunks():
            for i in range(0, len(content), 500):
                yield content[i:i + 500]

        chunked = c.post("/predict", content=chunks(), headers={"content-type": body.headers["content-type"]})
        assert chunked.status_code == 413  # no Content-Length: counted as it arrives
        assert upload(c, png).status_code == 200  # a small one still passes
    with TestClient(create_app(DigitSettings(exported))) as c:
        r = c.post("/predict", files={"file": ("d.png", png, "image/png")},
                   headers={"content-length": str(MAX_UPLOAD_BYTES + 1)})
        assert r.status_code == 413 and f"{MAX_UPLOAD_BYTES:,} bytes" in r.json()["detail"]


def test_without_a_model_ready_says_why_and_client_errors_stay_client_errors(tmp_path, png, exported):
    with TestClient(create_app(DigitSettings(tmp_path / "nothing"))) as c:
        r = c.get("/ready")
        assert r.status_code == 503 and r.json()["reason"] == "model artefacts missing (details in the server log)"
        assert upload(c, png).status_code == 503 and c.get("/model").status_code == 503
        assert str(tmp_path) not in r.text
        assert upload(c, png, field="image").status_code == 422
    copy = tmp_path / "export"
    shutil.copytree(exported, copy)
    with open(copy / WEIGHTS, "r+b") as f:
        f.seek(300)
        f.write(b"\x00\x01\x02")
    with TestClient(create_app(DigitSettings(copy))) as c:
        r = c.get("/ready")
        assert r.status_code == 503 and r.json()["reason"].startswith(f"checksum mismatch in {WEIGHTS}")


def test_metrics_count_requests_predictions_and_refusals(client, png):
    before = samples(client, "http_requests_total")
    rejected_before = samples(client, "uploads_rejected_total")
    upload(client, png)
    upload(client, png)
    upload(client, b"")
    upload(client, png, "text/plain")
    client.post("/predict", json={})
    after = samples(client, "http_requests_total")

    def delta(status, route="/predict"):
        key = (("method", "POST"), ("route", route), ("status", status))
        return after.get(key, 0) - before.get(key, 0)

    assert (delta("200"), delta("422"), delta("415")) == (2, 1, 1)
    assert delta("415", "unmatched") == 1  # refused by the middleware, before routing
    predicted = samples(client, "predictions_total")
    assert sum(predicted.values()) >= 2 and {dict(k)["label"] for k in predicted} <= set("0123456789")
    rejected = samples(client, "uploads_rejected_total")
    assert rejected[(("reason", "empty"),)] - rejected_before.get((("reason", "empty"),), 0) == 1
    assert "Digits classified" in client.get("/metrics").text


def test_openapi_documents_the_upload_and_its_errors(client):
    schema = client.get("/openapi.json").json()
    post = schema["paths"]["/predict"]["post"]
    assert list(post["requestBody"]["content"]) == ["multipart/form-data"]
    assert set(post["responses"]) >= {"200", "413", "415", "422", "503"}
    assert schema["components"]["schemas"]["DigitOut"]["properties"]["digit"]["maximum"] == 9


def test_the_command_refuses_a_folder_without_an_export(tmp_path, capsys):
    assert main(["--artefacts", str(tmp_path)]) == 1
    assert "No exported model in" in capsys.readouterr().err


def test_the_command_serves_the_export_over_http(exported, png):
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "aimastery.cnn.serve", "--artefacts", str(exported),
                             "--port", str(port), "--log-level", "warning"], cwd=REPO_ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while proc.poll() is None and time.monotonic() < deadline:
            with contextlib.suppress(OSError, http.client.HTTPException):
                if http_get("127.0.0.1", port, "/ready")[0] == 200:
                    break
            time.sleep(0.2)
        else:
            pytest.fail(f"the server did not become ready: {proc.stdout.read().decode(errors='replace')[-2000:]}")
        r = httpx.post(f"http://127.0.0.1:{port}/predict", files={"file": ("d.png", png, "image/png")}, timeout=10)
        assert r.status_code == 200 and 0 <= r.json()["digit"] <= 9
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
