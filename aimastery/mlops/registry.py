"""A model registry for the capstone's classifiers: versions, lineage, aliases, a gated promotion, rollback.

Taught in the MLOps chapter (book/mlops.md). On disk::

    registry.json                   the whole state: models, versions, aliases, events
    models/<name>/v<N>/             one version: a capstone artefacts folder
                                    (manifest.json, weights.safetensors, vocabulary.json,
                                    labels.json; see aimastery.capstone.artefacts)
    .tmp/                           work in progress (swept on the next write)
    .lock                           held by a writer (fcntl.flock)

Each version records its **lineage**: the training data's SHA-256 and
size, the code version (git commit and a hash of the capstone's source),
its held-out metrics, and its parent version. **Aliases** (``staging``,
``production``) point at versions; a move of ``production`` goes through
a :class:`~aimastery.mlops.gate.MetricGate`, and each alias keeps the
versions it held so that :meth:`ModelRegistry.rollback` can step back.

**Crash safety.** ``registry.json`` is the commit point. A new version's
files are written to ``.tmp/``, checked, and renamed into ``models/``;
only then is ``registry.json`` replaced, in one ``os.replace``
(:func:`aimastery.atomic.atomic_path`). A writer killed at any moment
leaves the previous ``registry.json`` whole, and every version it lists
untouched: a half-copied folder is never listed. Loading checks the
manifest's SHA-256 recorded in the registry, then every file's SHA-256
recorded in the manifest (:func:`aimastery.capstone.artefacts.load_artefacts`).
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aimastery.atomic import write_text_atomic
from aimastery.capstone.artefacts import MANIFEST, ArtefactError, Artefacts, load_artefacts, sha256_file
from aimastery.config import REPO_ROOT
from aimastery.mlops.gate import MetricGate

FORMAT = "aimastery-model-registry"
FORMAT_VERSION = 1
STATE_FILE = "registry.json"
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
ALIAS_RE = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
#: The code whose version the lineage records: the capstone's training and serving code.
CODE_PATHS = ("aimastery/capstone",)


class RegistryError(RuntimeError):
    """A registry that is damaged, or a request it cannot honour (the message says why and what to do)."""


class PromotionRefused(RegistryError):
    """The metric gate said no; ``reasons`` lists each failed condition."""

    def __init__(self, message: str, reasons: list[str]):
        super().__init__(message)
        self.reasons = reasons


@dataclass(frozen=True)
class ModelVersion:
    """One registered version, as recorded in ``registry.json``."""

    name: str
    version: int
    path: Path
    record: dict[str, Any]

    @property
    def lineage(self) -> dict[str, Any]:
        return self.record["lineage"]

    @property
    def model_version(self) -> str:
        """The capstone's own id of the weights (``tfidf-mlp-<hash>``)."""
        return self.record["model_version"]


def now_utc() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def code_version(paths: tuple[str, ...] = CODE_PATHS, root: Path = REPO_ROOT) -> dict[str, Any]:
    """The version of the code that trains and serves the model: git's commit (if any) and a source hash.

    The hash covers every ``.py`` file under ``paths`` (names and bytes), so
    it names the code even outside a git checkout or with local edits.
    """
    h = hashlib.sha256()
    for base in paths:
        for file in sorted((root / base).rglob("*.py")):
            h.update(str(file.relative_to(root)).encode() + b"\0" + file.read_bytes() + b"\0")
    commit = None
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True,
                                timeout=10).stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        pass
    return {"git_commit": commit, "source_sha256": h.hexdigest()}


