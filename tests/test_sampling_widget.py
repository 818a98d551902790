import json

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
import torch

from aimastery.charlm.model import CharLSTM, CharLSTMConfig
from aimastery.data.shakespeare import load_shakespeare
from aimastery.sampling import next_token_probs
from aimastery.widgets.sampling import (
    SamplingWidget,
    compute_sampling_data,
    distribution_summary,
    plot_next_char_distributions,
    sampling_widget,
    settings_grid,
)

SMALL = dict(temperatures=(0.5, 1.0), top_ks=(None, 2), top_ps=(1.0, 0.5))


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return CharLSTM(CharLSTMConfig(vocab_size=63, embed_dim=8, hidden_size=16))


@pytest.fixture(scope="module")
def data(model):
    return compute_sampling_data(model, load_shakespeare().vocab, ["KENT:\n", "Ay, s"],
                                 n_samples=2, length=12, **SMALL)


def test_data_shape_and_determinism(model, data):
    assert data["top_ks"] == [0, 2] and data["temperatures"] == [0.5, 1.0]
    assert len(data["chars"]) == 63 and "⏎" in data["chars"] and "␣" in data["chars"]
    for prompt in data["prompts"]:
        assert len(prompt["logits"]) == 63
        assert len(prompt["samples"]) == len(settings_grid(**SMALL)) == 8
        assert all(len(s) == 2 and all(len(t) == 12 for t in s) for s in prompt["samples"])
    again = compute_sampling_data(model, load_shakespeare().vocab, ["KENT:\n", "Ay, s"],
                                  n_samples=2, length=12, **SMALL)
    assert again == data
    assert len(json.dumps(data)) < 20_000


def test_samples_respect_their_setting(data):
    grid = settings_grid(**SMALL)
    vocab = load_shakespeare().vocab
    # with top-k 2 only the two most likely characters can follow the prompt
    logits = np.array(data["prompts"][0]["logits"])
    top2 = {vocab.chars[i] for i in np.argsort(-logits)[:2]}
    for (t, k, p), samples in zip(grid, data["prompts"][0]["samples"]):
        if k == 2 or p == 0.5:
            allowed = np.flatnonzero(next_token_probs(logits, t, k, p) > 0)
            assert all(vocab.chars.index(s[0]) in allowed for s in samples)
        if k == 2:
            assert all(s[0] in top2 for s in samples)


def test_distribution_summary_matches_the_library(data):
    logits = data["prompts"][1]["logits"]
    s = distribution_summary(logits, 0.8, 5, 0.9, data["chars"], n_top=10)
    probs = next_token_probs(np.array(logits), 0.8, 5, 0.9)
    assert s["kept"] == np.count_nonzero(probs) <= 5
    assert sum(s["probs"]) == pytest.approx(1.0)
    assert s["probs"] == sorted(s["probs"], reverse=True)


def test_needs_prompts(model):
    with pytest.raises(ValueError, match="at least one prompt"):
        compute_sampling_data(model, load_shakespeare().vocab, [])


def test_widget_generates_live_in_a_kernel(model, data):
    widget = sampling_widget(data, model=model, vocab=load_shakespeare().vocab)
    assert isinstance(widget, SamplingWidget) and "export default" in widget._esm
    assert widget.live == {}
    widget.top_k = 1  # index 1: k = 2
    widget.request += 1  # what the "new sample" button does in Jupyter
    assert widget.live["key"] == [0, widget.temperature, 1, 0]
    assert len(widget.live["text"]) == 80
    assert sampling_widget(data).live == {}  # no model: stored samples only


def test_plot(data):
    fig = plot_next_char_distributions(data, prompt=1, temperatures=(0.5, 1.0))
    assert len(fig.axes) == 2
    matplotlib.pyplot.close("all")
