"""Where "Check yourself" questions come from, and how torch answers them: a model's own layer
(``from_layer``, ``questions``), fresh numbers for the same kind of layer (``new_numbers``), and the layer built and
counted in PyTorch (``measure``, ``measure_module``). The questions, their answers and diagnoses are ``quiz``.
"""

from __future__ import annotations

import random
from dataclasses import replace

from cnnviz.analysis import conv_arithmetic as arithmetic
from cnnviz.lectures.quiz import LayerQuestion

POOLING_TYPES = {"MaxPool2d": False, "AvgPool2d": True}  # layer type -> averages (instead of taking the max)


def measure(question: LayerQuestion) -> tuple[int, int, int]:
    """(output size, parameters, MACs) of the layer built in torch from the question, on the meta device."""
    from torch import nn

    if question.pooling:
        if question.average:
            layer = nn.AvgPool2d(question.kernel, question.stride, question.padding, question.ceil_mode)
        else:
            layer = nn.MaxPool2d(question.kernel, question.stride, question.padding, question.dilation,
                                 ceil_mode=question.ceil_mode)
    else:
        layer = nn.Conv2d(question.in_channels, question.filters, question.kernel, question.stride,
                          question.padding, question.dilation, question.groups, bias=question.bias)
    if question.pad_after != question.padding:
        pads = (0, question.pad_after - question.padding) * 2  # the extra right and bottom padding
        layer = nn.Sequential(nn.ZeroPad2d(pads), layer)
    return measure_module(layer, (question.in_channels, question.in_size, question.in_size))


def measure_module(module, input_shape: tuple[int, ...]) -> tuple[int, int, int]:
    """(output size, parameters, MACs) of a torch module on one input of ``input_shape``: a meta forward pass,
    the module's own parameters and PyTorch's FLOP counter."""
    from cnnviz.analysis import counting

    return (counting.output_shape(module, input_shape)[-1], counting.parameters(module),
            counting.macs(module, input_shape))


def new_numbers(question: LayerQuestion, seed: int) -> LayerQuestion:
    """Same kind of layer (convolution or pooling, bias, ceil_mode, the input's field), fresh settings; the
    division is whole unless ceil_mode rounds it (so the answer is a whole number of pixels either way)."""
    rng = random.Random(seed)
    for _attempt in range(1000):
        kernel = rng.choice([1, 3, 5, 7, 11] if not question.pooling else [2, 3])
        stride = rng.choice([1, 2, 4] if kernel > 3 else [1, 2])
        padding = rng.choice([0, kernel // 2])
        in_size = rng.randrange(max(kernel, 8), 232)
        channels = rng.choice([1, 3, 16, 32, 64, 96, 128, 256])
        candidate = replace(question, in_size=in_size, in_channels=channels, kernel=kernel, stride=stride,
                            padding=padding, padding_after=None, groups=1, dilation=1,
                            filters=channels if question.pooling else rng.choice([16, 32, 64, 96, 128, 256, 384]))
        if (candidate.divides_evenly or candidate.ceil_mode) and candidate.output_size >= 1:
            return candidate
    raise RuntimeError("no evenly dividing layer found")  # unreachable in practice: 1x1 stride 1 always divides


def _one(text: str) -> int | None:
    """The single number of a square setting ("3"), or None for a per-axis one ("1x7")."""
    return int(text) if text and "x" not in text else None


def _field_of(row, field, question: LayerQuestion) -> tuple[int | None, int | None]:
    """The input's (field, jump) where the notes' one-number recursion gives this layer's field exactly.

    It does not where joined branches' fields are offset (their union is wider than the widest), after a
    transposed convolution, or per axis; those layers get no field question."""
    if field is None or not field.uniform or len(set(field.rf_hw)) > 1 or len(set(field.jump_hw)) > 1:
        return None, None
    if not float(field.jump_in).is_integer() or field.jump_in <= 0:
        return None, None
    step = arithmetic.receptive_field_step(field.rf_in, field.jump_in, question.kernel, question.stride,
                                           question.dilation)
    if step != (field.rf, field.jump):
        return None, None
    return field.rf_in, int(field.jump_in)


def from_layer(row, field=None) -> LayerQuestion | None:
    """A question about a model's own layer (a LayerRow), or None when it is not a square convolution or
    pooling layer on a square input. ``field``: the layer's LayerRF from the receptive-field recursion."""
    pooling = row.type in POOLING_TYPES
    convolution = row.groups is not None and "Transpose" not in row.type
    if not (pooling or convolution) or len(row.input_shape) != 3 or row.input_shape[1] != row.input_shape[2]:
        return None
    kernel, stride, padding = _one(row.kernel), _one(row.stride), _one(row.padding)
    dilation = _one(row.dilation) or 1
    if None in (kernel, stride, padding):
        return None
    padding_after = None
    if row.pre_padding:
        left, right, top, bottom = row.pre_padding
        if (left, right) != (top, bottom) or padding:
            return None
        padding, padding_after = left, right
    channels, size = row.input_shape[0], row.input_shape[-1]
    question = LayerQuestion(size, channels, channels if pooling else row.output_shape[0], kernel, stride, padding,
                             pooling, row.groups or 1, bias=row.bias, ceil_mode=row.ceil_mode, dilation=dilation,
                             padding_after=padding_after, average=POOLING_TYPES.get(row.type, False))
    field_in, jump_in = _field_of(row, field, question)
    return replace(question, field_in=field_in, jump_in=jump_in)


def questions(summary, fields=()) -> dict[str, LayerQuestion]:
    """Every layer of the inference path that the quiz can ask about, by name, in execution order.
    ``fields``: the model's LayerRFs (``receptive_field.recursion``), for the field and jump questions."""
    by_name = {f.name: f for f in fields}
    return {row.name: q for row in summary.layers if not row.auxiliary and not row.shared
            and (q := from_layer(row, by_name.get(row.name)))}


def default_layer(asked: dict[str, LayerQuestion]) -> str:
    """A layer in the middle of the network, preferring a convolution with a spatial kernel (it has the most to
    work out: a pooling learns nothing and a 1x1 sees no neighbours)."""
    names = list(asked)
    spatial = ([i for i, name in enumerate(names) if asked[name].kernel > 1 and not asked[name].pooling]
               or [i for i, name in enumerate(names) if not asked[name].pooling] or list(range(len(names))))
    middle = (len(names) - 1) / 2
    return names[min(spatial, key=lambda i: (abs(i - middle), i))]


def module_of(summary, name: str):
    """The traced model's own module called ``name`` (for measuring the real layer)."""
    return next(node.module for node in summary.nodes if node.name == name and node.module is not None)
