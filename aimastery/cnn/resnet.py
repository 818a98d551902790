"""The course's ResNet: BasicBlock, Bottleneck, the ResNet class and the ResNet-18/34/50 builders.

Taught in Week 5 (book/week05_cnn.md). The state_dict keys are torchvision's
canonical names, and ResNet-18 for 1,000 classes has 11,689,512 parameters,
so published weights would load by name (none ship with the course).
``ResNet(BasicBlock, [1, 1, 1, 1], n, widths=(16, 32, 64, 128),
small_input=True)`` is a small variant for small images.

Its one source is Lab 5's reference solution, ``solutions/week05_cnn/resnet.py``
(the lab's stubs are generated from it), so the network the chapter trains and
the one the lab's tests hold up as correct cannot drift apart.
"""

from solutions.week05_cnn.resnet import WIDTHS, BasicBlock, Bottleneck, ResNet, conv1x1, conv3x3, resnet18, resnet34, resnet50

__all__ = ["WIDTHS", "BasicBlock", "Bottleneck", "ResNet", "conv1x1", "conv3x3", "resnet18", "resnet34", "resnet50"]
