"""Simulated shifts, and the false-alarm and delay bookkeeping of the drift study."""

from __future__ import annotations

import random

import numpy as np
import pandas as pd
import pytest

from aimastery.capstone.issues import Issue
from aimastery.capstone.synthetic import generate_issues
from aimastery.mlops.detection import Signals, choose_thresholds, daily_scores, detection_summary, reference_rows
from aimastery.mlops.shift import NEW_COMPONENTS, Scenario, daily_windows, with_new_vocabulary


def test_new_vocabulary_renames_what_an_issue_names_and_keeps_its_label():
    issue = Issue("The CSV exporter crashes on Debian 12", "Run `tool sync` then export_csv(data) fails. CLI too.",
                  "bug")
    renamed = with_new_vocabulary(issue, random.Random(0))
    assert renamed.label == "bug"
    for old in ("CSV exporter", "Debian 12", "tool sync", "export_csv", "CLI"):
        assert old not in renamed.text, (old, renamed.text)
    assert any(name in renamed.title for name in NEW_COMPONENTS)
    plain = Issue("How do I log in?", "", "question")
    assert with_new_vocabulary(plain, random.Random(0)) == plain  # nothing to rename
    pool = generate_issues(50, seed=3)
    changed = [with_new_vocabulary(i, random.Random(k)) != i for k, i in enumerate(pool)]
    assert np.mean(changed) > 0.6


def test_scenarios_ramp_and_mix():
    slow = Scenario("slow", start_day=10, new_vocabulary=0.8, ramp_days=4)
    assert [round(slow.strength(d), 2) for d in (9, 10, 11, 13, 20)] == [0.0, 0.25, 0.5, 1.0, 1.0]
    probs, share_new = slow.mix(11)
    assert probs == pytest.approx([0.25] * 4) and share_new == pytest.approx(0.4)
    mix = Scenario("mix", start_day=0, label_mix=(0.7, 0.1, 0.1, 0.1))
    windows = daily_windows(np.repeat(np.arange(4), 50), mix, n_days=30, per_day=100, seed=0)
    assert np.bincount(windows["y"], minlength=4) / len(windows) == pytest.approx([0.7, 0.1, 0.1, 0.1], abs=0.02)
    assert not windows["new"].any()
    allowed = np.arange(0, 200, 2)
    limited = daily_windows(np.repeat(np.arange(4), 50), Scenario("none"), n_days=3, rows=allowed, seed=1)
    assert set(limited["row"]) <= set(allowed)


def scores_frame(values: dict[str, list[float]], scenario: str, seed: int = 0) -> pd.DataFrame:
    return pd.DataFrame([{"scenario": scenario, "seed": seed, "day": d, "test": test, "score": v}
                         for test, series in values.items() for d, v in enumerate(series)])


def test_thresholds_keep_the_target_share_of_quiet_days():
    null = scores_frame({"a": list(np.arange(100.0))}, "calibration")
    threshold = choose_thresholds(null, 0.05)["a"]
    assert np.mean(np.arange(100.0) > threshold) <= 0.05 and np.mean(np.arange(100.0) > threshold - 1) > 0.05
    with pytest.raises(ValueError, match="share in"):
        choose_thresholds(null, 1.5)


def test_false_alarms_and_delays_are_counted_per_stream():
    shift = Scenario("shift", start_day=5)
    #             days 0..4 before the shift, 5..9 after
    first = {"t": [0, 3, 0, 0, 0, 0, 0, 3, 3, 0]}  # one false alarm, caught two days late
    second = {"t": [0, 0, 0, 0, 0, 3, 0, 0, 0, 0]}  # caught at once
    missed = {"t": [0] * 10}
    scores = pd.concat([scores_frame(first, "shift", 0), scores_frame(second, "shift", 1),
                        scores_frame(missed, "shift", 2), scores_frame({"t": [0, 3, 0, 0]}, "none")])
    table = detection_summary(scores, {"t": 1.0}, [shift, Scenario("none")]).set_index("scenario")
    assert table.loc["shift", "false_alarm_days"] == 1 and table.loc["shift", "days_watched"] == 15
    assert table.loc["shift", "detected"] == pytest.approx(2 / 3)
    assert table.loc["shift", "median_delay_days"] == pytest.approx(1.0)  # the median of 2 and 0
    assert table.loc["none", "false_alarm_rate"] == pytest.approx(0.25)


def test_daily_scores_see_a_label_mix_change():
    rng = np.random.default_rng(0)
    n = 400
    labels = np.repeat(np.arange(4), n // 4)
    signals = Signals(unknown_share=np.tile(rng.beta(1, 20, n), (2, 1)), predicted=np.tile(labels, (2, 1)),
                      embedding=np.tile(rng.normal(size=(n, 6)), (2, 1, 1)), labels=labels)
    reference = reference_rows(labels, 50)
    windows = daily_windows(labels, Scenario("mix", start_day=2, label_mix=(0.85, 0.05, 0.05, 0.05)), n_days=4,
                            rows=np.setdiff1d(np.arange(n), reference), seed=0)
    scores = daily_scores(signals, windows, reference, n_permutations=50)
    chi2 = scores[scores["test"] == "chi2"].set_index("day")["p_value"]
    assert chi2[0] > 1e-3 and chi2[1] > 1e-3 and chi2[2] < 1e-6 and chi2[3] < 1e-6
    assert set(scores["test"]) == {"psi", "ks", "chi2", "embedding"}
