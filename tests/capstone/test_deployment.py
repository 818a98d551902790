"""The Dockerfile and the serving dependencies, checked against the code (no container engine runs here)."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from importlib.metadata import requires
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from aimastery.capstone.artefacts import ARTEFACTS_ENV
from aimastery.capstone.metrics import MULTIPROC_ENV
from aimastery.capstone.service import Settings, create_app
from aimastery.config import REPO_ROOT

DOCKERFILE = (REPO_ROOT / "Dockerfile").read_text()
INSTRUCTIONS = [line for line in re.sub(r"\\\n\s*", " ", DOCKERFILE).splitlines()
                if line.strip() and not line.lstrip().startswith("#")]


def pins(path: Path) -> dict[str, str]:
    out = {}
    for line in path.read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, version = line.split("==")
            out[canonicalize_name(name)] = version
    return out


LOCK = pins(REPO_ROOT / "requirements.txt")
SERVE = pins(REPO_ROOT / "aimastery/capstone/requirements-serve.txt")
TRAIN = pins(REPO_ROOT / "aimastery/capstone/requirements-train.txt")


def stages() -> list[list[str]]:
    out: list[list[str]] = []
    for line in INSTRUCTIONS:
        if line.startswith("FROM "):
            out.append([])
        if out:
            out[-1].append(line)
    return out


def exec_form(line: str, keyword: str) -> list[str]:
    return json.loads(line.split(keyword, 1)[1].strip())


def test_multi_stage_and_non_root():
    names = [re.search(r" AS (\S+)", s[0]).group(1) for s in stages()]
    assert names == ["trainer", "serve-deps", "runtime"]
    runtime = stages()[-1]
    users = [line.split()[1] for line in runtime if line.startswith("USER ")]
    assert users and users[-1] not in ("root", "0"), "the service runs as a non-root user"
    assert any(f"--uid {users[-1]}" in line or f" {users[-1]}" in line for line in runtime if "useradd" in line)
    assert not any("pip install" in line for line in runtime), "the runtime stage installs nothing itself"


def test_command_health_check_and_port_match_the_code():
    runtime = stages()[-1]
    cmd = exec_form(next(line for line in runtime if line.startswith("CMD ")), "CMD")
    assert cmd[:4] == ["python", "-m", "aimastery.capstone", "serve"] and "--no-train" in cmd
    port = cmd[cmd.index("--port") + 1]
    assert cmd[cmd.index("--host") + 1] == "0.0.0.0"
    assert f"EXPOSE {port}" in runtime
    health = next(line for line in runtime if line.startswith("HEALTHCHECK "))
    assert f"http://127.0.0.1:{port}/health" in health
    probe = exec_form(health, "CMD")
    assert probe[0] == "python"
    routes = {route.path for route in create_app(Settings(Path("unused"))).routes}
    assert "/health" in routes
    # the serve command's options exist
    from aimastery.capstone.__main__ import main
    with pytest.raises(SystemExit) as done:
        main(["serve", "--help"])
    assert done.value.code == 0


def test_environment_and_artefacts_agree():
    runtime = " ".join(stages()[-1])
    artefacts = re.search(rf"{ARTEFACTS_ENV}=(\S+)", runtime).group(1)
    assert f"--from=trainer --chown=app:app /artefacts {artefacts}" in runtime
    assert f"{MULTIPROC_ENV}=" in runtime
    trainer = " ".join(stages()[0])
    assert "train --out /artefacts" in trainer and "verify --artefacts /artefacts" in trainer


def test_copied_sources_exist_and_pass_dockerignore():
    allowed = [line[1:].rstrip("/") for line in (REPO_ROOT / ".dockerignore").read_text().splitlines()
               if line.startswith("!")]
    for line in INSTRUCTIONS:
        if line.startswith("COPY ") and "--from=" not in line:
            *sources, _ = shlex.split(line)[1:]
            for src in sources:
                assert (REPO_ROOT / src).exists(), f"COPY {src}: no such file"
                assert any(src.rstrip("/") == a or src.startswith(a + "/") for a in allowed), \
                    f"COPY {src}: excluded by .dockerignore"


def test_pins_agree_with_the_lock():
    for name, version in {**SERVE, **TRAIN}.items():
        assert LOCK.get(name) == version, f"{name}=={version} but requirements.txt pins {LOCK.get(name)}"
    torch = re.search(r"torch==(\S+)", DOCKERFILE).group(1)
    assert LOCK["torch"] == torch


def test_serving_requirements_are_closed_under_dependencies():
    for name in SERVE:
        for spec in requires(name) or []:
            req = Requirement(spec)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                assert canonicalize_name(req.name) in SERVE, f"{name} needs {req.name}, missing from the list"


SERVING_IMPORTS = """
import json, sys
from pathlib import Path
import aimastery.capstone.__main__, aimastery.capstone.server
from aimastery.capstone.service import Settings, create_app
create_app(Settings(Path("unused")))
print(json.dumps({"top": sorted({m.split(".")[0] for m in sys.modules}),
                  "ours": sorted(m for m in sys.modules if m.startswith("aimastery"))}))
"""


def test_serving_code_needs_only_what_the_image_has():
    out = subprocess.run([sys.executable, "-c", SERVING_IMPORTS], capture_output=True, text=True, check=True,
                         cwd=REPO_ROOT).stdout
    loaded = json.loads(out)
    for heavy in ("torch", "sklearn", "scipy", "pandas", "matplotlib", "transformers", "tqdm"):
        assert heavy not in loaded["top"], f"serving imports {heavy}"
    # the runtime stage's COPY lines: single modules of the package, plus aimastery/capstone/, all of it
    sources = [part for line in stages()[-1] if line.startswith("COPY aimastery/") for part in line.split()[1:-1]]
    copied = {"aimastery"} | {"aimastery." + Path(s).stem for s in sources if s.endswith(".py")} - {"aimastery.__init__"}
    assert "aimastery/capstone/" in sources
    for module in loaded["ours"]:
        assert module.startswith("aimastery.capstone") or module in copied, \
            f"serving imports {module}, which the image does not copy"
