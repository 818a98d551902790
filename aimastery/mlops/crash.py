"""Kill a registry writer mid-write (SIGKILL, at random moments) and check what a reader finds.

Taught in the MLOps chapter (book/mlops.md); the crash test in
``tests/mlops`` runs it too. A child process opens the registry, waits for
the word "go", and registers a version (or moves an alias); the parent
kills it with SIGKILL after a random delay drawn from zero to a little
more than a whole write takes. SIGKILL cannot be caught: no ``finally``,
no clean-up runs, exactly like a power cut for the process (not for the
disk: the kernel still writes out what the process wrote).

After every kill the registry must open, verify (every listed version's
files against their SHA-256) and be either **unchanged** (the same
:func:`~aimastery.mlops.registry.registry_snapshot` as before) or hold
the **whole** write (the write had committed before the kill).
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

from aimastery.config import REPO_ROOT
from aimastery.mlops.registry import ModelRegistry, RegistryError, registry_snapshot

CHILD = r"""
import json, sys, time
from aimastery.mlops.registry import ModelRegistry
root, op, name, arg = sys.argv[1:5]
registry = ModelRegistry(root)
print("ready", flush=True)
sys.stdin.readline()
start = time.perf_counter()
if op == "register":
    registry.register_model(name, arg, code={"git_commit": None, "source_sha256": "crash-test"})
else:
    registry.set_registered_model_alias(name, "staging", int(arg))
print(json.dumps({"seconds": time.perf_counter() - start}), flush=True)
"""


@dataclass
class Trial:
    op: str
    delay_ms: float
    outcome: str  # "unchanged", "committed", or "damaged" (never, we hope)
    problem: str = ""
    leftovers: bool = False  # this kill left work in progress behind: it landed in the middle of the write

    @property
    def mid_write(self) -> bool:
        """Killed in the middle of the write, and the registry is unchanged all the same."""
        return self.outcome == "unchanged" and self.leftovers


def leftovers(root: Path) -> set[str]:
    """Work in progress a killed writer left: files in .tmp/, a temporary registry.json, unlisted versions."""
    import json

    listed = {rec["path"] for m in json.loads((root / "registry.json").read_text())["models"].values()
              for rec in m["versions"].values()}
    folders = {str(p.relative_to(root)) for p in root.glob("models/*/v*")}
    temporary = {str(p.relative_to(root)) for p in [*(root / ".tmp").glob("*"), *root.glob(".registry.json.*.tmp")]}
    return temporary | (folders - listed)


def _child(root: Path, op: str, name: str, arg: str) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])))
    proc = subprocess.Popen([sys.executable, "-c", CHILD, str(root), op, name, arg], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    line = proc.stdout.readline()
    if line.strip() != "ready":
        proc.kill()
        raise RuntimeError(f"the writer did not start: {line!r} {proc.stderr.read()[-2000:]}")
    return proc


def timed_write(root: Path, op: str, name: str, arg: str) -> float:
    """Seconds one uninterrupted write takes (the child reports it)."""
    import json

    proc = _child(root, op, name, arg)
    out, err = proc.communicate("go\n", timeout=120)
    if proc.returncode != 0:
        raise RuntimeError(f"the writer failed: {err[-2000:]}")
    return json.loads(out.strip().splitlines()[-1])["seconds"]


def kill_during_write(root: Path, op: str, name: str, arg: str, delay: float, *,
                      after_work_starts: bool = False) -> Trial:
    """Start one write, SIGKILL it after ``delay`` seconds, and judge what is left.

    With ``after_work_starts`` the delay counts from the moment the writer's
    work folder appears in ``.tmp/`` (it has begun copying), so that the
    kill lands in the middle of the copy rather than before it.
    """
    before = registry_snapshot(root)
    left_before = leftovers(root)
    versions_before = {v.version for v in ModelRegistry(root).search_model_versions(name)}
    proc = _child(root, op, name, arg)
    proc.stdin.write("go\n")
    proc.stdin.flush()
    start = time.perf_counter()
    if after_work_starts:
        while not (leftovers(root) - left_before) and proc.poll() is None:
            pass
    begin = time.perf_counter()
    while time.perf_counter() - begin < delay:  # a busy wait: sleep() may oversleep by milliseconds
        pass
    proc.send_signal(signal.SIGKILL)
    delay = time.perf_counter() - start  # when the signal really went, from "go"
    proc.wait(timeout=60)
    for stream in (proc.stdin, proc.stdout, proc.stderr):
        stream.close()
    left = bool(leftovers(root) - left_before)
    try:
        registry = ModelRegistry(root)
        registry.verify()
        after = registry_snapshot(root)
    except (RegistryError, OSError, ValueError) as err:
        return Trial(op, delay * 1e3, "damaged", f"{type(err).__name__}: {err}", left)
    if after == before:
        return Trial(op, delay * 1e3, "unchanged", leftovers=left)
    kept = all(after.get(f) == h for f, h in before.items() if f != "registry.json")
    if not kept:
        return Trial(op, delay * 1e3, "damaged", "a file of a listed version changed", left)
    versions = {v.version for v in registry.search_model_versions(name)}
    if op == "register" and len(versions - versions_before) == 1 and versions_before <= versions:
        return Trial(op, delay * 1e3, "committed", leftovers=left)
    if op == "alias" and registry.get_aliases(name).get("staging") == int(arg):
        return Trial(op, delay * 1e3, "committed", leftovers=left)
    return Trial(op, delay * 1e3, "damaged", "the registry changed, but not by the whole write", left)


def crash_trials(root: Path, name: str, artefacts_dir: Path, n: int, *, seed: int = 0) -> list[Trial]:
    """``n`` killed writes on the registry at ``root`` (which holds ``name`` with at least one version).

    Three kinds of trial take turns: a registration killed at a moment
    drawn uniformly from zero to 1.5 times the measured length of a
    registration; a registration killed at a random moment once its copy
    has begun (the work folder has appeared); an alias move killed at a
    random moment of (1.5 times) its length.
    """
    rng = np.random.default_rng(seed)
    versions = [v.version for v in ModelRegistry(root).search_model_versions(name)]
    if not versions:
        raise ValueError(f"the registry needs a version of {name!r} first")
    length = {"register": timed_write(root, "register", name, str(artefacts_dir)),
              "alias": timed_write(root, "alias", name, str(versions[0]))}
    trials = []
    for k in range(n):
        kind = k % 3
        op = "alias" if kind == 2 else "register"
        current = [v.version for v in ModelRegistry(root).search_model_versions(name)]
        arg = str(artefacts_dir) if op == "register" else str(current[k % len(current)])
        scale = 0.5 if kind == 1 else 1.5  # once the copy has begun, half a write's length is left at most
        trials.append(kill_during_write(root, op, name, arg, float(rng.uniform(0, scale * length[op])),
                                        after_work_starts=kind == 1))
    return trials
