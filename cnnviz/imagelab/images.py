"""Users' photos: one decoder for the app and the CLI that turns every bad file into a one-line ``ImageError``.

Whatever comes in (EXIF-rotated phone photos, transparent PNGs, 16-bit scans, CMYK print JPEGs, animated
GIFs) comes out as an upright 8-bit RGB image.
"""

from __future__ import annotations

import io
import math
import os
import struct
import zlib
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from cnnviz.i18n import N_, _

MAX_BYTES = 25 * 2**20
# Pillow's format names; MPO is the multi-picture JPEG many phone cameras write.
ACCEPTED_FORMATS = {"JPEG": "JPEG", "MPO": "JPEG", "PNG": "PNG", "WEBP": "WebP", "GIF": "GIF", "BMP": "BMP"}
ACCEPTED_TEXT = N_("JPEG, PNG, WebP, GIF or BMP")
_DEFAULT_MAX_PIXELS = 89_478_485  # Pillow's own default, used where an application has switched the check off
_SIXTEEN_BIT_MODES = ("I;16", "I;16L", "I;16B", "I;16N", "I")
# What decoding an accepted file may take, told from its header before a pixel is decoded: the decoder's buffers
# (``decode_bytes``). Pillow's 89-megapixel cap alone lets a 168 KB PNG take gigabytes.
DECODE_BUDGET = 256 * 2**20
# A progressive JPEG is decoded once per scan; encoders write about 10 (libjpeg) to 20. 20,000 empty scans take
# a core for minutes, so files with more than this many are refused.
MAX_JPEG_SCANS = 100
_ONE_BYTE_MODES = ("1", "L", "P")  # Pillow keeps every other mode in 4 bytes a pixel, "I;16" in 2


class ImageError(ValueError):
    """A file that cannot be used as a photo; the message is one line meant for the user.

    ``str()`` is the line in English (the command line's); ``text()`` is the same line in the language of the
    session that shows it. Photos are often decoded in widget callbacks, before a run has chosen its language,
    so the line is kept as its marked template and values and translated only where it is shown."""

    def __init__(self, template: str, **values: object) -> None:
        super().__init__(template.format(**values))
        self.template, self.values = template, values

    def text(self) -> str:
        # The list of accepted formats is a marked text of its own ("... or BMP").
        values = {key: _(value) if key == "accepted" else value for key, value in self.values.items()}
        return _(self.template).format(**values)


def max_pixels() -> int:
    """Pillow's decompression-bomb limit: larger images are refused, not merely warned about."""
    return Image.MAX_IMAGE_PIXELS or _DEFAULT_MAX_PIXELS


