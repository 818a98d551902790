# syntax=docker/dockerfile:1
# The GitHub issue classifier as a container (book/capstone_issue_classifier.md).
#
#   docker build -t issue-classifier .
#   docker run --rm -p 8000:8000 [-e AIM_API_KEY=...] issue-classifier
#
# Three stages: "trainer" trains the model with the full training stack
# (PyTorch, scikit-learn) and verifies its artefacts; "serve-deps" builds a
# virtual environment with only what serving needs; "runtime" copies that
# environment, the service code and the artefacts, and runs as a non-root user.
# No container engine runs in the course's CI: tests/capstone/test_deployment.py
# checks this file against the code (files, command, port, health check, pins).

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# ---- 1. train the model (this stage is discarded)
FROM ${PYTHON_IMAGE} AS trainer
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 HF_HUB_OFFLINE=1
WORKDIR /src
COPY aimastery/capstone/requirements-train.txt ./
RUN pip install --no-cache-dir --index-url https://download.pytorch.org/whl/cpu torch==2.13.0 \
 && pip install --no-cache-dir -r requirements-train.txt
COPY aimastery/__init__.py aimastery/artefacts.py aimastery/atomic.py aimastery/config.py aimastery/
COPY aimastery/capstone/ aimastery/capstone/
RUN python -m aimastery.capstone train --out /artefacts --quiet \
 && python -m aimastery.capstone verify --artefacts /artefacts

# ---- 2. the service's dependencies, and nothing else
FROM ${PYTHON_IMAGE} AS serve-deps
ENV PIP_DISABLE_PIP_VERSION_CHECK=1
COPY aimastery/capstone/requirements-serve.txt /tmp/
RUN python -m venv /venv \
 && /venv/bin/pip install --no-cache-dir --no-deps -r /tmp/requirements-serve.txt

# ---- 3. the image that runs
FROM ${PYTHON_IMAGE} AS runtime
ENV PATH=/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    AIM_ARTEFACTS_DIR=/app/artefacts \
    PROMETHEUS_MULTIPROC_DIR=/tmp/prometheus
RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin app
WORKDIR /app
COPY --from=serve-deps /venv /venv
COPY aimastery/__init__.py aimastery/artefacts.py aimastery/atomic.py aimastery/config.py aimastery/
COPY aimastery/capstone/ aimastery/capstone/
COPY --from=trainer --chown=app:app /artefacts /app/artefacts
USER app
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=2).status != 200)"]
CMD ["python", "-m", "aimastery.capstone", "serve", "--host", "0.0.0.0", "--port", "8000", "--workers", "2", "--no-train"]
