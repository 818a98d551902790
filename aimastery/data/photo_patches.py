"""A colour-image task that ships offline: small patches of ten photographs, labelled by their photograph.

Taught in Week 5 (book/week05_cnn.md). Eight photographs come with
scikit-image (``skimage.data``) and two with scikit-learn
(``load_sample_images``); both packages install them, so nothing downloads.
Each photograph is cut to its central square and shrunk to ``side`` x
``side`` pixels (area averaging, so no aliasing), then tiled into cells of
``cell`` x ``cell`` pixels. A seeded quarter of each photograph's cells is
the test set; patches of ``patch`` x ``patch`` pixels are cut inside cells
only, overlapping in the training cells (every ``train_stride`` pixels) and
side by side in the test ones. So no test patch shares a single pixel with
any training patch: a test patch shows a part of the photograph the network
has never seen (though it may border one that it has).

Patches that are nearly flat (a pixel standard deviation under ``min_std``:
black sky, a black border) are dropped, since no model could tell them
apart. Every patch keeps its ``box`` (photograph, top, left, size) in the
shrunk photograph, which is what the tests check the split with.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from aimastery.config import SEED


def _skimage(name: str) -> Callable[[], np.ndarray]:
    def load() -> np.ndarray:
        import skimage.data

        return getattr(skimage.data, name)()
    return load


def _motorcycle() -> np.ndarray:
    import skimage.data

    return skimage.data.stereo_motorcycle()[0]  # (left, right, disparity): the left view


def _sklearn(index: int) -> Callable[[], np.ndarray]:
    def load() -> np.ndarray:
        from sklearn.datasets import load_sample_images

        return load_sample_images().images[index]
    return load


#: The photographs, by class name: where each comes from.
PHOTOS: dict[str, tuple[str, Callable[[], np.ndarray]]] = {
    "astronaut": ("skimage.data.astronaut", _skimage("astronaut")),
    "cat": ("skimage.data.chelsea", _skimage("chelsea")),
    "coffee": ("skimage.data.coffee", _skimage("coffee")),
    "rocket": ("skimage.data.rocket", _skimage("rocket")),
    "galaxies": ("skimage.data.hubble_deep_field", _skimage("hubble_deep_field")),
    "tissue": ("skimage.data.immunohistochemistry", _skimage("immunohistochemistry")),
    "retina": ("skimage.data.retina", _skimage("retina")),
    "motorcycle": ("skimage.data.stereo_motorcycle", _motorcycle),
    "temple": ("sklearn load_sample_images china.jpg", _sklearn(0)),
    "flower": ("sklearn load_sample_images flower.jpg", _sklearn(1)),
}
CLASSES = tuple(PHOTOS)


@dataclass(frozen=True)
class PatchSet:
    """The task's patches: float32 images (N, 3, patch, patch) in [0, 1], labels, and where each was cut."""

    X_train: np.ndarray  # (N_train, 3, P, P)
    y_train: np.ndarray  # (N_train,) int64, an index into classes
    boxes_train: np.ndarray  # (N_train, 4) int: photograph, top, left, size
    X_test: np.ndarray  # (N_test, 3, P, P)
    y_test: np.ndarray  # (N_test,)
    boxes_test: np.ndarray  # (N_test, 4)
    photos: np.ndarray  # (n_classes, 3, side, side) float32: the shrunk photographs
    test_cells: np.ndarray  # (n_classes, side // cell, side // cell) bool: which cells are test cells
    classes: tuple[str, ...]


