"""A trained image classifier exported for serving: the graph from ``torch.export``, weights in safetensors.

Taught in Week 5 (book/week05_cnn.md, "Serving the digit model"). The service
(:mod:`aimastery.cnn.serve`) runs the exported graph: it needs neither the
model's Python class nor the code that trained it.

**torch.export, not TorchScript.** In torch 2.13 ``torch.jit.trace`` and
``torch.jit.script`` are deprecated (each warns "Please switch to
torch.compile or torch.export"), and ``script`` needs the model's source
file. ``torch.export.export`` runs the model once and records every ATen
operation it performs as a graph, with the batch size left free; the graph
checks the rest of an input's shape whenever it is called.

**Not torch.export.save.** Its ``.pt2`` archive stores the sample inputs (and
any tensor that is not a plain one) with ``torch.save``, and
``torch.export.load`` unpickles them (its documentation: "uses pickle under
the hood ... never load data from an untrusted source"). So the program is
written with the serialiser ``torch.export.save`` uses inside that archive
(``torch._export.serde.serialize``: the graph as JSON, here without weights,
constants or sample inputs) and the weights go to safetensors. Nothing read
here can run code. The program's format can change between torch versions:
the manifest records the version, and a program that no longer loads says
"export it again".

A folder of exported artefacts (:mod:`aimastery.artefacts` writes and checks it)::

    manifest.json         format, model version, torch version, the input it takes, labels,
                          which tensors are parameters, metrics, and the SHA-256 of the files
    program.json          the exported graph (torch.export's JSON schema)
    weights.safetensors   the parameters and buffers, by their state_dict names
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from aimastery import artefacts as folder
from aimastery.artefacts import MANIFEST, ArtefactError

FORMAT = "aimastery-exported-classifier"
FORMAT_VERSION = 1
PROGRAM = "program.json"
WEIGHTS = "weights.safetensors"
REQUIRED_FILES = (PROGRAM, WEIGHTS)
DIGITS = tuple("0123456789")
#: The largest batch the exported graph accepts (its batch dimension is free from 1 to this).
MAX_BATCH = 4096
EXPORT_HINT = "export the model again with aimastery.cnn.export.export_classifier"
MISSING = "model artefacts missing"
BAD_MANIFEST = f"{MANIFEST} is invalid"


@dataclass
class ExportedClassifier:
    """A verified, loaded export: call :meth:`logits` or :meth:`predict_proba` on (B, C, H, W) float32 images."""

    path: Path
    manifest: dict[str, Any]
    module: torch.nn.Module  # the exported graph as a module (ExportedProgram.module())

    @property
    def version(self) -> str:
        return self.manifest["model_version"]

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(self.manifest["labels"])

    @property
    def input_shape(self) -> tuple[int, ...]:
        """One image's shape, (C, H, W)."""
        return tuple(self.manifest["input"]["shape"])

    @torch.inference_mode()
    def logits(self, images: np.ndarray | torch.Tensor) -> torch.Tensor:
        """(B, C, H, W) -> (B, K) logits. Raises ValueError for an input of the wrong shape or dtype."""
        x = torch.as_tensor(images)
        if x.dtype != torch.float32 or tuple(x.shape[1:]) != self.input_shape or not 1 <= len(x) <= MAX_BATCH:
            raise ValueError(f"the model takes float32 images of shape (B, {', '.join(map(str, self.input_shape))}) "
                             f"with 1 <= B <= {MAX_BATCH}; got {x.dtype} {tuple(x.shape)}")
        return self.module(x)

    def predict_proba(self, images: np.ndarray | torch.Tensor) -> np.ndarray:
        """(B, C, H, W) -> (B, K) probabilities (softmax of the logits, in float64)."""
        return torch.softmax(self.logits(images).double(), dim=1).numpy()


def _export(model: torch.nn.Module, input_shape: Sequence[int]) -> torch.export.ExportedProgram:
    example = torch.zeros(2, *input_shape)  # a batch of 2: a batch of 1 would be taken as a constant size
    batch = torch.export.Dim("batch", min=1, max=MAX_BATCH)
    was_training = model.training
    model.eval()  # batch norm and dropout as at inference, frozen into the graph
    try:
        return torch.export.export(model, (example,), dynamic_shapes=({0: batch},))
    finally:
        model.train(was_training)


