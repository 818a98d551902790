import numpy as np
import pytest

from aimastery.checks import assert_close, check_gradient, float_errors_explained, numerical_gradient, rel_error


def test_rel_error_is_symmetric_and_zero_on_equal():
    a = np.array([1.0, -2.0, 3.0])
    assert rel_error(a, a) == 0.0
    b = a * (1 + 1e-6)
    assert rel_error(a, b) == pytest.approx(rel_error(b, a))
    assert 1e-7 < rel_error(a, b) < 1e-6


def test_rel_error_rejects_shape_mismatch():
    with pytest.raises(ValueError, match="equal shapes"):
        rel_error(np.zeros(3), np.zeros(4))


def test_numerical_gradient_of_quadratic():
    x = np.array([[1.0, -2.0], [0.5, 3.0]])
    grad = numerical_gradient(lambda z: float(np.sum(z**2)), x)
    np.testing.assert_allclose(grad, 2 * x, rtol=1e-8)
    np.testing.assert_array_equal(x, [[1.0, -2.0], [0.5, 3.0]])  # restored


def test_numerical_gradient_needs_float64():
    with pytest.raises(TypeError, match="float64"):
        numerical_gradient(lambda z: 0.0, np.zeros(2, dtype=np.float32))


def test_check_gradient_passes_and_fails():
    x = np.array([0.3, -1.2, 2.0])
    err = check_gradient(lambda z: float(np.sum(np.sin(z))), x, np.cos(x))
    assert err < 1e-9
    with pytest.raises(AssertionError, match="relative error"):
        check_gradient(lambda z: float(np.sum(np.sin(z))), x, np.cos(x) * 1.01)
    with pytest.raises(AssertionError, match="shape"):
        check_gradient(lambda z: float(np.sum(z)), x, np.ones(2))


def test_assert_close_messages():
    assert_close([1.0, 2.0], [1.0, 2.0 + 1e-12])
    with pytest.raises(AssertionError, match="shape"):
        assert_close([1.0], [1.0, 2.0], name="w")
    with pytest.raises(AssertionError, match=r"w: got \[1\., 2\.\], expected \[1\. , 2\.1\]"):
        assert_close([1.0, 2.0], [1.0, 2.1], name="w")
    with pytest.raises(AssertionError, match=r"w: 1 of 10 values differ; worst at index \(3,\): got 0, expected 1"):
        assert_close(np.zeros(10), np.eye(10)[3], name="w")
    with pytest.raises(AssertionError, match="should be a number"):
        assert_close(object(), 1.0, name="w")
    assert_close([np.nan, 1.0], [np.nan, 1.0])  # NaN where NaN is expected is equal


def test_a_small_2d_mismatch_is_one_line():
    with pytest.raises(AssertionError) as info:
        assert_close(np.eye(2, 3), np.zeros((2, 3)), name="w")
    assert str(info.value) == "w: got [[1., 0., 0.], [0., 1., 0.]], expected [[0., 0., 0.], [0., 0., 0.]]"


@pytest.mark.parametrize("compute, cause", [
    (lambda: np.exp(np.array([1000.0])), "an exp overflowed: subtract each row's own maximum"),
    (lambda: np.log(np.exp(np.array([-1000.0]))), "a log of 0: .* never log\\(softmax\\)"),
    (lambda: np.array([np.inf]) - np.array([np.inf]), "a nan"),
])
def test_float_errors_are_explained(compute, cause):
    with pytest.raises(AssertionError, match=rf"^huge logits: NumPy says .*: {cause}"):
        with float_errors_explained("huge logits"):
            compute()
    with float_errors_explained("fine"):
        assert np.exp(np.array([-1000.0]))[0] == 0.0  # underflow to 0 is allowed
