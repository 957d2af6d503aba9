"""What each ONNX operator costs and how it moves a receptive field.

MACs follow the registry's convention (``cnnviz.analysis.summary``): multiply-accumulates of convolutions and
matrix products, bias adds not counted. Operators that surely do no such products (activations, pooling,
normalisation, reshapes...) count 0; any other operator (a recurrent layer, a quantized convolution, a custom
domain's) is listed as uncounted: 0 MACs in the totals, flagged on the page.
"""

from __future__ import annotations

import math

from onnx import helper

from cnnviz.analysis.receptive_field.geometry import Axis

CONVOLUTIONS = {"Conv", "ConvTranspose"}
PRODUCTS = {"Gemm", "MatMul"}
# Inputs that hold learned weights, by position (a constant there is a parameter): bias, scale and shift of
# normalisations; BatchNormalization's running mean and variance (positions 3, 4) are statistics, not parameters.
WEIGHT_INPUTS = {"Conv": (1, 2), "ConvTranspose": (1, 2), "Gemm": (0, 1, 2), "MatMul": (0, 1),
                 "BatchNormalization": (1, 2), "InstanceNormalization": (1, 2), "LayerNormalization": (1, 2),
                 "GroupNormalization": (1, 2), "RMSNormalization": (1,), "PRelu": (1,)}
# Element-wise ops whose constant operand is learned when it is more than one number (a bias, a layer scale, a
# position embedding); a single number is a constant of the formula (x / 6, x + 3).
ELEMENTWISE_WEIGHTS = {"Add", "Sub", "Mul", "Div"}
JOINS = {"Add": "add", "Sum": "add", "Sub": "sub", "Mul": "mul", "Concat": "cat"}  # as the torch trace names them
# Operators without multiply-accumulates in the convention above.
NO_MACS = {
    "Abs", "Acos", "Acosh", "Add", "And", "ArgMax", "ArgMin", "Asin", "Asinh", "Atan", "Atanh", "AveragePool",
    "BatchNormalization", "Cast", "CastLike", "Ceil", "Celu", "Clip", "Concat", "Constant", "ConstantOfShape", "Cos",
    "Cosh", "CumSum", "DepthToSpace", "Div", "Dropout", "Elu", "Equal", "Erf", "Exp", "Expand", "EyeLike", "Flatten",
    "Floor", "Gather", "GatherElements", "GatherND", "Gelu", "GlobalAveragePool", "GlobalLpPool", "GlobalMaxPool",
    "Greater", "GreaterOrEqual", "GroupNormalization", "HardSigmoid", "HardSwish", "Hardmax", "Identity",
    "InstanceNormalization", "IsInf", "IsNaN", "LRN", "LayerNormalization", "LeakyRelu", "Less", "LessOrEqual", "Log",
    "LogSoftmax", "LpNormalization", "LpPool", "Max", "MaxPool", "MaxRoiPool", "MaxUnpool", "Mean",
    "MeanVarianceNormalization", "Min", "Mish", "Mod", "Mul", "Neg", "NonZero", "Not", "OneHot", "Or", "PRelu",
    "Pad", "Pow", "RMSNormalization", "Range", "Reciprocal", "ReduceL1", "ReduceL2", "ReduceLogSum",
    "ReduceLogSumExp", "ReduceMax", "ReduceMean", "ReduceMin", "ReduceProd", "ReduceSum", "ReduceSumSquare", "Relu",
    "Reshape", "Resize", "Round", "Scatter", "ScatterElements", "ScatterND", "Selu", "Shape", "Shrink", "Sigmoid",
    "Sign", "Sin", "Sinh", "Size", "Slice", "Softmax", "Softplus", "Softsign", "SpaceToDepth", "Split", "Sqrt",
    "Squeeze", "Sub", "Sum", "Tan", "Tanh", "ThresholdedRelu", "Tile", "TopK", "Transpose", "Trilu", "Unsqueeze",
    "Upsample", "Where", "Xor"}
# Layers that hand back their input's values unchanged or as a view: no new activations (ACTIVATIONS_DEFINITION).
VIEWS = {"Identity", "Dropout", "Flatten", "Reshape", "Squeeze", "Unsqueeze"}
POOLS = {"MaxPool", "AveragePool", "LpPool"}
GLOBAL_POOLS = {"GlobalAveragePool", "GlobalMaxPool", "GlobalLpPool"}


def attributes(node) -> dict:
    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def counted(node) -> bool:
    """Whether the op's MACs are known: a default-domain op that does no products, or one we count."""
    return node.domain in ("", "ai.onnx") and (node.op_type in NO_MACS | CONVOLUTIONS | PRODUCTS)


