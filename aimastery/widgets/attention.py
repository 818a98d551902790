"""Attention-pattern widget: where each token of a sentence looks, in every layer and head of MiniLM.

Taught in Week 7 (book/week07_attention_bert.md). Three layers:

* :func:`compute_attention_patterns` runs a BERT (the one written from
  scratch, with the real all-MiniLM-L6-v2 weights) on a few sentences and
  keeps every layer's and head's attention weights, rounded, with a short
  description of what each head mostly does (:func:`describe_head`);
* :func:`plot_attention_heads` draws chosen heads as heatmaps, for the static
  page;
* :func:`attention_widget` lets a reader choose a sentence, a layer and a
  head, and step through the tokens (or hover over them) to see where each
  one attends, with no kernel (``js/attention.js`` draws).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
import traitlets

from aimastery.widgets.base import CourseWidget

#: What a head can mostly do, and how :func:`describe_head` tells them apart.
PATTERNS = ("the previous token", "the next token", "itself", "[CLS]", "[SEP]", "punctuation")

#: Below this share of attention on one pattern, a head is called "broad".
DOMINANT = 0.5


def describe_head(weights: np.ndarray, tokens: Sequence[str]) -> tuple[str, float]:
    """The pattern of :data:`PATTERNS` a head gives most of its attention to, and that share.

    ``weights`` (T, T): one head's attention for one sentence (rows: queries).
    The share is averaged over the queries; a head whose best pattern gets
    less than :data:`DOMINANT` is "broad".
    """
    w = np.asarray(weights, dtype=np.float64)
    T = len(tokens)
    if w.shape != (T, T):
        raise ValueError(f"weights must be (T, T) with T = {T} tokens, got {w.shape}")
    idx = np.arange(T)
    punct = np.array([len(t) == 1 and not t.isalnum() for t in tokens])
    shares = {
        "the previous token": w[idx[1:], idx[1:] - 1].sum() / T,
        "the next token": w[idx[:-1], idx[:-1] + 1].sum() / T,
        "itself": np.trace(w) / T,
        "[CLS]": w[:, [i for i, t in enumerate(tokens) if t == "[CLS]"]].sum() / T,
        "[SEP]": w[:, [i for i, t in enumerate(tokens) if t == "[SEP]"]].sum() / T,
        "punctuation": w[:, punct].sum() / T,
    }
    best = max(PATTERNS, key=lambda p: shares[p])
    return (best if shares[best] >= DOMINANT else "broad"), float(shares[best])


@torch.no_grad()
def compute_attention_patterns(model, tokenizer, sentences: Sequence[str], digits: int = 3) -> dict:
    """Plain data for the widget: each sentence's tokens and attention[layer][head][query][key].

    ``model`` is a :class:`aimastery.bert.model.BertModel` (it must return its
    attention weights), ``tokenizer`` a :class:`aimastery.tokenization.wordpiece.WordPiece`.
    Each head also gets a one-line description of its pattern in that
    sentence (``notes[layer][head]``, from :func:`describe_head`).
    """
    if not sentences:
        raise ValueError("compute_attention_patterns needs at least one sentence")
    model.eval()
    out = []
    for text in sentences:
        ids = tokenizer.encode(text)
        if len(ids) > 40:
            raise ValueError(f"{text[:30]!r}... is {len(ids)} tokens; keep the widget's sentences to 40 or fewer")
        tokens = tokenizer.convert_ids_to_tokens(ids)
        result = model(torch.tensor([ids]), torch.ones(1, len(ids), dtype=torch.long), output_attentions=True)
        att = torch.stack(result.attentions)[:, 0].numpy()  # (L, H, T, T)
        notes = []
        for layer in att:
            row = []
            for head in layer:
                pattern, share = describe_head(head, tokens)
                row.append("attends broadly" if pattern == "broad"
                           else f"{share:.0%} of its attention on {pattern}")
            notes.append(row)
        out.append({"text": text, "tokens": tokens, "attention": np.round(att, digits).tolist(), "notes": notes})
    L, H = len(out[0]["attention"]), len(out[0]["attention"][0])
    return {"layers": L, "heads": H, "sentences": out}


# ----- static figure


def plot_attention_heads(data: dict, heads: Sequence[tuple[int, int]], sentence: int = 0, cols: int = 3):
    """Heatmaps of the chosen (layer, head) pairs for one sentence (rows: the token looking; columns: where)."""
    import matplotlib.pyplot as plt

    s = data["sentences"][sentence]
    tokens = s["tokens"]
    rows = -(-len(heads) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.4 * cols, 3.3 * rows), squeeze=False)
    for ax in axes.flat[len(heads):]:
        ax.axis("off")
    for ax, (layer, head) in zip(axes.flat, heads):
        w = np.array(s["attention"][layer][head])
        ax.imshow(w, cmap="Blues", vmin=0, vmax=1, interpolation="nearest")
        ax.set_xticks(range(len(tokens)), tokens, rotation=90, fontsize=7)
        ax.set_yticks(range(len(tokens)), tokens, fontsize=7)
        ax.grid(False)
        ax.set_title(f"layer {layer + 1}, head {head + 1}\n{s['notes'][layer][head]}", fontsize=8)
    fig.tight_layout()
    return fig


# ----- widget


class AttentionWidget(CourseWidget):
    """Choose a sentence, a layer and a head; step through (or hover over) the tokens."""

    _widget_name = "attention"
    data = traitlets.Dict().tag(sync=True)  # from compute_attention_patterns
    sentence = traitlets.Int(0).tag(sync=True)
    layer = traitlets.Int(0).tag(sync=True)
    head = traitlets.Int(0).tag(sync=True)
    step = traitlets.Int(0).tag(sync=True)  # the token whose attention is shown


def attention_widget(data: dict, layer: int = 0, head: int = 0, step: int = 0) -> AttentionWidget:
    """The widget over ``data``, opened at ``layer``, ``head`` and token ``step`` of the first sentence."""
    return AttentionWidget(data=data, layer=layer, head=head, step=step)


def strongest_head(data: dict, sentence: int, query: str, key: str) -> tuple[int, int, float]:
    """The (layer, head) in which token ``query`` gives token ``key`` the most attention, and that weight."""
    s = data["sentences"][sentence]
    if query not in s["tokens"] or key not in s["tokens"]:
        raise ValueError(f"both {query!r} and {key!r} must be tokens of the sentence; its tokens: {s['tokens']}")
    att = np.array(s["attention"])  # (L, H, T, T)
    w = att[:, :, s["tokens"].index(query), s["tokens"].index(key)]  # (L, H)
    layer, head = np.unravel_index(int(np.argmax(w)), w.shape)
    return int(layer), int(head), float(w[layer, head])
