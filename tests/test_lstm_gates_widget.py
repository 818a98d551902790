import json

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
import torch

from aimastery.charlm.model import CharLSTM, CharLSTMConfig
from aimastery.data.shakespeare import load_shakespeare
from aimastery.widgets.lstm_gates import (
    QUANTITIES,
    LSTMGatesWidget,
    compute_lstm_gates,
    find_interpretable_units,
    in_speaker_name,
    line_position,
    lstm_gates_widget,
    plot_lstm_gates,
    plot_unit_text,
    trace_text,
)


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return CharLSTM(CharLSTMConfig(vocab_size=63, embed_dim=8, hidden_size=16))


@pytest.fixture(scope="module")
def vocab():
    return load_shakespeare().vocab


def test_features():
    text = "KENT:\nAy, sir.\n\nLEAR:\nNo: go.\n"
    assert line_position(text)[:8].tolist() == [0, 1, 2, 3, 4, 5, 0, 1]
    flags = in_speaker_name(text)
    assert "".join(c for c, f in zip(text, flags) if f) == "KENT:LEAR:"  # not "No:"


def test_find_interpretable_units_finds_a_planted_unit():
    text = load_shakespeare().val[:2000]
    rng = np.random.default_rng(0)
    cell = rng.normal(size=(len(text), 10))
    cell[:, 3] = line_position(text) + rng.normal(0, 0.5, len(text))
    cell[:, 8] = -in_speaker_name(text) + rng.normal(0, 0.1, len(text))
    found = {f["feature"]: f for f in find_interpretable_units(cell, text)}
    assert found["position in the line"]["unit"] == 3
    assert found["position in the line"]["r"] > 0.9
    assert found["inside a speaker's name"]["unit"] == 8
    assert found["inside a speaker's name"]["r"] < -0.8
    with pytest.raises(ValueError, match=r"\(T, H\)"):
        find_interpretable_units(cell[:10], text)


def test_compute_lstm_gates(model, vocab):
    passages = ["KENT:\nAy, sir.\n\n", "LEAR:\nNo.\n"]
    data = compute_lstm_gates(model, vocab, passages, [0, 5, 15], {5: "x"})
    assert data["units"] == [0, 5, 15] and data["notes"] == ["", "x", ""]
    for p, text in zip(data["passages"], passages):
        assert p["text"] == text and set(p["quantities"]) == set(QUANTITIES)
        for q in QUANTITIES:
            assert np.array(p["quantities"][q]).shape == (len(text), 3)
    gates = np.array(data["passages"][0]["quantities"]["forget"])
    assert gates.min() >= 0 and gates.max() <= 1
    full = trace_text(model, vocab, passages[0])
    assert np.allclose(data["passages"][0]["quantities"]["cell"],
                       full["cell"][:, [0, 5, 15]], atol=0.006)
    assert json.loads(json.dumps(data)) == data
    with pytest.raises(ValueError, match="between 0 and 15"):
        compute_lstm_gates(model, vocab, passages, [16])


def test_widget_and_figures(model, vocab):
    data = compute_lstm_gates(model, vocab, ["KENT:\nAy.\n"], [1, 2])
    widget = lstm_gates_widget(data)
    assert isinstance(widget, LSTMGatesWidget) and widget.data == data
    assert "data-aim-widget" in widget._esm and "export default" in widget._esm
    fig = plot_lstm_gates(data)
    assert len(fig.axes) >= len(QUANTITIES)
    ax = plot_unit_text("KENT:\nAy.\n", np.linspace(-1, 1, 10))
    assert len(ax.texts) == 10
    matplotlib.pyplot.close("all")


def test_speech_position():
    from aimastery.widgets.lstm_gates import speech_position

    text = "A:\nxy\n\nB:\nz"
    assert speech_position(text).tolist() == [0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3]
