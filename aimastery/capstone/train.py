"""The training pipeline: data, split, TF-IDF, the MLP and its baseline, evaluation, artefacts.

Taught step by step in the capstone chapter (book/capstone_issue_classifier.md);
``python -m aimastery.capstone train`` runs it end to end.
"""

from __future__ import annotations

import platform
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from aimastery.capstone.artefacts import save_artefacts
from aimastery.capstone.evaluation import Evaluation, evaluate
from aimastery.capstone.features import TfidfFeatures, fit_tfidf
from aimastery.capstone.issues import LABELS, Issue, dataset_hash
from aimastery.capstone.loader import load_issues
from aimastery.capstone.models import MLPConfig, TrainHistory, mlp_tensors, predict_proba_mlp, train_logreg, train_mlp
from aimastery.capstone.synthetic import generate_issues
from aimastery.config import SEED


@dataclass
class TrainConfig:
    """Every setting of a training run, in one place (recorded in the manifest)."""

    n_per_label: int = 500  # synthetic data: 4 x 500 = 2,000 issues
    seed: int = SEED
    test_size: float = 0.2
    max_features: int = 20_000
    min_df: int = 2
    mlp: MLPConfig = field(default_factory=MLPConfig)


@dataclass
class Split:
    """Train and held-out issues, with their labels as indices into LABELS."""

    train: list[Issue]
    test: list[Issue]

    @property
    def y_train(self) -> np.ndarray:
        return np.array([LABELS.index(i.label) for i in self.train])

    @property
    def y_test(self) -> np.ndarray:
        return np.array([LABELS.index(i.label) for i in self.test])


@dataclass
class TrainResult:
    manifest: dict[str, Any]
    features: TfidfFeatures
    mlp: Evaluation
    baseline: Evaluation
    history: TrainHistory


def load_training_data(data: str | Path | None, config: TrainConfig,
                       log: Callable[[str], None] = print) -> tuple[list[Issue], dict[str, Any]]:
    """The issues to train on (an export, or synthetic ones) and how to describe them in the manifest."""
    if data is None:
        issues = generate_issues(config.n_per_label, config.seed)
        source = {"source": "synthetic", "generator": "aimastery.capstone.synthetic",
                  "n_per_label": config.n_per_label, "seed": config.seed}
    else:
        result = load_issues(data)
        log(result.summary())
        issues = result.issues
        source = {"source": Path(data).name, "rows_skipped": len(result.problems)}
    counts = {label: sum(i.label == label for i in issues) for label in LABELS}
    too_few = [label for label, n in counts.items() if n < 2]
    if too_few:
        raise ValueError(f"every label needs at least 2 issues to split them; too few: {', '.join(too_few)} "
                         f"(counts: {counts})")
    source.update({"n_issues": len(issues), "label_counts": counts, "sha256": dataset_hash(issues)})
    return issues, source


def split_issues(issues: Sequence[Issue], test_size: float = 0.2, seed: int = SEED) -> Split:
    """A stratified split: each label keeps its share in both parts."""
    from sklearn.model_selection import train_test_split

    train, test = train_test_split(list(issues), test_size=test_size, random_state=seed,
                                   stratify=[i.label for i in issues])
    return Split(train, test)


def train_and_save(out_dir: str | Path, config: TrainConfig = TrainConfig(), data: str | Path | None = None, *,
                   progress: bool = True, log: Callable[[str], None] = print) -> TrainResult:
    """Run the whole pipeline and write the artefacts to ``out_dir``."""
    import sklearn
    import torch

    issues, source = load_training_data(data, config, log)
    split = split_issues(issues, config.test_size, config.seed)
    log(f"{len(split.train)} training and {len(split.test)} held-out issues "
        f"(training data sha256 {source['sha256'][:12]}...)")
    features, _ = fit_tfidf([i.text for i in split.train], max_features=config.max_features,
                            min_df=config.min_df)
    X_train = features.transform([i.text for i in split.train])
    X_test = features.transform([i.text for i in split.test])
    log(f"TF-IDF: {features.n_features} terms (word 1- and 2-grams)")
    model, history = train_mlp(X_train, split.y_train, len(LABELS), config.mlp,
                               X_val=X_test, y_val=split.y_test, progress=progress)
    mlp_eval = evaluate("TF-IDF + MLP", split.y_test, predict_proba_mlp(model, X_test).argmax(1))
    baseline = train_logreg(X_train, split.y_train, seed=config.seed)
    base_eval = evaluate("TF-IDF + logistic regression", split.y_test, baseline.predict(X_test))
    log(f"held-out accuracy: MLP {mlp_eval.accuracy:.1%}, logistic regression {base_eval.accuracy:.1%}")
    manifest = save_artefacts(
        out_dir, features=features, tensors=mlp_tensors(model), labels=LABELS,
        model={"kind": "tfidf-mlp", "n_features": features.n_features, **asdict(config.mlp),
               "max_features": config.max_features, "min_df": config.min_df,
               "trained_with": {"python": platform.python_version(), "torch": torch.__version__,
                                "scikit-learn": sklearn.__version__}},
        training_data={**source, "test_size": config.test_size, "n_train": len(split.train),
                       "n_test": len(split.test)},
        metrics={"held_out": mlp_eval.to_json(), "baseline_logistic_regression": base_eval.to_json()},
    )
    log(f"wrote {out_dir} (model version {manifest['model_version']})")
    return TrainResult(manifest, features, mlp_eval, base_eval, history)


def compare_models(split: Split, config: TrainConfig = TrainConfig(), *, minilm_max_length: int = 32,
                   progress: bool = True) -> list[Evaluation]:
    """The three models on the same held-out split: logistic regression, TF-IDF + MLP, MiniLM + linear head."""
    from aimastery.capstone.embedding import predict_proba_head, train_linear_head
    from aimastery.pretrained import MiniLMEncoder

    train_texts, test_texts = [i.text for i in split.train], [i.text for i in split.test]
    features, _ = fit_tfidf(train_texts, max_features=config.max_features, min_df=config.min_df)
    X_train, X_test = features.transform(train_texts), features.transform(test_texts)
    baseline = train_logreg(X_train, split.y_train, seed=config.seed)
    mlp, _ = train_mlp(X_train, split.y_train, len(LABELS), config.mlp, progress=progress)
    encoder = MiniLMEncoder(max_tokens=minilm_max_length)
    E_train, E_test = encoder.encode(train_texts), encoder.encode(test_texts)
    head = train_linear_head(E_train, split.y_train, len(LABELS), seed=config.seed)
    return [
        evaluate("TF-IDF + logistic regression", split.y_test, baseline.predict(X_test)),
        evaluate("TF-IDF + MLP", split.y_test, predict_proba_mlp(mlp, X_test).argmax(1)),
        evaluate("MiniLM + linear head", split.y_test, predict_proba_head(head, E_test).argmax(1)),
    ]
