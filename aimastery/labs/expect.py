"""Lab tests whose failures say what was expected and what came back.

``pytest.raises`` reports a call that did not fail as ``DID NOT RAISE
<class 'KeyError'>``: it names neither the call nor why it should have
failed, and a test with three such calls leaves the learner guessing which.
:func:`must_raise` names the call and says why it should fail; :func:`silent_asserts`
finds the checks of a test file that would fail without a message. First
used by the Part III labs (solutions/mlops_lifecycle/, solutions/vector_search/)::

    with must_raise(KeyError, "promote(path, 9), a version the registry does not have"):
        promote(path, 9)
    with must_raise(PromotionRefused, "promote(path, 3), below the floor") as caught:
        promote(path, 3)
    caught.error.reasons  # the exception, for further checks
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Caught:
    error: BaseException | None = None  # set when the block has raised what it must


@contextmanager
def must_raise(error: type[BaseException], what: str, match: str | None = None) -> Iterator[Caught]:
    """The block must raise ``error`` (a subclass counts) whose message matches ``match`` (``re.search``).

    When it raises nothing, or a message that does not match, an ``AssertionError`` says ``what`` was
    called, what was expected and what happened. Another exception goes through as it is: its own
    message says more than any summary.
    """
    caught = Caught()
    try:
        yield caught
    except error as err:
        caught.error = err
        if match is not None and not re.search(match, str(err)):
            raise AssertionError(f"{what}: the {type(err).__name__} must say {match!r} (a message that says "
                                 f"what was wrong); it said {str(err)!r}") from None
    else:
        raise AssertionError(f"{what}: expected a {error.__name__}, but it returned without one")


def silent_asserts(test_file: str | Path) -> list[int]:
    """The lines of ``test_file`` with an ``assert`` without a message, an ``np.testing.assert_*`` without
    ``err_msg``, or a ``pytest.raises``. A lab's strength test holds its lab to none: a learner reads the
    message, not the test.
    """
    tree = ast.parse(Path(test_file).read_text(encoding="utf-8"))
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Assert) and node.msg is None:
            lines.append(node.lineno)
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr.startswith("assert_") and isinstance(node.func.value, ast.Attribute)
              and node.func.value.attr == "testing" and not any(k.arg == "err_msg" for k in node.keywords)):
            lines.append(node.lineno)
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "raises"
              and isinstance(node.func.value, ast.Name) and node.func.value.id == "pytest"):
            lines.append(node.lineno)  # "DID NOT RAISE": use must_raise
    return sorted(lines)
