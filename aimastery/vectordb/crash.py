"""Kill a store's writer mid-upsert and check what survives (``book/vector_search.md``, and its tests).

``python -m aimastery.vectordb.crash PATH FIRST`` upserts batches ``FIRST,
FIRST + 1, ...`` into ``PATH`` for ever, printing ``ack <batch>`` after each
upsert returns (that is, after its commit). :func:`crash_trial` starts that
writer, waits for some acknowledgements, sends it ``SIGKILL`` at a random
moment, reopens the store and compares it with what was acknowledged. Batch
``b``'s ids and vectors are a pure function of ``b``, so the check is exact.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from aimastery.vectordb.store import NotFound, VectorStore, _check_vectors

TENANT, COLLECTION = "crash-test", "items"
DIM, BATCH = 64, 200
CHECKPOINT_EVERY = 4  # checkpoint often, so that kills land inside checkpoints too


def batch(b: int) -> tuple[list[str], np.ndarray]:
    """The ids and vectors of batch ``b``."""
    return [f"b{b}-{i}" for i in range(BATCH)], np.random.default_rng(b).normal(size=(BATCH, DIM))


def writer(path: str, first: int) -> None:
    store = VectorStore(path, checkpoint_every=CHECKPOINT_EVERY)
    try:
        store.collections(TENANT)
    except NotFound:
        store.create_tenant(TENANT)
        store.create_collection(TENANT, COLLECTION, DIM)
    b = first
    while True:
        ids, x = batch(b)
        store.upsert(TENANT, COLLECTION, ids, x, [{"batch": b}] * BATCH)
        print(f"ack {b}", flush=True)
        b += 1


@dataclass(frozen=True)
class CrashResult:
    acknowledged: int  # batches the writer acknowledged before the kill
    found: int  # batches whole in the reopened store
    missing_acknowledged: int  # acknowledged batches not (wholly) there: must be 0
    partial: int  # batches only partly there: must be 0
    wrong_vectors: int  # items whose vector differs from what was written: must be 0


def crash_trial(path: Path, first: int, acks_before_kill: int, rng: np.random.Generator) -> CrashResult:
    """Start the writer at batch ``first``, kill it after ``acks_before_kill`` acks plus a random delay."""
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, env.get("PYTHONPATH")]))
    proc = subprocess.Popen([sys.executable, "-m", "aimastery.vectordb.crash", str(path), str(first)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    acked = []
    try:
        while len(acked) < acks_before_kill:
            line = proc.stdout.readline()
            if not line:
                raise RuntimeError(f"the writer stopped before {acks_before_kill} acks: {proc.stderr.read()}")
            acked.append(int(line.split()[1]))
        time.sleep(float(rng.uniform(0, 0.02)))  # somewhere inside the next upsert (or checkpoint)
        proc.send_signal(signal.SIGKILL)
        rest, _ = proc.communicate(timeout=30)
        acked += [int(line.split()[1]) for line in rest.splitlines() if line.startswith("ack")]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    with VectorStore(path, checkpoint_every=CHECKPOINT_EVERY) as store:  # reopen: replays the log
        present: dict[int, int] = {}
        stored = store.ids(TENANT, COLLECTION)
        for i in stored:
            b = int(i[1:].split("-")[0])
            present[b] = present.get(b, 0) + 1
        wrong = 0
        for b in present:
            ids, x = batch(b)
            expected = _check_vectors(x, DIM, BATCH)  # the store's own normalisation
            for i, v in zip(ids, expected):
                if i in stored:
                    wrong += not np.array_equal(store.get_vector(TENANT, COLLECTION, i), v)
    whole = {b for b, n in present.items() if n == BATCH}
    return CrashResult(acknowledged=len(acked), found=len({b for b in whole if b >= first}),
                       missing_acknowledged=len(set(acked) - whole),
                       partial=sum(n != BATCH for n in present.values()), wrong_vectors=wrong)


if __name__ == "__main__":
    writer(sys.argv[1], int(sys.argv[2]))
