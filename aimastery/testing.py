"""Test settings shared by tests/, the labs and their reference solutions."""

import pytest
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


@pytest.fixture(autouse=True)
def one_torch_thread():
    """Torch on one thread for the duration of each test of a module that imports this fixture.

    Tests use small tensors: a second thread only waits for the first, and on a
    busy machine it makes a test many times slower (a 150-step MLM test: 16x).
    """
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
