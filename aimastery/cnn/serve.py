"""The digit model as a FastAPI service: upload a PNG, get the digit and every digit's probability.

Taught in Week 5 (book/week05_cnn.md, "Serving the digit model"). Build one
in-process with :func:`create_app` (the chapter and the tests call it with
FastAPI's ``TestClient``), or run ``make serve-digits DIR=folder`` /
``python -m aimastery.cnn.serve --artefacts folder`` on an export written by
:func:`aimastery.cnn.export.export_classifier`.

It is built from the capstone service's pieces (book/capstone_issue_classifier.md),
not from a copy of them: the size limit, the content-type check, the bounded
422s that say what is accepted and the 400-to-422 handler
(:mod:`aimastery.capstone.edge`), the Prometheus metrics and their middleware
(:mod:`aimastery.capstone.metrics`), the model state, ``/health``, ``/ready``
and ``/metrics`` (:mod:`aimastery.capstone.service`), and its response models.

Endpoints:

* ``POST /predict``: ``multipart/form-data`` with one field ``file``, a PNG
  -> ``digit``, ``label``, ``probabilities`` (all ten), ``model_version``,
  ``latency_ms`` (decoding, preprocessing and the model, in the server);
* ``GET /model``: the export's version, labels, metrics, when it was loaded;
* ``GET /health``, ``GET /ready``, ``GET /metrics``: as in the capstone.

Every refusal is a 4xx that says what was wrong and what is accepted: 415
for a body that is not ``multipart/form-data`` or a file declared as another
type than ``image/png``; 413 for a body over :data:`MAX_UPLOAD_BYTES`; 422 for
a missing ``file`` field, a body that is not valid multipart, an empty file,
a file that is not a PNG, a damaged PNG, more than
:data:`~aimastery.cnn.preprocess.MAX_PIXELS` pixels (refused from the
header, before any pixel is decoded: :mod:`aimastery.cnn.preprocess`), or an
image with no digit in it; 503 while no model is loaded.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from fastapi import FastAPI, File, HTTPException, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from prometheus_client import Counter
from pydantic import Field

import aimastery
from aimastery.artefacts import MANIFEST
from aimastery.capstone.edge import LimitRequestSize, RequireContentType, install_error_handlers, media_type
from aimastery.capstone.metrics import MetricsMiddleware, ServiceMetrics, mark_worker_dead
from aimastery.capstone.schemas import ErrorOut, ModelOut, PredictionOut, ValidationErrorOut
from aimastery.capstone.service import ModelState, add_operations_routes, require_model
from aimastery.cnn.export import ExportedClassifier, load_classifier
from aimastery.cnn.preprocess import PNG_ACCEPTED, ImageRejected, png_to_mnist
from aimastery.config import REPO_ROOT

#: Environment variable naming the folder of the exported model (``create_app`` reads it).
DIGITS_ENV = "AIM_DIGITS_DIR"
#: The largest request body: a PNG of 12 megapixels that compresses badly still fits.
MAX_UPLOAD_BYTES = 16 * 1024 * 1024
FILE_FIELD = "file"
#: The file part may be declared as one of these (or not declared); anything else is a 415.
FILE_TYPES = frozenset({"image/png", "application/octet-stream"})
UPLOAD_ACCEPTED = (f"multipart/form-data with one field {FILE_FIELD!r} holding {PNG_ACCEPTED}; the file part "
                   f"declared as image/png (or application/octet-stream, or not declared); the whole body at most "
                   f"{MAX_UPLOAD_BYTES:,} bytes")

log = logging.getLogger(__name__)


def default_digits_dir() -> Path:
    """``$AIM_DIGITS_DIR`` if set, else ``artefacts/digits`` in the repository."""
    return Path(os.environ.get(DIGITS_ENV) or REPO_ROOT / "artefacts" / "digits")


@dataclass(frozen=True)
class DigitSettings:
    artefacts_dir: Path
    max_request_bytes: int = MAX_UPLOAD_BYTES

    @classmethod
    def from_env(cls) -> DigitSettings:
        return cls(default_digits_dir())


class DigitOut(PredictionOut):
    digit: int = Field(ge=0, le=9, description="The most probable digit (its label is `label`).")


def is_multipart(value: str | None) -> bool:
    """A request Content-Type of ``multipart/form-data`` (with any parameters, such as the boundary)."""
    return media_type(value)[0] == "multipart/form-data"


def upload_problem(kind: str, message: str) -> RequestValidationError:
    """A problem with the uploaded file, as the 422 every other validation error gets."""
    return RequestValidationError([{"type": kind, "loc": ("body", FILE_FIELD), "msg": message}])


def unreadable_multipart(exc) -> RequestValidationError:
    """FastAPI's bare 400 for a body the multipart parser gave up on, as a 422."""
    return RequestValidationError([{"type": "multipart_invalid", "loc": ("body",),
                                    "msg": f"the body is not valid multipart/form-data ({exc.detail})"}])


def classify(model: ExportedClassifier, data: bytes) -> tuple[int, np.ndarray]:
    """PNG bytes -> (digit, probabilities (10,)); :class:`ImageRejected` for an unusable upload."""
    x = png_to_mnist(data)  # (28, 28) float32 in [0, 1]
    probs = model.predict_proba(x[None, None])[0]  # (1, 1, 28, 28) -> (10,)
    return int(np.argmax(probs)), probs


