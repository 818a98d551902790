"""A small Sphinx extension for the book (listed in ``_config.yml``).

* Offer every executed chapter as ``.ipynb`` in the page's download menu
  (sphinx-book-theme only does so when a launch service such as Binder is
  configured, which an offline book has not).
* Fail the build clearly when the vendored JavaScript is missing, instead of
  building pages whose widgets and maths silently stay blank.
* Let Sphinx read (and so execute) chapters in parallel (see
  ``_allow_parallel_read``).
* Record how long each chapter took to execute, for the budget check
  (:mod:`aimastery.devtools.budgets`).
* Repair the theme's markup where axe-core finds a serious accessibility
  violation (``theme/aim-a11y.js`` and ``theme/aim-a11y.css``, on every page).
* Make a page that pastes another page's glued numbers
  (``{glue:text}`../week03_evaluation.md::key:fmt```) depend on that page's
  source, so that an incremental build re-reads it when the chapter changes
  (see ``_note_pasted_glue``).
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.errors import ConfigError
from sphinx.util import logging

from aimastery.devtools.budgets import DEFAULT_BUDGET_S, BudgetError, Execution, budget_from_metadata, write_times

logger = logging.getLogger(__name__)


def _check_vendor(app: Sphinx, config) -> None:
    for extra in config.html_extra_path:
        if not (Path(app.confdir) / extra / "_assets" / "widgets" / "embed-amd.js").exists():
            raise ConfigError(f"{extra}/_assets is missing: run `python -m aimastery.devtools.vendor` "
                              "(make book does) before building the book")


def _offer_ipynb(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    if "kernelspec" not in app.env.metadata.get(pagename, {}):
        return  # not a notebook page
    executed = Path(app.outdir).parent / "jupyter_execute" / f"{pagename}.ipynb"
    if not executed.exists():
        return  # not executed (e.g. a lab page shown as it is)
    target = Path(app.outdir) / "_sources" / f"{pagename}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(executed, target)
    context["ipynb_source"] = f"{pagename}.ipynb"


def _allow_parallel_read(app: Sphinx) -> None:
    """Mark sphinx_multitoc_numbering as safe to read in parallel.

    sphinx-external-toc always loads it, and it does not declare itself, so
    Sphinx would fall back to reading (and executing) the chapters one at a
    time. It renumbers sections only when pages are written: reading in
    parallel is safe.
    """
    ext = app.extensions.get("sphinx_multitoc_numbering")
    if ext is not None and ext.parallel_read_safe is None:
        ext.parallel_read_safe = True


_build_started = [0.0]  # when this process's build began (a chapter executed after it ran in this build)


def _note_start(app: Sphinx) -> None:
    _build_started[0] = time.time()


def _record_execution_times(app: Sphinx, exception: Exception | None) -> None:
    """Write ``_build/execution-times.json``: each executed chapter's run time and budget."""
    if exception is not None or app.builder.name != "html":
        return
    started = _build_started[0]
    executions = []
    for docname, data in sorted(getattr(app.env, "nb_metadata", {}).items()):
        exec_data = data.get("exec_data")
        if not exec_data:
            continue  # not executed (a page without code, or a lab notebook shown as it is)
        try:
            budget = budget_from_metadata(docname, app.env.metadata.get(docname, {}))
        except BudgetError as err:
            logger.warning(str(err), location=docname)
            budget = DEFAULT_BUDGET_S
        executions.append(Execution(docname=docname, runtime_s=exec_data.get("runtime"), budget_s=budget,
                                    executed_now=exec_data.get("mtime", 0.0) >= started,
                                    succeeded=bool(exec_data.get("succeeded"))))
    write_times(executions, Path(app.outdir).parent / "execution-times.json")


THEME = Path(__file__).parent / "theme"


def _add_theme_repairs(app: Sphinx, config) -> None:
    config.html_static_path.append(str(THEME))


def _note_pasted_glue(app: Sphinx, doctree) -> None:
    """Record that a page pasting another page's glue depends on that page's source.

    myst-nb pastes ``{glue:text}`other.md::key:fmt``` when the pages are
    written, after every chapter has executed, from the glue data each
    executed chapter leaves in ``_build/jupyter_execute``: the number is the
    one the chapter measured in this build, however the build ran its
    chapters in parallel. But myst-nb records no dependency, so an
    incremental build that re-executes the chapter would not rewrite the
    pasting page, which would keep the old number. A dependency on the
    chapter's source makes Sphinx re-read the page whenever the chapter is
    re-read. (A change in the package empties the whole cache; see the
    Makefile.)
    """
    from myst_nb.ext.glue.utils import PendingGlueReference

    env = app.env
    for node in doctree.findall(PendingGlueReference):
        env.note_dependency(env.doc2path(node.refdoc))


def setup(app: Sphinx) -> dict:
    _allow_parallel_read(app)
    app.connect("config-inited", _add_theme_repairs)
    app.add_js_file("aim-a11y.js")
    app.add_css_file("aim-a11y.css")
    app.connect("config-inited", _check_vendor)
    app.connect("html-page-context", _offer_ipynb)
    app.connect("builder-inited", _note_start)
    app.connect("build-finished", _record_execution_times)
    app.connect("doctree-read", _note_pasted_glue)
    return {"version": "0.1", "parallel_read_safe": True, "parallel_write_safe": True}
