"""The exported digit model: the same outputs after a reload (even without the model's class), no pickle,
every file checked against the manifest, and a clear error for everything that does not fit."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest
import torch
from safetensors.torch import load_file, save_file

from aimastery.artefacts import MANIFEST, ArtefactError
from aimastery.atomic import sha256_file
from aimastery.cnn.export import MAX_BATCH, PROGRAM, WEIGHTS, export_classifier, load_classifier, read_manifest
from aimastery.config import REPO_ROOT
from aimastery.testing import one_torch_thread  # noqa: F401 (autouse fixture)

from .conftest import TinyCNN


@pytest.fixture
def copy(exported, tmp_path):
    target = tmp_path / "export"
    shutil.copytree(exported, target)
    return target


def rehash(folder) -> None:
    """Record the files' current hashes in the manifest: a tampering that the hashes alone cannot catch."""
    manifest = json.loads((folder / MANIFEST).read_text())
    for name, entry in manifest["files"].items():
        entry["sha256"] = sha256_file(folder / name)
    (folder / MANIFEST).write_text(json.dumps(manifest))


def test_files_are_json_and_safetensors_only(exported):
    assert sorted(p.name for p in exported.iterdir()) == [MANIFEST, PROGRAM, WEIGHTS]
    program = json.loads((exported / PROGRAM).read_text())
    assert "graph_module" in program  # torch.export's schema: the graph, in JSON
    raw = (exported / WEIGHTS).read_bytes()
    header = json.loads(raw[8:8 + int.from_bytes(raw[:8], "little")])
    assert header["__metadata__"]["format"] == "aimastery-exported-classifier"
    assert {"bn1.running_mean", "bn1.running_var", "conv1.weight", "fc.bias"} <= set(header)
    for name in (MANIFEST, PROGRAM, WEIGHTS):
        assert not (exported / name).read_bytes().startswith(b"\x80")  # no pickle protocol header anywhere


def test_manifest_records_the_contract(exported, trained):
    m = read_manifest(exported)
    assert m["labels"] == list("0123456789") and m["input"] == {"shape": [1, 28, 28], "dtype": "float32",
                                                                "description": ""}
    assert m["model_version"] == f"cnn-{m['files'][WEIGHTS]['sha256'][:12]}"
    assert m["n_parameters"] == sum(p.numel() for p in trained.parameters())
    assert set(m["parameters"]) == {name for name, _ in trained.named_parameters()}
    assert set(m["buffers"]) == {name for name, _ in trained.named_buffers()}
    assert m["torch_version"] == torch.__version__ and m["training_data"] == {"n_digits": 4000}


@pytest.mark.parametrize("batch", [1, 7, 300])
def test_reloaded_outputs_are_identical(exported, trained, mnist, batch):
    model = load_classifier(exported)
    x = torch.from_numpy(np.ascontiguousarray(mnist.X_test[:batch]))[:, None]
    with torch.no_grad():
        expected = trained(x)
    got = model.logits(x)
    assert torch.equal(got, expected), f"max difference {(got - expected).abs().max().item():.3g}"
    probs = model.predict_proba(x)
    assert probs.shape == (batch, 10) and np.allclose(probs.sum(1), 1)


def test_the_export_runs_without_the_models_class(exported, trained, mnist):
    """A fresh interpreter that never imports TinyCNN (nor the tests) gets the same logits."""
    x = np.ascontiguousarray(mnist.X_test[:5])
    code = ("import json, sys, numpy as np; from aimastery.cnn.export import load_classifier; "
            "x = np.asarray(json.loads(sys.stdin.read()), dtype=np.float32)[:, None]; "
            f"print(json.dumps(load_classifier({str(exported)!r}).logits(x).tolist())); "
            "print(json.dumps(sorted(m for m in sys.modules if m.startswith('tests'))))")
    out = subprocess.run([sys.executable, "-c", code], input=json.dumps(x.tolist()), capture_output=True, text=True,
                         check=True, cwd=REPO_ROOT, env={"PYTHONPATH": str(REPO_ROOT), "PATH": ""}).stdout.splitlines()
    with torch.no_grad():
        expected = trained(torch.from_numpy(x)[:, None])
    assert torch.equal(torch.tensor(json.loads(out[0]), dtype=torch.float32), expected)
    assert json.loads(out[1]) == []


def test_export_keeps_the_models_mode_and_freezes_eval(tmp_path, mnist):
    model = TinyCNN().train()
    model(torch.rand(16, 1, 28, 28))  # running statistics move away from their start
    export_classifier(model, tmp_path / "e")
    assert model.training, "the model is left in the mode it was in"
    x = torch.from_numpy(np.ascontiguousarray(mnist.X_test[:4]))[:, None]
    with torch.no_grad():
        assert torch.equal(load_classifier(tmp_path / "e").logits(x), model.eval()(x))  # batch norm as in eval


@pytest.mark.parametrize("x, message", [
    (torch.zeros(2, 28, 28), r"\(B, 1, 28, 28\)"),
    (torch.zeros(2, 1, 32, 32), r"float32 images of shape \(B, 1, 28, 28\)"),
    (torch.zeros(2, 1, 28, 28, dtype=torch.float64), "torch.float64"),
    (torch.zeros(0, 1, 28, 28), "1 <= B"),
    (torch.zeros(MAX_BATCH + 1, 1, 28, 28), f"B <= {MAX_BATCH}"),
])
def test_wrong_inputs_are_refused_with_the_contract(exported, x, message):
    with pytest.raises(ValueError, match=message):
        load_classifier(exported).logits(x)


