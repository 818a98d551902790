"""`make bench ONLY=conv` reports its ratio, the phases of our time, and agrees with PyTorch."""

from aimastery.bench import available
from aimastery.bench.conv import run


def test_conv_bench_reports_its_figures():
    assert "conv" in available()
    figures = run(repeats=1)
    assert {"numpy_s", "torch_s", "ratio", "target_ratio", "im2col_s", "matmuls_s", "col2im_s"} <= set(figures)
    assert figures["numpy_s"] > 0 and figures["torch_s"] > 0
    assert abs(figures["ratio"] - figures["numpy_s"] / figures["torch_s"]) < 0.05 * figures["ratio"] + 0.01
    assert figures["dx_rel_diff"] < 1e-5  # float32: the same gradient as PyTorch's to rounding
