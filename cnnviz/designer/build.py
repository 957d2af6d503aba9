"""A design as a ``torch.nn.Module``: an ``nn.Sequential`` whose layers are named by kind and number (``conv1``,
``relu2``), with a ``Residual``, ``Concat`` or ``Branches`` block (``residual4``, named after its span start)
holding a span.

The same plan writes the exported code (``cnnviz.designer.code``), so the file a student downloads builds exactly
the module counted here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cnnviz.designer.check import Shaped, shapes
from cnnviz.designer.design import ACTIVATIONS, Design, Layer

# Activations that may work in place, as torchvision's ReLU(inplace=True): where the layer before them keeps no
# output for its backward pass (a convolution, linear layer, batch norm, pooling or join keeps its input).
IN_PLACE = ("relu", "leakyrelu", "elu")
KEEPS_NO_OUTPUT = ("conv", "linear", "bn", "maxpool", "avgpool", "gap", "adaptiveavg", "add", "concat")


@dataclass
class Planned:
    """One module of the plan: its name in its sequence, the design layer it is (its number), and the Python
    expression that builds it; a block holds its body's plan and, for an add, its shortcut's (a block of branches,
    each branch's plan)."""

    name: str
    number: int
    code: str
    body: list["Planned"] = field(default_factory=list)
    shortcut: list["Planned"] = field(default_factory=list)
    block: str = ""  # "Residual", "Concat" or "Branches" for a span
    closer: int = 0  # the add's or concatenation's number
    branches: list[list["Planned"]] = field(default_factory=list)  # a span split by branch markers: each one's plan


def plan(design: Design, upto: int | None = None) -> list[Planned]:
    """The plan of layers 1..``upto`` (all of them by default), which must be free of blocking mistakes. A span
    still open at ``upto`` is no block: its layers stay in line, or, once it has branches, they run side by side
    and the last one's output goes on (``OpenBranches``: counted, not yet joined)."""
    layers = design.layers[:upto] if upto is not None else design.layers
    shaped, problem = shapes(design.with_layers(layers))
    if problem is not None and problem.blocking and problem.layer is not None and problem.layer <= len(layers) \
            and layers[problem.layer - 1].kind != "span":
        raise ValueError(f"layers up to {len(layers)} do not run: {problem}")
    top: list[Planned] = []
    stack: list[tuple[int, list[list[Planned]]]] = [(0, [top])]  # (span start, its branches: the last one open)
    for number, (layer, shape) in enumerate(zip(layers, shaped), start=1):
        sequence = stack[-1][1][-1]
        if layer.kind == "span":
            stack.append((number, [[]]))
            continue
        if layer.kind == "branch":
            stack[-1][1].append([])
            continue
        if layer.kind in ("add", "concat"):
            start, branches = stack.pop()
            name = f"{'residual' if layer.kind == 'add' else 'concat'}{start}"
            if len(branches) > 1:
                block = Planned(name, start, "", branches=branches, block="Branches", closer=number)
            else:
                block = Planned(name, start, "", branches[0], block="Residual" if layer.kind == "add" else "Concat",
                                closer=number)
            if shape.projected:
                block.shortcut = _projection(number, shaped[start - 1].input[0], shape)
            stack[-1][1][-1].append(block)
            continue
        before = layers[number - 2] if number > 1 and sequence else None
        sequence.append(Planned(f"{layer.kind}{number}", number, _expression(layer, shape, before)))
    while len(stack) > 1:  # spans still open
        start, branches = stack.pop()
        if len(branches) > 1:
            stack[-1][1][-1].append(Planned(f"branches{start}", start, "", branches=branches, block="OpenBranches"))
        else:
            stack[-1][1][-1].extend(branches[0])
    return top


def _projection(number: int, channels: int, shape: Shaped) -> list[Planned]:
    out = shape.output[0]
    stride = shape.projection_stride
    return [Planned(f"conv{number}", number, f"nn.Conv2d({channels}, {out}, kernel_size=1, stride={stride}, "
                                             f"bias=False)"),
            Planned(f"bn{number}", number, f"nn.BatchNorm2d({out})")]


def _expression(layer: Layer, shape: Shaped, before: Layer | None) -> str:
    kind, get = layer.kind, layer.get
    if kind == "conv":
        extra = "".join(f", {name}={get(name)}" for name, default in
                        (("stride", 1), ("padding", 0), ("dilation", 1), ("groups", 1)) if get(name) != default)
        bias = "" if get("bias") else ", bias=False"
        return f"nn.Conv2d({shape.input[0]}, {get('out')}, kernel_size={get('kernel')}{extra}{bias})"
    if kind in ("maxpool", "avgpool"):
        name = "MaxPool2d" if kind == "maxpool" else "AvgPool2d"
        extra = (f", padding={get('padding')}" if get("padding") else "") + (
            ", ceil_mode=True" if get("ceil_mode") else "")
        return f"nn.{name}(kernel_size={get('kernel')}, stride={layer.stride()}{extra})"
    if kind == "bn":
        return f"nn.BatchNorm{'2' if len(shape.input) == 3 else '1'}d({shape.input[0]})"
    if kind in ACTIVATIONS:
        name = {"relu": "ReLU", "leakyrelu": "LeakyReLU", "elu": "ELU", "gelu": "GELU", "silu": "SiLU",
                "tanh": "Tanh", "sigmoid": "Sigmoid"}[kind]
        in_place = kind in IN_PLACE and before is not None and before.kind in KEEPS_NO_OUTPUT
        return f"nn.{name}({'inplace=True' if in_place else ''})"
    if kind == "dropout":
        return f"nn.Dropout(p={get('p')})"
    if kind == "gap":
        return "nn.AdaptiveAvgPool2d(1)"
    if kind == "adaptiveavg":
        return f"nn.AdaptiveAvgPool2d({get('size')})"
    if kind == "flatten":
        return "nn.Flatten()"
    if kind == "linear":
        return f"nn.Linear({shape.input[0]}, {get('out')}{'' if get('bias') else ', bias=False'})"
    raise ValueError(f"no module for {kind}")


def module_of(planned: list[Planned]):
    """The ``nn.Sequential`` of a plan (built on the current device: ``zoo.meta_build.on_meta`` for counting)."""
    from collections import OrderedDict

    from torch import nn

    from cnnviz.designer.modules import Branches, Concat, OpenBranches, Residual

    def sequence(items: list[Planned]) -> nn.Sequential:
        modules = OrderedDict()
        for item in items:
            if item.block in ("Branches", "OpenBranches"):
                block = Branches if item.block == "Branches" else OpenBranches
                modules[item.name] = block(*(sequence(branch) for branch in item.branches))
            elif item.block == "Residual":
                modules[item.name] = Residual(sequence(item.body), sequence(item.shortcut) if item.shortcut else None)
            elif item.block == "Concat":
                modules[item.name] = Concat(sequence(item.body))
            else:
                modules[item.name] = eval(item.code, {"nn": nn})  # our own expressions, from validated numbers
        return nn.Sequential(modules)

    return sequence(planned)


def build(design: Design, upto: int | None = None):
    """The design's module with fresh random weights (for training and export checks)."""
    return module_of(plan(design, upto))
