"""The synthetic generator and the loader of real exports."""

from __future__ import annotations

import json
import re
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aimastery.capstone.issues import LABELS, Issue, dataset_hash
from aimastery.capstone.loader import IssueDataError, load_issues, map_label
from aimastery.capstone.synthetic import generate_issues


def test_default_data_set_is_balanced_and_at_least_2000():
    issues = generate_issues()
    assert len(issues) >= 2000
    assert Counter(i.label for i in issues) == {label: len(issues) // 4 for label in LABELS}


def test_generator_is_seeded():
    assert generate_issues(50, seed=3) == generate_issues(50, seed=3)
    assert dataset_hash(generate_issues(50, seed=3)) != dataset_hash(generate_issues(50, seed=4))


def test_generator_writes_what_real_issues_contain():
    issues = generate_issues(300, seed=0)
    bodies = " ".join(i.body for i in issues)
    assert "Traceback (most recent call last)" in bodies and "at com.example" in bodies  # Python and Java
    assert "```python" in bodies and "```console" in bodies
    assert re.search(r"\bv?\d+\.\d+\.\d+", bodies)  # version strings
    assert sum(not i.body for i in issues) > 10  # some issues have no body at all
    assert sum(i.title == i.title.lower() for i in issues) > 50  # lower-case titles
    titles = {i.title for i in issues}
    assert len(titles) > 0.8 * len(issues), "titles should vary"
    # the same ambiguous phrasing appears under two labels
    shared = [i for i in issues if i.title.startswith("Is there a way to")]
    assert {i.label for i in shared} == {"feature", "question"}


def test_generator_rejects_bad_arguments():
    with pytest.raises(ValueError, match="n_per_label"):
        generate_issues(0)
    with pytest.raises(ValueError, match="shares"):
        generate_issues(10, ambiguous=1.5)


def test_issue_rejects_unknown_label():
    with pytest.raises(ValueError, match="unknown label 'wontfix'"):
        Issue("t", "b", "wontfix")


@pytest.mark.parametrize("names, label", [
    (["bug"], "bug"), (["Type: Bug", "good first issue"], "bug"), (["enhancement"], "feature"),
    (["docs"], "documentation"), (["question", "help wanted"], "question"), ("kind/feature, p1", "feature"),
])
def test_label_aliases(names, label):
    if isinstance(names, str):
        names = names.split(",")
    assert map_label(names) == label


def test_label_mapping_refuses_none_or_several():
    with pytest.raises(ValueError, match="no known label"):
        map_label(["wontfix"])
    with pytest.raises(ValueError, match="several classes"):
        map_label(["bug", "docs"])


def test_jsonl_bad_rows_are_reported_by_line(tmp_path):
    rows = [
        {"title": "Crash on start", "body": "trace", "labels": [{"name": "bug"}]},  # 1 ok (GitHub's objects)
        {"body": "no title", "labels": ["bug"]},  # 2 missing title
        "",  # 3 blank line: ignored
        {"title": "Add dark mode", "body": None, "labels": ["enhancement"]},  # 4 ok, null body
        {"title": "What?", "body": "", "labels": ["wontfix"]},  # 5 unknown label
        "{not json",  # 6
        {"title": "Fix typo", "body": "", "labels": ["docs"], "pull_request": {"url": "..."}},  # 7 a PR
        {"title": "   ", "labels": ["bug"]},  # 8 blank title
        ["not", "an", "object"],  # 9
    ]
    path = tmp_path / "issues.jsonl"
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows) + "\n")
    result = load_issues(path)
    assert [i.label for i in result.issues] == ["bug", "feature"]
    assert result.issues[1].body == ""
    problems = {p.line: p.reason for p in result.problems}
    assert set(problems) == {2, 5, 6, 7, 8, 9}
    assert problems[2] == "missing title" and "wontfix" in problems[5] and "not valid JSON" in problems[6]
    assert "pull request" in problems[7] and "blank" in problems[8]
    assert "line 5:" in result.summary()
    with pytest.raises(IssueDataError, match="line 2: missing title"):
        load_issues(path, on_error="raise")


