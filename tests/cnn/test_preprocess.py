"""PNG uploads to MNIST-style digits: refusals from the header (before any pixel is decoded), damaged files,
every PNG colour type, and the MNIST presentation (polarity, 20x20 box, centre of mass at (14, 14))."""

from __future__ import annotations

import struct
import time
import zlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from PIL import Image

from aimastery.cnn import preprocess
from aimastery.cnn.preprocess import (
    BOX, MAX_PIXELS, MIN_CONTRAST, PNG_ACCEPTED, ImageRejected, decode_png, png_chunk, png_header, png_to_mnist, solid_png,
    to_mnist, to_png,
)


def png_bytes(width: int, height: int, idat: bytes) -> bytes:
    """A PNG, 8-bit greyscale, with the given (compressed) pixel data."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return preprocess.PNG_SIGNATURE + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b"")


def rejected(data: bytes) -> ImageRejected:
    with pytest.raises(ImageRejected) as err:
        png_to_mnist(data)
    assert PNG_ACCEPTED in str(err.value), "every refusal says what is accepted"
    return err.value


@pytest.fixture(scope="module")
def digits(mnist):
    return mnist.X_test[:300]  # (300, 28, 28) float32 in [0, 1]


def test_empty_and_not_png():
    assert rejected(b"").kind == "empty"
    for data in (b"hello", b"GIF89a" + bytes(100), b"\xff\xd8\xff\xe0" + bytes(100), to_png(np.eye(4))[1:]):
        err = rejected(data)
        assert err.kind == "not_png" and "PNG signature" in err.reason


def test_a_50_megapixel_header_is_refused_before_pillow_sees_it(monkeypatch):
    def no_pillow(*args, **kwargs):
        raise AssertionError("Pillow was called")

    monkeypatch.setattr(Image, "open", no_pillow)
    data = png_bytes(10_000, 5_000, b"not even zlib")  # decoding it would fail as damaged, not as too large
    err = rejected(data)
    assert err.kind == "too_many_pixels"
    assert err.reason == f"the image is 10,000 x 5,000 = 50,000,000 pixels, more than {MAX_PIXELS:,}"
    with pytest.raises(ImageRejected, match="20,000 x 20,000 = 400,000,000"):  # past Pillow's own bomb limit
        png_header(png_bytes(20_000, 20_000, b""))


def test_a_real_decompression_bomb_is_refused_in_milliseconds():
    data = solid_png(7_072, 7_072)  # 50 megapixels that inflate to 50 MB, in about 50 kB
    assert len(data) < 100_000
    small = solid_png(300, 200, grey=7)
    assert np.array_equal(decode_png(small), np.full((200, 300), 7.0)), "a valid PNG of that shade"
    start = time.perf_counter()
    assert rejected(data).kind == "too_many_pixels"
    assert time.perf_counter() - start < 0.5  # no pixel was decoded (decoding alone takes longer)


def test_the_pixel_limit_is_inclusive():
    width = 4_000
    assert png_header(png_bytes(width, MAX_PIXELS // width, b"")) == (width, MAX_PIXELS // width)
    with pytest.raises(ImageRejected, match="more than 12,000,000"):
        png_header(png_bytes(width, MAX_PIXELS // width + 1, b""))


@pytest.mark.parametrize("damage", [
    lambda png: png[:len(png) // 2],  # truncated
    lambda png: png[:33] + b"\x00" * 8 + png[41:],  # the IDAT chunk's length and type wiped
    lambda png: png[:8] + b"\x00\x00\x00\x0dIHDX" + png[16:],  # the first chunk is not IHDR
    lambda png: png[:16] + bytes(8) + png[24:],  # 0 x 0 pixels
    lambda png: png_bytes(28, 28, b"\x78\x9c garbage that is not deflate"),
], ids=["truncated", "wiped-chunk", "no-ihdr", "zero-size", "bad-zlib"])
def test_damaged_pngs_are_refused_as_damaged(digits, damage):
    err = rejected(damage(to_png(digits[0])))
    assert err.kind == "damaged" and "damaged" in err.reason


def test_a_huge_compressed_text_chunk_is_refused():
    text = zlib.compress(b"A" * 80_000_000)  # Pillow refuses text chunks that inflate past its limit
    png = to_png(np.eye(28))
    data = png[:33] + png_chunk(b"zTXt", b"note\x00\x00" + text) + png[33:]
    assert rejected(data).kind == "damaged"


def test_mnist_digits_come_through_nearly_unchanged(digits):
    out = np.stack([png_to_mnist(to_png(x)) for x in digits])
    assert out.shape == (300, 28, 28) and out.dtype == np.float32
    worst = np.abs(out - digits).reshape(len(digits), -1).max(axis=1)  # (300,)
    # what changes: the faintest pixels outside the box of the ink, and ink scaled up when a digit's strongest
    # pixel is just below 1 (each under 0.1); a digit moved by a pixel would differ by up to 1
    assert np.mean(worst <= 0.1) >= 0.99, np.sort(worst)[-5:]
    assert np.mean(worst < 1e-6) > 0.5 and np.abs(out - digits).mean() < 0.01


def test_polarity_scale_and_position_do_not_matter(digits):
    for x in digits[:20]:
        reference = png_to_mnist(to_png(x))
        assert np.array_equal(png_to_mnist(to_png(1 - x)), reference), "dark ink on white paper is inverted"
        page = np.ones((200, 300))
        page[150:178, 20:48] = 1 - x  # in a corner of a white page
        assert np.array_equal(png_to_mnist(to_png(page)), reference), "the digit is cut out and centred"
        big = png_to_mnist(to_png(np.kron(1 - x, np.ones((8, 8)))))  # 224 x 224, shrunk back by area
        assert np.abs(big - reference).max() < 1e-5


@pytest.mark.parametrize("mode", ["L", "RGB", "RGBA", "LA", "P", "I;16", "1"])
def test_every_png_colour_type_gives_the_same_digit(digits, mode):
    grey = np.round(digits[3] * 255).astype(np.uint8)
    img = Image.fromarray(grey)
    if mode == "RGBA":  # black ink on a transparent canvas, as drawing apps save it
        img = Image.merge("RGBA", [Image.new("L", img.size, 0)] * 3 + [img])
    elif mode == "LA":
        img = Image.merge("LA", [Image.new("L", img.size, 0), img])
    elif mode == "I;16":
        img = Image.fromarray(grey.astype(np.uint16) * 257)
    elif mode == "1":
        img = img.point(lambda v: 255 if v > 127 else 0).convert("1")
    else:
        img = img.convert(mode)
    buffer = __import__("io").BytesIO()
    img.save(buffer, format="PNG")
    out = png_to_mnist(buffer.getvalue())
    reference = png_to_mnist(to_png(grey))
    limit = 0.2 if mode == "1" else 0.02  # a 1-bit image has lost the grey edges
    assert np.abs(out - reference).mean() < limit, mode


def test_alpha_is_composited_onto_white():
    rgba = np.zeros((40, 40, 4), dtype=np.uint8)
    rgba[10:30, 18:22] = (0, 0, 0, 255)  # an opaque black stroke; the rest transparent
    grey = decode_png(to_png(rgba))
    assert grey[0, 0] == 255 and grey[20, 20] == 0


def test_an_image_without_ink_is_refused():
    for flat in (np.zeros((30, 30)), np.ones((30, 30)), np.full((5, 9), 0.5)):
        assert rejected(to_png(flat)).kind == "blank"
    faint = np.full((30, 30), 200, dtype=np.uint8)
    faint[10:20, 14:16] = 200 - (MIN_CONTRAST - 1)
    assert rejected(to_png(faint)).kind == "blank"
    faint[10:20, 14:16] = 200 - MIN_CONTRAST
    assert png_to_mnist(to_png(faint)).max() == 1.0  # the faintest accepted stroke is scaled to full ink


def test_thin_lines_and_single_pixels():
    line = np.zeros((1, 500))
    line[0, 100:400] = 1
    out = to_mnist(line * 255)
    assert out.shape == (28, 28) and out.max() > 0.5
    dot = np.zeros((50, 50))
    dot[3, 40] = 255
    out = to_mnist(dot)  # a single pixel of ink is size-normalised too: a 20 x 20 square in the middle
    assert out[4:24, 4:24].min() == 1 and out.sum() == BOX * BOX


def ink_box(x: np.ndarray) -> tuple[int, int]:
    rows, cols = np.nonzero(x > preprocess.INK_THRESHOLD)
    return rows.max() - rows.min() + 1, cols.max() - cols.min() + 1


@settings(max_examples=60, deadline=None)
@given(arrays(np.uint8, st.tuples(st.integers(3, 60), st.integers(3, 60))))
def test_any_image_is_a_digit_in_mnists_frame_or_refused_as_blank(image):
    try:
        out = to_mnist(image)
    except ImageRejected as err:
        assert err.kind == "blank"
        return
    assert out.shape == (28, 28) and out.dtype == np.float32
    assert out.min() >= 0 and out.max() <= 1 and np.isfinite(out).all()
    assert max(ink_box(out)) <= BOX + 1  # bilinear edges may spill into one more pixel


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 299), st.integers(0, 60), st.integers(0, 60), st.booleans())
def test_a_digit_anywhere_on_a_page_is_centred_by_mass(mnist, index, top, left, dark_on_light):
    digit = mnist.X_test[index]
    page = np.zeros((100, 100), dtype=np.float32)
    page[top + 6:top + 34, left + 6:left + 34] = digit
    out = png_to_mnist(to_png(1 - page if dark_on_light else page))
    mass = out.sum()
    cy, cx = (out.sum(1) @ np.arange(28)) / mass, (out.sum(0) @ np.arange(28)) / mass
    assert abs(cy - 14) <= 0.5 + 1e-6 and abs(cx - 14) <= 0.5 + 1e-6
    assert max(ink_box(out)) == BOX
