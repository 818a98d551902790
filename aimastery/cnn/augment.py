"""Data augmentation for image batches, written with torch ops: flips, crops, colour jitter.

Taught in Week 5 (book/week05_cnn.md). Each function takes a batch
(B, C, H, W) of float images in [0, 1] and a ``torch.Generator``, draws its
random choices per image from that generator (so a seeded run augments the
same way every time), and returns a new batch of the same shape. The
training loop (:func:`aimastery.cnn.train.train`) applies an ``augment``
to each training batch, never to the evaluation data.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

Augment = Callable[[torch.Tensor, torch.Generator], torch.Tensor]

# ITU-R BT.601 luma weights: the grey level of an RGB pixel, as torchvision's rgb_to_grayscale uses
LUMA = (0.299, 0.587, 0.114)


def _check(x: torch.Tensor) -> None:
    if not isinstance(x, torch.Tensor) or x.ndim != 4 or not x.is_floating_point():
        raise ValueError(f"augmentations take a float batch of images (B, C, H, W), got "
                         f"{getattr(x, 'dtype', type(x).__name__)} of shape {tuple(getattr(x, 'shape', ()))}")


def _uniform(n: int, low: float, high: float, generator: torch.Generator) -> torch.Tensor:
    return low + (high - low) * torch.rand(n, generator=generator)


def random_hflip(x: torch.Tensor, generator: torch.Generator, p: float = 0.5) -> torch.Tensor:
    """Mirror each image left to right with probability ``p``."""
    _check(x)
    flip = torch.rand(len(x), generator=generator) < p  # (B,)
    return torch.where(flip[:, None, None, None], x.flip(-1), x)


def random_crop(x: torch.Tensor, generator: torch.Generator, padding: int = 2,
                mode: str = "reflect") -> torch.Tensor:
    """Pad each side by ``padding`` (``F.pad``'s ``mode``), then cut an H x W window at a random offset.

    The offsets are drawn per image, from 0 to 2 * padding along each axis:
    a shift of up to ``padding`` pixels in every direction.
    """
    _check(x)
    if padding < 0:
        raise ValueError(f"padding must be >= 0, got {padding}")
    if padding == 0:
        return x.clone()
    B, C, H, W = x.shape
    padded = F.pad(x, (padding,) * 4, mode=mode)  # (B, C, H + 2p, W + 2p)
    top = torch.randint(0, 2 * padding + 1, (B,), generator=generator)
    left = torch.randint(0, 2 * padding + 1, (B,), generator=generator)
    rows = (top[:, None] + torch.arange(H))[:, :, None]  # (B, H, 1)
    cols = (left[:, None] + torch.arange(W))[:, None, :]  # (B, 1, W)
    batch = torch.arange(B)[:, None, None]  # (B, 1, 1)
    return padded.permute(0, 2, 3, 1)[batch, rows, cols].permute(0, 3, 1, 2).contiguous()  # (B, C, H, W)


def grey(x: torch.Tensor) -> torch.Tensor:
    """The luma of an RGB batch (B, 3, H, W) -> (B, 1, H, W)."""
    return (x * torch.tensor(LUMA, dtype=x.dtype)[None, :, None, None]).sum(1, keepdim=True)


def colour_jitter(x: torch.Tensor, generator: torch.Generator, brightness: float = 0.2,
                  contrast: float = 0.2, saturation: float = 0.2) -> torch.Tensor:
    """Scale each RGB image's brightness, contrast and saturation by factors drawn from [1 - s, 1 + s].

    Brightness multiplies every pixel; contrast moves the pixels towards or
    away from the image's mean grey level; saturation towards or away from
    each pixel's own grey level. The result is clipped to [0, 1].
    """
    _check(x)
    if x.shape[1] != 3:
        raise ValueError(f"colour jitter needs RGB images (B, 3, H, W), got {tuple(x.shape)}")
    if min(brightness, contrast, saturation) < 0 or max(brightness, contrast, saturation) >= 1:
        raise ValueError(f"each jitter strength must be in [0, 1), got brightness={brightness}, "
                         f"contrast={contrast}, saturation={saturation}")
    B = len(x)
    b = _uniform(B, 1 - brightness, 1 + brightness, generator)[:, None, None, None]
    c = _uniform(B, 1 - contrast, 1 + contrast, generator)[:, None, None, None]
    s = _uniform(B, 1 - saturation, 1 + saturation, generator)[:, None, None, None]
    x = (x * b).clamp(0, 1)
    mean = grey(x).mean(dim=(2, 3), keepdim=True)  # (B, 1, 1, 1)
    x = (mean + c * (x - mean)).clamp(0, 1)
    g = grey(x)  # (B, 1, H, W)
    return (g + s * (x - g)).clamp(0, 1)


def compose(*steps: Augment) -> Augment:
    """One augmentation that applies ``steps`` in order, each with the same generator."""
    def augment(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        for step in steps:
            x = step(x, generator)
        return x
    return augment


def standard_augment(padding: int = 2, jitter: float = 0.2) -> Augment:
    """The colour-patch task's augmentation: a random crop (shift), a horizontal flip, colour jitter."""
    return compose(lambda x, g: random_crop(x, g, padding), random_hflip,
                   lambda x, g: colour_jitter(x, g, jitter, jitter, jitter))
