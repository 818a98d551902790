"""The capstone: a GitHub issue classifier, from data to a deployed service.

Taught in the capstone chapter (book/capstone_issue_classifier.md). One idea
per module:

* :mod:`~aimastery.capstone.issues` — the ``Issue`` record, the four labels,
  the training-data hash;
* :mod:`~aimastery.capstone.synthetic` — a seeded generator of realistic
  synthetic issues, from the words in :mod:`~aimastery.capstone.phrases`;
* :mod:`~aimastery.capstone.data` — hand-written real-style issues, an
  evaluation set kept out of training (a development and a held-out part);
* :mod:`~aimastery.capstone.loader` — real exported issues (JSONL, JSON, CSV)
  with bad rows reported by line number;
* :mod:`~aimastery.capstone.features` — TF-IDF features, reproduced in NumPy
  for serving;
* :mod:`~aimastery.capstone.models` — the TF-IDF classifiers: logistic
  regression (scikit-learn, the one the service serves) and a small MLP
  (PyTorch); :mod:`~aimastery.capstone.embedding` — a linear head
  on MiniLM sentence embeddings (from :mod:`aimastery.pretrained`);
* :mod:`~aimastery.capstone.evaluation` — metrics and their figures;
* :mod:`~aimastery.capstone.artefacts` — safetensors + JSON with a manifest
  of SHA-256 hashes, verified at load;
* :mod:`~aimastery.capstone.predictor` — the NumPy-only predictor the
  service runs;
* :mod:`~aimastery.capstone.schemas`, :mod:`~aimastery.capstone.metrics`,
  :mod:`~aimastery.capstone.service` — the FastAPI service and its
  Prometheus metrics; :mod:`~aimastery.capstone.server` — uvicorn with
  several workers; :mod:`~aimastery.capstone.loadgen` — a load generator;
* :mod:`~aimastery.capstone.train` — the training pipeline behind
  ``python -m aimastery.capstone train``.

The serving side (predictor, schemas, metrics, service, server) imports only
NumPy, safetensors, FastAPI, Pydantic, uvicorn and prometheus-client: no
PyTorch, no scikit-learn, which keeps the Docker image small.
"""
