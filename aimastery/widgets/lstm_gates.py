"""LSTM-gates widget: what the gates and the cell of chosen units do while
the model reads a passage, one character at a time.

Taught in Week 6 (book/week06_sequences.md). Three layers:

* :func:`compute_lstm_gates` traces the input, forget and output gates and
  the cell state of chosen units over passages (plain data), and
  :func:`find_interpretable_units` looks, over a long stretch of text, for
  the units whose cell state follows a feature a reader can name (the
  position in the line, being inside a speaker's name);
* :func:`plot_lstm_gates` draws the heatmaps, :func:`plot_unit_text` colours
  a passage by one unit's cell state (as Karpathy et al. 2015 do);
* :func:`lstm_gates_widget` steps through a passage in the page.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
import traitlets

from aimastery.charlm.model import lstm_gates
from aimastery.data.shakespeare import CharVocab
from aimastery.widgets.base import CourseWidget

QUANTITIES = ("input", "forget", "output", "cell")  # what the widget shows


def line_position(text: str) -> np.ndarray:
    """For each character, how many characters precede it on its line."""
    pos, out = 0, np.zeros(len(text))
    for t, ch in enumerate(text):
        out[t] = pos
        pos = 0 if ch == "\n" else pos + 1
    return out


def in_speaker_name(text: str) -> np.ndarray:
    """1 for each character of a ``NAME:`` line (up to its colon), else 0.

    A speaker's line is the first line of a speech: the start of the text
    or the line after a blank one.
    """
    out = np.zeros(len(text))
    start = 0
    for line in text.split("\n"):
        first = start == 0 or text[start - 2:start] == "\n\n"
        if first and line.endswith(":"):
            out[start:start + len(line)] = 1
        start += len(line) + 1
    return out


def speech_position(text: str) -> np.ndarray:
    """For each character, how many characters precede it in its speech
    (a speech starts after a blank line)."""
    pos, out = 0, np.zeros(len(text))
    for t, ch in enumerate(text):
        out[t] = pos
        pos = 0 if text[max(0, t - 1):t + 1] == "\n\n" else pos + 1
    return out


FEATURES = {
    "position in the line": line_position,
    "position in the speech": speech_position,
    "inside a speaker's name": in_speaker_name,
}


def _pearson(x: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """Correlation of x (T,) with every column of Y (T, H)."""
    xc = x - x.mean()
    Yc = Y - Y.mean(axis=0)
    denom = np.sqrt((xc ** 2).sum() * (Yc ** 2).sum(axis=0))
    return np.where(denom > 0, xc @ Yc / np.where(denom > 0, denom, 1), 0.0)


def find_interpretable_units(cell: np.ndarray, text: str,
                             features=FEATURES) -> list[dict]:
    """For each feature, the unit whose cell state correlates with it most.

    cell (T, H): the cell state while reading ``text`` (T characters).
    Returns one dict per feature: ``feature``, ``unit``, ``r`` (Pearson
    correlation, signed), sorted by |r|, strongest first.
    """
    cell = np.asarray(cell, dtype=np.float64)
    if cell.ndim != 2 or cell.shape[0] != len(text):
        raise ValueError(f"cell must be (T, H) with T = len(text) = "
                         f"{len(text)}, got shape {cell.shape}")
    found = []
    for name, feature in features.items():
        r = _pearson(feature(text), cell)
        unit = int(np.argmax(np.abs(r)))
        found.append({"feature": name, "unit": unit, "r": float(r[unit])})
    return sorted(found, key=lambda f: -abs(f["r"]))


def trace_text(model, vocab: CharVocab, text: str) -> dict[str, np.ndarray]:
    """:func:`aimastery.charlm.model.lstm_gates` of ``text`` as NumPy (T, H)."""
    gates = lstm_gates(model, torch.as_tensor(vocab.encode(text)))
    return {k: v.numpy() for k, v in gates.items()}


def compute_lstm_gates(model, vocab: CharVocab, passages: Sequence[str],
                       units: Sequence[int],
                       notes: dict[int, str] | None = None) -> dict:
    """Plain data for the widget: per passage, each quantity of
    :data:`QUANTITIES` for each of ``units`` at each character, rounded.

    ``quantities[q][t][u]`` is quantity q of unit ``units[u]`` after
    reading character t. ``notes`` say what a unit was found to track.
    """
    H = model.config.hidden_size
    bad = [u for u in units if not 0 <= u < H]
    if bad or not units:
        raise ValueError(f"units must be between 0 and {H - 1}, got {bad}")
    out = []
    for text in passages:
        trace = trace_text(model, vocab, text)
        out.append({
            "text": text,
            "quantities": {q: np.round(trace[q][:, list(units)], 2).tolist()
                           for q in QUANTITIES},
        })
    notes = notes or {}
    return {"units": [int(u) for u in units],
            "notes": [notes.get(u, "") for u in units],
            "passages": out}


# ----- static figures


def plot_lstm_gates(data: dict, passage: int = 0, n_chars: int = 90):
    """Heatmaps (units x characters) of the gates and the cell state."""
    import matplotlib.pyplot as plt

    p = data["passages"][passage]
    text = p["text"][:n_chars]
    fig, axes = plt.subplots(len(QUANTITIES), 1, sharex=True,
                             figsize=(10, 1.0 + 0.9 * len(QUANTITIES)))
    for ax, q in zip(axes, QUANTITIES):
        values = np.array(p["quantities"][q])[:n_chars].T  # (U, T)
        if q == "cell":
            lim = max(1e-6, float(np.abs(values).max()))
            im = ax.imshow(values, aspect="auto", cmap="RdBu_r", vmin=-lim,
                           vmax=lim, interpolation="nearest")
        else:
            im = ax.imshow(values, aspect="auto", cmap="viridis", vmin=0,
                           vmax=1, interpolation="nearest")
        ax.set_yticks(range(len(data["units"])),
                      [f"unit {u}" for u in data["units"]], fontsize=7)
        ax.set_ylabel(q if q == "cell" else f"{q} gate", fontsize=9)
        ax.grid(False)
        fig.colorbar(im, ax=ax, pad=0.01, fraction=0.03)
    labels = [{"\n": "⏎", " ": "␣"}.get(ch, ch) for ch in text]
    axes[-1].set_xticks(range(len(text)), labels, fontsize=6,
                        family="monospace")
    axes[-1].tick_params(axis="x", length=0)
    fig.tight_layout(h_pad=0.3)
    return fig


def plot_unit_text(text: str, values, title: str = "", cols: int = 70,
                   ax=None):
    """``text`` as a grid of characters, each on a colour set by ``values``
    (red positive, blue negative), wrapping at newlines and at ``cols``."""
    import matplotlib.pyplot as plt
    from matplotlib.colors import Normalize
    from matplotlib.patches import Rectangle

    values = np.asarray(values, dtype=np.float64)
    lim = max(1e-6, float(np.abs(values).max()))
    cmap, norm = plt.get_cmap("RdBu_r"), Normalize(-lim, lim)
    cells, row, col = [], 0, 0
    for ch, v in zip(text, values):
        cells.append((row, col, "⏎" if ch == "\n" else ch, v))
        col += 1
        if ch == "\n" or col >= cols:
            row, col = row + 1, 0
    rows = row + 1
    if ax is None:
        _, ax = plt.subplots(figsize=(cols * 0.115 + 0.3, rows * 0.24 + 0.5))
    for r, c, ch, v in cells:
        ax.add_patch(Rectangle((c, r), 1, 1, color=cmap(norm(v)), lw=0))
        ax.text(c + 0.5, r + 0.55, ch, ha="center", va="center",
                fontsize=8, family="monospace")
    ax.set_xlim(0, cols)
    ax.set_ylim(rows, 0)
    ax.axis("off")
    if title:
        ax.set_title(title, fontsize=10, loc="left")
    return ax


# ----- widget


class LSTMGatesWidget(CourseWidget):
    """Gates and cell state of chosen units while reading a passage."""

    _widget_name = "lstm_gates"
    data = traitlets.Dict().tag(sync=True)  # from compute_lstm_gates
    passage = traitlets.Int(0).tag(sync=True)
    unit = traitlets.Int(0).tag(sync=True)  # index into data["units"]
    step = traitlets.Int(0).tag(sync=True)


def lstm_gates_widget(data: dict) -> LSTMGatesWidget:
    return LSTMGatesWidget(data=data)
