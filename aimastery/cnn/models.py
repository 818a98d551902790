"""The plain convolutional networks of Week 5 (book/week05_cnn.md).

``MnistCNN`` is the chapter's digit classifier: three stages of a 3x3
convolution, a 2x2 max-pool, batch norm and ReLU (28 -> 14 -> 7 -> 3), then
one linear layer. The pool comes straight after the convolution, so that
batch norm and ReLU work on a quarter of the values: the same kind of
network, a quarter less time per step here. ``width`` and ``convs`` scale
it, so the benchmark (``make bench ONLY=cnn_mnist``) trains a wider, deeper
copy of the same design. ``PlainCNN`` is the colour-patch task's baseline:
the small ResNet (``small_resnet``) with its shortcuts taken out, so the two
differ by the shortcuts alone (and the few parameters of the 1x1 projections).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from aimastery.cnn.resnet import BasicBlock, ResNet

#: The small ResNet's stage widths (torchvision's ResNet-18 has 64, 128, 256, 512).
SMALL_WIDTHS = (8, 16, 32, 64)


def conv_bn_relu(c_in: int, c_out: int, stride: int = 1, batch_norm: bool = True) -> list[nn.Module]:
    """A 3x3 convolution (padding 1), batch norm and ReLU; without batch norm the convolution gets a bias."""
    if not batch_norm:
        return [nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1), nn.ReLU(inplace=True)]
    return [nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=False),  # batch norm's shift is the bias
            nn.BatchNorm2d(c_out), nn.ReLU(inplace=True)]


class MnistCNN(nn.Module):
    """(B, 1, 28, 28) digits -> (B, 10) logits.

    Stage s (s = 0, 1, 2) has ``convs`` 3x3 convolutions of ``width * 2**s``
    channels, each followed by batch norm and ReLU, with the stage's 2x2
    max-pool between its last convolution and that one's batch norm:
    (B, w, 14, 14), (B, 2w, 7, 7), (B, 4w, 3, 3); ``classifier`` maps the
    4w * 3 * 3 features to the logits.
    """

    def __init__(self, width: int = 16, convs: int = 1, num_classes: int = 10, batch_norm: bool = True) -> None:
        super().__init__()
        if width < 1 or convs < 1 or num_classes < 2:
            raise ValueError(f"width and convs must be >= 1 and num_classes >= 2, "
                             f"got width={width}, convs={convs}, num_classes={num_classes}")
        layers, c_in = [], 1
        for stage in range(3):
            c_out = width * 2**stage
            for i in range(convs):
                conv, *rest = conv_bn_relu(c_in, c_out, batch_norm=batch_norm)
                layers += [conv, nn.MaxPool2d(2), *rest] if i == convs - 1 else [conv, *rest]
                c_in = c_out
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Linear(c_in * 3 * 3, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x: (B, 1, 28, 28)
        if x.ndim != 4 or x.shape[1:] != (1, 28, 28):
            raise ValueError(f"MnistCNN takes digits of shape (B, 1, 28, 28), got {tuple(x.shape)}")
        return self.classifier(torch.flatten(self.features(x), 1))  # (B, 10)


def small_resnet(num_classes: int, widths: Sequence[int] = SMALL_WIDTHS) -> ResNet:
    """The course's ResNet at its smallest: one BasicBlock per stage and a 3x3 stride-1 stem, for small images."""
    return ResNet(BasicBlock, [1, 1, 1, 1], num_classes, widths=widths, small_input=True)


class PlainCNN(nn.Module):
    """``small_resnet`` without its shortcuts: (B, 3, H, W) -> (B, num_classes).

    The same stem (3x3 conv-BN-ReLU), then per stage two conv-BN-ReLU layers,
    the first of stages 2-4 with stride 2, global average pooling and a
    linear head: the residual network's convolutions, one after the other.
    """

    def __init__(self, num_classes: int, widths: Sequence[int] = SMALL_WIDTHS) -> None:
        super().__init__()
        layers, c_in = conv_bn_relu(3, widths[0]), widths[0]
        for stage, w in enumerate(widths):
            layers += conv_bn_relu(c_in, w, stride=1 if stage == 0 else 2) + conv_bn_relu(w, w)
            c_in = w
        self.features = nn.Sequential(*layers)
        self.fc = nn.Linear(c_in, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x: (B, 3, H, W)
        x = self.features(x)  # (B, C, H / 8, W / 8)
        return self.fc(torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1))  # (B, num_classes)


def n_parameters(model: nn.Module) -> int:
    """The number of trainable parameters of ``model``."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
