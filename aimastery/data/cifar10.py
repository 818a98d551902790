"""CIFAR-10 from its binary distribution: ``data_batch_1.bin`` ... ``data_batch_5.bin`` and ``test_batch.bin``.

Taught in Week 5 (book/week05_cnn.md). CIFAR-10 does not ship with the
course (nothing downloads at run time): a learner who has the "CIFAR-10
binary version" (the folder ``cifar-10-batches-bin``) points
:func:`load_cifar10` at it. The Python version of the data set is a pickle,
which the course never loads; the binary one is plain bytes.

The format: each file is a run of records of 3,073 bytes, one per image: one
label byte (0-9), then 3,072 pixel bytes, the 1,024 red values of the 32x32
image row by row, then the 1,024 green ones, then the 1,024 blue ones. That
is exactly NumPy's (3, 32, 32) layout, so a file is one
``frombuffer(...).reshape(N, 3073)``. ``batches.meta.txt`` names the classes,
one per line. The official files hold 10,000 records each; the reader
accepts any whole number of records (tests write small files), and refuses a
missing, empty or truncated file, or a label outside 0-9, with a message
that says which file and what was expected.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from aimastery.atomic import atomic_path
from aimastery.config import SEED
from aimastery.data.mnist import split_indices

SIDE, CHANNELS = 32, 3
PIXELS = CHANNELS * SIDE * SIDE  # 3072
RECORD_BYTES = 1 + PIXELS  # 3073: the label byte, then the pixels
TRAIN_FILES = tuple(f"data_batch_{i}.bin" for i in range(1, 6))
TEST_FILE = "test_batch.bin"
META_FILE = "batches.meta.txt"
#: The class names of batches.meta.txt, in label order.
CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")


class CIFAR10FormatError(ValueError):
    """A CIFAR-10 file that is missing or not what the binary format promises."""


@dataclass(frozen=True)
class CIFAR10:
    """CIFAR-10 as arrays: images float32 (N, 3, 32, 32) in [0, 1], labels int64 in 0..9."""

    X_train: np.ndarray  # (N_train, 3, 32, 32)
    y_train: np.ndarray  # (N_train,)
    X_val: np.ndarray  # (n_val, 3, 32, 32)
    y_val: np.ndarray  # (n_val,)
    X_test: np.ndarray  # (N_test, 3, 32, 32)
    y_test: np.ndarray  # (N_test,)
    classes: tuple[str, ...]


def read_batch(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """One binary batch file: uint8 images (N, 3, 32, 32) and int64 labels (N,), validated."""
    path = Path(path)
    if not path.is_file():
        raise CIFAR10FormatError(f"{path}: no such file")
    raw = path.read_bytes()
    if not raw:
        raise CIFAR10FormatError(f"{path}: the file is empty (a batch holds records of {RECORD_BYTES} bytes)")
    n, extra = divmod(len(raw), RECORD_BYTES)
    if extra:
        raise CIFAR10FormatError(
            f"{path}: {len(raw):,} bytes is not a whole number of {RECORD_BYTES}-byte records (1 label byte + "
            f"{PIXELS} pixel bytes): {n:,} records and {extra:,} bytes over. Is the file truncated, "
            "or is it the Python (pickle) version? The binary version's files end in .bin")
    records = np.frombuffer(raw, dtype=np.uint8).reshape(n, RECORD_BYTES)
    labels = records[:, 0].astype(np.int64)  # (N,)
    if labels.max() >= len(CLASSES):
        first = int(np.argmax(labels >= len(CLASSES)))
        raise CIFAR10FormatError(f"{path}: record {first} has label {labels[first]}; CIFAR-10's labels are 0-9 "
                                 "(a CIFAR-100 file has two label bytes per record)")
    images = records[:, 1:].reshape(n, CHANNELS, SIDE, SIDE).copy()  # (N, 3, 32, 32): R plane, G plane, B plane
    return images, labels


def write_batch(path: str | Path, images: np.ndarray, labels: np.ndarray) -> None:
    """Write uint8 images (N, 3, 32, 32) and labels 0-9 (N,) as one binary batch file, atomically.

    The inverse of :func:`read_batch`; tests and exercises use it to make small files.
    """
    images, labels = np.asarray(images), np.asarray(labels)
    if images.dtype != np.uint8 or images.shape[1:] != (CHANNELS, SIDE, SIDE):
        raise ValueError(f"images must be uint8 of shape (N, 3, 32, 32), got {images.dtype} {images.shape}")
    if labels.shape != (len(images),) or labels.min(initial=0) < 0 or labels.max(initial=0) >= len(CLASSES):
        raise ValueError(f"labels must be {len(images)} integers in 0-9, got shape {labels.shape}")
    records = np.empty((len(images), RECORD_BYTES), dtype=np.uint8)
    records[:, 0] = labels
    records[:, 1:] = images.reshape(len(images), PIXELS)
    with atomic_path(path) as tmp:
        tmp.write_bytes(records.tobytes())


def read_classes(directory: Path) -> tuple[str, ...]:
    """The class names from ``batches.meta.txt`` if the folder has it, else the standard ten."""
    meta = directory / META_FILE
    if not meta.is_file():
        return CLASSES
    names = tuple(line.strip() for line in meta.read_text(encoding="utf-8").splitlines() if line.strip())
    if len(names) != len(CLASSES):
        raise CIFAR10FormatError(f"{meta}: expected {len(CLASSES)} class names, one per line, found {len(names)}")
    return names


def read_raw(directory: str | Path) -> dict[str, np.ndarray]:
    """The uint8 arrays ``train_images``, ``train_labels``, ``test_images``, ``test_labels`` of a folder."""
    directory = Path(directory)
    if not directory.is_dir():
        raise CIFAR10FormatError(
            f"{directory}: not a folder. Pass the folder of CIFAR-10's binary version (cifar-10-batches-bin), "
            f"holding {', '.join(TRAIN_FILES)} and {TEST_FILE}")
    missing = [name for name in (*TRAIN_FILES, TEST_FILE) if not (directory / name).is_file()]
    if missing:
        raise CIFAR10FormatError(f"{directory}: missing {', '.join(missing)} "
                                 f"(the binary version has {', '.join(TRAIN_FILES)} and {TEST_FILE})")
    parts = [read_batch(directory / name) for name in TRAIN_FILES]
    test_images, test_labels = read_batch(directory / TEST_FILE)
    return {"train_images": np.concatenate([p[0] for p in parts]),
            "train_labels": np.concatenate([p[1] for p in parts]),
            "test_images": test_images, "test_labels": test_labels}


def _to_float(images: np.ndarray) -> np.ndarray:
    return np.divide(images, np.float32(255), dtype=np.float32)  # uint8 -> [0, 1]


def load_cifar10(directory: str | Path, *, n_val: int = 5000, seed: int = SEED) -> CIFAR10:
    """CIFAR-10 from the binary files in ``directory``: float32 images in [0, 1], int64 labels.

    ``n_val`` training images (a seeded random sample, as
    :func:`aimastery.data.mnist.split_indices` draws for MNIST) become the
    validation set.
    """
    directory = Path(directory)
    raw = read_raw(directory)
    classes = read_classes(directory)
    train, val = split_indices(len(raw["train_labels"]), n_val, seed)
    images, labels = raw["train_images"], raw["train_labels"]
    return CIFAR10(X_train=_to_float(images[train]), y_train=labels[train],
                   X_val=_to_float(images[val]), y_val=labels[val],
                   X_test=_to_float(raw["test_images"]), y_test=raw["test_labels"], classes=classes)
