"""The predictor the service runs: verified artefacts in, label and probabilities out, NumPy only.

Taught in the capstone chapter (book/capstone_issue_classifier.md). Serving
needs no PyTorch and no scikit-learn: TF-IDF is a dictionary look-up
(:class:`~aimastery.capstone.features.TfidfFeatures`); the logistic
regression is one small matrix product on the columns the issue touches
(:func:`logreg_logits`), the network two (:func:`mlp_logits`). The manifest's
model kind says which.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from aimastery.capstone.artefacts import Artefacts, load_artefacts
from aimastery.capstone.issues import issue_text


@dataclass(frozen=True)
class Prediction:
    label: str
    probabilities: dict[str, float]


def logreg_logits(tensors: dict[str, np.ndarray], cols: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Logistic regression on one sparse vector: cols (k,), values (k,) -> logits (C,).

    ``coef @ x`` for a sparse ``x`` reads only the k columns of ``coef``
    (C, V) that the issue's terms touch.
    """
    return tensors["coef"][:, cols] @ values + tensors["intercept"]  # (C, k) @ (k,) + (C,) -> (C,)


def mlp_logits(tensors: dict[str, np.ndarray], cols: np.ndarray, values: np.ndarray) -> np.ndarray:
    """The TF-IDF MLP for one sparse vector: cols (k,), values (k,) -> logits (C,).

    ``values @ W[cols]`` is ``x @ W`` for a sparse ``x``: only k rows of
    ``W`` (V, H) are touched.
    """
    W, b = tensors["hidden.weight"], tensors["hidden_bias"]
    U, c = tensors["out.weight"], tensors["out.bias"]
    h = values @ W[cols] + b  # (k,) @ (k, H) -> (H,)
    np.maximum(h, 0.0, out=h)  # ReLU
    return U @ h + c  # (C, H) @ (H,) -> (C,)


#: The forward pass of each model kind (artefacts.MODEL_TENSORS names their tensors).
LOGITS = {"tfidf-logreg": logreg_logits, "tfidf-mlp": mlp_logits}


def softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max())
    return e / e.sum()


class Predictor:
    """Classifies issues with a loaded set of artefacts (shared, read-only, thread-safe)."""

    def __init__(self, artefacts: Artefacts):
        self.artefacts = artefacts
        self.labels = artefacts.labels
        self.version = artefacts.version
        self.kind = artefacts.kind
        self._features = artefacts.features
        self._tensors = artefacts.tensors
        self._logits = LOGITS[artefacts.kind]

    @classmethod
    def load(cls, path: str | Path | None = None) -> Predictor:
        """Load and verify the artefacts in ``path`` (raises ArtefactError)."""
        return cls(load_artefacts(path))

    def predict_proba(self, title: str, body: str = "") -> np.ndarray:
        """Class probabilities (C,) in ``labels`` order."""
        cols, values = self._features.transform_one(issue_text(title, body))
        return softmax(self._logits(self._tensors, cols, values))

    def predict(self, title: str, body: str = "") -> Prediction:
        probs = self.predict_proba(title, body)
        return Prediction(self.labels[int(probs.argmax())],
                          {label: float(p) for label, p in zip(self.labels, probs)})

    def predict_many(self, issues: Sequence[tuple[str, str]]) -> list[Prediction]:
        return [self.predict(title, body) for title, body in issues]
