"""Attention-in-generation widget: while the GPT writes a sample, one character at a time, which earlier
characters the chosen head looks at to choose the next one.

Taught in Week 8 (book/week08_gpt.md). Three layers:

* :func:`compute_attention_generation` checks and packs, for every generated step, every layer's and
  head's attention from the last position of the context over that context (plain data: the weights in
  thousandths); :func:`step_weights` and :func:`top_attended` read it back, as the page does;
* :func:`plot_attention_generation` draws one step with matplotlib, for print and for pages without
  JavaScript;
* :func:`attention_generation_widget` steps (or plays) through the generation in the page, with a layer
  and a head (or the mean over heads) to choose, and no kernel (``js/attention_generation.js`` draws).

The data is what ``aimastery.gpt.generate.attention_in_generation`` returns: at step t the model reads
the context (the prompt and the first t generated characters, cropped to the last ``block_size``) and
chooses generated character t; the weights are those of its last position, one per context character.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import traitlets

from aimastery.widgets.base import CourseWidget

#: The weights are stored as integers, round(weight * SCALE): a third of the page's bytes of "0.123".
SCALE = 1000
#: The most weights one widget stores (steps x layers x heads x context): about 1 MB of page.
MAX_WEIGHTS = 300_000
#: How far a head's weights may sum from 1 (float32 softmax sums to 1 within 1e-6).
SUM_TOLERANCE = 1e-3

# The shading: weight 0 is white, weight 1 dark blue, on a square-root scale so that the small weights
# of a head that spreads its attention stay visible. js/attention_generation.js has the same numbers.
LIGHT = (255, 255, 255)
DARK = (8, 48, 107)
#: The weights the legend shows.
LEGEND = (0, 0.01, 0.05, 0.2, 0.5, 1)


def _tokens(name: str, text) -> list[str]:
    if isinstance(text, str):
        return list(text)
    if isinstance(text, Sequence) and all(isinstance(t, str) and t for t in text):
        return list(text)
    raise ValueError(f"{name} must be a string (one character per step) or a list of non-empty token strings, "
                     f"got {type(text).__name__}")


def _array(x) -> np.ndarray:
    if hasattr(x, "detach"):  # a torch tensor
        x = x.detach().cpu().numpy()
    return np.asarray(x, dtype=np.float64)


def _by_position(padded: np.ndarray, n_prompt: int) -> list[np.ndarray]:
    """Each step's weights from a (steps, L, H, T_max) array whose column j is position j of the text and
    which is NaN where a step did not see a position: step t's context must end at position n_prompt + t - 1."""
    steps = []
    for t, a in enumerate(padded):
        seen = ~np.isnan(a)  # (L, H, T_max)
        cols = np.flatnonzero(seen[0, 0])
        end = n_prompt + t  # the first position step t does not see: the one it writes
        if not (seen == seen[:1, :1]).all() or len(cols) == 0 or cols[-1] != end - 1 \
                or len(cols) != cols[-1] - cols[0] + 1:
            raise ValueError(f"step {t}: in a padded array without lengths, column j is position j of the text "
                             f"and NaN marks what a step did not see; step {t} must see positions up to {end - 1} "
                             f"with no gap, the same in every layer and head")
        steps.append(a[..., cols[0]:end])
    return steps