def test_csv_rows_spanning_lines_are_reported_where_they_start(tmp_path):
    path = tmp_path / "issues.csv"
    path.write_text('title,body,labels\n'
                    '"Crash","line one\nline two\nline three","bug"\n'  # lines 2-4
                    ',"no title","bug"\n'  # line 5
                    '"Docs typo","","documentation, good first issue"\n'  # line 6
                    '"Too","many","fields","here"\n')  # line 7
    result = load_issues(path)
    assert [(i.title, i.label) for i in result.issues] == [("Crash", "bug"), ("Docs typo", "documentation")]
    assert result.issues[0].body == "line one\nline two\nline three"
    assert [(p.line, p.reason) for p in result.problems][:1] == [(5, "missing title")]
    assert result.problems[1].line == 7 and "fields" in result.problems[1].reason


def test_json_array_reports_items(tmp_path):
    path = tmp_path / "issues.json"
    path.write_text(json.dumps([{"title": "How do I log in?", "body": "", "labels": ["question"]},
                                {"title": "x", "body": 3, "labels": ["bug"]}]))
    result = load_issues(path)
    assert len(result.issues) == 1 and str(result.problems[0]) == "item 2: the body must be text or null, got int"


@pytest.mark.parametrize("name, content, message", [
    ("issues.txt", "", "expected a .jsonl, .json, .csv file"),
    ("issues.json", '{"title": "x"}', "array of issues"),
    ("issues.json", "[1, 2", "not valid JSON"),
    ("issues.csv", "name,text\na,b\n", "missing labels, title"),
    ("issues.jsonl", '{"title": "x", "labels": ["wontfix"]}\n', "no usable issue"),
])
def test_unusable_files_fail_clearly(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(IssueDataError, match=re.escape(message)):
        load_issues(path)


def test_missing_and_non_utf8_files(tmp_path):
    with pytest.raises(IssueDataError, match="no such file"):
        load_issues(tmp_path / "absent.jsonl")
    (tmp_path / "latin1.jsonl").write_bytes(b'{"title": "caf\xe9"}\n')
    with pytest.raises(IssueDataError, match="not UTF-8"):
        load_issues(tmp_path / "latin1.jsonl")


@given(st.lists(st.one_of(st.text(max_size=40), st.builds(json.dumps, st.dictionaries(
    st.sampled_from(["title", "body", "labels", "pull_request", "x"]),
    st.one_of(st.none(), st.integers(), st.text(max_size=10), st.lists(st.text(max_size=8), max_size=3)),
    max_size=4))), max_size=12))
def test_any_jsonl_loads_or_fails_clearly(tmp_path_factory, lines):
    path = tmp_path_factory.mktemp("fuzz") / "issues.jsonl"
    path.write_text("\n".join(line.replace("\n", " ").replace("\r", " ") for line in lines))
    try:
        result = load_issues(path)
    except IssueDataError:
        return
    assert all(isinstance(i, Issue) and i.title.strip() for i in result.issues)
    assert all(p.line >= 1 for p in result.problems)


def test_jsonl_lines_are_counted_on_newlines_only(tmp_path):
    path = tmp_path / "issues.jsonl"
    rows = [{"title": "a\u2028b", "body": "x\x1cy", "labels": ["bug"]}, {"labels": ["bug"]}]
    path.write_text("\r\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    result = load_issues(path)
    assert result.issues[0].title == "a\u2028b" and [p.line for p in result.problems] == [2]


def test_handwritten_set_loads_as_an_export_in_two_parts():
    from aimastery.capstone.data import HANDWRITTEN, handwritten_issues

    dev, test = handwritten_issues("dev"), handwritten_issues("test")
    assert Counter(i.label for i in dev) == {label: 16 for label in LABELS}
    assert len(test) == 192 and set(Counter(i.label for i in test)) == set(LABELS)
    assert not {i.title for i in dev} & {i.title for i in test}, "the two parts share no issue"
    for path in HANDWRITTEN.values():  # the loader a learner's export goes through, every row clean
        assert not load_issues(path, on_error="raise").problems
    with pytest.raises(ValueError, match="'dev' or 'test'"):
        handwritten_issues("train")


def test_the_generator_never_writes_a_handwritten_title():
    from aimastery.capstone.data import handwritten_issues

    def words(title):
        return " ".join(title.lower().split())

    generated = {words(i.title) for i in generate_issues(500, seed=0) + generate_issues(500, seed=1)}
    handwritten = [i.title for i in handwritten_issues("dev") + handwritten_issues("test")]
    assert not [t for t in handwritten if words(t) in generated]
