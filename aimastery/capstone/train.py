"""The training pipeline: data, split, TF-IDF, the two TF-IDF models, evaluation in and out of distribution, artefacts.

Taught step by step in the capstone chapter (book/capstone_issue_classifier.md);
``python -m aimastery.capstone train`` runs it end to end. Every model is
scored on the held-out part of its own data *and* on issues unlike it: the
hand-written real-style set (:mod:`aimastery.capstone.data`) and, with
``--eval-data``, a real export of your own. The service serves
``TrainConfig.model``, the TF-IDF logistic regression, because it is the one
that generalises best (the chapter measures it).
"""

from __future__ import annotations

import platform
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from aimastery.capstone.artefacts import MODEL_TENSORS, save_artefacts
from aimastery.capstone.evaluation import Evaluation, evaluate
from aimastery.capstone.features import TfidfFeatures, fit_tfidf
from aimastery.capstone.issues import LABELS, Issue, dataset_hash
from aimastery.capstone.loader import load_issues
from aimastery.capstone.models import (
    MLPConfig, TrainHistory, logreg_tensors, mlp_tensors, predict_proba_mlp, train_logreg, train_mlp,
)
from aimastery.capstone.synthetic import generate_issues
from aimastery.config import SEED

#: The models' names, as the chapter and the reports print them.
MODEL_NAMES = {"tfidf-logreg": "TF-IDF + logistic regression", "tfidf-mlp": "TF-IDF + MLP"}
SYNTHETIC = "synthetic held-out"


def minilm_name(n_tokens: int) -> str:
    """How the reports name a MiniLM probe that reads ``n_tokens`` tokens per issue."""
    return f"MiniLM-{n_tokens} + linear head"


HANDWRITTEN_DEV = "hand-written, dev"
HANDWRITTEN_TEST = "hand-written, held out"


@dataclass
class TrainConfig:
    """Every setting of a training run, in one place (recorded in the manifest)."""

    n_per_label: int = 500  # synthetic data: 4 x 500 = 2,000 issues
    seed: int = SEED
    test_size: float = 0.2
    max_features: int = 20_000
    min_df: int = 2
    model: str = "tfidf-logreg"  # the model the service serves: a key of artefacts.MODEL_TENSORS
    logreg_C: float = 10.0
    mlp: MLPConfig = field(default_factory=MLPConfig)

    def __post_init__(self) -> None:
        if self.model not in MODEL_TENSORS:
            raise ValueError(f"model is one of {', '.join(MODEL_TENSORS)}, got {self.model!r}")


@dataclass
class Split:
    """Train and held-out issues, with their labels as indices into LABELS."""

    train: list[Issue]
    test: list[Issue]

    @property
    def y_train(self) -> np.ndarray:
        return label_indices(self.train)

    @property
    def y_test(self) -> np.ndarray:
        return label_indices(self.test)


@dataclass
class TrainResult:
    """What a run wrote, and every model's scores on every evaluation set: ``scores[model][set]``."""

    manifest: dict[str, Any]
    features: TfidfFeatures
    scores: dict[str, dict[str, Evaluation]]
    history: TrainHistory

    @property
    def served(self) -> dict[str, Evaluation]:
        return self.scores[self.manifest["model"]["kind"]]


def label_indices(issues: Sequence[Issue]) -> np.ndarray:
    """Each issue's label as its index in LABELS, shape (N,)."""
    return np.array([LABELS.index(i.label) for i in issues], dtype=np.int64)


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


def evaluation_sets(eval_data: str | Path | None = None, log: Callable[[str], None] = print,
                    ) -> dict[str, list[Issue]]:
    """The issues every model is scored on besides its own held-out split, by name.

    The two parts of the hand-written set, then ``eval_data``, an export of
    real issues loaded exactly like training data (``--eval-data`` on the
    command line), named after its file.
    """
    from aimastery.capstone.data import handwritten_issues

    sets = {HANDWRITTEN_DEV: handwritten_issues("dev"), HANDWRITTEN_TEST: handwritten_issues("test")}
    if eval_data is not None:
        result = load_issues(eval_data)
        log(f"evaluation set {result.summary()}")
        sets[Path(eval_data).name] = result.issues
    return sets


def split_issues(issues: Sequence[Issue], test_size: float = 0.2, seed: int = SEED) -> Split:
    """A stratified split: each label keeps its share in both parts."""
    from sklearn.model_selection import train_test_split

    train, test = train_test_split(list(issues), test_size=test_size, random_state=seed,
                                   stratify=[i.label for i in issues])
    return Split(train, test)


