"""Lab 3 tests, tasks 4 and 5: your TF-IDF against scikit-learn's TfidfVectorizer."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.feature_extraction.text import TfidfVectorizer as SklearnTfidf

from aimastery.capstone.synthetic import generate_issues
from aimastery.data.texts import load_lee_background
from aimastery.labs.scratch import assert_written_from_scratch

from . import tfidf
from .tfidf import TfidfVectorizer, tokenize

TASK4 = pytest.mark.task(4, "TF-IDF: tokens and vocabulary")
TASK5 = pytest.mark.task(5, "TF-IDF: the weights")

TOY = ["The cat sat on the mat.", "The dog sat.", "The cat and a dog!", "the the THE cat"]  # the chapter's
TRICKY = ["Hello, World!", "x y z ab", "don't stop", "C++ and C# 3.11", "snake_case CamelCase",
          "Café NAÏVE über", "tabs\tand\nnewlines", "", "   ", "Ünïcödé ΣΊΣΥΦΟΣ 東京 2024"]


@pytest.fixture(scope="module")
def corpora():
    issues = [i.text for i in generate_issues(60, seed=5)]  # 240 synthetic issues
    news = load_lee_background()[:120]  # real news articles, shipped with gensim
    return {"toy": (TOY, TOY[::-1] + ["an unseen word"]), "issues": (issues[:180], issues[180:]),
            "news": (news[:90], news[90:])}


# ----- Task 4: tokens and vocabulary


@TASK4
@pytest.mark.parametrize("text", TRICKY)
def test_tokenize_matches_sklearn(text):
    expected = SklearnTfidf().build_analyzer()(text)
    assert tokenize(text) == expected, f"tokens of {text!r}: got {tokenize(text)}, scikit-learn gives {expected}"


@TASK4
@settings(max_examples=50)
@given(st.text(st.characters(codec="utf-8"), max_size=60))
def test_tokenize_matches_sklearn_on_random_text(text):
    assert tokenize(text) == SklearnTfidf().build_analyzer()(text)


@TASK4
@pytest.mark.parametrize("name", ["toy", "issues", "news"])
@pytest.mark.parametrize("min_df", [1, 2, 5])
def test_vocabulary_and_document_frequencies_match_sklearn(corpora, name, min_df):
    train, _ = corpora[name]
    if min_df == 5 and name == "toy":
        min_df = 3
    ours = TfidfVectorizer(min_df=min_df).build_vocabulary(train)
    counts = CountVectorizer(min_df=min_df, binary=True).fit(train)
    expected_df = np.asarray(counts.transform(train).sum(axis=0)).ravel()
    assert ours.vocabulary_ == counts.vocabulary_, (
        f"{name}, min_df={min_df}: {len(ours.vocabulary_)} terms, scikit-learn keeps {len(counts.vocabulary_)}; "
        f"first differences: {sorted(set(ours.vocabulary_) ^ set(counts.vocabulary_))[:5]} "
        "(or the same terms in other columns: sort them)")
    assert np.array_equal(ours.df_, expected_df), \
        f"{name}: df_ counts the documents that contain each term (once per document), in column order"
    assert_written_from_scratch(tfidf)


# ----- Task 5: the weights


OPTIONS = [dict(), dict(smooth_idf=False), dict(sublinear_tf=True), dict(norm=None),
           dict(min_df=2, sublinear_tf=True, smooth_idf=False), dict(sublinear_tf=True, norm=None)]


@TASK5
def test_idf_by_hand():
    vec = TfidfVectorizer(smooth_idf=False).fit(TOY)
    cat, sat = vec.vocabulary_["cat"], vec.vocabulary_["sat"]
    # 4 documents; "cat" is in 3 of them, "sat" in 2
    assert vec.idf_[cat] == pytest.approx(np.log(4 / 3) + 1), "idf = ln(n / df) + 1: for 'cat', ln(4/3) + 1"
    assert vec.idf_[sat] == pytest.approx(np.log(4 / 2) + 1)
    smooth = TfidfVectorizer().fit(TOY)
    assert smooth.idf_[cat] == pytest.approx(np.log(5 / 4) + 1), "smooth_idf: ln((n + 1) / (df + 1)) + 1"


@TASK5
@pytest.mark.parametrize("name", ["toy", "issues", "news"])
@pytest.mark.parametrize("options", OPTIONS, ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()) or "defaults")
def test_matrix_matches_sklearn(corpora, name, options):
    train, test = corpora[name]
    ours = TfidfVectorizer(**options).fit(train)
    theirs = SklearnTfidf(**options).fit(train)
    np.testing.assert_allclose(ours.idf_, theirs.idf_, rtol=0, atol=1e-12, err_msg="idf_")
    for docs, part in ((train, "training"), (test, "unseen")):
        X = ours.transform(docs)
        expected = theirs.transform(docs).toarray()
        assert isinstance(X, np.ndarray) and X.shape == expected.shape, \
            f"transform returns an ndarray of shape {expected.shape}, got {type(X).__name__} {np.shape(X)}"
        worst = float(np.max(np.abs(X - expected)))
        assert worst <= 1e-12, f"{name}, {options or 'defaults'}, {part} documents: largest difference {worst:.2e}"
    assert_written_from_scratch(tfidf)


@TASK5
def test_a_document_without_known_words_is_a_row_of_zeros():
    vec = TfidfVectorizer().fit(TOY)
    with np.errstate(all="raise"):  # 0 / 0 would raise here instead of leaving NaN
        X = vec.transform(["", "unknown words only", "cat"])
    assert not np.isnan(X).any() and not X[0].any() and not X[1].any(), "no known term: a row of zeros, not NaN"
    assert np.linalg.norm(X[2]) == pytest.approx(1.0)


@TASK5
def test_sublinear_tf_dampens_repeats():
    vec = TfidfVectorizer(sublinear_tf=True, norm=None, smooth_idf=False).fit(["cat cat cat cat dog", "dog"])
    X = vec.transform(["cat cat cat cat dog"])
    cat = vec.vocabulary_["cat"]
    assert X[0, cat] == pytest.approx((1 + np.log(4)) * (np.log(2 / 1) + 1)), \
        "4 cats: tf = 1 + ln 4, times idf = ln(2/1) + 1"
