"""`make bench ONLY=cnn_mnist` reports its figures (a short run here; the real one takes minutes)."""

from aimastery.bench import available
from aimastery.bench.cnn_mnist import run
from aimastery.testing import one_torch_thread  # noqa: F401 (autouse fixture)


def test_cnn_mnist_bench_reports_its_figures():
    assert "cnn_mnist" in available()
    figures = run(epochs=2, limit=3000)
    assert {"accuracy", "epochs", "wall_s", "parameters", "load_average_before", "load_average_after",
            "met", "train_digits"} <= set(figures)
    assert figures["epochs"] == 2 and figures["train_digits"] == 3000
    assert 0.8 < figures["accuracy"] < 0.994  # 48 steps on 3,000 digits: it learns, short of the target
    assert figures["met"] is False and figures["wall_s"] >= figures["train_s"] > 0
