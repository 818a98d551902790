"""must_raise: a lab test's check that a call fails, saying which call and why when it does not."""

import pytest

from aimastery.labs.expect import must_raise, silent_asserts


def test_the_expected_error_passes_and_a_subclass_counts():
    with must_raise(LookupError, "lookup"):
        {}["missing"]  # a KeyError is a LookupError
    with must_raise(ValueError, "parse", match=r"invalid literal") as caught:
        int("x")
    assert isinstance(caught.error, ValueError), f"the exception is kept for further checks; got {caught.error!r}"


def test_no_error_says_which_call_and_what_was_expected():
    with pytest.raises(AssertionError, match=r"^promote\(path, 9\): expected a KeyError, but it returned without one$"):
        with must_raise(KeyError, "promote(path, 9)"):
            pass


def test_a_message_that_does_not_match_is_quoted():
    with pytest.raises(AssertionError, match=r"the ValueError must say 'nobody'.*it said 'bad tenant'"):
        with must_raise(ValueError, "tenant_search(..., 'nobody', ...)", match="nobody"):
            raise ValueError("bad tenant")


def test_another_error_goes_through_as_it_is():
    with pytest.raises(NotImplementedError, match="stub"):
        with must_raise(ValueError, "a stub"):
            raise NotImplementedError("stub")


def test_silent_asserts_finds_the_checks_without_a_message(tmp_path):
    test_file = tmp_path / "test_x.py"
    test_file.write_text("import numpy as np\n\n"
                         "def test_a():\n"
                         "    assert 1 == 1\n"
                         "    assert 1 == 1, 'one is one'\n"
                         "    np.testing.assert_allclose(1.0, 1.0)\n"
                         "    np.testing.assert_allclose(1.0, 1.0, err_msg='equal')\n"
                         "    assert_written_from_scratch(x)\n"
                         "    with pytest.raises(KeyError):\n"
                         "        {}[1]\n", encoding="utf-8")
    found = silent_asserts(test_file)
    assert found == [4, 6, 9], (f"the bare assert (line 4), the NumPy check without err_msg (line 6) and "
                                f"pytest.raises (line 9); got {found}")
