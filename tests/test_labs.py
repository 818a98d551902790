"""The lab tooling: stub generation, the sync check and the task report."""

import textwrap
from pathlib import Path

import pytest

from aimastery.labs import runner
from aimastery.labs.generate import (
    MarkerError, compare_with_generated, generate_all, generate_lab, lab_key, lab_title, strip_solutions,
)
from aimastery.labs.runner import LabReport, check, find_lab, run_lab

SOLUTION = textwrap.dedent('''\
    """A tiny lab."""


    def double(x):
        ### BEGIN SOLUTION: return twice x
        return 2 * x
        ### END SOLUTION


    class Box:
        def area(self, w, h):
            if w < 0:
                raise ValueError("w must be >= 0")
            ### BEGIN SOLUTION
            return w * h
            ### END SOLUTION
    ''')

TESTS = textwrap.dedent('''\
    import pytest

    from .mod import Box, double


    @pytest.mark.task(1, "double")
    def test_double():
        assert double(3) == 6


    @pytest.mark.task(2, "area")
    def test_area():
        assert Box().area(2, 3) == 6


    @pytest.mark.task(2, "area")
    def test_area_zero():
        assert Box().area(0, 3) == 0
    ''')


def make_lab(root: Path, name="week09_demo", solution=SOLUTION, tests=TESTS) -> Path:
    lab = root / name
    lab.mkdir(parents=True)
    (lab / "__init__.py").write_text("")
    (lab / "mod.py").write_text(solution)
    (lab / "test_mod.py").write_text(tests)
    (lab / "lab.md").write_text("# Lab 9\n")
    return lab


def test_strip_replaces_each_region_with_todo_and_raise():
    stub = strip_solutions(SOLUTION, lab="Lab 9", filename="mod.py")
    assert "return 2 * x" not in stub and "return w * h" not in stub
    lines = stub.splitlines()
    assert lines[4].strip() == "# TODO: return twice x"
    assert lines[5].strip() == ("raise NotImplementedError('Lab 9 · double in mod.py: not implemented yet "
                                "(the TODO just above says what to write)')")
    assert "Lab 9 · Box.area in mod.py: not implemented yet')" in lines[12]  # no hint, no pointer to a TODO
    assert 'raise ValueError("w must be >= 0")' in stub  # code outside the markers stays
    namespace = {}
    exec(compile(stub, "stub", "exec"), namespace)
    with pytest.raises(NotImplementedError, match="Lab 9 · double"):
        namespace["double"](1)


@pytest.mark.parametrize(
    "source, message",
    [
        ("x = 1\n### BEGIN SOLUTION\nx = 2\n", "no '### END SOLUTION'"),
        ("x = 1\n### END SOLUTION\n", "without a BEGIN"),
        ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION\n", "inside the region"),
    ],
)
def test_unpaired_markers_are_clear_errors(source, message):
    with pytest.raises(MarkerError, match=message):
        strip_solutions(source, lab="Lab 1", filename="m.py")


def test_generate_copies_and_strips(tmp_path):
    solutions = tmp_path / "solutions"
    make_lab(solutions)
    labs = tmp_path / "labs"
    generate_all(solutions, labs)
    assert (labs / "week09_demo" / "lab.md").read_text() == "# Lab 9\n"
    assert (labs / "week09_demo" / "test_mod.py").read_text() == TESTS
    assert "NotImplementedError" in (labs / "week09_demo" / "mod.py").read_text()
    fresh = tmp_path / "fresh"
    generate_all(solutions, fresh)
    assert compare_with_generated(fresh, labs).in_sync
    (labs / "week09_demo" / "mod.py").write_text("edited")
    (labs / "week09_demo" / "extra.py").write_text("")
    report = compare_with_generated(fresh, labs)
    assert report.differing == ["week09_demo/mod.py"] and report.extra == ["week09_demo/extra.py"]


def test_report_task_by_task(tmp_path):
    solution = make_lab(tmp_path / "solutions")
    good = run_lab(solution)
    assert good.all_passed and [t.status for t in good.tasks] == ["passed", "passed"]

    stub = tmp_path / "labs" / "week09_demo"
    generate_lab(solution, stub)
    bad = run_lab(stub)
    assert bad.all_failed and [t.status for t in bad.tasks] == ["not implemented yet"] * 2
    assert "Lab 9 · double in mod.py: not implemented yet" in bad.render()

    (stub / "mod.py").write_text(SOLUTION.replace("return 2 * x", "return 3 * x"))
    mixed = run_lab(stub)
    assert [t.status for t in mixed.tasks] == ["failed", "passed"]
    text = mixed.render()
    assert "✗ failed" in text and "assert 9 == 6" in text and "Summary: 1 of 2 tasks pass · 1 failing" in text

    only = run_lab(stub, task=2)
    assert [t.number for t in only.tasks] == [2] and only.all_passed


def test_report_on_code_that_does_not_import(tmp_path):
    stub = make_lab(tmp_path / "labs", solution="def double(x:\n")
    report = run_lab(stub)
    assert report.collect_errors and not report.all_passed
    assert "SyntaxError" in report.render()


