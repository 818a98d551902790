"""Build the book with Jupyter Book 1, reading (and so executing) chapters in parallel.

``jupyter-book build`` has no option for Sphinx's parallel jobs; this calls the
same function it calls, with ``jobs``. ``make book`` and ``make test`` use it:

    python -m aimastery.devtools.build [--strict] [--jobs N]

``--strict`` is ``jupyter-book build -n -W --keep-going``: nitpicky, and any
warning fails the build.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from aimastery.config import REPO_ROOT


def quiet_kernels() -> None:
    """Keep the kernels the build starts from logging to the build's output.

    ipykernel 7 logs a warning about its local TCP transport at every kernel
    start: one line per chapter, nothing a reader of the build can act on.
    The kernels inherit this process's environment, so a build-owned IPython
    directory whose kernel config sets the log level to ERROR silences that
    and nothing else: errors in a chapter's cells still fail the build, as
    they reach it through the executed notebook, not through the kernel log.
    """
    ipython_dir = REPO_ROOT / "_build" / "ipython"
    config = ipython_dir / "profile_default" / "ipython_kernel_config.py"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text('c.IPKernelApp.log_level = "ERROR"\n', encoding="utf-8")
    os.environ["IPYTHONDIR"] = str(ipython_dir)


def build(strict: bool = False, jobs: int = 1, quiet: bool = False) -> int:
    from jupyter_book.sphinx import build_sphinx

    quiet_kernels()

    overrides = {"external_toc_path": str(REPO_ROOT / "_toc.yml"), "latex_individualpages": False}
    if strict:
        overrides["nitpicky"] = True
    result = build_sphinx(
        REPO_ROOT,
        REPO_ROOT / "_build" / "html",
        noconfig=True,
        path_config=str(REPO_ROOT / "_config.yml"),
        confoverrides=overrides,
        warningiserror=strict,
        keep_going=strict,
        jobs=jobs,
        quiet=quiet,
    )
    return 0 if result == 0 else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m aimastery.devtools.build", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--strict", action="store_true", help="-n -W --keep-going: any warning fails the build")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="parallel Sphinx processes")
    parser.add_argument("--quiet", action="store_true", help="only warnings and errors")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    status = build(strict=args.strict, jobs=args.jobs, quiet=args.quiet)
    elapsed = time.perf_counter() - start
    if status == 0:
        print(f"Built the book in {elapsed:.0f} s: file://{REPO_ROOT / '_build' / 'html' / 'index.html'}")
    else:
        print(f"The book build failed after {elapsed:.0f} s (see the warnings above).", file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
