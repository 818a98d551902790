"""The issue classifier as a FastAPI service.

Taught in the capstone chapter (book/capstone_issue_classifier.md). Run it
with ``make serve-api PORT=8000`` or ``python -m aimastery.capstone serve``
(uvicorn, several workers); build one in-process with :func:`create_app`.

Endpoints:

* ``GET /health``: the process is alive (always 200; no model needed);
* ``GET /ready``: 200 once the model is loaded; 503 with a short reason otherwise
  (the full one, with paths and hashes, goes to the server log only);
* ``GET /model``: version, labels, training metrics, when it was loaded;
* ``POST /predict``: one issue -> label, probabilities, model version, latency;
* ``POST /predict/batch``: up to 100 issues;
* ``GET /metrics``: Prometheus metrics (all workers' values).

Client errors are 4xx with a message that says what is accepted: 422 for a
body that breaks the schema (or is not JSON; at most ten problems, never
echoing the input or the names of unknown fields), 415 for a body not
declared as UTF-8 JSON, 401 for a missing or wrong API key, 413 for a
request body over 16 MiB (declared or, for a chunked body, counted as it
arrives); 503 while no model is loaded.

Configuration, from the environment (:meth:`Settings.from_env`):
``AIM_ARTEFACTS_DIR`` (default ``artefacts/capstone``) and ``AIM_API_KEY``:
when set and not empty, ``/predict``, ``/predict/batch`` and ``/model``
need an ``X-API-Key`` header with that value (compared as SHA-256
digests in constant time). ``/health``, ``/ready`` and
``/metrics`` stay open for probes and scrapers: keep them off the public
internet.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import os
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, HTTPException, Request, Security
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from fastapi.security import APIKeyHeader

import aimastery
from aimastery.capstone.artefacts import ArtefactError, default_artefacts_dir
from aimastery.capstone.edge import (  # noqa: F401 (BodyTooLarge, LimitRequestSize: imported from here by the lab)
    JSON_ACCEPTED, BodyTooLarge, LimitRequestSize, RequireJSON, install_error_handlers, unreadable_body_error,
)
from aimastery.capstone.metrics import MetricsMiddleware, PredictionMonitor, ServiceMetrics, mark_worker_dead
from aimastery.capstone.predictor import Predictor
from aimastery.capstone.schemas import (
    BATCH_ACCEPTS, ISSUE_ACCEPTS, BatchIn, BatchOut, ErrorOut, HealthOut, IssueIn, LabelledOut, ModelOut,
    PredictionOut, ReadyOut, ValidationErrorOut,
)

API_KEY_ENV = "AIM_API_KEY"
API_KEY_HEADER = "X-API-Key"
MAX_REQUEST_BYTES = 16 * 1024 * 1024  # 100 issues of 21,000 characters, JSON-escaped, fit easily

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Settings:
    artefacts_dir: Path
    api_key: str | None = None
    max_request_bytes: int = MAX_REQUEST_BYTES

    @classmethod
    def from_env(cls) -> Settings:
        key = os.environ.get(API_KEY_ENV, "").strip()
        return cls(default_artefacts_dir(), key or None)


@dataclass
class ModelState:
    """What the worker loaded at start-up: a predictor (anything with a ``version``), or the reason there is none."""

    predictor: Any = None
    error: str | None = "the model has not been loaded yet (the service is starting)"
    loaded_at: str | None = None
    load_seconds: float = 0.0

    @classmethod
    def load(cls, path: Path, loader: Callable[[Path], Any] | None = None,
             logger: logging.Logger = log) -> ModelState:
        """``loader(path)`` (default: the issue classifier's), timed; an :class:`ArtefactError` becomes the reason."""
        start = time.perf_counter()
        try:
            predictor = (loader or Predictor.load)(path)
        except ArtefactError as err:
            # The operator reads the whole story in the log; an anonymous client on /ready
            # gets the short reason: no directory, no hash, no command to run.
            logger.error("no model loaded from the artefacts: %s", err)
            return cls(error=f"{err.public} (details in the server log)")
        return cls(predictor, None, dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                   time.perf_counter() - start)


def require_model(request: Request) -> Any:
    """The loaded predictor, or a 503 that says why there is none."""
    state: ModelState = request.app.state.model
    if state.predictor is None:
        raise HTTPException(503, f"no model loaded: {state.error}")
    return state.predictor


def add_operations_routes(app: FastAPI, metrics: ServiceMetrics) -> None:
    """``GET /health``, ``GET /ready`` and ``GET /metrics``, for probes and scrapers (``app.state.model``
    holds the :class:`ModelState`)."""

    @app.get("/health", response_model=HealthOut, tags=["operations"])
    async def health() -> HealthOut:
        """Liveness: the process answers. Says nothing about the model."""
        return HealthOut()

    @app.get("/ready", response_model=ReadyOut, tags=["operations"],
             responses={503: {"model": ReadyOut, "description": "Not ready: the reason says why."}})
    async def ready(request: Request):
        """Readiness: 200 once the model is loaded and verified, 503 with the reason otherwise."""
        state: ModelState = request.app.state.model
        if state.predictor is None:
            return JSONResponse(ReadyOut(ready=False, reason=state.error).model_dump(), status_code=503)
        return ReadyOut(ready=True, model_version=state.predictor.version)

    @app.get("/metrics", tags=["operations"], response_class=Response,
             responses={200: {"content": {"text/plain": {}}, "description": "Prometheus text format."}})
    async def prometheus_metrics() -> Response:
        """Prometheus metrics: requests and latency by route and status, predictions by label, model load time."""
        body, content_type = metrics.exposition()
        return Response(body, media_type=content_type)


ERRORS = {401: {"model": ErrorOut, "description": f"Missing or wrong {API_KEY_HEADER} (when a key is set)."},
          503: {"model": ErrorOut, "description": "No model is loaded (see GET /ready for why)."}}
BODY_ERRORS = {413: {"model": ErrorOut, "description": "The request body is too large."},
               415: {"model": ErrorOut, "description": f"The body is not declared as JSON: {JSON_ACCEPTED}."},
               422: {"model": ValidationErrorOut, "description": "The body breaks the schema, or is not JSON."}}


def create_app(settings: Settings | None = None, *, monitor: PredictionMonitor | None = None) -> FastAPI:
    """A new service. The model is loaded once per worker, at start-up (the lifespan).

    ``monitor`` (e.g. :class:`aimastery.mlops.monitor.DriftMonitor`) sees every classified issue.
    """
    settings = settings or Settings.from_env()
    metrics = ServiceMetrics(monitor)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.model = ModelState.load(settings.artefacts_dir)
        if app.state.model.predictor is not None:
            metrics.model_load_seconds.set(app.state.model.load_seconds)
        yield
        mark_worker_dead()

    app = FastAPI(title="GitHub issue classifier", version=aimastery.__version__, lifespan=lifespan,
                  description="Classifies a GitHub issue as bug, feature, question or documentation.")
    app.state.model = ModelState()
    app.state.metrics = metrics
    app.add_middleware(RequireJSON, paths=("/predict", "/predict/batch"))
    app.add_middleware(LimitRequestSize, max_bytes=settings.max_request_bytes)
    app.add_middleware(MetricsMiddleware, metrics=metrics)  # outermost: counts the 413s too

    api_key_header = APIKeyHeader(name=API_KEY_HEADER, auto_error=False,
                                  description=f"Needed when the server sets {API_KEY_ENV}.")

    # Compare SHA-256 digests, not the keys: == would stop at the first wrong character, and
    # compare_digest on the keys themselves still returns at once when the lengths differ, which
    # tells an attacker the key's length. Digests are always 32 bytes. HTTP header values arrive
    # decoded as Latin-1, so encoding them back gives the (UTF-8) bytes the client sent.
    expected_digest = hashlib.sha256(settings.api_key.encode("utf-8")).digest() if settings.api_key else b""

    def require_api_key(key: str | None = Security(api_key_header)) -> None:
        if key is None or not hmac.compare_digest(hashlib.sha256(key.encode("latin-1")).digest(), expected_digest):
            raise HTTPException(401, f"missing or wrong {API_KEY_HEADER} header",
                                headers={"WWW-Authenticate": f'ApiKey header="{API_KEY_HEADER}"'})

    # The schema declares the key only when one is set: without it, the API is open, and says so.
    auth = [Depends(require_api_key)] if settings.api_key else []
    errors = ERRORS if settings.api_key else {k: v for k, v in ERRORS.items() if k != 401}
    # FastAPI's bare 400 for a body json.loads cannot start on: the same 422 as any broken JSON
    install_error_handlers(app, {"/predict": ISSUE_ACCEPTS, "/predict/batch": BATCH_ACCEPTS},
                           lambda exc: unreadable_body_error(exc.__cause__))
    add_operations_routes(app, metrics)

    @app.get("/model", response_model=ModelOut, responses=errors, tags=["model"], dependencies=auth)
    async def model_info(request: Request) -> ModelOut:
        """The loaded model: version, labels, held-out metrics from training, load time."""
        predictor = require_model(request)
        state: ModelState = request.app.state.model
        manifest = predictor.artefacts.manifest
        return ModelOut(version=predictor.version, labels=list(predictor.labels),
                        metrics=manifest.get("metrics", {}), training_data=manifest.get("training_data", {}),
                        loaded_at=state.loaded_at or "", load_seconds=round(state.load_seconds, 4))

    @app.post("/predict", response_model=PredictionOut, responses={**errors, **BODY_ERRORS}, tags=["model"],
              dependencies=auth)
    async def predict(issue: IssueIn, request: Request) -> PredictionOut:
        """Classify one issue.

        Runs in the event loop: the model takes well under a millisecond, about
        what handing the work to a thread and back would cost.
        """
        predictor = require_model(request)
        start = time.perf_counter()
        result = predictor.predict(issue.title, issue.body)
        latency_ms = (time.perf_counter() - start) * 1e3
        metrics.count_prediction(issue.title, issue.body, result.label)
        return PredictionOut(label=result.label, probabilities=result.probabilities,
                             model_version=predictor.version, latency_ms=round(latency_ms, 4))

    @app.post("/predict/batch", response_model=BatchOut, responses={**errors, **BODY_ERRORS}, tags=["model"],
              dependencies=auth)
    async def predict_batch(batch: BatchIn, request: Request) -> BatchOut:
        """Classify up to 100 issues; predictions come back in the order sent.

        Runs in a worker thread: a full batch of long issues takes long enough
        that the event loop should stay free for other requests meanwhile.
        """
        predictor = require_model(request)
        start = time.perf_counter()
        results = await run_in_threadpool(predictor.predict_many, [(i.title, i.body) for i in batch.issues])
        latency_ms = (time.perf_counter() - start) * 1e3
        for issue, result in zip(batch.issues, results):
            metrics.count_prediction(issue.title, issue.body, result.label)
        return BatchOut(predictions=[LabelledOut(label=r.label, probabilities=r.probabilities) for r in results],
                        model_version=predictor.version, latency_ms=round(latency_ms, 4))

    return app
