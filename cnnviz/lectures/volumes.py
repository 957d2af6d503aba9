"""The activation volume before and after one step, drawn as in the AlexNet paper's Figure 2 (Krizhevsky et al.
2012): each (C, H, W) tensor an oblique box, its sizes written along its edges, the kernel window a small box on
the input with lines to the one output unit it makes.

No plotting library draws this picture, so the SVG is written by hand.
"""

from __future__ import annotations

import math
from xml.sax.saxutils import escape

WIDTH, HEIGHT = 640, 260
FONT = "Noto Sans CJK SC, sans-serif"  # the labels may be Chinese or Korean; the browser picks the glyphs
LARGEST = 2048  # sides from 1 to this get distinct lengths; larger ones are drawn at full length
LONGEST_VECTOR = 65536  # vectors (a flattened map, an FC layer) on their own log scale: VGG's 25088 fits
BASELINE = 200  # y of each box's front bottom edge
PANELS = ((0, 280), (360, 640))  # x ranges of the input and output drawings; the arrow goes between

# Lengths on a log scale: a side of 2048 would be 2048 times one of 1 on a linear scale and the small one
# would vanish; log2 keeps 1 to 2048 readable while every halving (a stride-2 step) still shortens the side.
HEIGHT_PX, DEPTH_PX, CHANNELS_PX = (12, 128), (10, 90), (4, 116)  # (shortest, longest) in pixels
OBLIQUE = (0.7, 0.5)  # the receding W axis: x and y per pixel of length


def _length(size: int, span: tuple[int, int], largest: int = LARGEST) -> float:
    share = min(1.0, math.log2(max(size, 1)) / math.log2(largest))
    return span[0] + (span[1] - span[0]) * share


def _as_volume(shape: tuple[int, ...]) -> tuple[int, ...]:
    """(C, H, W), or (N,) for a vector: leading 1s go (a stacked join's (1, C, H, W)); other shapes count their
    values as a vector."""
    shape = tuple(shape)
    while len(shape) > 3 and shape[0] == 1:
        shape = shape[1:]
    if len(shape) == 3 or len(shape) == 1:
        return shape
    if len(shape) == 2:
        return (shape[0], shape[1], 1)
    return (math.prod(shape),)


def _polygon(points, fill: str, css: str = "face", opacity: float = 0.85) -> str:
    coordinates = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    return (f'<polygon class="{css}" points="{coordinates}" fill="{fill}" fill-opacity="{opacity}" '
            'stroke="#3b4a63" stroke-width="1"/>')


def _text(x: float, y: float, content: str, anchor: str = "middle", size: int = 12, css: str = "dim") -> str:
    return (f'<text class="{css}" x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{size}">'
            f"{escape(content)}</text>")


def _box(left: float, bottom: float, width: float, height: float, depth: float, colours) -> list[str]:
    """An oblique box: front face ``width`` x ``height`` with its bottom-left corner at (left, bottom), receding
    ``depth`` pixels up and to the right. Returns the front, top and side faces."""
    dx, dy = depth * OBLIQUE[0], depth * OBLIQUE[1]
    top, right = bottom - height, left + width
    front = [(left, bottom), (right, bottom), (right, top), (left, top)]
    lid = [(left, top), (right, top), (right + dx, top - dy), (left + dx, top - dy)]
    side = [(right, bottom), (right + dx, bottom - dy), (right + dx, top - dy), (right, top)]
    front_colour, lid_colour, side_colour = colours
    return [_polygon(side, side_colour), _polygon(lid, lid_colour), _polygon(front, front_colour)]


class _Drawn:
    """Where a volume landed: for the kernel window and the projection lines."""

    def __init__(self, left, bottom, width, height, depth):
        self.left, self.bottom, self.width, self.height, self.depth = left, bottom, width, height, depth


