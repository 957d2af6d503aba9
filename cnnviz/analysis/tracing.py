"""Trace one forward pass on the ``meta`` device: every layer call and how tensors flow between them.

The trace is the single source for the layer table (``analysis``) and the layer graph (``graph``).
Nothing here allocates weights: models are built under ``torch.device("meta")``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn
from torch.overrides import TorchFunctionMode

# Modules that are one row of the table even though they have children
# (e.g. efficientnet-lite's Conv2dStaticSamePadding holds its ZeroPad2d).
ATOMIC_TYPES = (nn.modules.conv._ConvNd, nn.Linear)
PLAIN_CONTAINERS = (nn.Sequential, nn.ModuleList, nn.ModuleDict)
# Functional ops that join several tensors are drawn as graph nodes; the rest pass tensors through.
JOIN_OPS = {"add", "__add__", "__iadd__", "add_", "cat", "concat", "stack", "mul", "__mul__", "sub", "__sub__"}


@dataclass
class TraceNode:
    """One call in the forward pass: a layer (module) or a joining functional op (add, cat...)."""

    index: int
    name: str  # qualified module name, or "<block>.add" for functional joins
    kind: str  # module class name or op name
    module: nn.Module | None
    block: str | None  # the outermost non-container module this call sits in (None at top level)
    block_kind: str | None = None  # that block's class name, e.g. "Bottleneck"
    inputs: list[int] = field(default_factory=list)  # indexes of producer nodes (-1 = model input)
    output_shape: tuple[int, ...] = ()
    input_shapes: list[tuple[int, ...]] = field(default_factory=list)
    first_call: bool = True  # False when a module runs again with the same weights (Siamese twins)


def block_of(name: str, modules: dict[str, nn.Module], include_self: bool = False) -> str | None:
    """Outermost ancestor below the root that is not a plain Sequential/ModuleList/ModuleDict."""
    parts = name.split(".")
    for depth in range(1, len(parts) + include_self):
        prefix = ".".join(parts[:depth])
        if type(modules[prefix]) not in PLAIN_CONTAINERS:
            return prefix
    return None


def row_modules(model: nn.Module) -> dict[str, nn.Module]:
    """Modules that get one row each: leaves and atomic types, never a descendant of an atomic one."""
    rows: dict[str, nn.Module] = {}
    atomic_prefixes: list[str] = []
    for name, module in model.named_modules():
        if not name or any(name.startswith(prefix) for prefix in atomic_prefixes):
            continue
        if isinstance(module, ATOMIC_TYPES):
            atomic_prefixes.append(name + ".")
            rows[name] = module
        elif not any(True for _ in module.children()):
            rows[name] = module
    return rows


class _Tracer(TorchFunctionMode):
    def __init__(self, model: nn.Module):
        super().__init__()
        self.modules = dict(model.named_modules())
        self.rows = row_modules(model)
        self.nodes: list[TraceNode] = []
        self.producer: dict[int, int] = {}  # id(tensor) -> node index
        self.keep: list[torch.Tensor] = []  # keeps traced tensors alive so their ids stay unique
        self.stack: list[str] = []
        self.inside_row = 0
        self.seen: set[str] = set()

    def _sources(self, values) -> list[int]:
        found: list[int] = []
        for value in values:
            if isinstance(value, torch.Tensor):
                src = self.producer.get(id(value))
                if src is not None and src not in found:
                    found.append(src)
            elif isinstance(value, (list, tuple)):
                found += [s for s in self._sources(value) if s not in found]
        return found

    def _node(self, name: str, kind: str, module, context: str, sources: list[int], output,
              input_shapes=(), first_call: bool = True) -> TraceNode:
        # A layer belongs to its ancestors' block; a functional join also to the module it runs in.
        block = block_of(context, self.modules, include_self=module is None) if context else None
        shape = tuple(output.shape[1:]) if isinstance(output, torch.Tensor) else ()
        node = TraceNode(len(self.nodes), name, kind, module, block,
                         type(self.modules[block]).__name__ if block else None,
                         sources, shape, list(input_shapes), first_call)
        self.nodes.append(node)
        self._mark(output, node.index)
        return node

    def _mark(self, output, index: int) -> None:
        for value in output if isinstance(output, (list, tuple)) else (output,):
            if isinstance(value, torch.Tensor):
                self.producer[id(value)] = index
                self.keep.append(value)

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        out = func(*args, **kwargs)
        if self.inside_row:
            return out
        name = getattr(func, "__name__", str(func))
        sources = self._sources(list(args) + list(kwargs.values()))
        if name in JOIN_OPS and len(sources) > 1 and isinstance(out, torch.Tensor):
            context = self.stack[-1] if self.stack else ""
            self._node(f"{context}.{name}" if context else name, name, None, context, sources, out)
        elif len(sources) == 1:
            self._mark(out, sources[0])  # views, activations, flatten: same producer
        return out

    def pre_hook(self, name: str):
        def hook(module, args):
            self.stack.append(name)
            if name in self.rows:
                self.inside_row += 1
        return hook

    def post_hook(self, name: str):
        def hook(module, args, output):
            self.stack.pop()
            if name not in self.rows:
                return
            self.inside_row -= 1
            self._node(name, type(module).__name__, module, name, self._sources(args), output,
                       [tuple(a.shape[1:]) for a in args if isinstance(a, torch.Tensor)], name not in self.seen)
            self.seen.add(name)
        return hook


def hook_every_module(model: nn.Module, tracer) -> list:
    """Register ``tracer.pre_hook(name)`` and ``tracer.post_hook(name)`` on every named submodule."""
    handles = []
    for name, module in model.named_modules():
        if name:
            handles.append(module.register_forward_pre_hook(tracer.pre_hook(name)))
            handles.append(module.register_forward_hook(tracer.post_hook(name)))
    return handles


def trace(model: nn.Module, inputs: tuple[torch.Tensor, ...]) -> list[TraceNode]:
    """Run ``model(*inputs)`` once and return its calls in execution order."""
    tracer = _Tracer(model)
    handles = hook_every_module(model, tracer)
    for x in inputs:
        tracer.producer[id(x)] = -1
    try:
        with torch.no_grad(), tracer:
            model(*inputs)
    finally:
        for handle in handles:
            handle.remove()
    return tracer.nodes
