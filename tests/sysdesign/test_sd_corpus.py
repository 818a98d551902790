"""The course-pages corpus and its labelled queries: splitting, validation, clear failures."""

import json

import pytest

from aimastery.sysdesign.corpus import (
    QUERY_FILE, CorpusLabelError, Query, build_corpus, check_labels, clean_markdown, load_query_set, split_page,
)

PAGE = """---
kernelspec:
  name: python3
---

(sd-x)=
# A page

Intro words here with {glue:text}`n:.0f` a number and {cite:t}`sd1-x` a citation.

## First section

```{code-cell} ipython3
print("code is not prose")
```

Prose about caching and the p95 latency, see {ref}`week01`.

```{exercise} A question title
:label: x-ex

Exercise body text.
```

## Second section

```bash
make book
```

""" + "word " * 50 + "\n\n" + "more " * 50 + "\n"


def test_clean_markdown_keeps_prose_only():
    items = clean_markdown(PAGE)
    text = " ".join(p for _, _, p in items)
    assert "code is not prose" not in text and "make book" not in text and "kernelspec" not in text
    assert "glue" not in text and "sd1-x" not in text and ":label:" not in text
    assert "Prose about caching" in text and "week01" in text
    assert "A question title." in text and "Exercise body text." in text
    assert {h for _, h, _ in items} == {"A page", "First section", "Second section"}


def test_split_page_packs_sections_and_prefixes_headings():
    passages = split_page(PAGE, "book/x.md", max_words=60)
    assert [p.section for p in passages] == ["A page", "First section", "Second section", "Second section"]
    assert all(len(p.text.split(":", 1)[1].split()) <= 60 for p in passages)
    assert passages[1].text.startswith("A page — First section: ")
    assert [p.pid for p in passages] == list(range(4))


def write_query_file(tmp_path, corpus, queries):
    path = tmp_path / "q.json"
    path.write_text(json.dumps({"description": "t", "corpus": corpus, "queries": queries}))
    return path


def test_labels_must_name_existing_sections(tmp_path):
    (tmp_path / "book").mkdir()
    (tmp_path / "book" / "x.md").write_text(PAGE)
    passages = build_corpus(["book/x.md"], root=tmp_path)
    good = Query(query="caching p95", kind="lexical", relevant=[{"source": "book/x.md", "section": "First section"}])
    check_labels([good], passages)
    gone = Query(query="renamed", kind="lexical", relevant=[{"source": "book/x.md", "section": "Old heading"}])
    with pytest.raises(CorpusLabelError, match=r"'Old heading' of book/x.md.*headings are: \['A page'"):
        check_labels([good, gone], passages)
    elsewhere = Query(query="other", kind="lexical", relevant=[{"source": "book/y.md", "section": "S"}])
    with pytest.raises(CorpusLabelError, match="book/y.md, which is not in the corpus"):
        check_labels([elsewhere], passages)
    with pytest.raises(CorpusLabelError, match="does not exist"):
        build_corpus(["book/missing.md"], root=tmp_path)


def test_query_file_validation(tmp_path):
    bad = write_query_file(tmp_path, ["a.md"], [{"query": "x y z", "kind": "lexical", "relevant": []}])
    with pytest.raises(ValueError, match="expected shape"):
        load_query_set(bad)
    (tmp_path / "broken.json").write_text("{")
    with pytest.raises(ValueError, match="not valid JSON"):
        load_query_set(tmp_path / "broken.json")


def test_the_committed_query_set_matches_the_course():
    qs = load_query_set(QUERY_FILE)
    assert len(qs.queries) >= 30
    assert {q.kind for q in qs.queries} == {"lexical", "paraphrase"}
    passages = build_corpus(qs.corpus)
    check_labels(qs.queries, passages)  # fails, naming the query, if a labelled heading is gone
