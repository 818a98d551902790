"""Progressive hints: the markers, the stubs' TODO, `make lab-check HINT=k`, and the rule every lab keeps."""

import textwrap
from pathlib import Path

import pytest

from aimastery.labs.generate import SOLUTIONS, generate_lab, solution_dirs, strip_solutions
from aimastery.labs.hints import MarkerError, lab_hints, lab_tasks, parse_regions, without_hints
from aimastery.labs.runner import run_lab

# Labs whose regions still carry the one-line `### BEGIN SOLUTION: <hint>` form (one hint, no task).
# Each entry is a debt: write two or more hints per region (### HINT 1:, ### HINT 2:, ...), name the
# region's task (### BEGIN SOLUTION (Task n)), then delete the entry. A lab added with single hints
# goes here until it has them.
SINGLE_HINT_LABS: dict[str, str] = {}  # lab folder: why it may keep a single hint per region (none now)

MIN_HINTS = 2

SOLUTION = textwrap.dedent('''\
    def double(x):
        ### BEGIN SOLUTION (Task 1)
        ### HINT 1: twice x: which operator?
        ### HINT 2: multiply by two,
        ###         or add x to itself
        ### HINT 3: return 2 * x
        return 2 * x
        ### END SOLUTION


    def half(x):
        ### BEGIN SOLUTION: the old one-line form
        return x / 2
        ### END SOLUTION


    def triple(xs):
        ### BEGIN SOLUTION (Task 2)
        ### HINT 1: build the list
        ### HINT 2: three times each
        out = [3 * v for v in xs]
        ### END SOLUTION
        return out
    ''')

TESTS = textwrap.dedent('''\
    import pytest
    from hypothesis import given
    from hypothesis import strategies as st

    from .mod import double, half, triple


    @pytest.mark.task(1, "double")
    @given(st.integers(0, 100))
    def test_double(x):
        assert double(x) == x + x


    @pytest.mark.task(2, "triple")
    def test_triple():
        assert triple([1]) == [3]


    @pytest.mark.task(3, "half")
    def test_half():
        assert half(4) == 2
    ''')


def make_lab(root: Path, name: str = "week09_demo", solution: str = SOLUTION) -> Path:
    lab = root / name
    lab.mkdir(parents=True)
    (lab / "__init__.py").write_text("")
    (lab / "mod.py").write_text(solution)
    (lab / "test_mod.py").write_text(TESTS)
    return lab


def test_regions_carry_their_task_and_hints():
    regions = parse_regions(SOLUTION, "mod.py")
    assert [(r.where, r.task) for r in regions] == [("double", 1), ("half", None), ("triple", 2)]
    assert regions[0].hints == ["twice x: which operator?", "multiply by two,\nor add x to itself", "return 2 * x"]
    assert regions[1].hints == ["the old one-line form"]
    assert [line.strip() for line in regions[0].code] == ["return 2 * x"]


@pytest.mark.parametrize("source, message", [
    ("def f():\n    ### BEGIN SOLUTION (Task 1)\n    ### HINT 2: b\n    pass\n    ### END SOLUTION\n",
     "expected HINT 1, got HINT 2"),
    ("def f():\n    ### BEGIN SOLUTION (Task 1)\n    ### HINT 1: a\n    pass\n    ### HINT 2: b\n"
     "    ### END SOLUTION\n", "a HINT line after the region's code"),
    ("def f():\n    ### BEGIN SOLUTION: a\n    ### HINT 1: b\n    pass\n    ### END SOLUTION\n", "not both"),
])
def test_malformed_hints_are_clear_errors(source, message):
    with pytest.raises(MarkerError, match=message):
        parse_regions(source, "m.py")


def test_the_stub_shows_hint_one_and_says_where_the_next_is():
    stub = strip_solutions(SOLUTION, lab="Lab 9", filename="mod.py", week="09")
    lines = [line.strip() for line in stub.splitlines()]
    at = lines.index("# TODO: twice x: which operator?")
    assert lines[at + 1] == ("# Stuck? One more hint at a time: make lab-check WEEK=09 HINT=2 "
                             "(in the notebook: check(1, hint=2))")
    assert "multiply by two" not in stub and "return 2 * x" not in stub  # hints 2 and 3 stay in solutions/
    assert "# TODO: the old one-line form" in lines
    # the region fills `out`, and the line after the raise returns it
    assert "# Keep the code below the raise: it uses the out you set here." in lines
    compile(stub, "stub", "exec")


def test_without_hints_keeps_the_code_and_the_markers():
    code = without_hints(SOLUTION)
    assert "HINT" not in code and "or add x to itself" not in code
    assert code.count("### BEGIN SOLUTION") == 3 and "return 2 * x" in code
    assert [len(r.hints) for r in parse_regions(code, "m.py")] == [0, 1, 0]


