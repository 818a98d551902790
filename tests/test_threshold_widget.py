import json

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
from sklearn.metrics import confusion_matrix, precision_score, recall_score

from aimastery.widgets.threshold import (
    ScoredTask,
    ThresholdWidget,
    compute_threshold_data,
    expected_costs,
    plot_threshold,
    state_at,
    threshold_widget,
)


def scored(n=500, seed=0, ties=False):
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.2).astype(int)
    s = 1 / (1 + np.exp(-(2.0 * y - 1 + rng.standard_normal(n))))
    if ties:
        s = np.round(s, 1)
    return ScoredTask("is it positive?", "a positive", "a negative", "P(positive)", y, s)


@pytest.fixture(scope="module")
def data():
    return compute_threshold_data([scored(), scored(seed=1, ties=True)], steps=50)


def test_counts_at_every_threshold_match_sklearn(data):
    for task, raw in zip(data["tasks"], [scored(), scored(seed=1, ties=True)]):
        assert task["n_pos"] == raw.y.sum() and task["n_neg"] == len(raw.y) - raw.y.sum()
        ts = task["thresholds"]
        assert ts[-1] is None and all(a < b for a, b in zip(ts[:-2], ts[1:-1])), "increasing, then 'flag nothing'"
        assert task["tp"][0] == task["n_pos"] and task["fp"][0] == task["n_neg"], "the lowest flags everything"
        for i in (0, len(ts) // 3, len(ts) - 2):
            flagged = (raw.scores >= ts[i]).astype(int)
            st = state_at(task, i, cost_ratio=5.0)
            (tn, fp), (fn, tp) = confusion_matrix(raw.y, flagged, labels=[0, 1])
            assert (st["tp"], st["fp"], st["fn"], st["tn"]) == (tp, fp, fn, tn)
            assert st["precision"] == pytest.approx(precision_score(raw.y, flagged))
            assert st["recall"] == pytest.approx(recall_score(raw.y, flagged))
            assert st["cost"] == pytest.approx((fp + 5.0 * fn) / len(raw.y))
        last = state_at(task, len(ts) - 1, 1.0)
        assert last["precision"] is None and last["recall"] == 0 and last["fn"] == task["n_pos"]


def test_ladder_is_at_most_steps_long_and_the_data_is_small(data):
    assert all(len(t["thresholds"]) <= 51 for t in data["tasks"])
    assert len(data["tasks"][1]["thresholds"]) <= 12, "rounded scores have few distinct values"
    assert len(json.dumps(data)) < 60_000


def test_cheapest_threshold_moves_down_when_misses_cost_more(data):
    task = data["tasks"][0]
    cheap = [task["thresholds"][int(np.argmin(expected_costs(task, r)))] for r in (0.2, 1.0, 5.0)]
    assert cheap[0] > cheap[1] > cheap[2]


def test_needs_both_classes_and_a_task():
    with pytest.raises(ValueError, match="positives and negatives"):
        compute_threshold_data([ScoredTask("t", "p", "n", "s", np.ones(5), np.arange(5.0))])
    with pytest.raises(ValueError, match="at least one"):
        compute_threshold_data([])


def test_widget_and_plot(data):
    widget = threshold_widget(data, cost_ratio=5.0)
    assert isinstance(widget, ThresholdWidget) and "export default" in widget._esm
    assert data["cost_ratios"][widget.cost_ratio] == 5.0 and widget.index == data["tasks"][0]["start"]
    fig = plot_threshold(data, task=1, index=3, cost_ratio=2.0)
    assert len(fig.axes) == 5
    matplotlib.pyplot.close("all")
