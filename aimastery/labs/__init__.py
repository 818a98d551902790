"""Lab tooling: stubs generated from the reference solutions, and reports.

Each lab has one source, ``solutions/weekNN_topic/``: a module whose learner
parts sit between ``### BEGIN SOLUTION (Task n)`` and ``### END SOLUTION``,
each opening with progressive ``### HINT k:`` lines (:mod:`aimastery.labs.hints`),
its tests (each marked ``@pytest.mark.task(n, "title")``) and a lab notebook.
:mod:`aimastery.labs.generate` writes ``labs/weekNN_topic/`` with each marked
region replaced by hint 1 as a TODO and ``raise NotImplementedError``;
:mod:`aimastery.labs.runner` runs a lab's tests and reports task by task (with
hint k of each task that does not pass, on request);
:mod:`aimastery.labs.progress` checks every lab at once (``make progress``).

Used from a lab notebook as ``from aimastery.labs import check; check(1)``,
``check(1, hint=2)``.
"""

from aimastery.labs.runner import LabReport, check, find_lab, run_lab

__all__ = ["LabReport", "check", "find_lab", "run_lab"]
