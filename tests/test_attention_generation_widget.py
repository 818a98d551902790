"""The attention-in-generation widget (Week 8): the checks on its input, the data it sends to the page, what
the page reads back from it, the colours, the static figure and the widget."""

import json

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
import torch

from aimastery.testing import one_torch_thread  # noqa: F401 (autouse: small tensors, one thread)
from aimastery.widgets.attention_generation import (
    LEGEND, SCALE, AttentionGenerationWidget, attention_generation_widget, char_label, compute_attention_generation,
    contrast, ink, plot_attention_generation, shade, step_weights, top_attended,
)
from attention_generation_stand_in import PROMPT, attention_in_generation, tiny_gpt

N_NEW = 12


@pytest.fixture(scope="module")
def sample():
    """A GPT whose context (16) is shorter than prompt + sample (14 + 12): the last steps read a cropped one."""
    text, steps = attention_in_generation(tiny_gpt(block_size=16), PROMPT, N_NEW, seed=0)
    return text, steps


def test_the_stand_in_is_a_real_generation(sample):
    text, steps = sample
    assert len(text) == N_NEW and len(steps) == N_NEW
    assert [s.shape[-1] for s in steps] == [min(len(PROMPT) + t, 16) for t in range(N_NEW)]
    assert all(s.shape[:2] == (2, 3) for s in steps)
    again, _ = attention_in_generation(tiny_gpt(block_size=16), PROMPT, N_NEW, seed=0)
    assert again == text  # seeded


def test_the_data_sent_to_the_page(sample):
    text, steps = sample
    data = compute_attention_generation(PROMPT, text, steps)
    assert data["tokens"] == list(PROMPT + text) and data["n_prompt"] == len(PROMPT)
    assert (data["layers"], data["heads"], data["scale"]) == (2, 3, SCALE)
    assert len(data["steps"]) == N_NEW
    for t, (entry, a) in enumerate(zip(data["steps"], steps)):
        T = a.shape[-1]
        assert entry["start"] == len(PROMPT) + t - T  # the context ends just before generated character t
        w = np.array(entry["weights"])
        assert w.shape == (2, 3, T) and w.dtype.kind == "i"
        np.testing.assert_allclose(w / SCALE, a, rtol=0, atol=0.5 / SCALE + 1e-9)
        assert np.abs(w.sum(-1) - SCALE).max() <= T  # each weight rounded by at most half a thousandth
    assert [s["start"] for s in data["steps"]][-3:] == [7, 8, 9]  # cropped: 14 + t - 16
    assert json.loads(json.dumps(data)) == data
    print(f"{len(json.dumps(data)):,} bytes of JSON for {N_NEW} steps x 2 layers x 3 heads")


def test_a_padded_array_with_lengths_gives_the_same_data(sample):
    text, steps = sample
    padded = np.zeros((N_NEW, 2, 3, 16))
    for t, a in enumerate(steps):
        padded[t, ..., :a.shape[-1]] = a
    lengths = [a.shape[-1] for a in steps]
    assert compute_attention_generation(PROMPT, text, padded, lengths) == compute_attention_generation(
        PROMPT, text, steps)
    from_torch = compute_attention_generation(list(PROMPT), list(text), torch.from_numpy(padded), np.array(lengths))
    assert from_torch == compute_attention_generation(PROMPT, text, steps)


def by_position(steps, n_prompt):
    """(steps, L, H, len(text) - 1): column j is position j, NaN where a step did not see it (as
    aimastery.gpt.generate's GenerationAttention.padded() lays it out)."""
    out = np.full((len(steps), *steps[0].shape[:2], n_prompt + len(steps) - 1), np.nan)
    for t, a in enumerate(steps):
        out[t, ..., n_prompt + t - a.shape[-1]:n_prompt + t] = a
    return out


