"""The spatial geometry of every call in a forward pass: kernel, stride, left padding and dilation per axis.

``cnnviz.analysis.tracing`` records layers (modules) and joins; pooling, padding and cropping done with functional
calls inside a block (Inception v3's ``F.max_pool2d``, U-Net's crop by slicing) change the geometry too,
so this tracer records them as nodes of their own.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from cnnviz.analysis.tracing import TraceNode, _Tracer, hook_every_module

# Functional calls that move or widen a receptive field; their positional arguments after the input.
FUNCTIONAL = {
    "max_pool2d": ("kernel_size", "stride", "padding", "dilation", "ceil_mode"),
    "avg_pool2d": ("kernel_size", "stride", "padding", "ceil_mode"),
    "adaptive_avg_pool2d": ("output_size",),
    "adaptive_max_pool2d": ("output_size",),
    "pad": ("pad",),
    "interpolate": ("size", "scale_factor"),
}
PADS = (nn.ZeroPad2d, nn.ConstantPad2d, nn.ReflectionPad2d, nn.ReplicationPad2d, nn.CircularPad2d)


@dataclass(frozen=True)
class Axis:
    """One axis of one call: output unit j reads input units j*stride - pad + m*dilation, m < kernel."""

    kernel: int = 1
    stride: float = 1
    pad: float = 0  # left (or top) padding; for a crop, minus its first index
    dilation: int = 1
    transposed: bool = False
    ceil_mode: bool = False  # pooling that keeps a last, partial window


Geometry = tuple[Axis, Axis]  # (height, width)


def _pair(value) -> tuple:
    return tuple(value) if isinstance(value, (tuple, list)) else (value, value)


def _conv(module: nn.modules.conv._ConvNd) -> Geometry:
    kernel, stride, dilation = module.kernel_size, module.stride, module.dilation
    if module.padding == "same":
        pad = tuple(d * (k - 1) // 2 for k, d in zip(kernel, dilation))
    elif module.padding == "valid":
        pad = (0, 0)
    else:
        pad = _pair(module.padding)
    extra = getattr(module, "static_padding", None)  # EfficientNet-Lite's TensorFlow-style 'SAME' padding
    if isinstance(extra, nn.ZeroPad2d):
        left, _, top, _ = extra.padding
        pad = (pad[0] + top, pad[1] + left)
    transposed = isinstance(module, nn.modules.conv._ConvTransposeNd)
    return tuple(Axis(kernel[i], stride[i], pad[i], dilation[i], transposed) for i in range(2))


def _pool(kernel, stride, padding=0, dilation=1, ceil_mode=False) -> Geometry:
    kernel, padding, dilation = _pair(kernel), _pair(padding), _pair(dilation)
    stride = _pair(stride) if stride not in (None, (), []) else kernel
    return tuple(Axis(kernel[i], stride[i], padding[i], dilation[i], ceil_mode=bool(ceil_mode)) for i in range(2))


def _resample(in_hw, out_hw, adaptive: bool) -> Geometry | None:
    """Adaptive pooling and resizing: bins of in/out input units each (exact when they divide)."""
    if tuple(in_hw) == tuple(out_hw):
        return None
    axes = []
    for n_in, n_out in zip(in_hw, out_hw):
        if adaptive:
            widest = max(math.ceil((i + 1) * n_in / n_out) - (i * n_in) // n_out for i in range(n_out))
            axes.append(Axis(widest, n_in / n_out))
        else:
            axes.append(Axis(1, n_in / n_out))
    return tuple(axes)


def _pad(pad) -> Geometry:
    pad = list(pad) + [0] * (4 - len(pad))  # (left, right, top, bottom)
    return Axis(pad=pad[2]), Axis(pad=pad[0])


def module_geometry(module: nn.Module, in_hw, out_hw) -> Geometry | None:
    """None for layers that keep positions (batch norm, activations, dropout, 1x1 identity resizes)."""
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
        return _conv(module)
    if isinstance(module, nn.MaxPool2d):
        return _pool(module.kernel_size, module.stride, module.padding, module.dilation, module.ceil_mode)
    if isinstance(module, (nn.AvgPool2d, nn.LPPool2d)):
        return _pool(module.kernel_size, module.stride, getattr(module, "padding", 0), 1, module.ceil_mode)
    if isinstance(module, PADS):
        return _pad(module.padding)
    if isinstance(module, (nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d)):
        return _resample(in_hw, out_hw, adaptive=True)
    if isinstance(module, nn.Upsample):
        return _resample(in_hw, out_hw, adaptive=False)
    return None


def _crop(index, in_hw) -> Geometry | None:
    """``x[..., a:b, c:d]``: a crop starting at (a, c), or None for any other indexing."""
    index = index if isinstance(index, tuple) else (index,)
    if Ellipsis in index:
        at = index.index(Ellipsis)
        index = index[:at] + (slice(None),) * (4 - len(index) + 1) + index[at + 1:]
    index = index + (slice(None),) * (4 - len(index))
    if len(index) != 4 or not all(isinstance(i, slice) for i in index[2:]):
        return None
    axes = []
    for item, size in zip(index[2:], in_hw):
        start, _, step = item.indices(size)
        axes.append(Axis(1, step, -start))
    return None if all(axis == Axis() for axis in axes) else tuple(axes)


def functional_geometry(name: str, args, kwargs, in_hw, out_hw) -> Geometry | None:
    if name == "__getitem__":
        return _crop(args[1], in_hw)
    values = dict(zip(FUNCTIONAL[name], args[1:]), **kwargs)
    if name in ("max_pool2d", "avg_pool2d"):
        return _pool(values["kernel_size"], values.get("stride"), values.get("padding", 0), values.get("dilation", 1),
                     values.get("ceil_mode", False))
    if name == "pad":
        return _pad(values["pad"])
    return _resample(in_hw, out_hw, adaptive=name.startswith("adaptive"))


def _hw(shape) -> tuple[int, int] | None:
    return tuple(shape[-2:]) if len(shape) == 3 else None


class _Stop(Exception):
    """Raised once the call of interest has run: nothing after it is needed."""


class GeometryTracer(_Tracer):
    """The project's tracer, plus nodes for functional pooling, padding and cropping between layers.

    With ``stop_at`` set, the forward pass ends at the first call of that name and its output is kept.
    """

    def __init__(self, model: nn.Module, stop_at: str | None = None):
        super().__init__(model)
        self.geometry: dict[int, Geometry] = {}
        self.stop_at = stop_at
        self.captured: torch.Tensor | None = None
        self.calls: dict[str, int] = {}

    def _node(self, name, kind, module, context, sources, output, input_shapes=(), first_call=True, functional=False):
        if module is None:  # FractalNet joins several times in one block: number the later joins
            self.calls[name] = self.calls.get(name, 0) + 1
            name = name if self.calls[name] == 1 else f"{name} ({self.calls[name]})"
        node = super()._node(name, kind, module, context, sources, output, input_shapes, first_call, functional)
        in_hw = _hw(node.input_shapes[0]) if node.input_shapes else None
        out_hw = _hw(node.output_shape)
        if module is not None and in_hw and out_hw:
            geometry = module_geometry(module, in_hw, out_hw)
            if geometry is not None:
                self.geometry[node.index] = geometry
        return node

    def _joined(self, node: TraceNode, output) -> None:
        self._check_stop(node, output)  # FractalNet's join is named once its stack is averaged

    def _check_stop(self, node: TraceNode, output) -> None:
        if node.name == self.stop_at and node.first_call:
            self.captured = output
            raise _Stop

    def __torch_function__(self, func, types, args=(), kwargs=None):
        name = getattr(func, "__name__", "")
        if self.inside_row or (name not in FUNCTIONAL and name != "__getitem__") or not args:
            count = len(self.nodes)
            out = super().__torch_function__(func, types, args, kwargs)
            if len(self.nodes) > count:  # a join
                self._check_stop(self.nodes[-1], out)
            return out
        kwargs = kwargs or {}
        out = func(*args, **kwargs)
        sources = self._sources(args[:1])
        x = args[0]
        geometry = None
        if len(sources) == 1 and isinstance(out, torch.Tensor) and out.dim() == 4 and x.dim() == 4:
            geometry = functional_geometry(name, args, kwargs, tuple(x.shape[-2:]), tuple(out.shape[-2:]))
        if geometry is None:
            if len(sources) == 1:
                self._mark(out, sources[0])
            return out
        context = self.stack[-1] if self.stack else ""
        label = "crop" if name == "__getitem__" else name
        node = self._node(f"{context}.{label}" if context else label, label, None, context, sources, out,
                          [tuple(x.shape[1:])])
        self.geometry[node.index] = geometry
        self._check_stop(node, out)
        return out

    def post_hook(self, name: str):
        record = super().post_hook(name)

        def hook(module, args, output):
            count = len(self.nodes)
            record(module, args, output)
            if len(self.nodes) > count:
                self._check_stop(self.nodes[-1], output)
        return hook


@dataclass
class GeometryTrace:
    nodes: list[TraceNode]
    geometry: dict[int, Geometry]  # node index -> (height, width) geometry; absent: positions kept
    captured: torch.Tensor | None  # the output of ``stop_at``, when it ran


def trace_geometry(model: nn.Module, inputs: tuple[torch.Tensor, ...], stop_at: str | None = None,
                   grad: bool = False) -> GeometryTrace:
    """Trace ``model(*inputs)``, up to the first call named ``stop_at`` if given.

    With ``grad`` the pass records autograd history, so that the captured output can be back-propagated.
    """
    tracer = GeometryTracer(model, stop_at)
    handles = hook_every_module(model, tracer)
    for x in inputs:
        tracer.producer[id(x)] = -1
    try:
        with torch.set_grad_enabled(grad), tracer:
            model(*inputs)
    except _Stop:
        pass
    finally:
        for handle in handles:
            handle.remove()
    return GeometryTrace(tracer.nodes, tracer.geometry, tracer.captured)
