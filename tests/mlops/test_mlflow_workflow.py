"""The registry workflow in MLflow, where MLflow is installed (it is not, alongside the course's pins)."""

from __future__ import annotations

import pytest

from aimastery.capstone.synthetic import generate_issues
from aimastery.mlops.gate import MetricGate, score_artefacts

mlflow = pytest.importorskip(
    "mlflow", reason="MLflow does not install alongside the course's pins: mlflow 3.17.2 would downgrade "
                     "importlib_metadata 10.2.0 -> 9.1.0, graphql-core 3.3.2 -> 3.2.14 and python-dateutil "
                     "4.0.0 -> 2.9.0.post0 (see book/mlops.md)")


def test_the_same_workflow_in_mlflows_registry(tmp_path, trained):
    from aimastery.mlops.mlflow_workflow import run_mlflow_workflow

    issues = generate_issues(40, seed=2026)
    out = run_mlflow_workflow(tmp_path / "mlflow", "issue-classifier",
                              [trained["decent"], trained["better"], trained["bad"]],
                              gate=MetricGate(min_value=0.5), score=lambda a: score_artefacts(a, issues))
    assert [d["promoted"] for d in out["decisions"]] == [True, True, False]
    assert out["production_before_rollback"] == 2 and out["production_after_rollback"] == 1
    assert sorted(out["versions"]) == [1, 2, 3]