def test_a_padded_array_by_position_gives_the_same_data(sample):
    text, steps = sample
    assert compute_attention_generation(PROMPT, text, by_position(steps, len(PROMPT))) == \
        compute_attention_generation(PROMPT, text, steps)
    shifted = by_position(steps, len(PROMPT))
    shifted[3] = np.roll(shifted[3], -1, axis=-1)  # step 3's context ends one position too early
    with pytest.raises(ValueError, match="step 3 must see positions up to 16 with no gap"):
        compute_attention_generation(PROMPT, text, shifted)
    gap = by_position(steps, len(PROMPT))
    gap[5, ..., 10] = np.nan  # step 5 sees positions 3 to 18
    with pytest.raises(ValueError, match="step 5: in a padded array without lengths"):
        compute_attention_generation(PROMPT, text, gap)
    ragged = by_position(steps, len(PROMPT))
    ragged[0, 1, 2, 0] = np.nan
    with pytest.raises(ValueError, match="the same in every layer and head"):
        compute_attention_generation(PROMPT, text, ragged)


def test_what_the_page_reads_back(sample):
    text, steps = sample
    data = compute_attention_generation(PROMPT, text, steps)
    for t in (0, 5, N_NEW - 1):
        for layer in range(2):
            for head in range(3):
                np.testing.assert_allclose(step_weights(data, t, layer, head), steps[t][layer, head], atol=5e-4)
            np.testing.assert_allclose(step_weights(data, t, layer), steps[t][layer].mean(0), atol=5e-4)
            top = top_attended(data, t, layer, 1)
            order = np.argsort(-steps[t][layer, 1], kind="stable")[:3]
            start = data["steps"][t]["start"]
            assert [a["weight"] for a in top] == pytest.approx(steps[t][layer, 1][order], abs=5e-4)
            for a in top:
                assert a["token"] == (PROMPT + text)[a["position"]]
                assert a["back"] == len(PROMPT) + t - a["position"] >= 1 and a["position"] >= start


def test_top_attended_breaks_ties_by_position_and_counts_back():
    weights = [np.array([[[0.25, 0.5, 0.25]]]), np.array([[[0.1, 0.3, 0.3, 0.3]]])]
    data = compute_attention_generation("abc", "de", weights)
    assert [(a["position"], a["back"], a["weight"]) for a in top_attended(data, 1)] == [
        (1, 3, 0.3), (2, 2, 0.3), (3, 1, 0.3)]
    assert [a["token"] for a in top_attended(data, 0, k=2)] == ["b", "a"]


def _one_step(T=3, L=1, H=1):
    return np.full((L, H, T), 1 / T)


@pytest.mark.parametrize("prompt, generated, attentions, lengths, message", [
    ("", "d", [_one_step(1)], None, "at least one character"),
    ("abc", "", [], None, "at least one character"),
    ("abc", 7, [_one_step()], None, "generated must be a string"),
    ("abc", "de", [_one_step()], None, r"1 steps of attention for 2 generated characters"),
    ("abc", "d", [np.full((1, 3), 1 / 3)], None, r"\(L, H, T_t\), got shape \(1, 3\) \(one layer's"),
    ("abc", "d", np.full((1, 1, 3), 1 / 3), None, r"or a padded \(steps, L, H, T_max\) array; got shape"),
    ("abc", "d", np.full((1, 1, 1, 3), 1 / 3), None, "needs lengths .* or NaN where a step did not see"),
    ("abc", "d", np.full((1, 1, 1, 3), 1 / 3), [3, 3], "2 lengths for 1 steps"),
    ("abc", "d", np.full((1, 1, 1, 3), 1 / 3), [4], r"lengths\[0\] = 4: each length is an integer from 1 to"),
    ("abc", "d", [_one_step()], [3], "lengths go with a padded"),
    ("abc", "d", [_one_step(4)], None, r"step 0: 4 context weights, .* T_t must be 1 to 3"),
    ("abc", "de", [_one_step(), np.full((1, 2, 4), 0.25)], None, "step 1: attention of shape \\(1, 2, 4\\)"),
    ("abc", "d", [np.array([[[0.5, 0.6, -0.1]]])], None, "finite and non-negative"),
    ("abc", "d", [np.array([[[0.5, np.nan, 0.5]]])], None, "finite and non-negative"),
    ("abc", "d", [np.array([[[0.5, 0.2, 0.2]], [[0.2, 0.3, 0.5]]])], None,
     r"step 0: layer 0, head 0's weights sum to 0\.9000, not 1"),
    ("abc", "d", [np.zeros((0, 1, 3))], None, "at least one layer and one head"),
])
def test_bad_input_is_refused_with_a_message(prompt, generated, attentions, lengths, message):
    with pytest.raises(ValueError, match=message):
        compute_attention_generation(prompt, generated, attentions, lengths)


