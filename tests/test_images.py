"""The photo decoder: every bad input is one line of ``ImageError``; every odd but valid one comes out as
upright 8-bit RGB. Files are built here with Pillow and NumPy; expected pixels come from hand formulas."""

import io

import numpy as np
import pytest
from PIL import Image

from cnnviz.imagelab import images
from cnnviz.imagelab.images import ImageError, decode_image, read_image

RED, BLUE = (255, 0, 0), (0, 0, 255)


def _encode(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def _halves(left=RED, right=BLUE, size=(64, 32)) -> Image.Image:
    pixels = np.zeros((size[1], size[0], 3), np.uint8)
    pixels[:, : size[0] // 2] = left
    pixels[:, size[0] // 2:] = right
    return Image.fromarray(pixels)


def _refused(data: bytes, *words: str) -> str:
    with pytest.raises(ImageError) as caught:
        decode_image(data)
    message = str(caught.value)
    assert "\n" not in message and message, message
    for word in words:
        assert word in message.lower(), message
    return message


# --- bad files: a clear one-line message ---------------------------------------------------------------------

def test_empty_file():
    _refused(b"", "empty")


def test_not_an_image():
    _refused(b"%PDF-1.4 definitely not a picture" * 10, "not an image")


def test_broken_png_body():
    data = bytearray(_encode(_halves(), "PNG"))
    data[60:120] = bytes(60)  # wreck the compressed pixel data, keep the header
    _refused(bytes(data))


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_truncated_file(fmt):
    data = _encode(Image.fromarray(np.random.default_rng(0).integers(0, 256, (256, 256, 3), np.uint8)), fmt)
    _refused(data[: len(data) // 2], "truncated")


def test_oversized_bytes_refused_before_decoding():
    _refused(b"\xff\xd8" + bytes(images.MAX_BYTES), "limit", "mib")


def test_oversized_file_is_not_read(tmp_path, monkeypatch):
    path = tmp_path / "huge.jpg"
    with open(path, "wb") as out:  # a sparse file: large on paper, nothing written
        out.truncate(images.MAX_BYTES + 1)
    monkeypatch.setattr(type(path), "read_bytes", lambda self: pytest.fail("the file was read"))
    with pytest.raises(ImageError, match="limit"):
        read_image(path)


def test_missing_file(tmp_path):
    with pytest.raises(ImageError, match="no such file"):
        read_image(tmp_path / "nowhere.png")


def test_format_outside_the_allow_list():
    _refused(_encode(_halves(), "TIFF"), "tiff", "not accepted")


@pytest.mark.parametrize("side", [40, 100])  # 1x-2x the limit: Pillow only warns; over 2x: Pillow raises
def test_decompression_bomb_limit_is_an_error(monkeypatch, side):
    data = _encode(Image.new("RGB", (side, side)), "PNG")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    with pytest.warns(Image.DecompressionBombWarning) if side == 40 else _no_warning():
        _refused(data, "limit")


class _no_warning:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


# --- odd but valid files: upright 8-bit RGB ------------------------------------------------------------------

def test_exif_orientation_is_applied():
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to display"
    data = _encode(_halves(), "JPEG", quality=95, exif=exif)
    upright = np.asarray(decode_image(data), np.float64)
    expected = np.rot90(np.asarray(_halves(), np.float64), k=-1)  # numpy's clockwise turn as the reference
    assert upright.shape == expected.shape == (64, 32, 3)
    assert np.abs(upright - expected).mean() < 4  # JPEG noise only
    assert upright[:16, :, 0].mean() > 200 and upright[-16:, :, 2].mean() > 200  # red on top, blue below


@pytest.mark.parametrize("alpha", [0, 128, 255])
def test_rgba_is_composited_on_white(alpha):
    image = decode_image(_encode(Image.new("RGBA", (8, 8), (200, 40, 0, alpha)), "PNG"))
    a = alpha / 255
    expected = [round(a * c + (1 - a) * 255) for c in (200, 40, 0)]  # "over" onto white, by hand
    assert image.mode == "RGB"
    assert np.abs(np.asarray(image)[0, 0].astype(int) - expected).max() <= 1


def test_grey_with_alpha_la():
    pixels = np.array([[[0, 0], [0, 255], [100, 51]]], np.uint8)  # (grey, alpha)
    image = np.asarray(decode_image(_encode(Image.fromarray(pixels, "LA"), "PNG"))).astype(int)
    assert image[0, 0].tolist() == [255] * 3  # fully transparent -> white
    assert image[0, 1].tolist() == [0] * 3  # opaque black stays black
    assert abs(image[0, 2, 0] - round(0.2 * 100 + 0.8 * 255)) <= 1


def test_palette_with_transparent_index():
    palette_image = Image.new("P", (4, 4), 1)
    palette_image.putpalette([10, 20, 30, 250, 0, 0] + [0] * 762)
    palette_image.putpixel((0, 0), 0)
    data = _encode(palette_image, "PNG", transparency=0)
    image = np.asarray(decode_image(data))
    assert image[0, 0].tolist() == [255, 255, 255] and image[1, 1].tolist() == [250, 0, 0]


def test_gif_with_transparency():
    palette_image = Image.new("P", (4, 4), 1)
    palette_image.putpalette([0, 0, 0, 0, 200, 0] + [0] * 762)
    palette_image.putpixel((3, 3), 0)
    image = np.asarray(decode_image(_encode(palette_image, "GIF", transparency=0)))
    assert image[3, 3].tolist() == [255, 255, 255] and image[0, 0].tolist() == [0, 200, 0]


def test_sixteen_bit_grey_is_scaled_not_clipped():
    levels = np.array([[0, 257, 32768, 65535]], np.uint16)
    data = _encode(Image.fromarray(levels), "PNG")
    assert Image.open(io.BytesIO(data)).mode.startswith("I")  # really a 16-bit file
    image = np.asarray(decode_image(data))
    expected = np.rint(levels / 65535 * 255)  # clipping would have made the last three 255
    assert image[..., 0].tolist() == expected.tolist() == [[0, 1, 128, 255]]


def test_cmyk_jpeg_is_converted():
    cmyk = Image.new("CMYK", (16, 16), (0, 0, 0, 0))
    cmyk.paste((255, 0, 0, 0), (8, 0, 16, 16))  # full cyan on the right half
    image = np.asarray(decode_image(_encode(cmyk, "JPEG", quality=95))).astype(int)
    # Subtractive colour by hand: R = 255 (1 - C)(1 - K), G = 255 (1 - M)(1 - K), B = 255 (1 - Y)(1 - K).
    assert np.abs(image[8, 2] - [255, 255, 255]).max() <= 6
    assert np.abs(image[8, 13] - [0, 255, 255]).max() <= 6


def test_animated_gif_gives_the_first_frame():
    frames = [Image.new("RGB", (8, 8), colour) for colour in (RED, BLUE, (0, 255, 0))]
    data = _encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    assert Image.open(io.BytesIO(data)).n_frames == 3
    assert np.asarray(decode_image(data))[4, 4].tolist() == list(RED)


@pytest.mark.parametrize("fmt", ["WEBP", "BMP", "GIF", "PNG", "JPEG"])
def test_every_accepted_format(fmt):
    image = decode_image(_encode(_halves(), fmt, **({"lossless": True} if fmt == "WEBP" else {})))
    assert image.mode == "RGB" and image.size == (64, 32)
    assert np.asarray(image)[16, 8, 0] > 200 and np.asarray(image)[16, 56, 2] > 200


def test_draft_decoding_keeps_the_requested_short_side():
    data = _encode(Image.new("RGB", (4000, 3000), (90, 120, 150)), "JPEG")
    image = decode_image(data, shortest_side=256)
    # libjpeg scales by 1/8 at most: 3000 / 8 = 375 >= 256, and 1/8 is the largest such reduction.
    assert image.size == (500, 375)


def test_longest_side_limits_the_result():
    image = decode_image(_encode(_halves(size=(600, 200)), "PNG"), longest_side=150)
    assert image.size == (150, 50)


@pytest.mark.parametrize("size", [(4000, 3000), (4032, 3024), (3000, 4000)])
def test_a_phone_photo_is_stored_from_a_quarter_size_decode(size, monkeypatch):
    """The session's copy of a 12-megapixel photo needs libjpeg to decode only a quarter of each side (the
    decode the upload's worker runs: ``decode_image`` at the stored side)."""
    from ui.photo import STORED_SIDE

    data = _encode(Image.new("RGB", size, (90, 120, 150)), "JPEG")
    loaded = []
    load = Image.Image.load
    monkeypatch.setattr(Image.Image, "load", lambda self: (loaded.append(self.size), load(self))[1])
    image = decode_image(data, longest_side=STORED_SIDE)
    assert max(image.size) <= STORED_SIDE
    assert loaded[0] == (size[0] // 4, size[1] // 4)
