"""The colour-patch task: ten photographs, balanced classes, and a split where no test patch touches a training one."""

import numpy as np
import pytest

from aimastery.data.photo_patches import CLASSES, PHOTOS, make_patches, overlapping_pairs, square


@pytest.fixture(scope="module")
def patches():
    return make_patches()


def test_no_test_patch_shares_a_pixel_with_a_training_patch(patches):
    assert overlapping_pairs(patches.boxes_train, patches.boxes_test) == 0


def test_the_overlap_count_itself_finds_overlaps():
    boxes = np.array([[0, 0, 0, 16], [0, 15, 15, 16], [0, 16, 0, 16], [1, 0, 0, 16]])
    # box 0 touches box 1 in one pixel (15, 15); box 2 starts on the row after box 0 ends; box 3 is another photo
    assert overlapping_pairs(boxes[:1], boxes) == 2  # itself and box 1
    assert overlapping_pairs(boxes[2:3], boxes[:1]) == 0 and overlapping_pairs(boxes[3:], boxes[:3]) == 0


def test_boxes_say_where_each_patch_was_cut(patches):
    for X, boxes in [(patches.X_train, patches.boxes_train), (patches.X_test, patches.boxes_test)]:
        for n in np.random.default_rng(0).choice(len(X), 20, replace=False):
            k, top, left, size = boxes[n]
            np.testing.assert_array_equal(X[n], patches.photos[k][:, top:top + size, left:left + size])


def test_every_photograph_is_a_class_on_both_sides(patches):
    assert patches.classes == CLASSES and len(CLASSES) == len(PHOTOS) == 10
    assert patches.X_train.shape[1:] == patches.X_test.shape[1:] == (3, 16, 16)
    assert patches.X_train.dtype == np.float32 and 0 <= patches.X_train.min() and patches.X_train.max() <= 1
    train, test = np.bincount(patches.y_train, minlength=10), np.bincount(patches.y_test, minlength=10)
    assert train.min() > 0.8 * train.max() and test.min() > 0.8 * test.max()  # balanced, flat patches aside
    assert (patches.boxes_train[:, 0] == patches.y_train).all() and (patches.boxes_test[:, 0] == patches.y_test).all()
    assert patches.test_cells.mean() == pytest.approx(0.25, abs=0.01)


def test_flat_patches_are_dropped_and_the_split_is_seeded(patches):
    assert (patches.X_train.reshape(len(patches.X_train), -1).std(1) >= 0.02).all()
    again = make_patches()
    np.testing.assert_array_equal(again.boxes_test, patches.boxes_test)
    other = make_patches(seed=1)
    assert not np.array_equal(other.test_cells, patches.test_cells)


def test_square_crops_the_centre_and_averages(tmp_path):
    image = np.zeros((4, 8, 3), dtype=np.uint8)
    image[:, 2:6] = 255  # the central 4x4 square is white, the sides black
    np.testing.assert_allclose(square(image, 2), np.ones((3, 2, 2)))
    with pytest.raises(ValueError, match="smaller than the 8x8"):
        square(image, 8)
    with pytest.raises(ValueError, match="RGB"):
        square(np.zeros((4, 4)), 2)


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="patch <= cell"):
        make_patches(patch=40, cell=32)
    with pytest.raises(ValueError, match="test_fraction"):
        make_patches(test_fraction=1.0)
