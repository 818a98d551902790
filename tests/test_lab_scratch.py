"""The check that a lab's code does not import the oracle its tests compare with."""

import importlib.util
import textwrap

import pytest

from aimastery.labs.scratch import assert_written_from_scratch


def module_from(tmp_path, source, name="learner"):
    path = tmp_path / f"{name}.py"
    path.write_text(textwrap.dedent(source))
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("line", [
    "import sklearn.metrics",
    "from sklearn.metrics import roc_auc_score",
    "from sklearn import metrics",
    "from aimastery.evaluation.metrics import roc_auc",
    "import importlib\nm = importlib.import_module('sklearn.metrics')",
    "m = __import__('sklearn')",
])
def test_importing_an_oracle_is_named(tmp_path, line):
    module = module_from(tmp_path, f"import numpy as np\n{line}\n")
    with pytest.raises(AssertionError, match=r"learner\.py:\d+ uses (sklearn|aimastery\.evaluation)"):
        assert_written_from_scratch(module)


def test_numpy_and_the_standard_library_are_fine(tmp_path):
    module = module_from(tmp_path, '''
        """Compared with scikit-learn's sklearn.metrics in the tests."""
        import re
        from collections import Counter

        import numpy as np
        from aimastery.labs import check
    ''')
    assert_written_from_scratch(module)


def test_the_reference_solutions_are_always_refused(tmp_path):
    module = module_from(tmp_path, "from solutions.week01_autodiff.engine import Value\n")
    with pytest.raises(AssertionError, match=r"learner\.py:1 uses solutions\.week01_autodiff\.engine\.Value: "
                                             r"this lab asks you to write that yourself \(the lab's reference solution\)"):
        assert_written_from_scratch(module, ["aimastery.autodiff"])


@pytest.mark.parametrize("line", [
    "from aimastery.autodiff import Value",
    "import aimastery.autodiff as ad\nValue = ad.Value",
    "import aimastery\nValue = aimastery.autodiff.Value",
])
def test_a_finished_module_is_refused_however_it_is_reached(tmp_path, line):
    module = module_from(tmp_path, f"import math\n{line}\n")
    with pytest.raises(AssertionError, match=r"learner\.py(:\d+ uses aimastery\.autodiff| Value is solutions)"):
        assert_written_from_scratch(module, ["aimastery.autodiff"])


def test_a_name_defined_in_a_finished_module_is_refused_at_run_time(tmp_path):
    # no import statement names it: the object's own module gives it away
    module = module_from(tmp_path, "import importlib\nname = 'aimastery.' + 'autodiff'\n"
                                   "Value = importlib.import_module(name).Value\n")
    with pytest.raises(AssertionError, match=r"learner\.py Value is solutions\.week01_autodiff\.engine\.Value"):
        assert_written_from_scratch(module, ["aimastery.autodiff"])


def test_the_given_names_are_allowed_and_nothing_else(tmp_path):
    given = ["aimastery.optim.Optimizer", "aimastery.optim.base.check_hyper"]
    fine = module_from(tmp_path, """
        from aimastery.optim import Optimizer
        from aimastery.optim.base import check_hyper

        class SGD(Optimizer):
            pass
    """, name="fine")
    assert_written_from_scratch(fine, ["aimastery.optim", "torch.optim"], allowed=given)
    for i, source in enumerate([
        "from aimastery.optim import Optimizer, SGD",
        "import aimastery.optim\nSGD = aimastery.optim.SGD",
        "import torch\nSGD = torch.optim.SGD",
        "from aimastery.optim import Optimizer\nimport aimastery.optim.sgd as s\nclass SGD(s.SGD): pass",
    ]):
        module = module_from(tmp_path, source + "\n", name=f"bad{i}")
        with pytest.raises(AssertionError, match=r"bad\d\.py.* (uses|is|inherits from) (aimastery|torch)\.optim"):
            assert_written_from_scratch(module, ["aimastery.optim", "torch.optim"], allowed=given)


def test_a_subclass_of_a_finished_class_is_refused(tmp_path):
    module = module_from(tmp_path, "import importlib\nname = 'aimastery.' + 'optim'\n"
                                   "class SGD(importlib.import_module(name).SGD):\n    pass\n")
    with pytest.raises(AssertionError, match=r"learner\.py SGD inherits from aimastery\.optim\.sgd\.SGD"):
        assert_written_from_scratch(module, ["aimastery.optim"])
