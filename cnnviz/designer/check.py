"""Every layer's output shape by the notes' formulas, and the first mistake: the layer that makes it, one sentence
with its arithmetic, and a suggested fix.

Shapes are (C, H, W) for a map and (N,) for a vector. The sentences are marked with ``N_`` and kept as template and
values (``Problem``): the command line prints them in English, a page in the session's language.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from cnnviz.designer.design import CLOSERS, Design, Layer
from cnnviz.i18n import N_, _

Shape = tuple[int, ...]


@dataclass(frozen=True)
class Problem:
    """The first mistake of a design. ``layer``: its number (from 1), None for the whole design. ``blocking``: the
    network cannot run past it (its numbers stop there); otherwise it runs, but is no classifier of its classes."""

    layer: int | None
    template: str
    values: dict
    fix: str
    fix_values: dict = field(default_factory=dict)
    blocking: bool = True

    def sentence(self, translate=_) -> str:
        said = translate(self.template).format(**self.values)
        if self.layer is not None:
            said = translate(N_("layer {number}: {sentence}")).format(number=self.layer, sentence=said)
        return said

    def suggestion(self, translate=_) -> str:
        return translate(self.fix).format(**self.fix_values)

    def text(self, translate=_) -> str:
        """The sentence and its fix, in the session's language (``translate=str`` for English)."""
        return translate(N_("{sentence}. {fix}.")).format(sentence=self.sentence(translate),
                                                          fix=self.suggestion(translate))

    def __str__(self) -> str:
        return self.text(str)


@dataclass(frozen=True)
class Shaped:
    """One layer's input and output shapes; ``factors``: for a vector made by flattening a map, that map's shape."""

    input: Shape
    output: Shape
    factors: Shape = ()
    projected: bool = False  # an add whose shortcut is a 1x1 projection (strided where the maps shrink)
    projection_stride: int = 1


def shape_text(shape: Shape) -> str:
    return "x".join(str(v) for v in shape)


def _n(value: int) -> str:
    return f"{value:,}"


def size_formula(side: int, window: int, padding: int, stride: int, ceil_mode: bool = False) -> tuple[str, int]:
    """floor((W - F + 2P)/S) + 1 written with its numbers, and its value (ceil in ceil mode)."""
    numerator = side - window + 2 * padding
    inner = f"({side} - {window} + 2·{padding})/{stride}"
    rounded = math.ceil(numerator / stride) if ceil_mode else numerator // stride
    if numerator % stride:
        inner = f"{'ceil' if ceil_mode else 'floor'}({inner})"
    return f"{inner} + 1 = {rounded + 1}", rounded + 1


def output_side(side: int, window: int, padding: int, stride: int, ceil_mode: bool = False) -> int:
    """As torch computes it: in ceil mode a last window that would start in the right padding is dropped."""
    out = size_formula(side, window, padding, stride, ceil_mode)[1]
    if ceil_mode and (out - 1) * stride >= side + padding:
        out -= 1
    return out


def _divisors(value: int, most: int = 6) -> str:
    return ", ".join([str(d) for d in range(1, value + 1) if value % d == 0][:most])


def _problem(number: int, template: str, fix: str, **values) -> Problem:
    return Problem(number, template, values, fix, values)


def shapes(design: Design) -> tuple[list[Shaped], Problem | None]:
    """Each layer's shapes up to the first blocking mistake, and that mistake (or the non-blocking one at the end:
    an output that does not hold one value per class)."""
    shaped: list[Shaped] = []
    current: Shape = (design.channels, design.side, design.side)
    factors: Shape = ()
    spans: list[_Open] = []  # the spans open at this layer, innermost last
    for number, layer in enumerate(design.layers, start=1):
        try:
            result = _one(number, layer, current, factors, spans)
        except _Stop as stop:
            return shaped, stop.problem
        shaped.append(result)
        current, factors = result.output, result.factors
    if spans:
        return shaped, _problem(spans[0].start, N_("this span start is never closed"),
                                N_("Add a residual add or a concatenation after the span's last layer, or remove "
                                   "the span start"))
    return shaped, _classes_problem(design, current)


