"""The feature store's online lookups: p50/p99 latency of batch and single-key reads.

A store on disk (SQLite, WAL) with ``N_ENTITIES`` reporters and about
``EVENTS_PER_ENTITY`` feature events each in the offline store is
materialised; then ``get_online_features`` is timed for batches of
``BATCH`` random keys (five features of one view) and for single keys.
Also reported: how long materialisation and one point-in-time training
join of ``SPINE_ROWS`` rows took, and the load average (the machine is
shared: compare figures from one run, re-measure on a quiet machine).

Target: p99 of a 100-key batch below 10 ms on a laptop CPU.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

N_ENTITIES = 20_000
EVENTS_PER_ENTITY = 10
BATCH = 100
REPEATS = 1_000
SPINE_ROWS = 50_000


def _events(rng: np.random.Generator) -> pd.DataFrame:
    from aimastery.mlops.issue_stream import COUNT_COLUMNS

    n = N_ENTITIES * EVENTS_PER_ENTITY
    keys = rng.integers(0, N_ENTITIES, size=n)
    ts = rng.integers(0, 90 * 86_400, size=n)
    df = pd.DataFrame({"reporter": [f"u{k:05d}" for k in keys], "event_timestamp": ts, "created": ts})
    for c in (*COUNT_COLUMNS, "n_triaged"):
        df[c] = rng.integers(0, 50, size=n)
    return df


def _percentiles(seconds: list[float]) -> dict[str, float]:
    ms = np.array(seconds) * 1e3
    return {"p50_ms": round(float(np.percentile(ms, 50)), 4), "p99_ms": round(float(np.percentile(ms, 99)), 4)}


def run() -> dict:
    from aimastery.mlops.feature_store import FeatureStore
    from aimastery.mlops.leakage import FEATURES, REPORTER, REPORTER_COUNTS

    rng = np.random.default_rng(0)
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        store = FeatureStore(Path(tmp) / "features.db")
        store.apply([REPORTER, REPORTER_COUNTS])
        events = _events(rng)
        start = time.perf_counter()
        store.write_to_offline_store(REPORTER_COUNTS.name, events)
        write_s = time.perf_counter() - start
        start = time.perf_counter()
        store.materialize_incremental(90 * 86_400)
        materialize_s = time.perf_counter() - start

        keys = [f"u{k:05d}" for k in range(N_ENTITIES)]
        batch_times, single_times = [], []
        for _ in range(REPEATS):
            rows = [{"reporter": keys[i]} for i in rng.integers(0, N_ENTITIES, size=BATCH)]
            start = time.perf_counter()
            store.get_online_features(FEATURES, rows)
            batch_times.append(time.perf_counter() - start)
            one = [{"reporter": keys[rng.integers(0, N_ENTITIES)]}]
            start = time.perf_counter()
            store.get_online_features(FEATURES, one)
            single_times.append(time.perf_counter() - start)

        spine = pd.DataFrame({"reporter": [keys[i] for i in rng.integers(0, N_ENTITIES, size=SPINE_ROWS)],
                              "event_timestamp": rng.integers(0, 90 * 86_400, size=SPINE_ROWS)})
        start = time.perf_counter()
        store.get_historical_features(spine, FEATURES)
        join_s = time.perf_counter() - start
        store.close()
    batch, single = _percentiles(batch_times), _percentiles(single_times)
    return {
        "entities": N_ENTITIES, "offline_events": N_ENTITIES * EVENTS_PER_ENTITY, "batch": BATCH,
        "repeats": REPEATS,
        "batch_p50_ms": batch["p50_ms"], "batch_p99_ms": batch["p99_ms"],
        "single_p50_ms": single["p50_ms"], "single_p99_ms": single["p99_ms"],
        "offline_write_s": round(write_s, 3), "materialize_s": round(materialize_s, 3),
        "historical_join_rows": SPINE_ROWS, "historical_join_s": round(join_s, 3),
        "loadavg_before": round(load_before, 2), "loadavg_after": round(os.getloadavg()[0], 2),
    }
