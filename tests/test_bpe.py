"""BPE trained from scratch: the incremental trainer learns what recounting every pair would, and encoding is lossless."""

from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aimastery.data.shakespeare import load_shakespeare
from aimastery.tokenization.bpe import pre_tokenize, train_bpe


def naive_merges(text: str, num_merges: int) -> list[tuple[str, str]]:
    """The textbook algorithm: recount every pair after every merge (ties: the pair that sorts first)."""
    words = Counter(tuple(w) for w in pre_tokenize(text))
    merges = []
    for _ in range(num_merges):
        pairs = Counter()
        for w, f in words.items():
            for p in zip(w, w[1:]):
                pairs[p] += f
        if not pairs:
            break
        best = min(pairs, key=lambda p: (-pairs[p], p))
        merges.append(best)
        merged = Counter()
        for w, f in words.items():
            out, i = [], 0
            while i < len(w):
                if i + 1 < len(w) and (w[i], w[i + 1]) == best:
                    out.append(w[i] + w[i + 1])
                    i += 2
                else:
                    out.append(w[i])
                    i += 1
            merged[tuple(out)] += f
        words = merged
    return merges


@pytest.fixture(scope="module")
def speech():
    return load_shakespeare().train[:20_000]


def test_incremental_training_equals_recounting(speech):
    bpe = train_bpe(speech, 150)
    assert [(m.left, m.right) for m in bpe.merges] == naive_merges(speech, 150)
    counts = [m.count for m in bpe.merges]
    assert counts == sorted(counts, reverse=True)  # each merge is the most frequent pair left


def test_the_first_merges_of_a_toy_corpus():
    bpe = train_bpe("low low low lower lowest newer newer wider", 4)
    assert [m.token for m in bpe.merges] == ["lo", "low", " low", "er"]  # ties: the pair that sorts first
    assert bpe.merges[0].count == 5 and len(bpe) == len(bpe.alphabet) + 4
    assert bpe.tokenize(" lower") == [" low", "er"]
    assert bpe.tokenize(" lower", num_merges=0) == list(" lower")


def test_merges_never_cross_a_pre_token():
    assert pre_tokenize("To be, or not\n\nHAMLET:") == ["To", " be", ",", " or", " not", "\n\n", "HAMLET", ":"]
    bpe = train_bpe("ab ab ab ab", 10)
    assert all(" " not in m.token[1:] for m in bpe.merges)


@given(st.text(alphabet="abc xyz,.\n", max_size=60))
def test_encoding_is_lossless(text):
    bpe = train_bpe("abc abc xyz, cab. zyx\n" * 3, 12, specials=["[MASK]"])
    assert bpe.decode(bpe.encode(text)) == text
    assert "".join(pre_tokenize(text)) == text


def test_clear_errors():
    bpe = train_bpe("abc abc", 2, specials=["[PAD]"])
    with pytest.raises(ValueError, match="'q' .* is not in the BPE alphabet"):
        bpe.encode("aq")
    with pytest.raises(ValueError, match="outside the vocabulary"):
        bpe.decode([len(bpe)])
    with pytest.raises(ValueError, match="num_merges"):
        train_bpe("abc", -1)
    assert bpe.decode([bpe.ids["[PAD]"], bpe.ids["a"]]) == "a"  # specials decode to nothing
