"""Checkpoints of the character models: safetensors, written atomically (Week 6).

One file holds everything a run needs to go on exactly where it stopped:
the model's weights (``model.*``), Adam's moments (``optim.*``), the hidden
state carried between chunks (``state.h``, ``state.c``: the LSTM) or the
state of the generator that draws the training windows (``rng.batches``:
Week 8's GPT), and, as JSON in the file's metadata, the kind of model
(``"lstm"`` or ``"gpt"``; files written before there was a GPT have none and
are LSTMs), the model and training configurations, the vocabulary and the
progress (step, position in the data, training time, history). No pickle is
ever loaded.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from aimastery.atomic import atomic_path

FORMAT = "aimastery.charlm/1"
META_KEYS = ("format", "model_config", "train_config", "vocab", "progress")
OPTIONAL_META = {"kind": "lstm"}  # and their values in files that lack them


class CheckpointError(ValueError):
    """A checkpoint that cannot be used: unreadable, incomplete or foreign."""


def save_checkpoint(path, tensors: dict[str, torch.Tensor],
                    meta: dict) -> Path:
    """Write ``tensors`` and ``meta`` (JSON-able values) to ``path`` atomically.

    The file is written next to its destination and renamed over it, so a
    crash mid-write never leaves a half-written checkpoint behind.
    """
    path = Path(path)
    metadata = {"format": FORMAT,
                **{k: json.dumps(v) for k, v in meta.items()}}
    tensors = {k: v.detach().contiguous().clone() for k, v in tensors.items()}
    with atomic_path(path) as tmp:
        save_file(tensors, str(tmp), metadata=metadata)
    return path


def load_checkpoint(path) -> tuple[dict[str, torch.Tensor], dict]:
    """The tensors and the decoded metadata of a checkpoint, validated.

    Raises :class:`CheckpointError` naming the file and what is wrong.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"no checkpoint at {path}")
    try:
        tensors = load_file(path)
        with open(path, "rb") as fh:  # the header holds the metadata
            header_len = int.from_bytes(fh.read(8), "little")
            header = json.loads(fh.read(header_len))
    except (SafetensorError, OSError, ValueError) as err:
        raise CheckpointError(f"{path} is not a readable safetensors file "
                              f"(corrupt or truncated?): {err}") from None
    raw = header.get("__metadata__") or {}
    if raw.get("format") != FORMAT:
        raise CheckpointError(f"{path} is not a character-LSTM or GPT checkpoint: "
                              f"format {raw.get('format')!r}, "
                              f"expected {FORMAT!r}")
    missing = [k for k in META_KEYS if k not in raw]
    if missing:
        raise CheckpointError(f"{path} lacks metadata {missing}")
    try:
        meta = {k: json.loads(raw[k]) for k in META_KEYS if k != "format"}
        meta.update({k: json.loads(raw[k]) if k in raw else default
                     for k, default in OPTIONAL_META.items()})
    except json.JSONDecodeError as err:
        raise CheckpointError(f"{path} has unreadable metadata: {err}") \
            from None
    return tensors, meta


def split_prefix(tensors: dict[str, torch.Tensor], prefix: str
                 ) -> dict[str, torch.Tensor]:
    """The tensors whose key starts with ``prefix.``, with the prefix removed."""
    head = prefix + "."
    return {k[len(head):]: v for k, v in tensors.items() if k.startswith(head)}
