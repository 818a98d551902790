"""`make progress` on a learner's tree: one lab solved, one half done, one whose code does not import."""

import shutil
from pathlib import Path

import pytest

from aimastery.labs.__main__ import main
from aimastery.labs.generate import IGNORED, SOLUTIONS, generate_lab
from aimastery.labs.progress import check_all, render_html, render_table


@pytest.fixture(scope="module")
def learner_tree(tmp_path_factory) -> Path:
    labs = tmp_path_factory.mktemp("learner") / "labs"
    # solved: the reference solution as it is
    shutil.copytree(SOLUTIONS / "week01_autodiff", labs / "week01_autodiff", ignore=IGNORED)
    # half done: the stubs, with Tasks 3 and 4 (greedy/temperature, top-k) written and Task 5 still a stub
    half = labs / "week06_lstm"
    generate_lab(SOLUTIONS / "week06_lstm", half)
    stub = (half / "sampling.py").read_text()
    solved = (SOLUTIONS / "week06_lstm" / "sampling.py").read_text()
    (half / "sampling.py").write_text(solved.split("def top_p_probs")[0] + "def top_p_probs" +
                                      stub.split("def top_p_probs")[1])
    # does not import: a syntax error in the learner's losses.py
    broken = labs / "week02_linear"
    generate_lab(SOLUTIONS / "week02_linear", broken)
    (broken / "losses.py").write_text((broken / "losses.py").read_text().replace("def cross_entropy(", "def cross_entropy(("))
    return labs


@pytest.fixture(scope="module")
def rows(learner_tree):
    return check_all(learner_tree, jobs=2)


def test_the_table_says_where_each_lab_stands(rows):
    by_name = {r.lab_dir.name: r for r in rows}
    assert [r.lab_dir.name for r in rows] == ["week01_autodiff", "week02_linear", "week06_lstm"]

    solved = by_name["week01_autodiff"]
    assert solved.score == "2 / 2" and solved.next_step == "all tasks pass"

    half = by_name["week06_lstm"]
    assert half.score == "2 / 5", half.next_step  # Tasks 3 and 4 of 5; Tasks 1, 2 (the LSTM) are stubs
    assert half.next_step == "Task 1 · the LSTM cell, forward (not implemented yet)"

    broken = by_name["week02_linear"]
    assert broken.score.endswith("/ 4"), "the total comes from the test files, read as text"
    assert broken.next_step.startswith("does not import (losses.py, line ") and "SyntaxError" in broken.next_step, \
        broken.next_step

    table = render_table(rows)
    assert "Lab 1  " in table and "2 / 2" in table and "does not import" in table
    assert table.splitlines()[-1] == f"{2 + 2 + int(broken.score[0])} of 11 tasks pass over 3 labs"


def test_the_page_links_each_lab_to_its_chapter(rows, tmp_path):
    built = tmp_path / "html"
    (built / "labs" / "week01_autodiff").mkdir(parents=True)
    (built / "labs" / "week01_autodiff" / "lab.html").write_text("")
    page = tmp_path / "progress.html"
    text = render_html(rows, page, built=built)
    assert 'chapter: <a href="html/book/week01_autodiff.html">Week 1 · ' in text
    assert 'chapter: <a href="html/book/week06_sequences.html">Week 6 · ' in text  # found by the lab's {ref}
    assert '<a href="html/labs/week01_autodiff/lab.html">Lab 1</a>' in text
    assert "does not import" in text and '<html lang="en">' in text


def test_make_progress_prints_and_writes(learner_tree, tmp_path, capsys, monkeypatch):
    import aimastery.labs.progress as progress

    monkeypatch.setattr(progress, "check_all", lambda root, jobs: [])
    page = tmp_path / "out" / "progress.html"
    assert main(["progress", "--dir", str(learner_tree), "--html", str(page)]) == 0
    assert page.exists() and "file://" in capsys.readouterr().out
    assert main(["progress", "--dir", str(tmp_path / "nowhere")]) == 2
