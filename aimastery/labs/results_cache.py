"""One run of a lab's tests serves every report asked of the same code, within one ``make test``.

``make test`` checks each lab several times over: the pipeline test runs the
reference solution's tests, and the lab notebook, executed against the
solution, calls ``check(n)`` for every task and ``check()`` once more. With
``AIM_LAB_RESULTS_CACHE`` naming a folder (``make test`` sets it to a fresh
one), :func:`aimastery.labs.runner.run_lab` runs a lab's tests once and
answers the later requests from that run. The key is a SHA-256 of every file
in the lab folder and of the pytest arguments, so a change to any file is a
new run. A learner's ``check()`` and ``make lab-check`` never set it.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from aimastery.atomic import write_text_atomic

ENV = "AIM_LAB_RESULTS_CACHE"
_SKIPPED_PARTS = {"__pycache__", ".ipynb_checkpoints", ".pytest_cache", ".hypothesis"}


class ResultsCache:
    def __init__(self, folder: Path):
        self.folder = Path(folder)

    @classmethod
    def from_env(cls) -> ResultsCache | None:
        folder = os.environ.get(ENV)
        return cls(Path(folder)) if folder else None

    @staticmethod
    def key(lab_dir: Path, extra_args: tuple[str, ...] = ()) -> str:
        digest = hashlib.sha256(json.dumps(list(extra_args)).encode())
        for path in sorted(Path(lab_dir).rglob("*")):
            rel = path.relative_to(lab_dir)
            if not path.is_file() or _SKIPPED_PARTS.intersection(rel.parts) or path.suffix in {".pyc", ".ipynb"}:
                continue
            digest.update(str(rel).encode() + b"\0" + path.read_bytes() + b"\0")
        return digest.hexdigest()

    def load(self, key: str) -> dict | None:
        path = self.folder / f"{key}.json"
        return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None

    def store(self, key: str, data: dict) -> None:
        write_text_atomic(self.folder / f"{key}.json", json.dumps(data))
