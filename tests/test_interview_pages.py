"""Part V, interview preparation (book/interview/): the quizzes' contract and the pages' shape.

Every self-quiz has at least 25 questions written as the course's exercises,
each with a dropdown solution that links with {ref} to the section of the
course that teaches it; every label linked to exists in a page of the book;
every number pasted from a chapter (``{glue:text}`../chapter.md::key:fmt```)
names a page of the book that glues that key. The strict book build checks
the links and the keys too, after executing every chapter; this test names
the question that is wrong in a second, without a build.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from aimastery.config import REPO_ROOT
from aimastery.devtools.book_sources import code_lines, load_toc, part_files, toc_files

PART = "Part V · Interview preparation"
INTERVIEW = REPO_ROOT / "book" / "interview"
QUIZZES = sorted(INTERVIEW.glob("quiz_*.md"))
MIN_QUESTIONS = 25

EXERCISE = re.compile(r"```\{exercise\}[^\n]*\n:label: ([\w-]+)\n")
REF = re.compile(r"\{ref\}`(?:[^`<]*<)?([\w-]+)>?`")
PASTE = re.compile(r"\{glue:text\}`([^`]+)`")


def book_pages() -> list[Path]:
    return [REPO_ROOT / f"{f}.md" for f in toc_files()]


def labels_in(text: str) -> set[str]:
    """The targets a page defines: (label)= lines and directives' :label: options."""
    return set(re.findall(r"^\(([\w-]+)\)=$", text, re.M)) | set(re.findall(r"^:label: ([\w-]+)$", text, re.M))


def glued_keys(text: str) -> list[re.Pattern]:
    """The keys a notebook page glues, as patterns (an f-string key matches any value of its fields)."""
    patterns = []
    for is_f, key in re.findall(r"\bglue\(\s*(f?)[\"']([^\"']+)[\"']", text):
        parts = re.split(r"\{[^}]*\}", key) if is_f else [key]
        patterns.append(re.compile(r"\w+".join(re.escape(p) for p in parts)))
    return patterns


def solutions(text: str) -> dict[str, str]:
    """Each solution's label and body, for the dropdown solutions of a page."""
    blocks = re.findall(r"```\{solution-start\} ([\w-]+)\n:class: dropdown\n```\n(.*?)```\{solution-end\}",
                        text, re.S)
    return dict(blocks)


ALL_LABELS = {label for page in book_pages() for label in labels_in(page.read_text(encoding="utf-8"))}


def test_the_quizzes_are_the_five_topics():
    assert [q.stem for q in QUIZZES] == ["quiz_deep_learning", "quiz_ml_fundamentals", "quiz_rag", "quiz_systems",
                                         "quiz_transformers"]


@pytest.mark.parametrize("quiz", QUIZZES, ids=lambda p: p.stem)
def test_quiz_questions_have_linked_dropdown_answers(quiz: Path):
    text = quiz.read_text(encoding="utf-8")
    questions = EXERCISE.findall(text)
    assert len(questions) >= MIN_QUESTIONS, f"{quiz.name}: {len(questions)} questions, at least {MIN_QUESTIONS} wanted"
    answers = solutions(text)
    unanswered = [q for q in questions if q not in answers]
    assert not unanswered, f"{quiz.name}: questions without a dropdown solution: {unanswered}"
    unlinked = [q for q in questions if not REF.search(answers[q])]
    assert not unlinked, f"{quiz.name}: answers that link to no section with {{ref}}: {unlinked}"
    assert len(set(questions)) == len(questions), f"{quiz.name}: a question label is used twice"


@pytest.mark.parametrize("page", sorted(INTERVIEW.glob("*.md")), ids=lambda p: p.stem)
def test_links_resolve(page: Path):
    targets = set(REF.findall(page.read_text(encoding="utf-8")))
    missing = sorted(targets - ALL_LABELS)
    assert not missing, f"{page.name} links to labels no page of the book defines: {missing}"


@pytest.mark.parametrize("page", sorted(INTERVIEW.glob("*.md")), ids=lambda p: p.stem)
def test_pasted_numbers_name_a_glued_key(page: Path):
    text = page.read_text(encoding="utf-8")
    own = glued_keys(text)
    in_toc = {REPO_ROOT / f"{f}.md" for f in toc_files()}
    problems = []
    for content in PASTE.findall(text):
        if "::" in content:
            doc, rest = content.split("::", 1)
            key, _, fmt = rest.rpartition(":")
            source = (page.parent / doc).resolve()
            if source not in in_toc:
                problems.append(f"{content}: {doc} is not a page of the book")
                continue
            patterns = glued_keys(source.read_text(encoding="utf-8"))
        else:
            key, _, fmt = content.rpartition(":")
            patterns = own
        if not key:  # a paste without a format: myst-nb would read the whole text as the key
            problems.append(f"{content}: give a format ending in its type (:s, :d, :.2f, ...)")
        elif not any(p.fullmatch(key) for p in patterns):
            problems.append(f"{content}: no glue({key!r}) in that page")
        elif not fmt or not fmt[-1] in "sdeEfFgGn%xXobc":
            problems.append(f"{content}: the format {fmt!r} must end in its type character")
    assert not problems, f"{page.name}:\n" + "\n".join(problems)


@pytest.mark.parametrize("page", [REPO_ROOT / f"{f}.md" for f in part_files(PART)], ids=lambda p: p.stem)
def test_page_shape(page: Path):
    """A label and a title, an overview that says what the learner gets and what it takes."""
    text = page.read_text(encoding="utf-8")
    assert re.search(r"^\(\w[\w-]*\)=\n# ", text, re.M), "a page opens with a (label)= and its # title"
    assert "\n**What you get:**" in text and "\n**Time:**" in text, "the overview says what you get and the time"
    if "{cite" in text:
        assert "```{bibliography}" in text, "a page that cites has its references"
    long = [line for line in code_lines(text) if len(line) > 79]
    assert not long, f"code lines over 79 characters scroll sideways in the page: {long[:3]}"
    for target in re.findall(r"\{download\}`[^`<]*<([^>]+)>`", text):
        assert (page.parent / target).is_file(), f"{page.name} offers {target} for download, which does not exist"


def test_part_v_follows_part_iv_with_every_page():
    captions = [p.get("caption") for p in load_toc()["parts"]]
    assert captions.index(PART) == captions.index("Part IV · System design") + 1
    listed = set(part_files(PART))
    assert listed == {f"book/interview/{p.stem}" for p in INTERVIEW.glob("*.md")}
    assert part_files(PART)[0] == "book/interview/index", "Part V opens with its index page"
    assert "{ref}`interview`" in (REPO_ROOT / "book" / "index.md").read_text(encoding="utf-8"), \
        "the home page's chapter list names Part V"
