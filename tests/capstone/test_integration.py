"""The real thing: uvicorn with two workers on 127.0.0.1, a concurrent burst, and /metrics counting it.

Bounded (2,000 requests over 20 connections); the load test at scale is
``make bench ONLY=api``. The server is always stopped, workers included.
"""

from __future__ import annotations

import asyncio
import re
import time

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from aimastery.capstone.loadgen import run_load
from aimastery.capstone.server import TcpConfig, http_get, running_server
from aimastery.capstone.synthetic import generate_issues

N_REQUESTS, CONNECTIONS = 2_000, 20
PAYLOADS = [{"title": i.title, "body": i.body} for i in generate_issues(25, seed=7)]


def predict_counts(server) -> tuple[float, float]:
    """(POST /predict 200 requests, predictions) as /metrics reports them, summed over labels."""
    status, text = http_get(server.host, server.port, "/metrics")
    assert status == 200
    requests = predictions = 0.0
    for family in text_string_to_metric_families(text.decode()):
        for s in family.samples:
            if s.name == "http_requests_total" and s.labels == {"method": "POST", "route": "/predict",
                                                                "status": "200"}:
                requests += s.value
            elif s.name == "predictions_total":
                predictions += s.value
    return requests, predictions


async def burst(url: str, n: int, connections: int) -> list[int]:
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as client:
        async def worker(k: int) -> list[int]:
            codes = []
            for j in range(n // connections):
                r = await client.post("/predict", json=PAYLOADS[(k + j) % len(PAYLOADS)])
                codes.append(r.status_code)
            return codes

        per_worker = await asyncio.gather(*[worker(k) for k in range(connections)])
    return [code for codes in per_worker for code in codes]


def serving_pids(metrics_dir) -> set[str]:
    """Workers that counted at least one request (each writes counter_<pid>.db)."""
    return {re.search(r"_(\d+)\.db$", f.name).group(1) for f in metrics_dir.glob("counter_*.db")}


def test_burst_on_two_workers_is_served_and_counted(artefacts_dir, tmp_path):
    metrics_dir = tmp_path / "prometheus"
    with running_server(artefacts_dir, workers=2, env={"PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)}) as server:
        before = predict_counts(server)
        codes = asyncio.run(burst(server.url, N_REQUESTS, CONNECTIONS))
        assert len(codes) == N_REQUESTS and set(codes) == {200}, f"statuses: {sorted(set(codes))}"
        sent = N_REQUESTS
        # The sum below proves aggregation only if both workers served: make sure they did.
        for _ in range(200):
            if len(serving_pids(metrics_dir)) >= 2:
                break
            with httpx.Client(base_url=server.url) as fresh:  # a new connection may land on the other worker
                assert fresh.post("/predict", json=PAYLOADS[0]).status_code == 200
            sent += 1
        assert len(serving_pids(metrics_dir)) == 2, "both workers should have served requests"
        # The middleware counts a request once its response is sent, so the last one may land a moment
        # after the client has it: wait for the count to settle (it must then be exactly `sent`).
        deadline = time.monotonic() + 5
        after = predict_counts(server)
        while after[0] - before[0] < sent and time.monotonic() < deadline:
            time.sleep(0.05)
            after = predict_counts(server)
        assert after[0] - before[0] == sent, "/metrics must count every worker's requests"
        assert after[1] - before[1] == sent, "one prediction per request"


def test_loadgen_against_real_server(artefacts_dir, tmp_path):
    with running_server(artefacts_dir, workers=1, env={"TMPDIR": str(tmp_path)}) as server:
        result = run_load(server.host, server.port, "/predict", PAYLOADS, n_requests=200, concurrency=4)
        bad = run_load(server.host, server.port, "/predict", [{"title": ""}], n_requests=20, concurrency=2)
    assert not list(tmp_path.glob("aim-prometheus-*")), "the server removes the metrics folder it made"
    assert len(result.latencies) == 200 and result.statuses == {200: 200} and result.errors == 0
    assert result.requests_per_second > 0 and result.percentile_ms(99) >= result.percentile_ms(50) > 0
    assert bad.statuses == {422: 20} and bad.errors == 0


def test_listening_socket_is_marked_tcp():
    """Without IPPROTO_TCP on the socket, asyncio skips TCP_NODELAY and keep-alive responses stall ~40 ms."""
    import socket

    config = TcpConfig("aimastery.capstone.service:create_app", host="127.0.0.1", port=0, log_level="error")
    sock = config.bind_socket()
    try:
        assert sock.proto == socket.IPPROTO_TCP
    finally:
        sock.close()


def test_a_server_that_cannot_start_is_reported(tmp_path):
    with pytest.raises(RuntimeError, match="did not become ready"):
        with running_server(tmp_path / "no-artefacts", workers=1, startup_timeout=3):
            pass
