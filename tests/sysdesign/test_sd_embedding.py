"""MiniLM sentence embeddings read offline, checked against sentence-transformers."""

import numpy as np
import pytest

from aimastery.sysdesign.embedding import MiniLMEncoder, minilm_folder

SENTENCES = [
    "How does a cache change the tail latency?",
    "Dynamic batching trades a little waiting for much more throughput.",
    "The chain rule multiplies local derivatives.",
    "A short one.",
]


@pytest.fixture(scope="module")
def encoder():
    return MiniLMEncoder()


def test_matches_sentence_transformers(encoder):
    from sentence_transformers import SentenceTransformer

    reference = SentenceTransformer(str(minilm_folder()), device="cpu")
    expected = reference.encode(SENTENCES, normalize_embeddings=True, show_progress_bar=False)
    ours = encoder.encode(SENTENCES, batch_size=3)  # two batches, padded differently
    assert ours.shape == (4, 384) and ours.dtype == np.float32
    np.testing.assert_allclose(ours, expected, atol=2e-5)


def test_similar_sentences_are_closer(encoder):
    e = encoder.encode(["cache hit rate and p95 latency", "how caching moves tail latency",
                        "derivatives of a scalar function"])
    assert e[0] @ e[1] > e[0] @ e[2]
    np.testing.assert_allclose(np.linalg.norm(e, axis=1), 1, atol=1e-5)


def test_refuses_a_bare_string(encoder):
    with pytest.raises(TypeError, match="list of texts"):
        encoder.encode("one text")
