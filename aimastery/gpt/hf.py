"""Loading a Hugging Face GPT-2 checkpoint into the GPT written from scratch.

Taught in Week 8 (book/week08_gpt.md). The GPT of :mod:`aimastery.gpt.model`
uses GPT-2's module names, so a checkpoint loads by name, with four things to
know about the files Hugging Face writes:

* **Names.** ``GPT2LMHeadModel.save_pretrained`` writes ``transformer.h.0...``;
  older hub checkpoints have no prefix (``h.0...``). Both are accepted.
* **Conv1D.** GPT-2's ``c_attn``, ``c_proj`` and ``c_fc`` are ``Conv1D``
  layers whose weight is stored (in, out), the transpose of ``nn.Linear``'s
  (out, in): those four weights per block are transposed on the way in.
* **Buffers that are not weights.** Older checkpoints carry each layer's
  causal mask (``attn.bias``, a lower triangle) and ``attn.masked_bias``:
  skipped (our mask is computed, not stored).
* **The tied output layer.** ``lm_head.weight`` is the token embedding
  ``wte`` (GPT-2 ties them); a file that has it must hold the very same
  numbers, or it is an untied model this GPT cannot represent, and is refused.

Nothing is loaded unless every tensor fits: a missing, unexpected,
wrongly-shaped or truncated tensor is refused with a message that names it
(and the shapes). Only safetensors files are read (a header of names,
dtypes and offsets, then raw numbers: reading runs no code); a
``pytorch_model.bin`` is a pickle, and is refused, never unpickled. The
configuration must be GPT-2's maths: ``activation_function`` ``gelu_new``
(the tanh GELU this model uses), ``n_inner`` 4 * n_embd, tied embeddings.

**Real GPT-2.** The 124M checkpoint from the Hugging Face hub (``gpt2``:
config.json, model.safetensors) loads the same way, ``from_pretrained(folder)``,
for a learner who has that folder (vocab 50257, 1024 positions, 12 layers,
12 heads, width 768). Nothing here downloads anything: the course's tests
build small random GPT-2s with ``transformers`` and save them with
``save_pretrained``. Its tokenizer (byte-level BPE) is not part of this module.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path

import torch
from torch import Tensor

from aimastery.bert.checkpoint import CheckpointError
from aimastery.gpt.model import GPT, GPTConfig

#: Per-block weights that GPT-2 stores as Conv1D, (in, out): transposed into nn.Linear's (out, in).
CONV1D = ("attn.c_attn.weight", "attn.c_proj.weight", "mlp.c_fc.weight", "mlp.c_proj.weight")
#: Per-layer buffers of older checkpoints (a stored causal mask and its fill value): not weights, skipped.
BUFFER = re.compile(r"^h\.\d+\.attn\.(bias|masked_bias)$")
PREFIX = "transformer."
SHOW = 10  # names listed per kind of problem in an error message


def config_from_hf(config) -> GPTConfig:
    """A GPT2Config (or its dict, e.g. a parsed config.json) as this GPT's :class:`GPTConfig`.

    Refuses a configuration whose maths differ from this model's: another
    activation than ``gelu_new``, an MLP width other than 4 * n_embd, untied
    embeddings, cross-attention, attention scaled by layer index.
    """
    cfg = config.to_dict() if hasattr(config, "to_dict") else dict(config)
    needed = ("vocab_size", "n_positions", "n_layer", "n_head", "n_embd")
    missing = [k for k in needed if k not in cfg]
    if missing:
        raise ValueError(f"the GPT-2 config lacks {missing}: it needs {list(needed)} "
                         "(and may give layer_norm_epsilon)")
    if cfg.get("model_type", "gpt2") != "gpt2":
        raise CheckpointError(f"model_type is {cfg['model_type']!r}: this loader reads GPT-2 checkpoints ('gpt2')")
    act = cfg.get("activation_function", "gelu_new")  # GPT2Config's default
    if act != "gelu_new":
        raise CheckpointError(f"activation_function is {act!r}: this GPT uses GPT-2's 'gelu_new' (the tanh GELU), "
                              "and another activation would give other outputs")
    n_inner = cfg.get("n_inner")
    if n_inner not in (None, 4 * cfg["n_embd"]):
        raise CheckpointError(f"n_inner={n_inner}: this GPT's MLP is 4 * n_embd = {4 * cfg['n_embd']} wide")
    for flag, ours in (("tie_word_embeddings", True), ("scale_attn_weights", True),
                       ("scale_attn_by_inverse_layer_idx", False), ("add_cross_attention", False)):
        if cfg.get(flag, ours) != ours:
            raise CheckpointError(f"{flag}={cfg[flag]}: this GPT only supports {flag}={ours}")
    return GPTConfig(vocab_size=cfg["vocab_size"], block_size=cfg["n_positions"], n_layer=cfg["n_layer"],
                     n_head=cfg["n_head"], n_embd=cfg["n_embd"], dropout=0.0, bias=True,
                     layer_norm_epsilon=float(cfg.get("layer_norm_epsilon", 1e-5)))


def _listed(names) -> str:
    names = list(names)
    more = f" ... and {len(names) - SHOW} more" if len(names) > SHOW else ""
    return ", ".join(names[:SHOW]) + more


def load_hf_state_dict(model: GPT, tensors: Mapping[str, Tensor]) -> list[str]:
    """Copy a GPT-2 state dict (HF names, Conv1D layout) into ``model``; return the names skipped.

    Checks everything first and copies nothing unless every tensor fits.
    """
    expected = model.state_dict()  # our names: transformer.wte.weight, ...
    found: dict[str, Tensor] = {}
    origin: dict[str, str] = {}  # our name -> the file's name
    skipped, unexpected, problems = [], [], []
    reported: set[str] = set()  # our names that already have a problem listed
    lm_head = None
    for name, value in tensors.items():
        bare = name[len(PREFIX):] if name.startswith(PREFIX) else name
        if BUFFER.match(bare):
            skipped.append(name)
            continue
        if bare == "lm_head.weight":
            lm_head = (name, value)
            continue
        key = PREFIX + bare
        if key not in expected:
            unexpected.append(name)
            continue
        if key in found:
            reported.add(key)
            problems.append(f"{key} appears twice in the checkpoint (as {origin[key]} and {name})")
            continue
        if not value.is_floating_point():
            reported.add(key)
            problems.append(f"{name} holds {value.dtype} numbers, not weights")
            continue
        want = tuple(expected[key].shape)
        if bare.endswith(CONV1D):  # Conv1D: stored (in, out)
            if value.ndim != 2 or tuple(value.shape) != want[::-1]:
                reported.add(key)
                problems.append(f"{name}: shape {list(value.shape)}, but a Conv1D weight of this model is stored "
                                f"(in, out) = {list(want[::-1])}")
                continue
            value = value.t()
        elif tuple(value.shape) != want:
            reported.add(key)
            problems.append(f"{name}: shape {list(value.shape)}, the model expects {list(want)}")
            continue
        found[key], origin[key] = value, name
    missing = [k for k in expected if k not in found and k not in reported]
    if lm_head is not None:
        name, value = lm_head
        wte = found.get(PREFIX + "wte.weight")
        if wte is not None and (value.shape != wte.shape or not torch.equal(value.to(wte.dtype), wte)):
            problems.append(f"{name} (shape {list(value.shape)}) is not the token embedding wte "
                            f"(shape {list(wte.shape)}): an untied output layer, which this GPT (logits = x @ wte.T) "
                            "cannot hold")
    if missing or unexpected or problems:
        lines = ["the GPT-2 checkpoint does not fit the model, nothing was loaded:"]
        if missing:
            lines.append(f"{len(missing)} missing from the checkpoint: {_listed(missing)}")
        if unexpected:
            lines.append(f"{len(unexpected)} in the checkpoint but not in the model: {_listed(unexpected)}")
        lines += [f"- {p}" for p in problems]
        raise CheckpointError("\n".join(lines))
    with torch.no_grad():
        for key, value in found.items():
            expected[key].copy_(value.to(expected[key].dtype))
    return skipped


def from_state_dict(tensors: Mapping[str, Tensor], config) -> GPT:
    """A GPT holding a GPT-2 state dict (HF names, with or without ``transformer.``), in evaluation mode."""
    model = GPT(config_from_hf(config))
    load_hf_state_dict(model, tensors)
    return model.eval()


def check_safetensors(path: str | Path) -> dict:
    """The header of a safetensors file, after checking that the file holds every tensor it lists.

    The format: 8 bytes (little-endian header length N), N bytes of JSON
    (each tensor's dtype, shape and byte range), then the raw bytes. A
    download cut short leaves the header intact and the last tensors
    incomplete: they are named.
    """
    path = Path(path)
    size = path.stat().st_size
    with path.open("rb") as f:
        head = f.read(8)
        n = int.from_bytes(head, "little") if len(head) == 8 else -1
        if n < 2 or n > size - 8:
            kind = ("a zip file: a PyTorch pickle (.bin/.pt), which the course does not unpickle; convert it to "
                    "safetensors where you trust it" if head[:4] == b"PK\x03\x04" else
                    "too short for the header it announces (truncated, or not safetensors at all)")
            raise CheckpointError(f"{path.name} ({size} bytes) is not a complete safetensors file: {kind}")
        try:
            header = json.loads(f.read(n))
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            raise CheckpointError(f"{path.name}: its safetensors header is not valid JSON ({err})") from None
    data = size - 8 - n
    cut = [(name, info["data_offsets"][1]) for name, info in header.items()
           if name != "__metadata__" and info["data_offsets"][1] > data]
    if cut:
        first, end = min(cut, key=lambda c: c[1])
        raise CheckpointError(f"{path.name} is truncated: it holds {data} bytes of tensor data, {first} needs "
                              f"bytes up to {end}; {len(cut)} tensors are incomplete: {_listed(n for n, _ in cut)}")
    return header


def read_checkpoint(path: str | Path) -> dict[str, Tensor]:
    """Every tensor of a safetensors file, checked for truncation first."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    check_safetensors(path)
    try:
        return load_file(Path(path))
    except SafetensorError as err:
        raise CheckpointError(f"{Path(path).name} is not a valid safetensors file ({err})") from None


def from_pretrained(folder: str | Path) -> GPT:
    """A GPT from a folder as ``GPT2LMHeadModel.save_pretrained`` writes it: config.json + model.safetensors."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"no checkpoint folder at {folder} (expected config.json and model.safetensors)")
    if not (folder / "config.json").is_file():
        raise FileNotFoundError(f"{folder} has no config.json (the GPT-2 configuration save_pretrained writes)")
    config = json.loads((folder / "config.json").read_text())
    weights = folder / "model.safetensors"
    if not weights.is_file():
        if (folder / "model.safetensors.index.json").is_file():
            raise CheckpointError(f"{folder} holds a sharded checkpoint (model.safetensors.index.json): this loader "
                                  "reads one model.safetensors")
        pickles = sorted(p.name for p in folder.iterdir() if p.suffix in (".bin", ".pt", ".pth", ".ckpt"))
        if pickles:
            raise CheckpointError(f"{folder} has {', '.join(pickles)} but no model.safetensors: that is a pickle, "
                                  "which the course never loads (unpickling can run any code). Convert it once, "
                                  "where you trust the file: GPT2LMHeadModel.from_pretrained(folder)"
                                  ".save_pretrained(new_folder, safe_serialization=True)")
        raise FileNotFoundError(f"{folder} has no model.safetensors")
    return from_state_dict(read_checkpoint(weights), config)
