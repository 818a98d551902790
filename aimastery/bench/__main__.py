"""Run benchmarks: ``python -m aimastery.bench [--only name[,name]]`` (one JSON line each)."""

from __future__ import annotations

import argparse
import json
import sys

from aimastery.bench import available, get


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m aimastery.bench", description=__doc__)
    parser.add_argument("--only", default="", help=f"comma-separated names among: {', '.join(available())}")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    args = parser.parse_args(argv)
    if args.list:
        print("\n".join(available()))
        return 0
    names = [n.strip() for n in args.only.split(",") if n.strip()] or available()
    try:
        runs = [(name, get(name)) for name in names]
    except LookupError as err:
        print(err, file=sys.stderr)
        return 2
    for name, run in runs:
        figures = run()
        print(json.dumps({"name": name, **figures}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
