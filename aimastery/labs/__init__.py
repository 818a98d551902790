"""Lab tooling: stubs generated from the reference solutions, and reports.

Each lab has one source, ``solutions/weekNN_topic/``: a module whose learner
parts sit between ``### BEGIN SOLUTION: <hint>`` and ``### END SOLUTION``,
its tests (each marked ``@pytest.mark.task(n, "title")``) and a lab notebook.
:mod:`aimastery.labs.generate` writes ``labs/weekNN_topic/`` with each marked
region replaced by ``raise NotImplementedError``;
:mod:`aimastery.labs.runner` runs a lab's tests and reports task by task.

Used from a lab notebook as ``from aimastery.labs import check; check(1)``.
"""

from aimastery.labs.runner import LabReport, check, find_lab, run_lab

__all__ = ["LabReport", "check", "find_lab", "run_lab"]