def test_find_lab_lists_what_exists(tmp_path):
    make_lab(tmp_path, "week01_autodiff")
    make_lab(tmp_path, "week04_mlp")
    make_lab(tmp_path, "capstone_service")
    make_lab(tmp_path, "vector_search")
    make_lab(tmp_path, "mlops_lifecycle")
    assert find_lab("vector", tmp_path).name == "vector_search"
    assert find_lab("MLOps", tmp_path).name == "mlops_lifecycle"
    assert find_lab("4", tmp_path).name == "week04_mlp"
    assert find_lab(1, tmp_path).name == "week01_autodiff"
    assert find_lab("Capstone", tmp_path).name == "capstone_service"
    assert find_lab("mlops", tmp_path).name == "mlops_lifecycle"
    with pytest.raises(LookupError, match=r"no lab for week 07\. Labs that exist: 01 \(week01_autodiff\), 04"):
        find_lab("07", tmp_path)
    with pytest.raises(LookupError, match="WEEK is a lab's week number, e.g. WEEK=01, one of capstone, mlops, vector, "
                                          "or a lab folder's name; got 'seven'"):
        find_lab("seven", tmp_path)
    with pytest.raises(LookupError, match="Say which lab to check, e.g. make lab-check WEEK=01"):
        find_lab("", tmp_path)


def test_find_lab_takes_the_folder_names_its_listing_shows(tmp_path):
    for name in ("week01_autodiff", "week04_mlp", "capstone_service", "vector_search", "mlops_lifecycle"):
        make_lab(tmp_path, name)
    for given in ("vector_search", "mlops_lifecycle", "Week04_MLP", "labs/week01_autodiff", "capstone_service/"):
        got = find_lab(given, tmp_path).name
        assert got == Path(given.strip("/")).name.lower(), f"find_lab({given!r}) found {got}"
    with pytest.raises(LookupError, match="got 'week07_attention'"):  # a folder that does not exist
        find_lab("week07_attention", tmp_path)
    with pytest.raises(LookupError, match="Labs that exist: .*vector \\(vector_search\\)"):
        find_lab("vector_serch", tmp_path)


# hypothesis reports every distinct failure it finds at once, as an ExceptionGroup
TWO_FUNCTIONS = textwrap.dedent('''\
    def first(x):
        ### BEGIN SOLUTION
        return x
        ### END SOLUTION


    def second(x):
        ### BEGIN SOLUTION
        return x
        ### END SOLUTION
    ''')

BOTH_TESTS = textwrap.dedent('''\
    import pytest
    from hypothesis import given
    from hypothesis import strategies as st

    from .mod import first, second


    @pytest.mark.task(1, "both")
    @given(st.integers())
    def test_both(x):
        if x % 2:
            assert first(x) == x, "first(x) should be x"
        else:
            assert second(x) == x, "second(x) should be x"
    ''')


@pytest.fixture(scope="module")
def group_reports(tmp_path_factory) -> dict[str, LabReport]:
    """Three versions of one lab, run in one pytest run: both functions stubs, both wrong, one of each."""
    root = tmp_path_factory.mktemp("groups")
    solution = make_lab(root / "solutions", solution=TWO_FUNCTIONS, tests=BOTH_TESTS)
    generate_lab(solution, root / "labs" / "week09_stubs")
    stub = (root / "labs" / "week09_stubs" / "mod.py").read_text()
    wrong = TWO_FUNCTIONS.replace("return x\n", "return x + 1\n", 1).replace("return x\n", "return x - 1\n", 1)
    make_lab(root / "labs", "week09_wrong", solution=wrong, tests=BOTH_TESTS)
    make_lab(root / "labs", "week09_mixed", solution=stub.split("def second")[0] + "def second(x):\n    return x - 1\n",
             tests=BOTH_TESTS)
    report = run_lab(root / "labs")
    assert not report.collect_errors, report.render()
    return {name: LabReport(root / "labs" / f"week09_{name}", [t for t in report.tests if f"week09_{name}" in t.nodeid])
            for name in ("stubs", "wrong", "mixed")}


def test_several_stubs_in_one_test_are_each_listed(group_reports):
    report = group_reports["stubs"]
    assert [t.status for t in report.tasks] == ["not implemented yet"]
    text = report.render()
    for name in ("first", "second"):
        assert f"      ○ Lab 9 · {name} in mod.py: not implemented yet" in text, text
    assert "different failures" not in text and "functions not implemented yet" not in text, text
    assert report.tests[0].message.startswith("2 functions not implemented yet:\n- Lab 9 · ")


def test_several_real_failures_in_one_test_are_all_shown(group_reports):
    report = group_reports["wrong"]
    assert [t.status for t in report.tasks] == ["failed"]
    text = report.render()
    assert "✗ test_both: 2 different failures; the first: AssertionError: " in text, text
    assert "first(x) should be x" in text and "second(x) should be x" in text, text


