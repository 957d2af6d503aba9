"""The layer-by-layer walk of the lecture notes ("[55x55x96] CONV1: 96 11x11 filters at stride 4, pad 0"),
generated from the traced model instead of typed in."""

from __future__ import annotations

from dataclasses import dataclass

from cnnviz.analysis.summary import LayerRow, Summary
from cnnviz.i18n import _

# Row types that the notes' walk lists; activations, batch norm and dropout are left out, as in the notes.
CONV, POOL, NORM, FC = "CONV", "POOL", "NORM", "FC"
KINDS = {"Conv2d": CONV, "ConvTranspose2d": CONV, "Conv2dStaticSamePadding": CONV, "MaxPool2d": POOL,
         "AvgPool2d": POOL, "AdaptiveAvgPool2d": POOL, "LocalResponseNorm": NORM, "Linear": FC}


@dataclass(frozen=True)
class Step:
    output: str  # the notes' notation: 55x55x96 (height x width x channels), or 4096 for vectors
    label: str  # CONV1, MAX POOL1, NORM1, FC6, or a block name
    description: str
    params: int
    macs: int


def notes_shape(shape: tuple[int, ...]) -> str:
    """PyTorch's (C, H, W) in the notes' H x W x C order."""
    if len(shape) == 3:
        channels, height, width = shape
        return f"{height}x{width}x{channels}"
    return "x".join(str(d) for d in shape)


def _describe(row: LayerRow, kind: str) -> str:
    if kind == CONV:
        channels = row.output_shape[0]
        kernel = row.kernel if "x" in row.kernel else f"{row.kernel}x{row.kernel}"
        text = _("{count} {kernel} filters at stride {stride}, pad {pad}").format(
            count=channels, kernel=kernel, stride=row.stride, pad=row.padding)
        if row.groups and row.groups > 1:
            text = _("{text}, {count} groups").format(text=text, count=row.groups)
        return text
    if kind == POOL:
        if row.type.startswith("Adaptive"):
            return _("adaptive average pool to {size}").format(size=notes_shape(row.output_shape))
        return _("{kernel} filters at stride {stride}").format(kernel=f"{row.kernel}x{row.kernel}", stride=row.stride)
    if kind == NORM:
        return _("local response normalisation")
    return _("{count} neurons").format(count=row.output_shape[0])


def layer_walk(summary: Summary) -> list[Step]:
    """Conv, pool, norm and FC layers in order, numbered like the notes (FC numbers follow the convs)."""
    rows = [r for r in summary.layers if r.type in KINDS and not r.auxiliary and not r.shared]
    convs = sum(KINDS[r.type] == CONV for r in rows)
    counters = {CONV: 0, POOL: 0, NORM: 0, FC: convs}
    steps = []
    for row in rows:
        kind = KINDS[row.type]
        counters[kind] += 1
        label = f"{'MAX ' if row.type == 'MaxPool2d' else 'AVG ' if kind == POOL else ''}{kind}{counters[kind]}"
        steps.append(Step(notes_shape(row.output_shape), label, _describe(row, kind), row.params, row.macs))
    return steps


def input_step(summary: Summary) -> str:
    return " + ".join(notes_shape(s) for s in summary.input_shapes)
