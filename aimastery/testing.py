"""Test settings shared by tests/, the labs and their reference solutions."""

import os

from hypothesis import Phase, settings

#: Set to "course-no-shrink" by the mutation checks (aimastery.labs.mutants).
PROFILE_VARIABLE = "AIMASTERY_HYPOTHESIS_PROFILE"


def use_course_hypothesis_profile() -> None:
    """Deterministic examples, no per-example deadline, no example database.

    A busy 2-core machine is slow, not wrong; and a lab's tests must give the
    same verdict on every run. A mutation check only needs to know that a
    test fails, not the smallest example that makes it fail, so its runs
    skip hypothesis's shrinking (which can take hundreds of calls per failure).
    """
    settings.register_profile("course", derandomize=True, deadline=None, database=None, print_blob=False)
    settings.register_profile("course-no-shrink", settings.get_profile("course"),
                              phases=[p for p in Phase if p not in (Phase.shrink, Phase.explain)])
    settings.load_profile(os.environ.get(PROFILE_VARIABLE, "course"))
