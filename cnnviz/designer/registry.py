"""A registry model read as a design, as far as it is a chain of the designer's layers: its calls are recorded in
one forward pass on the ``meta`` device, and each layer becomes the designer's layer with the same settings, until
the first call the designer has no layer for (a residual add, a concatenation of branches coded in ``forward``, a
layer outside the vocabulary such as local response normalisation). "The first 8 layers of VGG-16" is then a
template: ``read_registry("vgg16").design.layers[:8]``.

Every layer read is checked against the trace: the designer's output shape must be the model's, so a layer read
wrongly stops the reading there instead of going on with other numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

from cnnviz.designer.check import shapes
from cnnviz.designer.design import (LARGEST_SIDE, MOST_INPUT_CHANNELS, MOST_LAYERS, SMALLEST_SIDE, Design, Layer)
from cnnviz.designer.link import DesignFormatError, layer_from
from cnnviz.i18n import N_

# Functions called between layers that make no new values: the tensor flattened or viewed as a batch of vectors.
_FLATTENING = {"flatten", "view", "reshape"}
_ACTIVATIONS = {"ReLU": "relu", "ELU": "elu", "GELU": "gelu", "SiLU": "silu", "Tanh": "tanh", "Sigmoid": "sigmoid",
                "LeakyReLU": "leakyrelu"}


@dataclass(frozen=True)
class Reading:
    """The layers read from ``model`` (``design``, its input and classes the model's), and why the reading stopped
    before the model's end (``stop``: a template marked with N_ and its values; None when it read the whole model)."""

    model: str
    design: Design
    stop: tuple[str, dict] | None = None

    @property
    def whole(self) -> bool:
        return self.stop is None

    def reason(self, translate=None) -> str:
        """Why the reading stopped, in the session's language (``translate=str``: English)."""
        from cnnviz.i18n import _

        translate = translate or _
        template, values = self.stop
        return translate(template).format(model=self.model, **values)

    def first(self, count: int) -> Design:
        """The design of the first ``count`` layers read."""
        return self.design.with_layers(self.design.layers[:max(0, count)])


class _Unreadable(Exception):
    def __init__(self, template: str, **values: object) -> None:
        super().__init__(template)
        self.template, self.values = template, values


@dataclass
class _Call:
    """One call in the forward pass, outside the model's leaf layers: a leaf layer or a function that makes a
    tensor. ``chained``: its input was the previous call's output (the model's input for the first)."""

    name: str
    module: object | None
    chained: bool
    output_shape: tuple[int, ...] = ()


def _record(model, example):
    """The model's calls in order (``_Call``), each leaf layer once, and the functions between them."""
    import torch
    from torch.overrides import TorchFunctionMode

    calls: list[_Call] = []
    inside = [0]
    last = [id(example)]

    def chained(args) -> bool:
        return any(isinstance(a, torch.Tensor) and id(a) == last[0] for a in args)

    class Recorder(TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):
            out = func(*args, **(kwargs or {}))
            if not inside[0] and isinstance(out, torch.Tensor) and any(
                    isinstance(a, torch.Tensor) for a in args):
                name = getattr(func, "__name__", str(func))
                calls.append(_Call(name, None, chained(args), tuple(out.shape[1:])))
                last[0] = id(out)
            return out

    def pre(module, args):
        if not inside[0]:
            calls.append(_Call(type(module).__name__, module, chained(args)))
        inside[0] += 1

    def post(module, args, output):
        inside[0] -= 1
        if not inside[0] and isinstance(output, torch.Tensor):
            calls[-1].output_shape = tuple(output.shape[1:])
            last[0] = id(output)

    handles = []
    for module in model.modules():
        if not any(True for _ in module.children()):
            handles += [module.register_forward_pre_hook(pre), module.register_forward_hook(post)]
    try:
        with torch.no_grad(), Recorder():
            output = model(example)
    finally:
        for handle in handles:
            handle.remove()
    return calls, output


def _square(value, what: str) -> int:
    values = value if isinstance(value, tuple) else (value, value)
    if isinstance(values[0], str) or len(set(values)) != 1:
        raise _Unreadable(N_("its {layer} has a {what} of {value}, and the designer's are square"), what=what,
                          value="x".join(map(str, values)))
    return int(values[0])


def _layer(call: _Call) -> tuple[str, dict] | None:
    """The designer's kind and settings for one recorded call; None for one that changes nothing (Identity)."""
    from torch import nn

    module = call.module
    if module is None:
        if call.name in _FLATTENING and len(call.output_shape) == 1:
            return "flatten", {}
        raise _Unreadable(N_("its forward() calls {layer}, which the designer has no layer for"))
    if isinstance(module, nn.Identity):
        return None
    if isinstance(module, nn.Conv2d):
        if module.padding_mode != "zeros":
            raise _Unreadable(N_("its {layer} pads with {value}, and the designer's convolutions pad with zeros"),
                              value=module.padding_mode)
        return "conv", dict(out=module.out_channels, kernel=_square(module.kernel_size, "kernel"),
                            stride=_square(module.stride, "stride"), padding=_square(module.padding, "padding"),
                            dilation=_square(module.dilation, "dilation"), groups=module.groups,
                            bias=module.bias is not None)
    if isinstance(module, (nn.MaxPool2d, nn.AvgPool2d)):
        if isinstance(module, nn.MaxPool2d) and (_square(module.dilation, "dilation") != 1 or module.return_indices):
            raise _Unreadable(N_("its {layer} is a dilated pooling or returns indices, which the designer's do not"))
        if isinstance(module, nn.AvgPool2d) and (not module.count_include_pad or module.divisor_override):
            raise _Unreadable(N_("its {layer} leaves the padding out of its averages, and the designer's count it"))
        return ("maxpool" if isinstance(module, nn.MaxPool2d) else "avgpool"), dict(
            kernel=_square(module.kernel_size, "kernel"), stride=_square(module.stride, "stride"),
            padding=_square(module.padding, "padding"), ceil_mode=bool(module.ceil_mode))
    if isinstance(module, (nn.BatchNorm2d, nn.BatchNorm1d)) and module.affine:
        return "bn", {}
    if type(module).__name__ in _ACTIVATIONS:
        if isinstance(module, nn.LeakyReLU) and module.negative_slope != 0.01 or \
                isinstance(module, nn.ELU) and module.alpha != 1.0 or \
                isinstance(module, nn.GELU) and module.approximate != "none":
            raise _Unreadable(N_("its {layer} has a setting the designer's has not"))
        return _ACTIVATIONS[type(module).__name__], {}
    if type(module) is nn.Dropout:
        return "dropout", dict(p=float(module.p))
    if isinstance(module, nn.AdaptiveAvgPool2d):
        size = _square(module.output_size, "output size")
        return ("gap", {}) if size == 1 else ("adaptiveavg", dict(size=size))
    if isinstance(module, nn.Flatten) and module.start_dim == 1 and module.end_dim == -1:
        return "flatten", {}
    if isinstance(module, nn.Linear):
        return "linear", dict(out=module.out_features, inputs=module.in_features, bias=module.bias is not None)
    raise _Unreadable(N_("its {layer} is not one of the designer's layers"))


def read_registry(name: str) -> Reading:
    """The registry model ``name`` (an architecture key or a variant's name) as far as the designer reads it.
    ``UnknownModel`` for a name the registry does not have."""
    import math

    from cnnviz.zoo.registry import resolve

    _arch, variant = resolve(name)
    if len(variant.input_shapes) != 1:
        return Reading(variant.name, Design(),
                       (N_("{model} takes {count} images at once, and a design takes one"),
                        dict(count=len(variant.input_shapes))))
    channels, height, width = variant.input_shapes[0]
    if height != width or not SMALLEST_SIDE <= height <= LARGEST_SIDE or channels > MOST_INPUT_CHANNELS:
        return Reading(variant.name, Design(), (N_("{model} takes {shape} images, which a design cannot take"),
                                                dict(shape=f"{channels}x{height}x{width}")))
    model = variant.build_on_meta().eval()
    calls, output = _record(model, variant.example_inputs()[0])
    classes = math.prod(output.shape[1:]) if hasattr(output, "shape") else 1
    empty = Design(channels, height, classes)
    layers: list[Layer] = []
    stop = None
    for call in calls:
        if len(layers) >= MOST_LAYERS:
            stop = (N_("a design holds at most {most} layers"), dict(most=MOST_LAYERS))
            break
        try:
            if not call.chained:
                raise _Unreadable(N_("its {layer} does not take the output of the layer before it: the model "
                                     "branches there"))
            read = _layer(call)
            if read is None:
                continue
            kind, values = read
            if kind == "linear" and _last_shape(empty, layers) is not None and len(_last_shape(empty, layers)) == 3:
                layers.append(Layer.of("flatten"))  # flattened in its forward() without a call of its own
            try:
                layer = layer_from(len(layers) + 1, kind, values)
            except DesignFormatError as error:
                raise _Unreadable(N_("its {layer} does not fit the designer's bounds: {reason}"),
                                  reason=str(error)) from None
            shaped = _last_shape(empty, layers + [layer])
            if shaped != call.output_shape:
                raise _Unreadable(N_("its {layer} gives {value} where the designer computes {other}"),
                                  value="x".join(map(str, call.output_shape)),
                                  other="x".join(map(str, shaped)) if shaped else "a mistake")
            layers.append(layer)
        except _Unreadable as why:
            stop = (why.template, {**why.values, "layer": call.name})
            break
    return Reading(variant.name, empty.with_layers(layers), stop)


def _last_shape(design: Design, layers: list[Layer]) -> tuple[int, ...] | None:
    """The last layer's output shape, or None when the layers do not run."""
    shaped, problem = shapes(design.with_layers(layers))
    if problem is not None and problem.blocking or len(shaped) != len(layers):
        return None
    return shaped[-1].output if shaped else (design.channels, design.side, design.side)
