"""NumPy im2col convolution, forward and backward, against PyTorch's: one 64 -> 64-channel 3x3 layer.

Target (Week 5, book/week05_cnn.md): at most 2.5 times PyTorch's time, for
batch 32 of 32x32 inputs in float32, stride 1 and padding 1, forward and
backward (dx, dw, db). Both sides are timed in this one run, alternately,
``repeats`` times each after a warm-up, with the same number of threads;
``ratio`` is the ratio of the medians (the machine is shared: the ratio, not
the seconds, is the figure). The split of our time into im2col, the three
matrix products and col2im says where the gap comes from.
"""

from __future__ import annotations

import statistics
import time

import numpy as np

N, C, HW, K = 32, 64, 32, 3


def _ours(x, w, b, dout):
    from aimastery.cnn.conv import conv2d_backward, conv2d_forward

    out, cache = conv2d_forward(x, w, b, stride=1, padding=1)
    return out, conv2d_backward(dout, cache)


def _phases(x, w, dout, repeats: int) -> dict:
    """Median seconds of each phase of our forward + backward: im2col, the three matrix products, col2im."""
    from aimastery.cnn.conv import col2im, im2col

    w2 = w.reshape(C, -1)
    times: dict[str, list[float]] = {"im2col_s": [], "matmuls_s": [], "col2im_s": []}
    for _ in range(repeats):
        start = time.perf_counter()
        cols = im2col(x, K, 1, 1)
        times["im2col_s"].append(time.perf_counter() - start)
        start = time.perf_counter()
        w2 @ cols  # the forward pass
        d2 = dout.transpose(1, 0, 2, 3).reshape(C, -1)
        (cols @ d2.T).T  # dw
        dcols = w2.T @ d2  # towards dx
        times["matmuls_s"].append(time.perf_counter() - start)
        start = time.perf_counter()
        col2im(dcols, x.shape, K, 1, 1)
        times["col2im_s"].append(time.perf_counter() - start)
    return {k: round(statistics.median(v), 4) for k, v in times.items()}


def run(repeats: int = 7) -> dict:
    import torch
    import torch.nn.functional as F

    rng = np.random.default_rng(0)
    x = rng.standard_normal((N, C, HW, HW), dtype=np.float32)
    w = rng.standard_normal((C, C, K, K), dtype=np.float32) * 0.05
    b = rng.standard_normal(C, dtype=np.float32)
    dout = rng.standard_normal((N, C, HW, HW), dtype=np.float32)
    tx, tw, tb = (torch.from_numpy(a.copy()).requires_grad_() for a in (x, w, b))
    tdout = torch.from_numpy(dout)

    def theirs():
        for t in (tx, tw, tb):
            t.grad = None
        F.conv2d(tx, tw, tb, stride=1, padding=1).backward(tdout)

    _ours(x, w, b, dout), theirs()  # warm-up: threads started, pages touched
    ours_s, theirs_s = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        out, (dx, dw, db) = _ours(x, w, b, dout)
        ours_s.append(time.perf_counter() - start)
        start = time.perf_counter()
        theirs()
        theirs_s.append(time.perf_counter() - start)
    # the same numbers as PyTorch's, in float32 (a sanity check, not the test: tests/cnn holds 1e-10 in float64)
    agree = float(np.abs(dx - tx.grad.numpy()).max() / np.abs(tx.grad.numpy()).max())
    ours_med, theirs_med = statistics.median(ours_s), statistics.median(theirs_s)
    return {
        "shape": f"x ({N}, {C}, {HW}, {HW}), w ({C}, {C}, {K}, {K}), float32, padding 1",
        "numpy_s": round(ours_med, 4),
        "torch_s": round(theirs_med, 4),
        "ratio": round(ours_med / theirs_med, 2),
        "target_ratio": 2.5,
        "dx_rel_diff": float(f"{agree:.1e}"),
        "torch_threads": torch.get_num_threads(),
        **_phases(x, w, dout, repeats),
    }