def _steps(attentions, lengths, n_steps: int, n_prompt: int) -> list[np.ndarray]:
    """The attention of each step as an (L, H, T_t) array, from a list of them or a padded array."""
    if isinstance(attentions, (list, tuple)):
        if lengths is not None:
            raise ValueError("lengths go with a padded (steps, L, H, T_max) array, not with a list of steps")
        steps = [_array(a) for a in attentions]
        for t, a in enumerate(steps):
            if a.ndim != 3:
                raise ValueError(f"step {t}: the attention must be (layers, heads, context) = (L, H, T_t), "
                                 f"got shape {a.shape} (one layer's (H, T_t) needs a layer axis: a[None])")
    else:
        padded = _array(attentions)
        if padded.ndim != 4:
            raise ValueError("attentions must be a list of (L, H, T_t) arrays, one per generated step, or a "
                             f"padded (steps, L, H, T_max) array; got shape {padded.shape}")
        if lengths is None:
            if not np.isnan(padded).any():
                raise ValueError("a padded (steps, L, H, T_max) array needs lengths (each step's weights first), "
                                 "or NaN where a step did not see a position (column j = position j)")
            steps = _by_position(padded, n_prompt) if len(padded) == n_steps else list(padded)
        else:
            lengths = list(lengths)
            if len(lengths) != len(padded):
                raise ValueError(f"{len(lengths)} lengths for {len(padded)} steps of attention")
            for t, n in enumerate(lengths):
                if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 1 <= n <= padded.shape[-1]:
                    raise ValueError(f"lengths[{t}] = {n!r}: each length is an integer from 1 to T_max = "
                                     f"{padded.shape[-1]}")
            steps = [a[..., :n] for a, n in zip(padded, lengths)]
    if len(steps) != n_steps:
        raise ValueError(f"{len(steps)} steps of attention for {n_steps} generated characters: one step per "
                         "generated character")
    return steps


def compute_attention_generation(prompt: str | Sequence[str], generated: str | Sequence[str], attentions,
                                 lengths: Sequence[int] | None = None) -> dict:
    """Plain data for the widget, checked.

    ``prompt`` and ``generated``: the text, as strings (a character per step) or lists of token strings.
    ``attentions``: for each generated step t, the weights of the model's last position over its context,
    one (L, H, T_t) array (every layer and head) per step; or one padded (steps, L, H, T_max) array, either
    with ``lengths`` (T_t of each step; the weights first, the padding after) or, without, NaN where a step
    did not see a position and column j for position j of the text. The context of step t is the
    T_t characters just before generated character t, so T_t <= len(prompt) + t (less once it is cropped
    to the model's block size). Each head's T_t weights must be a distribution: non-negative, summing to 1.

    Returns ``tokens`` (prompt, then generated), ``n_prompt``, ``layers``, ``heads``, ``scale`` and one
    entry per step: ``start`` (the first context position) and ``weights[layer][head][j]``, the weight on
    character ``start + j`` times :data:`SCALE`, rounded to an integer.
    """
    prompt_tokens, new_tokens = _tokens("prompt", prompt), _tokens("generated", generated)
    if not prompt_tokens or not new_tokens:
        raise ValueError("the prompt and the generated text must each have at least one character: step 0 "
                         "reads the prompt to write the first generated character")
    P = len(prompt_tokens)
    steps = _steps(attentions, lengths, len(new_tokens), P)
    L, H = steps[0].shape[:2]
    if L < 1 or H < 1:
        raise ValueError(f"the attention needs at least one layer and one head, got (L, H) = ({L}, {H})")
    total = sum(a.size for a in steps)
    if total > MAX_WEIGHTS:
        raise ValueError(f"{total:,} weights (steps x layers x heads x context) is more than {MAX_WEIGHTS:,}, "
                         f"about {3 * total / 1e6:.1f} MB in the page: generate fewer characters")
    out = []
    for t, a in enumerate(steps):
        if a.shape[:2] != (L, H):
            raise ValueError(f"step {t}: attention of shape {a.shape}, but step 0 has {L} layers and {H} heads")
        T = a.shape[-1]
        if not 1 <= T <= P + t:
            raise ValueError(f"step {t}: {T} context weights, but generated character {t} has {P + t} characters "
                             f"before it (the prompt's {P} and {t} generated): T_t must be 1 to {P + t}")
        if not np.isfinite(a).all() or a.min() < 0:
            raise ValueError(f"step {t}: attention weights must be finite and non-negative (softmax outputs)")
        sums = a.sum(axis=-1)  # (L, H)
        worst = np.unravel_index(int(np.argmax(np.abs(sums - 1))), sums.shape)
        if abs(sums[worst] - 1) > SUM_TOLERANCE:
            raise ValueError(f"step {t}: layer {worst[0]}, head {worst[1]}'s weights sum to {sums[worst]:.4f}, "
                             f"not 1: pass each head's softmax weights over the context (rows summing to 1)")
        out.append({"start": P + t - T, "weights": np.rint(a * SCALE).astype(int).tolist()})
    return {"tokens": prompt_tokens + new_tokens, "n_prompt": P, "layers": int(L), "heads": int(H),
            "scale": SCALE, "steps": out}


