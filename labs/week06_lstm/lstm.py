"""Lab 6, part 1 — an LSTM cell in NumPy, forward and backward.

The cell follows ``torch.nn.LSTMCell``: parameters ``weight_ih`` (4H, D),
``weight_hh`` (4H, H), ``bias_ih`` and ``bias_hh`` (4H,), and the four
blocks of the pre-activation in the order input i, forget f, candidate g,
output o::

    a = x @ weight_ih.T + bias_ih + h_prev @ weight_hh.T + bias_hh  # (B, 4H)
    i, f, g, o = sigmoid(a_i), sigmoid(a_f), tanh(a_g), sigmoid(a_o)
    c = f * c_prev + i * g
    h = o * tanh(c)

Taught in Week 6 (book/week06_sequences.md). ``make lab-check WEEK=06``
tells you how far you are.
"""

from __future__ import annotations

import numpy as np

PARAMS = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")


def sigmoid(a: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-a))


def lstm_cell_forward(x, h_prev, c_prev, params: dict):
    """One step. x (B, D), h_prev and c_prev (B, H) -> h, c (B, H), cache.

    ``cache`` holds whatever :func:`lstm_cell_backward` needs.
    """
    H = h_prev.shape[1]
    # TODO: The LSTM cell of the chapter (Week 6, "The LSTM cell"), in PyTorch's layout: one
    #       pre-activation a (B, 4H) for the four gates, cut into input, forget, cell and output gates in
    #       that order (i, f, g, o), H columns each.
    # Stuck? One more hint at a time: make lab-check WEEK=06 HINT=2 (in the notebook: check(1, hint=2))
    # Keep the code below the raise: it uses the c, h and cache you set here.
    raise NotImplementedError('Lab 6 · lstm_cell_forward in lstm.py: not implemented yet (the TODO just above says what to write)')
    return h, c, cache


def lstm_cell_backward(dh, dc, cache) -> dict:
    """Gradients of one step, given dL/dh and dL/dc of its outputs (B, H).

    Returns a dict with ``x``, ``h_prev``, ``c_prev`` and every name of
    :data:`PARAMS`: the gradient of L with respect to each.
    """
    # TODO: The chain rule through h = o * tanh(c) and c = f * c_prev + i * g, back to the gates, then
    #       through the gates' sigmoid / tanh to a (B, 4H), and from a to every input and parameter. Mind
    #       that c gets gradient twice: from the next step (dc) and through h (dh).
    # Stuck? One more hint at a time: make lab-check WEEK=06 HINT=2 (in the notebook: check(2, hint=2))
    # Keep the code below the raise: it uses the grads you set here.
    raise NotImplementedError('Lab 6 · lstm_cell_backward in lstm.py: not implemented yet (the TODO just above says what to write)')
    return grads


# ----- through time: given, built on your cell


def lstm_forward(xs, h0, c0, params: dict):
    """xs (T, B, D) -> hs (T, B, H) and the caches of every step."""
    h, c, hs, caches = h0, c0, [], []
    for x in xs:
        h, c, cache = lstm_cell_forward(x, h, c, params)
        hs.append(h)
        caches.append(cache)
    return np.stack(hs), caches


def lstm_backward(dhs, caches) -> dict:
    """dhs (T, B, H): dL/dh_t from the loss at each step -> gradients of
    ``xs`` (T, B, D), ``h0``, ``c0`` and the parameters, summed over time."""
    dh_next = np.zeros_like(dhs[0])
    dc_next = np.zeros_like(dhs[0])
    total = {name: 0.0 for name in PARAMS}
    dxs = []
    for t in reversed(range(len(caches))):
        g = lstm_cell_backward(dhs[t] + dh_next, dc_next, caches[t])
        dh_next, dc_next = g["h_prev"], g["c_prev"]
        dxs.append(g["x"])
        for name in PARAMS:
            total[name] = total[name] + g[name]
    return {"xs": np.stack(dxs[::-1]), "h0": dh_next, "c0": dc_next, **total}
