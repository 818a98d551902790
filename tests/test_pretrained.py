"""The course's one MiniLM loader: files located offline, tensors by name, embeddings checked against sentence-transformers."""

import numpy as np
import pytest

from aimastery.pretrained import MiniLMEncoder, minilm_config, minilm_folder, minilm_tensors

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


def test_tensors_by_checkpoint_name_match_the_config():
    config, tensors = minilm_config(), minilm_tensors()
    hidden, layers = config["hidden_size"], config["num_hidden_layers"]
    assert (hidden, layers, config["vocab_size"]) == (384, 6, 30522)
    assert tensors["embeddings.word_embeddings.weight"].shape == (30522, hidden)
    assert {f"encoder.layer.{layers - 1}.output.LayerNorm.weight", "pooler.dense.weight"} <= tensors.keys()
    assert not any(name.startswith("encoder.layer.6.") for name in tensors)  # six layers, numbered 0..5


def test_truncates_to_max_tokens():
    short = MiniLMEncoder(max_tokens=8)
    assert short.n_tokens(["one two three four five six seven eight nine ten", "hi"]) == [8, 3]


@pytest.mark.parametrize("bad", [1, 513, 32.0, "64"])
def test_refuses_a_max_tokens_outside_the_model(bad):
    with pytest.raises(ValueError, match="max_tokens is a whole number from 2"):
        MiniLMEncoder(max_tokens=bad)