def _volume(shape: tuple[int, ...], panel: tuple[int, int], label: str, parts: list[str]) -> _Drawn:
    shape = _as_volume(shape)
    centre = (panel[0] + panel[1]) / 2
    if len(shape) == 1:  # a vector: a thin tall bar
        (size,) = shape
        height, width, depth = _length(size, HEIGHT_PX, LONGEST_VECTOR), 10.0, 6.0
        left = centre - width / 2
        parts += _box(left, BASELINE, width, height, depth, ("#f6d8a8", "#fbe9cc", "#e8c08a"))
        parts.append(_text(left + width + depth * OBLIQUE[0] + 6, BASELINE - height / 2, str(size), "start"))
    else:
        channels, rows, columns = shape
        height, width, depth = (_length(rows, HEIGHT_PX), _length(channels, CHANNELS_PX),
                                _length(columns, DEPTH_PX))
        left = centre - (width + depth * OBLIQUE[0]) / 2
        parts += _box(left, BASELINE, width, height, depth, ("#c9daf3", "#e1ebf9", "#a9c1e6"))
        dx, dy = depth * OBLIQUE[0], depth * OBLIQUE[1]
        parts.append(_text(left - 6, BASELINE - height / 2 + 4, str(rows), "end"))  # H: the left edge
        parts.append(_text(left + width / 2, BASELINE + 15, str(channels)))  # C: the bottom edge
        parts.append(_text(left + dx / 2 - 6, BASELINE - height - dy / 2 - 4, str(columns), "end"))  # W: receding
    parts.append(_text(centre, HEIGHT - 12, label, size=13, css="label"))
    return _Drawn(left, BASELINE, width, height, depth)


def _kernel(before: _Drawn, after: _Drawn, shape_before: tuple[int, ...], kernel_hw: tuple[int, int],
            parts: list[str]) -> None:
    """The window on the input (all its channels, kh x kw positions, at the top front corner) and lines from it
    to the one output unit it computes."""
    volume = _as_volume(shape_before)
    rows, columns = (volume[1], volume[2]) if len(volume) == 3 else (1, 1)
    kh, kw = kernel_hw
    height = min(before.height, max(5.0, before.height * kh / max(rows, 1)))
    depth = min(before.depth, max(4.0, before.depth * kw / max(columns, 1)))
    top = before.bottom - before.height
    window = _box(before.left, top + height, before.width, height, depth, ("#f2a65a", "#f7c48f", "#e08a3c"))
    unit = 5.0
    unit_left = after.left + after.width / 2 - unit / 2
    unit_top = after.bottom - after.height
    target = [(unit_left, unit_top), (unit_left, unit_top + unit)]
    corners = [(before.left + before.width + depth * OBLIQUE[0], top - depth * OBLIQUE[1]),
               (before.left + before.width, top + height)]
    lines = [f'<line x1="{x:.1f}" y1="{y:.1f}" x2="{tx:.1f}" y2="{ty:.1f}" stroke="#e08a3c" '
             'stroke-width="1" stroke-dasharray="4 3"/>' for (x, y), (tx, ty) in zip(corners, target)]
    square = (f'<rect x="{unit_left:.1f}" y="{unit_top:.1f}" width="{unit}" height="{unit}" fill="#e08a3c" '
              'stroke="#3b4a63" stroke-width="0.5"/>')
    parts.append(f'<g class="kernel">{"".join(window + lines)}{square}'
                 f'{_text(corners[0][0] + 4, corners[0][1] - 4, f"{kh}x{kw}", "start", css="kernel-size")}'
                 "</g>")


def volume_svg(before: tuple[int, ...], after: tuple[int, ...], kernel_hw: tuple[int, int] | None,
               before_label: str, after_label: str) -> str:
    """The volume before the step, an arrow, the volume after it; both on one scale so that shrinking shows.
    ``kernel_hw`` draws the window (a convolution's or pooling's) on the input; labels are shown as given."""
    parts: list[str] = []
    drawn_before = _volume(before, PANELS[0], before_label, parts)
    drawn_after = _volume(after, PANELS[1], after_label, parts)
    middle = BASELINE - 70
    parts.append(f'<line x1="{PANELS[0][1] + 8}" y1="{middle}" x2="{PANELS[1][0] - 14}" y2="{middle}" '
                 'stroke="#3b4a63" stroke-width="2"/>')
    parts.append(f'<polygon points="{PANELS[1][0] - 6},{middle} {PANELS[1][0] - 16},{middle - 5} '
                 f'{PANELS[1][0] - 16},{middle + 5}" fill="#3b4a63"/>')
    if kernel_hw is not None:
        _kernel(drawn_before, drawn_after, before, kernel_hw, parts)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" '
            f'height="{HEIGHT}" style="max-width:100%;height:auto" font-family="{FONT}" fill="#1d2533">'
            + "".join(parts) + "</svg>")
