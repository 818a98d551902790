"""``python -m aimastery.capstone``: train (from an export, with a progress bar), verify."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from aimastery.capstone.artefacts import WEIGHTS, read_manifest
from aimastery.capstone.synthetic import generate_issues
from aimastery.config import REPO_ROOT


def run(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    return subprocess.run([sys.executable, "-m", "aimastery.capstone", *args], capture_output=True, text=True,
                          env=env, cwd=REPO_ROOT, timeout=600)


def test_train_on_an_export_then_verify(tmp_path):
    export = tmp_path / "issues.jsonl"
    rows = [{"title": i.title, "body": i.body, "labels": [{"name": i.label}]} for i in generate_issues(40, seed=2)]
    rows.insert(3, {"title": "", "labels": ["bug"]})  # line 4
    rows.insert(9, {"title": "Release 2.0", "labels": ["release"]})  # line 10
    export.write_text("\n".join(json.dumps(r) for r in rows))
    out = tmp_path / "artefacts"

    evaluation = tmp_path / "real.json"  # scored, never trained on
    evaluation.write_text(json.dumps([{"title": "Crash when saving", "body": "", "labels": [{"name": "bug"}]},
                                      {"title": "Add dark mode?", "body": None, "labels": ["enhancement"]}]))
    trained = run("train", "--data", str(export), "--out", str(out), "--epochs", "2", "--eval-data", str(evaluation))
    assert trained.returncode == 0, trained.stderr
    assert "160 issues loaded, 2 rows skipped" in trained.stdout
    assert "line 4: missing title" in trained.stdout and "line 10: no known label" in trained.stdout
    assert "training TF-IDF MLP" in trained.stderr and "100%" in trained.stderr  # the progress bar
    summary = json.loads(trained.stdout.strip().splitlines()[-1])
    manifest = read_manifest(out)
    assert summary["model_version"] == manifest["model_version"]
    assert set(summary["out_of_distribution"]) == {"hand-written, dev", "hand-written, held out", "real.json"}
    assert manifest["metrics"]["out_of_distribution"]["real.json"]["per_class"]["bug"]["support"] == 1
    assert manifest["training_data"]["source"] == "issues.jsonl"
    assert manifest["training_data"]["rows_skipped"] == 2

    verified = run("verify", "--artefacts", str(out))
    assert verified.returncode == 0 and "OK, every file matches" in verified.stdout
    assert "accuracy on hand-written, held out:" in verified.stdout

    with open(out / WEIGHTS, "r+b") as f:
        f.seek(-4, 2)
        f.write(b"\xde\xad\xbe\xef")
    tampered = run("verify", "--artefacts", str(out))
    assert tampered.returncode == 1 and "SHA-256 mismatch" in tampered.stderr


def test_clear_errors_for_bad_input(tmp_path):
    missing = run("train", "--data", str(tmp_path / "nope.csv"), "--out", str(tmp_path / "a"))
    assert missing.returncode == 1 and "no such file" in missing.stderr
    nothing = run("verify", "--artefacts", str(tmp_path / "nothing"))
    assert nothing.returncode == 1 and "no artefacts here" in nothing.stderr
