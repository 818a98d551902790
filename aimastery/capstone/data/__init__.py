"""Hand-written issues in the style of real GitHub issues: the capstone's out-of-distribution evaluation set.

Taught in the capstone chapter (book/capstone_issue_classifier.md), which
reports every model's score on them beside its score on synthetic issues.

**Provenance.** 256 issues, written one by one by hand for this course, in
the style of public GitHub issues: about forty invented projects (a Rust
search tool, a Kubernetes operator, a React component library, a Go web
framework, a Flutter app, a C++ image library, ...), in many voices: terse
and chatty, polite and annoyed, native and not (three are in Chinese,
German-English and Spanish), with issue templates filled in, half filled in
or left as they came, and with code, stack traces, compiler errors and logs
pasted from Python, JavaScript, TypeScript, Rust, Go, Java, Kotlin, C++ and
shell sessions. Feature requests are often asked as questions ("Is it
possible to ...", "Would it make sense to ...", "Any plans to ..."), and
documentation reports are about a page, an example, a docstring, a README
or a man page that is wrong, outdated or missing, as real ones are. Each is
labelled as a maintainer would label it, with the label names real
repositories use (``enhancement``, ``type: bug``, ``docs``, ``support``,
...). They were written before the synthetic generator's current version and
independently of it: none was produced or edited by
:mod:`aimastery.capstone.synthetic`, and no issue, title or phrase was
copied from a real tracker. The projects and their issues are fictional;
the tools they mention (pip, cargo, kubectl, webpack, ...) are real.

**Two parts, never trained on.** A stratified quarter (seeded shuffle, 16
per label) is the *development* part, ``handwritten_dev.json``: the only
part that may be looked at while changing the generator or choosing a
model. The other 192 issues, ``handwritten_test.json``, are the *held-out*
part, scored and reported, never used to decide anything. Both files are
exports in the format ``gh issue list --json title,body,labels`` writes (a
JSON array; the extra ``project`` field is ignored), so they load through
:func:`aimastery.capstone.loader.load_issues`, the same path as a learner's
own export.

**Its limits.** One author wrote both these issues and the generator, so
the two may share habits of phrasing that real issues from thousands of
authors would not; a real export is the better test (``python -m
aimastery.capstone evaluate --eval-data issues.json``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from aimastery.capstone.issues import Issue

DATA_DIR = Path(__file__).resolve().parent
HANDWRITTEN = {"dev": DATA_DIR / "handwritten_dev.json", "test": DATA_DIR / "handwritten_test.json"}


def handwritten_issues(part: Literal["dev", "test"]) -> list[Issue]:
    """The hand-written issues of one part: ``"dev"`` (64, for decisions) or ``"test"`` (192, held out)."""
    from aimastery.capstone.loader import load_issues

    if part not in HANDWRITTEN:
        raise ValueError(f"part is 'dev' or 'test', got {part!r}")
    return load_issues(HANDWRITTEN[part], on_error="raise").issues
