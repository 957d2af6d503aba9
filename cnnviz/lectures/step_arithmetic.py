"""The worked arithmetic of one layer of the step-through walk (``cnnviz.lectures.stepper``): the ``Worked`` lines
a step shows, each a formula, this layer's numbers put into it and the result, for the output size, parameters and
MACs of a convolution, pooling, adaptive pooling, LRN or fully connected layer, and for the receptive field and
jump after it; and the small text helpers the walk's descriptions share (``pair``, ``hw_text``, ``pool_name``...).
The numbers come from the traced ``LayerRow`` and the recursion's ``LayerRF`` row, computed by ``conv_arithmetic``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from torch import nn

from cnnviz.analysis import conv_arithmetic as arithmetic
from cnnviz.analysis.receptive_field.recursion import LayerRF
from cnnviz.analysis.summary import LayerRow
from cnnviz.format import shape_text
from cnnviz.i18n import N_, _

# What a worked line is about: fixed words, so that the page can translate them.
OUTPUT_SIZE, PARAMETERS, MACS = N_("Output size"), N_("Parameters"), N_("MACs")
RECEPTIVE_FIELD, JUMP = N_("Receptive field"), N_("Jump")
CHANNELS, SHAPES, NORMALISATION, STEP_PARAMETERS = N_("Channels"), N_("Shapes"), N_("Normalisation"), N_("Step parameters")


@dataclass(frozen=True)
class Worked:
    what: str  # OUTPUT_SIZE, PARAMETERS, MACS, RECEPTIVE_FIELD, JUMP, ...
    formula: str  # symbolic: "⌊(W − F + 2P)/S⌋ + 1"
    worked: str  # this layer's numbers: "⌊(227 − 11 + 2·0)/4⌋ + 1"
    result: str  # "55"; counts with thousands separators: "34,944"


def pair(value) -> tuple[int, int]:
    return tuple(value) if isinstance(value, (tuple, list)) else (value, value)


def size_text(shape: tuple[int, ...]) -> str:
    """The output size a worked line states: "55" for a square map, "17x8" otherwise, "4096" for a vector."""
    if len(shape) < 3:
        return str(shape[-1]) if shape else ""
    height, width = shape[-2:]
    return str(height) if height == width else f"{height}x{width}"


def hw_text(shape: tuple[int, ...]) -> str:
    return "x".join(str(d) for d in shape[-2:])


def terms(values: list[int], most: int = 8) -> list[str]:
    shown = [f"{v:,}" for v in values[:most]]
    return shown + [_("… ({count} terms)").format(count=len(values))] if len(values) > most else shown


def pool_name(module: nn.Module) -> str:
    """Which texts a pooling layer gets, "max" or "average" (the word itself is not shown)."""
    return "max" if "Max" in type(module).__name__ else "average"


def conv_padding(module: nn.modules.conv._ConvNd, row: LayerRow) -> list[tuple[int, int]]:
    """(before, after) padding per axis: the layer's own plus a pad module inside it (TF-style 'same')."""
    kernel, dilation = pair(module.kernel_size), pair(module.dilation)
    if module.padding == "valid":
        own = [(0, 0), (0, 0)]
    elif module.padding == "same":
        totals = [d * (k - 1) for k, d in zip(kernel, dilation)]
        own = [(t // 2, t - t // 2) for t in totals]
    else:
        own = [(p, p) for p in pair(module.padding)]
    left, right, top, bottom = row.pre_padding or (0, 0, 0, 0)
    return [(own[0][0] + top, own[0][1] + bottom), (own[1][0] + left, own[1][1] + right)]


def _size_worked(width: int, kernel: int, stride: int, pad: tuple[int, int], dilation: int, ceil: bool,
                 transposed: bool, output_padding: int) -> tuple[str, str, int]:
    """(formula, worked, size) of one axis, computed by ``conv_arithmetic``."""
    low, high = pad
    # Asymmetric padding: pad the sides first, then slide without padding.
    padded_width, padding = (width, low) if low == high else (width + low + high, 0)
    if transposed:
        size = arithmetic.transposed_output_size(width, kernel, stride, low, dilation, output_padding)
        return ("(W − 1)·S − 2P + D(F − 1) + output_padding + 1",
                f"({width} − 1)·{stride} − 2·{low} + {dilation}·({kernel} − 1) + {output_padding} + 1", size)
    size = arithmetic.output_size(padded_width, kernel, stride, padding, dilation, ceil)
    pads, added = ("2P", f"2·{low}") if low == high else ("P_before + P_after", f"{low} + {high}")
    span = f"{width} − {arithmetic.effective_kernel(kernel, dilation)} + {added}"
    kernel_symbol = "F_eff" if dilation > 1 else "F"
    left, right = ("⌈", "⌉") if ceil else ("⌊", "⌋")
    formula = f"{left}(W − {kernel_symbol} + {pads})/S{right} + 1"
    worked = f"{left}({span})/{stride}{right} + 1"
    if ceil and arithmetic.ceil_mode_drops_last_window(padded_width, kernel, stride, padding, dilation):
        worked = _("{worked} − 1 (the last window would start in the padding)").format(worked=worked)
    if dilation > 1:
        worked = f"F_eff = {dilation}·({kernel} − 1) + 1 = {arithmetic.effective_kernel(kernel, dilation)}; {worked}"
        formula += ", F_eff = D(F − 1) + 1"
    return formula, worked, size


def _output_size(axes: list[tuple[str, str, int]]) -> Worked:
    (formula, worked_h, height), (_formula, worked_w, width) = axes
    if worked_h == worked_w:
        return Worked(OUTPUT_SIZE, formula, worked_h, str(height))
    return Worked(OUTPUT_SIZE, _("{formula} (per axis)").format(formula=formula),
                  f"H: {worked_h} = {height}; W: {worked_w} = {width}",
                  str(height) if height == width else f"{height}x{width}")


def conv_worked(module: nn.modules.conv._ConvNd, row: LayerRow) -> tuple[Worked, ...]:
    transposed = isinstance(module, nn.modules.conv._ConvTransposeNd)
    kernel, stride, dilation = pair(module.kernel_size), pair(module.stride), pair(module.dilation)
    output_padding = pair(getattr(module, "output_padding", 0))
    in_hw, out_hw = row.input_shape[-2:], row.output_shape[-2:]
    axes = [_size_worked(in_hw[a], kernel[a], stride[a], conv_padding(module, row)[a], dilation[a], False, transposed,
                         output_padding[a]) for a in range(2)]
    filters, channels, groups = module.out_channels, module.in_channels, module.groups
    bias = module.bias is not None
    per_group = "C_in/g" if groups > 1 else "C_in"
    channels_text = f"{channels}/{groups}" if groups > 1 else str(channels)
    square = kernel[0] == kernel[1]
    f_symbol, f_text = ("F·F", f"{kernel[0]}·{kernel[0]}") if square else ("F_h·F_w", f"{kernel[0]}·{kernel[1]}")
    if square:
        params = arithmetic.params(kernel[0], channels, filters, groups, bias)
    else:  # rectangular (Inception v3's 1x7): F_h F_w C_in / g weights per filter
        params = filters * kernel[0] * kernel[1] * (channels // groups) + (filters if bias else 0)
    if bias:
        params_formula = f"K·({f_symbol}·{per_group} + 1)"
        params_worked = f"{filters}·({f_text}·{channels_text} + 1)"
    else:
        params_formula = _("{formula} (no bias)").format(formula=f"K·{f_symbol}·{per_group}")
        params_worked = f"{filters}·{f_text}·{channels_text}"
    if transposed:
        macs = (arithmetic.transposed_macs(in_hw[0], in_hw[1], channels, filters, kernel[0], groups) if square
                else in_hw[0] * in_hw[1] * channels * kernel[0] * kernel[1] * (filters // groups))
        filters_text = f"{filters}/{groups}" if groups > 1 else str(filters)
        macs_formula = f"H_in·W_in·C_in · {f_symbol}·{'K/g' if groups > 1 else 'K'}"
        macs_worked = f"{in_hw[0]}·{in_hw[1]}·{channels} · {f_text}·{filters_text}"
    else:
        macs = (arithmetic.macs(out_hw[0], out_hw[1], filters, kernel[0], channels, groups) if square
                else out_hw[0] * out_hw[1] * filters * kernel[0] * kernel[1] * (channels // groups))
        macs_formula = f"H_out·W_out·K · {f_symbol}·{per_group}"
        macs_worked = f"{out_hw[0]}·{out_hw[1]}·{filters} · {f_text}·{channels_text}"
    return (_output_size(axes), Worked(PARAMETERS, params_formula, params_worked, f"{params:,}"),
            Worked(MACS, macs_formula, macs_worked, f"{macs:,}"))


def pool_worked(module: nn.Module, row: LayerRow) -> tuple[Worked, ...]:
    kernel, stride = pair(module.kernel_size), pair(module.stride or module.kernel_size)
    padding = pair(getattr(module, "padding", 0))
    dilation = pair(getattr(module, "dilation", 1))
    ceil = bool(getattr(module, "ceil_mode", False))
    in_hw = row.input_shape[-2:]
    axes = [_size_worked(in_hw[a], kernel[a], stride[a], (padding[a], padding[a]), dilation[a], ceil, False, 0)
            for a in range(2)]
    rule = (_("a fixed rule: the max of each window") if pool_name(module) == "max"
            else _("a fixed rule: the average of each window"))
    return _output_size(axes), _no_parameters(rule)


def adaptive_worked(row: LayerRow) -> tuple[Worked, ...]:
    what = _("one value per map (global pool)") if row.output_shape[-2:] == (1, 1) else _("bins chosen by the layer")
    sizes = f"{hw_text(row.input_shape)} → {hw_text(row.output_shape)}: {what}"
    return (Worked(OUTPUT_SIZE, _("set by the layer (adaptive): its output_size"), sizes,
                   size_text(row.output_shape)),
            _no_parameters(_("a fixed rule over each bin")))


def lrn_worked(module: nn.LocalResponseNorm, row: LayerRow) -> tuple[Worked, ...]:
    return (Worked(OUTPUT_SIZE, _("unchanged: each value is scaled by its neighbouring channels"),
                   f"{shape_text(row.input_shape)} → {shape_text(row.output_shape)}", size_text(row.output_shape)),
            Worked(NORMALISATION, _("b_c = a_c / (k + α/n · Σ a_c′²)^β over n neighbouring channels"),
                   f"n = {module.size}, α = {module.alpha:g}, β = {module.beta:g}, k = {module.k:g}",
                   _("no parameters")))


def linear_worked(module: nn.Linear, row: LayerRow) -> tuple[Worked, ...]:
    n_in, n_out = module.in_features, module.out_features
    bias = module.bias is not None
    # A fully connected layer is a convolution with one 1x1 filter per output over N_in channels.
    params = arithmetic.params(1, n_in, n_out, 1, bias)
    positions = math.prod(row.output_shape) // n_out  # 1 for a vector; applied at every position otherwise
    macs = positions * arithmetic.macs(1, 1, n_out, 1, n_in)
    formula, worked = (("N_out·(N_in + 1)", f"{n_out}·({n_in} + 1)") if bias
                       else (_("{formula} (no bias)").format(formula="N_out·N_in"), f"{n_out}·{n_in}"))
    at = f"{positions}·" if positions > 1 else ""
    return (Worked(PARAMETERS, formula, worked, f"{params:,}"),
            Worked(MACS, _("positions·N_in·N_out") if at else "N_in·N_out", f"{at}{n_in}·{n_out}", f"{macs:,}"))


def _no_parameters(rule: str) -> Worked:
    return Worked(PARAMETERS, _("no parameters"), rule, "0")


def field_worked(layer_rf: LayerRF) -> tuple[Worked, ...]:
    rf_result = str(layer_rf.rf) if len(set(layer_rf.rf_hw)) == 1 else "x".join(map(str, layer_rf.rf_hw))
    jumps = layer_rf.jump_hw
    jump_result = f"{jumps[0]:g}" if jumps[0] == jumps[1] else "x".join(f"{j:g}" for j in jumps)
    transposed = layer_rf.jump < layer_rf.jump_in
    jump_formula = "j_k = j_{k−1}/S" if transposed else "j_k = j_{k−1}·S"
    stride = layer_rf.stride if "x" not in layer_rf.stride else f"({layer_rf.stride})"
    if not layer_rf.kernel:  # a join: the union of its branches' fields
        return (Worked(RECEPTIVE_FIELD, _("the widest of the joined branches"), _(layer_rf.recursion()), rf_result),
                Worked(JUMP, _("the joined branches' jump"), _("unchanged"), jump_result))
    jump_worked = f"{layer_rf.jump_in:g}{'/' if transposed else '·'}{stride}"
    return (Worked(RECEPTIVE_FIELD, "l_k = l_{k−1} + (F_eff − 1)·j_{k−1}", _(layer_rf.recursion()), rf_result),
            Worked(JUMP, jump_formula, jump_worked, jump_result))
