"""The System design chapters' speed figures (book/sysdesign/), measured as ratios in one run.

``make bench ONLY=sysdesign`` prints the ranking MLP's latency at batch 1
and 64 on one core, the throughput gain of batch 64 over batch 1, the gain of
the best dynamic-batching policy under the model-serving chapter's p95
objective (from the simulator driven by the measured latencies), the cost of
one streaming velocity-feature update, exact top-500 retrieval over a
million 64-d items, and MiniLM's latency for one query. The load average is
reported with them: the figures are only comparable on a quiet machine.
"""

from __future__ import annotations

import os
import time

import numpy as np

SLO_P95 = 25e-3  # the model-serving chapter's objective, seconds
POLICIES = {"batch 8, wait 1 ms": (8, 1e-3), "batch 16, wait 2 ms": (16, 2e-3),
            "batch 32, wait 2 ms": (32, 2e-3), "batch 64, wait 4 ms": (64, 4e-3)}


def run() -> dict:
    import torch

    from aimastery.sysdesign.batching import ServiceTime, max_rate_under_slo, measure_batch_latency, ranking_mlp
    from aimastery.pretrained import MiniLMEncoder
    from aimastery.sysdesign.fraud import VelocityFeatures, generate_transactions
    from aimastery.sysdesign.recsys import time_top_k

    torch.set_num_threads(1)
    model = ranking_mlp(256, 2048)
    x = torch.randn(64, 256)

    def forward(b):
        with torch.inference_mode():
            model(x[:b])

    sizes = [1, 2, 4, 8, 16, 32, 48, 64]
    measured = measure_batch_latency(forward, sizes, repeats=100, warmup=10)
    service = ServiceTime.from_measurements(measured)
    alone = max_rate_under_slo(service, 1, 0.0, SLO_P95, rng_seed=0)
    rates = {name: max_rate_under_slo(service, mb, mw, SLO_P95, rng_seed=0) for name, (mb, mw) in POLICIES.items()}
    best = max(rates, key=rates.get)

    tx = generate_transactions(3000, 10, np.random.default_rng(0))
    vf = VelocityFeatures()
    start = time.perf_counter()
    vf.transform(tx.card.to_numpy(), tx.t.to_numpy(), tx.amount.to_numpy())
    us_per_event = (time.perf_counter() - start) / len(tx) * 1e6

    encoder = MiniLMEncoder()
    encoder.encode(["warm up"])
    start = time.perf_counter()
    for _ in range(20):
        encoder.encode(["how does a cache change the tail latency of a RAG system?"])
    minilm_ms = (time.perf_counter() - start) / 20 * 1e3

    return {
        "torch_threads": 1,
        "mlp_b1_ms": round(measured[1] * 1e3, 3),
        "mlp_b64_ms": round(measured[64] * 1e3, 3),
        "gain_b64_saturated": round(service.throughput(64) / service.throughput(1), 2),
        "best_policy": best,
        "gain_under_p95_slo": round(rates[best] / alone, 2),
        "velocity_us_per_event": round(us_per_event, 2),
        "exact_top500_1M_items_ms": round(time_top_k(1_000_000, 64, 500, np.random.default_rng(0)) * 1e3, 2),
        "minilm_query_ms": round(minilm_ms, 2),
        "load_avg_1min": round(os.getloadavg()[0], 2),
    }
