"""Gradient-flow visualizer: the backprop visualizer at the scale of a whole network.

Taught in Week 4 (book/week04_mlp.md). A deep MLP is trained for a few
hundred steps under each choice of activation (sigmoid, ReLU) and weight
initialisation (too small, Glorot, He), and every few steps the run records
each layer's gradient norm and a histogram of each hidden layer's
activations. Three layers, as for every widget of the course:

* :func:`compute_gradflow` trains and records one run (pure: data in, plain
  data out), :func:`compute_gradflow_runs` all of them;
* :func:`plot_gradflow` draws runs with matplotlib for the static page;
* :func:`gradflow_widget` lets a reader pick a run and scrub through its
  steps, in Jupyter and in the static page (``js/gradflow.js`` draws).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
import traitlets
from threadpoolctl import threadpool_limits

from aimastery.mlp.layers import INITS, Linear, SoftmaxCrossEntropy
from aimastery.mlp.model import ACTIVATIONS, MLP, SGD
from aimastery.widgets.base import CourseWidget

#: Histogram bins: sigmoid outputs on a linear scale in [0, 1]; ReLU outputs,
#: which span orders of magnitude, as log10 of the positive ones (zeros are
#: counted apart).
HIST_EDGES = {
    "sigmoid": np.linspace(0.0, 1.0, 21),
    "relu": np.linspace(-8.0, 2.0, 21),
}
INIT_NAMES = {"small": "too small (σ = 0.01)", "glorot": "Glorot", "he": "He"}


@dataclass(frozen=True)
class GradFlowRun:
    """One training run, recorded every ``every`` steps.

    ``grad_norms[k][l]``: Frobenius norm of dL/dW of Linear layer ``l`` (0 is
    nearest the input) at recorded step ``k``; ``hist[k][l][b]``: fraction of
    hidden layer ``l``'s activations in bin ``b`` (``edges``); ``zeros[k][l]``:
    fraction exactly 0 (ReLU); ``act_std[k][l]``: their standard deviation;
    ``loss[k]``: the mini-batch loss.
    """

    activation: str
    init: str
    sizes: list[int]
    steps: list[int]
    loss: list[float]
    grad_norms: list[list[float]]
    act_std: list[list[float]]
    zeros: list[list[float]]
    hist: list[list[list[float]]]
    edges: list[float]
    hist_scale: str  # "linear" or "log10"
    val_accuracy: float | None = None  # after the last step, if validation data was given
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


def _histogram(a: np.ndarray, activation: str) -> tuple[list[float], float]:
    edges = HIST_EDGES[activation]
    if activation == "relu":
        positive = a[a > 0]
        zeros = 1.0 - positive.size / a.size
        values = np.log10(positive)
    else:
        zeros, values = 0.0, a.ravel()
    counts, _ = np.histogram(np.clip(values, edges[0], edges[-1]), bins=edges)
    return (counts / a.size).tolist(), zeros


def compute_gradflow(X: np.ndarray, y: np.ndarray, *, activation: str, init: str,
                     hidden: tuple[int, ...] | list[int] = (128,) * 5, steps: int = 300, every: int = 10,
                     batch_size: int = 100, lr: float = 0.05, momentum: float = 0.9,
                     seed: int = 0, X_val: np.ndarray | None = None,
                     y_val: np.ndarray | None = None) -> GradFlowRun:
    """Train an MLP with ``hidden`` layers on ``X`` (N, D), ``y`` (N,), recording gradient flow.

    Every run with the same ``seed`` sees the same batches in the same order,
    so runs differ only in ``activation`` and ``init``.
    """
    if activation not in ACTIVATIONS or init not in INITS:
        raise ValueError(f"activation must be one of {list(ACTIVATIONS)} and init one of {list(INITS)}, "
                         f"got {activation!r} and {init!r}")
    if X.ndim != 2 or len(X) != len(y) or len(X) < batch_size:
        raise ValueError(f"need X (N, D) and y (N,) with N >= batch_size={batch_size}, got {X.shape} and {y.shape}")
    if steps < 1 or every < 1:
        raise ValueError(f"steps and every must be positive, got {steps} and {every}")
    # Small matrices: one BLAS thread is faster, and much faster on a busy machine.
    with threadpool_limits(limits=1, user_api="blas"), np.errstate(over="ignore", invalid="ignore"):
        return _train_and_record(X, y, activation, init, list(hidden), steps, every, batch_size, lr, momentum,
                                 seed, X_val, y_val)


def _train_and_record(X, y, activation, init, hidden, steps, every, batch_size, lr, momentum, seed,
                      X_val, y_val) -> GradFlowRun:
    n_classes = int(y.max()) + 1
    sizes = [X.shape[1], *hidden, n_classes]
    model = MLP(sizes, activation=activation, init=init, dtype=X.dtype, rng=np.random.default_rng(seed))
    optimizer = SGD(model.parameters(), lr=lr, momentum=momentum)
    loss_fn = SoftmaxCrossEntropy()
    order_rng = np.random.default_rng(seed + 1)
    record: dict[str, list] = {k: [] for k in ("steps", "loss", "grad_norms", "act_std", "zeros", "hist")}
    notes: list[str] = []
    for step in range(steps + 1):
        idx = order_rng.choice(len(X), batch_size, replace=False)
        h, hidden_acts = X[idx], []
        for layer in model.layers:  # the forward pass, keeping each hidden activation
            h = layer.forward(h)
            if not isinstance(layer, Linear) and step % every == 0:
                hidden_acts.append(h.copy())  # (B, n_hidden); the layer reuses its buffer
        loss = loss_fn.forward(h, y[idx])
        if not np.isfinite(loss):  # diverged: stop here, keep what was recorded
            notes.append(f"training diverged at step {step} (the loss overflowed)")
            break
        model.backward(loss_fn.backward())
        if not all(np.isfinite(layer.grad_weight).all() for layer in model.linears):
            notes.append(f"training diverged at step {step} (a gradient overflowed)")
            break
        if step % every == 0:
            hists = [_histogram(a, activation) for a in hidden_acts]
            record["steps"].append(step)
            record["loss"].append(round(loss, 4))
            record["grad_norms"].append([float(f"{np.linalg.norm(layer.grad_weight):.3g}")
                                         for layer in model.linears])
            record["act_std"].append([float(f"{a.std():.3g}") for a in hidden_acts])
            record["zeros"].append([round(z, 3) for _, z in hists])
            record["hist"].append([[round(c, 3) for c in counts] for counts, _ in hists])
        if step < steps:
            optimizer.step()
    val_accuracy = None
    if X_val is not None and y_val is not None and not notes:
        val_accuracy = round(float(np.mean(model.forward(X_val).argmax(axis=1) == y_val)), 4)
    return GradFlowRun(activation, init, sizes, edges=[round(float(e), 3) for e in HIST_EDGES[activation]],
                       hist_scale="log10" if activation == "relu" else "linear",
                       val_accuracy=val_accuracy, notes=notes, **record)


def compute_gradflow_runs(X: np.ndarray, y: np.ndarray, *, activations=("sigmoid", "relu"),
                          inits=("small", "glorot", "he"), **kwargs) -> list[GradFlowRun]:
    """One :func:`compute_gradflow` run per (activation, init) pair."""
    return [compute_gradflow(X, y, activation=a, init=i, **kwargs) for a in activations for i in inits]


def vanishing_ratio(run: GradFlowRun, k: int = 0) -> float:
    """Gradient norm of the first layer over that of the last, at recorded step ``k``: < 1 means it shrank."""
    norms = run.grad_norms[k]
    return norms[0] / norms[-1] if norms[-1] else float("inf")


# ----- static figure


def plot_gradflow(runs: list[GradFlowRun], step_index: int = 0, axes=None):
    """For each run, a row: gradient norm per layer over training (one shared log scale), and the
    activations of each hidden layer at recorded step ``step_index``."""
    import matplotlib.pyplot as plt

    if axes is None:
        fig, axes = plt.subplots(len(runs), 2, figsize=(9.5, 2.4 * len(runs) + 0.5), squeeze=False,
                                 gridspec_kw={"width_ratios": [1.15, 1]})
        for ax in axes[1:, 0]:
            ax.sharey(axes[0, 0])
    fig = axes[0][0].figure
    cmap = plt.get_cmap("viridis")
    n_lin = len(runs[0].grad_norms[0])
    colour = [cmap(layer / max(n_lin - 1, 1)) for layer in range(n_lin)]
    for run, (ax_g, ax_h) in zip(runs, axes):
        for layer in range(n_lin):
            norms = np.maximum([g[layer] for g in run.grad_norms], 1e-12)
            ax_g.semilogy(run.steps, norms, color=colour[layer], lw=1.4, label=f"layer {layer + 1}")
        ax_g.axvline(run.steps[step_index], color="#868e96", ls=":", lw=1)
        ax_g.set(title=f"{run.activation}, {INIT_NAMES[run.init]} init: ‖∂L/∂W‖", xlabel="step",
                 ylabel="gradient norm")
        edges = np.asarray(run.edges)
        centres = (edges[:-1] + edges[1:]) / 2
        for layer, counts in enumerate(run.hist[step_index]):
            ax_h.plot(centres, counts, color=colour[layer], lw=1.4)
        xlabel = "log10(activation), positive ones" if run.hist_scale == "log10" else "activation"
        ax_h.set(title=f"hidden activations at step {run.steps[step_index]}", xlabel=xlabel, ylabel="fraction")
    handles, labels = axes[0][0].get_legend_handles_labels()
    labels[0] += " (next to the input)"
    fig.legend(handles, labels, loc="upper center", ncol=n_lin, fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.35 / fig.get_figheight()))
    return axes


# ----- widget


class GradFlowWidget(CourseWidget):
    """Pick an activation and an initialisation, then step through training."""

    _widget_name = "gradflow"
    runs = traitlets.List().tag(sync=True)  # GradFlowRun.to_dict() of each run
    run = traitlets.Int(0).tag(sync=True)
    step = traitlets.Int(0).tag(sync=True)


def gradflow_widget(runs: list[GradFlowRun]) -> GradFlowWidget:
    """The gradient-flow visualizer over ``runs`` (from :func:`compute_gradflow_runs`)."""
    return GradFlowWidget(runs=[r.to_dict() for r in runs])
