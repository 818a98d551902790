"""Lab commands: ``python -m aimastery.labs {generate,check-sync,verify,report}``.

generate      write labs/ from solutions/ (the stubs)
check-sync    fail when labs/ is not exactly what generate would write
verify        every test passes on solutions/ and fails on freshly generated stubs
report WEEK   run a week's tests on your code in labs/ and print a task-by-task report
              (--hint K: hint K for each task that does not pass)
progress      run every lab's tests on your code in labs/: a table, and an HTML page
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from aimastery.config import REPO_ROOT
from aimastery.labs.generate import LABS, SOLUTIONS, compare_with_generated, generate_all, solution_dirs
from aimastery.labs.runner import check_hint, find_lab, run_lab
from aimastery.labs.verify import verify_lab


def cmd_generate(_: argparse.Namespace) -> int:
    for lab in generate_all():
        print(f"wrote {lab.relative_to(LABS.parent)}")
    return 0


def cmd_check_sync(_: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp) / "labs"
        generate_all(SOLUTIONS, fresh)
        report = compare_with_generated(fresh, LABS)
    if report.in_sync:
        print(f"labs/ is exactly what the generator makes from solutions/ ({len(solution_dirs())} labs)")
        return 0
    print("labs/ differs from what `make labs` generates from solutions/:")
    for label, files in (("missing", report.missing), ("not generated", report.extra), ("different", report.differing)):
        for f in files:
            print(f"  {label:>13}: labs/{f}")
    print("Run `make labs` after editing solutions/ (learners: your work in labs/ is what differs; that is fine).")
    return 1


def cmd_verify(_: argparse.Namespace) -> int:
    failures = 0
    for solution in solution_dirs():
        result = verify_lab(solution)
        print(result.summary())
        if not result.ok:
            failures += 1
            print(result.problems())
    return 1 if failures else 0


def cmd_report(args: argparse.Namespace) -> int:
    try:
        lab = find_lab(args.week, Path(args.dir))
    except LookupError as err:
        print(err, file=sys.stderr)
        return 2 if args.strict else 0
    hint = None
    if args.hint not in (None, ""):
        try:
            hint = int(args.hint)
            check_hint(hint)
        except ValueError:
            print(f"HINT is a hint's number, 1, 2, 3, ... (HINT=2 shows hint 2); got {args.hint!r}", file=sys.stderr)
            return 2
    report = run_lab(lab, args.task)
    print(report.render(hint))
    return 1 if args.strict and not report.all_passed else 0


def cmd_progress(args: argparse.Namespace) -> int:
    from aimastery.labs.progress import check_all, render_table, write_page

    root = Path(args.dir)
    if not root.is_dir():
        print(f"no labs in {root}: run `make labs` to generate them", file=sys.stderr)
        return 2
    rows = check_all(root, jobs=args.jobs)
    print(render_table(rows))
    page = write_page(rows, Path(args.html))
    print(f"The same table, each lab linked to its chapter: file://{page.resolve()}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m aimastery.labs", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("generate").set_defaults(func=cmd_generate)
    sub.add_parser("check-sync").set_defaults(func=cmd_check_sync)
    sub.add_parser("verify").set_defaults(func=cmd_verify)
    report = sub.add_parser("report")
    report.add_argument("week", help="the week number, e.g. 01")
    report.add_argument("--task", type=int, default=None, help="only this task")
    report.add_argument("--dir", default=str(LABS), help="where the labs are (default: labs/)")
    report.add_argument("--hint", default=None, help="show hint K (1, 2, ...) for each task that does not pass")
    report.add_argument("--strict", action="store_true", help="exit with 1 unless every task passes")
    report.set_defaults(func=cmd_report)
    progress = sub.add_parser("progress")
    progress.add_argument("--dir", default=str(LABS), help="where the labs are (default: labs/)")
    progress.add_argument("--html", default=str(REPO_ROOT / "_build" / "progress.html"), help="the page to write")
    progress.add_argument("--jobs", type=int, default=2, help="labs checked at the same time")
    progress.set_defaults(func=cmd_progress)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
