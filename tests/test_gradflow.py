import json

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

from aimastery.widgets.gradflow import (
    GradFlowWidget,
    compute_gradflow,
    compute_gradflow_runs,
    gradflow_widget,
    plot_gradflow,
    vanishing_ratio,
)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    prototypes = rng.random((10, 64), dtype=np.float32)
    y = rng.integers(0, 10, 600)
    X = np.clip(prototypes[y] + 0.2 * rng.standard_normal((600, 64), dtype=np.float32), 0, 1)
    return X, y


@pytest.fixture(scope="module")
def runs(data):
    X, y = data
    return compute_gradflow_runs(X, y, hidden=[32] * 4, steps=40, every=10, batch_size=50,
                                 X_val=X[:100], y_val=y[:100])


def test_records_every_layer_at_every_recorded_step(runs):
    assert [(r.activation, r.init) for r in runs] == [
        (a, i) for a in ("sigmoid", "relu") for i in ("small", "glorot", "he")]
    for run in runs:
        assert run.steps == [0, 10, 20, 30, 40]
        assert run.sizes == [64, 32, 32, 32, 32, 10]
        assert len(run.loss) == 5 and all(len(g) == 5 for g in run.grad_norms)  # 5 Linear layers
        assert all(len(h) == 4 for h in run.hist) and all(len(s) == 4 for s in run.act_std)
        for k in range(5):
            for layer in range(4):
                total = sum(run.hist[k][layer]) + run.zeros[k][layer]
                assert total == pytest.approx(1.0, abs=0.02), "each activation lands in a bin or is a zero"
        assert len(run.edges) == len(run.hist[0][0]) + 1
        assert 0 <= run.val_accuracy <= 1 and not run.notes


def test_deterministic(data):
    X, y = data
    kwargs = dict(activation="relu", init="he", hidden=[16, 16], steps=10, every=5, batch_size=50)
    assert json.dumps(compute_gradflow(X, y, **kwargs).to_dict()) == \
        json.dumps(compute_gradflow(X, y, **kwargs).to_dict())


def test_gradients_vanish_with_sigmoid_and_small_init_not_with_relu_and_he(runs):
    by = {(r.activation, r.init): r for r in runs}
    assert vanishing_ratio(by["sigmoid", "small"]) < 1e-3
    assert vanishing_ratio(by["sigmoid", "glorot"]) < vanishing_ratio(by["relu", "he"])
    assert 0.1 < vanishing_ratio(by["relu", "he"]) < 10
    he_std, small_std = by["relu", "he"].act_std[0], by["relu", "small"].act_std[0]
    assert max(he_std) / min(he_std) < 3, "He init keeps every layer's activations at one scale"
    assert small_std[-1] < 1e-3 * small_std[0], "too small an init shrinks them layer by layer"


def test_divergence_stops_the_run_with_a_note(data):
    X, y = data
    run = compute_gradflow(X * 1e4, y, activation="relu", init="he", hidden=[32, 32], steps=30, every=5,
                           batch_size=50, lr=10.0, X_val=X, y_val=y)
    assert run.notes and "diverged" in run.notes[0] and run.val_accuracy is None
    assert len(run.steps) < 7 and all(np.isfinite(run.loss))
    json.loads(json.dumps(run.to_dict(), allow_nan=False))  # valid JSON for the page


def test_bad_arguments_are_clear_errors(data):
    X, y = data
    with pytest.raises(ValueError, match="activation must be one of"):
        compute_gradflow(X, y, activation="tanh", init="he")
    with pytest.raises(ValueError, match="init one of"):
        compute_gradflow(X, y, activation="relu", init="zeros")
    with pytest.raises(ValueError, match="N >= batch_size"):
        compute_gradflow(X[:10], y[:10], activation="relu", init="he", batch_size=50)
    with pytest.raises(ValueError, match="steps and every must be positive"):
        compute_gradflow(X, y, activation="relu", init="he", steps=0)


def test_chapter_sized_state_is_small(data):
    X, y = data  # the size of the state depends on steps and layers only
    runs = compute_gradflow_runs(X, y, steps=200, every=5, batch_size=100)
    size = len(json.dumps([r.to_dict() for r in runs]))
    assert size < 250_000, f"the widget's state is {size:,} bytes; keep the page light"


def test_widget_carries_runs_and_front_end(runs):
    widget = gradflow_widget(runs)
    assert isinstance(widget, GradFlowWidget) and len(widget.runs) == 6
    assert widget.runs[0]["grad_norms"] == runs[0].grad_norms
    assert "export default" in widget._esm and "function h(" in widget._esm and "data-aim-view" in widget._esm


def test_plot_draws_a_row_per_run(runs):
    axes = plot_gradflow(runs[:2], step_index=1)
    assert axes.shape == (2, 2)
    assert len(axes[0][0].lines) == 5 + 1  # a line per layer and the step marker
    matplotlib.pyplot.close("all")
