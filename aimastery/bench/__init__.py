"""Benchmarks: ``make bench [ONLY=name]`` prints one JSON object per line.

The convention: a module ``aimastery/bench/<name>.py`` defines
``run() -> dict`` returning its figures (numbers and short strings); the
runner prints ``{"name": <name>, **figures}``. Speed targets are measured
here, never by timed tests: compare timings as ratios taken in one run, so
that the machine's noise cancels.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable


def available() -> list[str]:
    """The names of every benchmark module."""
    return sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))


def get(name: str) -> Callable[[], dict]:
    """The ``run`` function of benchmark ``name``; a clear error listing the benchmarks otherwise."""
    names = available()
    if name not in names:
        raise LookupError(f"no benchmark named {name!r}; the benchmarks are: {', '.join(names) or 'none'}")
    module = importlib.import_module(f"{__name__}.{name}")
    return module.run
