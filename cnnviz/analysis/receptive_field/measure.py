"""Receptive fields measured by back-propagation, to check the recursion in ``cnnviz.analysis.receptive_field.recursion``.

A unit's theoretical field is every input pixel with some path to it. To see all of them in a gradient,
the model is linearised: activations, normalisations and dropout become the identity, max-pooling
becomes average pooling with the same window (a max sends gradient to one pixel only), and every
convolution weight is the same positive number, 1 / fan-in. Every path then carries a positive product
and no two cancel, so the non-zero gradient is exactly the field. Products over ~150 layers reach
1e-70, hence float64.

With one constant weight, output channel o of a convolution is the mean of its group's input channels
over the window: the group's channel sum convolved with one all-equal kernel. Computing it that way gives
the same numbers as the full convolution at a fraction of the cost, so nothing is materialised: the
model stays on ``meta`` and only the input and the maps are real. The input is one or a few pixels
high (the axes are independent), so even DenseNet-264's 5399-pixel field is cheap to measure.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn
from torch.overrides import TorchFunctionMode

from cnnviz.analysis.receptive_field.geometry import GeometryTrace, trace_geometry
from cnnviz.analysis.receptive_field.recursion import LayerRF, UnitFields, fields_of, last_stage
from cnnviz.i18n import _
from cnnviz.zoo.spec import Variant

IDENTITY = {"relu", "relu_", "relu6", "hardtanh", "hardtanh_", "elu", "elu_", "selu", "celu", "leaky_relu",
            "leaky_relu_", "gelu", "silu", "mish", "hardswish", "hardsigmoid", "sigmoid", "tanh", "softplus",
            "prelu", "rrelu", "threshold", "threshold_", "batch_norm", "instance_norm", "layer_norm", "group_norm",
            "local_response_norm", "dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout",
            "feature_alpha_dropout"}
POOL_ARGS = ("kernel_size", "stride", "padding", "dilation", "ceil_mode")


CONV_ARGS = ("weight", "bias", "stride", "padding", "dilation", "groups")
TRANSPOSED_ARGS = ("weight", "bias", "stride", "padding", "output_padding", "groups", "dilation")


def _constant_conv(x: torch.Tensor, values: dict, transposed: bool) -> torch.Tensor:
    """A convolution whose weights all equal 1 / fan-in, from the channel sums of each group."""
    weight, groups = values["weight"], values.get("groups", 1)
    batch, channels, height, width = x.shape
    per_group_out = weight.shape[1] if transposed else weight.shape[0] // groups
    kernel = torch.full((1, 1, *weight.shape[2:]), 1 / math.prod(weight.shape[1:]), dtype=x.dtype)
    sums = x.reshape(batch * groups, channels // groups, height, width).sum(1, keepdim=True)
    if transposed:
        out = F.conv_transpose2d(sums, kernel, None, values.get("stride", 1), values.get("padding", 0),
                                 values.get("output_padding", 0), 1, values.get("dilation", 1))
    else:
        out = F.conv2d(sums, kernel, None, values.get("stride", 1), values.get("padding", 0),
                       values.get("dilation", 1))
    return out.reshape(batch, groups, *out.shape[-2:]).repeat_interleave(per_group_out, dim=1)


class Linearised(TorchFunctionMode):
    """Identity for activations and normalisations, average- for max-pooling, constant convolutions."""

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        name = getattr(func, "__name__", "")
        if name in IDENTITY:
            return args[0] if args else kwargs["input"]
        if name in ("conv2d", "conv_transpose2d"):
            transposed = name == "conv_transpose2d"
            values = dict(zip(TRANSPOSED_ARGS if transposed else CONV_ARGS, args[1:]), **kwargs)
            return _constant_conv(args[0], values, transposed)
        if name == "max_pool2d":
            values = dict(zip(POOL_ARGS, args[1:]), **kwargs)
            if values.get("dilation", 1) not in (1, (1, 1)):
                raise ValueError(_("a dilated max-pool has no average-pool twin"))
            return F.avg_pool2d(args[0], values["kernel_size"], values.get("stride"), values.get("padding", 0),
                                values.get("ceil_mode", False))
        if name == "adaptive_max_pool2d":
            return F.adaptive_avg_pool2d(*args, **kwargs)
        return func(*args, **kwargs)


class OutsideMap(ValueError):
    """The unit asked for is not in the layer's map."""


