import json

import matplotlib

matplotlib.use("Agg")

import pytest

from aimastery.expressions import random_expression, random_inputs
from aimastery.widgets.backprop import (
    EXAMPLES,
    BackpropWidget,
    backprop_widget,
    compute_backprop_trace,
    compute_examples,
    plot_backprop_graph,
    trace_graph,
)
from solutions.week01_autodiff.engine import Value


def neuron():
    x1, w1, x2, w2, b = (Value(v, label=n) for v, n in [(2, "x1"), (-3, "w1"), (0, "x2"), (1, "w2"), (6.88, "b")])
    return (x1 * w1 + x2 * w2 + b).tanh()


def test_trace_graph_orders_operands_first():
    graph = trace_graph(neuron())
    position = {id(n): i for i, n in enumerate(graph.nodes)}
    for node in graph.nodes:
        assert all(position[id(c)] < position[id(node)] for c in node._prev)
    assert graph.output == len(graph.nodes) - 1
    assert len(graph.edges) == sum(len(n._prev) for n in graph.nodes)


def test_trace_is_deterministic():
    first = json.dumps(compute_backprop_trace(neuron()).to_dict())
    assert first == json.dumps(compute_backprop_trace(neuron()).to_dict())


@pytest.mark.parametrize("seed", range(40))
def test_stepwise_gradients_equal_backward(seed):
    expr, xs = random_expression(seed, depth=5), random_inputs(seed, 3)
    reference = [Value(x) for x in xs]
    expr(*reference).backward()
    leaves = [Value(x) for x in xs]
    trace = compute_backprop_trace(expr(*leaves))
    assert [leaf.grad for leaf in leaves] == pytest.approx([r.grad for r in reference], rel=1e-12, abs=1e-15)
    assert len(trace.grads) == len(trace.steps) + 1


def test_steps_record_the_chain_rule():
    a = Value(3.0, label="a")
    trace = compute_backprop_trace(a * a)  # one operand used twice
    (seed_step, mul_step) = trace.steps
    assert seed_step.node == -1 and trace.grads[1][trace.output] == 1.0
    (contribution,) = mul_step.contributions
    assert contribution.local == 6.0 and contribution.amount == 6.0 and contribution.grad_after == 6.0
    assert trace.grads[0] == [0.0, 0.0]


def test_each_step_changes_only_the_operands():
    trace = compute_backprop_trace(neuron())
    for k, step in enumerate(trace.steps[1:], start=2):
        changed = {i for i, (g0, g1) in enumerate(zip(trace.grads[k - 1], trace.grads[k])) if g0 != g1}
        assert changed <= {c.operand for c in step.contributions}


def test_needs_a_fresh_graph():
    out = neuron()
    out.backward()
    with pytest.raises(ValueError, match="fresh graph"):
        compute_backprop_trace(out)


def test_layout_separates_nodes_of_a_layer():
    trace = compute_backprop_trace(neuron())
    spots = [(n.x, n.y) for n in trace.nodes]
    assert len(set(spots)) == len(spots)
    assert trace.nodes[trace.output].x == max(n.x for n in trace.nodes)


def test_examples_compute_and_report_domain_errors():
    data = compute_examples(Value)
    assert [e["name"] for e in data] == [e.name for e in EXAMPLES]
    errors = [p for e in data for p in e["presets"] if p["error"]]
    assert errors and all(p["trace"] is None and "positive" in p["error"] for p in errors)
    assert all(p["trace"]["steps"] for e in data for p in e["presets"] if not p["error"])
    assert len(json.dumps(data)) < 100_000  # stored in the page: keep it small


def test_widget_carries_its_data_and_front_end():
    widget = backprop_widget(Value)
    assert isinstance(widget, BackpropWidget)
    assert widget.examples == compute_examples(Value)
    assert "export default" in widget._esm and "function h(" in widget._esm
    assert ".aim-widget" in widget._css


def test_plot_draws_every_node():
    trace = compute_backprop_trace(neuron())
    ax = plot_backprop_graph(trace, step=3)
    labels = [t.get_text() for t in ax.texts]
    assert sum(text.startswith("grad") for text in labels) == len(trace.nodes)
    matplotlib.pyplot.close("all")
