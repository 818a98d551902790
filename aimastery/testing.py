"""Test settings shared by tests/, the labs and their reference solutions."""

from hypothesis import settings


def use_course_hypothesis_profile() -> None:
    """Deterministic examples, no per-example deadline, no example database.

    A busy 2-core machine is slow, not wrong; and a lab's tests must give the
    same verdict on every run.
    """
    settings.register_profile("course", derandomize=True, deadline=None, database=None, print_blob=False)
    settings.load_profile("course")