def train_and_save(out_dir: str | Path, config: TrainConfig = TrainConfig(), data: str | Path | None = None, *,
                   eval_data: str | Path | None = None, progress: bool = True,
                   log: Callable[[str], None] = print) -> TrainResult:
    """Run the whole pipeline and write the artefacts of ``config.model`` to ``out_dir``."""
    import sklearn
    import torch

    issues, source = load_training_data(data, config, log)
    split = split_issues(issues, config.test_size, config.seed)
    log(f"{len(split.train)} training and {len(split.test)} held-out issues "
        f"(training data sha256 {source['sha256'][:12]}...)")
    features, _ = fit_tfidf([i.text for i in split.train], max_features=config.max_features,
                            min_df=config.min_df)
    X_train = features.transform([i.text for i in split.train])
    log(f"TF-IDF: {features.n_features} terms (word 1- and 2-grams)")
    logreg = train_logreg(X_train, split.y_train, C=config.logreg_C, seed=config.seed)
    mlp, history = train_mlp(X_train, split.y_train, len(LABELS), config.mlp, progress=progress,
                             X_val=features.transform([i.text for i in split.test]), y_val=split.y_test)
    predict = {"tfidf-logreg": lambda X: logreg.predict(X),
               "tfidf-mlp": lambda X: predict_proba_mlp(mlp, X).argmax(1)}
    sets = {SYNTHETIC: split.test, **evaluation_sets(eval_data, log)}
    scores: dict[str, dict[str, Evaluation]] = {}
    for kind, name in MODEL_NAMES.items():
        scores[kind] = {where: evaluate(name, label_indices(part), predict[kind](features.transform([i.text for i in part])))
                        for where, part in sets.items()}
        log(f"{name}: " + ", ".join(f"{where} {ev.accuracy:.1%}" for where, ev in scores[kind].items()))
    tensors = logreg_tensors(logreg) if config.model == "tfidf-logreg" else mlp_tensors(mlp)
    hyper = {"C": config.logreg_C} if config.model == "tfidf-logreg" else asdict(config.mlp)
    served = scores[config.model]
    manifest = save_artefacts(
        out_dir, features=features, tensors=tensors, labels=LABELS,
        model={"kind": config.model, "n_features": features.n_features, **hyper,
               "max_features": config.max_features, "min_df": config.min_df,
               "trained_with": {"python": platform.python_version(), "torch": torch.__version__,
                                "scikit-learn": sklearn.__version__}},
        training_data={**source, "test_size": config.test_size, "n_train": len(split.train),
                       "n_test": len(split.test)},
        metrics={"held_out": served[SYNTHETIC].to_json(),
                 "out_of_distribution": {where: ev.to_json() for where, ev in served.items() if where != SYNTHETIC},
                 "accuracy_of_every_model": {MODEL_NAMES[k]: {where: round(ev.accuracy, 4) for where, ev in v.items()}
                                             for k, v in scores.items()}},
    )
    log(f"wrote {out_dir} (model version {manifest['model_version']})")
    return TrainResult(manifest, features, scores, history)


def compare_models(split: Split, sets: dict[str, list[Issue]], config: TrainConfig = TrainConfig(), *,
                   minilm_max_tokens: Sequence[int] = (32, 128), progress: bool = True) -> dict[str, dict[str, Evaluation]]:
    """Every model on the held-out split and on ``sets``: ``{model name: {set name: Evaluation}}``.

    The models: TF-IDF + logistic regression, TF-IDF + MLP, and MiniLM + a
    linear head at each of ``minilm_max_tokens`` tokens per issue.
    """
    from aimastery.capstone.embedding import predict_proba_head, train_linear_head
    from aimastery.pretrained import MiniLMEncoder

    sets = {SYNTHETIC: split.test, **sets}
    texts = {where: [i.text for i in part] for where, part in sets.items()}
    truth = {where: label_indices(part) for where, part in sets.items()}
    train_texts = [i.text for i in split.train]
    features, _ = fit_tfidf(train_texts, max_features=config.max_features, min_df=config.min_df)
    X_train = features.transform(train_texts)
    logreg = train_logreg(X_train, split.y_train, C=config.logreg_C, seed=config.seed)
    mlp, _ = train_mlp(X_train, split.y_train, len(LABELS), config.mlp, progress=progress)
    predictions = {
        MODEL_NAMES["tfidf-logreg"]: {w: logreg.predict(features.transform(t)) for w, t in texts.items()},
        MODEL_NAMES["tfidf-mlp"]: {w: predict_proba_mlp(mlp, features.transform(t)).argmax(1) for w, t in texts.items()},
    }
    for n_tokens in minilm_max_tokens:
        encoder = MiniLMEncoder(max_tokens=n_tokens)
        head = train_linear_head(encoder.encode(train_texts), split.y_train, len(LABELS), seed=config.seed)
        predictions[minilm_name(n_tokens)] = {
            w: predict_proba_head(head, encoder.encode(t)).argmax(1) for w, t in texts.items()}
    return {name: {w: evaluate(name, truth[w], p) for w, p in by_set.items()} for name, by_set in predictions.items()}
