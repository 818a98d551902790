"""Chapter execution budgets: what the build records, and the check that reads it."""

from __future__ import annotations

import json
import textwrap

import pytest

from aimastery.devtools.budgets import (
    BudgetError, Execution, budget_from_metadata, main, read_times, report, write_times,
)
from aimastery.devtools.stages import read_stages, run, summary


def execution(name, runtime, budget=60.0, **kw):
    return Execution(docname=name, runtime_s=runtime, budget_s=budget, executed_now=kw.get("now", True),
                     succeeded=kw.get("ok", True))


@pytest.mark.parametrize("metadata, expected", [
    ({}, 60.0),
    ({"aimastery": {"execution_budget_s": 90}}, 90.0),
    ({"aimastery": {"execution_budget_s": 45.5}}, 45.5),
    ({"aimastery": '{"execution_budget_s": 90}'}, 90.0),  # a nested value kept as JSON text
    ({"aimastery": {}}, 60.0),
])
def test_budget_from_metadata(metadata, expected):
    assert budget_from_metadata("book/x", metadata) == expected


@pytest.mark.parametrize("value", [120, 0, -5, "90", True, None])
def test_a_budget_outside_the_rules_is_refused(value):
    with pytest.raises(BudgetError, match=r"book/x: aimastery.execution_budget_s must be .* at most 90"):
        budget_from_metadata("book/x", {"aimastery": {"execution_budget_s": value}})


def test_report_fails_only_over_budget(tmp_path):
    path = tmp_path / "times.json"
    write_times([execution("book/a", 59.9), execution("book/b", 89.0, budget=90.0)], path)
    assert main(["--times", str(path)]) == 0
    write_times([execution("book/a", 61.0), execution("book/b", 89.0, budget=90.0)], path)
    assert main(["--times", str(path)]) == 1
    text, ok = report(read_times(path))
    assert not ok and "book/a took 61.0 s, over its 60 s budget" in text
    assert [line.split()[0] for line in text.splitlines()[1:3]] == ["book/b", "book/a"]  # slowest first


def test_report_fails_on_a_chapter_that_did_not_execute():
    text, ok = report([execution("book/a", 3.0, ok=False)])
    assert not ok and "did not execute: book/a" in text


def test_a_missing_or_foreign_times_file_is_a_clear_error(tmp_path, capsys):
    assert main(["--times", str(tmp_path / "none.json")]) == 2
    assert "build the book first" in capsys.readouterr().err
    (tmp_path / "bad.json").write_text(json.dumps({"pages": []}))
    assert main(["--times", str(tmp_path / "bad.json")]) == 2
    assert "not the execution-times file" in capsys.readouterr().err


def test_stage_timer_records_and_passes_the_exit_status_on(tmp_path):
    path = tmp_path / "stages.jsonl"
    assert run("ok", ["python", "-c", "pass"], path) == 0
    assert run("fails", ["python", "-c", "raise SystemExit(3)"], path) == 3
    stages = read_stages(path)
    assert [(s["stage"], s["status"]) for s in stages] == [("ok", 0), ("fails", 3)]
    assert "FAILED (exit 3)" in summary(stages) and "in all" in summary(stages)


def test_the_book_build_records_each_chapter_with_its_declared_budget(tmp_path):
    """A two-page book built by Jupyter Book with the course's extension: times and budgets recorded."""
    from jupyter_book.sphinx import build_sphinx

    header = textwrap.dedent("""\
        ---
        jupytext:
          text_representation:
            extension: .md
            format_name: myst
        kernelspec:
          display_name: Python 3
          language: python
          name: python3
        {extra}---
        # {title}

        ```{{code-cell}} ipython3
        print(1 + 1)
        ```
        """)
    (tmp_path / "quick.md").write_text(header.format(extra="", title="Quick"))
    (tmp_path / "training.md").write_text(
        header.format(extra="aimastery:\n  execution_budget_s: 90\n", title="Training"))
    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: quick\nchapters:\n  - file: training\n")
    (tmp_path / "_config.yml").write_text(textwrap.dedent("""\
        title: t
        latex:
          use_jupyterbook_latex: false
        execute:
          execute_notebooks: force
        sphinx:
          extra_extensions:
            - aimastery.devtools.sphinx_ext
        """))
    status = build_sphinx(tmp_path, tmp_path / "_build" / "html", noconfig=True,
                          path_config=str(tmp_path / "_config.yml"),
                          confoverrides={"external_toc_path": str(tmp_path / "_toc.yml"),
                                         "latex_individualpages": False}, quiet=True)
    assert status == 0
    recorded = {e.docname: e for e in read_times(tmp_path / "_build" / "execution-times.json")}
    assert set(recorded) == {"quick", "training"}
    assert (recorded["quick"].budget_s, recorded["training"].budget_s) == (60.0, 90.0)
    assert all(e.executed_now and e.succeeded and 0 < e.runtime_s < 60 for e in recorded.values())