def _classes_problem(design: Design, output: Shape) -> Problem | None:
    if not design.layers:
        return None
    values = math.prod(output)
    if values == design.classes and (len(output) == 1 or output[1:] == (1, 1)):
        return None
    last = len(design.layers)
    if design.layers[-1].kind == "linear":
        fix = N_("Set the last linear layer's outputs to {classes}")
    elif len(output) == 3:
        fix = N_("End with a flatten and a linear layer of {classes} outputs")
    else:
        fix = N_("End with a linear layer of {classes} outputs")
    return Problem(None, N_("the network ends with {shape} ({values} values) but there are {classes} classes"),
                   {"shape": shape_text(output), "values": _n(values), "classes": _n(design.classes)}, fix,
                   {"classes": _n(design.classes), "last": last}, blocking=False)


@dataclass
class _Open:
    """A span still open: its start's number, its input, and, once a branch marker came, each finished branch's
    output and the number of the latest marker (the span start or a branch marker)."""

    start: int
    input: Shape
    factors: Shape
    branches: list[Shape] = field(default_factory=list)
    marker: int = 0


class _Stop(Exception):
    def __init__(self, problem: Problem):
        super().__init__(str(problem))
        self.problem = problem


def _stop(number: int, template: str, fix: str, **values) -> None:
    raise _Stop(_problem(number, template, fix, **values))


NEEDS_MAP = {
    "conv": N_("a convolution needs a map (channels x height x width) but gets a vector of {values} values"),
    "maxpool": N_("a pooling needs a map (channels x height x width) but gets a vector of {values} values"),
    "gap": N_("global average pooling needs a map (channels x height x width) but gets a vector of {values} values"),
}


def _needs_map(number: int, layer: Layer, current: Shape, factors: Shape) -> None:
    if len(current) == 1:
        template = NEEDS_MAP.get(layer.kind) or NEEDS_MAP["gap" if layer.kind == "gap" else "maxpool"]
        _stop(number, template, N_("Move it before the flatten"), values=_n(current[0]))


def _one(number: int, layer: Layer, current: Shape, factors: Shape, spans: list) -> Shaped:
    kind = layer.kind
    if kind == "conv":
        return _conv(number, layer, current, factors)
    if kind in ("maxpool", "avgpool"):
        return _pool(number, layer, current, factors)
    if kind in ("gap", "adaptiveavg"):
        _needs_map(number, layer, current, factors)
        side = 1 if kind == "gap" else layer.get("size")
        return Shaped(current, (current[0], side, side))
    if kind == "flatten":
        if len(current) == 1:
            return Shaped(current, current, factors)
        return Shaped(current, (math.prod(current),), current)
    if kind == "linear":
        return _linear(number, layer, current, factors)
    if kind == "span":
        spans.append(_Open(number, current, factors, marker=number))
        return Shaped(current, current, factors)
    if kind == "branch":
        return _branch(number, current, spans)
    if kind in CLOSERS:
        return _close(number, layer, current, spans)
    return Shaped(current, current, factors)  # batch norm, activations, dropout