def square(image: np.ndarray, side: int) -> np.ndarray:
    """The central square of an RGB uint8 image (H, W, 3), shrunk to (3, side, side) float32 in [0, 1]."""
    import torch
    import torch.nn.functional as F

    if image.ndim != 3 or image.shape[2] not in (3, 4):
        raise ValueError(f"expected an RGB image (H, W, 3), got shape {image.shape}")
    h, w = image.shape[:2]
    m = min(h, w)
    if m < side:
        raise ValueError(f"the photograph is {h}x{w}, smaller than the {side}x{side} square asked for")
    crop = image[(h - m) // 2:(h - m) // 2 + m, (w - m) // 2:(w - m) // 2 + m, :3]
    x = torch.from_numpy(np.ascontiguousarray(crop)).permute(2, 0, 1)[None].float() / 255  # (1, 3, m, m)
    return F.interpolate(x, size=(side, side), mode="area")[0].numpy()  # (3, side, side)


@functools.lru_cache(maxsize=4)
def load_photos(side: int) -> np.ndarray:
    """Every photograph of :data:`PHOTOS` as a (3, side, side) square: (n_classes, 3, side, side)."""
    photos = np.stack([square(load(), side) for _, load in PHOTOS.values()])
    photos.setflags(write=False)  # shared by every caller in this process
    return photos


def _cut(photo: np.ndarray, k: int, top: int, left: int, size: int, patch: int, stride: int):
    """Patches of one cell (its top-left corner at top, left): images and boxes."""
    starts = range(0, size - patch + 1, stride)
    images, boxes = [], []
    for dy in starts:
        for dx in starts:
            images.append(photo[:, top + dy:top + dy + patch, left + dx:left + dx + patch])
            boxes.append((k, top + dy, left + dx, patch))
    return images, boxes


def make_patches(*, patch: int = 16, side: int = 192, cell: int = 32, train_stride: int = 8,
                 test_fraction: float = 0.25, min_std: float = 0.02, seed: int = SEED) -> PatchSet:
    """Cut the task's training and test patches (see the module's docstring)."""
    if not 0 < patch <= cell or side % cell or train_stride < 1:
        raise ValueError(f"need 0 < patch <= cell, side a multiple of cell and train_stride >= 1; got patch={patch}, "
                         f"cell={cell}, side={side}, train_stride={train_stride}")
    if not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must be between 0 and 1, got {test_fraction}")
    photos = load_photos(side)
    n_cells = side // cell
    n_test = max(1, round(test_fraction * n_cells**2))
    split = {"train": ([], [], []), "test": ([], [], [])}
    test_cells = np.zeros((len(photos), n_cells, n_cells), dtype=bool)
    for k, photo in enumerate(photos):
        chosen = np.random.default_rng([seed, k]).permutation(n_cells**2)[:n_test]
        test_cells[k].flat[chosen] = True
        for i in range(n_cells):
            for j in range(n_cells):
                which = "test" if test_cells[k, i, j] else "train"
                stride = patch if which == "test" else train_stride
                images, boxes = _cut(photo, k, i * cell, j * cell, cell, patch, stride)
                keep = [n for n, im in enumerate(images) if im.std() >= min_std]
                split[which][0].extend(images[n] for n in keep)
                split[which][1].extend([k] * len(keep))
                split[which][2].extend(boxes[n] for n in keep)
    arrays = {}
    for which, (images, labels, boxes) in split.items():
        arrays[f"X_{which}"] = np.stack(images).astype(np.float32)
        arrays[f"y_{which}"] = np.asarray(labels, dtype=np.int64)
        arrays[f"boxes_{which}"] = np.asarray(boxes, dtype=np.int64)
    return PatchSet(**arrays, photos=np.asarray(photos), test_cells=test_cells, classes=CLASSES)


def overlapping_pairs(boxes_a: np.ndarray, boxes_b: np.ndarray) -> int:
    """How many (a, b) pairs of boxes share at least one pixel of the same photograph."""
    a, b = boxes_a[:, None, :], boxes_b[None, :, :]  # (Na, 1, 4), (1, Nb, 4)
    same = a[..., 0] == b[..., 0]
    rows = (a[..., 1] < b[..., 1] + b[..., 3]) & (b[..., 1] < a[..., 1] + a[..., 3])
    cols = (a[..., 2] < b[..., 2] + b[..., 3]) & (b[..., 2] < a[..., 2] + a[..., 3])
    return int((same & rows & cols).sum())
