"""A varied, deterministic test set for tokenisers: 600 sentences in ten kinds.

Taught in Week 7 (book/week07_attention_bert.md), where the WordPiece
tokeniser written from scratch must give the same ids as the shipped
``tokenizer.json`` on every one of them. Each kind stresses one part of the
pipeline: accents (NFD and mark stripping), punctuation (each mark a word),
numbers, emoji (new ones included: code points that Python's Unicode tables
may not know yet), Greek (the final-sigma trap), CJK (ideographs split one by
one; kana and Hangul are not), other scripts, whitespace and invisible
characters, code and addresses, and words too long for WordPiece.

The sentences are built from fixed fragments by a seeded generator
(:func:`tokenizer_test_sentences`), so the set is the same on every run and
needs no data file.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

#: Fragments of each kind; sentences combine two or three of them in a frame.
FRAGMENTS: dict[str, list[str]] = {
    "accents": [
        "Crème brûlée à la française", "naïve café owners", "Ærøskøbing in Denmark", "São Paulo e Brasília",
        "Zürich, Genève und Köln", "Straße und Fußgänger", "¿Dónde está el niño?", "¡Qué año más difícil!",
        "Łódź i Kraków", "Český Krumlov", "Tiếng Việt có dấu", "İstanbul'da ılık bir gün", "Ångström units",
        "résumé and déjà vu", "Dvořák's New World", "Façade, piñata, jalapeño", "Ōsaka and Kyōto",
        "Þingvellir and Reykjavík", "Ñandú y pingüino", "coöperate with the naïveté",
        "e\u0301 written as e plus a combining accent", "ﬁne ligatures like ﬂ and ﬀ",
    ],
    "punctuation": [
        "Wait... what?!", "\"Quoted,\" she said; then: 'no.'", "(brackets) [square] {curly} <angle>",
        "semi;colon:colon", "hyphen-ated and en–dash and em—dash", "a/b\\c|d", "50% off & free #shipping @noon",
        "‘curly single’ and “curly double”", "«guillemets» and „low quotes“", "ellipsis… and interrobang‽",
        "§ 3 ¶ 2 † ‡ • ·", "C++ and C# and F#", "x^2 + y_1 = z~", "`backticks` and *stars* and _underscores_",
        "!!!???...;;;", "Mr. O'Neil's dog's bone", "re-entry, co-op, e-mail", "¿¡Spanish marks!?",
        "\u3001Japanese comma\u3002 full stop", "the end.",
    ],
    "numbers": [
        "3.14159 is close to pi", "1,000,000 dollars", "$4.99 or €5,50 or £3", "on 2024-03-15 at 09:30",
        "call +1 (555) 010-9999", "the 1st, 2nd, 3rd and 4th", "version 2.13.0rc1", "0.001 and 1e-12 and 6.02e23",
        "Room 101, floor -2", "50/50 odds, 3:1 ratio", "½ cup and ¾ hour", "Ⅻ and ⅷ and ⑤",
        "٣ Arabic-Indic digits ٤٥", "१२३ Devanagari digits", "１２３ full-width digits", "99.9% uptime",
        "2^10 = 1024", "−40 degrees (a minus sign)", "#42 in a list of 1000", "MMXXIV",
    ],
    "emoji": [
        "I love it 😀", "thumbs up 👍🏽 with a skin tone", "family 👨‍👩‍👧‍👦 joined by ZWJ", "flags 🇫🇷 🇯🇵",
        "hearts ❤️ 💙 💚", "rocket 🚀 to the moon 🌕", "shaking face 🫨 (Unicode 15)", "moose 🫎 and goose 🪿",
        "pink heart 🩷 and wing 🪽", "keycap 1️⃣ and ©️", "weather ☀️ ☔ ⛄", "cat 🐈‍⬛ black",
        "tea 🍵 and cake 🍰", "✅ done ❌ not done", "🤖🧠✨", "😂😂😂 lol",
    ],
    "greek": [
        "ΟΔΟΣ", "Ο ΛΟΓΟΣ ΕΙΝΑΙ ΣΟΦΟΣ", "ΟΔΥΣΣΕΥΣ ΚΑΙ ΠΗΝΕΛΟΠΗ", "Καλημέρα σας", "Σωκράτης και Πλάτων",
        "ἐν ἀρχῇ ἦν ὁ λόγος", "αβγδε ΑΒΓΔΕ", "ΜΙΑ ΣΤΙΓΜΗ, ΠΑΡΑΚΑΛΩ;", "Ἀθῆναι", "σίγμα ς και Σ",
        "ΠΟΛΙΣ ΚΑΙ ΝΟΜΟΣ", "λ-calculus and Σx",
    ],
    "cjk": [
        "我爱自然语言处理", "今天天气很好。", "機械学習は楽しいです", "東京タワーに行きました", "ひらがなとカタカナ",
        "한국어 자연어 처리", "서울에서 만나요", "中文，标点；符号！", "漢字と仮名", "𠀀𠀁 rare ideographs",
        "\U0002B820\U0002B921 at the edge of Extension C", "北京 and Shanghai", "日本語 and English mixed",
        "ｶﾀｶﾅ half-width", "㊗️ and 〒",
    ],
    "scripts": [
        "Привет, мир!", "Ещё один тест", "مرحبا بالعالم", "שלום עולם", "नमस्ते दुनिया", "สวัสดีชาวโลก",
        "Γεια and Привет and שלום", "Ελληνικά & Русский", "ქართული ენა", "Հայերեն", "తెలుగు భాష", "ᚠᚢᚦᚨᚱᚲ runes",
    ],
    "whitespace": [
        "tabs\tbetween\twords", "new\nlines\r\nand\rreturns", "non\u00a0breaking\u00a0spaces", "zero\u200bwidth\u200bspace",
        "soft\u00adhyphen", "joiner\u200d and non\u200cjoiner", "ideographic\u3000space", "\x00NUL and \ufffd replacement",
        "  leading and trailing  ", "right-to-left\u200fmark", "bell\x07 and escape\x1b", "a\u2028line separator",
        "word\ufeffbyte order mark", "private\ue000use",
    ],
    "code": [
        "https://example.org/path?q=1&r=two#frag", "user.name+tag@example.com", "def f(x): return x**2",
        "snake_case and camelCase and PascalCase", "rm -rf /tmp/build && make", "<div class=\"x\">hi</div>",
        "SELECT * FROM t WHERE id = 3;", "C:\\Users\\me\\file.txt", "0xDEADBEEF and 0b1010", "v1.2.3-beta+exp.sha.5114f85",
        "@mention and #hashtag", "key=value; other=\"quoted\"",
    ],
    "long words": [
        "pneumonoultramicroscopicsilicovolcanoconiosis", "Donaudampfschifffahrtsgesellschaftskapitän",
        "a" * 99, "b" * 100, "c" * 101, "xyz" * 40, "supercalifragilisticexpialidocious" * 3,
        "Llanfairpwllgwyngyllgogerychwyrndrobwllllantysiliogogogoch",
    ],
}

#: How many sentences of each kind the test set has (600 in all).
PER_KIND = 60

#: Frames that join fragments into a sentence.
FRAMES = ["{a}", "{a} {b}", "{a}, {b}.", "{a} — {b}!", "{A}: {b} and {c}?", "“{a}” {b}", "{a}\n{b}", "({a}) {b} {c}"]


@dataclass(frozen=True)
class TestSentence:
    kind: str
    text: str


def tokenizer_test_sentences(per_kind: int = PER_KIND, seed: int = 0) -> list[TestSentence]:
    """``per_kind`` distinct sentences of each kind of :data:`FRAGMENTS` (fragments alone first).

    Each sentence mixes fragments of its kind with, now and then, one of
    another kind (real text mixes scripts). Deterministic for a given seed.
    """
    if per_kind < 1:
        raise ValueError(f"per_kind must be at least 1, got {per_kind}")
    rng = random.Random(seed)
    kinds = list(FRAGMENTS)
    out: list[TestSentence] = []
    seen: set[str] = set()
    for kind in kinds:
        own = FRAGMENTS[kind]
        texts = [t for t in dict.fromkeys(own) if t not in seen][:per_kind]  # each fragment alone first
        seen.update(texts)
        for _ in range(100 * per_kind):
            if len(texts) >= per_kind:
                break
            picks = [rng.choice(own) for _ in range(3)]
            if rng.random() < 0.25:  # real text mixes kinds: one fragment from another
                picks[rng.randrange(3)] = rng.choice(FRAGMENTS[rng.choice(kinds)])
            a, b, c = picks
            text = rng.choice(FRAMES).format(a=a, b=b, c=c, A=a[:1].upper() + a[1:])
            if text not in seen:
                seen.add(text)
                texts.append(text)
        out += [TestSentence(kind, t) for t in texts]
    return out