def _check_setting(data: dict, step: int, layer: int, head: int | None) -> None:
    n, L, H = len(data["steps"]), data["layers"], data["heads"]
    if not 0 <= step < n:
        raise ValueError(f"step is 0 to {n - 1} ({n} generated characters), got {step}")
    if not 0 <= layer < L:
        raise ValueError(f"layer is 0 to {L - 1}, got {layer}")
    if head is not None and not 0 <= head < H:
        raise ValueError(f"head is 0 to {H - 1}, or None for the mean over the {H} heads; got {head}")


def step_weights(data: dict, step: int, layer: int = 0, head: int | None = None) -> np.ndarray:
    """The weights (T_t,) of ``head`` of ``layer`` at ``step`` over its context, as the page computes them
    from the stored integers; ``head=None`` is their mean over the heads."""
    _check_setting(data, step, layer, head)
    rows = np.array(data["steps"][step]["weights"][layer], dtype=np.float64)  # (H, T_t), exact integers
    if head is not None:
        return rows[head] / data["scale"]
    return rows.sum(axis=0) / (data["heads"] * data["scale"])  # integer sums are exact: the same as the page's


def top_attended(data: dict, step: int, layer: int = 0, head: int | None = None, k: int = 3) -> list[dict]:
    """The ``k`` context positions with the largest weights (ties: the earlier first), as the page lists them:
    ``position`` (in ``data["tokens"]``), ``token``, ``back`` (how far before the character being written)
    and ``weight``."""
    w = step_weights(data, step, layer, head)
    start, now = data["steps"][step]["start"], data["n_prompt"] + step
    order = sorted(range(len(w)), key=lambda j: (-w[j], j))[:k]
    return [{"position": start + j, "token": data["tokens"][start + j], "back": now - (start + j),
             "weight": float(w[j])} for j in order]


# ----- the colours, shared with the page


def shade(weight: float) -> tuple[int, int, int]:
    """The background of a character with this attention weight: sqrt(weight) of the way from white to blue."""
    t = float(np.sqrt(min(1.0, max(0.0, weight))))
    return tuple(int(np.floor(c + (d - c) * t + 0.5)) for c, d in zip(LIGHT, DARK))  # JS's Math.round


