"""A folder of model artefacts: files plus a manifest of their SHA-256 hashes, written whole, checked on load.

Taught in the capstone chapter (book/capstone_issue_classifier.md), which
serves an issue classifier from such a folder; Week 5 (book/week05_cnn.md)
serves its digit model from one too. Each model's module says what goes in
the folder (:mod:`aimastery.capstone.artefacts`, :mod:`aimastery.cnn.export`);
this one writes and checks the folder itself:

* :func:`save_folder` writes every file into a new folder beside the target,
  hashes them, writes ``manifest.json`` (with the hash and size of every
  other file) and swaps the folder in with two renames, so a reader sees the
  old set or the new one, never half of one;
* :func:`check_listed_files` and :func:`verify_files` check a manifest's list
  of files, then every file against its hash, before anything is parsed.

Failures are :class:`ArtefactError`: a message for the operator (paths, what
was found, what to do) and a short public reason an anonymous client may see.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from aimastery.atomic import sha256_file

MANIFEST = "manifest.json"


class ArtefactError(RuntimeError):
    """Artefacts that are missing, changed since they were written, or inconsistent.

    ``str(err)`` is for the operator (the log, the command line): the full
    path, what was found, what to do. ``err.public`` is the short reason an
    anonymous client may see (a service's ``/ready``): a file name at most,
    never a directory, a hash or a command.
    """

    def __init__(self, message: str, public: str = "model artefacts invalid"):
        super().__init__(message)
        self.public = public


def write_json(path: Path, data: Any) -> None:
    """``data`` as indented UTF-8 JSON (not atomic by itself: :func:`save_folder` writes a new folder)."""
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def read_json(path: Path, hint: str) -> Any:
    """The JSON in ``path``; :class:`ArtefactError` (with ``hint``, what to do) if it is not valid JSON."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ArtefactError(f"{path}: not valid JSON ({err}); {hint}", f"{path.name} is not valid JSON") from None


def save_folder(out_dir: str | Path, write_files: Callable[[Path], None],
                make_manifest: Callable[[dict[str, dict[str, Any]]], dict[str, Any]]) -> dict[str, Any]:
    """Write a complete folder at ``out_dir`` (replacing what is there); return its manifest.

    ``write_files(folder)`` writes the artefacts into an empty folder;
    ``make_manifest(files)`` gets ``{name: {"sha256", "bytes"}}`` of what it
    wrote and returns the manifest, which is written as ``manifest.json``.
    """
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        write_files(tmp)
        names = sorted(p.name for p in tmp.iterdir() if p.name != MANIFEST)
        files = {name: {"sha256": sha256_file(tmp / name), "bytes": (tmp / name).stat().st_size} for name in names}
        manifest = make_manifest(files)
        write_json(tmp / MANIFEST, manifest)
        os.chmod(tmp, 0o755)  # mkdtemp makes it private; a service may run as another user
        for name in (*names, MANIFEST):
            os.chmod(tmp / name, 0o644)
        swap_in(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return manifest


def swap_in(new: Path, target: Path) -> None:
    """Put folder ``new`` at ``target``: two renames, the old set removed after."""
    old = None
    if target.exists():
        old = target.with_name(f".{target.name}.old-{os.getpid()}")
        shutil.rmtree(old, ignore_errors=True)
        os.replace(target, old)
    os.replace(new, target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def check_listed_files(path: Path, manifest: dict[str, Any], required: Iterable[str], hint: str,
                       bad_manifest: str) -> None:
    """The manifest's ``files`` lists every ``required`` file, only plain names in the folder, each with a SHA-256.

    ``bad_manifest`` is the public reason for a manifest that fails (e.g. "manifest.json is invalid").
    """
    files = manifest.get("files")
    if not isinstance(files, dict):
        raise ArtefactError(f"{path / MANIFEST}: lacks 'files'; {hint}", bad_manifest)
    for name in required:
        if name not in files:
            raise ArtefactError(f"{path / MANIFEST}: does not list {name}; {hint}", bad_manifest)
    for name, entry in files.items():
        if Path(name).name != name or name in (".", "..", MANIFEST):
            raise ArtefactError(f"{path / MANIFEST}: lists {name!r}, which is not a file name in this folder",
                                bad_manifest)
        if not isinstance(entry, dict) or not isinstance(entry.get("sha256"), str):
            raise ArtefactError(f"{path / MANIFEST}: no SHA-256 for {name}", bad_manifest)


def verify_files(path: str | Path, manifest: dict[str, Any], hint: str) -> None:
    """Every file the manifest lists exists and has the SHA-256 it records."""
    path = Path(path)
    for name, entry in manifest["files"].items():
        file = path / name
        if not file.is_file():
            raise ArtefactError(f"{file}: missing (the manifest lists it); {hint}", f"model artefact {name} missing")
        actual = sha256_file(file)
        if actual != entry["sha256"]:
            raise ArtefactError(f"{file}: SHA-256 mismatch: the manifest records {entry['sha256'][:16]}..., "
                                f"the file has {actual[:16]}...; it changed after it was written; {hint}",
                                f"checksum mismatch in {name}")
