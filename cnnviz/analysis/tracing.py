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
# (e.g. efficientnet-lite's Conv2dStaticSamePadding holds its ZeroPad2d; timm's BatchNormAct2d its ReLU).
ATOMIC_TYPES = (nn.modules.conv._ConvNd, nn.Linear, nn.modules.batchnorm._BatchNorm)
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
    call: int = 1  # which call of its block (of its own module outside any block) this node belongs to
    returns_input: bool = False  # the layer handed back one of its inputs (in place) or a view of it
    from_inputs: frozenset[int] = frozenset()  # positions of the model inputs this output depends on


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
        self.entered: dict[str, int] = {}  # module name -> times its forward has started so far
        self.input_position: dict[int, int] = {}  # id(tensor) -> which model input it is (or a view of)

    def _input_positions(self, values) -> set[int]:
        found: set[int] = set()
        for value in values:
            if isinstance(value, torch.Tensor) and id(value) in self.input_position:
                found.add(self.input_position[id(value)])
            elif isinstance(value, (list, tuple)):
                found |= self._input_positions(value)
        return found

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
        owner = block or (name if module is not None else None)
        node = TraceNode(len(self.nodes), name, kind, module, block,
                         type(self.modules[block]).__name__ if block else None,
                         sources, shape, list(input_shapes), first_call,
                         call=self.entered.get(owner, 1) if owner else 1,
                         from_inputs=frozenset().union(*(self.nodes[s].from_inputs for s in sources if s >= 0)))
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
            node = self._node(f"{context}.{name}" if context else name, name, None, context, sources, out)
            self._note_inputs(node, out, list(args) + list(kwargs.values()))
        elif len(sources) == 1:
            self._mark(out, sources[0])  # views, activations, flatten: same producer
            if sources[0] == -1 and len(positions := self._input_positions(args)) == 1:
                self._mark_input(out, positions.pop())
        return out

    def _note_inputs(self, node: TraceNode, output, inputs) -> None:
        """Which model inputs ``node`` reads directly, and whether it hands back one of its inputs."""
        node.from_inputs = node.from_inputs | self._input_positions(inputs)
        node.returns_input = any(_shares_memory(output, v) for v in inputs if isinstance(v, torch.Tensor))

    def _mark_input(self, output, position: int) -> None:
        for value in output if isinstance(output, (list, tuple)) else (output,):
            if isinstance(value, torch.Tensor):
                self.input_position[id(value)] = position

    def pre_hook(self, name: str):
        def hook(module, args):
            self.stack.append(name)
            self.entered[name] = self.entered.get(name, 0) + 1
            if name in self.rows:
                self.inside_row += 1
        return hook

    def post_hook(self, name: str):
        def hook(module, args, output):
            self.stack.pop()
            if name not in self.rows:
                return
            self.inside_row -= 1
            shapes = [tuple(a.shape[1:]) for a in args if isinstance(a, torch.Tensor)]
            node = self._node(name, type(module).__name__, module, name, self._sources(args), output, shapes,
                              name not in self.seen)
            self._note_inputs(node, output, args)
            self.seen.add(name)
        return hook


def _shares_memory(output, tensor: torch.Tensor) -> bool:
    """``output`` is ``tensor`` itself (an in-place layer, dropout at inference) or a view of the same values
    (Flatten). Compared by identity and view base: meta tensors have no addresses to compare."""
    if not isinstance(output, torch.Tensor):
        return False
    base = tensor._base if tensor._base is not None else tensor
    return output is tensor or output._base is base


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
    for position, x in enumerate(inputs):
        tracer.producer[id(x)] = -1
        tracer.input_position[id(x)] = position
    try:
        with torch.no_grad(), tracer:
            model(*inputs)
    finally:
        for handle in handles:
            handle.remove()
    return tracer.nodes
