"""TF-IDF in NumPy against scikit-learn, the MLP against its NumPy forward pass, the pipeline's target."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from aimastery.capstone.features import TfidfFeatures, fit_tfidf
from aimastery.capstone.issues import LABELS
from aimastery.capstone.models import MLPConfig, csr_batch, logreg_tensors, mlp_tensors, train_logreg, train_mlp
from aimastery.capstone.predictor import Predictor, logreg_logits, mlp_logits, softmax
from aimastery.capstone.synthetic import generate_issues
from aimastery.checks import assert_close

ISSUES = generate_issues(60, seed=5)
TEXTS = [i.text for i in ISSUES]


@pytest.fixture(scope="module")
def fitted():
    return fit_tfidf(TEXTS, min_df=1)


def test_numpy_tfidf_matches_scikit_learn(fitted):
    features, vectorizer = fitted
    ours = features.transform(TEXTS, dtype=np.float64).toarray()
    assert_close(ours, vectorizer.transform(TEXTS).toarray(), rtol=0, atol=1e-12, name="TF-IDF")


@given(st.text(alphabet=st.sampled_from(list("abc xyz_0é\u00a0\n\t-.ÅΣς")), max_size=60))
def test_numpy_tfidf_matches_scikit_learn_on_any_text(fitted, text):
    features, vectorizer = fitted
    text = text + " crash crash when running"
    ours = features.transform([text], dtype=np.float64).toarray()
    assert_close(ours, vectorizer.transform([text]).toarray(), rtol=0, atol=1e-12, name=f"TF-IDF of {text!r}")


def test_tfidf_json_round_trip_and_validation(fitted):
    features, _ = fitted
    again = TfidfFeatures.from_json(features.to_json())
    cols, vals = features.transform_one(TEXTS[0])
    cols2, vals2 = again.transform_one(TEXTS[0])
    assert np.array_equal(cols, cols2) and np.array_equal(vals, vals2)
    bad = features.to_json() | {"idf": features.to_json()["idf"][:-1]}
    with pytest.raises(ValueError, match="terms but"):
        TfidfFeatures.from_json(bad)
    with pytest.raises(ValueError, match="token_pattern"):
        TfidfFeatures.from_json(features.to_json() | {"token_pattern": r"\w+"})
    with pytest.raises(ValueError, match="kind"):
        TfidfFeatures.from_json(["not", "a", "vocabulary"])


def test_empty_text_is_an_empty_vector(fitted):
    cols, vals = fitted[0].transform_one("")
    assert cols.shape == vals.shape == (0,)


def test_numpy_forward_matches_torch(fitted):
    features, _ = fitted
    X = features.transform(TEXTS)
    y = np.array([LABELS.index(i.label) for i in ISSUES])
    model, history = train_mlp(X, y, len(LABELS), MLPConfig(num_epochs=2, hidden=16), progress=False)
    assert len(history.loss) == 2
    with torch.no_grad():
        expected = torch.softmax(model(*csr_batch(X)), dim=1).numpy()
    tensors = mlp_tensors(model)
    ours = np.stack([softmax(mlp_logits(tensors, *features.transform_one(t))) for t in TEXTS])
    assert_close(ours, expected, rtol=1e-5, atol=1e-6, name="probabilities")


def test_numpy_logistic_regression_matches_scikit_learn(fitted):
    features, _ = fitted
    X = features.transform(TEXTS)
    y = np.array([LABELS.index(i.label) for i in ISSUES])
    model = train_logreg(X, y)
    tensors = logreg_tensors(model)
    assert tensors["coef"].shape == (len(LABELS), features.n_features)
    ours = np.stack([softmax(logreg_logits(tensors, *features.transform_one(t))) for t in TEXTS])
    assert_close(ours, model.predict_proba(X), rtol=1e-4, atol=1e-5, name="probabilities")


def test_training_is_reproducible(fitted):
    features, _ = fitted
    X = features.transform(TEXTS)
    y = np.array([LABELS.index(i.label) for i in ISSUES])
    a = mlp_tensors(train_mlp(X, y, 4, MLPConfig(num_epochs=1, hidden=8), progress=False)[0])
    b = mlp_tensors(train_mlp(X, y, 4, MLPConfig(num_epochs=1, hidden=8), progress=False)[0])
    assert all(np.array_equal(a[k], b[k]) for k in a)


def test_small_model_beats_chance_by_far(artefacts_dir):
    predictor = Predictor.load(artefacts_dir)
    assert predictor.kind == "tfidf-logreg"  # what the service serves
    held_out = generate_issues(50, seed=99)
    accuracy = np.mean([predictor.predict(i.title, i.body).label == i.label for i in held_out])
    assert accuracy > 0.8, f"accuracy {accuracy:.1%} on fresh synthetic issues"
    probs = predictor.predict_proba("Typo in the README", "")
    assert probs.shape == (4,) and abs(probs.sum() - 1) < 1e-6