def input_gradient(model: nn.Module, layer: str, inputs, row: int, col: int) -> torch.Tensor:
    """d(sum over channels of ``layer``'s unit (row, col)) / d(first input), in the model's current state."""
    inputs = tuple(x.detach().clone().requires_grad_(True) for x in inputs)
    was_training = model.training
    model.eval()
    try:
        output = trace_geometry(model, inputs, stop_at=layer, grad=True).captured
    finally:
        model.train(was_training)
    if output is None:
        raise ValueError(_("'{layer}' is not a layer of this model (or it does not run)").format(layer=layer))
    height, width = output.shape[-2:]
    if not (0 <= row < height and 0 <= col < width):
        raise OutsideMap(f"unit ({row}, {col}) is outside {layer}'s {height}x{width} map")
    # Only w.r.t. the input: .backward() would also accumulate .grad on the (possibly shared) parameters.
    (gradient,) = torch.autograd.grad(output[..., row, col].sum(), inputs[0])
    return gradient


@dataclass(frozen=True)
class MeasuredRF:
    layer: str
    rf_hw: tuple[int, int]  # extent of non-zero gradient, per axis
    first_hw: tuple[int, int]  # first input pixel with non-zero gradient, per axis
    unit_hw: tuple[int, int]  # index of the measured unit along each axis
    input_hw: tuple[tuple[int, int], tuple[int, int]]  # the input used to measure each axis
    mirrored: bool = False  # every layer is square, so the height was not measured: it equals the width

    @property
    def rf(self) -> int:
        return max(self.rf_hw)


def _shortest(trace: GeometryTrace, end: int, axis: int) -> int:
    """The smallest input size along ``axis`` for which every map up to node ``end`` is at least one unit:
    walked back from it, each call needs (n_out - 1) * stride + dilation * (kernel - 1) + 1 - 2 * pad."""
    need = {end: 1}
    for node in reversed(trace.nodes):
        n_out = need.get(node.index)
        if n_out is None:
            continue  # does not feed the layer
        geometry = trace.geometry.get(node.index)
        n_in = n_out
        if geometry is not None:
            a = geometry[axis]
            reach = a.dilation * (a.kernel - 1)
            if a.transposed:
                n_in = math.ceil((n_out - 1 - reach + 2 * a.pad) / a.stride) + 1
            else:  # a ceil-mode pooling keeps a partial last window: one stride less
                n_in = math.ceil((n_out - 1 - a.ceil_mode) * a.stride) + reach + 1 + a.ceil_mode - 2 * math.floor(a.pad)
        for source in node.inputs:
            need[source] = max(need.get(source, 1), n_in, 1)
    return need.get(-1, 1)


def _widest_unit(model, channels, layer: LayerRF, axis: int, hw: tuple[int, int]) -> int | None:
    """Where units' fields differ (after a transposed convolution), the unit with the widest field that lies
    inside an input of ``hw``, if it is as wide as any: that is the one to measure."""
    trace = trace_geometry(model, tuple(torch.zeros((1, c, *hw), device="meta") for c in channels),
                           stop_at=layer.name)
    end = next(n.index for n in trace.nodes if n.name == layer.name)
    units, size = UnitFields(trace), trace.nodes[end].output_shape[-2:][axis]
    inside = {u: f[1] - f[0] + 1 for u in range(size)
              if (f := units.of(end, u, axis)) is not None and f[0] >= 1 and f[1] <= hw[axis] - 2}
    best = max(inside, key=inside.get, default=None)
    return best if best is not None and inside[best] >= layer.rf_hw[axis] else None