class ModelRegistry:
    """The registry in folder ``root`` (created when missing)."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        if not (self.root / STATE_FILE).exists():
            with self._writing():
                pass  # commits an empty registry
        self._read()  # fail now, clearly, on a damaged registry

    # ----- reading

    def _read(self) -> dict[str, Any]:
        path = self.root / STATE_FILE
        try:
            state = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {"format": FORMAT, "format_version": FORMAT_VERSION, "models": {}}
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            raise RegistryError(f"{path}: not valid JSON ({err}); restore it from a backup") from None
        if not isinstance(state, dict) or state.get("format") != FORMAT:
            raise RegistryError(f"{path}: not a {FORMAT} file")
        if state.get("format_version") != FORMAT_VERSION:
            raise RegistryError(f"{path}: format version {state.get('format_version')!r}; "
                                f"this code reads version {FORMAT_VERSION}")
        models = state.get("models")
        if not isinstance(models, dict):
            raise RegistryError(f"{path}: 'models' is missing or not an object")
        for name, model in models.items():
            versions = model.get("versions", {})
            for alias, history in model.get("aliases", {}).items():
                if not history or any(str(v) not in versions for v in history):
                    raise RegistryError(f"{path}: alias {alias!r} of {name!r} points at versions {history}, "
                                        f"not all of which exist")
        return state

    def _model(self, state: dict, name: str) -> dict:
        try:
            return state["models"][name]
        except KeyError:
            known = ", ".join(state["models"]) or "none yet"
            raise RegistryError(f"no registered model named {name!r}; the models are: {known}") from None

    def list_models(self) -> list[str]:
        return sorted(self._read()["models"])

    def search_model_versions(self, name: str) -> list[ModelVersion]:
        model = self._model(self._read(), name)
        return [self._version(name, rec) for _, rec in sorted(model["versions"].items(), key=lambda kv: int(kv[0]))]

    def get_model_version(self, name: str, version: int) -> ModelVersion:
        model = self._model(self._read(), name)
        rec = model["versions"].get(str(version))
        if rec is None:
            raise RegistryError(f"{name!r} has no version {version}; it has {sorted(map(int, model['versions']))}")
        return self._version(name, rec)

    def get_aliases(self, name: str) -> dict[str, int]:
        """Each alias and the version it points at now."""
        return {alias: history[-1] for alias, history in self._model(self._read(), name)["aliases"].items()}

    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion:
        aliases = self.get_aliases(name)
        if alias not in aliases:
            raise RegistryError(f"{name!r} has no alias {alias!r}; its aliases are: {aliases or 'none'}")
        return self.get_model_version(name, aliases[alias])

    def events(self, name: str) -> list[dict[str, Any]]:
        """Everything that happened to a model, oldest first (registrations, alias moves, refusals, rollbacks)."""
        return list(self._model(self._read(), name)["events"])

    def load_model(self, name: str, version_or_alias: int | str) -> Artefacts:
        """The artefacts of a version (a number, or an alias), verified file by file."""
        mv = (self.get_model_version_by_alias(name, version_or_alias) if isinstance(version_or_alias, str)
              else self.get_model_version(name, version_or_alias))
        self._verify_manifest(mv)
        return load_artefacts(mv.path)

    def verify(self) -> int:
        """Check every version of every model (manifest hash, then every file); return how many were checked."""
        checked = 0
        for name in self.list_models():
            for mv in self.search_model_versions(name):
                self._verify_manifest(mv)
                load_artefacts(mv.path)
                checked += 1
        return checked

    def _version(self, name: str, rec: dict) -> ModelVersion:
        return ModelVersion(name, int(rec["version"]), self.root / rec["path"], rec)

    def _verify_manifest(self, mv: ModelVersion) -> None:
        manifest = mv.path / MANIFEST
        if not manifest.is_file():
            raise RegistryError(f"{mv.name} v{mv.version}: {manifest} is missing; the version's folder was "
                                f"removed or moved")
        actual = sha256_file(manifest)
        if actual != mv.record["manifest_sha256"]:
            raise RegistryError(f"{mv.name} v{mv.version}: {MANIFEST} has SHA-256 {actual[:16]}..., the registry "
                                f"recorded {mv.record['manifest_sha256'][:16]}...: the folder was replaced")

    # ----- writing

    @contextmanager
    def _writing(self) -> Iterator[dict[str, Any]]:
        """Hold the lock, give the current state to change, then commit it (atomically) and sweep leftovers."""
        with open(self.root / ".lock", "a+") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                state = self._read()
                yield state
                write_text_atomic(self.root / STATE_FILE, json.dumps(state, indent=1, sort_keys=True) + "\n")
                self._sweep(state)
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _sweep(self, state: dict) -> None:
        """Remove what a killed writer left: work folders, and version folders that no record lists."""
        shutil.rmtree(self.root / ".tmp", ignore_errors=True)
        listed = {rec["path"] for m in state["models"].values() for rec in m["versions"].values()}
        for folder in sorted((self.root / "models").glob("*/v*")):
            if str(folder.relative_to(self.root)) not in listed:
                shutil.rmtree(folder, ignore_errors=True)

    @staticmethod
    def _event(model: dict, action: str, **fields: Any) -> None:
        model["events"].append({"at": now_utc(), "action": action, **fields})

    def create_registered_model(self, name: str, description: str = "") -> None:
        """A new, empty model (registering a version creates it too)."""
        if not isinstance(name, str) or not NAME_RE.match(name):
            raise RegistryError(f"model name {name!r}: lower-case letters, digits, '.', '_' and '-', "
                                f"starting with a letter or digit, at most 64 characters")
        with self._writing() as state:
            state["models"].setdefault(name, {"description": description, "created_at": now_utc(),
                                              "versions": {}, "aliases": {}, "events": []})

    def register_model(self, name: str, artefacts_dir: str | Path, *, parent: int | None = None,
                       description: str = "", code: dict[str, Any] | None = None) -> ModelVersion:
        """Copy a folder of capstone artefacts into the registry as the next version of ``name``.

        The folder is verified first (every SHA-256 in its manifest), and the
        copy again before it is listed. ``parent`` is the version this one
        was derived from (retrained from, fine-tuned from); ``code``
        defaults to :func:`code_version`.
        """
        artefacts = load_artefacts(artefacts_dir)  # raises ArtefactError on anything wrong
        code = code if code is not None else code_version()
        if name not in self.list_models():
            self.create_registered_model(name)
        with self._writing() as state:
            model = self._model(state, name)
            if parent is not None and str(parent) not in model["versions"]:
                raise RegistryError(f"parent version {parent} of {name!r} does not exist; "
                                    f"it has {sorted(map(int, model['versions']))}")
            version = max(map(int, model["versions"]), default=0) + 1
            rel = Path("models") / name / f"v{version}"
            (self.root / ".tmp").mkdir(exist_ok=True)
            work = Path(tempfile.mkdtemp(dir=self.root / ".tmp"))
            try:
                shutil.copytree(artefacts.path, work / "v", dirs_exist_ok=False)
                load_artefacts(work / "v")  # the copy, checked before it is listed
                target = self.root / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.rmtree(target, ignore_errors=True)  # a version folder no record lists
                os.replace(work / "v", target)
            finally:
                shutil.rmtree(work, ignore_errors=True)
            manifest = artefacts.manifest
            training = manifest.get("training_data", {})
            model["versions"][str(version)] = {
                "version": version, "path": str(rel), "created_at": now_utc(), "description": description,
                "model_version": manifest["model_version"], "manifest_sha256": sha256_file(target / MANIFEST),
                "lineage": {"training_data_sha256": training.get("sha256"), "n_issues": training.get("n_issues"),
                            "code": code, "metrics": manifest.get("metrics", {}).get("held_out", {}),
                            "parent": parent, "model": manifest.get("model", {})},
            }
            self._event(model, "register", version=version, parent=parent)
        return self.get_model_version(name, version)

    def set_registered_model_alias(self, name: str, alias: str, version: int, *, reason: str = "") -> None:
        """Point ``alias`` at ``version`` without a gate (for ``staging``; use :meth:`promote` for production)."""
        if not isinstance(alias, str) or not ALIAS_RE.match(alias):
            raise RegistryError(f"alias {alias!r}: lower-case letters, digits, '_' and '-', starting with a letter")
        with self._writing() as state:
            model = self._model(state, name)
            if str(version) not in model["versions"]:
                raise RegistryError(f"{name!r} has no version {version}")
            history = model["aliases"].setdefault(alias, [])
            before = history[-1] if history else None
            if before != version:
                history.append(version)
            self._event(model, "alias", alias=alias, version=version, previous=before, reason=reason)

    def promote(self, name: str, version: int, *, gate: MetricGate, score: Callable[[Artefacts], dict],
                alias: str = "production") -> dict[str, Any]:
        """Move ``alias`` to ``version`` if it passes ``gate`` against the version holding it now.

        ``score(artefacts)`` scores a model on the gate's evaluation set
        (e.g. :func:`aimastery.mlops.gate.score_artefacts` with fixed issues);
        both models are scored the same way. Returns the decision; raises
        :class:`PromotionRefused` (after recording it) when the gate says no.
        """
        aliases = self.get_aliases(name)
        incumbent = aliases.get(alias)
        if incumbent == version:
            raise RegistryError(f"{name!r} v{version} already holds {alias!r}")
        candidate_scores = score(self.load_model(name, version))
        incumbent_scores = score(self.load_model(name, incumbent)) if incumbent is not None else None
        reasons = gate.failures(candidate_scores, incumbent_scores)
        decision = {"alias": alias, "version": version, "previous": incumbent, "gate": gate.to_json(),
                    "candidate": candidate_scores, "incumbent": incumbent_scores, "reasons": reasons}
        with self._writing() as state:
            model = self._model(state, name)
            now = model["aliases"].get(alias, [None])[-1]
            if now != incumbent:
                raise RegistryError(f"{alias!r} moved from v{incumbent} to v{now} during the evaluation; "
                                    f"promote again")
            if reasons:
                self._event(model, "refused", **decision)
            else:
                model["aliases"].setdefault(alias, []).append(version)
                self._event(model, "promote", **decision)
        if reasons:
            raise PromotionRefused(f"{name!r} v{version} may not take {alias!r}: " + "; ".join(reasons), reasons)
        return decision

    def rollback(self, name: str, alias: str = "production", *, reason: str = "") -> ModelVersion:
        """Point ``alias`` back at the version it held before the current one."""
        with self._writing() as state:
            model = self._model(state, name)
            history = model["aliases"].get(alias, [])
            if len(history) < 2:
                raise RegistryError(f"{alias!r} of {name!r} has held {history or 'no version'}: "
                                    f"nothing to roll back to")
            left = history.pop()
            self._event(model, "rollback", alias=alias, version=history[-1], previous=left, reason=reason)
            back = history[-1]
        return self.get_model_version(name, back)


def registry_snapshot(root: str | Path) -> dict[str, str]:
    """What a reader of the registry can see, as SHA-256 per file: registry.json and every listed version's files.

    Two equal snapshots mean the same registry; folders no record lists
    (a killed writer's leftovers) are not part of it.
    """
    root = Path(root)
    state_file = root / STATE_FILE
    out = {STATE_FILE: sha256_file(state_file)}
    state = json.loads(state_file.read_text(encoding="utf-8"))
    for model in state["models"].values():
        for rec in model["versions"].values():
            for file in sorted((root / rec["path"]).iterdir()):
                out[str(file.relative_to(root))] = sha256_file(file)
    return out


__all__ = ["ArtefactError", "ModelRegistry", "ModelVersion", "PromotionRefused", "RegistryError",
           "code_version", "registry_snapshot"]