ERRORS = {503: {"model": ErrorOut, "description": "No model is loaded (see GET /ready for why)."}}
UPLOAD_ERRORS = {
    413: {"model": ErrorOut, "description": "The request body is too large."},
    415: {"model": ErrorOut, "description": "The body is not multipart/form-data, or the file is not declared "
                                            "as a PNG."},
    422: {"model": ValidationErrorOut, "description": "No file field, an unreadable body, or a file that is "
                                                      "not a usable PNG of a digit (the message says which)."},
}


def create_app(settings: DigitSettings | None = None) -> FastAPI:
    """A new digit service; the exported model is loaded and verified once, at start-up (the lifespan)."""
    settings = settings or DigitSettings.from_env()
    metrics = ServiceMetrics(predicted="Digits")
    rejected = Counter("uploads_rejected", "Uploads refused as unusable, by reason.", ["reason"],
                       registry=metrics.registry)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.model = ModelState.load(settings.artefacts_dir, load_classifier, log)
        if app.state.model.predictor is not None:
            metrics.model_load_seconds.set(app.state.model.load_seconds)
        yield
        mark_worker_dead()

    app = FastAPI(title="Handwritten digit classifier", version=aimastery.__version__, lifespan=lifespan,
                  description="Reads the digit in a PNG image with the CNN of Week 5 (trained on MNIST).")
    app.state.model = ModelState()
    app.state.metrics = metrics
    app.add_middleware(RequireContentType, paths=("/predict",), accepts=is_multipart, accepted=UPLOAD_ACCEPTED)
    app.add_middleware(LimitRequestSize, max_bytes=settings.max_request_bytes)
    app.add_middleware(MetricsMiddleware, metrics=metrics)  # outermost: counts the 413s and 415s too
    install_error_handlers(app, {"/predict": UPLOAD_ACCEPTED}, unreadable_multipart)
    add_operations_routes(app, metrics)

    @app.get("/model", response_model=ModelOut, responses=ERRORS, tags=["model"])
    async def model_info(request: Request) -> ModelOut:
        """The loaded export: version, labels, metrics recorded at export, load time."""
        model: ExportedClassifier = require_model(request)
        state: ModelState = request.app.state.model
        return ModelOut(version=model.version, labels=list(model.labels), metrics=model.manifest.get("metrics", {}),
                        training_data=model.manifest.get("training_data", {}), loaded_at=state.loaded_at or "",
                        load_seconds=round(state.load_seconds, 4))

    @app.post("/predict", response_model=DigitOut, responses={**ERRORS, **UPLOAD_ERRORS}, tags=["model"])
    async def predict(request: Request, file: UploadFile = File(description=f"The image: {PNG_ACCEPTED}.")
                      ) -> DigitOut:
        """Read the digit in one PNG image.

        The image is decoded, turned into an MNIST-style 28x28 digit (greyscale,
        light ink on black, fitted in 20x20, centred by its centre of mass) and
        classified, in a worker thread: a large photograph takes tens of
        milliseconds to decode, and the event loop stays free meanwhile.
        """
        model: ExportedClassifier = require_model(request)
        declared = (file.content_type or "").split(";")[0].strip().lower()
        if declared and declared not in FILE_TYPES:
            raise HTTPException(415, f"the file's Content-Type is {ascii(declared[:60])}; this endpoint accepts "
                                     f"{UPLOAD_ACCEPTED}")
        data = await file.read()
        start = time.perf_counter()
        try:
            digit, probs = await run_in_threadpool(classify, model, data)
        except ImageRejected as err:
            rejected.labels(err.kind).inc()
            raise upload_problem(err.kind, err.reason) from None
        latency_ms = (time.perf_counter() - start) * 1e3
        metrics.predictions.labels(model.labels[digit]).inc()
        return DigitOut(digit=digit, label=model.labels[digit],
                        probabilities={label: float(p) for label, p in zip(model.labels, probs)},
                        model_version=model.version, latency_ms=round(latency_ms, 4))

    return app


def main(argv: list[str] | None = None) -> int:
    """``python -m aimastery.cnn.serve``: the service under uvicorn (one worker) until interrupted."""
    import uvicorn

    parser = argparse.ArgumentParser(prog="python -m aimastery.cnn.serve", description=__doc__.split("\n")[0])
    parser.add_argument("--artefacts", type=Path, default=default_digits_dir(),
                        help=f"the exported model's folder (default: ${DIGITS_ENV} or artefacts/digits)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--log-level", default="info")
    args = parser.parse_args(argv)
    if not (args.artefacts / MANIFEST).is_file():
        print(f"No exported model in {args.artefacts}: export one with "
              "aimastery.cnn.export.export_classifier(model, folder) (book/week05_cnn.md, "
              "'Serving the digit model'), then pass its folder with --artefacts.", file=sys.stderr)
        return 1
    os.environ[DIGITS_ENV] = str(args.artefacts.resolve())  # create_app() reads it
    uvicorn.run("aimastery.cnn.serve:create_app", factory=True, host=args.host, port=args.port,
                log_level=args.log_level, access_log=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
