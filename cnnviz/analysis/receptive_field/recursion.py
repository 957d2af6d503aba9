"""Receptive fields of any registry model: the notes' recursion applied along the traced data flow.

    l_k = l_{k-1} + (f_k - 1) * prod(s_1 .. s_{k-1})

Each call widens its input's field by (kernel - 1) * dilation steps of the input's jump (the product of
the strides before it, the effective stride). Where branches join (add, cat) the field is the union of
the branches' fields, so a block's field is the largest over its paths. The trace runs on the ``meta``
device; ``measured_receptive_field`` checks the answer by back-propagation (``cnnviz.analysis.receptive_field.measure``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from cnnviz.analysis.receptive_field.geometry import Axis, GeometryTrace, trace_geometry
from cnnviz.analysis.tracing import JOIN_OPS
from cnnviz.i18n import N_, _

GROWTH_MODELS = ("alexnet", "vgg16", "googlenet", "resnet50", "mobilenet_v2")  # the lab's growth chart's first choice
from cnnviz.zoo.spec import Variant


@dataclass(frozen=True)
class Field:
    """The input pixels seen by unit 0 of a map along one axis (inclusive ends, padding gives lo < 0)."""

    lo: float
    hi: float
    jump: float  # input pixels between neighbouring units

    @property
    def size(self) -> int:
        return round(self.hi - self.lo + 1)

    def step(self, axis: Axis) -> "Field":
        """One call; for a transposed convolution unit 0 reads input units ceil((p - d(k-1))/s) .. floor(p/s)."""
        reach = axis.dilation * (axis.kernel - 1)
        if axis.transposed:
            first, last = math.ceil((axis.pad - reach) / axis.stride), math.floor(axis.pad / axis.stride)
            return Field(self.lo + first * self.jump, self.hi + last * self.jump, self.jump / axis.stride)
        return Field(self.lo - axis.pad * self.jump, self.hi + (reach - axis.pad) * self.jump,
                     self.jump * axis.stride)


INPUT_FIELD = (Field(0, 0, 1), Field(0, 0, 1))


def union(fields: list[tuple[Field, Field]]) -> tuple[Field, Field]:
    return tuple(Field(min(f[a].lo for f in fields), max(f[a].hi for f in fields), max(f[a].jump for f in fields))
                 for a in range(2))


def _text(values) -> str:
    values = [f"{v:g}" for v in values]
    return values[0] if values[0] == values[1] else "x".join(values)


@dataclass(frozen=True)
class LayerRF:
    """One call that changes the field: a convolution, a pooling, a padding or crop, or a join.

    ``rf``, ``jump`` and ``start`` are the vertical axis (the larger side for ``rf``); the two axes differ
    only inside Inception v3's 1x7/7x1 pairs, see the ``*_hw`` fields.
    """

    name: str
    kind: str
    kernel: str
    stride: str
    rf_hw: tuple[int, int]
    jump_hw: tuple[float, float]
    start_hw: tuple[float, float]  # centre of unit (0, 0) in input pixels
    output_hw: tuple[int, int]
    rf_in: int  # l_{k-1}: the field this call's input had (largest over joined inputs)
    jump_in: float  # prod(s_1..s_{k-1})
    global_pool: bool = False  # a pooling whose window is the whole map (the classifier's GAP)
    uniform: bool = True  # False after a transposed convolution or upsampling: rf_hw is the widest unit's
    effective_kernel: str = ""  # dilation (kernel - 1) + 1: the window the recursion adds, like ``kernel``

    @property
    def rf(self) -> int:
        return max(self.rf_hw)

    @property
    def jump(self) -> float:
        return self.jump_hw[0]

    @property
    def start(self) -> float:
        return self.start_hw[0]

    def first_pixel(self, index: int, axis: int = 0) -> float:
        """First input pixel (may be negative: padding) seen by unit ``index`` along ``axis``."""
        return self.start_hw[axis] + index * self.jump_hw[axis] - (self.rf_hw[axis] - 1) / 2

    def recursion(self) -> str:
        """The notes' step l(k-1) + (f_eff - 1) j(k-1) = l(k) written out, where one number per layer tells it:
        square kernels, strides and fields, and even steps (a transposed convolution or a resize shrinks the
        jump and gives neighbouring units different fields). Otherwise a few words on why not, in English: show
        them with ``_(...)`` (the formula passes through unchanged)."""
        if not self.kernel:
            return N_("union of the joined branches")
        if not self.uniform:
            return N_("uneven: units' fields differ (after a transposed conv or resize)")
        if "x" in self.effective_kernel + self.stride or len(set(self.rf_hw)) > 1 or len(set(self.jump_hw)) > 1:
            return N_("per axis: see the field")
        # The effective kernel, d(f - 1) + 1: a dilated 3x3 adds as much as a 5x5.
        return f"{self.rf_in} + ({self.effective_kernel} − 1)·{self.jump_in:g}"

    def to_dict(self) -> dict:
        return {"name": self.name, "kind": self.kind, "kernel": self.kernel, "stride": self.stride,
                "rf": self.rf, "jump": _number(self.jump), "start": _number(self.start),
                "rf_hw": list(self.rf_hw), "output_hw": list(self.output_hw)}


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def model_receptive_fields(model: nn.Module, inputs: tuple[torch.Tensor, ...],
                           stop_at: str | None = None) -> list[LayerRF]:
    """Every field-changing call of ``model(*inputs)`` in execution order (first calls of shared layers)."""
    return fields_of(trace_geometry(model, inputs, stop_at))


def _uneven(axis: Axis) -> bool:
    return axis.transposed or not float(axis.stride).is_integer()


class UnitFields:
    """The exact field of any unit of any traced call, walked back index by index.

    After a transposed convolution or an upsampling several units read the same input unit, so fields
    step unevenly and start + u * jump is only an average; this gives each unit its own (lo, hi)."""

    def __init__(self, trace: GeometryTrace):
        self.trace = trace
        self.memo: dict[tuple[int, int, int], tuple[float, float] | None] = {}

    def of(self, index: int, unit: int, axis: int) -> tuple[float, float] | None:
        key = (index, unit, axis)
        if key not in self.memo:
            self.memo[key] = (unit, unit) if index == -1 else self._walk(index, unit, axis)
        return self.memo[key]

    def _walk(self, index: int, unit: int, axis: int) -> tuple[float, float] | None:
        geometry = self.trace.geometry.get(index)
        first = last = unit
        if geometry is not None:
            a = geometry[axis]
            reach = a.dilation * (a.kernel - 1)
            if a.transposed:
                first, last = math.ceil((unit + a.pad - reach) / a.stride), math.floor((unit + a.pad) / a.stride)
            else:
                first = math.floor(unit * a.stride - a.pad)
                last = first + reach
        if first > last:
            return None  # a transposed convolution with stride > kernel leaves some units unread
        fields = [f for i in self.trace.nodes[index].inputs
                  for f in (self.of(i, first, axis), self.of(i, last, axis)) if f is not None]
        return (min(f[0] for f in fields), max(f[1] for f in fields)) if fields else None

    def widest(self, index: int, units: range, axis: int) -> int:
        sizes = [f[1] - f[0] + 1 for u in units if (f := self.of(index, u, axis)) is not None]
        return round(max(sizes)) if sizes else 0


def fields_of(trace: GeometryTrace) -> list[LayerRF]:
    state: dict[int, tuple[Field, Field] | None] = {-1: INPUT_FIELD}
    uneven: dict[int, bool] = {-1: False}
    units = UnitFields(trace)
    rows: list[LayerRF] = []
    for node in trace.nodes:
        sources = [state.get(i) for i in node.inputs]
        # torch.stack (FractalNet's join) adds a leading dimension; the spatial axes are still the last two.
        spatial = len(node.output_shape) == 3 or (node.kind == "stack" and len(node.output_shape) == 4)
        out_hw = tuple(node.output_shape[-2:]) if spatial else None
        if not sources or any(s is None for s in sources) or out_hw is None:
            state[node.index] = None  # past the flatten: the whole image
            continue
        before = union(sources)
        geometry = trace.geometry.get(node.index)
        after = tuple(f.step(a) for f, a in zip(before, geometry)) if geometry else before
        state[node.index] = after
        uneven[node.index] = any(uneven.get(i, False) for i in node.inputs) or any(map(_uneven, geometry or ()))
        if not node.first_call or (geometry is None and not (node.module is None and node.kind in JOIN_OPS)):
            continue
        in_hw = node.input_shapes[0][-2:] if node.input_shapes and len(node.input_shapes[0]) == 3 else None
        rf_hw = tuple(units.widest(node.index, range(n), axis) if uneven[node.index] else f.size
                      for axis, (f, n) in enumerate(zip(after, out_hw)))
        rows.append(LayerRF(
            name=node.name, kind=node.kind,
            kernel=_text([a.kernel for a in geometry]) if geometry else "",
            stride=_text([a.stride for a in geometry]) if geometry else "",
            rf_hw=rf_hw, jump_hw=tuple(f.jump for f in after),
            start_hw=tuple((f.lo + f.hi) / 2 for f in after), output_hw=out_hw,
            rf_in=max(f.size for f in before), jump_in=before[0].jump,
            global_pool="pool" in node.kind.lower() and out_hw == (1, 1) and bool(in_hw) and tuple(in_hw) != (1, 1),
            uniform=not uneven[node.index],
            effective_kernel=_text([a.dilation * (a.kernel - 1) + 1 for a in geometry]) if geometry else ""))
    return rows


def receptive_fields(variant: Variant, input_size: int | None = None) -> list[LayerRF]:
    """The field of every convolution, pooling and join of a registry model (inference path, eval mode)."""
    model = variant.build_on_meta().eval()
    return model_receptive_fields(model, variant.example_inputs(input_size))


def last_stage(fields: list[LayerRF]) -> LayerRF:
    """The last convolutional stage: the last field-changing call before global pooling or flattening."""
    spatial = [f for f in fields if not f.global_pool]
    if not spatial:
        raise ValueError(_("the model has no convolution or pooling layer"))
    return spatial[-1]


def unit_box(layer_rf: LayerRF, row: int, col: int, image_size) -> tuple[int, int, int, int]:
    """Pixels seen by unit (row, col): (top, left, bottom, right), clipped to the image.

    Bottom and right are exclusive, as in slicing: ``image[top:bottom, left:right]`` is the field.
    """
    height, width = (image_size, image_size) if isinstance(image_size, int) else image_size
    top, left = layer_rf.first_pixel(row, 0), layer_rf.first_pixel(col, 1)
    bottom, right = top + layer_rf.rf_hw[0], left + layer_rf.rf_hw[1]
    return (max(0, math.floor(top)), max(0, math.floor(left)),
            min(height, math.ceil(bottom)), min(width, math.ceil(right)))
