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
    with pytest.raises(AssertionError, match=r"learner\.py:\d+ imports (sklearn|aimastery\.evaluation)"):
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
