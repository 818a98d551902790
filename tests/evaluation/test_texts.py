"""gensim's shipped texts, read as files (gensim itself is never imported)."""

import sys

from aimastery.data.texts import load_lee_background, load_pang_lee_polarity


def test_lee_background():
    docs = load_lee_background()
    assert len(docs) == 300 and docs[0].startswith("Hundreds of people have been forced")


def test_pang_lee_polarity_is_decoded_as_windows_1252():
    data = load_pang_lee_polarity()
    assert data.labels.count("pos") == data.labels.count("neg") == 100
    assert data.texts[0] == "simplistic , silly and tedious ."
    assert any("clichés" in t for t in data.texts), "0xe9 is é in Windows-1252"
    assert any("—" in t for t in data.texts), "0x97 is an em dash in Windows-1252"


def test_gensim_is_not_imported():
    load_lee_background()
    assert "gensim" not in sys.modules
