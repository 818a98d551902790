"""Sampling-temperature widget: a model's next-character distribution under
temperature, top-k and top-p, its entropy, and continuations.

Taught in Week 6 (book/week06_sequences.md). Three layers:

* :func:`compute_sampling_data` reads the model once per prompt (the logits
  of the next character) and writes continuations for a grid of settings;
* :func:`plot_next_char_distributions` draws the distribution at a few
  temperatures with matplotlib;
* :func:`sampling_widget` shows it all: in the static page its JavaScript
  applies temperature, top-k and top-p to the stored logits (the same maths
  as :mod:`aimastery.sampling`) and shows the stored continuation of the
  chosen setting; in Jupyter, "new sample" asks Python for fresh text.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np
import torch
import traitlets

from aimastery.data.shakespeare import CharVocab
from aimastery.sampling import entropy, next_token_probs, sample
from aimastery.widgets.base import CourseWidget

TEMPERATURES = (0.2, 0.5, 0.8, 1.0, 1.5, 2.5)
TOP_KS = (None, 1, 5, 20)  # None: no top-k filter
TOP_PS = (1.0, 0.9, 0.6)  # 1.0: no top-p filter


def char_label(ch: str) -> str:
    """A visible label for a character: newline and space get symbols."""
    return {"\n": "⏎", " ": "␣"}.get(ch, ch)


def settings_grid(temperatures=TEMPERATURES, top_ks=TOP_KS, top_ps=TOP_PS
                  ) -> list[tuple[float, int | None, float]]:
    """Every (temperature, top_k, top_p), in the order the samples are stored:
    index = (t * len(top_ks) + k) * len(top_ps) + p."""
    return list(itertools.product(temperatures, top_ks, top_ps))


@torch.no_grad()
def continuations(model, vocab: CharVocab, prompt: str,
                  settings: Sequence[tuple[float, int | None, float]],
                  n_samples: int, length: int, rng: np.random.Generator
                  ) -> list[list[str]]:
    """``n_samples`` continuations of ``prompt`` for each setting, generated
    as one batch (every stream carries its own state)."""
    model.eval()
    rows = [s for s in settings for _ in range(n_samples)]
    idx = torch.as_tensor(vocab.encode(prompt))[None].repeat(len(rows), 1)
    logits, state = model(idx)  # (R, T, V)
    out = np.zeros((len(rows), length), dtype=np.int64)
    for step in range(length):
        last = logits[:, -1].double().numpy()  # (R, V)
        for i, (t, k, p) in enumerate(settings):  # rows of one setting
            rows_i = slice(i * n_samples, (i + 1) * n_samples)
            out[rows_i, step] = sample(last[rows_i], rng, t, k, p)
        logits, state = model(torch.as_tensor(out[:, step:step + 1]), state)
    texts = [vocab.decode(row) for row in out]
    return [texts[i * n_samples:(i + 1) * n_samples]
            for i in range(len(settings))]


@torch.no_grad()
def next_char_logits(model, vocab: CharVocab, prompt: str) -> np.ndarray:
    """The model's logits for the character after ``prompt``, shape (V,)."""
    model.eval()
    logits, _ = model(torch.as_tensor(vocab.encode(prompt))[None])
    return logits[0, -1].double().numpy()


def compute_sampling_data(model, vocab: CharVocab, prompts: Sequence[str],
                          n_samples: int = 2, length: int = 80,
                          seed: int = 0, temperatures=TEMPERATURES,
                          top_ks=TOP_KS, top_ps=TOP_PS) -> dict:
    """Everything the widget shows, as plain JSON-able data.

    For each prompt: the next character's logits (rounded) and
    ``n_samples`` continuations of ``length`` characters for every setting
    of :func:`settings_grid` (seeded: the same data on every run).
    """
    if not prompts:
        raise ValueError("compute_sampling_data needs at least one prompt")
    rng = np.random.default_rng(seed)
    grid = settings_grid(temperatures, top_ks, top_ps)
    return {
        "chars": [char_label(ch) for ch in vocab.chars],
        "temperatures": list(temperatures),
        "top_ks": [0 if k is None else k for k in top_ks],  # 0: off
        "top_ps": list(top_ps),
        "prompts": [{
            "text": prompt,
            "logits": [round(float(z), 3)
                       for z in next_char_logits(model, vocab, prompt)],
            "samples": continuations(model, vocab, prompt, grid, n_samples,
                                     length, rng),
        } for prompt in prompts],
    }


