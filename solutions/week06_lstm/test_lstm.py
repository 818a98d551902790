"""Lab 6 tests, part 1: your LSTM cell against finite differences and PyTorch."""

import numpy as np
import pytest
import torch

from aimastery.checks import check_gradient, rel_error

from .lstm import PARAMS, lstm_backward, lstm_cell_backward, lstm_cell_forward, lstm_forward

TASK1 = pytest.mark.task(1, "the LSTM cell, forward")
TASK2 = pytest.mark.task(2, "the LSTM cell, backward (and through time)")

B, D, H = 3, 4, 5


def setup(seed=0, scale=0.5):
    rng = np.random.default_rng(seed)
    params = {"weight_ih": rng.normal(0, scale, (4 * H, D)),
              "weight_hh": rng.normal(0, scale, (4 * H, H)),
              "bias_ih": rng.normal(0, 0.2, 4 * H),
              "bias_hh": rng.normal(0, 0.2, 4 * H)}
    x, h, c = rng.normal(size=(B, D)), rng.normal(size=(B, H)), rng.normal(size=(B, H))
    return params, x, h, c, rng


def torch_cell(params):
    cell = torch.nn.LSTMCell(D, H).double()
    with torch.no_grad():
        for name in PARAMS:
            getattr(cell, name).copy_(torch.from_numpy(params[name]))
    return cell


@TASK1
@pytest.mark.parametrize("seed", range(3))
def test_forward_matches_torch_lstm_cell(seed):
    params, x, h, c, _ = setup(seed)
    h_new, c_new, _ = lstm_cell_forward(x, h, c, params)
    th, tc = torch_cell(params)(torch.from_numpy(x), (torch.from_numpy(h), torch.from_numpy(c)))
    assert h_new.shape == c_new.shape == (B, H), f"h and c should be (B, H) = {(B, H)}, got {h_new.shape}, {c_new.shape}"
    c_err, h_err = rel_error(c_new, tc.detach().numpy()), rel_error(h_new, th.detach().numpy())
    assert c_err < 1e-10, (f"c differs from torch.nn.LSTMCell's (relative error {c_err:.1e}): check the "
                           "blocks of a, in the order i, f, g, o, and c = f * c_prev + i * g")
    assert h_err < 1e-10, (f"c matches but h differs from torch.nn.LSTMCell's (relative error {h_err:.1e}): "
                           "h = o * tanh(c), with o the fourth block")


@TASK1
def test_forward_gate_semantics():
    params, x, h, c, _ = setup(1)
    for name in PARAMS:
        params[name] = np.zeros_like(params[name])
    params["bias_ih"][H:2 * H] = 50.0  # forget gate fully open
    params["bias_ih"][:H] = -50.0  # input gate shut
    _, c_new, _ = lstm_cell_forward(x, h, c, params)
    assert np.allclose(c_new, c), "with f = 1 and i = 0 the cell must be kept unchanged"
    params["bias_ih"][H:2 * H], params["bias_ih"][:H] = -50.0, 50.0  # forget gate shut, input gate open
    params["bias_ih"][2 * H:3 * H] = 50.0  # the candidate g = tanh(50) = 1
    _, c_new, _ = lstm_cell_forward(x, h, c, params)
    assert np.allclose(c_new, 1.0), ("with f = 0, i = 1 and g = 1 the old cell is forgotten and c = i * g = 1; "
                                     f"got {np.round(c_new[0], 3).tolist()} in the first row")


#: What the set of wrong gradients says (the cell's backward: dc_total, then da = the four gates' gradients).
BACKWARD_READINGS = (
    (lambda wrong: wrong == {"c_prev"}, "only dL/dc_prev is wrong: it is dc_total * f"),
    (lambda wrong: "c_prev" in wrong and len(wrong) == 7,
     "every gradient is wrong, dL/dc_prev too: dc_total itself is wrong; h = o * tanh(c), so dh reaches the "
     "cell state too (dc + dh * o * (1 - tanh(c)^2))"),
    (lambda wrong: "c_prev" not in wrong and len(wrong) > 0,
     "dL/dc_prev is right, so dc_total is right: look at the gate gradients da (each gate's derivative, and "
     "the blocks stacked in the order i, f, g, o)"),
)


@TASK2
@pytest.mark.parametrize("seed", range(3))
def test_backward_against_finite_differences(seed):
    params, x, h, c, rng = setup(seed)
    Rh, Rc = rng.normal(size=(B, H)), rng.normal(size=(B, H))

    def loss(_):
        h_new, c_new, _ = lstm_cell_forward(x, h, c, params)
        return float(np.sum(h_new * Rh) + np.sum(c_new * Rc))

    grads = lstm_cell_backward(Rh, Rc, lstm_cell_forward(x, h, c, params)[2])
    wrong = []  # every wrong gradient, not just the first: together they point at the mistake
    for name, value in {"x": x, "h_prev": h, "c_prev": c, **params}.items():
        try:
            check_gradient(loss, value, grads[name], tol=1e-6, name=f"dL/d{name}")
        except AssertionError as err:
            wrong.append((name, str(err).splitlines()[0]))
    reading = next((r for test, r in BACKWARD_READINGS if test({name for name, _ in wrong})), "")
    assert not wrong, "wrong gradients: " + "; ".join(m for _, m in wrong) + (f". {reading}" if reading else "")


@TASK2
def test_backward_matches_torch_autograd():
    params, x, h, c, rng = setup(5)
    Rh, Rc = rng.normal(size=(B, H)), rng.normal(size=(B, H))
    cell = torch_cell(params)
    tx, th, tc = (torch.tensor(a, requires_grad=True) for a in (x, h, c))
    h_new, c_new = cell(tx, (th, tc))
    (h_new * torch.from_numpy(Rh) + c_new * torch.from_numpy(Rc)).sum().backward()
    grads = lstm_cell_backward(Rh, Rc, lstm_cell_forward(x, h, c, params)[2])
    expected = {"x": tx.grad, "h_prev": th.grad, "c_prev": tc.grad,
                **{name: getattr(cell, name).grad for name in PARAMS}}
    errors = {name: rel_error(grads[name], value.numpy()) for name, value in expected.items()}
    wrong = [f"dL/d{name} (relative error {err:.1e})" for name, err in errors.items() if not err < 1e-8]
    assert not wrong, "these gradients differ from PyTorch's: " + ", ".join(wrong)


@TASK2
def test_backpropagation_through_time():
    params, _, h0, c0, rng = setup(7)
    xs = rng.normal(size=(6, B, D))
    R = rng.normal(size=(6, B, H))

    def loss(_):
        return float(np.sum(lstm_forward(xs, h0, c0, params)[0] * R))

    grads = lstm_backward(R, lstm_forward(xs, h0, c0, params)[1])
    for name, value in {"xs": xs, "h0": h0, "c0": c0, **params}.items():
        check_gradient(loss, value, grads[name], tol=1e-6, name=f"dL/d{name} through time")
