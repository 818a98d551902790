"""Batch normalisation of images, from scratch in NumPy: train and eval modes, running statistics, backward.

Taught in Week 5 (book/week05_cnn.md). It behaves as ``torch.nn.BatchNorm2d``:
in training mode each channel is normalised with the mean and the biased
variance of its N * H * W values in the batch, and the running statistics
move towards the batch's with ``momentum``, the running variance towards the
*unbiased* batch variance (M / (M - 1) times the biased one, M = N * H * W)::

    running_mean <- (1 - momentum) * running_mean + momentum * mean
    running_var  <- (1 - momentum) * running_var  + momentum * var * M / (M - 1)

In eval mode the running statistics normalise instead, and nothing is
updated. The backward pass of training mode goes through the batch
statistics too: with x_hat = (x - mean) / sqrt(var + eps),

    dx = gamma / sqrt(var + eps) * (dy - mean(dy) - x_hat * mean(dy * x_hat))

(means over N, H, W for each channel). In eval mode the statistics are
constants and dx = gamma / sqrt(running_var + eps) * dy.
"""

from __future__ import annotations

import numpy as np

from solutions.week05_cnn.conv import check_images


class BatchNorm2d:
    """NumPy batch norm over the channels of (N, C, H, W), with ``nn.BatchNorm2d``'s names and defaults."""

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1, dtype=np.float64) -> None:
        if not isinstance(num_features, (int, np.integer)) or num_features < 1:
            raise ValueError(f"num_features is the number of channels, an integer >= 1, got {num_features!r}")
        if not 0 <= momentum <= 1 or not eps > 0:
            raise ValueError(f"momentum must be in [0, 1] and eps > 0, got momentum={momentum}, eps={eps}")
        self.num_features, self.eps, self.momentum = int(num_features), float(eps), float(momentum)
        self.weight = np.ones(num_features, dtype=dtype)  # gamma
        self.bias = np.zeros(num_features, dtype=dtype)  # beta
        self.running_mean = np.zeros(num_features, dtype=dtype)
        self.running_var = np.ones(num_features, dtype=dtype)
        self.num_batches_tracked = 0
        self.training = True
        self.grads: dict[str, np.ndarray] = {}
        self._cache = None

    def train(self, mode: bool = True) -> BatchNorm2d:
        self.training = bool(mode)
        return self

    def eval(self) -> BatchNorm2d:
        return self.train(False)

    def forward(self, x: np.ndarray) -> np.ndarray:
        """x (N, C, H, W) -> y (N, C, H, W); in training mode, updates the running statistics."""
        check_images(x)
        if x.shape[1] != self.num_features:
            raise ValueError(f"this batch norm has {self.num_features} channels; x has shape (N, C, H, W) = {x.shape}")
        axes = (0, 2, 3)
        if self.training:
            m = x.shape[0] * x.shape[2] * x.shape[3]
            if m < 2:
                raise ValueError(f"training mode needs more than one value per channel (N * H * W >= 2) to compute "
                                 f"a variance, got x of shape {x.shape}; use eval() for a single value")
            mean, var = x.mean(axis=axes), x.var(axis=axes)  # (C,), the biased variance normalises
            self.running_mean = (1 - self.momentum) * self.running_mean + self.momentum * mean
            self.running_var = (1 - self.momentum) * self.running_var + self.momentum * var * m / (m - 1)
            self.num_batches_tracked += 1
        else:
            mean, var = self.running_mean, self.running_var
        inv_std = 1 / np.sqrt(var + self.eps)  # (C,)
        x_hat = (x - mean[None, :, None, None]) * inv_std[None, :, None, None]
        self._cache = (x_hat, inv_std, self.training)
        return self.weight[None, :, None, None] * x_hat + self.bias[None, :, None, None]

    __call__ = forward

    def backward(self, dy: np.ndarray) -> np.ndarray:
        """Given dL/dy of the last forward pass, return dL/dx; dL/dweight and dL/dbias go into ``self.grads``."""
        if self._cache is None:
            raise RuntimeError("backward() needs a forward() first: it uses the statistics of the last batch")
        x_hat, inv_std, training = self._cache
        if dy.shape != x_hat.shape:
            raise ValueError(f"dy must have the shape of the last output, {x_hat.shape}, got {dy.shape}")
        axes = (0, 2, 3)
        self.grads = {"weight": (dy * x_hat).sum(axis=axes), "bias": dy.sum(axis=axes)}
        scale = (self.weight * inv_std)[None, :, None, None]
        if not training:
            return scale * dy
        mean_dy = dy.mean(axis=axes, keepdims=True)
        mean_dy_xhat = (dy * x_hat).mean(axis=axes, keepdims=True)
        return scale * (dy - mean_dy - x_hat * mean_dy_xhat)