def macs(node, shapes: dict[str, tuple[int, ...]], batch: int) -> int:
    """Multiply-accumulates of one image (``shapes``: every tensor's full shape, batch first)."""
    out = shapes.get(node.output[0])
    if node.op_type == "Conv":
        return math.prod(out) * math.prod(shapes[node.input[1]][1:]) // batch
    if node.op_type == "ConvTranspose":  # each input element is scattered through an (out/groups x k x k) kernel
        return math.prod(shapes[node.input[0]]) * math.prod(shapes[node.input[1]][1:]) // batch
    if node.op_type == "Gemm":
        a = shapes[node.input[0]]
        inner = a[0] if attributes(node).get("transA", 0) else a[-1]
        return math.prod(out) * inner // batch
    if node.op_type == "MatMul":
        return math.prod(out) * shapes[node.input[0]][-1] // batch
    return 0


def _text(values) -> str:
    """(3, 3) -> "3", (1, 7) -> "1x7", as the registry's table writes kernels and strides."""
    values = list(values)
    if not values:
        return ""
    return str(values[0]) if len(set(values)) == 1 else "x".join(map(str, values))


def begin_pads(node, in_hw, kernel, stride, dilation) -> list[int]:
    """The padding before each spatial axis (explicit pads, or auto_pad's SAME as ONNX defines it)."""
    values = attributes(node)
    auto = values.get("auto_pad", b"NOTSET")
    auto = auto.decode() if isinstance(auto, bytes) else auto
    if auto in ("SAME_UPPER", "SAME_LOWER"):
        pads = []
        for size, k, s, d in zip(in_hw, kernel, stride, dilation):
            total = max((math.ceil(size / s) - 1) * s + (k - 1) * d + 1 - size, 0)
            pads.append(total // 2 if auto == "SAME_UPPER" else total - total // 2)
        return pads
    if auto == "VALID":
        return [0] * len(kernel)
    pads = list(values.get("pads", [0] * 2 * len(kernel)))
    return pads[:len(kernel)]


def layout(node, shapes: dict[str, tuple[int, ...]]) -> dict:
    """The table's kernel, stride, padding and groups of a convolution or pooling (empty for other ops)."""
    if node.op_type not in CONVOLUTIONS | POOLS:
        return {}
    values = attributes(node)
    if node.op_type in CONVOLUTIONS:
        kernel = list(values.get("kernel_shape") or shapes[node.input[1]][2:])
    else:
        kernel = list(values["kernel_shape"])
    stride = list(values.get("strides", [1] * len(kernel)))
    dilation = list(values.get("dilations", [1] * len(kernel)))
    in_hw = shapes[node.input[0]][2:]
    all_pads = list(values.get("pads", []))
    begin = begin_pads(node, in_hw, kernel, stride, dilation)
    symmetric = not all_pads or all_pads[:len(kernel)] == all_pads[len(kernel):]
    return {"kernel": kernel, "stride": stride, "dilation": dilation, "begin": begin,
            "padding": _text(begin) if symmetric else ",".join(map(str, all_pads)),
            "groups": int(values.get("group", 1)) if node.op_type in CONVOLUTIONS else None,
            "ceil_mode": bool(values.get("ceil_mode", 0))}


def geometry(node, shapes: dict[str, tuple[int, ...]], constants: dict) -> tuple[Axis, Axis] | None:
    """How the op moves the receptive field along (height, width), for 2-D maps; None: positions kept."""
    source, out = shapes.get(node.input[0]) if node.input else None, shapes.get(node.output[0])
    if not source or not out or len(source) != 4 or len(out) != 4:
        return None
    in_hw, out_hw = source[2:], out[2:]
    if node.op_type in CONVOLUTIONS | POOLS:
        cell = layout(node, shapes)
        return tuple(Axis(cell["kernel"][i], cell["stride"][i], cell["begin"][i], cell["dilation"][i],
                          node.op_type == "ConvTranspose", cell["ceil_mode"]) for i in range(2))
    if node.op_type in GLOBAL_POOLS:
        return tuple(Axis(size, size) for size in in_hw) if tuple(in_hw) != (1, 1) else None
    if node.op_type in ("Resize", "Upsample") and tuple(in_hw) != tuple(out_hw):
        return tuple(Axis(1, n_in / n_out) for n_in, n_out in zip(in_hw, out_hw))
    if node.op_type == "Pad":
        pads = attributes(node).get("pads")
        if pads is None and len(node.input) > 1:
            pads = constants.get(node.input[1])
        if pads is None or len(pads) != 8:
            return None
        return Axis(pad=int(pads[2])), Axis(pad=int(pads[3]))  # (begin of H, begin of W) of an NCHW tensor
    return None
