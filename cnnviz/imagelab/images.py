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
    try:
        if getattr(image, "n_frames", 1) > 1:
            image.seek(0)  # animated GIF/WebP/MPO: the first frame is the photo
        if image.format in ("JPEG", "MPO"):
            image.draft(None, _draft_request(image.size, shortest_side, longest_side))
        image.load()
    except (OSError, SyntaxError, ValueError, struct.error, EOFError, zlib.error, IndexError) as error:
        text = _first_line(error)
        if "truncated" in text:
            raise ImageError(N_("the file is cut short (truncated); upload the complete file")) from None
        raise ImageError(N_("the image is damaged: {reason}"), reason=text) from None
    image = _upright(image)
    image = _to_rgb(image)
    if longest_side and max(image.size) > longest_side:
        # reducing_gap: a cheap integer reduce first, then an exact antialiased resize of the rest.
        image.thumbnail((longest_side, longest_side), Image.Resampling.BICUBIC, reducing_gap=2.0)
    return image


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
