"""copycheck: which lines of a lab's solution regions a built chapter page shows."""

import textwrap

import pytest

from aimastery.devtools.copycheck import check_page, normalise

SOLUTION = textwrap.dedent('''\
    def double(x):
        ### BEGIN SOLUTION: twice x
        y = 1
        doubled_value = x + x  # the sum
        return doubled_value
        ### END SOLUTION


    def triple(x):
        ### BEGIN SOLUTION
        return x * 3 + 0 * x
        ### END SOLUTION
    ''')

PAGE = """<html><body><p>return doubled_value</p>
<div class="highlight"><pre><span>doubled_value</span> <span>=</span> x&nbsp;+ x   <span># other words</span>
return x * 4 + 0 * x</pre></div>
<a href="../labs/week09_demo/lab.html">Lab 9</a></body></html>"""


def test_counts_the_region_lines_a_page_shows(tmp_path):
    (tmp_path / "solutions" / "week09_demo").mkdir(parents=True)
    (tmp_path / "solutions" / "week09_demo" / "mod.py").write_text(SOLUTION)
    page = tmp_path / "week09_demo.html"
    page.write_text(PAGE)
    double, triple = check_page(page, tmp_path / "solutions")
    # `y = 1` is too short to count; prose outside <pre> does not count; x * 4 is not x * 3
    assert double.lines == ["doubled_value = x + x", "return doubled_value"]
    assert double.shown == ["doubled_value = x + x"]
    assert double.summary() == "week09_demo/mod.py:2 (twice x)  1/2 lines shown"
    page.write_text(PAGE.replace("return x * 4", "return doubled_value\nreturn x * 3"))
    double, triple = check_page(page, tmp_path / "solutions")
    assert double.summary().endswith("2/2 lines shown  ALL SHOWN") and triple.summary().endswith("ALL SHOWN")
    page.write_text(PAGE)
    double, triple = check_page(page, tmp_path / "solutions")
    assert triple.shown == [] and triple.summary().endswith("0/1 lines shown")


def test_normalise_drops_comments_and_spacing():
    assert normalise("   y  =  f(x)   # why") == "y = f(x)"
    assert normalise("# only a comment") == ""


def test_a_page_without_a_lab_is_a_clear_error(tmp_path):
    (tmp_path / "solutions").mkdir()
    page = tmp_path / "week09_demo.html"
    page.write_text(PAGE)
    with pytest.raises(ValueError, match="no lab in .* for the page week09_demo.html"):
        check_page(page, tmp_path / "solutions")
