"""How fast each drift test notices a shift, and how often it cries wolf: measured on simulated days.

Taught in the MLOps chapter (book/mlops.md). Four tests watch each day's
issues against a reference sample from training time:

=========  =============================  ===========================================
test       signal                         score (higher = more drift)
=========  =============================  ===========================================
psi        the share of unknown words     PSI, 10 quantile bins
ks         the same share                 -log10 p of the Kolmogorov–Smirnov test
chi2       the label the model predicts   -log10 p of the chi-squared test
embedding  MiniLM sentence embeddings     the distance between the mean embeddings
                                          (its permutation p-value is kept too)
=========  =============================  ===========================================

Why the embedding test alarms on its statistic and not on its p-value: a
permutation test with P relabellings cannot give a p-value below
1 / (P + 1), so a threshold for rare false alarms lands on that floor
(with 200 relabellings, 2% of quiet days already reach it by chance). With
the window sizes fixed, the distance itself has a stable distribution on
quiet days, and a threshold on it can be as fine as needed.

:func:`choose_thresholds` sets each test's threshold from days with no
shift (the highest score it may show on a target share of them);
:func:`detection_summary` then measures, on other streams, the false-alarm
rate (alarms on days before any shift) and the detection delay (days from
the start of a shift to the first alarm).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from aimastery.capstone.issues import LABELS, Issue
from aimastery.mlops.drift import chi2_test, ks_2samp, permutation_test, psi
from aimastery.mlops.shift import Scenario, daily_windows

TESTS = ("psi", "ks", "chi2", "embedding")
TEST_NAMES = {"psi": "PSI · unknown words", "ks": "KS · unknown words", "chi2": "chi² · predicted label",
              "embedding": "MiniLM mean-embedding distance"}
#: Tests whose score is -log10 of a p-value (the others' score is their statistic).
P_VALUE_TESTS = ("ks", "chi2")
P_FLOOR = 1e-300  # -log10 of a p-value of 0 would be infinite


@dataclass
class Signals:
    """What the tests read about every issue of the two pools: index 0 the original issues, 1 the renamed ones."""

    unknown_share: np.ndarray  # (2, N): the share of each issue's words the model's vocabulary lacks
    predicted: np.ndarray  # (2, N) label indices
    embedding: np.ndarray  # (2, N, d)
    labels: np.ndarray  # (N,) true label indices (the same in both pools)

    @classmethod
    def compute(cls, original: Sequence[Issue], renamed: Sequence[Issue],
                predict: Callable[[Sequence[Issue]], np.ndarray], encode: Callable[[list[str]], np.ndarray],
                unknown: Callable[[str], float]) -> Signals:
        if len(original) != len(renamed):
            raise ValueError("the two pools hold the same issues, renamed or not: equal lengths")
        pools = (list(original), list(renamed))
        return cls(np.array([[unknown(i.text) for i in p] for p in pools], dtype=float),
                   np.array([predict(p) for p in pools]),
                   np.stack([encode([i.text for i in p]) for p in pools]),
                   np.array([LABELS.index(i.label) for i in original]))


def _pick(values: np.ndarray, windows: pd.DataFrame) -> np.ndarray:
    return values[windows["new"].to_numpy().astype(int), windows["row"].to_numpy()]


def daily_scores(signals: Signals, windows: pd.DataFrame, reference: np.ndarray, *,
                 n_permutations: int = 200, seed: int = 0) -> pd.DataFrame:
    """Every test's statistic, p-value and score on every day of ``windows`` (from :func:`daily_windows`).

    ``reference`` holds rows of the original pool: the training-time sample.
    """
    rng = np.random.default_rng(seed)
    ref_share = signals.unknown_share[0, reference]
    ref_counts = np.bincount(signals.predicted[0, reference], minlength=len(LABELS))
    ref_emb = signals.embedding[0, reference]
    records = []
    for day, w in windows.groupby("day", sort=True):
        share, predicted, emb = (_pick(signals.unknown_share, w), _pick(signals.predicted, w),
                                  signals.embedding[w["new"].to_numpy().astype(int), w["row"].to_numpy()])
        value = psi(ref_share, share)
        records.append((day, "psi", value, np.nan, value))
        for test, result in (("ks", ks_2samp(ref_share, share)),
                             ("chi2", chi2_test(ref_counts, np.bincount(predicted, minlength=len(LABELS))))):
            records.append((day, test, result.statistic, result.p_value, -np.log10(max(result.p_value, P_FLOOR))))
        result = permutation_test(ref_emb, emb, n_permutations=n_permutations, rng=rng)
        records.append((day, "embedding", result.statistic, result.p_value, result.statistic))
    return pd.DataFrame(records, columns=["day", "test", "statistic", "p_value", "score"])


def run_scenario(signals: Signals, scenario: Scenario, reference: np.ndarray, *, n_days: int = 40,
                 per_day: int = 100, seed: int = 0, n_permutations: int = 200) -> pd.DataFrame:
    """:func:`daily_scores` on one simulated stream of ``scenario``; adds the columns ``scenario`` and ``seed``.

    The stream's issues are drawn from the pool rows outside ``reference``.
    """
    rows = np.setdiff1d(np.arange(len(signals.labels)), reference)
    windows = daily_windows(signals.labels, scenario, n_days=n_days, per_day=per_day, rows=rows, seed=seed)
    scores = daily_scores(signals, windows, reference, n_permutations=n_permutations, seed=seed)
    return scores.assign(scenario=scenario.name, seed=seed)


def choose_thresholds(null_scores: pd.DataFrame, target_false_alarm_rate: float) -> dict[str, float]:
    """Per test, the lowest threshold that at most ``target_false_alarm_rate`` of no-shift days exceed."""
    if not 0 < target_false_alarm_rate < 1:
        raise ValueError(f"the target false-alarm rate is a share in (0, 1), got {target_false_alarm_rate}")
    out = {}
    for test, g in null_scores.groupby("test", sort=False):
        scores = np.sort(g["score"].to_numpy())
        allowed = int(np.floor(target_false_alarm_rate * len(scores)))  # days that may exceed it
        out[test] = float(scores[len(scores) - allowed - 1])  # an alarm is a score strictly above
    return out


def detection_summary(scores: pd.DataFrame, thresholds: dict[str, float],
                      scenarios: Sequence[Scenario]) -> pd.DataFrame:
    """Per scenario and test: false-alarm rate before the shift, detection delay, share of streams that caught it.

    ``scores`` holds every stream (columns ``scenario``, ``seed``, ``day``,
    ``test``, ``score``). An alarm is a day whose score exceeds the test's
    threshold. The delay of a stream is the first alarm on or after the
    shift's first day, minus that day (no alarm: not detected); the table
    gives the median over the streams that detected it.
    """
    start = {s.name: s.start_day for s in scenarios}
    rows = []
    for (name, test), g in scores.groupby(["scenario", "test"], sort=False):
        alarm = g["score"].to_numpy() > thresholds[test]
        day = g["day"].to_numpy()
        first = start[name]
        before = day < first if first is not None else np.ones_like(day, bool)
        delays = []
        if first is not None:
            for _, stream in g.assign(alarm=alarm).groupby("seed"):
                hits = stream.loc[(stream["day"] >= first) & stream["alarm"], "day"]
                delays.append(float(hits.min() - first) if len(hits) else np.nan)
        delays = np.array(delays)
        rows.append({"scenario": name, "test": test, "false_alarm_rate": float(alarm[before].mean()),
                     "false_alarm_days": int(alarm[before].sum()), "days_watched": int(before.sum()),
                     "detected": float(np.mean(np.isfinite(delays))) if len(delays) else np.nan,
                     "median_delay_days": float(np.nanmedian(delays)) if np.isfinite(delays).any() else np.nan})
    return pd.DataFrame(rows)


SHORT_NAMES = {"psi": "PSI, unknown words", "ks": "KS, unknown words", "chi2": "chi², predicted label",
               "embedding": "embedding distance"}


def false_alarm_rates(summary: pd.DataFrame) -> pd.Series:
    """Per test, alarms over all days without a shift (every scenario's days before it, all no-shift days)."""
    totals = summary.groupby("test", sort=False)[["false_alarm_days", "days_watched"]].sum()
    return totals["false_alarm_days"] / totals["days_watched"]


def results_table(summary: pd.DataFrame, streams: int, scenarios: Sequence[Scenario]) -> pd.DataFrame:
    """One row per test: its false-alarm rate, and per shifted scenario "caught/streams, median delay"."""
    far = false_alarm_rates(summary)
    by = summary.set_index(["test", "scenario"])
    rows = []
    for test in TESTS:
        row = {"test": SHORT_NAMES[test], "false alarms": f"{far[test]:.1%}"}
        for scenario in scenarios:
            if scenario.start_day is None:
                continue
            r = by.loc[(test, scenario.name)]
            delay = "" if np.isnan(r["median_delay_days"]) else f", {r['median_delay_days']:.0f} d"
            row[scenario.name] = f"{int(round(r['detected'] * streams))}/{streams}{delay}"
        rows.append(row)
    return pd.DataFrame(rows)


def reference_rows(labels: np.ndarray, per_label: int, seed: int = 0) -> np.ndarray:
    """``per_label`` rows of each label, at random: the training-time sample the tests compare with."""
    rng = np.random.default_rng(seed)
    picked = [rng.choice(np.flatnonzero(labels == k), per_label, replace=False) for k in range(len(LABELS))]
    return np.sort(np.concatenate(picked))


@dataclass
class DriftStudy:
    """Thresholds chosen on days without a shift, then every test on every scenario's streams."""

    reference: np.ndarray
    null_scores: pd.DataFrame  # the calibration days
    thresholds: dict[str, float]  # score thresholds
    scores: pd.DataFrame  # every scenario, every stream
    summary: pd.DataFrame  # detection_summary(scores, thresholds, scenarios)
    target_false_alarm_rate: float


def run_drift_study(signals: Signals, scenarios: Sequence[Scenario], *, reference_per_label: int = 75,
                    target_false_alarm_rate: float = 0.02, calibration_days: int = 150, streams: int = 3,
                    n_days: int = 40, per_day: int = 100, seed: int = 0) -> DriftStudy:
    """Calibrate on ``calibration_days`` no-shift days, then run ``streams`` streams of each scenario.

    BLAS runs on one thread: the permutation tests are many small matrix
    products, which two threads only slow down on a busy machine.
    """
    from threadpoolctl import threadpool_limits

    reference = reference_rows(signals.labels, reference_per_label, seed)
    with threadpool_limits(limits=1, user_api="blas"):
        null = run_scenario(signals, Scenario("calibration"), reference, n_days=calibration_days,
                            per_day=per_day, seed=seed + 1000)
        thresholds = choose_thresholds(null, target_false_alarm_rate)
        scores = pd.concat([run_scenario(signals, s, reference, n_days=n_days, per_day=per_day, seed=seed + k)
                            for s in scenarios for k in range(streams)], ignore_index=True)
    return DriftStudy(reference, null, thresholds, scores, detection_summary(scores, thresholds, scenarios),
                      target_false_alarm_rate)


def plot_scores(scores: pd.DataFrame, thresholds: dict[str, float], scenarios: Sequence[Scenario], seed: int = 0):
    """One panel per scenario: each test's daily score over its threshold (alarm above 1), the shift shaded."""
    import matplotlib.pyplot as plt

    cols = 2 if len(scenarios) > 2 else len(scenarios)
    rows = -(-len(scenarios) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(9, 3.0 * rows), sharey=True, sharex=True, squeeze=False)
    for ax, scenario in zip(axes.ravel(), scenarios):
        part = scores[(scores["scenario"] == scenario.name) & (scores["seed"] == seed)]
        for test in TESTS:
            g = part[part["test"] == test]
            ax.plot(g["day"], np.maximum(g["score"] / thresholds[test], 1e-2), lw=1.2, label=TEST_NAMES[test])
        ax.axhline(1.0, color="k", lw=0.8, ls="--")
        if scenario.start_day is not None:
            ax.axvspan(scenario.start_day, part["day"].max(), color="0.85", zorder=0)
        ax.set(yscale="log", title=scenario.name)
    for ax in axes[-1]:
        ax.set_xlabel("day")
    for ax in axes[:, 0]:
        ax.set_ylabel("score / threshold")
    handles, names = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, names, loc="upper center", ncol=len(TESTS), fontsize=8, frameon=False,
               title="each test's daily score over its threshold: an alarm above the dashed line (shift shaded)",
               title_fontsize=8)
    fig.tight_layout(rect=(0, 0, 1, 0.9))
    return fig
