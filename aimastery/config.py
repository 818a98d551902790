"""Course-wide constants: the one seed, the repository layout.

Every chapter seeds its randomness through :func:`seed_everything` so that a
page gives the same numbers on every build.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

import numpy as np

#: The seed every chapter, lab test and benchmark starts from.
SEED = 0

#: The repository root (the folder holding ``_config.yml``).
REPO_ROOT = Path(__file__).resolve().parent.parent


def seed_everything(seed: int = SEED) -> np.random.Generator:
    """Seed Python, NumPy and PyTorch (if imported); return a NumPy Generator.

    Chapters use the returned generator rather than NumPy's global state.
    """
    random.seed(seed)
    np.random.seed(seed)
    if "torch" in sys.modules:  # seed torch only where a chapter uses it
        sys.modules["torch"].manual_seed(seed)
    return np.random.default_rng(seed)
