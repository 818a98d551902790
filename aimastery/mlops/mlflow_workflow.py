"""The registry workflow of the MLOps chapter, in MLflow's model registry (local SQLite backend, offline).

Taught in the MLOps chapter (book/mlops.md), which explains why the book
does not run it: MLflow does not install alongside the course's pinned
packages. Where MLflow is installed, ``run_mlflow_workflow`` does what the
chapter does with :class:`aimastery.mlops.registry.ModelRegistry`: one run
per training (parameters, metrics, lineage tags, the artefacts folder),
a registered model version per run, aliases, a promotion behind the same
:class:`~aimastery.mlops.gate.MetricGate` (MLflow has none: the gate is
your code around it), a rollback, and loading the production model back,
verified by :func:`aimastery.capstone.artefacts.load_artefacts`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from aimastery.capstone.artefacts import Artefacts, load_artefacts
from aimastery.mlops.gate import MetricGate
from aimastery.mlops.registry import code_version


def run_mlflow_workflow(workdir: str | Path, name: str,
                        artefact_dirs: Sequence[Path], *, gate: MetricGate,
                        score: Callable[[Artefacts], dict]) -> dict[str, Any]:
    """Register ``artefact_dirs`` as versions 1, 2, ... of ``name``;
    promote each in turn through ``gate``; roll back once; load production.

    Returns what happened: each version's gate decision, the production
    version before and after the rollback, the loaded model's version.
    """
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")  # no network
    os.environ.setdefault("DO_NOT_TRACK", "true")
    import mlflow
    from mlflow import MlflowClient

    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    uri = f"sqlite:///{workdir / 'mlflow.db'}"  # the local SQLite backend
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    experiment = client.create_experiment(
        name, artifact_location=(workdir / "artifacts").as_uri())
    client.create_registered_model(name, description="issue classifier")
    code = code_version()

    decisions, production = [], []
    for k, folder in enumerate(artefact_dirs, start=1):
        manifest = load_artefacts(folder).manifest  # SHA-256 checked
        held_out = manifest["metrics"]["held_out"]
        with mlflow.start_run(experiment_id=experiment) as run:
            mlflow.log_params({key: value
                               for key, value in manifest["model"].items()
                               if isinstance(value, (int, float, str))})
            mlflow.log_metrics({"accuracy": held_out["accuracy"],
                                "macro_f1": held_out["macro_f1"]})
            mlflow.set_tags({  # the lineage
                "training_data_sha256": manifest["training_data"]["sha256"],
                "git_commit": code["git_commit"] or "",
                "source_sha256": code["source_sha256"],
                "parent": str(k - 1) if k > 1 else ""})
            mlflow.log_artifacts(str(folder), artifact_path="model")
        mv = client.create_model_version(
            name, source=f"{run.info.artifact_uri}/model",
            run_id=run.info.run_id,
            tags={"model_version": manifest["model_version"]})
        client.set_registered_model_alias(name, "staging", mv.version)

        # The gate: MLflow has none, it is code around the registry.
        incumbent = production[-1] if production else None
        candidate_scores = score(load_artefacts(folder))
        incumbent_scores = (score(load_artefacts(artefact_dirs[incumbent - 1]))
                            if incumbent else None)
        reasons = gate.failures(candidate_scores, incumbent_scores)
        if not reasons:
            client.set_registered_model_alias(name, "production", mv.version)
            production.append(int(mv.version))
        client.set_model_version_tag(name, mv.version, "gate",
                                     "; ".join(reasons) or "passed")
        decisions.append({"version": int(mv.version),
                          "promoted": not reasons, "reasons": reasons})

    before = int(client.get_model_version_by_alias(name, "production").version)
    if len(production) >= 2:  # the rollback: the alias to the previous one
        production.pop()
        client.set_registered_model_alias(name, "production", production[-1])
    after = client.get_model_version_by_alias(name, "production")
    local = mlflow.artifacts.download_artifacts(
        artifact_uri=after.source, dst_path=str(workdir / "download"))
    loaded = load_artefacts(local)  # every file's SHA-256, checked as always
    versions = client.search_model_versions(f"name='{name}'")
    return {"decisions": decisions, "production_before_rollback": before,
            "production_after_rollback": int(after.version),
            "loaded_model_version": loaded.version,
            "versions": [int(v.version) for v in versions]}
