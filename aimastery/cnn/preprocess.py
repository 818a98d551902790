"""A PNG upload becomes a 28x28 MNIST-style digit: checked from its header first, then decoded and normalised.

Taught in Week 5 (book/week05_cnn.md, "Serving the digit model"); the digit
service (:mod:`aimastery.cnn.serve`) calls :func:`png_to_mnist`.

**What is refused, and when.** :func:`png_header` reads the width and height
from the PNG's first chunk (IHDR, which the format puts right after the
8-byte signature) and refuses more than :data:`MAX_PIXELS` before Pillow is
even called, so a small file that claims 50 megapixels (a decompression bomb:
a few hundred kilobytes of zlib that inflate to gigabytes) costs nothing.
Pillow then opens it (header only: ``Image.open`` reads no pixels), its size
must match, and only then are the pixels decoded. Every refusal is an
:class:`ImageRejected` whose message says what was wrong and what is accepted.

**How an image becomes an MNIST digit.** MNIST's digits were written in dark
ink on light paper, then (LeCun et al., 1998) size-normalised to fit a 20x20
box keeping their aspect ratio, anti-aliased to grey levels, and centred by
their centre of mass in a 28x28 field; the loader (Week 4) stores them as
light ink on black, scaled to [0, 1]. :func:`to_mnist` does the same to any
image, so the model sees what it was trained on:

1. greyscale (ITU-R 601 luma; transparent pixels become white paper);
2. the background is the median of the border pixels; if it is light
   (dark ink on paper, as people write) the image is inverted, so the ink
   is light on black as in MNIST; the background level is subtracted;
3. the ink is scaled so that its strongest pixel is 1 (MNIST's strokes are
   saturated; a faint pencil photograph would otherwise look unlike any
   training digit). An image with no ink (every pixel within
   :data:`MIN_CONTRAST` grey levels of the background) is refused;
4. the box around the ink (pixels above :data:`INK_THRESHOLD`) is cut out
   and resized, keeping its aspect ratio, so that its longer side is 20
   pixels (shrinking averages the area each new pixel covers, which is
   anti-aliasing; growing is bilinear);
5. it is pasted into a black 28x28 image so that its centre of mass falls on
   pixel (14, 14), where MNIST's are (rounded to whole pixels, as theirs
   were, and kept inside the field).

A digit that is already an MNIST digit comes through nearly unchanged (its
box is already at most 20 pixels and centred), whichever polarity it was
saved in.
"""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: The most pixels an upload may have: a 12-megapixel phone photograph (4,000 x 3,000).
MAX_PIXELS = 12_000_000
SIDE = 28  # the model's input
BOX = 20  # the digit's longer side inside it
#: Ink weaker than this share of the strongest ink is left out of the box around the digit.
INK_THRESHOLD = 0.1
#: Fewer grey levels (of 255) than this between the background and the strongest ink: no digit.
MIN_CONTRAST = 24
PNG_ACCEPTED = (f"a PNG image (the bytes of a .png file) of one digit, at most {MAX_PIXELS:,} pixels, "
                "dark on light or light on dark")


class ImageRejected(ValueError):
    """An upload that is not a usable PNG of a digit; ``str(err)`` says why and what is accepted.

    ``reason`` is what was wrong, alone; ``kind`` names it for clients and
    metrics (``"empty"``, ``"not_png"``, ``"damaged"``, ``"too_many_pixels"``,
    ``"blank"``).
    """

    def __init__(self, reason: str, kind: str):
        super().__init__(f"{reason}; this endpoint accepts {PNG_ACCEPTED}")
        self.reason, self.kind = reason, kind


def png_header(data: bytes) -> tuple[int, int]:
    """(width, height) from a PNG's IHDR chunk, without decoding anything; refuses what is not a PNG
    and more than :data:`MAX_PIXELS`."""
    if not data:
        raise ImageRejected("the file is empty (0 bytes)", "empty")
    if not data.startswith(PNG_SIGNATURE):
        raise ImageRejected("the file is not a PNG image (it does not start with the 8-byte PNG signature)",
                            "not_png")
    if len(data) < 24 or data[12:16] != b"IHDR":
        raise ImageRejected("the PNG is damaged: its first chunk is not the IHDR header", "damaged")
    width, height = struct.unpack(">II", data[16:24])
    if width == 0 or height == 0:
        raise ImageRejected(f"the PNG is damaged: its header says {width} x {height} pixels", "damaged")
    if width * height > MAX_PIXELS:
        raise ImageRejected(f"the image is {width:,} x {height:,} = {width * height:,} pixels, more than "
                            f"{MAX_PIXELS:,}", "too_many_pixels")
    return width, height


def decode_png(data: bytes) -> np.ndarray:
    """The image as greyscale float64 (H, W) in [0, 255]; alpha is composited onto white."""
    from PIL import Image, UnidentifiedImageError

    size = png_header(data)
    try:
        with Image.open(io.BytesIO(data), formats=["PNG"]) as img:  # reads the header, not the pixels
            if img.size != size:
                raise ImageRejected(f"the PNG is damaged: Pillow reads {img.size}, the header says {size}", "damaged")
            img.load()  # now the pixels: bounded by MAX_PIXELS
            return _greyscale(img)
    except ImageRejected:
        raise
    except Image.DecompressionBombError as err:
        raise ImageRejected(f"the image is too large to decode ({err})", "too_many_pixels") from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError, struct.error) as err:
        # truncated data, a bad CRC or zlib stream, an oversized text chunk: Pillow's own messages
        raise ImageRejected(f"the PNG is damaged and cannot be decoded ({type(err).__name__}: {str(err)[:120]})",
                            "damaged") from None


