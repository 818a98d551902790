"""A trained classifier on disk: safetensors and JSON, a manifest of SHA-256 hashes, no pickle.

Taught in the capstone chapter (book/capstone_issue_classifier.md). A folder
of artefacts holds::

    manifest.json          format, model kind and version, training-data hash,
                           metrics, and the SHA-256 and size of every other file
    weights.safetensors    the model's tensors (float32), named by its kind
                           (:data:`MODEL_TENSORS`)
    vocabulary.json        the TF-IDF terms and IDF weights
    labels.json            the labels, in the order of the outputs

Nothing here can run code when it is read (a pickle can). Loading checks
every file against the manifest before parsing it, then checks that the
parts fit together (every tensor's shape against the vocabulary size and
the number of labels), and fails with :class:`ArtefactError` saying which file is wrong
and what to do. Saving writes a new folder beside the old one and swaps it
in, so a reader never sees a half-written set.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from aimastery import artefacts as folder
from aimastery.artefacts import MANIFEST, ArtefactError, write_json
from aimastery.atomic import sha256_file  # noqa: F401 (part of this module's API: the registry imports it)
from aimastery.capstone.features import TfidfFeatures
from aimastery.config import REPO_ROOT

FORMAT = "aimastery-capstone-classifier"
#: 2: the manifest's model kind names the tensors (version 1 held only the TF-IDF MLP's; still read).
FORMAT_VERSION = 2
READABLE_VERSIONS = (1, 2)
WEIGHTS = "weights.safetensors"
VOCABULARY = "vocabulary.json"
LABELS_FILE = "labels.json"
REQUIRED_FILES = (WEIGHTS, VOCABULARY, LABELS_FILE)
#: The tensors of each kind of model, with their shapes: V vocabulary terms, C labels, H hidden units.
MODEL_TENSORS: dict[str, dict[str, tuple[str, ...]]] = {
    # scikit-learn's LogisticRegression: logits = coef @ x + intercept
    "tfidf-logreg": {"coef": ("C", "V"), "intercept": ("C",)},
    # models.TfidfMLP's state dict: logits = out(relu(x @ hidden + hidden_bias))
    "tfidf-mlp": {"hidden.weight": ("V", "H"), "hidden_bias": ("H",), "out.weight": ("C", "H"), "out.bias": ("C",)},
}
#: Environment variable naming the artefacts folder (the service and the CLI read it).
ARTEFACTS_ENV = "AIM_ARTEFACTS_DIR"
RETRAIN_HINT = "retrain with `python -m aimastery.capstone train`"
# Short public reasons (ArtefactError.public): no directory, no hash, no command.
MISSING = "model artefacts missing"
BAD_MANIFEST = f"{MANIFEST} is invalid"


def default_artefacts_dir() -> Path:
    """``$AIM_ARTEFACTS_DIR`` if set, else ``artefacts/capstone`` in the repository."""
    return Path(os.environ.get(ARTEFACTS_ENV) or REPO_ROOT / "artefacts" / "capstone")


@dataclass
class Artefacts:
    """A verified set of artefacts, ready for the predictor."""

    path: Path
    manifest: dict[str, Any]
    features: TfidfFeatures
    tensors: dict[str, np.ndarray]
    labels: tuple[str, ...]

    @property
    def version(self) -> str:
        return self.manifest["model_version"]

    @property
    def kind(self) -> str:
        """Which model the tensors are (a key of :data:`MODEL_TENSORS`)."""
        return model_kind(self.manifest)


def model_kind(manifest: dict[str, Any]) -> str | None:
    """The manifest's model kind (:func:`read_manifest` fills in the MLP for a version-1 manifest)."""
    model = manifest.get("model")
    return model.get("kind") if isinstance(model, dict) else None


def save_artefacts(out_dir: str | Path, *, features: TfidfFeatures, tensors: dict[str, np.ndarray],
                   labels: tuple[str, ...], model: dict[str, Any], training_data: dict[str, Any],
                   metrics: dict[str, Any]) -> dict[str, Any]:
    """Write a complete set of artefacts to ``out_dir`` (replacing what is there); return the manifest."""
    from safetensors.numpy import save_file

    kind = model.get("kind")
    if kind not in MODEL_TENSORS:
        raise ValueError(f"model kind {kind!r} unknown; the kinds are {', '.join(MODEL_TENSORS)}")
    if set(tensors) != set(MODEL_TENSORS[kind]):
        raise ValueError(f"a {kind} model has the tensors {', '.join(MODEL_TENSORS[kind])}; got {', '.join(sorted(tensors))}")

    def write_files(tmp: Path) -> None:
        save_file({k: np.ascontiguousarray(v, dtype=np.float32) for k, v in tensors.items()},
                  str(tmp / WEIGHTS), metadata={"format": FORMAT})
        write_json(tmp / VOCABULARY, features.to_json())
        write_json(tmp / LABELS_FILE, list(labels))

    def make_manifest(files: dict[str, dict[str, Any]]) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "model_version": f"{kind}-{files[WEIGHTS]['sha256'][:12]}",
            "created_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "labels": list(labels),
            "model": model,
            "training_data": training_data,
            "metrics": metrics,
            "files": files,
        }

    return folder.save_folder(out_dir, write_files, make_manifest)