def export_classifier(model: torch.nn.Module, out_dir: str | Path, *, input_shape: Sequence[int] = (1, 28, 28),
                      labels: Sequence[str] = DIGITS, input_description: str = "", metrics: dict | None = None,
                      training_data: dict | None = None) -> dict[str, Any]:
    """Export ``model`` (images (B, *input_shape) -> (B, len(labels)) logits) to ``out_dir``; return the manifest.

    The model is exported in eval mode (and left in the mode it was in).
    ``input_description`` says how an image becomes the input (for the
    service and its readers); ``metrics`` (e.g. test accuracy) and
    ``training_data`` (what it was trained on) go into the manifest as they are.
    """
    from safetensors.torch import save_file
    from torch._export.serde.serialize import serialize

    labels, input_shape = [str(x) for x in labels], [int(n) for n in input_shape]
    if len(labels) < 2 or len(set(labels)) != len(labels):
        raise ValueError(f"labels must be two or more distinct names, got {labels}")
    program = _export(model, input_shape)
    if program.constants:
        raise ValueError(f"the model keeps tensors that are neither parameters nor buffers "
                         f"({', '.join(sorted(program.constants))}); register them with register_buffer")
    out = program.module()(torch.zeros(2, *input_shape))
    if not isinstance(out, torch.Tensor) or tuple(out.shape) != (2, len(labels)):
        shape = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
        raise ValueError(f"the model must return (B, {len(labels)}) logits, one per label; it returns {shape}")
    artefact = serialize(program, serialize_state_dict=False, serialize_constants=False,
                         serialize_example_inputs=False)
    state = {name: t.detach().contiguous() for name, t in program.state_dict.items()}
    parameters = sorted(program.graph_signature.parameters)
    buffers = sorted(set(state) - set(parameters))

    def write_files(tmp: Path) -> None:
        (tmp / PROGRAM).write_bytes(artefact.exported_program)
        save_file(state, str(tmp / WEIGHTS), metadata={"format": FORMAT})

    def make_manifest(files: dict[str, dict[str, Any]]) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "model_version": f"cnn-{files[WEIGHTS]['sha256'][:12]}",
            "created_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "torch_version": torch.__version__,
            "input": {"shape": input_shape, "dtype": "float32", "description": input_description},
            "labels": labels,
            "parameters": parameters,
            "buffers": buffers,
            "n_parameters": sum(math.prod(state[n].shape) for n in parameters),
            "metrics": metrics or {},
            "training_data": training_data or {},
            "files": files,
        }

    return folder.save_folder(out_dir, write_files, make_manifest)


def read_manifest(path: str | Path) -> dict[str, Any]:
    """The manifest of the export in ``path``, checked for format and completeness (files unchecked)."""
    path = Path(path)
    if not path.is_dir():
        raise ArtefactError(f"{path}: no exported model here (no such folder); {EXPORT_HINT}", MISSING)
    if not (path / MANIFEST).is_file():
        raise ArtefactError(f"{path}: no {MANIFEST}, so this is not a (complete) export; {EXPORT_HINT}", MISSING)
    manifest = folder.read_json(path / MANIFEST, EXPORT_HINT)
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ArtefactError(f"{path / MANIFEST}: not a manifest of {FORMAT} artefacts", BAD_MANIFEST)
    if manifest.get("format_version") != FORMAT_VERSION:
        raise ArtefactError(f"{path / MANIFEST}: format version {manifest.get('format_version')!r}; this code "
                            f"reads version {FORMAT_VERSION}; {EXPORT_HINT}", "unsupported artefact format version")
    labels, shape = manifest.get("labels"), (manifest.get("input") or {}).get("shape")
    if (not isinstance(labels, list) or len(labels) < 2 or not all(isinstance(x, str) for x in labels)
            or len(set(labels)) != len(labels)):
        raise ArtefactError(f"{path / MANIFEST}: 'labels' must be two or more distinct names", BAD_MANIFEST)
    if not isinstance(shape, list) or not shape or not all(isinstance(n, int) and n > 0 for n in shape):
        raise ArtefactError(f"{path / MANIFEST}: 'input.shape' must be a list of positive sizes", BAD_MANIFEST)
    if not all(isinstance(manifest.get(key), list) for key in ("parameters", "buffers")) \
            or not isinstance(manifest.get("model_version"), str):
        raise ArtefactError(f"{path / MANIFEST}: lacks 'parameters', 'buffers' or 'model_version'; {EXPORT_HINT}",
                            BAD_MANIFEST)
    folder.check_listed_files(path, manifest, REQUIRED_FILES, EXPORT_HINT, BAD_MANIFEST)
    return manifest


