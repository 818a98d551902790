"""show_source: the chapter displays the package's code instead of a copy."""

import pytest

from aimastery.mlp.layers import ReLU
from aimastery.source import SourceCode, show_source


def test_source_renders_as_a_python_code_block():
    shown = show_source(ReLU)
    assert isinstance(shown, SourceCode)
    markdown = shown._repr_markdown_()
    assert markdown.startswith("```python\nclass ReLU:") and markdown.endswith("\n```")
    assert "def backward(self, grad_y):" in markdown and '"""Y = max(X, 0)' in markdown


def test_docstrings_can_be_left_out_and_objects_joined():
    code = show_source(ReLU, ReLU.backward, skip_docstring=True).code
    assert '"""' not in code
    assert code.startswith("class ReLU:\n    def __init__(self):")
    assert "\n\n\ndef backward(self, grad_y):\n    grad_x" in code


def test_bad_input():
    with pytest.raises(ValueError, match="at least one"):
        show_source()
    with pytest.raises(TypeError, match="classes and functions defined in a file"):
        show_source(42)
