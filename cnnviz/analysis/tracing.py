"""Trace one forward pass on the ``meta`` device: every layer call and how tensors flow between them.

A pooling called as a function (``F.adaptive_avg_pool2d`` in DenseNet's forward) and an activation called as a
function in the model's own forward are traced as the layer that does the same, so that no change of shape goes
unseen; ``torch.stack(xs).mean(0)`` is one join, a mean.

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
# Functional ops that join several tensors are drawn as graph nodes; the rest pass tensors through, except the
# layers of ``functional_layer``. "mean" is a stack averaged over the stacked tensors (FractalNet's join).
JOIN_OPS = {"add", "__add__", "__iadd__", "add_", "cat", "concat", "stack", "mul", "__mul__", "sub", "__sub__",
            "mean"}
# Functional pooling called between layers (DenseNet's and MobileNet v2's global pool in their forward, Inception
# v3's F.max_pool2d inside a module) and its arguments after the input, as the module that does the same takes them.
FUNCTIONAL_POOLS = {
    "max_pool2d": (nn.MaxPool2d, ("kernel_size", "stride", "padding", "dilation", "ceil_mode")),
    "avg_pool2d": (nn.AvgPool2d, ("kernel_size", "stride", "padding", "ceil_mode", "count_include_pad",
                                  "divisor_override")),
    "adaptive_avg_pool2d": (nn.AdaptiveAvgPool2d, ("output_size",)),
    "adaptive_max_pool2d": (nn.AdaptiveMaxPool2d, ("output_size",)),
}
# Functional activations in the model's own forward, where no layer's step can stand for them (DenseNet's last
# ReLU, after its last batch norm). Inside a module they belong to that module's step.
TOP_LEVEL_ACTIVATIONS = {"relu": nn.ReLU, "relu_": nn.ReLU}


def functional_layer(name: str, args, kwargs, top_level: bool) -> nn.Module | None:
    """The module that does what functional call ``name`` does (it holds no weights), or None for any other call."""
    if name in FUNCTIONAL_POOLS:
        module, parameters = FUNCTIONAL_POOLS[name]
        values = dict(zip(parameters, args[1:]), **{k: v for k, v in kwargs.items() if k in parameters})
        if values.get("stride") in ((), []):
            values["stride"] = None  # F.max_pool2d's default: the kernel size
        return module(**values)
    if top_level and name in TOP_LEVEL_ACTIVATIONS:
        inplace = name.endswith("_") or bool(kwargs.get("inplace")) or (len(args) > 1 and args[1] is True)
        return TOP_LEVEL_ACTIVATIONS[name](inplace=inplace)
    return None


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
        self.functional_calls: dict[str, int] = {}  # a functional layer's name -> its calls so far

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
              input_shapes=(), first_call: bool = True, functional: bool = False) -> TraceNode:
        # A layer belongs to its ancestors' block; a functional join or layer also to the module it runs in.
        block = block_of(context, self.modules, include_self=module is None or functional) if context else None
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
            self._one_source(name, sources[0], args, kwargs, out)
        return out

    def _one_source(self, name: str, source: int, args, kwargs, out) -> None:
        """A call that reads one traced tensor: the end of a stacked join, a layer called as a function, or (views,
        activations, flatten) a call whose output keeps its input's producer."""
        if self._stack_averaged(name, source, args, out):
            return
        layer = None
        if isinstance(out, torch.Tensor) and args and isinstance(args[0], torch.Tensor):
            layer = functional_layer(name, args, kwargs, top_level=not self.stack)
        if layer is not None:
            self._functional_node(name, layer, [source], args[0], out)
            return
        self._mark(out, source)
        if source == -1 and len(positions := self._input_positions(args)) == 1:
            self._mark_input(out, positions.pop())

    def _functional_node(self, name: str, layer: nn.Module, sources: list[int], x: torch.Tensor, out) -> TraceNode:
        """A functional call traced as the layer that does the same: a row, a step and a graph node of its own,
        named after the function in the module it runs in ("Mixed_6a.max_pool2d", "Mixed_6a.max_pool2d (2)")."""
        context = self.stack[-1] if self.stack else ""
        base = f"{context}.{name}" if context else name
        self.functional_calls[base] = self.functional_calls.get(base, 0) + 1
        calls = self.functional_calls[base]
        node = self._node(base if calls == 1 else f"{base} ({calls})", type(layer).__name__, layer, context, sources,
                          out, [tuple(x.shape[1:])], functional=True)
        self._note_inputs(node, out, [x])
        return node

    def _stack_averaged(self, name: str, source: int, args, out) -> bool:
        """``torch.stack(xs).mean(0)``: the stack node becomes one "mean" join with the averaged output."""
        node = self.nodes[source] if source >= 0 else None
        if (node is None or node.kind != "stack" or name != "mean" or not isinstance(out, torch.Tensor)
                or not args or not isinstance(args[0], torch.Tensor) or args[0].dim() != out.dim() + 1
                or tuple(args[0].shape[1:]) != tuple(out.shape)):
            return False
        before, _, after = node.name.rpartition("stack")
        node.name, node.kind, node.output_shape = f"{before}mean{after}", "mean", tuple(out.shape[1:])
        self._mark(out, source)
        self._joined(node, out)
        return True

    def _joined(self, node: TraceNode, output) -> None:
        """Called when a join's output is final (a stack once it is averaged); for subclasses."""

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
