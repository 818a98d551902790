"""The two promises every lab keeps: its tests pass on the solution and fail on the stubs."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from aimastery.labs.generate import generate_lab
from aimastery.labs.runner import LabReport, run_lab


@dataclass
class Verification:
    name: str
    solution: LabReport
    stubs: LabReport

    @property
    def ok(self) -> bool:
        same_tests = {t.nodeid.split("::", 1)[-1] for t in self.solution.tests} == {
            t.nodeid.split("::", 1)[-1] for t in self.stubs.tests}
        return self.solution.all_passed and self.stubs.all_failed and same_tests

    def summary(self) -> str:
        passed = sum(t.outcome == "passed" for t in self.solution.tests)
        failed = sum(t.outcome == "failed" for t in self.stubs.tests)
        return (f"{self.name}: {passed}/{len(self.solution.tests)} tests pass on the solution; "
                f"{failed}/{len(self.stubs.tests)} fail on the untouched stubs")

    def problems(self) -> str:
        lines = []
        if not self.solution.all_passed:
            lines += ["The solution does not pass its own tests:", self.solution.render()]
        not_failing = [t.name for t in self.stubs.tests if t.outcome != "failed"]
        if not_failing:
            lines.append(f"These tests do not fail on the untouched stubs: {', '.join(not_failing)}")
        if not self.stubs.tests:
            lines += ["No test ran on the stubs:", self.stubs.render()]
        return "\n".join(lines)


def verify_lab(solution_dir: Path) -> Verification:
    """Run a lab's tests on its solution and on freshly generated stubs."""
    solution = run_lab(solution_dir)
    with tempfile.TemporaryDirectory() as tmp:
        stub_dir = Path(tmp) / solution_dir.name
        generate_lab(solution_dir, stub_dir)
        stubs = run_lab(stub_dir)
    return Verification(solution_dir.name, solution, stubs)