def test_lab_check_with_hint_shows_that_hint_for_the_tasks_that_fail(tmp_path):
    solutions = tmp_path / "solutions"
    solution = make_lab(solutions)
    wrong = SOLUTION.replace("    return 2 * x\n", "    return 2 * x + 1\n")  # Task 1 fails
    lab = make_lab(tmp_path / "labs", solution=wrong.replace("    return x / 2\n", "    return x\n"))
    report = run_lab(lab)
    assert [t.status for t in report.tasks] == ["failed", "passed", "failed"]

    plain = report.render(solutions=solutions)
    assert "Stuck? `make lab-check WEEK=09 HINT=2` shows hint 2" in plain and "Hint 2" not in plain
    second = report.render(hint=2, solutions=solutions)
    assert "Hint 2 of 3 · double in mod.py:\n        multiply by two,\n        or add x to itself" in second
    assert "triple in mod.py" not in second  # Task 2 passes: no hint for it
    assert "Hint 1 of 1 (the last there is: next, the solution page) · half" not in second  # no task: no guess
    assert "(no hints for Task 3)" in second
    last = report.render(hint=7, solutions=solutions)
    assert "Hint 3 of 3 (the last there is: next, the solution page) · double in mod.py:\n        return 2 * x" in last
    assert "There are only 3 hints for this task; showing hint 3 (you asked for hint 7).\n      Hint 3 of 3" in last, last
    third = report.render(hint=3, solutions=solutions)
    assert "There are only" not in third, third  # hint 3 exists: nothing to explain
    with pytest.raises(ValueError, match="a hint's number is 1, 2, 3"):
        report.render(hint=0, solutions=solutions)

    stubs = tmp_path / "stubs" / "week09_demo"
    generate_lab(solution, stubs)
    text = run_lab(stubs).render(hint=2, solutions=solutions)
    # an old-style region has no task: its hint is found through the stub's "not implemented" message
    assert "Hint 1 of 1 (the last there is: next, the solution page) · half in mod.py:" in text, text
    assert "There is only 1 hint for this task; showing hint 1 (you asked for hint 2)." in text, text


def test_a_failing_hypothesis_test_shows_its_input(tmp_path):
    lab = make_lab(tmp_path / "labs", solution=SOLUTION.replace("    return 2 * x\n",
                                                                "    return 2 * x if x < 7 else 0\n"))
    report = run_lab(lab, task=1)
    text = report.render(solutions=tmp_path)
    assert "✗ test_double: assert 0 == (7 + 7)" in text, text
    assert "failing input: x=7" in text, text  # hypothesis shrinks to the smallest failing x


def test_the_marker_of_every_task_is_read_without_importing(tmp_path):
    lab = make_lab(tmp_path, solution="def double(x:\n")  # does not even parse
    assert lab_tasks(lab) == {1: "double", 2: "triple", 3: "half"}


@pytest.mark.parametrize("solution", solution_dirs(), ids=lambda p: p.name)
def test_every_region_has_progressive_hints_and_a_task(solution):
    """Hint 1 in the stub, then at least one more for `make lab-check HINT=2`, in every lab's every region."""
    if solution.name in SINGLE_HINT_LABS:
        pytest.skip(f"allow-listed in SINGLE_HINT_LABS: {SINGLE_HINT_LABS[solution.name]}")
    tasks = lab_tasks(solution)
    regions = lab_hints(solution)
    assert regions, f"{solution.name} has no solution regions"
    for r in regions:
        where = f"{solution.name}/{r.file}, {r.where}"
        assert len(r.hints) >= MIN_HINTS, (f"{where}: {len(r.hints)} hint(s); write at least {MIN_HINTS} "
                                           "(### HINT 1: the idea ... ### HINT 2: more concrete)")
        assert all(h.strip() for h in r.hints), f"{where}: an empty hint"
        assert len(set(r.hints)) == len(r.hints), f"{where}: two hints say the same"
        assert r.task in tasks, f"{where}: write the region's task, ### BEGIN SOLUTION (Task n), one of {sorted(tasks)}"


def test_the_allow_list_names_only_labs_that_still_need_it():
    """An entry goes once its lab has hints everywhere (so the list only shrinks)."""
    names = {p.name for p in solution_dirs()}
    for name in SINGLE_HINT_LABS:
        if name not in names:
            continue  # a lab on its way in
        hints = lab_hints(SOLUTIONS / name)
        assert any(len(r.hints) < MIN_HINTS or r.task is None for r in hints), \
            f"{name} has progressive hints everywhere now: delete it from SINGLE_HINT_LABS"


def test_a_task_without_code_of_its_own_says_so():
    from aimastery.labs.hints import LabHint
    from aimastery.labs.runner import TaskResult, TestOutcome, _hint_lines

    task = TaskResult(3, "everything together", [TestOutcome("t::x", "x", 3, "everything together", "failed")])
    hints = [LabHint("mod.py", "double", 1, ["a", "b"])]
    assert _hint_lines(task, hints, 2) == [
        "      (Task 3 has no code of its own to write: it tests what the other tasks wrote)"]
