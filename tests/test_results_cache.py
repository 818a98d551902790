"""Within one `make test`, a lab's tests run once per version of its code (aimastery.labs.results_cache)."""

import textwrap

from aimastery.labs.results_cache import ENV
from aimastery.labs.runner import run_lab

TESTS = textwrap.dedent('''\
    import os
    from pathlib import Path

    import pytest

    from .mod import double


    @pytest.mark.task(1, "double")
    def test_double():
        with Path(os.environ["AIM_TEST_RUNS"]).open("a") as f:
            f.write("run\\n")
        assert double(3) == 6


    @pytest.mark.task(2, "other")
    def test_other():
        assert double(0) == 0
    ''')


def test_reports_come_from_one_run_until_the_code_changes(tmp_path, monkeypatch):
    lab = tmp_path / "week09_demo"
    lab.mkdir()
    (lab / "__init__.py").write_text("")
    (lab / "mod.py").write_text("def double(x):\n    return 2 * x\n")
    (lab / "test_mod.py").write_text(TESTS)
    runs = tmp_path / "runs.txt"
    monkeypatch.setenv("AIM_TEST_RUNS", str(runs))
    monkeypatch.setenv(ENV, str(tmp_path / "cache"))

    whole = run_lab(lab)
    task2 = run_lab(lab, 2)
    task1 = run_lab(lab, 1)
    assert runs.read_text().count("run") == 1  # one pytest run answered all three
    assert whole.all_passed and [t.task for t in task2.tests] == [2] and [t.task for t in task1.tests] == [1]

    (lab / "mod.py").write_text("def double(x):\n    return x + x + 1\n")  # new code: a new run
    after = run_lab(lab, 1)
    assert runs.read_text().count("run") == 2 and not after.all_passed

    monkeypatch.delenv(ENV)  # a learner's check(): always a fresh run
    run_lab(lab, 1)
    assert runs.read_text().count("run") == 3
