"""The issue-classifier service under load: latency and throughput of ``POST /predict``.

Starts the real service (uvicorn, 2 workers, multiprocess metrics) on
127.0.0.1 and a free port, and drives it with
:mod:`aimastery.capstone.loadgen` over keep-alive connections:

* ``p50_ms``, ``p95_ms``, ``p99_ms``, ``rps_1``: one client, requests back to back;
* ``rps_16``: 16 concurrent clients;
* ``model_ms``: the predictor alone, in-process (median of single issues).

Targets on a 2-core machine: p50 < 5 ms and p99 < 20 ms single-client,
>= 500 req/s with 16 clients. The client shares the machine's cores with
the server, so these are conservative. The load average before and after
goes to stderr (the JSON line keeps the agreed keys).

Uses the artefacts in ``$AIM_ARTEFACTS_DIR`` / ``artefacts/capstone`` when
they verify; otherwise trains a model into a temporary folder first.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

N_SINGLE = 3_000
N_CONCURRENT = 12_000
CONCURRENCY = 16
WORKERS = 2


def _payloads(n: int = 400, seed: int = 1) -> list[dict]:
    from aimastery.capstone.synthetic import generate_issues

    return [{"title": i.title, "body": i.body} for i in generate_issues(n // 4, seed)]


def _model_ms(artefacts: Path, payloads: list[dict], repeats: int = 2_000) -> float:
    from aimastery.capstone.predictor import Predictor

    predictor = Predictor.load(artefacts)
    times = []
    for k in range(repeats):
        p = payloads[k % len(payloads)]
        start = time.perf_counter()
        predictor.predict(p["title"], p["body"])
        times.append(time.perf_counter() - start)
    return float(np.median(times) * 1e3)


def _measure(artefacts: Path) -> dict:
    from aimastery.capstone.loadgen import run_load
    from aimastery.capstone.server import running_server

    payloads = _payloads()
    model_ms = _model_ms(artefacts, payloads)
    with running_server(artefacts, workers=WORKERS) as server:
        run_load(server.host, server.port, "/predict", payloads, n_requests=800, concurrency=8)  # warm-up
        single = run_load(server.host, server.port, "/predict", payloads, n_requests=N_SINGLE, concurrency=1)
        many = run_load(server.host, server.port, "/predict", payloads, n_requests=N_CONCURRENT,
                        concurrency=CONCURRENCY)
    for name, result in (("single client", single), (f"{CONCURRENCY} clients", many)):
        if result.errors or set(result.statuses) != {200}:
            raise RuntimeError(f"api bench, {name}: {result.errors} errors, statuses {dict(result.statuses)}")
    return {
        "p50_ms": round(single.percentile_ms(50), 3),
        "p95_ms": round(single.percentile_ms(95), 3),
        "p99_ms": round(single.percentile_ms(99), 3),
        "rps_1": round(single.requests_per_second, 1),
        "rps_16": round(many.requests_per_second, 1),
        "model_ms": round(model_ms, 4),
    }


def run() -> dict:
    from aimastery.capstone.artefacts import ArtefactError, default_artefacts_dir, load_artefacts

    load_before = os.getloadavg()
    try:
        load_artefacts(default_artefacts_dir())
        figures = _measure(default_artefacts_dir())
    except ArtefactError:
        from aimastery.capstone.train import train_and_save

        with tempfile.TemporaryDirectory(prefix="aim-bench-api-") as tmp:
            train_and_save(Path(tmp) / "artefacts", progress=False, log=lambda _: None)
            figures = _measure(Path(tmp) / "artefacts")
    load_after = os.getloadavg()
    print(f"api bench: {WORKERS} uvicorn workers, {N_SINGLE} single-client and {N_CONCURRENT} requests over "
          f"{CONCURRENCY} connections; load average (1, 5, 15 min) before {load_before}, after {load_after}",
          file=sys.stderr)
    return figures
