"""Artefacts: no pickle, a manifest of hashes, clear failures on tampering."""

from __future__ import annotations

import json
import shutil

import pytest

from aimastery.capstone.artefacts import (
    MANIFEST, VOCABULARY, WEIGHTS, ArtefactError, load_artefacts, read_manifest, save_artefacts,
)
from aimastery.capstone.issues import dataset_hash
from aimastery.capstone.synthetic import generate_issues


@pytest.fixture
def copy(artefacts_dir, tmp_path):
    target = tmp_path / "artefacts"
    shutil.copytree(artefacts_dir, target)
    return target


def test_files_are_json_and_safetensors_only(artefacts_dir):
    names = sorted(p.name for p in artefacts_dir.iterdir())
    assert names == ["labels.json", "manifest.json", "vocabulary.json", "weights.safetensors"]
    for name in ("labels.json", "manifest.json", "vocabulary.json"):
        json.loads((artefacts_dir / name).read_text())
    raw = (artefacts_dir / WEIGHTS).read_bytes()
    header_len = int.from_bytes(raw[:8], "little")
    assert json.loads(raw[8:8 + header_len])["__metadata__"]["format"] == "aimastery-capstone-classifier"
    assert b"\x80\x04" not in raw[:2]  # not a pickle


def test_manifest_records_version_data_hash_metrics_and_hashes(artefacts_dir):
    m = read_manifest(artefacts_dir)
    assert m["model_version"].startswith("tfidf-logreg-") and m["model"]["kind"] == "tfidf-logreg"
    assert m["training_data"]["sha256"] == dataset_hash(generate_issues(120, seed=0))
    assert 0 < m["metrics"]["held_out"]["accuracy"] <= 1
    assert set(m["metrics"]["out_of_distribution"]) == {"hand-written, dev", "hand-written, held out"}
    assert set(m["metrics"]["accuracy_of_every_model"]) == {"TF-IDF + logistic regression", "TF-IDF + MLP"}
    assert set(m["metrics"]["held_out"]["per_class"]) == {"bug", "feature", "question", "documentation"}
    assert set(m["files"]) == {"weights.safetensors", "vocabulary.json", "labels.json"}
    assert all(len(entry["sha256"]) == 64 for entry in m["files"].values())


def test_load_verifies_and_round_trips(artefacts_dir):
    artefacts = load_artefacts(artefacts_dir)
    assert artefacts.labels == ("bug", "feature", "question", "documentation")
    assert artefacts.kind == "tfidf-logreg"
    assert artefacts.tensors["coef"].shape == (4, artefacts.features.n_features)


def test_changed_byte_is_a_hash_mismatch(copy):
    weights = copy / WEIGHTS
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0x01
    weights.write_bytes(bytes(data))
    with pytest.raises(ArtefactError, match=r"weights\.safetensors: SHA-256 mismatch.*retrain") as err:
        load_artefacts(copy)
    assert err.value.public == "checksum mismatch in weights.safetensors"  # no folder, no hash: for clients


def test_missing_file_and_missing_folder(copy, tmp_path):
    (copy / VOCABULARY).unlink()
    with pytest.raises(ArtefactError, match=r"vocabulary\.json: missing") as err:
        load_artefacts(copy)
    assert err.value.public == "model artefact vocabulary.json missing"
    with pytest.raises(ArtefactError, match="no artefacts here") as err:
        load_artefacts(tmp_path / "nowhere")
    assert err.value.public == "model artefacts missing"
    (copy / MANIFEST).unlink()
    with pytest.raises(ArtefactError, match="no manifest.json") as err:
        load_artefacts(copy)
    assert err.value.public == "model artefacts missing"


@pytest.mark.parametrize("change, message", [
    (lambda m: m.update(format_version=99), "format version 99"),
    (lambda m: m["files"].update({"../../etc/passwd": {"sha256": "0" * 64}}), "not a file name"),
    (lambda m: m["files"].pop("labels.json"), "does not list labels.json"),
    (lambda m: m.update(format="something else"), "not a manifest"),
    (lambda m: m["model"].update(kind="gpt-5"), "model kind 'gpt-5'"),
])
def test_manifest_is_validated(copy, change, message):
    manifest = json.loads((copy / MANIFEST).read_text())
    change(manifest)
    (copy / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(ArtefactError, match=message) as err:
        load_artefacts(copy)
    assert str(copy) not in err.value.public and "/" not in err.value.public


def test_consistent_hashes_but_inconsistent_parts(copy, artefacts_dir):
    """A vocabulary that no longer fits the weights is caught even when someone re-hashed it."""
    artefacts = load_artefacts(artefacts_dir)
    features = artefacts.features
    smaller = type(features)(features.terms[:-1], features.idf[:-1])
    manifest = read_manifest(artefacts_dir)
    save_artefacts(copy, features=smaller, tensors=artefacts.tensors, labels=artefacts.labels,
                   model=manifest["model"], training_data=manifest["training_data"], metrics=manifest["metrics"])
    with pytest.raises(ArtefactError, match=r"coef is float32\[4, \d+\], expected float32\[4, \d+\]"):
        load_artefacts(copy)


def test_the_mlp_kind_and_version_one_artefacts_load(copy, tmp_path):
    """Both model kinds save and load; a version-1 folder (before the kind named the tensors) is the MLP."""
    from aimastery.capstone.models import TfidfMLP, mlp_tensors
    from aimastery.capstone.predictor import Predictor

    a = load_artefacts(copy)
    manifest = read_manifest(copy)
    tensors = mlp_tensors(TfidfMLP(a.features.n_features, 8, len(a.labels)))
    mlp_dir = tmp_path / "mlp"
    save_artefacts(mlp_dir, features=a.features, tensors=tensors, labels=a.labels,
                   model={"kind": "tfidf-mlp"}, training_data={}, metrics=manifest["metrics"])
    assert Predictor.load(mlp_dir).kind == "tfidf-mlp"
    old = json.loads((mlp_dir / MANIFEST).read_text())
    old["format_version"] = 1
    del old["model"]["kind"]
    (mlp_dir / MANIFEST).write_text(json.dumps(old))
    assert load_artefacts(mlp_dir).kind == "tfidf-mlp"
    with pytest.raises(ValueError, match="a tfidf-mlp model has the tensors"):
        save_artefacts(mlp_dir, features=a.features, tensors=a.tensors, labels=a.labels,
                       model={"kind": "tfidf-mlp"}, training_data={}, metrics={})


def test_saving_replaces_a_folder_whole(copy, artefacts_dir):
    (copy / "stale.txt").write_text("from an older run")
    a = load_artefacts(artefacts_dir)
    manifest = read_manifest(artefacts_dir)
    save_artefacts(copy, features=a.features, tensors=a.tensors, labels=a.labels, model=manifest["model"],
                   training_data=manifest["training_data"], metrics=manifest["metrics"])
    assert not (copy / "stale.txt").exists()
    assert load_artefacts(copy).version == a.version
    assert not [p for p in copy.parent.iterdir() if p.name.startswith(".")]  # no temporary folder left