def _conv(number: int, layer: Layer, current: Shape, factors: Shape) -> Shaped:
    _needs_map(number, layer, current, factors)
    channels, height, width = current
    out, groups = layer.get("out"), layer.get("groups")
    if channels % groups:
        _stop(number, N_("{channels} input channels do not split into {groups} groups: {channels}/{groups} is not "
                         "whole"), N_("Use a number of groups that divides {channels}: {divisors}, ..."),
              channels=channels, groups=groups, divisors=_divisors(channels))
    if out % groups:
        _stop(number, N_("{out} output channels do not split into {groups} groups: {out}/{groups} is not whole"),
              N_("Use a multiple of {groups} output channels, for instance {suggested}"),
              out=out, groups=groups, suggested=max(groups, round(out / groups) * groups))
    kernel, stride, padding, dilation = (layer.get(n) for n in ("kernel", "stride", "padding", "dilation"))
    window = dilation * (kernel - 1) + 1
    side = min(height, width)
    if side + 2 * padding < window:
        formula = size_formula(side, window, padding, stride)[0]
        largest = (side + 2 * padding - 1) // dilation + 1
        needed = math.ceil((window - side) / 2)
        if dilation == 1:
            template = N_("a {kernel}x{kernel} kernel does not fit the {height}x{width} map: {formula}")
        else:
            template = N_("a {kernel}x{kernel} kernel at dilation {dilation} spans {window}x{window} and does not "
                          "fit the {height}x{width} map: {formula}")
        _stop(number, template, N_("Use a kernel of at most {largest}, or padding {needed}"), kernel=kernel,
              dilation=dilation, window=window, height=height, width=width, formula=formula, largest=largest,
              needed=needed)
    return Shaped(current, (out, output_side(height, window, padding, stride),
                            output_side(width, window, padding, stride)))