def distribution_summary(logits, temperature: float, top_k: int | None,
                         top_p: float | None, chars: Sequence[str],
                         n_top: int = 10) -> dict:
    """What the widget's bars show: the ``n_top`` most likely characters
    after filtering, the entropy (nats) and how many characters remain."""
    probs = next_token_probs(np.asarray(logits), temperature, top_k, top_p)
    order = np.argsort(-probs, kind="stable")[:n_top]
    return {"chars": [chars[i] for i in order],
            "probs": [float(probs[i]) for i in order],
            "entropy": entropy(probs),
            "kept": int(np.count_nonzero(probs))}


# ----- static figure


def plot_next_char_distributions(data: dict, prompt: int = 0,
                                 temperatures=(0.5, 1.0, 2.5), n_top=12):
    """Bars of the next character's distribution at a few temperatures."""
    import matplotlib.pyplot as plt

    logits = data["prompts"][prompt]["logits"]
    fig, axes = plt.subplots(1, len(temperatures),
                             figsize=(3.4 * len(temperatures), 2.9),
                             sharey=True)
    for ax, t in zip(np.atleast_1d(axes), temperatures):
        s = distribution_summary(logits, t, None, None, data["chars"], n_top)
        ax.bar(range(len(s["probs"])), s["probs"], color="#0072B2")
        ax.set_xticks(range(len(s["chars"])), s["chars"])
        ax.set_title(f"T = {t:g}: entropy {s['entropy']:.2f} nats")
        ax.set_ylim(0, 1)
    np.atleast_1d(axes)[0].set_ylabel("probability")
    prompt_text = data["prompts"][prompt]["text"].replace("\n", "⏎")
    fig.suptitle(f"The next character after “…{prompt_text[-30:]}”",
                 fontsize=11)
    fig.tight_layout()
    return fig


# ----- widget


class SamplingWidget(CourseWidget):
    """Temperature, top-k and top-p on stored logits; stored or live samples."""

    _widget_name = "sampling"
    data = traitlets.Dict().tag(sync=True)  # from compute_sampling_data
    prompt = traitlets.Int(0).tag(sync=True)
    temperature = traitlets.Int(3).tag(sync=True)  # index into temperatures
    top_k = traitlets.Int(0).tag(sync=True)  # index into top_ks
    top_p = traitlets.Int(0).tag(sync=True)  # index into top_ps
    sample_index = traitlets.Int(0).tag(sync=True)
    request = traitlets.Int(0).tag(sync=True)  # "new sample" clicks
    live = traitlets.Dict().tag(sync=True)  # a fresh sample from Python

    def attach_generator(self, model, vocab: CharVocab, length: int = 80,
                         seed: int = 1) -> SamplingWidget:
        """In Jupyter: answer "new sample" with freshly generated text."""
        from aimastery.charlm.generate import generate

        rng = np.random.default_rng(seed)

        def on_request(_change):
            d = self.data
            prompt = d["prompts"][self.prompt]["text"]
            t = d["temperatures"][self.temperature]
            k = d["top_ks"][self.top_k] or None
            p = d["top_ps"][self.top_p]
            text = generate(model, vocab, prompt, length, rng, t, k, p)
            self.live = {"key": [self.prompt, self.temperature, self.top_k,
                                 self.top_p], "text": text}

        self.observe(on_request, names="request")
        return self


def sampling_widget(data: dict, model=None, vocab: CharVocab | None = None
                    ) -> SamplingWidget:
    """The widget over ``data``; with a model, "new sample" generates live."""
    temps = data.get("temperatures", [])
    start = temps.index(1.0) if 1.0 in temps else 0  # the model's own
    widget = SamplingWidget(data=data, temperature=start)
    if model is not None and vocab is not None:
        widget.attach_generator(model, vocab)
    return widget