def _luminance(rgb) -> float:
    """WCAG 2's relative luminance of an sRGB colour (0 to 255 a channel)."""
    lin = [v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4 for v in (c / 255 for c in rgb)]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(a, b) -> float:
    """WCAG 2's contrast ratio of two colours (1 to 21)."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def ink(background) -> str:
    """Black or white text, whichever contrasts more with ``background`` (always at least 4.5:1)."""
    return "#000000" if contrast(background, (0, 0, 0)) >= contrast(background, (255, 255, 255)) else "#ffffff"


def char_label(token: str) -> str:
    """A visible label: newline and space get symbols."""
    return {"\n": "⏎", " ": "␣"}.get(token, token.replace("\n", "⏎"))


# ----- static figure


def _layout(tokens: Sequence[str], cols: int) -> list[tuple[int, int, int]]:
    """(row, column, width) of each token in a grid ``cols`` wide, a new row after each newline."""
    cells, row, col = [], 0, 0
    for tok in tokens:
        width = max(1, len(char_label(tok)))
        if col + width > cols and col > 0:
            row, col = row + 1, 0
        cells.append((row, col, width))
        col += width
        if "\n" in tok:
            row, col = row + 1, 0
    return cells


def plot_attention_generation(data: dict, step: int, heads: Sequence[tuple[int, int | None]] = ((0, None),),
                              cols: int = 64):
    """One step of the generation, once per (layer, head) in ``heads`` (head None: the mean over heads):
    the text so far as a grid of characters, each shaded by its weight (as in the page), the character being
    written outlined, the prompt underlined; the top three weights in each panel's title."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    for layer, head in heads:
        _check_setting(data, step, layer, head)
    tokens, P = data["tokens"], data["n_prompt"]
    now, start = P + step, data["steps"][step]["start"]
    cells = _layout(tokens[:now + 1], cols)
    rows = cells[-1][0] + 1
    fig, axes = plt.subplots(len(heads) + 1, 1, figsize=(cols * 0.13 + 0.4, len(heads) * (rows * 0.25 + 0.7) + 0.6),
                             gridspec_kw={"height_ratios": [rows + 2.5] * len(heads) + [1.6]}, squeeze=False)
    for ax, (layer, head) in zip(axes[:-1, 0], heads):
        w = step_weights(data, step, layer, head)
        for i, (r, c, width) in enumerate(cells):
            inside = start <= i < now
            bg = shade(w[i - start]) if inside else LIGHT
            ax.add_patch(Rectangle((c, r), width, 1, color=np.array(bg) / 255, lw=0))
            colour = ink(bg) if inside else "#59636e" if i < now else "#1f2328"
            ax.text(c + width / 2, r + 0.55, char_label(tokens[i]), ha="center", va="center", fontsize=8,
                    family="monospace", color=colour, weight="bold" if i == now else "normal")
            if i < P:
                ax.plot([c + 0.1, c + width - 0.1], [r + 0.95, r + 0.95], color="#59636e", lw=0.6)
        r, c, width = cells[now]
        ax.add_patch(Rectangle((c, r), width, 1, fill=False, edgecolor="#d9480f", lw=2))
        top = top_attended(data, step, layer, head)
        which = f"layer {layer + 1}, " + (f"mean over {data['heads']} heads" if head is None else f"head {head + 1}")
        best = ", ".join(f"“{char_label(a['token'])}” {a['back']} back ({a['weight']:.2f})" for a in top)
        ax.set_title(f"{which}: most weight on {best}", fontsize=9, loc="left")
        ax.set_xlim(0, cols)
        ax.set_ylim(rows, 0)
        ax.axis("off")
    legend = axes[-1, 0]
    for i, v in enumerate(LEGEND):
        bg = shade(v)
        legend.add_patch(Rectangle((i * 3.2, 0), 3, 1, facecolor=np.array(bg) / 255, edgecolor="#d1d9e0", lw=0.5))
        legend.text(i * 3.2 + 1.5, 0.5, f"{v:g}", ha="center", va="center", fontsize=8, color=ink(bg))
    legend.text(len(LEGEND) * 3.2 + 0.5, 0.5, "attention weight (the shade grows as its square root)",
                va="center", fontsize=8)
    legend.set_xlim(0, cols)
    legend.set_ylim(1.2, -0.2)
    legend.axis("off")
    fig.suptitle(f"Step {step}: the GPT writes “{char_label(tokens[now])}” (outlined), character {step + 1} of "
                 f"the {len(data['steps'])} it generates,\nreading the {now - start} characters before it"
                 + (f"; the {start} in grey are out of its context" if start else ""), fontsize=10, x=0.01, ha="left")
    fig.tight_layout()
    return fig


# ----- widget


class AttentionGenerationWidget(CourseWidget):
    """Step (or play) through a generated sample; choose a layer and a head, or the mean over heads."""

    _widget_name = "attention_generation"
    data = traitlets.Dict().tag(sync=True)  # from compute_attention_generation
    step = traitlets.Int(0).tag(sync=True)  # the generated character being written
    layer = traitlets.Int(0).tag(sync=True)
    head = traitlets.Int(0).tag(sync=True)  # 0 to heads - 1, or heads: the mean over heads


def attention_generation_widget(data: dict, step: int = 0, layer: int = 0,
                                head: int | None = 0) -> AttentionGenerationWidget:
    """The widget over ``data`` (from :func:`compute_attention_generation`), opened at ``step``, ``layer``
    and ``head`` (None: the mean over the heads)."""
    _check_setting(data, step, layer, head)
    return AttentionGenerationWidget(data=data, step=step, layer=layer,
                                     head=data["heads"] if head is None else head)
