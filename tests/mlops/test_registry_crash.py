"""Kill the registry's writer with SIGKILL at random moments: it stays readable and unchanged (or whole)."""

from __future__ import annotations

from collections import Counter

from aimastery.mlops.crash import crash_trials, kill_during_write
from aimastery.mlops.registry import ModelRegistry

NAME = "issue-classifier"


def test_killed_writers_never_damage_the_registry(tmp_path, trained):
    registry = ModelRegistry(tmp_path / "registry")
    registry.register_model(NAME, trained["decent"])
    trials = crash_trials(registry.root, NAME, trained["better"], n=9, seed=0)
    # and two kills the moment the writer's work folder appears: on a fast or a busy machine the
    # random delays may all fall before or after the copy, these two land inside it
    trials += [kill_during_write(registry.root, "register", NAME, str(trained["better"]), 0.0,
                                 after_work_starts=True) for _ in range(2)]
    outcomes = Counter(t.outcome for t in trials)
    assert outcomes["damaged"] == 0, [t for t in trials if t.outcome == "damaged"]
    # the kills did land inside writes: they left work in progress behind, which no reader saw
    assert sum(t.mid_write for t in trials) >= 2, trials
    assert ModelRegistry(registry.root).verify() >= 1
    registry.register_model(NAME, trained["decent"])  # and the next writer is not hindered
    assert not (registry.root / ".tmp").exists()
