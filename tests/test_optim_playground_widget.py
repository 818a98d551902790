import json
import math

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
import torch

from aimastery.widgets.optim_playground import (
    DEFAULT_LRS,
    DIVERGENCE_BOUND,
    LRS,
    OPTIMIZERS,
    SURFACES,
    OptimPlaygroundWidget,
    compute_playground,
    compute_trajectory,
    contour_lines,
    optim_playground_widget,
    plot_playground,
)


@pytest.fixture(scope="module")
def data():
    return compute_playground()


def test_sgd_on_the_quadratic_follows_the_closed_form():
    # f = (x^2 + 25 y^2) / 2: each GD step multiplies x by (1 - lr) and y by (1 - 25 lr)
    lr, steps = 0.01, 30
    run = compute_trajectory("quadratic", "SGD", lr, steps=steps)
    x0, y0 = SURFACES["quadratic"].start
    k = np.arange(steps + 1)
    expected = np.stack([x0 * (1 - lr) ** k, y0 * (1 - 25 * lr) ** k], axis=1)
    np.testing.assert_allclose(run.points, expected, rtol=1e-12)
    assert run.diverged_at is None and len(run.losses) == steps + 1


def test_too_large_a_step_diverges_where_the_closed_form_says():
    # lr = 0.1 > 2 / 25: |y| grows by |1 - 2.5| = 1.5 per step until it leaves the bound
    run = compute_trajectory("quadratic", "SGD", 0.1, steps=200)
    y0 = SURFACES["quadratic"].start[1]
    assert run.diverged_at == math.ceil(math.log(DIVERGENCE_BOUND / y0) / math.log(1.5))
    assert len(run.points) == run.diverged_at and all(map(math.isfinite, run.losses))


@pytest.mark.parametrize("surface", SURFACES)
def test_momentum_run_equals_torch_optim(surface):
    s = SURFACES[surface]
    run = compute_trajectory(surface, "Nesterov", 0.001, momentum=0.9, weight_decay=0.01, steps=50)
    xy = torch.tensor(s.start, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([xy], lr=0.001, momentum=0.9, nesterov=True, weight_decay=0.01)
    points = [tuple(xy.tolist())]
    for _ in range(50):
        opt.zero_grad()
        s.f(xy[0], xy[1]).backward()
        opt.step()
        points.append(tuple(xy.tolist()))
    np.testing.assert_allclose(run.points, points, rtol=0, atol=1e-12)


def test_every_suggested_learning_rate_makes_progress():
    for surface, by_opt in DEFAULT_LRS.items():
        assert set(by_opt) == set(OPTIMIZERS)
        for opt, lr in by_opt.items():
            run = compute_trajectory(surface, opt, lr, momentum=0.9, steps=200)
            assert run.diverged_at is None, f"{opt} on {surface} at its suggested lr {lr} diverges"
            assert run.losses[-1] < run.losses[0] - 0.5 * (run.losses[0] - SURFACES[surface].f_min), \
                f"{opt} on {surface} at lr {lr} does not get halfway down"


def test_contours_lie_in_the_window_and_rise():
    for name, s in SURFACES.items():
        lines = contour_lines(name)
        levels = [line["level"] for line in lines]
        assert levels == sorted(levels) and levels[0] > 0
        pts = np.concatenate([np.asarray(p) for line in lines for p in line["paths"]])
        assert pts[:, 0].min() >= s.x_range[0] - 0.01 and pts[:, 0].max() <= s.x_range[1] + 0.01
        assert pts[:, 1].min() >= s.y_range[0] - 0.01 and pts[:, 1].max() <= s.y_range[1] + 0.01


def test_playground_data_is_small_json_with_valid_indices(data):
    text = json.dumps(data)
    assert len(text) < 100_000, "the data is stored in the page"
    assert [s["name"] for s in data["surfaces"]] == list(SURFACES)
    assert [o["name"] for o in data["optimizers"]] == list(OPTIMIZERS)
    for by_opt in data["default_lr"].values():
        assert all(0 <= i < len(LRS) for i in by_opt.values())
    assert data == compute_playground(), "the same data every build"


def test_widget_starts_at_the_suggested_rate_and_rejects_unknown_names(data):
    w = optim_playground_widget(data, "rosenbrock", "Adam")
    assert isinstance(w, OptimPlaygroundWidget)
    assert data["lrs"][w.lr] == DEFAULT_LRS["rosenbrock"]["Adam"] and data["momenta"][w.momentum] == 0.9
    with pytest.raises(ValueError, match="surface must be one of"):
        optim_playground_widget(data, "himmelblau")
    with pytest.raises(ValueError, match="optimizer must be one of"):
        compute_trajectory("quadratic", "LBFGS", 0.1)
    with pytest.raises(ValueError, match="surface must be one of"):
        compute_trajectory("plateau", "SGD", 0.1)


def test_plot_says_where_a_run_diverged(data):
    runs = [compute_trajectory("quadratic", "SGD", 0.1), compute_trajectory("saddle", "Adam", 0.0316)]
    axes = plot_playground(runs, data)
    texts = [t.get_text() for t in axes[0].texts]
    assert f"SGD: diverged at step {runs[0].diverged_at}" in texts
    assert not axes[1].texts, "a run that converged carries no note"
    legend = [t.get_text() for t in axes[0].figure.legends[0].get_texts()]
    assert legend == ["SGD", "Adam", "start", "minimum"]