def _measure_axis(model, channels, layer: LayerRF, axis: int, short: int,
                  least: int = 0) -> tuple[int, int, tuple[int, int], int]:
    """Back-propagate from a unit of ``layer`` whose whole field lies inside an input that is long along
    ``axis`` (at least ``least`` pixels) and ``short`` across it: (field, first pixel, input (H, W), unit index).

    A field that touches the image's edge may be cut off by it, so such a measurement is repeated with
    more room."""
    jump = layer.jump_hw[axis]
    lo = layer.first_pixel(0, axis)
    unit = max(0, math.ceil((1 - lo) / jump))  # the first unit whose field starts at pixel 1 or later
    long = max(least, math.ceil(lo + unit * jump + layer.rf_hw[axis]) + 1 + math.ceil(jump))
    for _attempt in range(16):
        hw = (long, short) if axis == 0 else (short, long)
        inputs = tuple(torch.ones((1, c, *hw), dtype=torch.float64) for c in channels)
        try:
            if not layer.uniform:
                unit = _widest_unit(model, channels, layer, axis, hw)
                if unit is None:
                    long += 2 * math.ceil(jump)
                    continue
            with Linearised():
                grad = input_gradient(model, layer.name, inputs, *((unit, 0) if axis == 0 else (0, unit)))
        except OutsideMap:
            long += math.ceil(jump)  # rounding left the unit just outside the map
            continue
        except RuntimeError:
            short += max(1, short // 4)  # a constraint the walk back does not know (an adaptive pool, a crop)
            continue
        seen = grad.abs().sum(dim=(0, 1, 3 - axis)).nonzero().flatten()  # sum over the other axis
        first, last = int(seen[0]), int(seen[-1])
        if first == 0 or last == long - 1:
            unit += first == 0
            long += 2 * math.ceil(jump)
            continue
        return last - first + 1, first, hw, unit
    raise ValueError(_("no input size lets {layer} be measured").format(layer=layer.name))


def measure_module(model: nn.Module, shapes: list[tuple[int, int, int]], layer: LayerRF | str | None,
                   both_axes: bool = False, trace: GeometryTrace | None = None) -> MeasuredRF:
    """Measure the field of ``layer`` (default: the last stage) in ``model`` (on meta: only its shapes are
    used); ``shapes`` are (C, H, W) inputs on which the model runs. A model whose every layer is square is
    measured along its width only, unless ``both_axes``. ``trace``: the model's trace on ``shapes``, if known."""
    model = model.eval()
    if trace is None:
        trace = trace_geometry(model, tuple(torch.zeros((1, *s), device="meta") for s in shapes))
    rows = fields_of(trace)
    target = last_stage(rows) if layer is None else layer if isinstance(layer, LayerRF) else \
        next((r for r in rows if r.name == layer), None)
    if target is None:
        raise ValueError(_("the model has no layer '{layer}'").format(layer=layer))
    end = next(n.index for n in trace.nodes if n.name == target.name)
    square = all(h == w for index, (h, w) in trace.geometry.items() if index <= end)
    axes = (1,) if square and not both_axes else (0, 1)
    channels = [shape[0] for shape in shapes]
    # An adaptive pool's window depends on the size of its input, and the measurement picks its own input
    # sizes. Where one acts before the layer (VGG's avgpool on more than 224 pixels), the measured axis is
    # made at least as long as ``shapes``, so the pool windows are the ones the recursion was traced with.
    adaptive = any("adaptive" in node.kind.lower() for node in trace.nodes
                   if node.index <= end and node.index in trace.geometry)
    found = {axis: _measure_axis(model, channels, target, axis, _shortest(trace, end, 1 - axis),
                                 shapes[0][1 + axis] if adaptive else 0) for axis in axes}
    h = 0 if 0 in axes else 1
    return MeasuredRF(target.name, (found[h][0], found[1][0]), (found[h][1], found[1][1]),
                      (found[h][3], found[1][3]), (found[h][2][::-1] if h == 1 else found[0][2], found[1][2]),
                      mirrored=h == 1)


def measure_variant(variant: Variant, layer: str | None = None, both_axes: bool = False,
                    input_size: int | None = None) -> MeasuredRF:
    """``input_size``: the square input the layer's field is traced on (default: the variant's own); the
    default layer, the last stage, can differ with it (VGG's avgpool pools only above 224 pixels)."""
    model = variant.build_on_meta().eval()
    shapes = [tuple(x.shape[1:]) for x in variant.example_inputs(input_size)]
    return measure_module(model, shapes, layer, both_axes)


def effective_rf(model: nn.Module, layer_name: str, inputs, row: int, col: int):
    """Gradient of unit (row, col) of ``layer_name`` (summed over its channels) w.r.t. the first input:
    |d unit / d pixel| summed over colour channels, as an (H, W) numpy array."""
    return input_gradient(model, layer_name, inputs, row, col).abs().sum(dim=(0, 1)).numpy()


def measured_receptive_field(variant: Variant, layer: str | None = None, both_axes: bool = False,
                             input_size: int | None = None):
    """Back-propagate from one unit of ``layer`` (default: the last stage at ``input_size``) through a
    linearised copy of the model and read off the extent of non-zero gradient: see ``measure_variant``."""
    return measure_variant(variant, layer, both_axes, input_size)
