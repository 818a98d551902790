"""The course's finished scalar autograd engine, ``Value``.

Taught in Week 1 (book/week01_autodiff.md). The chapter prints ``+`` and
``*`` and does the reverse walk by hand; every figure after that, the
backprop visualizer and the network trained on the moons, runs on this
finished engine, and Lab 1 has the learner write the rest of it.

Its one source is Lab 1's reference solution,
``solutions/week01_autodiff/engine.py`` (the lab's stubs are generated from
it), so the engine the chapter runs and the engine the lab's tests hold up
as correct cannot drift apart.
"""

from solutions.week01_autodiff.engine import Value

__all__ = ["Value"]
