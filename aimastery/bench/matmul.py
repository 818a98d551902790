"""The machine's float32 matrix-multiply rate: the ceiling for every dense layer.

Later chapters compare an epoch's achieved GFLOP/s with this figure.
"""

from __future__ import annotations

import time

import numpy as np


def measure_matmul_gflops(n: int = 2048, repeats: int = 5, seed: int = 0) -> float:
    """Best-of-``repeats`` GFLOP/s of an ``n x n`` float32 NumPy matmul (2 n³ flops each)."""
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((n, n), dtype=np.float32)
    b = rng.standard_normal((n, n), dtype=np.float32)
    out = np.empty((n, n), dtype=np.float32)
    np.matmul(a, b, out=out)  # warm-up: threads started, pages touched
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        np.matmul(a, b, out=out)
        best = min(best, time.perf_counter() - start)
    return 2 * n**3 / best / 1e9


def run() -> dict:
    import torch

    n = 2048
    a = torch.randn(n, n)
    b = torch.randn(n, n)
    torch.mm(a, b)
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        torch.mm(a, b)
        best = min(best, time.perf_counter() - start)
    return {
        "n": n,
        "numpy_gflops": round(measure_matmul_gflops(n), 1),
        "torch_gflops": round(2 * n**3 / best / 1e9, 1),
        "torch_threads": torch.get_num_threads(),
    }
