"""The simulated stream and what a naive join costs: better offline, worse in production."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from aimastery.mlops.issue_stream import StreamConfig, history_features, reporter_label_counts, simulate_issue_stream
from aimastery.mlops.leakage import FEATURES, build_store, online_features, run_leakage_experiment, spine_of

SMALL = StreamConfig(n_days=30, issues_per_day=30, n_reporters=300)


@pytest.fixture(scope="module")
def stream():
    return simulate_issue_stream(SMALL)


def test_the_stream_is_seeded_ordered_and_triaged_later(stream):
    assert stream.equals(simulate_issue_stream(SMALL))
    assert stream["created"].is_monotonic_increasing and (stream["triaged"] > stream["created"]).all()
    assert set(stream["label"]) == {"bug", "feature", "question", "documentation"}
    assert stream["reporter"].value_counts().iloc[0] > 5 * stream["reporter"].value_counts().median()  # Zipf


def test_label_counts_are_running_totals_per_reporter(stream):
    events = reporter_label_counts(stream)
    one = stream[stream["reporter"] == stream["reporter"].value_counts().index[0]].sort_values("triaged")
    mine = events[events["reporter"] == one["reporter"].iloc[0]]
    assert list(mine["n_triaged"]) == list(range(1, len(one) + 1))
    assert list(mine["n_bug"]) == list(np.cumsum(one["label"] == "bug"))
    H = history_features(pd.DataFrame({c: [np.nan] for c in events.columns}))
    assert H[0, :4] == pytest.approx([0.25] * 4) and H[0, 4] == 0.0  # no history: an even prior


def test_online_features_never_see_a_later_triage(stream):
    store = build_store(stream)
    today = stream[stream["day"] == 20]
    served = online_features(store, today)
    exact = store.get_historical_features(spine_of(today), FEATURES)
    # the online store is materialised at midnight: at most what the point-in-time join sees at creation
    assert (served["n_triaged"].fillna(0).to_numpy() <= exact["n_triaged"].fillna(0).to_numpy()).all()
    store.close()


def test_the_naive_join_looks_better_offline_and_is_worse_in_production():
    result = run_leakage_experiment(simulate_issue_stream())
    table = result.table
    assert table.loc["naive join", "offline"] > table.loc["point-in-time join", "offline"] + 0.01
    assert table.loc["naive join", "production"] < table.loc["point-in-time join", "production"] - 0.01
    assert table.loc["naive join", "offline"] - table.loc["naive join", "production"] > 0.05
    assert result.leaked_share > 0.9