def read_image(path: str | os.PathLike, *, shortest_side: int | None = None,
               longest_side: int | None = None) -> Image.Image:
    """Read and decode a file from disk; the byte cap is checked before a byte is read."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise too_large(size)
        data = path.read_bytes()
    except FileNotFoundError:
        raise ImageError(N_("no such file")) from None
    except IsADirectoryError:
        raise ImageError(N_("is a folder, not an image file")) from None
    except PermissionError:
        raise ImageError(N_("permission denied")) from None
    except OSError as error:
        raise ImageError(N_("cannot read the file: {reason}"), reason=error.strerror or error) from None
    return decode_image(data, shortest_side=shortest_side, longest_side=longest_side)


def decode_image(data: bytes, *, shortest_side: int | None = None, longest_side: int | None = None) -> Image.Image:
    """Decode image bytes to upright 8-bit RGB.

    ``shortest_side``: the caller will not need more than this many pixels on the short side, so a JPEG
    may be decoded at 1/2, 1/4 or 1/8 scale (libjpeg's DCT scaling, far cheaper than decoding 12 MP).
    ``longest_side``: shrink the result to fit within this many pixels (for display and session storage).
    """
    if not data:
        raise ImageError(N_("the file is empty"))
    if len(data) > MAX_BYTES:
        raise too_large(len(data))
    if (size := webp_size(data)) and size[0] * size[1] * 4 * 2 > DECODE_BUDGET:
        # Pillow opens a WebP through libwebp's animation decoder, which allocates the canvas at once.
        raise ImageError(N_("decoding this {width}x{height} image would take {needed} MB; the limit is {limit} MB"),
                         width=size[0], height=size[1], needed=f"{size[0] * size[1] * 8 / 2**20:.0f}",
                         limit=f"{DECODE_BUDGET / 2**20:.0f}")
    try:
        image = Image.open(io.BytesIO(data))
    except UnidentifiedImageError:
        raise ImageError(N_("not an image file that can be read (accepted: {accepted})"),
                         accepted=ACCEPTED_TEXT) from None
    except Image.DecompressionBombError:
        raise _too_many_pixels(None) from None
    except (OSError, SyntaxError, ValueError, struct.error, EOFError) as error:
        raise ImageError(N_("the image is damaged: {reason}"), reason=_first_line(error)) from None
    if image.format not in ACCEPTED_FORMATS:
        raise ImageError(N_("{format} images are not accepted; use {accepted}"), format=image.format,
                         accepted=ACCEPTED_TEXT)
    width, height = image.size
    if width < 1 or height < 1:
        raise ImageError(N_("the image has no pixels"))
    if width * height > max_pixels():
        raise _too_many_pixels(image.size)
    if image.format in ("JPEG", "MPO") and (scans := jpeg_scans(data)) > MAX_JPEG_SCANS:
        raise ImageError(N_("the JPEG file has {scans} scans; the limit is {limit}"), scans=scans,
                         limit=MAX_JPEG_SCANS)
    try:
        if getattr(image, "n_frames", 1) > 1:
            image.seek(0)  # animated GIF/WebP/MPO: the first frame is the photo
        if image.format in ("JPEG", "MPO"):
            image.draft(None, _draft_request(image.size, shortest_side, longest_side))
        if (needed := decode_bytes(image, (width, height))) > DECODE_BUDGET:
            raise ImageError(N_("decoding this {width}x{height} image would take {needed} MB; the limit is {limit} "
                                "MB"), width=width, height=height, needed=f"{needed / 2**20:.0f}",
                             limit=f"{DECODE_BUDGET / 2**20:.0f}")
        image.load()
    except ImageError:
        raise
    except (OSError, SyntaxError, ValueError, struct.error, EOFError, zlib.error, IndexError) as error:
        text = _first_line(error)
        if "truncated" in text:
            raise ImageError(N_("the file is cut short (truncated); upload the complete file")) from None
        raise ImageError(N_("the image is damaged: {reason}"), reason=text) from None
    image = _reduced(image, shortest_side, longest_side)  # before converting: every copy is then small
    image = _upright(image)
    image = _to_rgb(image)
    if longest_side and max(image.size) > longest_side:
        # reducing_gap: a cheap integer reduce first, then an exact antialiased resize of the rest.
        image.thumbnail((longest_side, longest_side), Image.Resampling.BICUBIC, reducing_gap=2.0)
    return image


def webp_size(data: bytes) -> tuple[int, int] | None:
    """A WebP file's canvas from its first chunk (RIFF....WEBP then VP8X, VP8L or "VP8 "), None for other files:
    read here because Pillow's WebP plugin allocates the canvas while it opens the file."""
    if len(data) < 30 or data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        return None
    chunk = data[12:16]
    if chunk == b"VP8X":  # 24-bit canvas width - 1 and height - 1
        return int.from_bytes(data[24:27], "little") + 1, int.from_bytes(data[27:30], "little") + 1
    if chunk == b"VP8L" and data[20] == 0x2F:  # 14 bits each after the signature byte
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8 " and data[23:26] == b"\x9d\x01\x2a":  # the key frame's start code, then 14-bit sizes
        return int.from_bytes(data[26:28], "little") & 0x3FFF, int.from_bytes(data[28:30], "little") & 0x3FFF
    return None


def jpeg_scans(data: bytes) -> int:
    """How many scans a JPEG file has, counted from its start-of-scan markers (0xFFDA) without decoding: inside
    the entropy-coded data a 0xFF byte is always followed by 0x00 or a restart marker, so every 0xFFDA is a marker
    (an embedded thumbnail's scans count too, which only makes this an upper bound)."""
    return data.count(b"\xff\xda")


def decode_bytes(image: Image.Image, full_size: tuple[int, int] | None = None) -> int:
    """The bytes the decoder holds for ``image`` (after any ``draft``), from its header: the pixel buffer in
    Pillow's layout, libwebp's own buffer beside it for WebP, and for a progressive JPEG the whole image's DCT
    coefficients (2 bytes each, at ``full_size`` whatever the draft), which libjpeg keeps until the last scan."""
    width, height = image.size
    per_pixel = 1 if image.mode in _ONE_BYTE_MODES else 2 if image.mode.startswith("I;16") else 4
    needed = width * height * per_pixel * (2 if image.format == "WEBP" else 1)
    if image.format in ("JPEG", "MPO") and image.info.get("progressive"):
        from PIL import JpegImagePlugin

        full = full_size or image.size
        samples = len(image.getbands()) if image.mode not in ("RGB", "YCbCr") else \
            {0: 3.0, 1: 2.0, 2: 1.5}.get(JpegImagePlugin.get_sampling(image), 3.0)
        needed += int(full[0] * full[1] * samples * 2)
    return needed


def _reduced(image: Image.Image, shortest_side: int | None, longest_side: int | None) -> Image.Image:
    """An integer box reduction towards what the caller needs (at least twice it is kept, for the exact resize that
    follows): conversions and rotations after it touch a small image, not the decoded one."""
    width, height = image.size
    factors = []
    if longest_side:
        factors.append(max(width, height) // (2 * longest_side))
    if shortest_side:
        factors.append(min(width, height) // (2 * shortest_side))
    factor = min(factors) if factors else 0
    if factor < 2:
        return image
    size = (max(1, width // factor), max(1, height // factor))
    if image.mode in _SIXTEEN_BIT_MODES[:-1] or image.mode in ("1", "P"):
        reduced = image.resize(size, Image.Resampling.BOX if image.mode.startswith("I;16") else
                               Image.Resampling.NEAREST)  # Pillow's reduce() takes neither
    else:
        reduced = image.reduce(factor)
    reduced.info = image.info  # EXIF orientation, transparency, ...
    reduced.format = image.format
    return reduced


def _draft_request(size: tuple[int, int], shortest_side: int | None,
                   longest_side: int | None) -> tuple[int, int] | None:
    """The smallest decoded size that still serves the caller (draft keeps both sides at or above it)."""
    width, height = size
    scales = []
    if shortest_side:
        scales.append(shortest_side / min(width, height))
    if longest_side:
        scales.append(longest_side / max(width, height))
    if not scales:
        return None
    scale = min(1.0, max(scales))
    return max(1, math.ceil(width * scale)), max(1, math.ceil(height * scale))


def _upright(image: Image.Image) -> Image.Image:
    try:
        return ImageOps.exif_transpose(image)
    except (OSError, SyntaxError, ValueError, struct.error, KeyError, TypeError):
        return image  # unreadable EXIF: the pixels are still good, only the rotation is unknown


def _to_rgb(image: Image.Image) -> Image.Image:
    if image.mode in _SIXTEEN_BIT_MODES:
        image = _scale_to_8bit(image)
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    if image.mode == "F":
        image = _scale_to_8bit(image)
    return image if image.mode == "RGB" else image.convert("RGB")  # L, 1, P, CMYK, YCbCr


def _scale_to_8bit(image: Image.Image) -> Image.Image:
    """Scale 16-bit (or wider) grey levels into 0..255; Pillow's own convert would clip at 255."""
    if image.mode.startswith("I;16"):  # Pillow's own linear map (rounded by the + 0.5): no wide copy of the pixels
        return image.point(lambda level: level * (255 / 65535) + 0.5, "L")
    values = np.asarray(image).astype(np.float64)
    if image.mode.startswith("I;16"):
        top = 65535.0
    else:  # "I" (32-bit) and "F": 16-bit sources land here too, so scale by the range actually used
        values = values - min(0.0, float(values.min()))
        peak = float(values.max())
        top = 255.0 if peak <= 255 else 65535.0 if peak <= 65535 else peak
    return Image.fromarray(np.clip(np.rint(values * (255.0 / top)), 0, 255).astype(np.uint8), "L")


def too_large(size: int) -> ImageError:
    return ImageError(N_("the file is {size} MiB; the limit is {limit} MiB"), size=f"{size / 2**20:.1f}",
                      limit=f"{MAX_BYTES / 2**20:.0f}")


def _too_many_pixels(size: tuple[int, int] | None) -> ImageError:
    limit = f"{max_pixels() / 1e6:.0f}"
    if size is None:
        return ImageError(N_("the image has more pixels than the limit of {limit} megapixels (a decompression "
                             "bomb?)"), limit=limit)
    return ImageError(N_("the image is {width}x{height} = {megapixels} megapixels; the limit is {limit} megapixels"),
                      width=size[0], height=size[1], megapixels=f"{size[0] * size[1] / 1e6:.0f}", limit=limit)


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__
