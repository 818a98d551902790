"""Every lab in solutions/: stubs in sync, tests pass on the solution and fail on the stubs."""

import pytest

from aimastery.labs.generate import LABS, SOLUTIONS, compare_with_generated, generate_all, solution_dirs
from aimastery.labs.verify import verify_lab


def test_labs_are_what_the_generator_makes(tmp_path):
    generate_all(SOLUTIONS, tmp_path / "labs")
    report = compare_with_generated(tmp_path / "labs", LABS)
    assert report.in_sync, (f"labs/ differs from `make labs` output: missing {report.missing}, "
                            f"not generated {report.extra}, different {report.differing}")


@pytest.mark.parametrize("lab", solution_dirs(), ids=lambda p: p.name)
def test_tests_pass_on_solution_and_fail_on_stubs(lab):
    result = verify_lab(lab)
    assert result.ok, result.summary() + "\n" + result.problems()
