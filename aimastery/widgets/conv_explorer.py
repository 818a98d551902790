"""Convolution explorer: a kernel steps across an image, and the feature map fills in, one dot product at a time.

Taught in Week 5 (book/week05_cnn.md). Three layers:

* :func:`compute_conv_explorer` gathers plain data: a few images (MNIST test
  digits by default, and a square), the built-in kernels (:data:`KERNELS`:
  edges, blur, sharpen, outline) and any extra named ones, such as the
  learned first-layer kernels of a trained CNN (:func:`first_layer_kernels`);
  :func:`feature_map` and :func:`dot_product_at` are what the widget shows,
  computed with the course's NumPy convolution (:mod:`aimastery.cnn.conv`);
* :func:`plot_feature_maps` draws an image, each kernel and its feature map
  with matplotlib, for the static page;
* :func:`conv_explorer_widget` lets a reader choose the image, the kernel,
  the stride and the padding, and step the kernel's window across the image
  (slider, arrow keys, buttons, play): ``js/conv_explorer.js`` computes the
  same cross-correlation in the page, with no kernel, and shows the current
  patch, the products and their sum.

Like PyTorch's ``conv2d``, this is cross-correlation: the kernel is not
flipped. ``out[i, j] = sum_pq x[i*s - pad + p, j*s - pad + q] * w[p, q] + b``,
the pixels of the padding being 0.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

import numpy as np
import traitlets

from aimastery.cnn.conv import conv2d_forward, conv_output_size
from aimastery.widgets.base import CourseWidget

#: The built-in 3x3 kernels, in the order the widget lists them.
KERNELS: dict[str, np.ndarray] = {
    "vertical edges (Sobel x)": np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=np.float64),
    "horizontal edges (Sobel y)": np.array([[-1, -2, -1], [0, 0, 0], [1, 2, 1]], dtype=np.float64),
    "blur (Gaussian)": np.array([[1, 2, 1], [2, 4, 2], [1, 2, 1]], dtype=np.float64) / 16,
    "sharpen": np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], dtype=np.float64),
    "outline (Laplacian)": np.array([[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]], dtype=np.float64),
}
STRIDES = (1, 2)
#: "valid": no padding; "same": floor(k / 2) pixels of zeros on every side (same size out as in, at stride 1).
PADDINGS = ("valid", "same")
MAX_SIDE = 40  # the largest image side the widget draws
MAX_KERNEL = 7
PIXEL_DIGITS, WEIGHT_DIGITS = 3, 4  # what the page stores: enough for the numbers it prints


class Kernel(NamedTuple):
    """A kernel (k, k) and the bias its layer adds (0 for the built-in ones)."""

    weights: np.ndarray
    bias: float = 0.0


def padding_for(mode: str, k: int) -> int:
    """The padding of a mode of :data:`PADDINGS` for a k x k kernel."""
    if mode not in PADDINGS:
        raise ValueError(f"padding is one of {', '.join(PADDINGS)}, got {mode!r}")
    return k // 2 if mode == "same" else 0


def mnist_examples(mnist=None, indices: tuple[int, ...] = (0, 1, 3)) -> dict[str, np.ndarray]:
    """MNIST test digits by index (a 7, a 2 and a 0 by default), named by their label: {name: (28, 28) in [0, 1]}.

    ``mnist``: what :func:`aimastery.data.mnist.load_mnist` returned (flattened or not); loaded if None.
    """
    if mnist is None:
        from aimastery.data.mnist import load_mnist

        mnist = load_mnist(flatten=False)
    return {f"a {mnist.y_test[i]} (MNIST test digit #{i})": np.asarray(mnist.X_test[i]).reshape(28, 28)
            for i in indices}


def square(side: int = 16, inner: int = 8) -> np.ndarray:
    """A light square on black, ``inner`` pixels wide in a ``side`` x ``side`` image: edges a kernel can find."""
    image = np.zeros((side, side))
    start = (side - inner) // 2
    image[start:start + inner, start:start + inner] = 1.0
    return image


def default_images(mnist=None) -> dict[str, np.ndarray]:
    """Three MNIST test digits (:func:`mnist_examples`) and a square."""
    return {**mnist_examples(mnist), "a square": square()}


def first_layer_kernels(model, n: int = 4) -> dict[str, Kernel]:
    """The first ``n`` kernels (and biases) of ``model``'s first ``Conv2d`` that reads one channel, by name.

    With the layer's own stride and padding chosen in the widget, their
    feature maps are exactly what that layer computes on the image, before
    whatever follows it (batch norm, ReLU).
    """
    import torch

    conv = next((m for m in model.modules() if isinstance(m, torch.nn.Conv2d) and m.in_channels == 1), None)
    if conv is None:
        raise ValueError("the model has no Conv2d layer with one input channel (a greyscale image's first layer)")
    weights = conv.weight.detach().double().numpy()[:n, 0]  # (n, kh, kw)
    biases = conv.bias.detach().double().numpy()[:n] if conv.bias is not None else np.zeros(len(weights))
    return {f"learned {i + 1} of {conv.out_channels}": Kernel(w, float(b)) for i, (w, b) in enumerate(zip(weights, biases))}


def _check_image(name: str, image) -> np.ndarray:
    a = np.asarray(image, dtype=np.float64)
    if a.ndim != 2 or not (3 <= a.shape[0] <= MAX_SIDE and 3 <= a.shape[1] <= MAX_SIDE):
        raise ValueError(f"image {name!r}: a greyscale (H, W) array with 3 to {MAX_SIDE} pixels a side, "
                         f"got shape {a.shape}")
    if not np.isfinite(a).all() or a.min() < 0 or a.max() > 1:
        raise ValueError(f"image {name!r}: pixel values must be in [0, 1] (as the MNIST loader gives them)")
    return np.round(a, PIXEL_DIGITS)


def _check_kernel(name: str, kernel) -> Kernel:
    weights, bias = (kernel.weights, kernel.bias) if isinstance(kernel, Kernel) else (kernel, 0.0)
    w = np.asarray(weights, dtype=np.float64)
    if w.ndim != 2 or w.shape[0] != w.shape[1] or not 1 <= w.shape[0] <= MAX_KERNEL:
        raise ValueError(f"kernel {name!r}: a square (k, k) array with k from 1 to {MAX_KERNEL}, got shape {w.shape}")
    if not np.isfinite(w).all() or not np.isfinite(bias):
        raise ValueError(f"kernel {name!r}: weights and bias must be finite")
    return Kernel(np.round(w, WEIGHT_DIGITS), round(float(bias), WEIGHT_DIGITS))


def compute_conv_explorer(images: Mapping[str, np.ndarray] | None = None,
                          kernels: Mapping[str, np.ndarray | Kernel] | None = None, *,
                          builtin_kernels: bool = True) -> dict:
    """Everything the widget shows, as plain JSON-able data.

    ``images``: {name: (H, W) in [0, 1]}, default :func:`default_images`
    (three MNIST test digits and a square). ``kernels``: extra named kernels, (k, k) arrays or
    :class:`Kernel` with a bias (e.g. :func:`first_layer_kernels`), listed
    after :data:`KERNELS` (or alone, with ``builtin_kernels=False``).
    Pixels are stored to 3 decimals and weights to 4; the feature maps are
    computed from what is stored, in Python and in the page alike.
    """
    images = dict(images) if images is not None else default_images()
    named = {**(KERNELS if builtin_kernels else {}), **dict(kernels or {})}
    if not images or not named:
        raise ValueError("compute_conv_explorer needs at least one image and one kernel")
    checked = {name: _check_kernel(name, k) for name, k in named.items()}
    pictures = {name: _check_image(name, im) for name, im in images.items()}
    smallest = min(min(p.shape) for p in pictures.values())
    for name, k in checked.items():
        if len(k.weights) > smallest:
            raise ValueError(f"kernel {name!r} is {len(k.weights)} x {len(k.weights)}; the smallest image is "
                             f"{smallest} pixels a side")
    return {
        "images": [{"name": name, "pixels": p.tolist()} for name, p in pictures.items()],
        "kernels": [{"name": name, "weights": k.weights.tolist(), "bias": k.bias} for name, k in checked.items()],
        "strides": list(STRIDES),
        "paddings": list(PADDINGS),
    }


def _setting(data: dict, image: int, kernel: int, stride: int, padding: int) -> tuple[np.ndarray, Kernel, int, int]:
    k = data["kernels"][kernel]
    weights = np.array(k["weights"], dtype=np.float64)
    return (np.array(data["images"][image]["pixels"], dtype=np.float64), Kernel(weights, k["bias"]),
            data["strides"][stride], padding_for(data["paddings"][padding], len(weights)))


def feature_map(data: dict, image: int = 0, kernel: int = 0, stride: int = 0, padding: int = 0) -> np.ndarray:
    """The output (H_out, W_out) of the chosen kernel on the chosen image (indices into ``data``'s lists)."""
    x, k, s, p = _setting(data, image, kernel, stride, padding)
    out, _ = conv2d_forward(x[None, None], k.weights[None, None], np.array([k.bias]), stride=s, padding=p)
    return out[0, 0]  # (1, 1, H_out, W_out) -> (H_out, W_out)


def output_shape(data: dict, image: int = 0, kernel: int = 0, stride: int = 0, padding: int = 0) -> tuple[int, int]:
    """(H_out, W_out) = ((H + 2 pad - k) // stride + 1, the same along W)."""
    x, k, s, p = _setting(data, image, kernel, stride, padding)
    return tuple(conv_output_size(n, len(k.weights), s, p) for n in x.shape)


def dot_product_at(data: dict, step: int, image: int = 0, kernel: int = 0, stride: int = 0, padding: int = 0) -> dict:
    """What the widget prints at position ``step`` (output cells in reading order): the output's row and
    column, the patch under the window (padding as 0), the products, their sum, and the value with the bias."""
    x, k, s, p = _setting(data, image, kernel, stride, padding)
    H_out, W_out = output_shape(data, image, kernel, stride, padding)
    if not 0 <= step < H_out * W_out:
        raise ValueError(f"step is 0 to {H_out * W_out - 1} ({H_out} x {W_out} output positions), got {step}")
    row, col = divmod(step, W_out)
    padded = np.pad(x, p)
    n = len(k.weights)
    patch = padded[row * s:row * s + n, col * s:col * s + n]  # (k, k)
    products = patch * k.weights
    return {"row": row, "col": col, "top": row * s - p, "left": col * s - p, "patch": patch,
            "products": products, "sum": float(products.sum()), "value": float(products.sum() + k.bias)}


# ----- static figure


def plot_feature_maps(data: dict, image: int = 0, kernels: list[int] | None = None, stride: int = 0,
                      padding: int = 0):
    """The image, then for each kernel its weights (numbers printed) above its feature map."""
    import matplotlib.pyplot as plt

    kernels = list(range(len(data["kernels"]))) if kernels is None else kernels
    fig, axes = plt.subplots(2, len(kernels) + 1, figsize=(2.3 * (len(kernels) + 1), 4.8),
                             gridspec_kw={"height_ratios": [1, 1.4]}, squeeze=False)
    x = np.array(data["images"][image]["pixels"])
    axes[1, 0].imshow(x, cmap="gray", vmin=0, vmax=1, interpolation="nearest")
    axes[1, 0].set_title(f"input {x.shape[0]} x {x.shape[1]}", fontsize=9)
    axes[0, 0].axis("off")
    axes[0, 0].text(0.5, 0.5, data["images"][image]["name"], ha="center", va="center", wrap=True, fontsize=9)
    for col, ki in enumerate(kernels, start=1):
        spec = data["kernels"][ki]
        w = np.array(spec["weights"])
        limit = np.abs(w).max() or 1.0
        axes[0, col].imshow(w, cmap="RdBu_r", vmin=-limit, vmax=limit, interpolation="nearest")
        if len(w) <= 5:
            for (i, j), v in np.ndenumerate(w):
                axes[0, col].text(j, i, f"{v:.2g}", ha="center", va="center", fontsize=7)
        axes[0, col].set_title(spec["name"], fontsize=8)
        out = feature_map(data, image, ki, stride, padding)
        limit = np.abs(out).max() or 1.0
        axes[1, col].imshow(out, cmap="RdBu_r", vmin=-limit, vmax=limit, interpolation="nearest")
        axes[1, col].set_title(f"feature map {out.shape[0]} x {out.shape[1]}", fontsize=9)
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
        ax.grid(False)
    fig.tight_layout()
    return fig


# ----- widget


class ConvExplorerWidget(CourseWidget):
    """Choose an image, a kernel, the stride and the padding; step the kernel across the image."""

    _widget_name = "conv_explorer"
    data = traitlets.Dict().tag(sync=True)  # from compute_conv_explorer
    image = traitlets.Int(0).tag(sync=True)
    kernel = traitlets.Int(0).tag(sync=True)
    stride = traitlets.Int(0).tag(sync=True)  # index into data["strides"]
    padding = traitlets.Int(0).tag(sync=True)  # index into data["paddings"]
    step = traitlets.Int(0).tag(sync=True)  # the output position, in reading order


def first_strong_step(data: dict, image: int = 0, kernel: int = 0) -> int:
    """The first output position (reading order) whose value is at least half the map's largest, in size."""
    out = np.abs(feature_map(data, image, kernel)).ravel()
    return int(np.argmax(out >= 0.5 * out.max()))


def conv_explorer_widget(data: dict, image: int = 0, kernel: int = 0, step: int | None = None) -> ConvExplorerWidget:
    """The widget over ``data``, opened at ``image`` and ``kernel``, with the window at ``step`` (default:
    :func:`first_strong_step`, where the kernel first meets the image's ink)."""
    if not (0 <= image < len(data["images"]) and 0 <= kernel < len(data["kernels"])):
        raise ValueError(f"image is 0 to {len(data['images']) - 1} and kernel 0 to {len(data['kernels']) - 1}")
    H_out, W_out = output_shape(data, image, kernel)
    if step is None:
        step = first_strong_step(data, image, kernel)
    if not 0 <= step < H_out * W_out:
        raise ValueError(f"step is 0 to {H_out * W_out - 1} ({H_out} x {W_out} output positions), got {step}")
    return ConvExplorerWidget(data=data, image=image, kernel=kernel, step=step)
