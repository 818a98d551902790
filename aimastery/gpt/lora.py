"""LoRA, low-rank adaptation, from scratch (Week 8).

Taught in Week 8 (book/week08_gpt.md). Fine-tuning every weight of a model
needs a gradient and two AdamW moments per weight. LoRA (Hu et al., 2021)
freezes the pretrained weight W (out, in) of a linear layer and learns a
low-rank change to it instead:

    y = x W^T + b + (alpha / r) * x A^T B^T      A (r, in), B (out, r), r << in, out

B starts at zero, so the adapted model starts as exactly the pretrained one;
A starts random (Kaiming-uniform, as in the paper's code and Hugging Face
peft). Only A and B train: r * (in + out) numbers per layer instead of
in * out. After training, B A * alpha / r can be folded into W (:func:`merge_lora`):
the adapted model then costs nothing extra at inference.

The names are peft's: ``lora_A``, ``lora_B``, ``r``, ``lora_alpha``,
``scaling``, ``merged``, ``base_layer`` (the wrapped, frozen ``nn.Linear``),
and ``targets`` are matched against module names by suffix, like peft's
``target_modules`` (``"attn.c_attn"`` matches ``transformer.h.0.attn.c_attn``;
``c_attn`` is also peft's default for GPT-2). An adapter is saved on its own
(:func:`save_adapter`, a small safetensors file) with the SHA-256 of the base
weights it was trained on, so it is never loaded onto another base.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Sequence
from pathlib import Path

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save_file
from torch import Tensor, nn

from aimastery.atomic import atomic_path

#: The format tag written into every adapter file.
FORMAT = "aimastery.gpt.lora/1"

#: The layer LoRA adapts unless told otherwise: the fused q, k, v projection.
DEFAULT_TARGETS: tuple[str, ...] = ("attn.c_attn",)


class AdapterError(ValueError):
    """An adapter file that cannot be used with this model: unreadable, foreign, or for another base."""


class LoRALinear(nn.Module):
    """A frozen ``nn.Linear`` plus a trainable low-rank update ``B @ A * lora_alpha / r``."""

    def __init__(self, base_layer: nn.Linear, r: int = 8, lora_alpha: float = 8.0,
                 lora_dropout: float = 0.0):
        super().__init__()
        if not isinstance(base_layer, nn.Linear):
            raise ValueError(f"LoRALinear wraps an nn.Linear, got {type(base_layer).__name__}")
        _check_hyperparameters(r, lora_alpha, lora_dropout)
        self.base_layer = base_layer
        base_layer.requires_grad_(False)  # the pretrained weight and bias stay as they are
        self.in_features, self.out_features = base_layer.in_features, base_layer.out_features
        self.r, self.lora_alpha = r, lora_alpha
        self.scaling = lora_alpha / r
        w = base_layer.weight
        self.lora_A = nn.Parameter(torch.empty(r, self.in_features, dtype=w.dtype, device=w.device))
        self.lora_B = nn.Parameter(torch.zeros(self.out_features, r, dtype=w.dtype, device=w.device))
        nn.init.kaiming_uniform_(self.lora_A, a=math.sqrt(5))  # as nn.Linear (and peft) initialise
        self.lora_dropout = nn.Dropout(lora_dropout) if lora_dropout > 0 else nn.Identity()
        self.merged = False

    def delta_weight(self) -> Tensor:
        """The update the adapter adds to the base weight: B @ A * scaling, (out, in)."""
        return (self.lora_B @ self.lora_A) * self.scaling

    def forward(self, x: Tensor) -> Tensor:
        """x (..., in) -> (..., out); once merged, the base layer alone (it holds the update)."""
        out = self.base_layer(x)  # (..., out)
        if self.merged:
            return out
        return out + (self.lora_dropout(x) @ self.lora_A.T @ self.lora_B.T) * self.scaling  # (..., r) -> (..., out)

    @torch.no_grad()
    def merge(self) -> None:
        """Fold the update into ``base_layer.weight``: W <- W + B A * scaling."""
        if self.merged:
            raise RuntimeError("this LoRA layer is already merged: merging again would add its update twice "
                               "(unmerge() first)")
        self.base_layer.weight += self.delta_weight()
        self.merged = True

    @torch.no_grad()
    def unmerge(self) -> None:
        """Take the update out of ``base_layer.weight`` again: W <- W - B A * scaling."""
        if not self.merged:
            raise RuntimeError("this LoRA layer is not merged: there is nothing to unmerge")
        self.base_layer.weight -= self.delta_weight()
        self.merged = False

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, r={self.r}, "
                f"lora_alpha={self.lora_alpha}, merged={self.merged}")


def _check_hyperparameters(r, alpha, dropout) -> None:
    if isinstance(r, bool) or not isinstance(r, int) or r < 1:
        raise ValueError(f"r (the rank) must be a positive integer, got {r!r}")
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not alpha > 0:
        raise ValueError(f"alpha must be a positive number (the update is scaled by alpha / r), got {alpha!r}")
    if not 0 <= dropout < 1:
        raise ValueError(f"dropout must lie in [0, 1), got {dropout!r}")


def _matches(name: str, target: str) -> bool:
    return name == target or name.endswith("." + target)


def lora_layers(model: nn.Module) -> dict[str, LoRALinear]:
    """The model's LoRA layers by module name, in model order."""
    return {name: m for name, m in model.named_modules() if isinstance(m, LoRALinear)}


