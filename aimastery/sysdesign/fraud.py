"""Real-time fraud detection: generated transactions, streaming velocity features, cost thresholds.

Taught in ``book/sysdesign/fraud_detection.md``.
:func:`generate_transactions` makes a card-payment stream with a realistic
imbalance and a few fraud patterns (card testing bursts, large night-time
spending at risky merchants); :class:`VelocityFeatures` computes, one event
at a time, each card's count and sum of spending over sliding windows (what
a stream processor keeps per key); :func:`choose_threshold_by_cost` picks the
score threshold that minimises expected money lost.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence

import numpy as np
import pandas as pd

#: Merchant categories and how often fraudsters (versus cardholders) use them.
MERCHANTS = ("grocery", "fuel", "restaurant", "online retail", "electronics", "gift cards", "travel")
_LEGIT_MIX = np.array([0.30, 0.15, 0.20, 0.20, 0.06, 0.03, 0.06])
_FRAUD_MIX = np.array([0.04, 0.04, 0.04, 0.28, 0.25, 0.25, 0.10])


def generate_transactions(n_cards: int, n_days: float, rng: np.random.Generator,
                          tx_per_card_day: float = 1.5, fraud_card_share: float = 0.02) -> pd.DataFrame:
    """A time-ordered stream of card transactions with an ``is_fraud`` label.

    Cardholders spend a card-specific log-normal amount, mostly by day, at
    everyday merchants. A share ``fraud_card_share`` of cards is compromised
    once, at a random time: the fraudster first makes a few small "card
    testing" payments minutes apart, then several large ones at electronics,
    gift-card and online merchants, often at night. Fraud is then a fraction
    of a percent of transactions, as in real payment data. Columns: ``t``
    (seconds), ``card``, ``amount``, ``merchant``, ``hour``, ``is_fraud``.
    """
    if n_cards < 1 or n_days <= 0 or not 0 <= fraud_card_share <= 1:
        raise ValueError("need n_cards >= 1, n_days > 0 and 0 <= fraud_card_share <= 1")
    horizon = n_days * 86_400.0
    # Legitimate spending: Poisson counts, times with a daytime peak.
    counts = rng.poisson(tx_per_card_day * n_days, n_cards)
    card = np.repeat(np.arange(n_cards), counts)
    n = card.size
    day = rng.integers(0, int(np.ceil(n_days)), n)
    hour_of_day = rng.normal(14, 4, n) % 24  # a daytime peak, wrapped round midnight
    t = day * 86_400.0 + hour_of_day * 3600.0
    typical = np.exp(rng.normal(3.3, 0.6, n_cards))  # each card's usual amount (about $27)
    amount = typical[card] * np.exp(rng.normal(0, 0.7, n))
    merchant = rng.choice(len(MERCHANTS), n, p=_LEGIT_MIX)
    fraud = np.zeros(n, dtype=bool)
    # Compromised cards: a burst of small tests, then large purchases.
    bad_cards = rng.choice(n_cards, int(round(fraud_card_share * n_cards)), replace=False)
    parts_t, parts_card, parts_amt, parts_m = [t], [card], [amount], [merchant]
    for c in bad_cards:
        start = rng.uniform(0, horizon - 6 * 3600)
        if rng.random() < 0.5:  # half the attacks start at night
            start = np.floor(start / 86_400) * 86_400 + rng.uniform(0, 5) * 3600
        n_test, n_big = rng.integers(1, 5), rng.integers(1, 5)
        test_t = start + np.cumsum(rng.exponential(60, n_test))
        big_t = test_t[-1] + np.cumsum(rng.exponential(900, n_big))
        parts_t.append(np.concatenate([test_t, big_t]))
        parts_card.append(np.full(n_test + n_big, c))
        parts_amt.append(np.concatenate([rng.uniform(0.5, 5, n_test),
                                         typical[c] * np.exp(rng.normal(2.0, 0.7, n_big))]))
        parts_m.append(rng.choice(len(MERCHANTS), n_test + n_big, p=_FRAUD_MIX))
        fraud = np.concatenate([fraud, np.ones(n_test + n_big, dtype=bool)])
    df = pd.DataFrame({
        "t": np.concatenate(parts_t), "card": np.concatenate(parts_card),
        "amount": np.round(np.concatenate(parts_amt), 2), "merchant": np.concatenate(parts_m),
        "is_fraud": fraud,
    })
    df = df[df.t < horizon].sort_values("t", kind="stable").reset_index(drop=True)
    df["hour"] = (df.t % 86_400 // 3600).astype(int)
    df["merchant"] = pd.Categorical.from_codes(df.merchant, MERCHANTS)
    return df


class VelocityFeatures:
    """Per-card sliding-window features, updated one event at a time.

    For an event of card ``c`` at time ``t`` (events arrive in time order),
    for each window ``w`` (seconds): the number and total amount of ``c``'s
    transactions in ``[t - w, t]``, *this one included* (as pandas'
    ``rolling(f"{w}s", closed="both")`` counts), and the seconds since ``c``'s
    previous transaction (``inf`` for its first). State is, per card and
    window, a deque of the events still inside the window and their running
    sum (what a stream processor keeps per key); each update is amortised O(1).
    """

    def __init__(self, windows: Sequence[float] = (60, 3600, 86_400)):
        if not windows or any(w <= 0 for w in windows):
            raise ValueError(f"windows must be positive numbers of seconds, got {windows!r}")
        self.windows = tuple(float(w) for w in windows)
        self._state: dict = {}  # card -> one [deque of (t, amount), running sum] per window
        self._last_t: dict = {}

    @property
    def names(self) -> list[str]:
        out = []
        for w in self.windows:
            out += [f"count_{int(w)}s", f"sum_{int(w)}s"]
        return out + ["since_last_s"]

    def update(self, card, t: float, amount: float) -> list[float]:
        """Add one event; return ``[count_w1, sum_w1, count_w2, sum_w2, ..., since_last_s]``."""
        last = self._last_t.get(card)
        if last is not None and t < last:
            raise ValueError(f"events must arrive in time order: card {card!r} at t={t} after t={last}")
        state = self._state.get(card)
        if state is None:
            state = self._state[card] = [[deque(), 0.0] for _ in self.windows]
        out = []
        for w, slot in zip(self.windows, state):
            events = slot[0]
            events.append((t, amount))
            slot[1] += amount
            while events[0][0] < t - w:  # the oldest event left the window
                slot[1] -= events.popleft()[1]
            if len(events) == 1:
                slot[1] = amount  # resynchronise: no rounding drift survives an empty window
            out += [float(len(events)), slot[1]]
        self._last_t[card] = t
        out.append(float("inf") if last is None else t - last)
        return out

    def transform(self, cards: Sequence, times: Sequence[float], amounts: Sequence[float]) -> np.ndarray:
        """Run :meth:`update` over a whole time-ordered stream, shape (n_events, n_features)."""
        return np.array([self.update(c, t, a) for c, t, a in zip(cards, times, amounts, strict=True)])


def velocity_features_pandas(df: pd.DataFrame, windows: Sequence[float]) -> pd.DataFrame:
    """The same counts and sums computed in batch with pandas' time-based rolling windows (an oracle)."""
    d = df[["card", "t", "amount"]].copy()
    d["ts"] = pd.to_datetime(d.t, unit="s")
    d["order"] = np.arange(len(d))
    out = pd.DataFrame(index=d.index)
    grouped = d.set_index("ts").groupby("card", sort=False)
    for w in windows:
        rolled = grouped[["amount", "order"]].rolling(f"{int(w)}s", closed="both")
        count = rolled["amount"].count().reset_index(level=0, drop=True)
        total = rolled["amount"].sum().reset_index(level=0, drop=True)
        order = grouped["order"].apply(lambda s: s).reset_index(level=0, drop=True)
        out[f"count_{int(w)}s"] = pd.Series(count.to_numpy(), index=order.to_numpy()).sort_index()
        out[f"sum_{int(w)}s"] = pd.Series(total.to_numpy(), index=order.to_numpy()).sort_index()
    return out


