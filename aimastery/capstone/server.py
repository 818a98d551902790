"""Run the service under uvicorn with several workers; start and stop it from tests and benchmarks.

Taught in the capstone chapter (book/capstone_issue_classifier.md).
:func:`serve` is what ``make serve-api`` and the Docker image run;
:func:`running_server` starts it in a subprocess on a free port and always
stops it.

Two details matter in production, and both are handled here:

* **Metrics across workers.** ``PROMETHEUS_MULTIPROC_DIR`` is set to an
  empty folder before any worker starts (see :mod:`.metrics`).
* **TCP_NODELAY.** With ``--workers N`` uvicorn binds the listening socket
  itself with ``proto=0``; asyncio then does not set ``TCP_NODELAY`` on
  accepted connections, and on Linux every keep-alive response waits about
  40 ms for the client's delayed ACK (uvicorn issue #3149). :class:`TcpConfig`
  re-creates the socket with ``IPPROTO_TCP``: measured here, single-client
  latency fell from 44 ms to under 1 ms.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import uvicorn
from uvicorn.supervisors import Multiprocess

from aimastery.capstone.artefacts import ARTEFACTS_ENV, MANIFEST, default_artefacts_dir
from aimastery.capstone.metrics import MULTIPROC_ENV

APP = "aimastery.capstone.service:create_app"


class TcpConfig(uvicorn.Config):
    """uvicorn's Config, with a listening socket that asyncio recognises as TCP (module level: workers unpickle it)."""

    def bind_socket(self) -> socket.socket:
        sock = super().bind_socket()
        if sock.family in (socket.AF_INET, socket.AF_INET6) and sock.proto == 0:
            fixed = socket.socket(sock.family, sock.type, socket.IPPROTO_TCP, fileno=sock.detach())
            fixed.set_inheritable(True)
            return fixed
        return sock


def _fresh_multiproc_dir() -> tuple[Path, bool]:
    """An empty folder for prometheus-client's files: $PROMETHEUS_MULTIPROC_DIR emptied, or a new one."""
    given = os.environ.get(MULTIPROC_ENV)
    if given:
        path = Path(given)
        path.mkdir(parents=True, exist_ok=True)
        for stale in path.glob("*.db"):  # values from an earlier run would be added to this one's
            stale.unlink()
        return path, False
    path = Path(tempfile.mkdtemp(prefix="aim-prometheus-"))
    os.environ[MULTIPROC_ENV] = str(path)
    return path, True


def _exit_on_signal(signum: int, frame) -> None:
    raise SystemExit(128 + signum)


def serve(host: str = "127.0.0.1", port: int = 8000, workers: int = 2, artefacts_dir: str | Path | None = None,
          *, train_if_missing: bool = True, log_level: str = "info", access_log: bool = False) -> int:
    """Serve the classifier until interrupted; train it first if no artefacts exist (and allowed)."""
    artefacts = Path(artefacts_dir) if artefacts_dir else default_artefacts_dir()
    if not (artefacts / MANIFEST).exists() and train_if_missing:
        print(f"No artefacts in {artefacts}: training the model first.", flush=True)
        from aimastery.capstone.train import train_and_save

        train_and_save(artefacts)
    os.environ[ARTEFACTS_ENV] = str(artefacts.resolve())  # the workers read it in create_app()
    metrics_dir, created = _fresh_multiproc_dir()
    # After a graceful shutdown uvicorn re-raises SIGTERM with the handler it found; make that
    # handler an exception, so that the clean-up below runs instead of the process just dying.
    signal.signal(signal.SIGTERM, _exit_on_signal)
    try:
        config = TcpConfig(APP, factory=True, host=host, port=port, workers=workers,
                           log_level=log_level, access_log=access_log, timeout_graceful_shutdown=10)
        sock = config.bind_socket()
        if workers > 1:
            Multiprocess(config, sockets=[sock]).run()
        else:
            uvicorn.Server(config).run(sockets=[sock])
    finally:
        if created:
            shutil.rmtree(metrics_dir, ignore_errors=True)
    return 0


def free_port(host: str = "127.0.0.1") -> int:
    """A port that was free a moment ago (the caller retries if it is taken meanwhile)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def http_get(host: str, port: int, path: str, timeout: float = 5.0) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


@dataclass
class RunningServer:
    host: str
    port: int
    pid: int

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"


def _stop(proc: subprocess.Popen, timeout: float = 15.0) -> None:
    """SIGTERM the server (uvicorn stops its workers), then SIGKILL its process group if it lingers."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            pass
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)  # the group this function created: workers left behind
    proc.wait()


@contextlib.contextmanager
def running_server(artefacts_dir: str | Path, *, workers: int = 2, env: dict[str, str] | None = None,
                   startup_timeout: float = 90.0, attempts: int = 3) -> Iterator[RunningServer]:
    """``python -m aimastery.capstone serve`` on 127.0.0.1 and a free port, until the block ends.

    Waits until ``GET /ready`` answers 200; always stops the server (and its
    workers) on the way out. ``env`` adds to the environment (e.g. an API key).
    """
    host = "127.0.0.1"
    for attempt in range(attempts):
        port = free_port(host)
        log = tempfile.TemporaryFile()
        cmd = [sys.executable, "-m", "aimastery.capstone", "serve", "--host", host, "--port", str(port),
               "--workers", str(workers), "--artefacts", str(artefacts_dir), "--no-train", "--log-level", "warning"]
        full_env = {**os.environ, **(env or {})}
        proc = subprocess.Popen(cmd, env=full_env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            deadline = time.monotonic() + startup_timeout
            while proc.poll() is None and time.monotonic() < deadline:
                with contextlib.suppress(OSError, http.client.HTTPException):
                    if http_get(host, port, "/ready", timeout=2.0)[0] == 200:
                        break
                time.sleep(0.1)
            else:
                log.seek(0)
                output = log.read().decode("utf-8", "replace")[-3000:]
                if proc.poll() is not None and "address already in use" in output.lower() and attempt + 1 < attempts:
                    continue  # the port was taken between free_port() and bind: try another
                raise RuntimeError(f"the server did not become ready on port {port} "
                                   f"(exit code {proc.poll()}):\n{output}")
            yield RunningServer(host, port, proc.pid)
            return
        finally:
            _stop(proc)
            log.close()