def _load_weights(file: Path, parameters: list[str], buffers: list[str]) -> dict[str, torch.Tensor]:
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    try:
        tensors = load_file(str(file))
    except (SafetensorError, OSError, ValueError) as err:
        raise ArtefactError(f"{file}: not a readable safetensors file ({err})", f"{file.name} is not readable") from None
    wanted = set(parameters) | set(buffers)
    if set(tensors) != wanted:
        raise ArtefactError(f"{file}: lacks {sorted(wanted - set(tensors))} and has {sorted(set(tensors) - wanted)} "
                            f"besides the parameters and buffers the manifest lists", f"{file.name} holds the wrong tensors")
    for name, t in tensors.items():
        if t.is_floating_point() and not torch.isfinite(t).all():
            raise ArtefactError(f"{file}: {name} holds NaN or infinite values",
                                f"{file.name} holds NaN or infinite values")
    # the exported graph expects its parameters as nn.Parameter, its buffers as plain tensors
    return {name: torch.nn.Parameter(t, requires_grad=False) if name in parameters else t
            for name, t in tensors.items()}


def _check_fit(file: Path, program: torch.export.ExportedProgram, state: dict[str, torch.Tensor]) -> None:
    """Every tensor the graph takes is in ``state`` with the shape and dtype the graph was exported with."""
    nodes = {node.name: node for node in program.graph.nodes if node.op == "placeholder"}
    wanted = {spec.target: nodes[spec.arg.name].meta["val"] for spec in program.graph_signature.input_specs
              if spec.target is not None}
    extra = sorted(set(state) - set(wanted))
    if extra or set(wanted) - set(state):
        raise ArtefactError(f"{file}: holds {sorted(state)}; the program takes {sorted(wanted)}",
                            f"{file.name} holds the wrong tensors")
    for name, val in wanted.items():
        t = state[name]
        if tuple(t.shape) != tuple(val.shape) or t.dtype != val.dtype:
            raise ArtefactError(f"{file}: {name} is {t.dtype} {list(t.shape)}; the program takes "
                                f"{val.dtype} {list(val.shape)}", f"{file.name} does not fit the program")


def load_classifier(path: str | Path) -> ExportedClassifier:
    """Read and verify an export: manifest, every file's SHA-256, weights against the graph, one trial run."""
    from torch._export.serde.serialize import SerializedArtifact, deserialize

    path = Path(path)
    manifest = read_manifest(path)
    folder.verify_files(path, manifest, EXPORT_HINT)
    state = _load_weights(path / WEIGHTS, manifest["parameters"], manifest["buffers"])
    try:
        program = deserialize(SerializedArtifact((path / PROGRAM).read_bytes(), state, {}, b""))
    except Exception as err:  # the deserialiser raises many kinds (KeyError, SpecViolationError, ...)
        raise ArtefactError(f"{path / PROGRAM}: not a program this torch ({torch.__version__}) can load; it was "
                            f"exported with torch {manifest.get('torch_version')} "
                            f"({type(err).__name__}: {str(err)[:300]}); {EXPORT_HINT}",
                            f"{PROGRAM} cannot be loaded") from None
    _check_fit(path / WEIGHTS, program, state)
    classifier = ExportedClassifier(path, manifest, program.module())
    try:
        out = classifier.logits(torch.zeros(1, *classifier.input_shape))
    except Exception as err:
        raise ArtefactError(f"{path / PROGRAM}: fails on a blank input ({type(err).__name__}: {str(err)[:300]})",
                            f"{PROGRAM} fails on a blank input") from None
    if tuple(out.shape) != (1, len(classifier.labels)):
        raise ArtefactError(f"{path / PROGRAM}: returns {tuple(out.shape)} for one image; the manifest has "
                            f"{len(classifier.labels)} labels", f"{PROGRAM} disagrees with {MANIFEST}")
    return classifier


def describe(manifest: dict[str, Any]) -> str:
    """One line about an export, for logs and the chapter."""
    return (f"{manifest['model_version']}: {manifest['n_parameters']:,} parameters, input "
            f"{tuple(manifest['input']['shape'])}, labels {', '.join(manifest['labels'])}, metrics "
            f"{json.dumps(manifest.get('metrics', {}))}")