def _linear_kinds(model: nn.Module) -> list[str]:
    """The distinct linear layers, with layer numbers left out: 'attn.c_attn', 'mlp.c_fc', ..."""
    kinds = (re.sub(r"^(.*\.)?\d+\.", "", n) for n, m in model.named_modules() if isinstance(m, nn.Linear))
    return list(dict.fromkeys(kinds))


def _resolve_targets(model: nn.Module, targets: Sequence[str]) -> list[str]:
    """The names of the nn.Linear modules that ``targets`` pick, checked."""
    if isinstance(targets, str):
        targets = (targets,)
    if not targets or not all(isinstance(t, str) and t for t in targets):
        raise ValueError(f"targets must be a non-empty list of module names, got {targets!r}")
    existing = lora_layers(model)
    if existing:
        raise ValueError(f"the model already has LoRA layers ({', '.join(existing)}): apply_lora once per model")
    linears = [n for n, m in model.named_modules() if isinstance(m, nn.Linear)]
    names = []
    for target in targets:
        hits = [n for n in linears if _matches(n, target)]
        if not hits:
            raise ValueError(f"no nn.Linear module matches target {target!r}; the linear layers are "
                             f"{', '.join(_linear_kinds(model))} (in every block), e.g. {linears[0]!r}"
                             if linears else f"the model has no nn.Linear module to adapt ({target!r})")
        names += [n for n in hits if n not in names]
    return [n for n in linears if n in names]  # model order


def apply_lora(model: nn.Module, r: int = 8, alpha: float = 8.0, targets: Sequence[str] = DEFAULT_TARGETS,
               dropout: float = 0.0) -> list[str]:
    """Wrap the target linear layers of ``model`` in :class:`LoRALinear`, in place, and freeze the rest.

    Afterwards only the adapters' ``lora_A`` and ``lora_B`` have ``requires_grad``. Returns the
    names of the wrapped modules. The defaults (r=8, alpha=8) are peft's ``LoraConfig`` defaults.
    """
    _check_hyperparameters(r, alpha, dropout)
    names = _resolve_targets(model, targets)
    model.requires_grad_(False)
    for name in names:
        parent_name, _, child = name.rpartition(".")
        parent = model.get_submodule(parent_name) if parent_name else model
        setattr(parent, child, LoRALinear(getattr(parent, child), r=r, lora_alpha=alpha, lora_dropout=dropout))
    return names


def trainable_parameters(model: nn.Module) -> tuple[int, int]:
    """(parameters that train, all parameters), each counted once (as peft's print_trainable_parameters)."""
    params = list(model.parameters())  # a tied weight appears once
    return sum(p.numel() for p in params if p.requires_grad), sum(p.numel() for p in params)


def _require_layers(model: nn.Module) -> dict[str, LoRALinear]:
    layers = lora_layers(model)
    if not layers:
        raise ValueError("the model has no LoRA layers: call apply_lora(model, ...) first")
    return layers


