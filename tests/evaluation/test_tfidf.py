"""TF-IDF from scratch equals scikit-learn's TfidfVectorizer: same vocabulary, values within 1e-12."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.feature_extraction.text import TfidfVectorizer as SkTfidf

from aimastery.capstone.synthetic import generate_issues
from aimastery.data.texts import load_lee_background, load_pang_lee_polarity
from aimastery.evaluation.tfidf import TfidfVectorizer


@pytest.fixture(scope="module")
def corpora():
    return {
        "synthetic issues": [i.text for i in generate_issues(150, seed=3)],
        "lee background": load_lee_background(),
        "pang-lee polarity": load_pang_lee_polarity().texts,
    }


OPTIONS = st.fixed_dictionaries({
    "lowercase": st.booleans(),
    "ngram_range": st.sampled_from([(1, 1), (1, 2), (2, 2), (1, 3)]),
    "min_df": st.sampled_from([1, 2, 3, 0.01]),
    "max_df": st.sampled_from([1.0, 0.9, 0.5, 40]),
    "use_idf": st.booleans(),
    "smooth_idf": st.booleans(),
    "sublinear_tf": st.booleans(),
    "norm": st.sampled_from(["l2", "l1", None]),
})


def assert_same(ours, theirs, train, test):
    a, b = ours.fit_transform(train), theirs.fit_transform(train)
    assert ours.vocabulary_ == theirs.vocabulary_, "the same terms in the same columns"
    assert a.shape == b.shape and abs(a - b).max() <= 1e-12 if a.nnz else True
    if ours.use_idf:
        np.testing.assert_allclose(ours.idf_, theirs.idf_, rtol=0, atol=1e-12)
    assert abs(ours.transform(test) - theirs.transform(test)).max() <= 1e-12
    return abs(a - b).max()


@settings(max_examples=15)
@given(OPTIONS, st.sampled_from(["synthetic issues", "lee background", "pang-lee polarity"]))
def test_equals_sklearn_on_real_corpora(corpora, options, name):
    docs = corpora[name]
    cut = len(docs) * 3 // 4
    assert_same(TfidfVectorizer(**options), SkTfidf(**options), docs[:cut], docs[cut:])


@settings(max_examples=60)
@given(st.lists(st.text(st.characters(codec="utf-8"), max_size=40), min_size=1, max_size=8), OPTIONS)
def test_equals_sklearn_on_random_unicode(docs, options):
    docs = docs + ["Hello hello world, and the WORLD again"]  # at least some tokens
    options = options | {"min_df": 1, "max_df": 1.0}
    assert_same(TfidfVectorizer(**options), SkTfidf(**options), docs, docs[::-1])


def test_unseen_terms_and_empty_documents_give_empty_rows():
    vec = TfidfVectorizer().fit(["red apples", "green apples"])
    X = vec.transform(["", "blue pears", "apples apples"]).toarray()
    assert not X[0].any() and not X[1].any()
    assert X[2, vec.vocabulary_["apples"]] == pytest.approx(1.0)


@pytest.mark.parametrize("call, message", [
    (lambda: TfidfVectorizer().fit(["a b c"]), "no terms are left"),
    (lambda: TfidfVectorizer(min_df=5).fit(["red apples", "green apples"]), "no terms are left"),
    (lambda: TfidfVectorizer(norm="l3"), "norm must be one of"),
    (lambda: TfidfVectorizer(min_df=-1), "count of documents"),
    (lambda: TfidfVectorizer(max_df=1.5), "count of documents"),
    (lambda: TfidfVectorizer(ngram_range=(2, 1)), "ngram_range"),
])
def test_bad_input_is_named(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_one_string_is_not_a_corpus():
    with pytest.raises(TypeError, match="list of documents"):
        TfidfVectorizer().fit("red apples")
    with pytest.raises(RuntimeError, match="call fit"):
        TfidfVectorizer().transform(["red"])
