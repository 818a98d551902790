"""The from-scratch check of one task: a shortcut fails the task whose function takes it, and no other."""

import importlib.util
import textwrap

import pytest

from aimastery.labs.scratch import assert_written_from_scratch

LEARNER = '''
import numpy as np
import torch
from torch.nn.grad import conv2d_input
import torch.nn.functional as F

BACKEND = torch.nn.grad


def forward(x):
    return np.asarray(x) * 2


def backward_dotted(x):
    return torch.nn.grad.conv2d_weight(x)


def backward_alias(x):
    return conv2d_input(x)


def backward_module_alias(x):
    return F.conv2d(x)


def backward_through_a_global(x):
    return BACKEND.conv2d_input(x)


class Block:
    def run(self, x):
        return forward(x)
'''


@pytest.fixture
def learner(tmp_path):
    path = tmp_path / "learner.py"
    path.write_text(textwrap.dedent(LEARNER))
    spec = importlib.util.spec_from_file_location("learner", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_functions_without_a_shortcut_pass(learner):
    assert_written_from_scratch(learner, ("torch",), functions=("forward", "Block"))


@pytest.mark.parametrize("name, message", [
    ("backward_dotted", r"learner\.py:3 uses torch"),  # the import its dotted name reaches, at its real line
    ("backward_alias", r"learner\.py:4 uses torch\.nn\.grad\.conv2d_input"),
    ("backward_module_alias", r"learner\.py:5 uses torch\.nn\.functional"),
    ("backward_through_a_global", r"learner\.py:3 uses torch"),
])
def test_a_shortcut_is_named_at_its_line(learner, name, message):
    with pytest.raises(AssertionError, match=message):
        assert_written_from_scratch(learner, ("torch",), functions=("forward", name))


def test_a_name_the_module_lacks_is_a_clear_error(learner):
    with pytest.raises(AssertionError, match="learner has no conv2d_forward: keep the names the stub gives"):
        assert_written_from_scratch(learner, ("torch",), functions=("conv2d_forward",))
