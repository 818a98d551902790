"""Simulated shifts of the capstone's issues: new vocabulary, a change of label mix, a slow drift.

Taught in the MLOps chapter (book/mlops.md).

* **New vocabulary**: the project grows (a Kubernetes operator, a GraphQL
  gateway, Parquet on S3) and issues name things the model never saw:
  :func:`with_new_vocabulary` renames the components, formats and systems
  an issue mentions with names from this module's lists.
* **Label mix**: a bad release, and half of all issues are bugs.
* **Slow drift**: the new vocabulary creeps in, a little more every day.

A :class:`Scenario` says what changes, from which day and how fast;
:func:`daily_windows` draws each day's issues from two pools (the
original issues and their renamed twins) by the scenario's mix, so that
every test sees the very same days.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from aimastery.capstone.issues import LABELS, Issue
from aimastery.capstone.phrases import COMMANDS, COMPONENTS, FORMATS, FUNCS, INTEGRATIONS, SYSTEMS

NEW_COMPONENTS = [
    "Kubernetes operator", "GraphQL gateway", "Istio sidecar", "Kafka consumer", "gRPC server",
    "Terraform provider", "WASM runtime", "vector index", "prompt cache", "OAuth device flow",
    "S3 backend", "Arrow Flight endpoint", "OpenTelemetry exporter", "feature flag service",
]
NEW_FORMATS = ["Iceberg", "Arrow IPC", "Zstandard", "Delta Lake", "Avro", "CBOR", "JSON Lines"]
NEW_SYSTEMS = ["Kubernetes 1.30", "AWS Lambda", "Fargate", "NixOS 24.05", "ChromeOS", "Graviton"]
NEW_COMMANDS = ["kubectl apply -f tool.yaml", "helm upgrade tool", "tool deploy --cluster prod",
                "terraform apply", "tool reconcile --watch", "docker compose up tool"]
NEW_INTEGRATIONS = ["Datadog", "Snowflake", "Vault", "Temporal", "ClickHouse", "Supabase", "Auth0",
                    "NATS", "Pulsar", "Linear"]
NEW_FUNCS = ["operator.reconcile", "gateway.resolve", "consumer.poll", "index.upsert", "flags.evaluate",
             "exporter.flush"]


def _literal(names: list[str]) -> list[str]:
    return [re.escape(n) for n in names]


def _commands(templates: list[str]) -> list[str]:
    """A command's ``{name}`` stands for the issue's project name (any word, hyphens allowed)."""
    return [re.escape(t).replace(re.escape("{name}"), r"[\w-]+") for t in templates]


# (patterns of an old name, the new names one is replaced with)
_RENAMES = [(_literal(COMPONENTS), NEW_COMPONENTS), (_literal(FORMATS), NEW_FORMATS),
            (_literal(SYSTEMS), NEW_SYSTEMS), (_literal(INTEGRATIONS), NEW_INTEGRATIONS),
            (_commands(COMMANDS), NEW_COMMANDS),
            (_literal([f.removesuffix("()") for f in FUNCS]), NEW_FUNCS)]


def with_new_vocabulary(issue: Issue, rng: random.Random) -> Issue:
    """The issue with each component, format, system, integration, command and function it names replaced
    by a new one (same label)."""
    title, body = issue.title, issue.body
    for old_patterns, new_names in _RENAMES:
        # longest names first; a name is not part of a longer word or dotted name
        alternatives = "|".join(sorted(old_patterns, key=len, reverse=True))
        pattern = re.compile(r"(?<![\w.])(" + alternatives + r")(?!\w)")
        chosen: dict[str, str] = {}  # one new name per old name within an issue

        def rename(match: re.Match, chosen=chosen, new_names=new_names) -> str:
            return chosen.setdefault(match.group(1), rng.choice(new_names))

        title, body = pattern.sub(rename, title), pattern.sub(rename, body)
    return Issue(title=title, body=body, label=issue.label)


@dataclass(frozen=True)
class Scenario:
    """What changes from ``start_day`` on (None: nothing ever does), reached over ``ramp_days`` (0: at once)."""

    name: str
    start_day: int | None = None
    new_vocabulary: float = 0.0  # share of issues with the new vocabulary once the shift is complete
    label_mix: tuple[float, ...] | None = None  # label probabilities once the shift is complete
    ramp_days: int = 0

    def strength(self, day: int) -> float:
        """How far the shift has gone on ``day``: 0 before it starts, 1 once complete."""
        if self.start_day is None or day < self.start_day:
            return 0.0
        if self.ramp_days <= 0:
            return 1.0
        return min(1.0, (day - self.start_day + 1) / self.ramp_days)

    def mix(self, day: int) -> tuple[np.ndarray, float]:
        """The label probabilities and the share of new vocabulary on ``day``."""
        s = self.strength(day)
        base = np.full(len(LABELS), 1.0 / len(LABELS))
        target = np.asarray(self.label_mix, dtype=float) if self.label_mix is not None else base
        return (1 - s) * base + s * target, s * self.new_vocabulary


#: The scenarios the chapter measures, each 40 days long with the change from day 20.
SCENARIOS = (
    Scenario("no shift"),
    Scenario("new vocabulary", start_day=20, new_vocabulary=0.5),
    Scenario("label mix", start_day=20, label_mix=(0.55, 0.15, 0.15, 0.15)),
    Scenario("slow drift", start_day=20, new_vocabulary=0.8, ramp_days=20),
)


def daily_windows(pool_labels: np.ndarray, scenario: Scenario, *, n_days: int = 40, per_day: int = 100,
                  rows: np.ndarray | None = None, seed: int = 0) -> pd.DataFrame:
    """Which issues arrive on each day: one row per issue, columns ``day``, ``new`` (bool), ``row``, ``y``.

    ``pool_labels`` (N,) holds the label index of each issue of the pools;
    both pools (original and renamed) hold the same N issues in the same
    order, so ``row`` indexes either, and ``new`` says which one. ``rows``
    limits the issues that may arrive (e.g. to keep the reference sample out).
    """
    pool_labels = np.asarray(pool_labels)
    allowed = np.zeros(len(pool_labels), bool)
    allowed[np.arange(len(pool_labels)) if rows is None else np.asarray(rows)] = True
    rng = np.random.default_rng(seed)
    rows_of = [np.flatnonzero((pool_labels == k) & allowed) for k in range(len(LABELS))]
    if any(len(r) == 0 for r in rows_of):
        raise ValueError("every label needs issues in the pool")
    parts = []
    for day in range(n_days):
        probs, p_new = scenario.mix(day)
        y = rng.choice(len(LABELS), size=per_day, p=probs)
        row = np.array([rows_of[k][rng.integers(len(rows_of[k]))] for k in y])
        parts.append(pd.DataFrame({"day": day, "new": rng.random(per_day) < p_new, "row": row, "y": y}))
    return pd.concat(parts, ignore_index=True)
