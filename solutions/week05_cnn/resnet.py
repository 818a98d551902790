"""Lab 5, part 2 — residual blocks and the ResNet-18 builder, in PyTorch.

The architecture of He et al. (2016), laid out as torchvision's ``resnet18``
so that ``state_dict()`` has the canonical key names (``conv1``, ``bn1``,
``layer1.0.conv1``, ..., ``layer2.0.downsample.0``, ``fc``): published
weights would load by name. No such weights ship with the course (there is
no network at run time); the names and the parameter count (11,689,512 for
1,000 classes) are what the tests hold the builder to.

- :class:`BasicBlock`: two 3x3 convolutions, each followed by batch norm,
  ReLU after the first and after the addition of the shortcut;
- :class:`Bottleneck`: 1x1 down to ``planes``, 3x3 (carrying the stride, as
  torchvision's "ResNet v1.5" does), 1x1 up to ``4 * planes``;
- :class:`ResNet`: the stem, four stages of blocks, global average pooling
  and one linear layer. A stage's first block gets a ``downsample``
  shortcut (1x1 convolution with the block's stride, then batch norm)
  whenever the stride is not 1 or the channel count changes.

``ResNet(BasicBlock, [1, 1, 1, 1], 6, widths=(16, 32, 64, 128),
small_input=True)`` is a small variant for small images: a 3x3 stride-1
stem and no max-pool, so a 64x64 patch keeps its detail into the first
stage.

Taught in Week 5 (book/week05_cnn.md). ``make lab-check WEEK=05`` tells you
how far you are.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

#: torchvision's stage widths (channels of each stage's blocks, before the expansion)
WIDTHS = (64, 128, 256, 512)


def conv3x3(in_planes: int, out_planes: int, stride: int = 1) -> nn.Conv2d:
    """A 3x3 convolution with padding 1 and no bias (the batch norm after it has one)."""
    return nn.Conv2d(in_planes, out_planes, kernel_size=3, stride=stride, padding=1, bias=False)


def conv1x1(in_planes: int, out_planes: int, stride: int = 1) -> nn.Conv2d:
    """A 1x1 convolution with no bias: the shortcut's projection and the bottleneck's squeeze."""
    return nn.Conv2d(in_planes, out_planes, kernel_size=1, stride=stride, bias=False)


class BasicBlock(nn.Module):
    """Two 3x3 convolutions and a shortcut: (N, inplanes, H, W) -> (N, planes, H / stride, W / stride).

    What the tests hold it to (torchvision's ``BasicBlock``):

    - attributes ``conv1``, ``bn1``, ``relu``, ``conv2``, ``bn2``, ``downsample``,
      created in that order (``state_dict()`` takes its key names and their
      order from them);
    - the stride goes on ``conv1``, the first 3x3; ``conv2`` has stride 1;
    - ``downsample`` is the module given (None when the shapes already match),
      and the block applies it to its input to make the shortcut.
    """

    expansion = 1

    def __init__(self, inplanes: int, planes: int, stride: int = 1, downsample: nn.Module | None = None) -> None:
        super().__init__()
        ### BEGIN SOLUTION (Task 4)
        ### HINT 1: Create the block's layers as the class docstring lists them: two 3x3 convolutions, a batch
        ###         norm after each, one ReLU, and the downsample you are given. Channels go inplanes -> planes ->
        ###         planes; which convolution shrinks H and W by the stride?
        ### HINT 2: The first convolution goes from inplanes to planes with the block's stride, the second
        ###         from planes to planes with stride 1; both have padding 1 and no bias (conv3x3 above). Keep
        ###         the downsample module you are given as self.downsample (it may be None), and one ReLU.
        ### HINT 3: The line that differs between the two convolutions: self.conv1 = conv3x3(inplanes, planes, stride),
        ###         then conv2 without a stride; a BatchNorm2d(planes) follows each.
        self.conv1 = conv3x3(inplanes, planes, stride)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample
        ### END SOLUTION
        self.stride = stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        ### BEGIN SOLUTION (Task 4)
        ### HINT 1: He et al.'s residual block: the output is the ReLU of a sum, F(x) (convolution, batch norm,
        ###         ReLU, convolution, batch norm) plus the shortcut, which must have F(x)'s shape (N, planes, H', W'):
        ###         the input x itself, or self.downsample(x) when the block changes the shape.
        ### HINT 2: The ReLU comes after the addition, not before it: the second batch norm's output is added
        ###         to the shortcut, then the sum goes through the ReLU. The shortcut uses the block's input x.
        ### HINT 3: The last line is return self.relu(out + identity), identity being x or self.downsample(x),
        ###         computed from the block's input before anything overwrites x.
        identity = x if self.downsample is None else self.downsample(x)  # (N, planes, H', W')
        out = self.relu(self.bn1(self.conv1(x)))  # (N, planes, H', W')
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)
        ### END SOLUTION


class Bottleneck(nn.Module):
    """1x1 squeeze, 3x3, 1x1 expand, and a shortcut: (N, inplanes, H, W) -> (N, 4 planes, H / stride, W / stride).

    What the tests hold it to (torchvision's ``Bottleneck``, "ResNet v1.5"):

    - attributes ``conv1``, ``bn1``, ``conv2``, ``bn2``, ``conv3``, ``bn3``, ``relu``,
      ``downsample``, created in that order;
    - the stride goes on ``conv2``, the 3x3; the two 1x1 convolutions have stride 1;
    - the output has ``planes * self.expansion`` channels.
    """

    expansion = 4

    def __init__(self, inplanes: int, planes: int, stride: int = 1, downsample: nn.Module | None = None) -> None:
        super().__init__()
        ### BEGIN SOLUTION (Task 4)
        ### HINT 1: Three convolutions, as the class docstring lists them: the channels go inplanes -> planes ->
        ###         planes -> planes * self.expansion (a 1x1 squeeze, a 3x3, a 1x1 expand), a batch norm after each.
        ###         Which one may change H and W, and which kernel size has padding 1?
        ### HINT 2: The 3x3 convolution carries the stride (conv3x3(planes, planes, stride)); the two 1x1
        ###         convolutions have stride 1. bn3 normalises planes * self.expansion channels.
        self.conv1 = conv1x1(inplanes, planes)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = conv3x3(planes, planes, stride)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = conv1x1(planes, planes * self.expansion)
        self.bn3 = nn.BatchNorm2d(planes * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample
        ### END SOLUTION
        self.stride = stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        ### BEGIN SOLUTION (Task 4)
        ### HINT 1: As in BasicBlock's forward, the ReLU of F(x) plus the shortcut, with F now three convolutions,
        ###         a batch norm after each and a ReLU after the first two only; the shortcut has 4 planes channels.
        ### HINT 2: Convolution i is followed by batch norm i; ReLU after bn1 and bn2, none after bn3: bn3's output
        ###         plus the shortcut (x, or self.downsample(x)) goes through the last ReLU.
        identity = x if self.downsample is None else self.downsample(x)  # (N, 4 planes, H', W')
        out = self.relu(self.bn1(self.conv1(x)))  # (N, planes, H, W)
        out = self.relu(self.bn2(self.conv2(out)))  # (N, planes, H', W')
        out = self.bn3(self.conv3(out))  # (N, 4 planes, H', W')
        return self.relu(out + identity)
        ### END SOLUTION


class ResNet(nn.Module):
    """Stem, four stages of ``block``, global average pooling, ``fc``: (N, 3, H, W) -> (N, num_classes) logits.

    ``layers`` is the number of blocks in each stage ([2, 2, 2, 2] for
    ResNet-18, [3, 4, 6, 3] for ResNet-34 and ResNet-50), ``widths`` the
    stages' widths. What the tests hold it to (torchvision's ``ResNet``):

    - the modules ``conv1``, ``bn1``, ``relu``, ``maxpool``, ``layer1``, ``layer2``,
      ``layer3``, ``layer4``, ``avgpool``, ``fc``, created in that order:
      ``state_dict()``'s keys and their order are compared with torchvision's;
    - the stem: ``conv1`` a 7x7 convolution, stride 2, padding 3, no bias,
      3 -> widths[0] channels; ``maxpool`` 3x3, stride 2, padding 1;
    - ``small_input=True`` (for images much smaller than 224x224): ``conv1`` a
      3x3 convolution with stride 1 and padding 1 (``conv3x3``) and
      ``maxpool = nn.Identity()``, so that :meth:`features` stays the same;
    - stage 1 keeps the resolution, the first block of stages 2, 3 and 4 has
      stride 2; a stage's first block gets a ``downsample`` whenever its
      stride is not 1 *or* the channels change, so ResNet-50's ``layer1.0``
      has one with stride 1 (64 -> 256 channels, ``Bottleneck.expansion`` 4);
    - the head: ``nn.AdaptiveAvgPool2d((1, 1))``, then
      ``fc = nn.Linear(widths[3] * block.expansion, num_classes)``.
    """

    def __init__(self, block: type[BasicBlock] | type[Bottleneck], layers: Sequence[int], num_classes: int = 1000,
                 widths: Sequence[int] = WIDTHS, small_input: bool = False, zero_init_residual: bool = False) -> None:
        super().__init__()
        if len(layers) != 4 or len(widths) != 4:
            raise ValueError(f"a ResNet has four stages: layers and widths take four numbers each, "
                             f"got layers={list(layers)} and widths={list(widths)}")
        if min(layers) < 1 or min(widths) < 1 or num_classes < 1:
            raise ValueError(f"every stage needs at least one block and one channel, and at least one class, "
                             f"got layers={list(layers)}, widths={list(widths)}, num_classes={num_classes}")
        ### BEGIN SOLUTION (Task 5)
        ### HINT 1: Create the modules the class docstring lists, in its order: a stem that takes (N, 3, H, W) to
        ###         (N, widths[0], H/4, W/4) (H, W with small_input), four stages built by self._make_layer that
        ###         halve H and W from stage 2 on, a pooling to (N, C, 1, 1) and one linear layer.
        ###         self.inplanes tracks the channels coming into the next stage.
        ### HINT 2: The stem: a 7x7 convolution, stride 2, padding 3, no bias, from 3 channels to widths[0],
        ###         batch norm, ReLU and a 3x3 max-pool with stride 2 and padding 1; with small_input, a 3x3
        ###         stride-1 convolution (conv3x3) and nn.Identity() in place of the max-pool. The head:
        ###         nn.AdaptiveAvgPool2d((1, 1)) and nn.Linear(widths[3] * block.expansion, num_classes).
        ### HINT 3: self.layer1 = self._make_layer(block, widths[0], layers[0]) and
        ###         self.layer2 = self._make_layer(block, widths[1], layers[1], stride=2), and so on; set
        ###         self.inplanes = widths[0] before the first one.
        self.inplanes = widths[0]
        if small_input:
            self.conv1 = conv3x3(3, widths[0])
        else:
            self.conv1 = nn.Conv2d(3, widths[0], kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(widths[0])
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.Identity() if small_input else nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, widths[0], layers[0])
        self.layer2 = self._make_layer(block, widths[1], layers[1], stride=2)
        self.layer3 = self._make_layer(block, widths[2], layers[2], stride=2)
        self.layer4 = self._make_layer(block, widths[3], layers[3], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(widths[3] * block.expansion, num_classes)
        ### END SOLUTION
        self._init_weights(zero_init_residual)

    def _make_layer(self, block: type[BasicBlock] | type[Bottleneck], planes: int, blocks: int,
                    stride: int = 1) -> nn.Sequential:
        """One stage: ``blocks`` blocks of width ``planes``, the first with ``stride`` (and the shortcut's projection)."""
        ### BEGIN SOLUTION (Task 5)
        ### HINT 1: Only the first block of a stage changes the shape (H and W by its stride, the channels from
        ###         self.inplanes to planes * block.expansion); the others keep it. That block needs a downsample
        ###         shortcut exactly when its input and output shapes differ, as a 1x1 convolution then a batch
        ###         norm (keys downsample.0 and downsample.1); the other blocks need none.
        ### HINT 2: downsample = nn.Sequential(conv1x1(self.inplanes, planes * block.expansion, stride),
        ###         nn.BatchNorm2d(planes * block.expansion)) if stride != 1 or self.inplanes !=
        ###         planes * block.expansion, else None. After the first block, self.inplanes becomes
        ###         planes * block.expansion; the other blocks get (self.inplanes, planes) and no downsample.
        ### HINT 3: Return nn.Sequential(*blocks_list), so that the blocks are named 0, 1, ... (layer1.0, layer1.1).
        out_planes = planes * block.expansion
        downsample = None
        if stride != 1 or self.inplanes != out_planes:
            downsample = nn.Sequential(conv1x1(self.inplanes, out_planes, stride), nn.BatchNorm2d(out_planes))
        stage = [block(self.inplanes, planes, stride, downsample)]
        self.inplanes = out_planes
        stage += [block(self.inplanes, planes) for _ in range(1, blocks)]
        return nn.Sequential(*stage)
        ### END SOLUTION

    def _init_weights(self, zero_init_residual: bool) -> None:
        """Torchvision's initialisation: He-normal (fan-out) convolutions, batch norm at scale 1 and shift 0."""
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)
        if zero_init_residual:  # each block starts as the identity: its last batch norm's scale is 0
            for m in self.modules():
                last = getattr(m, "bn3", None) if isinstance(m, Bottleneck) else getattr(m, "bn2", None)
                if isinstance(m, (BasicBlock, Bottleneck)) and last is not None:
                    nn.init.constant_(last.weight, 0)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The pooled features before ``fc``: (N, 3, H, W) -> (N, widths[3] * expansion)."""
        if x.ndim != 4 or x.shape[1] != 3:
            raise ValueError(f"a ResNet takes a batch of colour images (N, 3, H, W), got shape {tuple(x.shape)}")
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return torch.flatten(self.avgpool(x), 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.features(x))


def resnet18(num_classes: int = 1000, **kwargs) -> ResNet:
    """ResNet-18: BasicBlocks, two per stage. 11,689,512 parameters for 1,000 classes."""
    return ResNet(BasicBlock, [2, 2, 2, 2], num_classes, **kwargs)


def resnet34(num_classes: int = 1000, **kwargs) -> ResNet:
    """ResNet-34: BasicBlocks, [3, 4, 6, 3]. 21,797,672 parameters for 1,000 classes."""
    return ResNet(BasicBlock, [3, 4, 6, 3], num_classes, **kwargs)


def resnet50(num_classes: int = 1000, **kwargs) -> ResNet:
    """ResNet-50: Bottlenecks, [3, 4, 6, 3]. 25,557,032 parameters for 1,000 classes."""
    return ResNet(Bottleneck, [3, 4, 6, 3], num_classes, **kwargs)
