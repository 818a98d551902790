"""Count the multiply-accumulates of a model's convolutions and linear layers, with forward hooks.

Taught in Week 5 (book/week05_cnn.md). A convolution that writes an output
of shape (N, C_out, H_out, W_out) computes, for each of those numbers, one
dot product of length (C_in / groups) * kh * kw: that many
multiply-accumulates (MACs). A linear layer computes in_features MACs per
output number. The hooks read the real output shapes from one forward pass,
so stride, padding, dilation and pooling are all accounted for without any
formula for the sizes.

Only ``nn.Conv2d`` and ``nn.Linear`` are counted: batch norm, ReLU, pooling
and the residual additions are a few operations per activation, under 1 %
of ResNet-18's total, and the published figures leave them out too (biases'
additions likewise). The "1.8 GFLOPs" quoted for ResNet-18 on a 224x224
image (He et al. 2016, Table 1; torchvision's model card) are these
multiply-adds: 1.8 G *MACs*. Counting a multiply and an add as two
floating-point operations makes it about 3.6 GFLOPs; :attr:`FlopReport.flops`
is that figure.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn


@dataclass(frozen=True)
class LayerCount:
    """One counted layer: its name in the model, its type, its output shape and its MACs."""

    name: str
    kind: str
    output_shape: tuple[int, ...]
    macs: int


@dataclass(frozen=True)
class FlopReport:
    """The MACs of every counted layer, in the order the forward pass ran them."""

    layers: list[LayerCount] = field(default_factory=list)

    @property
    def macs(self) -> int:
        """Multiply-accumulates in total (what the literature calls the model's "FLOPs")."""
        return sum(layer.macs for layer in self.layers)

    @property
    def flops(self) -> int:
        """Floating-point operations, counting a multiply and an add as two: 2 * macs."""
        return 2 * self.macs

    def by_kind(self) -> dict[str, int]:
        """MACs per layer type ("Conv2d", "Linear")."""
        out: dict[str, int] = {}
        for layer in self.layers:
            out[layer.kind] = out.get(layer.kind, 0) + layer.macs
        return out


def conv2d_macs(module: nn.Conv2d, output: torch.Tensor) -> int:
    """Each output number of a convolution is a dot product over (C_in / groups) x kh x kw inputs."""
    kh, kw = module.kernel_size
    return output.numel() * (module.in_channels // module.groups) * kh * kw


def linear_macs(module: nn.Linear, output: torch.Tensor) -> int:
    """Each output number of a linear layer is a dot product over in_features inputs."""
    return output.numel() * module.in_features


COUNTERS = {nn.Conv2d: conv2d_macs, nn.Linear: linear_macs}


def count_macs(model: nn.Module, example: torch.Tensor) -> FlopReport:
    """Run ``model`` once on ``example`` (no gradients) and count the MACs of its Conv2d and Linear layers.

    A layer called twice is counted twice. The model's mode is left as it
    was found; run it in eval mode if its forward depends on the mode.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"count_macs takes a torch.nn.Module, got {type(model).__name__}")
    if not isinstance(example, torch.Tensor):
        raise TypeError(f"count_macs takes an example input tensor, e.g. torch.zeros(1, 3, 224, 224), "
                        f"got {type(example).__name__}")
    layers: list[LayerCount] = []
    handles = []

    def hook_for(name: str, counter):
        def hook(module, inputs, output):
            layers.append(LayerCount(name, type(module).__name__, tuple(output.shape), counter(module, output)))
        return hook

    for name, module in model.named_modules():
        counter = next((c for kind, c in COUNTERS.items() if isinstance(module, kind)), None)
        if counter is not None:
            handles.append(module.register_forward_hook(hook_for(name, counter)))
    try:
        with torch.no_grad():
            model(example)
    finally:
        for handle in handles:
            handle.remove()
    return FlopReport(layers)