def test_models_that_cannot_be_served_are_refused_at_export(tmp_path):
    class TwoOutputs(torch.nn.Module):
        def forward(self, x):
            return x.flatten(1)[:, :3]

    with pytest.raises(ValueError, match=r"must return \(B, 10\) logits.*returns \(2, 3\)"):
        export_classifier(TwoOutputs(), tmp_path / "a")

    class HiddenConstant(TinyCNN):
        def __init__(self):
            super().__init__()
            self.scale = torch.ones(10)  # neither a parameter nor a buffer

        def forward(self, x):
            return super().forward(x) * self.scale

    with pytest.raises(ValueError, match="register_buffer"):
        export_classifier(HiddenConstant(), tmp_path / "b")
    with pytest.raises(ValueError, match="distinct"):
        export_classifier(TinyCNN(), tmp_path / "c", labels=["a", "a"])
    assert not (tmp_path / "a").exists() and not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_a_changed_byte_is_a_checksum_mismatch(copy):
    data = bytearray((copy / WEIGHTS).read_bytes())
    data[-1] ^= 0x01
    (copy / WEIGHTS).write_bytes(bytes(data))
    with pytest.raises(ArtefactError, match=r"weights\.safetensors: SHA-256 mismatch.*export the model again") as err:
        load_classifier(copy)
    assert err.value.public == "checksum mismatch in weights.safetensors"


def test_missing_pieces(copy, tmp_path):
    with pytest.raises(ArtefactError, match="no exported model here") as err:
        load_classifier(tmp_path / "nowhere")
    assert err.value.public == "model artefacts missing"
    (copy / PROGRAM).unlink()
    with pytest.raises(ArtefactError, match=r"program\.json: missing") as err:
        load_classifier(copy)
    assert err.value.public == "model artefact program.json missing"
    (copy / MANIFEST).unlink()
    with pytest.raises(ArtefactError, match="no manifest.json"):
        load_classifier(copy)


@pytest.mark.parametrize("change, message", [
    (lambda m: m.update(format_version=2), "format version 2"),
    (lambda m: m.update(format="aimastery-capstone-classifier"), "not a manifest"),
    (lambda m: m["files"].update({"../../etc/passwd": {"sha256": "0" * 64}}), "not a file name"),
    (lambda m: m["files"].pop(PROGRAM), "does not list program.json"),
    (lambda m: m.update(labels=["0"] * 10), "distinct names"),
    (lambda m: m["input"].update(shape=[1, 28, -1]), "positive sizes"),
    (lambda m: m.pop("parameters"), "lacks 'parameters', 'buffers'"),
])
def test_the_manifest_is_validated(copy, change, message):
    manifest = json.loads((copy / MANIFEST).read_text())
    change(manifest)
    (copy / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(ArtefactError, match=message) as err:
        load_classifier(copy)
    assert str(copy) not in err.value.public and "/" not in err.value.public


@pytest.mark.parametrize("tamper, message", [
    (lambda t: t.update({"fc.bias": torch.zeros(11)}), r"fc\.bias is torch\.float32 \[11\]; the program takes "
                                                       r"torch\.float32 \[10\]"),
    (lambda t: t.update({"conv1.weight": t["conv1.weight"].double()}), "conv1.weight is torch.float64"),
    (lambda t: t.update({"extra": torch.zeros(3)}), r"lacks \[\] and has \['extra'\]"),
    (lambda t: t.pop("bn1.running_var"), r"lacks \['bn1\.running_var'\]"),
    (lambda t: t.pop("fc.weight"), r"lacks \['fc\.weight'\]"),
    (lambda t: t["fc.bias"].__setitem__(0, float("nan")), "NaN"),
])
def test_weights_that_do_not_fit_the_graph_are_refused_even_when_rehashed(copy, tamper, message):
    tensors = load_file(str(copy / WEIGHTS))
    tamper(tensors)
    save_file(tensors, str(copy / WEIGHTS))
    rehash(copy)
    with pytest.raises(ArtefactError, match=message):
        load_classifier(copy)


def test_a_program_that_does_not_load_says_export_again(copy):
    program = json.loads((copy / PROGRAM).read_text())
    program["graph_module"]["graph"]["nodes"][0]["target"] = "torch.ops.aten.no_such_op.default"
    (copy / PROGRAM).write_text(json.dumps(program))
    rehash(copy)
    with pytest.raises(ArtefactError, match=r"not a program this torch .* export the model again") as err:
        load_classifier(copy)
    assert err.value.public == "program.json cannot be loaded"


def test_exporting_replaces_a_folder_whole(copy, trained):
    (copy / "stale.txt").write_text("from an older export")
    export_classifier(trained, copy)
    assert sorted(p.name for p in copy.iterdir()) == [MANIFEST, PROGRAM, WEIGHTS]
    assert not [p for p in copy.parent.iterdir() if p.name.startswith(".")]  # no temporary folder left