def _read_json(path: Path) -> Any:
    return folder.read_json(path, RETRAIN_HINT)


def read_manifest(path: str | Path) -> dict[str, Any]:
    """The manifest of the artefacts in ``path``, checked for format and completeness (files unchecked)."""
    path = Path(path)
    if not path.is_dir():
        raise ArtefactError(f"{path}: no artefacts here (no such folder); {RETRAIN_HINT}", MISSING)
    if not (path / MANIFEST).is_file():
        raise ArtefactError(f"{path}: no {MANIFEST}, so these are not (complete) artefacts; {RETRAIN_HINT}",
                            MISSING)
    manifest = _read_json(path / MANIFEST)
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ArtefactError(f"{path / MANIFEST}: not a manifest of {FORMAT} artefacts", BAD_MANIFEST)
    if manifest.get("format_version") not in READABLE_VERSIONS:
        raise ArtefactError(f"{path / MANIFEST}: format version {manifest.get('format_version')!r}; "
                            f"this code reads versions {', '.join(map(str, READABLE_VERSIONS))}; {RETRAIN_HINT}",
                            "unsupported artefact format version")
    if manifest["format_version"] == 1 and isinstance(manifest.get("model"), dict):
        manifest["model"].setdefault("kind", "tfidf-mlp")
    if model_kind(manifest) not in MODEL_TENSORS:
        raise ArtefactError(f"{path / MANIFEST}: model kind {model_kind(manifest)!r}; this code serves "
                            f"{', '.join(MODEL_TENSORS)}; {RETRAIN_HINT}", "unsupported model kind")
    if not isinstance(manifest.get("model_version"), str):
        raise ArtefactError(f"{path / MANIFEST}: lacks 'model_version'; {RETRAIN_HINT}", BAD_MANIFEST)
    folder.check_listed_files(path, manifest, REQUIRED_FILES, RETRAIN_HINT, BAD_MANIFEST)
    return manifest


def verify_files(path: str | Path, manifest: dict[str, Any]) -> None:
    """Every file the manifest lists exists and has the SHA-256 it records."""
    folder.verify_files(path, manifest, RETRAIN_HINT)


def load_artefacts(path: str | Path | None = None) -> Artefacts:
    """Read and verify the artefacts in ``path`` (default: :func:`default_artefacts_dir`)."""
    from safetensors import SafetensorError
    from safetensors.numpy import load_file

    path = Path(path) if path is not None else default_artefacts_dir()
    manifest = read_manifest(path)
    verify_files(path, manifest)
    labels = _read_json(path / LABELS_FILE)
    if (not isinstance(labels, list) or len(labels) < 2 or not all(isinstance(x, str) for x in labels)
            or len(set(labels)) != len(labels)):
        raise ArtefactError(f"{path / LABELS_FILE}: expected a list of two or more distinct label names",
                            f"{LABELS_FILE} is invalid")
    if labels != manifest.get("labels"):
        raise ArtefactError(f"{path / LABELS_FILE}: labels {labels} differ from the manifest's "
                            f"{manifest.get('labels')}",
                            f"{LABELS_FILE} disagrees with {MANIFEST}")
    try:
        features = TfidfFeatures.from_json(_read_json(path / VOCABULARY))
    except ValueError as err:
        raise ArtefactError(f"{path / VOCABULARY}: {err}", f"{VOCABULARY} is invalid") from None
    try:
        tensors = load_file(str(path / WEIGHTS))
    except (SafetensorError, OSError, ValueError) as err:
        raise ArtefactError(f"{path / WEIGHTS}: not a readable safetensors file ({err})",
                            f"{WEIGHTS} is not readable") from None
    _check_tensors(path / WEIGHTS, model_kind(manifest), tensors, features.n_features, len(labels))
    return Artefacts(path, manifest, features, tensors, tuple(labels))


def _check_tensors(file: Path, kind: str, tensors: dict[str, np.ndarray], n_features: int, n_classes: int) -> None:
    wanted = MODEL_TENSORS[kind]
    if set(tensors) != set(wanted):
        raise ArtefactError(f"{file}: tensors {sorted(tensors)}; a {kind} model has {list(wanted)}",
                            f"{file.name} holds the wrong tensors")
    sizes = {"V": n_features, "C": n_classes}
    for name, dims in wanted.items():  # sizes not fixed by the vocabulary and labels (H) come from the first tensor
        for dim, n in zip(dims, tensors[name].shape):
            sizes.setdefault(dim, n)
    for name, dims in wanted.items():
        t, shape = tensors[name], tuple(sizes[d] for d in dims)
        if t.shape != shape or t.dtype != np.float32:
            raise ArtefactError(f"{file}: {name} is {t.dtype}{list(t.shape)}, expected float32{list(shape)} "
                                f"({n_features} vocabulary terms, {n_classes} labels)",
                                f"{file.name} does not fit the vocabulary and labels")
        if not np.all(np.isfinite(t)):
            raise ArtefactError(f"{file}: {name} holds NaN or infinite values",
                                f"{file.name} holds NaN or infinite values")