def test_a_real_failure_beside_a_stub_counts_as_failing(group_reports):
    report = group_reports["mixed"]
    assert [t.status for t in report.tasks] == ["failed"]
    text = report.render()
    assert "2 different failures; the first: AssertionError: second(x) should be x" in text, text
    assert "- NotImplementedError: Lab 9 · first in mod.py" in text, text


def test_a_stub_beside_a_real_failure_is_a_failing_task(tmp_path):
    outcome = runner.TestOutcome
    tests = [outcome("t.py::test_a", "test_a", 1, "relu", "failed", "NotImplementedError",
                     "NotImplementedError: Lab 9 · ReLU.backward in mod.py: not implemented yet"),
             outcome("t.py::test_b", "test_b", 1, "relu", "failed", "AssertionError",
                     "AssertionError: relu(x): got [[ 1.  ,  0.  , -1. ],\n [ 0.  ,  1.  ,  0. ]], "
                     "expected [[1., 0., 0.],\n [0., 1., 0.]]")]
    report = LabReport(tmp_path / "week09_demo", tests)
    assert [t.status for t in report.tasks] == ["failed"]
    text = report.render()
    assert "✗ failed: 0 of 2 tests pass (1 still meet a stub)" in text and "○ not implemented yet" not in text, text
    assert "○ Lab 9 · ReLU.backward in mod.py: not implemented yet" in text, text
    # the whole got/expected on the summary line, and no second copy "in full"
    assert ("✗ test_b: relu(x): got [[ 1. , 0. , -1. ], [ 0. , 1. , 0. ]], expected [[1., 0., 0.], [0., 1., 0.]]"
            in text), text
    assert "in full" not in text, text


def test_one_line_joins_what_a_bracket_carries_over():
    assert runner.one_line("a: got [[1, 2],\n [3, 4]], expected [[1, 2],\n [3, 5]]\nand more") == (
        "a: got [[1, 2], [3, 4]], expected [[1, 2], [3, 5]]")
    assert runner.one_line("2 different failures; the first: X\n- X\n- Y") == "2 different failures; the first: X"
    assert runner.one_line("x" * 500).endswith("…") and len(runner.one_line("x" * 500)) == 320


def canned_report(lab_dir: Path) -> LabReport:
    return LabReport(lab_dir, [runner.TestOutcome("week09_demo/test_mod.py::test_area", "test_area", 2, "area", "passed")])


def test_check_prints_the_report_and_returns_it(tmp_path, monkeypatch, capsys):
    lab = make_lab(tmp_path / "labs")
    monkeypatch.setattr(runner, "run_lab", lambda lab_dir, task: canned_report(lab_dir))
    monkeypatch.setattr(runner, "_ipython_cell", lambda: None)  # a script, not a notebook
    report = check(2, lab_dir=lab)
    printed = capsys.readouterr().out
    assert printed == report.render() + "\n" and "Task 2  area" in printed
    assert report.all_passed and [t.number for t in report.tasks] == [2]
    assert repr(report) == "<LabReport Lab 9: 1 of 1 tasks pass>"  # one line: the report is already printed


def test_in_a_notebook_the_report_shows_once(tmp_path, monkeypatch, capsys):
    """check(n) as a cell's last value: printed by check(), not shown again as the value;
    the same report shown in a later cell prints in full."""
    from IPython.core.interactiveshell import InteractiveShell

    lab = make_lab(tmp_path / "labs")
    monkeypatch.setattr(runner, "run_lab", lambda lab_dir, task: canned_report(lab_dir))
    shell = InteractiveShell.instance()
    try:
        shell.user_ns.update(check=check, lab=lab)
        assert shell.run_cell("report = check(2, lab_dir=lab); report", store_history=True).success
        first = capsys.readouterr().out
        assert first.count("Task 2  area") == 1 and "<LabReport" not in first, first
        assert shell.run_cell("report", store_history=True).success
        later = capsys.readouterr().out
        assert later.count("Task 2  area") == 1, later
    finally:
        InteractiveShell.clear_instance()


def test_part_three_labs_are_named_by_their_chapter(tmp_path):
    assert [lab_key(Path(n)) for n in ("week06_lstm", "capstone_service", "mlops_lifecycle")] == [
        "06", "capstone", "mlops"]
    assert [lab_title(Path(n)) for n in ("week06_lstm", "capstone_service", "mlops_lifecycle")] == [
        "Lab 6", "Capstone lab", "MLOps lab"]
    with pytest.raises(ValueError, match="weekNN_topic .* or one of capstone_topic, mlops_topic"):
        lab_key(Path("vectors_hnsw"))
    make_lab(tmp_path, "week04_mlp")
    with pytest.raises(LookupError, match=r"There is no mlops lab\. Labs that exist: 04 \(week04_mlp\)"):
        find_lab("mlops", tmp_path)
    lab = make_lab(tmp_path / "solutions", "mlops_demo")
    stub = tmp_path / "labs" / "mlops_demo"
    generate_lab(lab, stub)
    assert "MLOps lab · double in mod.py: not implemented yet" in (stub / "mod.py").read_text()
