"""Time the stages of ``make test`` and print them at the end.

    python -m aimastery.devtools.stages reset
    python -m aimastery.devtools.stages run "the book" -- python -m aimastery.devtools.build --strict
    python -m aimastery.devtools.stages summary

``run`` runs the command, records its wall time and exit status, and exits
with the command's status (so ``make`` stops at a failing stage, after the
table of the stages so far is printed).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

from aimastery.config import REPO_ROOT

STAGES_FILE = REPO_ROOT / "_build" / "test-stages.jsonl"


def read_stages(path: Path = STAGES_FILE) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def record(name: str, seconds: float, status: int, path: Path = STAGES_FILE) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as f:  # one short line per stage: appends are whole lines
        f.write(json.dumps({"stage": name, "seconds": round(seconds, 1), "status": status}) + "\n")


def summary(stages: list[dict]) -> str:
    if not stages:
        return "no stage was timed"
    width = max(len(s["stage"]) for s in stages)
    lines = ["time per stage:"]
    for s in stages:
        state = "" if s["status"] == 0 else f"  FAILED (exit {s['status']})"
        lines.append(f"  {s['stage']:<{width}}  {s['seconds']:7.1f} s{state}")
    total = sum(s["seconds"] for s in stages)
    lines.append(f"  {'in all':<{width}}  {total:7.1f} s ({total / 60:.1f} min)")
    return "\n".join(lines)


def run(name: str, command: list[str], path: Path = STAGES_FILE) -> int:
    if not command:
        raise SystemExit("stages run NAME -- COMMAND...: the command is missing")
    start = time.perf_counter()
    status = subprocess.call(command)
    record(name, time.perf_counter() - start, status, path)
    if status != 0:
        print(summary(read_stages(path)), file=sys.stderr)
    return status


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m aimastery.devtools.stages", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("reset", help="forget the stages of an earlier run")
    run_parser = sub.add_parser("run", help="run and time one stage")
    run_parser.add_argument("name")
    run_parser.add_argument("cmd", nargs=argparse.REMAINDER, help="-- then the command")
    sub.add_parser("summary", help="print the time of each stage")
    args = parser.parse_args(argv)
    if args.command == "reset":
        STAGES_FILE.unlink(missing_ok=True)
        return 0
    if args.command == "summary":
        print(summary(read_stages()))
        return 0
    cmd = args.cmd[1:] if args.cmd[:1] == ["--"] else args.cmd
    return run(args.name, cmd)


if __name__ == "__main__":
    sys.exit(main())