def _greyscale(img) -> np.ndarray:
    from PIL import Image

    if img.mode in ("I", "I;16", "I;16B", "I;16L"):  # 16-bit grey: scale 0..65535 to 0..255
        return np.asarray(img, dtype=np.float64) * (255 / 65535)
    if img.mode in ("RGBA", "LA", "PA") or "transparency" in img.info:  # incl. a palette with a transparent entry
        rgba = img.convert("RGBA")
        paper = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        img = Image.alpha_composite(paper, rgba)
    return np.asarray(img.convert("L"), dtype=np.float64)


def to_mnist(grey: np.ndarray) -> np.ndarray:
    """Greyscale (H, W) in [0, 255] -> an MNIST-style float32 (28, 28) digit in [0, 1] (steps 2-5 above)."""
    grey = np.asarray(grey, dtype=np.float64)
    if grey.ndim != 2 or grey.size == 0:
        raise ValueError(f"to_mnist takes a greyscale image (H, W), got shape {grey.shape}")
    border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
    background = float(np.median(border))
    ink = grey if background <= 127.5 else 255.0 - grey  # light ink on black, as in MNIST
    ink = np.clip(ink - min(background, 255.0 - background), 0.0, None)
    peak = float(ink.max())
    if peak < MIN_CONTRAST:
        raise ImageRejected(f"the image shows no digit: no pixel differs from the background by more than "
                            f"{peak:.0f} of 255 grey levels (at least {MIN_CONTRAST} are needed)", "blank")
    ink /= peak
    rows, cols = np.nonzero(ink > INK_THRESHOLD)
    crop = ink[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
    patch = _resize_longer_side(crop, BOX)
    return _paste_centred(patch, SIDE)


def _resize_longer_side(image: np.ndarray, side: int) -> np.ndarray:
    """Resize keeping the aspect ratio so that the longer side is ``side`` pixels (float, bilinear)."""
    from PIL import Image

    h, w = image.shape
    scale = side / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))  # Pillow's (width, height)
    # shrinking: each new pixel the mean of the area it covers (anti-aliasing, as MNIST's rendering);
    # growing: bilinear, smoother than repeating pixels
    how = Image.Resampling.BOX if scale < 1 else Image.Resampling.BILINEAR
    resized = Image.fromarray(image.astype(np.float32)).resize(size, how)  # mode "F"
    return np.clip(np.asarray(resized, dtype=np.float64), 0.0, 1.0)


def _paste_centred(patch: np.ndarray, side: int) -> np.ndarray:
    """``patch`` in a black (side, side) image, its centre of mass on the centre (whole pixels, kept inside)."""
    h, w = patch.shape
    total = patch.sum()
    cy = (patch.sum(axis=1) @ np.arange(h)) / total if total > 0 else (h - 1) / 2
    cx = (patch.sum(axis=0) @ np.arange(w)) / total if total > 0 else (w - 1) / 2
    centre = side / 2  # MNIST's digits have their centre of mass at pixel (14, 14): mean 13.99, sd 0.29
    top = int(np.clip(round(centre - cy), 0, side - h))
    left = int(np.clip(round(centre - cx), 0, side - w))
    out = np.zeros((side, side), dtype=np.float32)
    out[top:top + h, left:left + w] = patch
    return out


def png_to_mnist(data: bytes) -> np.ndarray:
    """The bytes of a PNG upload -> a float32 (28, 28) MNIST-style digit in [0, 1], or :class:`ImageRejected`."""
    return to_mnist(decode_png(data))


def png_chunk(kind: bytes, body: bytes) -> bytes:
    """One PNG chunk: its length, its type, the body and the CRC-32 of type and body."""
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def solid_png(width: int, height: int, grey: int = 0) -> bytes:
    """A valid 8-bit greyscale PNG of one shade, written row by row without holding its pixels: 50 megapixels
    in about 50 kB. For tests and the chapter: the decompression bomb a service must refuse from its header."""
    z = zlib.compressobj(9)
    row = bytes([0]) + bytes([grey]) * width  # filter type 0, then the pixels
    idat = b"".join(z.compress(row) for _ in range(height)) + z.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8 bits, greyscale, no interlace
    return PNG_SIGNATURE + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b"")


def to_png(image: np.ndarray) -> bytes:
    """Encode an image as PNG bytes: uint8 as it is, floats in [0, 1] scaled to 0..255; (H, W) grey,
    (H, W, 3) RGB or (H, W, 4) RGBA. For tests and the chapter (an MNIST digit as an upload)."""
    from PIL import Image

    a = np.asarray(image)
    if a.dtype != np.uint8:
        a = np.clip(np.round(np.asarray(a, dtype=np.float64) * 255), 0, 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(a).save(buffer, format="PNG")
    return buffer.getvalue()
