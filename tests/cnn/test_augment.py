"""The torch-op augmentations: what each does, exactly, on batches whose answer is known."""

import pytest
import torch

from aimastery.cnn.augment import LUMA, colour_jitter, compose, grey, random_crop, random_hflip, standard_augment
from aimastery.testing import one_torch_thread  # noqa: F401 (autouse fixture)


def batch(n=64, c=3, h=8, w=8, seed=0):
    return torch.rand(n, c, h, w, generator=torch.Generator().manual_seed(seed))


def test_hflip_mirrors_some_images_and_leaves_the_rest():
    x = batch()
    y = random_hflip(x, torch.Generator().manual_seed(1))
    flipped = torch.tensor([torch.equal(a, b.flip(-1)) for a, b in zip(y, x)])
    kept = torch.tensor([torch.equal(a, b) for a, b in zip(y, x)])
    assert (flipped | kept).all() and 16 < flipped.sum() < 48  # about half of 64
    assert torch.equal(random_hflip(x, torch.Generator().manual_seed(1), p=0.0), x)
    assert torch.equal(random_hflip(x, torch.Generator().manual_seed(1), p=1.0), x.flip(-1))


def test_crop_is_a_shift_within_the_padding():
    x = batch(n=32, h=10, w=12)
    y = random_crop(x, torch.Generator().manual_seed(2), padding=2)
    assert y.shape == x.shape
    padded = torch.nn.functional.pad(x, (2, 2, 2, 2), mode="reflect")
    offsets = set()
    for a, p in zip(y, padded):  # every output is one window of its padded image
        hits = [(i, j) for i in range(5) for j in range(5) if torch.equal(a, p[:, i:i + 10, j:j + 12])]
        assert hits, "each crop is a window of the padded image"
        offsets.add(hits[0])
    assert len(offsets) > 5, "the offsets are drawn per image"
    assert torch.equal(random_crop(x, torch.Generator(), padding=0), x)


def test_jitter_strength_zero_is_the_identity_and_outputs_stay_in_range():
    x = batch()
    assert torch.allclose(colour_jitter(x, torch.Generator(), 0, 0, 0), x, atol=1e-6)
    y = colour_jitter(x, torch.Generator().manual_seed(3), 0.5, 0.5, 0.5)
    assert y.shape == x.shape and y.min() >= 0 and y.max() <= 1
    assert not torch.allclose(y, x)


def test_each_jitter_does_what_it_says():
    x = 0.25 + 0.5 * batch(n=8)  # inside (0, 1): no clipping in play
    g = torch.Generator().manual_seed(4)
    bright = colour_jitter(x, g, 0.2, 0, 0)
    ratio = bright / x  # one factor per image, within [0.8, 1.2]
    per_image = ratio.flatten(1)
    assert torch.allclose(per_image, per_image[:, :1].expand_as(per_image), atol=1e-5)
    assert ((per_image[:, 0] >= 0.8) & (per_image[:, 0] <= 1.2)).all()
    sat = colour_jitter(x, torch.Generator().manual_seed(5), 0, 0, 0.5)
    assert torch.allclose(grey(sat), grey(x), atol=1e-5), "saturation keeps each pixel's grey level"
    con = colour_jitter(x, torch.Generator().manual_seed(6), 0, 0.5, 0)
    assert torch.allclose(grey(con).mean((2, 3)), grey(x).mean((2, 3)), atol=1e-5), "contrast keeps the mean grey"
    assert not torch.allclose(con, x)


def test_grey_uses_the_luma_weights():
    x = torch.zeros(1, 3, 1, 1)
    for c in range(3):
        x.zero_()
        x[0, c] = 1
        assert grey(x).item() == pytest.approx(LUMA[c])


def test_a_seeded_generator_repeats_the_same_augmentation():
    x, aug = batch(), standard_augment()
    a = aug(x, torch.Generator().manual_seed(7))
    b = aug(x, torch.Generator().manual_seed(7))
    c = aug(x, torch.Generator().manual_seed(8))
    assert torch.equal(a, b) and not torch.equal(a, c) and a.shape == x.shape
    assert torch.equal(compose()(x, torch.Generator()), x)


def test_bad_batches_are_refused():
    with pytest.raises(ValueError, match=r"float batch of images \(B, C, H, W\)"):
        random_hflip(torch.rand(3, 8, 8), torch.Generator())
    with pytest.raises(ValueError, match="float batch"):
        random_crop(torch.zeros(2, 3, 8, 8, dtype=torch.uint8), torch.Generator())
    with pytest.raises(ValueError, match="RGB"):
        colour_jitter(torch.rand(2, 1, 8, 8), torch.Generator())
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        colour_jitter(batch(), torch.Generator(), brightness=1.5)
