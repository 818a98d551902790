"""Loading a BERT checkpoint by tensor name, and saying exactly what did not fit.

Taught in Week 7 (book/week07_attention_bert.md). A checkpoint is a mapping
from names to tensors; a model written with the checkpoint's names
(:mod:`aimastery.bert.model`) loads it by matching names. Loading *silently*
is the danger: a tensor the model expects and the file lacks keeps its random
initial value, and the model runs, wrongly. :func:`load_bert_weights`
compares the two sets of names and shapes first and, unless every tensor
fits, refuses with a report naming every missing, unexpected and mis-shaped
tensor. A file that is not a BERT checkpoint at all (a GPT-2's, a pickle, a
truncated download) is refused with a message that says what it looks like.

The MiniLM files come from :mod:`aimastery.pretrained` (the course's one
place that knows where they are).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import torch

from aimastery.bert.model import BertConfig, BertModel

#: Buffers some checkpoints carry that are not weights (a saved ``arange``): skipped, and reported.
IGNORED = ("embeddings.position_ids",)


class CheckpointError(ValueError):
    """A checkpoint that does not fit the model: the message names every problem."""


@dataclass
class LoadReport:
    """What loading found: every name in one of four lists."""

    loaded: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # the model expects it, the file lacks it
    unexpected: list[str] = field(default_factory=list)  # the file has it, the model does not
    mismatched: list[tuple[str, tuple, tuple]] = field(default_factory=list)  # (name, model's shape, file's shape)
    skipped: list[str] = field(default_factory=list)  # known non-weights (IGNORED)
    prefix: str = ""  # stripped from every name of the file (e.g. "bert.")

    @property
    def ok(self) -> bool:
        return not (self.missing or self.unexpected or self.mismatched)

    def __str__(self) -> str:
        lines = [f"{len(self.loaded)} tensors loaded" + (f" (prefix {self.prefix!r} stripped)" if self.prefix else "")
                 + (f", {len(self.skipped)} skipped ({', '.join(self.skipped)})" if self.skipped else "")]
        if self.missing:
            lines.append(f"{len(self.missing)} missing from the file (they would keep their random values):")
            lines += [f"  - {n}" for n in self.missing]
        if self.unexpected:
            lines.append(f"{len(self.unexpected)} in the file but not in the model:")
            lines += [f"  - {n}" for n in self.unexpected]
        if self.mismatched:
            lines.append(f"{len(self.mismatched)} with the wrong shape:")
            lines += [f"  - {n}: the model has {list(m)}, the file {list(f)}" for n, m, f in self.mismatched]
        return "\n".join(lines)


def read_safetensors(path: str | Path) -> dict[str, torch.Tensor]:
    """Every tensor of a ``.safetensors`` file by name; a clear error for anything else.

    safetensors is a header of names, dtypes and shapes followed by raw
    numbers: reading it runs no code (a pickled ``.bin`` can run anything, and
    the course never unpickles).
    """
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint at {path}")
    try:
        return load_file(path)
    except (SafetensorError, OSError) as err:
        with path.open("rb") as f:
            head = f.read(2)
        hint = (" It looks like a zip file: a PyTorch pickle (.bin/.pt), which the course does not load"
                if head == b"PK" else "")
        raise CheckpointError(f"{path.name} is not a valid safetensors file ({err}).{hint}") from None


def _strip_prefix(names: list[str], expected: set[str]) -> str:
    """The prefix ("bert." for a BertForMaskedLM checkpoint) that makes the file's names the model's, if any."""
    if any(n in expected for n in names):
        return ""
    for prefix in ("bert.", "model."):
        if any(n.startswith(prefix) and n[len(prefix):] in expected for n in names):
            return prefix
    return ""


def load_bert_weights(model: torch.nn.Module, tensors: Mapping[str, torch.Tensor] | str | Path,
                      strict: bool = True) -> LoadReport:
    """Copy ``tensors`` (a mapping, or a safetensors file) into ``model`` by name; return the report.

    Nothing is copied unless every tensor fits (``strict``) or at least the
    shapes of the common names agree (``strict=False``: the missing ones keep
    their values, the unexpected ones are ignored, both reported). A file
    with not a single name in common is refused in either case.
    """
    if isinstance(tensors, (str, Path)):
        tensors = read_safetensors(tensors)
    expected = model.state_dict()  # tied weights appear under each name; copying twice is harmless
    names = list(tensors)
    prefix = _strip_prefix(names, set(expected))
    report = LoadReport(prefix=prefix)
    found: dict[str, torch.Tensor] = {}
    for name in names:
        key = name[len(prefix):] if prefix and name.startswith(prefix) else name
        if key in IGNORED:
            report.skipped.append(name)
        elif key not in expected:
            report.unexpected.append(name)
        elif tuple(tensors[name].shape) != tuple(expected[key].shape):
            report.mismatched.append((key, tuple(expected[key].shape), tuple(tensors[name].shape)))
        else:
            found[key] = tensors[name]
    report.missing = [k for k in expected if k not in found and k not in {m[0] for m in report.mismatched}]
    if not found:
        sample = ", ".join(repr(n) for n in names[:3]) or "no tensors at all"
        raise CheckpointError(f"this is not a checkpoint of this model: none of its {len(names)} tensors has a name "
                              f"the model expects. The file has {sample}; the model expects names like "
                              f"{', '.join(repr(k) for k in list(expected)[:2])}.")
    if report.mismatched or (strict and not report.ok):
        raise CheckpointError("the checkpoint does not fit the model, nothing was loaded:\n" + str(report))
    not_weights = [f"{k} ({v.dtype})" for k, v in found.items() if not v.is_floating_point()]
    if not_weights:
        raise CheckpointError(f"these tensors hold integers, not weights; nothing was loaded: {not_weights}")
    with torch.no_grad():
        for key, value in found.items():
            expected[key].copy_(value.to(expected[key].dtype))
    report.loaded = list(found)
    return report


def load_minilm(add_pooling_layer: bool = True) -> BertModel:
    """all-MiniLM-L6-v2 in the BERT written from scratch, in evaluation mode (weights by name, checked)."""
    from aimastery.pretrained import minilm_folder

    model = BertModel(BertConfig.minilm(), add_pooling_layer=add_pooling_layer)
    tensors = read_safetensors(minilm_folder() / "model.safetensors")
    if not add_pooling_layer:
        tensors = {k: v for k, v in tensors.items() if not k.startswith("pooler.")}
    load_bert_weights(model, tensors)
    return model.eval()
