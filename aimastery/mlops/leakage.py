"""What a naive feature join costs: the same model trained two ways, scored offline and in production.

Taught in the MLOps chapter (book/mlops.md). A classifier reads an issue's
text (TF-IDF) and its reporter's history (label counts from the feature
store). Trained on

* **point-in-time** features (:meth:`FeatureStore.get_historical_features`):
  the history as it stood when each issue was created; or on
* **naive** features (:func:`aimastery.mlops.pit.naive_join`): the
  reporter's counts as they stand when the training set is built, which
  already include the issue's own label and later ones;

it is then scored on a held-out stretch of days with the *same* join
(the offline score a team would report), and in **production**: later
days, features read from the online store, materialised once a day, as a
service would read them when the issue arrives.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from aimastery.capstone.features import fit_tfidf
from aimastery.capstone.issues import issue_text
from aimastery.mlops.feature_store import Entity, FeatureStore, FeatureView, Field
from aimastery.mlops.issue_stream import COUNT_COLUMNS, DAY, EPOCH, history_features, reporter_label_counts
from aimastery.mlops.pit import naive_join

REPORTER = Entity("reporter", description="who opened the issue")
REPORTER_COUNTS = FeatureView(
    "reporter_label_counts", entities=(REPORTER,),
    schema=tuple(Field(c, "int64") for c in (*COUNT_COLUMNS, "n_triaged")),
    ttl=365 * DAY,
    description="the reporter's issues so far, per label, once triaged")
FEATURES = [f"{REPORTER_COUNTS.name}:{f.name}"
            for f in REPORTER_COUNTS.schema]


@dataclass(frozen=True)
class Periods:
    """Days of the stream: train on [0, validate), score offline on [validate, deploy), serve from deploy on."""

    validate: int = 50
    deploy: int = 60


@dataclass
class LeakageResult:
    """Accuracies by join (rows) and by where they are measured (columns), and what went into them."""

    table: pd.DataFrame  # index: "naive join", "point-in-time join", "text only"; columns: "offline", "production"
    n_train: int
    n_offline: int
    n_production: int
    leaked_share: float  # training rows whose naive counts include their own label


def build_store(stream: pd.DataFrame, path: str = ":memory:") -> FeatureStore:
    """A feature store holding the reporters' label counts of ``stream`` in its offline store."""
    store = FeatureStore(path)
    store.apply([REPORTER, REPORTER_COUNTS])
    store.write_to_offline_store(REPORTER_COUNTS.name, reporter_label_counts(stream))
    return store


def spine_of(issues: pd.DataFrame) -> pd.DataFrame:
    """Entity rows for the store: each issue's reporter at the second it was created."""
    return pd.DataFrame({"reporter": issues["reporter"].to_numpy(), "event_timestamp": issues["created"].to_numpy()})


def online_features(store: FeatureStore, issues: pd.DataFrame) -> pd.DataFrame:
    """What a service reads for each issue: the online store, materialised at the start of its day."""
    parts = []
    for day, today in issues.groupby("day", sort=True):
        store.materialize_incremental(EPOCH + int(day) * DAY)
        values = store.get_online_features(FEATURES, [{"reporter": r} for r in today["reporter"]],
                                           now=int(today["created"].min()))
        parts.append(pd.DataFrame({ref.split(":")[1]: v for ref, v in values.items()}, index=today.index))
    return pd.concat(parts).loc[issues.index]


def _fit(X, y, C: float):
    """Logistic regression with BLAS on one thread: L-BFGS makes thousands of tiny BLAS calls, and with
    two threads each waits for the other; on a busy 2-core machine that was 90 times slower."""
    from sklearn.linear_model import LogisticRegression
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        return LogisticRegression(C=C, max_iter=300).fit(X, y)


def run_leakage_experiment(stream: pd.DataFrame, periods: Periods = Periods(), *, C: float = 3.0,
                           max_features: int = 3_000) -> LeakageResult:
    """Train text + reporter-history models with each join; score offline and in production."""
    train = stream[stream["day"] < periods.validate]
    offline = stream[(stream["day"] >= periods.validate) & (stream["day"] < periods.deploy)]
    production = stream[stream["day"] >= periods.deploy]
    cutoff = EPOCH + periods.deploy * DAY  # the training set is built on the day of the deployment

    store = build_store(stream)
    events = store.read_offline(REPORTER_COUNTS.name, until=cutoff)
    joins = {
        "naive join": lambda part: naive_join(spine_of(part), events, on="reporter"),
        "point-in-time join": lambda part: store.get_historical_features(spine_of(part), FEATURES),
    }
    texts = {name: [issue_text(t, b) for t, b in zip(part["title"], part["body"])]
             for name, part in (("train", train), ("offline", offline), ("production", production))}
    tfidf, _ = fit_tfidf(texts["train"], max_features=max_features)
    X_text = {name: tfidf.transform(t) for name, t in texts.items()}
    served = history_features(online_features(store, production))  # the same for both models

    rows = {}
    for name, join in joins.items():
        H_train, H_offline = history_features(join(train)), history_features(join(offline))
        model = _fit(sp.hstack([X_text["train"], H_train]).tocsr(), train["y"], C)
        rows[name] = {
            "offline": float(np.mean(model.predict(sp.hstack([X_text["offline"], H_offline]).tocsr())
                                     == offline["y"])),
            "production": float(np.mean(model.predict(sp.hstack([X_text["production"], served]).tocsr())
                                        == production["y"])),
        }
    text_only = _fit(X_text["train"], train["y"], C)
    rows["text only"] = {"offline": float(np.mean(text_only.predict(X_text["offline"]) == offline["y"])),
                         "production": float(np.mean(text_only.predict(X_text["production"]) == production["y"]))}

    naive_train = joins["naive join"](train)
    own_label_counted = (stream.loc[train.index, "triaged"].to_numpy() <= cutoff)
    store.close()
    return LeakageResult(pd.DataFrame(rows).T[["offline", "production"]], len(train), len(offline),
                         len(production), float(np.mean(own_label_counted & naive_train["n_triaged"].notna())))
