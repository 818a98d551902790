"""The CIFAR-10 binary loader, on files written here (the data set does not ship with the course)."""

import numpy as np
import pytest

from aimastery.data.cifar10 import (
    CLASSES,
    META_FILE,
    RECORD_BYTES,
    TEST_FILE,
    TRAIN_FILES,
    CIFAR10FormatError,
    load_cifar10,
    read_batch,
    write_batch,
)


def random_batch(rng, n):
    return rng.integers(0, 256, size=(n, 3, 32, 32), dtype=np.uint8), rng.integers(0, 10, size=n)


@pytest.fixture
def folder(tmp_path):
    """A miniature cifar-10-batches-bin: five training files of 6 records, a test file of 4."""
    rng = np.random.default_rng(0)
    batches = {name: random_batch(rng, 6) for name in TRAIN_FILES} | {TEST_FILE: random_batch(rng, 4)}
    for name, (images, labels) in batches.items():
        write_batch(tmp_path / name, images, labels)
    return tmp_path, batches


def test_record_layout_is_label_then_red_green_blue_planes(tmp_path):
    """Written by hand from the format's description, not by write_batch: one record, 3,073 bytes."""
    red = np.arange(1024) % 256
    record = bytes([7]) + bytes(red.astype(np.uint8)) + bytes([1] * 1024) + bytes([2] * 1024)
    path = tmp_path / "one.bin"
    path.write_bytes(record + record[:1] + bytes(3072))  # two records; the second's label 7, pixels 0
    images, labels = read_batch(path)
    assert images.shape == (2, 3, 32, 32) and images.dtype == np.uint8
    assert labels.tolist() == [7, 7] and labels.dtype == np.int64
    np.testing.assert_array_equal(images[0, 0], red.reshape(32, 32))  # row by row: pixel (0, 1) is byte 2
    assert images[0, 0, 0, 1] == 1 and images[0, 0, 1, 0] == 32
    assert (images[0, 1] == 1).all() and (images[0, 2] == 2).all() and (images[1] == 0).all()


def test_write_then_read_round_trips(tmp_path):
    images, labels = random_batch(np.random.default_rng(1), 5)
    write_batch(tmp_path / "b.bin", images, labels)
    assert (tmp_path / "b.bin").stat().st_size == 5 * RECORD_BYTES
    got_images, got_labels = read_batch(tmp_path / "b.bin")
    np.testing.assert_array_equal(got_images, images)
    np.testing.assert_array_equal(got_labels, labels)


def test_load_splits_scales_and_keeps_every_image(folder):
    path, batches = folder
    data = load_cifar10(path, n_val=5)
    assert data.X_train.shape == (25, 3, 32, 32) and data.X_val.shape == (5, 3, 32, 32)
    assert data.X_test.shape == (4, 3, 32, 32) and data.classes == CLASSES
    for x in (data.X_train, data.X_val, data.X_test):
        assert x.dtype == np.float32 and 0 <= x.min() and x.max() <= 1
    train_images = np.concatenate([batches[n][0] for n in TRAIN_FILES])
    train_labels = np.concatenate([batches[n][1] for n in TRAIN_FILES])
    got = np.concatenate([data.X_train, data.X_val]) * 255
    assert sorted(map(bytes, np.rint(got).astype(np.uint8))) == sorted(map(bytes, train_images))
    assert sorted(np.concatenate([data.y_train, data.y_val])) == sorted(train_labels)
    np.testing.assert_array_equal(np.rint(data.X_test * 255).astype(np.uint8), batches[TEST_FILE][0])
    np.testing.assert_array_equal(data.y_test, batches[TEST_FILE][1])


def test_class_names_come_from_the_meta_file(folder):
    path, _ = folder
    (path / META_FILE).write_text("\n".join(f"class{i}" for i in range(10)) + "\n\n")
    assert load_cifar10(path, n_val=0).classes == tuple(f"class{i}" for i in range(10))
    (path / META_FILE).write_text("airplane\nautomobile\n")
    with pytest.raises(CIFAR10FormatError, match="expected 10 class names"):
        load_cifar10(path, n_val=0)


def test_a_truncated_file_is_refused_with_its_name_and_sizes(folder):
    path, _ = folder
    target = path / "data_batch_3.bin"
    target.write_bytes(target.read_bytes()[:-100])
    with pytest.raises(CIFAR10FormatError, match=r"data_batch_3\.bin: 18,338 bytes.*5 records and 2,973 bytes over"):
        load_cifar10(path)


def test_a_missing_file_or_folder_is_named(folder, tmp_path):
    path, _ = folder
    (path / "data_batch_5.bin").unlink()
    (path / TEST_FILE).unlink()
    with pytest.raises(CIFAR10FormatError, match="missing data_batch_5.bin, test_batch.bin"):
        load_cifar10(path)
    with pytest.raises(CIFAR10FormatError, match="not a folder.*cifar-10-batches-bin"):
        load_cifar10(tmp_path / "nowhere")
    with pytest.raises(CIFAR10FormatError, match="no such file"):
        read_batch(tmp_path / "nowhere.bin")


def test_an_empty_file_and_a_bad_label_are_refused(tmp_path):
    (tmp_path / "empty.bin").write_bytes(b"")
    with pytest.raises(CIFAR10FormatError, match="empty"):
        read_batch(tmp_path / "empty.bin")
    record = bytearray(RECORD_BYTES * 2)
    record[RECORD_BYTES] = 12  # the second record's label
    (tmp_path / "bad.bin").write_bytes(bytes(record))
    with pytest.raises(CIFAR10FormatError, match="record 1 has label 12.*0-9"):
        read_batch(tmp_path / "bad.bin")


def test_write_refuses_what_the_format_cannot_hold(tmp_path):
    images, labels = random_batch(np.random.default_rng(2), 3)
    with pytest.raises(ValueError, match=r"uint8 of shape \(N, 3, 32, 32\)"):
        write_batch(tmp_path / "x.bin", images.astype(np.float32), labels)
    with pytest.raises(ValueError, match="integers in 0-9"):
        write_batch(tmp_path / "x.bin", images, labels + 10)
    assert not (tmp_path / "x.bin").exists()
