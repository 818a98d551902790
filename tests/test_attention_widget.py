"""The attention-pattern widget: head descriptions, the computed data, the figure and the widget."""

import json

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
import torch

from aimastery.bert.model import BertConfig, BertModel
from aimastery.tokenization.wordpiece import WordPiece
from aimastery.widgets.attention import (
    AttentionWidget, attention_widget, compute_attention_patterns, describe_head, plot_attention_heads,
    strongest_head,
)
from aimastery.testing import one_torch_thread  # noqa: F401 (autouse: small tensors, one thread)

TOKENS = ["[CLS]", "the", "cat", "sat", ".", "[SEP]"]



def test_describe_head_names_planted_patterns():
    T = len(TOKENS)
    previous = np.eye(T, k=-1)
    previous[0, 0] = 1
    assert describe_head(previous, TOKENS) == ("the previous token", pytest.approx(5 / 6))
    to_sep = np.zeros((T, T))
    to_sep[:, -1] = 1
    assert describe_head(to_sep, TOKENS)[0] == "[SEP]"
    assert describe_head(np.full((T, T), 1 / T), TOKENS)[0] == "broad"
    assert describe_head(np.eye(T), TOKENS)[0] == "itself"
    with pytest.raises(ValueError, match=r"\(T, T\)"):
        describe_head(np.eye(3), TOKENS)


@pytest.fixture(scope="module")
def tiny():
    torch.manual_seed(0)
    wp = WordPiece.minilm()
    config = BertConfig(vocab_size=len(wp), hidden_size=16, num_hidden_layers=2, num_attention_heads=4,
                        intermediate_size=32, max_position_embeddings=64)
    return BertModel(config).eval(), wp


def test_compute_attention_patterns(tiny):
    model, wp = tiny
    data = compute_attention_patterns(model, wp, ["The cat sat.", "A longer sentence, here."])
    assert (data["layers"], data["heads"]) == (2, 4)
    for s in data["sentences"]:
        T = len(s["tokens"])
        assert s["tokens"][0] == "[CLS]" and s["tokens"][-1] == "[SEP]"
        att = np.array(s["attention"])
        assert att.shape == (2, 4, T, T)
        assert np.allclose(att.sum(-1), 1, atol=4e-3)  # rounded to 3 digits
        assert len(s["notes"]) == 2 and len(s["notes"][0]) == 4
    assert json.loads(json.dumps(data)) == data
    with pytest.raises(ValueError, match="at least one sentence"):
        compute_attention_patterns(model, wp, [])
    with pytest.raises(ValueError, match="40 or fewer"):
        compute_attention_patterns(model, wp, ["word " * 50])


def test_figure_and_widget(tiny):
    model, wp = tiny
    data = compute_attention_patterns(model, wp, ["The cat sat."])
    fig = plot_attention_heads(data, [(0, 0), (1, 3)], cols=2)
    assert len([ax for ax in fig.axes if ax.images]) == 2
    widget = attention_widget(data, layer=1, head=2)
    assert isinstance(widget, AttentionWidget) and (widget.layer, widget.head) == (1, 2)
    assert "data-aim-widget" in widget._esm and "data-aim-control" in widget._esm
    matplotlib.pyplot.close("all")


def test_strongest_head():
    data = {"sentences": [{"tokens": ["a", "b"], "attention": [[[[1, 0], [0.2, 0.8]]], [[[1, 0], [0.7, 0.3]]]]}]}
    assert strongest_head(data, 0, "b", "a") == (1, 0, 0.7)
    with pytest.raises(ValueError, match="must be tokens"):
        strongest_head(data, 0, "b", "zz")