def test_too_much_for_a_page_is_refused():
    steps = [np.full((12, 12, 100 + t), 1 / (100 + t)) for t in range(200)]
    with pytest.raises(ValueError, match="more than 300,000, about .* MB in the page: generate fewer"):
        compute_attention_generation("x" * 100, "y" * 200, steps)


def test_the_colours_are_readable():
    assert shade(0) == (255, 255, 255) and shade(1) == (8, 48, 107) and shade(2) == shade(1)
    assert shade(0.01)[2] < 255  # a weight of 1 % still shows
    worst = min(contrast(shade(w), (0, 0, 0) if ink(shade(w)) == "#000000" else (255, 255, 255))
                for w in np.linspace(0, 1, 1001))
    assert worst >= 4.5, f"the worst text contrast on a shade is {worst:.2f}:1"
    assert ink(shade(0)) == "#000000" and ink(shade(1)) == "#ffffff"
    assert contrast((89, 99, 110), (255, 255, 255)) >= 4.5  # the grey of the characters out of reach
    assert char_label("\n") == "⏎" and char_label(" ") == "␣" and char_label("a\nb") == "a⏎b"


def test_the_static_figure(sample):
    text, steps = sample
    data = compute_attention_generation(PROMPT, text, steps)
    step = N_NEW - 1
    fig = plot_attention_generation(data, step, heads=[(0, 1), (1, None)])
    panels, legend = fig.axes[:2], fig.axes[2]
    now = len(PROMPT) + step
    for ax, (layer, head) in zip(panels, [(0, 1), (1, None)]):
        assert len(ax.texts) == now + 1  # the text so far, and the character being written; nothing after
        assert [t.get_text() for t in ax.texts] == [char_label(c) for c in (PROMPT + text)[:now + 1]]
        top = top_attended(data, step, layer, head)
        best = f"“{char_label(top[0]['token'])}” {top[0]['back']} back ({top[0]['weight']:.2f})"
        assert best in ax.get_title(loc="left")
        w = step_weights(data, step, layer, head)
        start = data["steps"][step]["start"]
        fills = [tuple(np.round(np.array(p.get_facecolor()[:3]) * 255).astype(int)) for p in ax.patches[:now + 1]]
        assert fills[start:now] == [shade(v) for v in w]  # the context, shaded as in the page
        assert fills[:start] == [(255, 255, 255)] * start  # out of reach
    assert "mean over 3 heads" in panels[1].get_title(loc="left") and "head 2" in panels[0].get_title(loc="left")
    assert [t.get_text() for t in legend.texts][:len(LEGEND)] == [f"{v:g}" for v in LEGEND]
    assert "writes" in fig._suptitle.get_text()
    with pytest.raises(ValueError, match="head is 0 to 2, or None"):
        plot_attention_generation(data, 0, heads=[(0, 3)])
    matplotlib.pyplot.close("all")


def test_the_widget(sample):
    text, steps = sample
    data = compute_attention_generation(PROMPT, text, steps)
    widget = attention_generation_widget(data, step=4, layer=1, head=None)
    assert isinstance(widget, AttentionGenerationWidget)
    assert (widget.step, widget.layer, widget.head) == (4, 1, 3)  # head = heads: the mean over heads
    assert widget.data == data
    assert attention_generation_widget(data).head == 0
    for snippet in ("data-aim-widget", "data-aim-control", "data-aim-view", 'syncWithUrl(root, "attngen"',
                    "export default"):
        assert snippet in widget._esm
    with pytest.raises(ValueError, match=r"step is 0 to 11 \(12 generated characters\), got 12"):
        attention_generation_widget(data, step=12)
    with pytest.raises(ValueError, match="layer is 0 to 1"):
        attention_generation_widget(data, layer=2)