def _pool(number: int, layer: Layer, current: Shape, factors: Shape) -> Shaped:
    _needs_map(number, layer, current, factors)
    channels, height, width = current
    kernel, padding, ceil_mode = layer.get("kernel"), layer.get("padding"), layer.get("ceil_mode")
    stride = layer.stride()
    if 2 * padding > kernel:
        _stop(number, N_("padding {padding} is more than half the {kernel}x{kernel} window"),
              N_("Use padding of at most {most}"), padding=padding, kernel=kernel, most=kernel // 2)
    side = min(height, width)
    if side + 2 * padding < kernel:
        _stop(number, N_("a {kernel}x{kernel} window does not fit the {height}x{width} map: {formula}"),
              N_("Use a window of at most {largest}, or pool earlier"), kernel=kernel, height=height, width=width,
              formula=size_formula(side, kernel, padding, stride, ceil_mode)[0], largest=side + 2 * padding)
    return Shaped(current, (channels, output_side(height, kernel, padding, stride, ceil_mode),
                            output_side(width, kernel, padding, stride, ceil_mode)))


def _linear(number: int, layer: Layer, current: Shape, factors: Shape) -> Shaped:
    if len(current) == 3:
        _stop(number, N_("the linear layer gets a {shape} map"),
              N_("Insert a flatten before it (it then gets {values} = {product} inputs)"),
              shape=shape_text(current), values=_n(math.prod(current)), product="·".join(map(str, current)))
    expected, values = layer.get("inputs"), current[0]
    if expected is not None and expected != values:
        gets = _n(values) + (" = " + "·".join(map(str, factors)) if factors else "")
        _stop(number, N_("the linear layer expects {expected} inputs but gets {gets}"),
              N_("Set its inputs to {values} (or leave them empty), or change the layers before it"),
              expected=_n(expected), gets=gets, values=_n(values))
    return Shaped(current, (layer.get("out"),))


def _close(number: int, layer: Layer, current: Shape, spans: list) -> Shaped:
    name = "add" if layer.kind == "add" else "concatenation"
    if not spans:
        _stop(number, N_("this residual add closes a span, but no span start comes before it") if name == "add" else
              N_("this concatenation closes a span, but no span start comes before it"),
              N_("Insert a span start where the span should begin"))
    opened = spans.pop()
    start, before = opened.start, opened.input
    if start == number - 1:
        _stop(number, N_("the span that starts at layer {start} is empty"),
              N_("Put layers between the span start and its end"), start=start)
    if opened.branches:
        if layer.kind == "add":
            _stop(number, N_("a residual add cannot join the branches of the span that starts at layer {start}"),
                  N_("Close the branches with a concatenation"), start=start)
        _empty_branch(number, opened)
        return _join_branches(number, opened, current)
    if layer.kind == "concat":
        return _concat(number, start, before, current)
    if before == current:
        return Shaped(current, current)
    joined = dict(first=shape_text(before), second=shape_text(current), start=start)
    if not layer.get("project"):
        _stop(number, N_("the residual add joins the span's input {first} (layer {start}) and its output {second}: "
                         "the shapes must match"),
              N_("Turn on its 1x1 projection, or keep the span's channels and size"), **joined)
    if len(before) != 3 or len(current) != 3:
        _stop(number, N_("the residual add joins {first} and {second}: a 1x1 projection needs maps on both sides"),
              N_("Keep the span before the flatten"), **joined)
    stride = _projection_stride(before[1], current[1])
    if stride is None or _projection_stride(before[2], current[2]) != stride:
        _stop(number, N_("the shortcut cannot take {first} to {second}: no stride of a 1x1 convolution turns "
                         "{side} pixels into {target}"),
              N_("Make the span shrink the map by a whole factor (stride 2 once), or not at all"),
              side=before[1], target=current[1], **joined)
    return Shaped(current, current, projected=True, projection_stride=stride)


def _branch(number: int, current: Shape, spans: list[_Open]) -> Shaped:
    """A branch marker ends the branch before it and starts the next one from the span's input."""
    if not spans:
        _stop(number, N_("this branch marker needs a span start before it"),
              N_("Insert a span start where the branches begin"))
    opened = spans[-1]
    _empty_branch(number, opened)
    opened.branches.append(current)
    opened.marker = number
    return Shaped(current, opened.input, opened.factors)


def _empty_branch(number: int, opened: _Open) -> None:
    if opened.marker == number - 1:
        _stop(number, N_("branch {branch} of the span that starts at layer {start} is empty"),
              N_("Put at least one layer in every branch"), branch=len(opened.branches) + 1, start=opened.start)


def _join_branches(number: int, opened: _Open, current: Shape) -> Shaped:
    """The concatenation of the branches' outputs along the channels (or the features of vectors)."""
    outputs = [*opened.branches, current]
    shapes_text = ", ".join(shape_text(shape) for shape in outputs)
    if len({len(shape) for shape in outputs}) > 1:
        _stop(number, N_("the concatenation joins the branches {shapes}: maps and vectors cannot be stacked"),
              N_("End every branch with a map, or every branch with a vector"), shapes=shapes_text)
    if len(current) == 3 and len({shape[1:] for shape in outputs}) > 1:
        _stop(number, N_("the concatenation joins the branches {shapes}: the maps must have the same height and "
                         "width"), N_("Give every branch the same stride, and padding that keeps the size (1 for a "
                                      "3x3 window, 2 for a 5x5)"), shapes=shapes_text)
    return Shaped(current, (sum(shape[0] for shape in outputs), *current[1:]))


def _projection_stride(side: int, target: int) -> int | None:
    """The stride s of a 1x1 convolution with floor((side - 1)/s) + 1 = target, if any."""
    for stride in range(1, side + 1):
        if (side - 1) // stride + 1 == target:
            return stride
    return None


def _concat(number: int, start: int, before: Shape, current: Shape) -> Shaped:
    joined = dict(first=shape_text(before), second=shape_text(current), start=start)
    if len(before) != len(current):
        _stop(number, N_("the concatenation joins {first} and {second}: a map and a vector cannot be stacked"),
              N_("Keep the span before the flatten, or flatten before the span"), **joined)
    if len(current) == 3 and before[1:] != current[1:]:
        _stop(number, N_("the concatenation joins {first} and {second}: the maps must have the same height and "
                         "width"), N_("Pad the span's layers so that they keep {side}x{side}"),
              side=before[1], **joined)
    return Shaped(current, (before[0] + current[0], *current[1:]))
