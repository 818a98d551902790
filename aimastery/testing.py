"""Test settings shared by tests/, the labs and their reference solutions."""

from hypothesis import Phase, settings


def use_course_hypothesis_profile(shrink: bool = True) -> None:
    """Deterministic examples, no per-example deadline, no example database.

    A busy 2-core machine is slow, not wrong; and a lab's tests must give the
    same verdict on every run. ``shrink=False`` reports the first failing
    example as found: a mutant run only needs to know that a test fails.
    """
    phases = tuple(Phase) if shrink else tuple(p for p in Phase if p not in (Phase.shrink, Phase.explain))
    settings.register_profile("course", derandomize=True, deadline=None, database=None, print_blob=False,
                              phases=phases)
    settings.load_profile("course")
