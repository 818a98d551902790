"""The model registry: versions with lineage, aliases, the gated promotion, rollback, verified loading."""

from __future__ import annotations

import json
import os

import pytest

from aimastery.capstone.artefacts import ArtefactError
from aimastery.capstone.synthetic import generate_issues
from aimastery.mlops.gate import MetricGate, score_artefacts
from aimastery.mlops.registry import ModelRegistry, PromotionRefused, RegistryError, code_version, registry_snapshot

NAME = "issue-classifier"
GATE = MetricGate(min_value=0.5, max_drop=0.01, max_class_recall_drop=0.05)


@pytest.fixture(scope="module")
def gate_issues():
    return generate_issues(40, seed=2026)


@pytest.fixture
def registry(tmp_path, trained):
    reg = ModelRegistry(tmp_path / "registry")
    reg.register_model(NAME, trained["decent"], description="first")
    reg.register_model(NAME, trained["better"], parent=1)
    reg.register_model(NAME, trained["bad"], parent=2)
    return reg


def score(gate_issues):
    return lambda artefacts: score_artefacts(artefacts, gate_issues)


def test_versions_carry_their_lineage(registry, trained):
    v1, v2, v3 = registry.search_model_versions(NAME)
    assert [v.version for v in (v1, v2, v3)] == [1, 2, 3]
    manifest = json.loads((trained["better"] / "manifest.json").read_text())
    assert v2.lineage["training_data_sha256"] == manifest["training_data"]["sha256"]
    assert v2.lineage["metrics"] == manifest["metrics"]["held_out"]
    assert v2.lineage["parent"] == 1 and v1.lineage["parent"] is None
    assert v2.lineage["code"] == code_version() and len(v2.lineage["code"]["source_sha256"]) == 64
    assert v2.model_version == manifest["model_version"]
    assert registry.load_model(NAME, 2).version == manifest["model_version"]
    assert registry.verify() == 3


def test_promotion_through_the_gate_then_rollback(registry, gate_issues):
    first = registry.promote(NAME, 1, gate=GATE, score=score(gate_issues))
    assert first["previous"] is None and first["reasons"] == []
    second = registry.promote(NAME, 2, gate=GATE, score=score(gate_issues))
    assert second["previous"] == 1 and second["incumbent"]["data_sha256"] == second["candidate"]["data_sha256"]
    with pytest.raises(PromotionRefused) as refused:
        registry.promote(NAME, 3, gate=GATE, score=score(gate_issues))
    assert refused.value.reasons and "below production's" in str(refused.value)
    assert registry.get_aliases(NAME) == {"production": 2}  # a refusal moves nothing
    assert [e["action"] for e in registry.events(NAME)][-3:] == ["promote", "promote", "refused"]
    assert registry.rollback(NAME).version == 1
    assert registry.get_model_version_by_alias(NAME, "production").version == 1
    with pytest.raises(RegistryError, match="nothing to roll back to"):
        registry.rollback(NAME)


def test_staging_alias_needs_no_gate(registry):
    registry.set_registered_model_alias(NAME, "staging", 3, reason="try it on a shadow")
    assert registry.get_aliases(NAME) == {"staging": 3}
    with pytest.raises(RegistryError, match="no version 9"):
        registry.set_registered_model_alias(NAME, "staging", 9)
    with pytest.raises(RegistryError, match="alias 'Prod!'"):
        registry.set_registered_model_alias(NAME, "Prod!", 1)


def test_tampered_artefacts_are_refused_on_load(registry):
    weights = registry.get_model_version(NAME, 2).path / "weights.safetensors"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 1
    weights.write_bytes(bytes(data))
    with pytest.raises(ArtefactError, match="SHA-256 mismatch"):
        registry.load_model(NAME, 2)
    manifest = registry.get_model_version(NAME, 1).path / "manifest.json"
    manifest.write_text(manifest.read_text() + " ")  # still valid JSON, but not the bytes registered
    with pytest.raises(RegistryError, match="the folder was replaced"):
        registry.load_model(NAME, 1)


