"""The WordPiece tokeniser written from scratch gives the shipped tokenizer.json's ids (tokenizers is the oracle)."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aimastery.pretrained import minilm_folder
from aimastery.tokenization.sentences import FRAGMENTS, tokenizer_test_sentences
from aimastery.tokenization.wordpiece import CLS, SEP, UNK, WordPiece, normalize, pre_tokenize, read_vocab


@pytest.fixture(scope="module")
def oracle():
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(minilm_folder() / "tokenizer.json"))
    tok.no_padding()  # the shipped file pads to 128 and truncates at 128
    tok.no_truncation()
    return tok


@pytest.fixture(scope="module")
def wordpiece():
    return WordPiece.minilm()


def test_the_test_set_is_varied_and_deterministic():
    sentences = tokenizer_test_sentences()
    assert len(sentences) >= 500 and len({s.text for s in sentences}) == len(sentences)
    assert {s.kind for s in sentences} == set(FRAGMENTS)
    assert sentences == tokenizer_test_sentences()  # same seed, same set
    with pytest.raises(ValueError, match="per_kind"):
        tokenizer_test_sentences(0)


def test_identical_ids_on_every_test_sentence(oracle, wordpiece):
    sentences = tokenizer_test_sentences()
    expected = oracle.encode_batch([s.text for s in sentences])
    differ = [(s.kind, s.text) for s, e in zip(sentences, expected) if wordpiece.encode(s.text) != e.ids]
    assert not differ, f"{len(differ)} of {len(sentences)} sentences tokenised differently, e.g. {differ[:3]}"


# Every character of the test set, ASCII and a few kinds of white space: random texts mix them in new orders.
# (Arbitrary code points can differ: the Rust tokeniser's Unicode tables are older than Python's for
# some rare marks; the chapter measures how often.)
ALPHABET = sorted({ch for frags in FRAGMENTS.values() for f in frags for ch in f}
                  | {chr(c) for c in range(0x20, 0x7F)} | set("\t\n\u00a0\u3000"))


@settings(max_examples=300)
@given(st.text(alphabet=st.sampled_from(ALPHABET), max_size=40))
def test_identical_ids_on_random_text(oracle, wordpiece, text):
    assert wordpiece.encode(text) == oracle.encode(text).ids


@pytest.mark.parametrize("text", ["ΟΔΟΣ", "shaking face \U0001FAE8"])
def test_the_two_traps_change_the_ids(oracle, wordpiece, text):
    trapped = WordPiece(wordpiece.vocab, traps=True)
    assert wordpiece.encode(text) == oracle.encode(text).ids
    assert trapped.encode(text) != oracle.encode(text).ids


def test_final_sigma_and_new_emoji(wordpiece):
    assert normalize("ΟΔΟΣ") == "οδοσ" and normalize("ΟΔΟΣ", traps=True) == "οδος"
    assert wordpiece.tokenize("face \U0001FAE8") == ["face", UNK]  # kept, unknown; not deleted


def test_the_pipeline_steps(wordpiece):
    assert normalize("Crème\tBRÛLÉE\x00\u200b 中文") == "creme brulee  中  文 "
    assert pre_tokenize("hello, world!! a+b") == ["hello", ",", "world", "!", "!", "a", "+", "b"]
    assert wordpiece.tokenize("unaffable") == ["una", "##ffa", "##ble"]
    assert wordpiece.tokenize("x" * 101) == [UNK]  # longer than 100 characters
    ids = wordpiece.encode("one two three four", max_length=4)
    assert wordpiece.convert_ids_to_tokens(ids) == [CLS, "one", "two", SEP]
    with pytest.raises(ValueError, match="room for"):
        wordpiece.encode("a", max_length=1)
    with pytest.raises(TypeError, match="takes a str"):
        wordpiece.tokenize(b"bytes")


def test_a_file_that_is_not_a_bert_vocabulary_is_refused(tmp_path):
    (tmp_path / "vocab.txt").write_text("hello\nworld\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"not a BERT vocabulary: it lacks \['\[PAD\]'"):
        read_vocab(tmp_path / "vocab.txt")
    with pytest.raises(FileNotFoundError, match="no vocabulary file"):
        read_vocab(tmp_path / "missing.txt")