def merge_lora(model: nn.Module) -> list[str]:
    """Merge every LoRA layer's update into its base weight; returns the merged names."""
    layers = _require_layers(model)
    merged = [n for n, m in layers.items() if m.merged]
    if merged:
        raise RuntimeError(f"already merged: {', '.join(merged)}; unmerge_lora(model) first")
    for m in layers.values():
        m.merge()
    return list(layers)


def unmerge_lora(model: nn.Module) -> list[str]:
    """Take every LoRA layer's update out of its base weight again; returns the names."""
    layers = _require_layers(model)
    unmerged = [n for n, m in layers.items() if not m.merged]
    if unmerged:
        raise RuntimeError(f"not merged: {', '.join(unmerged)}; there is nothing to unmerge")
    for m in layers.values():
        m.unmerge()
    return list(layers)


def lora_state_dict(model: nn.Module) -> dict[str, Tensor]:
    """Only the adapter tensors: ``{'<module>.lora_A': (r, in), '<module>.lora_B': (out, r)}``."""
    tensors = {}
    for name, m in _require_layers(model).items():
        tensors[f"{name}.lora_A"], tensors[f"{name}.lora_B"] = m.lora_A.detach(), m.lora_B.detach()
    return tensors


def base_sha256(model: nn.Module) -> str:
    """The SHA-256 of the base model's weights (every tensor of its state_dict but the adapters').

    Names are taken as they were before :func:`apply_lora` (``.base_layer`` left out), so the
    plain model and the same model with adapters hash alike. Merged layers would change the
    hash: unmerge first.
    """
    merged = [n for n, m in lora_layers(model).items() if m.merged]
    if merged:
        raise RuntimeError(f"the base weights of {', '.join(merged)} hold a merged update: unmerge_lora first")
    h = hashlib.sha256()
    items = ((k.replace(".base_layer.", "."), v) for k, v in model.state_dict().items()
             if not re.search(r"\.lora_[AB]$", k))
    for name, tensor in sorted(items):
        tensor = tensor.detach().cpu().contiguous()
        h.update(f"{name}|{tensor.dtype}|{tuple(tensor.shape)}\n".encode())
        h.update(tensor.view(-1).view(torch.uint8).numpy().tobytes())
    return h.hexdigest()


def _base_config(model: nn.Module) -> dict | None:
    config = getattr(model, "config", None)
    return config.to_dict() if hasattr(config, "to_dict") else None


def save_adapter(path: str | Path, model: nn.Module, meta: dict | None = None) -> Path:
    """Write the adapter tensors to ``path`` (safetensors), with JSON metadata in its header.

    The metadata: the format, ``r``, ``lora_alpha``, ``lora_dropout``, the adapted modules
    (``targets``), the base model's config and :func:`base_sha256`, and ``meta`` (any JSON-able
    dict of yours: the data, the steps). Written atomically: a crash leaves the old file or none.
    """
    layers = _require_layers(model)
    first = next(iter(layers.values()))
    settings = {(m.r, m.lora_alpha, _dropout_p(m)) for m in layers.values()}
    if len(settings) > 1:
        raise ValueError(f"the LoRA layers differ in (r, alpha, dropout): {sorted(settings)}; one file holds one")
    header = {
        "format": FORMAT,
        "r": first.r, "lora_alpha": first.lora_alpha, "lora_dropout": _dropout_p(first),
        "targets": list(layers),
        "base_config": _base_config(model),
        "base_sha256": base_sha256(model),
        "meta": meta or {},
    }
    metadata = {k: json.dumps(v) for k, v in header.items()}
    tensors = {k: v.contiguous().clone() for k, v in lora_state_dict(model).items()}
    path = Path(path)
    with atomic_path(path) as tmp:
        save_file(tensors, str(tmp), metadata=metadata)
    return path


def _dropout_p(m: LoRALinear) -> float:
    return m.lora_dropout.p if isinstance(m.lora_dropout, nn.Dropout) else 0.0