def test_a_folder_that_is_not_artefacts_is_never_registered(registry, tmp_path):
    before = registry_snapshot(registry.root)
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "weights.safetensors").write_bytes(b"not a model")
    with pytest.raises(ArtefactError, match="no manifest.json"):
        registry.register_model(NAME, tmp_path / "junk")
    with pytest.raises(RegistryError, match="parent version 7"):
        registry.register_model(NAME, registry.get_model_version(NAME, 1).path, parent=7)
    assert registry_snapshot(registry.root) == before


def test_clear_errors_for_unknown_names_and_a_damaged_file(registry, tmp_path):
    with pytest.raises(RegistryError, match="no registered model named 'other'"):
        registry.search_model_versions("other")
    with pytest.raises(RegistryError, match="no alias 'production'"):
        registry.get_model_version_by_alias(NAME, "production")
    with pytest.raises(RegistryError, match="model name 'Bad Name'"):
        registry.create_registered_model("Bad Name")
    damaged = tmp_path / "damaged"
    damaged.mkdir()
    (damaged / "registry.json").write_text('{"format": "aimastery-model-registry", "format_vers')
    with pytest.raises(RegistryError, match="not valid JSON"):
        ModelRegistry(damaged)


def test_leftovers_of_a_killed_writer_are_invisible_and_swept(registry, trained):
    before = registry_snapshot(registry.root)
    (registry.root / ".tmp" / "half").mkdir(parents=True)
    orphan = registry.root / "models" / NAME / "v4"
    orphan.mkdir()
    (orphan / "weights.safetensors").write_bytes(b"half a file")
    assert registry_snapshot(registry.root) == before and registry.verify() == 3
    v4 = registry.register_model(NAME, trained["decent"])  # the next write reuses v4, cleanly
    assert v4.version == 4 and registry.load_model(NAME, 4)
    assert not (registry.root / ".tmp").exists() and sorted(os.listdir(registry.root / "models" / NAME)) == [
        "v1", "v2", "v3", "v4"]


def test_gate_rules():
    gate = MetricGate(min_value=0.8, max_drop=0.01, max_class_recall_drop=0.05)
    good = {"macro_f1": 0.9, "recall": {"bug": 0.9, "question": 0.9}}
    assert gate.failures(good, None) == []
    assert gate.failures({"macro_f1": 0.8}, None) == []  # the floor itself passes
    assert "below the floor" in gate.failures({"macro_f1": 0.79}, None)[0]
    assert gate.failures({**good, "macro_f1": 0.891}, good) == []  # within the margin
    assert "below production's" in gate.failures({**good, "macro_f1": 0.889}, good)[0]
    worse_bug = {"macro_f1": 0.95, "recall": {"bug": 0.84, "question": 0.99}}
    assert gate.failures(worse_bug, good) == ["recall on 'bug' fell from 0.9000 to 0.8400 (more than 0.0500)"]
    with pytest.raises(KeyError, match="lack 'macro_f1'"):
        gate.failures({"accuracy": 0.9}, None)


def test_gate_drops_of_exactly_the_limit_pass_and_missing_labels_fail():
    gate = MetricGate(min_value=0.8, max_drop=0.01, max_class_recall_drop=0.05)
    before = {"macro_f1": 0.90, "recall": {"bug": 0.52, "question": 0.9}}
    # 0.90 - 0.89 is 0.010000000000000009 and 0.52 - 0.05 is 0.47000000000000003 in floats
    exactly = {"macro_f1": 0.89, "recall": {"bug": 0.47, "question": 0.9}}
    assert gate.failures(exactly, before) == [], "a drop of exactly the limit must pass"
    beyond = {"macro_f1": 0.8899, "recall": {"bug": 0.4699, "question": 0.9}}
    assert len(gate.failures(beyond, before)) == 2, gate.failures(beyond, before)
    lacking = {"macro_f1": 0.9, "recall": {"bug": 0.52}}
    assert gate.failures(lacking, before) == [
        "recall on 'question': production's is 0.9000, the candidate reports none"]
    extra = {"macro_f1": 0.9, "recall": {"bug": 0.52, "question": 0.9, "docs": 0.1}}
    assert gate.failures(extra, before) == [], "a label only the candidate has cannot fall"
