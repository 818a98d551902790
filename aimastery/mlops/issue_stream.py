"""The capstone's issues as a stream in time: reporters, creation, triage, and reporter features.

Taught in the MLOps chapter (book/mlops.md). Issues arrive over simulated
days from a population of reporters. Each reporter has habits (a
preference over the four labels, drawn from a Dirichlet distribution: some
mostly report bugs, some mostly ask questions) and an activity level
(Zipf: a few report a lot, most once or twice). Each issue's text comes
from the capstone's generator (:func:`aimastery.capstone.synthetic.generate_issues`)
for its label. A maintainer labels (*triages*) it some time later:
only then is its label known, and only then does it count in the
reporter's history.

:func:`reporter_label_counts` turns the stream into feature events: after
every triage, the reporter's running count of issues per label. That is
the feature view the chapter joins to its training rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from aimastery.capstone.issues import LABELS
from aimastery.capstone.synthetic import generate_issues
from aimastery.config import SEED
from aimastery.sysdesign.caching import zipf_probabilities

DAY = 86_400  # seconds
#: Day 0 of every simulated stream: 2026-01-05 00:00 UTC, a Monday (timestamps are seconds since 1970).
EPOCH = 1_767_571_200
COUNT_COLUMNS = tuple(f"n_{label}" for label in LABELS)


@dataclass(frozen=True)
class StreamConfig:
    """Every setting of a simulated issue stream, in one place."""

    n_days: int = 90
    issues_per_day: int = 40
    n_reporters: int = 1_200
    concentration: float = 0.3  # Dirichlet parameter: small = reporters set in their ways
    zipf_s: float = 1.0  # reporter activity
    triage_days: float = 2.0  # mean delay before a maintainer labels an issue (exponential)
    ambiguous: float = 0.7  # share of issues whose text points at two labels (see the capstone)
    seed: int = SEED


def simulate_issue_stream(config: StreamConfig = StreamConfig()) -> pd.DataFrame:
    """One row per issue, in creation order.

    Columns: ``issue_id``, ``reporter`` (``"u0042"``), ``created`` and
    ``triaged`` (seconds since 1970), ``day`` (since the stream began),
    ``title``, ``body``, ``label`` (a name from LABELS) and ``y`` (its index).
    """
    if config.n_days < 1 or config.issues_per_day < 1 or config.n_reporters < 1:
        raise ValueError(f"n_days, issues_per_day and n_reporters must be at least 1, got {config}")
    rng = np.random.default_rng(config.seed)
    n = config.n_days * config.issues_per_day
    preference = rng.dirichlet(np.full(len(LABELS), config.concentration), size=config.n_reporters)  # (R, 4)
    activity = zipf_probabilities(config.n_reporters, config.zipf_s)[rng.permutation(config.n_reporters)]
    reporter = rng.choice(config.n_reporters, size=n, p=activity)
    created = EPOCH + np.sort(rng.integers(0, config.n_days * DAY, size=n))
    # each issue's label from its reporter's habits (inverse-CDF sampling, one draw per issue)
    y = (rng.random(n)[:, None] > np.cumsum(preference[reporter], axis=1)).sum(axis=1).clip(0, len(LABELS) - 1)
    triaged = created + 1 + rng.exponential(config.triage_days * DAY, size=n).astype(np.int64)

    # texts: a shuffled pool per label from the capstone's generator, each text used once
    pool = generate_issues(int(np.bincount(y, minlength=len(LABELS)).max()), seed=config.seed + 1,
                           ambiguous=config.ambiguous)
    by_label = {label: [i for i in pool if i.label == label] for label in LABELS}
    taken = {label: 0 for label in LABELS}
    titles, bodies = [], []
    for k in y:
        issue = by_label[LABELS[k]][taken[LABELS[k]]]
        taken[LABELS[k]] += 1
        titles.append(issue.title)
        bodies.append(issue.body)
    return pd.DataFrame({
        "issue_id": np.arange(n), "reporter": [f"u{r:04d}" for r in reporter],
        "created": created, "triaged": triaged, "day": (created - EPOCH) // DAY,
        "title": titles, "body": bodies, "label": [LABELS[k] for k in y], "y": y,
    })


def reporter_label_counts(stream: pd.DataFrame) -> pd.DataFrame:
    """Feature events: after each triage, the reporter's issues so far per label (and in all).

    Columns: ``reporter``, ``event_timestamp`` (the triage), ``created``
    (when the row was written: the same second), ``n_bug`` ... ``n_documentation``
    and ``n_triaged``.
    """
    events = stream.sort_values(["triaged", "issue_id"], kind="stable")
    out = pd.DataFrame({"reporter": events["reporter"].to_numpy(),
                        "event_timestamp": events["triaged"].to_numpy(),
                        "created": events["triaged"].to_numpy()})
    by_reporter = events.groupby("reporter", sort=False)
    for label, column in zip(LABELS, COUNT_COLUMNS):
        out[column] = (events["label"] == label).astype(np.int64).groupby(events["reporter"]).cumsum().to_numpy()
    out["n_triaged"] = by_reporter.cumcount().to_numpy() + 1
    return out


def history_features(counts: pd.DataFrame) -> np.ndarray:
    """Model inputs from the count columns (NaN = no history): smoothed label shares and log(1 + n).

    (N, 5): the share of each label among the reporter's triaged issues,
    with one pseudo-issue spread evenly over the labels, then ``log1p(n) / 3``.
    """
    n_k = counts[list(COUNT_COLUMNS)].astype(float).fillna(0.0).to_numpy()  # (N, 4)
    n = counts["n_triaged"].astype(float).fillna(0.0).to_numpy()  # (N,)
    shares = (n_k + 1.0 / len(LABELS)) / (n[:, None] + 1.0)
    return np.column_stack([shares, np.log1p(n) / 3.0])