def read_adapter(path: str | Path) -> tuple[dict[str, Tensor], dict]:
    """The tensors and the decoded metadata of an adapter file (not yet checked against a model)."""
    path = Path(path)
    if not path.is_file():
        raise AdapterError(f"no adapter file at {path}")
    try:
        with safe_open(str(path), framework="pt") as f:
            metadata = f.metadata() or {}
            tensors = {k: f.get_tensor(k) for k in f.keys()}
    except (SafetensorError, OSError) as err:
        raise AdapterError(f"{path} is not a readable safetensors file: {err}") from None
    if metadata.get("format") != json.dumps(FORMAT):
        raise AdapterError(f"{path} is not a LoRA adapter of this course (format {metadata.get('format')!r}, "
                           f"expected {FORMAT!r})")
    try:
        meta = {k: json.loads(v) for k, v in metadata.items()}
    except json.JSONDecodeError as err:
        raise AdapterError(f"{path}: metadata is not valid JSON: {err}") from None
    missing = {"r", "lora_alpha", "lora_dropout", "targets", "base_sha256"} - set(meta)
    if missing:
        raise AdapterError(f"{path}: metadata lacks {', '.join(sorted(missing))}")
    return tensors, meta


def load_adapter(path: str | Path, model: nn.Module) -> dict:
    """Put the adapter saved at ``path`` onto ``model`` and return its metadata.

    ``model`` is the plain base model (adapters are added with the saved r, alpha and targets) or
    the same base with matching, unmerged LoRA layers. Everything is checked before the model is
    touched: the base weights' hash and config, then every tensor (missing, unexpected, wrong shape).
    """
    tensors, meta = read_adapter(path)
    existing = lora_layers(model)
    if any(m.merged for m in existing.values()):
        raise AdapterError("the model's LoRA layers are merged: unmerge_lora(model) before loading an adapter")
    saved_config, config = meta.get("base_config"), _base_config(model)
    if saved_config is not None and config is not None and saved_config != config:
        diff = {k: (saved_config.get(k), config.get(k)) for k in saved_config.keys() | config.keys()
                if saved_config.get(k) != config.get(k)}
        raise AdapterError(f"{path} was trained on another base model; config differs (adapter's, this model's): "
                           f"{dict(sorted(diff.items()))}")
    digest = base_sha256(model)
    if meta["base_sha256"] != digest:
        raise AdapterError(f"{path} was trained on another base model: its base weights hash to "
                           f"{meta['base_sha256'][:16]}..., this model's to {digest[:16]}...")
    targets = meta["targets"]
    modules = dict(model.named_modules())
    expected = {}
    for name in targets:
        m = modules.get(name)
        base = m.base_layer if isinstance(m, LoRALinear) else m
        if not isinstance(base, nn.Linear):
            raise AdapterError(f"{path} adapts {name!r}, which is not a linear layer of this model")
        expected[f"{name}.lora_A"] = (meta["r"], base.in_features)
        expected[f"{name}.lora_B"] = (base.out_features, meta["r"])
    if existing:
        if set(existing) != set(targets):
            raise AdapterError(f"the model has LoRA layers on {sorted(existing)}, the adapter on {sorted(targets)}")
        bad = [n for n, m in existing.items() if (m.r, m.lora_alpha) != (meta["r"], meta["lora_alpha"])]
        if bad:
            raise AdapterError(f"{bad[0]} has r={existing[bad[0]].r}, alpha={existing[bad[0]].lora_alpha}; "
                               f"the adapter r={meta['r']}, alpha={meta['lora_alpha']}")
    missing = [k for k in expected if k not in tensors]
    if missing:
        raise AdapterError(f"{path} lacks tensor {missing[0]}" + (f" (and {len(missing) - 1} more)"
                                                                   if len(missing) > 1 else ""))
    unexpected = [k for k in tensors if k not in expected]
    if unexpected:
        raise AdapterError(f"{path} holds tensor {unexpected[0]}, which no LoRA layer of this model takes "
                           f"(the adapted modules are {', '.join(targets)})")
    for k, shape in expected.items():
        if tuple(tensors[k].shape) != shape:
            raise AdapterError(f"tensor {k} in {path} has shape {tuple(tensors[k].shape)}, "
                               f"this model needs {shape}")
    if not existing:
        apply_lora(model, r=meta["r"], alpha=meta["lora_alpha"], targets=targets, dropout=meta["lora_dropout"])
    layers = lora_layers(model)
    with torch.no_grad():
        for name, m in layers.items():
            m.lora_A.copy_(tensors[f"{name}.lora_A"])
            m.lora_B.copy_(tensors[f"{name}.lora_B"])
    return meta