def expected_cost(y: np.ndarray, scores: np.ndarray, amounts: np.ndarray, threshold: float,
                  cost_fp: float, cost_review: float = 0.0) -> float:
    """Money lost at a threshold: missed fraud amounts + ``cost_fp`` per false alarm + review of every alert."""
    y, scores, amounts = np.asarray(y, bool), np.asarray(scores), np.asarray(amounts)
    flagged = scores >= threshold
    return float(amounts[y & ~flagged].sum() + cost_fp * np.sum(~y & flagged) + cost_review * flagged.sum())


def choose_threshold_by_cost(y: np.ndarray, scores: np.ndarray, amounts: np.ndarray, cost_fp: float,
                             cost_review: float = 0.0) -> tuple[float, float]:
    """The threshold (among the observed scores, or above them all) with the least expected cost.

    Returns ``(threshold, cost)``. Sorting once makes every candidate cost
    one cumulative sum: O(n log n), not O(n^2).
    """
    y, scores, amounts = np.asarray(y, bool), np.asarray(scores, float), np.asarray(amounts, float)
    if not (y.shape == scores.shape == amounts.shape) or y.ndim != 1 or not y.size:
        raise ValueError("y, scores and amounts must be 1-D arrays of the same non-zero length")
    if cost_fp < 0 or cost_review < 0:
        raise ValueError("costs must be >= 0")
    order = np.argsort(-scores, kind="stable")
    s, yy, a = scores[order], y[order], amounts[order]
    # Candidate thresholds: each distinct score (flag everything >= it), plus "flag nothing".
    last_of_value = np.r_[s[1:] != s[:-1], True]  # flag through the last tie of each value
    caught = np.cumsum(np.where(yy, a, 0.0))  # fraud amount caught when flagging the first i+1
    false_alarms = np.cumsum(~yy)
    alerts = np.arange(1, s.size + 1)
    missed = a[yy].sum() - caught
    costs = missed + cost_fp * false_alarms + cost_review * alerts
    costs = np.where(last_of_value, costs, np.inf)
    nothing = a[yy].sum()
    best = int(np.argmin(costs))
    if costs[best] < nothing:
        return float(s[best]), float(costs[best])
    return float(np.nextafter(s[0], np.inf)), float(nothing)


def threshold_for_fpr(y: np.ndarray, scores: np.ndarray, max_fpr: float) -> float:
    """The lowest threshold whose false-positive rate on ``y`` is at most ``max_fpr``."""
    y, scores = np.asarray(y, bool), np.asarray(scores, float)
    if not 0 <= max_fpr <= 1:
        raise ValueError(f"max_fpr must be in [0, 1], got {max_fpr}")
    legit = np.sort(scores[~y])[::-1]
    allowed = int(np.floor(max_fpr * legit.size))
    if allowed >= legit.size:
        return float(scores.min())
    # Flag strictly above the (allowed+1)-th highest legitimate score.
    return float(np.nextafter(legit[allowed], np.inf))


def rates_at(y: np.ndarray, scores: np.ndarray, threshold: float) -> dict[str, float]:
    """Precision, recall and false-positive rate when flagging ``scores >= threshold``."""
    y, flagged = np.asarray(y, bool), np.asarray(scores) >= threshold
    tp, fp = int(np.sum(y & flagged)), int(np.sum(~y & flagged))
    return {"precision": tp / max(tp + fp, 1), "recall": tp / max(int(y.sum()), 1),
            "fpr": fp / max(int((~y).sum()), 1), "alerts": float(tp + fp)}
