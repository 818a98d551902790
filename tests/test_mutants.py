"""The mutation check behind every lab's strength test (aimastery.labs.mutants)."""

import textwrap

import pytest

from aimastery.labs.mutants import apply_edits, uncaught_mutants

SOLUTION = textwrap.dedent('''\
    def double(x):
        ### BEGIN SOLUTION
        return 2 * x
        ### END SOLUTION


    def area(w, h):
        ### BEGIN SOLUTION
        return w * h
        ### END SOLUTION
    ''')

TESTS = textwrap.dedent('''\
    import os
    from pathlib import Path

    import pytest
    from hypothesis import given, strategies as st

    from .mod import area, double


    @pytest.mark.task(1, "double")
    @given(st.integers(-1000, 1000))
    def test_double(x):
        assert double(x) == x + x


    @pytest.mark.task(2, "area")
    def test_area():
        Path(os.environ["AIM_TEST_MARK"]).joinpath(Path(__file__).parent.name).touch()
        assert area(2, 3) == 6
    ''')


@pytest.fixture
def lab(tmp_path):
    folder = tmp_path / "week09_demo"
    folder.mkdir()
    (folder / "__init__.py").write_text("")
    (folder / "mod.py").write_text(SOLUTION)
    (folder / "test_mod.py").write_text(TESTS)
    return folder


def test_each_mutant_is_judged_by_its_own_task_only(lab, tmp_path, monkeypatch):
    marks = tmp_path / "marks"
    marks.mkdir()
    monkeypatch.setenv("AIM_TEST_MARK", str(marks))
    mutants = {
        "double adds two": (1, [("return 2 * x", "return x + 2")]),       # caught by Task 1
        "area adds": (2, [("return w * h", "return w + h")]),              # caught by Task 2
        "area bug filed under Task 1": (1, [("return w * h", "return w * h + 1")]),  # Task 1 cannot see it
    }
    work = tmp_path / "work"
    assert uncaught_mutants(lab, "mod.py", "test_mod.py", mutants, work) == ["area bug filed under Task 1 (Task 1)"]
    # Task 2's test ran in the one folder whose mutant Task 2 owns, and nowhere else
    assert sorted(p.name for p in marks.iterdir()) == ["week09_mutant01"]


def test_a_mutant_whose_target_is_gone_is_a_clear_error():
    with pytest.raises(AssertionError, match="'typo': its target text occurs 0 times"):
        apply_edits(SOLUTION, "typo", [("return 3 * x", "return x")])
