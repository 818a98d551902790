"""The MAC counter: ResNet-18's published 1.8 G multiply-adds, and small layers counted by hand."""

import pytest
import torch
from torch import nn

from aimastery.cnn.flops import count_macs
from aimastery.cnn.resnet import resnet18
from aimastery.testing import one_torch_thread  # noqa: F401 (autouse fixture)


def test_resnet18_224_is_the_published_1_8_gmacs():
    report = count_macs(resnet18().eval(), torch.zeros(1, 3, 224, 224))
    # He et al. (2016), Table 1: 1.8 x 10^9 "FLOPs", which are multiply-adds; torchvision lists 1.81
    assert round(report.macs / 1e9, 2) == 1.81
    assert report.flops == 2 * report.macs
    assert report.by_kind()["Linear"] == 512 * 1000
    assert len(report.layers) == 21  # 20 convolutions (17 + 3 shortcuts) and fc


def test_counts_by_hand():
    # conv: 8 x 5 x 5 outputs (stride 2, padding 1, dilation 2 on 12 x 12), each (4 / 2) * 3 * 3 MACs
    model = nn.Sequential(nn.Conv2d(4, 8, 3, stride=2, padding=1, dilation=2, groups=2), nn.Flatten(),
                          nn.Linear(8 * 5 * 5, 7))
    report = count_macs(model, torch.zeros(2, 4, 12, 12))
    assert [layer.output_shape for layer in report.layers] == [(2, 8, 5, 5), (2, 7)]
    assert [layer.macs for layer in report.layers] == [2 * 8 * 5 * 5 * 2 * 9, 2 * 7 * 200]
    assert [layer.name for layer in report.layers] == ["0", "2"]


def test_hooks_are_removed_and_a_shared_layer_counts_twice():
    conv = nn.Conv2d(1, 1, 3, padding=1)
    model = nn.Sequential(conv, conv)
    report = count_macs(model, torch.zeros(1, 1, 4, 4))
    assert [layer.macs for layer in report.layers] == [16 * 9, 16 * 9]
    assert not conv._forward_hooks


def test_bad_arguments():
    with pytest.raises(TypeError, match="torch.nn.Module"):
        count_macs(lambda x: x, torch.zeros(1))
    with pytest.raises(TypeError, match="example input tensor"):
        count_macs(nn.Linear(2, 2), [[0.0, 1.0]])
