"""The week's plain networks: shapes, parameter counts computed by hand, the plain twin of the small ResNet."""

import pytest
import torch
from torch import nn

from aimastery.cnn.models import MnistCNN, PlainCNN, SMALL_WIDTHS, n_parameters, small_resnet
from aimastery.testing import one_torch_thread  # noqa: F401 (autouse fixture)


def conv_params(c_in, c_out, k=3, bias=False, bn=True):
    return c_out * c_in * k * k + (c_out if bias else 0) + (2 * c_out if bn else 0)


def test_mnist_cnn_shapes_and_parameter_count():
    model = MnistCNN(width=16)
    x = torch.randn(5, 1, 28, 28)
    assert model.features(x).shape == (5, 64, 3, 3)
    assert model(x).shape == (5, 10)
    want = conv_params(1, 16) + conv_params(16, 32) + conv_params(32, 64) + 64 * 9 * 10 + 10
    assert n_parameters(model) == want == 29_178


def test_mnist_cnn_scales_and_drops_batch_norm():
    deep = MnistCNN(width=8, convs=2)
    assert sum(isinstance(m, nn.Conv2d) for m in deep.modules()) == 6
    assert deep(torch.randn(2, 1, 28, 28)).shape == (2, 10)
    plain = MnistCNN(width=8, batch_norm=False)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in plain.modules())
    assert all(m.bias is not None for m in plain.modules() if isinstance(m, nn.Conv2d))
    assert n_parameters(plain) == conv_params(1, 8, bias=True, bn=False) + conv_params(8, 16, bias=True, bn=False) \
        + conv_params(16, 32, bias=True, bn=False) + 32 * 9 * 10 + 10


def test_mnist_cnn_refuses_other_shapes():
    with pytest.raises(ValueError, match=r"\(B, 1, 28, 28\)"):
        MnistCNN()(torch.randn(2, 784))
    with pytest.raises(ValueError, match="width"):
        MnistCNN(width=0)


def test_plain_cnn_is_the_small_resnet_without_shortcuts():
    resnet, plain = small_resnet(10), PlainCNN(10)
    x = torch.randn(3, 3, 16, 16)
    assert resnet(x).shape == plain(x).shape == (3, 10)
    convs = [m for m in resnet.modules() if isinstance(m, nn.Conv2d)]
    shortcut = [m for name, m in resnet.named_modules() if isinstance(m, nn.Conv2d) and "downsample" in name]
    plain_convs = [m for m in plain.modules() if isinstance(m, nn.Conv2d)]
    assert [c.weight.shape for c in convs if c not in shortcut] == [c.weight.shape for c in plain_convs]
    assert [c.stride for c in convs if c not in shortcut] == [c.stride for c in plain_convs]
    w = SMALL_WIDTHS
    projections = sum(conv_params(a, b, k=1) for a, b in zip(w, w[1:]))
    assert n_parameters(resnet) - n_parameters(plain) == projections


def test_mnist_cnn_pools_before_batch_norm_and_relu():
    kinds = [type(m).__name__ for m in MnistCNN(width=4).features]
    assert kinds == ["Conv2d", "MaxPool2d", "BatchNorm2d", "ReLU"] * 3
    two = [type(m).__name__ for m in MnistCNN(width=4, convs=2).features][:7]
    assert two == ["Conv2d", "BatchNorm2d", "ReLU", "Conv2d", "MaxPool2d", "BatchNorm2d", "ReLU"]
