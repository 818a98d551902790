"""MLOps for the capstone's classifier: features, a registry, drift, monitoring.

Taught in the MLOps chapter (book/mlops.md). One idea per module:

* :mod:`~aimastery.mlops.pit` — point-in-time joins (from scratch, and DuckDB's
  ``ASOF JOIN`` as the oracle), and the naive join that leaks;
* :mod:`~aimastery.mlops.feature_store` — entities, feature views, an offline
  and an online store on SQLite, materialisation;
* :mod:`~aimastery.mlops.issue_stream` — the capstone's issues as a stream
  in time, with reporters and triage; :mod:`~aimastery.mlops.leakage` —
  what the naive join costs, offline and in production;
* :mod:`~aimastery.mlops.gate`, :mod:`~aimastery.mlops.registry` — a model
  registry for the capstone's artefacts with lineage, aliases, a metric gate
  and rollback; :mod:`~aimastery.mlops.crash` — writers killed mid-write;
* :mod:`~aimastery.mlops.drift` — PSI, Kolmogorov–Smirnov, chi-squared and
  embedding drift from scratch; :mod:`~aimastery.mlops.shift` — simulated
  shifts; :mod:`~aimastery.mlops.detection` — detection delay and false
  alarms, thresholds;
* :mod:`~aimastery.mlops.monitor` — drift gauges in the capstone's service;
  :mod:`~aimastery.mlops.alerts` — Prometheus alerting rules and their
  tests; :mod:`~aimastery.mlops.dashboard` — days of traffic read back from
  ``/metrics``;
* :mod:`~aimastery.mlops.workflow` — the chapter's fixed models and data;
  :mod:`~aimastery.mlops.mlflow_workflow` — the registry workflow in MLflow.
"""
