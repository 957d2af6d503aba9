"""The step-through layer walk: one step per layer (or per block call), each with its arithmetic worked out.

Which rows become steps follows the notes' walk (``walk.layer_walk``): convolutions, pooling, LRN and fully
connected layers, plus any other layer that changes the shape. Batch norm, activations, dropout and flatten are
folded into the step whose output they read ("then BN, ReLU"), or, when they read a join or the block input
(pre-activation), into the next step ("BN, ReLU, then ..."); their parameters count in that step. Inside a block
the joins (add, concatenation) are steps of their own. Every number comes from the traced model: the rows and
nodes of the ``Summary``, the ``LayerRF`` rows of the receptive-field recursion and ``conv_arithmetic``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from torch import nn

from cnnviz.analysis import conv_arithmetic as arithmetic
from cnnviz.analysis.receptive_field.recursion import LayerRF
from cnnviz.analysis.summary import LayerRow, Summary
from cnnviz.analysis.tracing import JOIN_OPS, TraceNode
from cnnviz.format import shape_text
from cnnviz.lectures.walk import KINDS, layer_walk

# What a worked line is about: fixed words, so that the page can translate them.
OUTPUT_SIZE, PARAMETERS, MACS = "Output size", "Parameters", "MACs"
RECEPTIVE_FIELD, JUMP = "Receptive field", "Jump"
CHANNELS, SHAPES, NORMALISATION, STEP_PARAMETERS = "Channels", "Shapes", "Normalisation", "Step parameters"

POOLS = (nn.modules.pooling._MaxPoolNd, nn.modules.pooling._AvgPoolNd, nn.modules.pooling._AdaptiveAvgPoolNd,
         nn.modules.pooling._AdaptiveMaxPoolNd, nn.modules.pooling._LPPoolNd)
ADAPTIVE = (nn.modules.pooling._AdaptiveAvgPoolNd, nn.modules.pooling._AdaptiveMaxPoolNd)
JOIN_TITLES = {"add": "ADD", "__add__": "ADD", "__iadd__": "ADD", "add_": "ADD", "cat": "CONCAT",
               "concat": "CONCAT", "stack": "STACK", "mul": "MULTIPLY", "__mul__": "MULTIPLY",
               "sub": "SUBTRACT", "__sub__": "SUBTRACT"}
FOLDED_NAMES = {"BatchNorm1d": "BN", "BatchNorm2d": "BN", "BatchNormAct2d": "BN + activation", "ReLU": "ReLU",
                "ReLU6": "ReLU6", "Sigmoid": "sigmoid", "Tanh": "tanh", "StochasticDepth": "stochastic depth"}


@dataclass(frozen=True)
class Worked:
    what: str  # OUTPUT_SIZE, PARAMETERS, MACS, RECEPTIVE_FIELD, JUMP, ...
    formula: str  # symbolic: "⌊(W − F + 2P)/S⌋ + 1"
    worked: str  # this layer's numbers: "⌊(227 − 11 + 2·0)/4⌋ + 1"
    result: str  # "55"; counts with thousands separators: "34,944"


@dataclass(frozen=True)
class WalkStep:
    title: str  # "CONV1", "MAX POOL1", "NORM1", "FC6"; a block's name ("inception3a"); "ADD" for a join
    kind: str  # module class, block class ("Inception") or join op ("cat")
    description: str  # "96 11x11 filters at stride 4, pad 0, then ReLU"
    layer: str  # qualified module name; the block's name for a block; the join's node name for a join
    input_shape: tuple[int, ...]  # (C, H, W) or (N,) as traced
    output_shape: tuple[int, ...]
    params: int  # folded layers (BN) included; 0 for a repeated call of shared weights
    macs: int
    rf: int | None  # receptive field after this step, None past global pooling or flattening
    jump: float | None
    worked: tuple[Worked, ...]
    graph_nodes: tuple[str, ...]  # node names in layer_graph(summary) (folded); inner steps: unfold=(block,)
    layers: tuple["WalkStep", ...] = ()  # a block's own steps (its opened view); () for a layer
    kernel_hw: tuple[int, int] | None = None  # the window (conv, pool), to draw on the input volume


def walk_steps(summary: Summary, fields: list[LayerRF]) -> list[WalkStep]:
    """One step per layer for plain models; one step per block call for models with blocks (an inception module,
    a residual block, a dense block), with the block's layers in ``.layers``. Auxiliary heads are left out."""
    walk = _Walk(summary, fields)
    items: list[TraceNode | tuple[str, int]] = []
    calls: dict[tuple[str, int], list[TraceNode]] = {}
    for node in walk.nodes:
        if node.block is None:
            items.append(node)
            continue
        key = (node.block, node.call)
        if key not in calls:
            calls[key] = []
            items.append(key)
        calls[key].append(node)
    resolved = [walk.block_step(key, calls[key]) if isinstance(key, tuple) else key for key in items]
    steps = walk.scope_steps(resolved)
    outside = [row for row in summary.layers if row.type == "Parameter"]  # parameters no layer owns
    steps += [WalkStep("PARAMETERS", row.type, "parameters owned by a module outside its layers", row.name, (), (),
                       row.params, 0, None, None, (), ()) for row in outside if row.params]
    return steps


@dataclass
class _Draft:
    """A step being assembled: its main node (a layer or a join), or a finished block step."""

    main: TraceNode | None = None
    before: list[TraceNode] = field(default_factory=list)
    after: list[TraceNode] = field(default_factory=list)
    block: WalkStep | None = None

    @property
    def folds(self) -> bool:
        """Whether rows that read this step's output fold into it (a layer, not a join or block)."""
        return self.main is not None and self.main.module is not None


class _Walk:
    def __init__(self, summary: Summary, fields: list[LayerRF]):
        self.summary = summary
        rows = summary.row_of_node
        aux_blocks = {r.block for r in summary.layers if r.auxiliary and r.block}
        self.nodes = [n for n in summary.nodes if not (n.index in rows and rows[n.index].auxiliary)
                      and not (n.module is None and n.block in aux_blocks)]
        self.keys = _graph_keys(summary)
        self.field_names = _field_names(summary)
        self.fields = {f.name: f for f in reversed(fields)}  # first call of a name wins
        self.labels = _labels(summary)
        self.memo: dict[int, tuple[int | None, float | None, LayerRF | None]] = {}

    # --- which rows are steps, and folding -------------------------------------------------------------
    def is_step(self, node: TraceNode) -> bool:
        if node.module is None:
            return True  # a join
        module, row = node.module, self.summary.row_of_node[node.index]
        if isinstance(module, ADAPTIVE):
            return row.output_shape != row.input_shape  # an adaptive pool to the size the map has is a copy
        if isinstance(module, (nn.modules.conv._ConvNd, nn.Linear, nn.LocalResponseNorm) + POOLS):
            return True
        same_count = math.prod(row.output_shape) == math.prod(row.input_shape)
        return not (row.output_shape == row.input_shape or same_count and len(row.output_shape) == 1)

    def scope_steps(self, items: list[TraceNode | WalkStep]) -> list[WalkStep]:
        drafts: list[_Draft] = []
        owner: dict[int, _Draft] = {}
        pending: list[TraceNode] = []

        def flush() -> None:
            # Rows left with no later layer here (before a block, or at the end): after their producer where it
            # is a step of this scope (a join), else a step of their own.
            for node in pending:
                target = owner.get(node.inputs[0] if node.inputs else -1)
                if target is None:
                    target = _Draft(main=node)
                    drafts.append(target)
                else:
                    target.after.append(node)
                owner[node.index] = target
            pending.clear()

        for item in items:
            if isinstance(item, WalkStep):
                flush()
                drafts.append(_Draft(block=item))
            elif self.is_step(item):
                draft = _Draft(main=item, before=list(pending))
                pending.clear()
                drafts.append(draft)
                for node in (item, *draft.before):
                    owner[node.index] = draft
            else:
                source = item.inputs[0] if item.inputs else -1
                producer = owner.get(source)
                # It reads that layer's output as it is (not flattened by a function first: then it belongs to the
                # next layer, as AlexNet's dropout before FC6).
                if producer is not None and producer.folds and tuple(item.input_shapes[:1]) == (self.shape_of(source),):
                    producer.after.append(item)
                    owner[item.index] = producer
                else:
                    pending.append(item)
        flush()
        return [d.block or self.layer_step(d) for d in drafts]

    # --- one layer or join ---------------------------------------------------------------------------
    def layer_step(self, draft: _Draft) -> WalkStep:
        node = draft.main
        rows = self.summary.row_of_node
        members = [*draft.before, node, *draft.after]
        folded = [n for n in (*draft.before, *draft.after) if n.index in rows]
        row = rows.get(node.index)
        if row is not None and not self.is_step(node):  # a folded row left on its own
            title, worked, kernel, description = node.kind.upper(), (), None, _folded_text([node])
        elif row is None:
            title, worked, kernel, description = self.join_parts(node)
        else:
            title, worked, kernel, description = self.row_parts(node, row)
        description = _with_folded(description, draft.before, draft.after)
        params = sum(rows[n.index].params for n in members if n.index in rows)
        macs = sum(rows[n.index].macs for n in members if n.index in rows)
        extra = [n for n in folded if rows[n.index].params]
        if extra and row is not None:
            worked += (Worked(STEP_PARAMETERS, "the layer + its folded layers",
                              " + ".join([f"{row.params:,}"] + [f"{rows[n.index].params:,} ({_short(n)})"
                                                                 for n in extra]), f"{params:,}"),)
        rf, jump, layer_rf = self.field_of(node)
        if rf is not None and self.is_step(node) and layer_rf is not None and layer_rf.name == self.field_name(node):
            worked += _field_worked(layer_rf)
        return WalkStep(title, node.kind, description, node.name, self.input_shape(node), node.output_shape,
                        params, macs, rf, jump, worked, tuple(self.keys[n.index] for n in members), (), kernel)

    def row_parts(self, node: TraceNode, row: LayerRow) -> tuple[str, tuple[Worked, ...], tuple | None, str]:
        module = node.module
        title = self.labels.get(node.name, node.kind.upper())
        if node.call > 1 and not node.first_call:
            title = f"{title} (call {node.call})"
        if isinstance(module, nn.modules.conv._ConvNd):
            worked, description = _conv(module, row), _conv_text(module, row)
            kernel = _pair(module.kernel_size)
        elif isinstance(module, ADAPTIVE):
            worked, description = _adaptive(row), f"adaptive {_pool_name(module)} pool to {_hw_text(row.output_shape)}"
            kernel = tuple(row.input_shape[-2:]) if row.output_shape[-2:] == (1, 1) else None
        elif isinstance(module, POOLS):
            worked, description = _pool(module, row), _pool_text(module)
            kernel = _pair(module.kernel_size)
        elif isinstance(module, nn.LocalResponseNorm):
            description = f"local response normalisation over {module.size} channels"
            worked, kernel = _lrn(module, row), None
        elif isinstance(module, nn.Linear):
            neurons = "neuron" if module.out_features == 1 else "neurons"
            worked, description, kernel = _linear(module, row), f"{module.out_features} {neurons}", None
        else:
            worked, kernel = (), None
            description = f"{node.kind}: {shape_text(row.input_shape)} → {shape_text(row.output_shape)}"
        if not node.first_call and any(True for _ in module.parameters()):
            description += f" (call {node.call} of the same layer: shared weights, no new parameters)"
            worked = tuple(w for w in worked if w.what != PARAMETERS) + (
                Worked(PARAMETERS, "shared with the first call", "no new weights", "0"),)
        elif not node.first_call:
            description += f" (call {node.call} of the same layer)"
        return title, worked, kernel, description

    def join_parts(self, node: TraceNode) -> tuple[str, tuple[Worked, ...], None, str]:
        shapes = [self.shape_of(i) for i in node.inputs]
        title = JOIN_TITLES.get(node.kind, node.kind.upper())
        if title == "CONCAT":
            channels = " + ".join(_terms([s[0] for s in shapes]))
            worked = (Worked(CHANNELS, "C = C₁ + C₂ + … (concatenation along channels)", channels,
                             f"{node.output_shape[0]:,}"),)
            return title, worked, None, f"concatenates {len(shapes)} tensors along the channels"
        if title == "ADD" and len(node.inputs) == 2 and node.block and any(
                i < 0 or self.summary.nodes[i].block != node.block for i in node.inputs):
            text = "adds the block's input back (identity shortcut)"
        else:
            verb = {"ADD": "adds", "SUBTRACT": "subtracts", "MULTIPLY": "multiplies"}.get(title)
            text = (f"{verb} {len(shapes)} tensors element by element" if verb
                    else f"{title.lower()}s {len(shapes)} tensors")
        sign = {"ADD": " + ", "SUBTRACT": " − ", "MULTIPLY": " ⊙ "}.get(title, ", ")
        worked = (Worked(SHAPES, "the shapes must match",
                         sign.join(shape_text(s) for s in shapes), shape_text(node.output_shape)),)
        return title, worked, None, text

    # --- blocks --------------------------------------------------------------------------------------
    def block_step(self, key: tuple[str, int], nodes: list[TraceNode]) -> WalkStep:
        block, call = key
        inner = self.scope_steps(list(nodes))
        layers = [s for s in inner if s.kind not in JOIN_OPS]
        shaped = [n for n in nodes if n.output_shape]
        last = shaped[-1]
        params, macs = sum(s.params for s in inner), sum(s.macs for s in inner)
        rf, jump, _ = self.field_of(last)
        title = block if call == 1 else f"{block} (call {call})"
        input_shape = self.input_shape(nodes[0])
        if len(inner) == 1 and inner[0].kind not in JOIN_OPS and inner[0].output_shape == last.output_shape:
            # A wrapper (conv + BN): the block is its one layer.
            only = inner[0]
            return WalkStep(title, nodes[0].block_kind, only.description, block, only.input_shape,
                            only.output_shape, params, macs, rf, jump, only.worked, (block,), tuple(inner),
                            only.kernel_hw)
        rf_in, jump_in, _ = self.field_of(self._producer(nodes[0])) if nodes[0].inputs else (None, None, None)
        count = len(layers)
        shapes = f"{shape_text(input_shape)} → {shape_text(last.output_shape)}"
        worked = [Worked(OUTPUT_SIZE, "the block's input → its output", shapes, _size_text(last.output_shape))]
        worked += [w for s in inner if s.layer == last.name for w in s.worked if w.what == CHANNELS]
        worked += [Worked(PARAMETERS, f"sum of its {count} layers", " + ".join(_terms([s.params for s in inner
                                                                                       if s.params])) or "0",
                          f"{params:,}"),
                   Worked(MACS, f"sum of its {count} layers", " + ".join(_terms([s.macs for s in inner if s.macs]))
                          or "0", f"{macs:,}")]
        if rf is not None:
            worked += [Worked(RECEPTIVE_FIELD, "the widest path through the block: its input's field → its output's",
                              f"{rf_in} → {rf}" if rf_in is not None else str(rf), str(rf)),
                       Worked(JUMP, "the input's jump times the strides on the block's paths",
                              f"{jump_in:g} → {jump:g}" if jump_in is not None else f"{jump:g}", f"{jump:g}")]
        return WalkStep(title, nodes[0].block_kind, _block_text(nodes, inner), block, input_shape,
                        last.output_shape, params, macs, rf, jump, tuple(worked), (block,), tuple(inner), None)

    # --- shapes and fields ---------------------------------------------------------------------------
    def shape_of(self, index: int) -> tuple[int, ...]:
        return self.summary.input_shapes[0] if index < 0 else self.summary.nodes[index].output_shape

    def input_shape(self, node: TraceNode) -> tuple[int, ...]:
        if node.input_shapes:
            return node.input_shapes[0]
        return self.shape_of(node.inputs[0]) if node.inputs else self.summary.input_shapes[0]

    def _producer(self, node: TraceNode) -> TraceNode | None:
        index = node.inputs[0] if node.inputs else -1
        return None if index < 0 else self.summary.nodes[index]

    def field_name(self, node: TraceNode) -> str:
        return self.field_names.get(node.index, node.name)

    def field_of(self, node: TraceNode | None) -> tuple[int | None, float | None, LayerRF | None]:
        """(rf, jump, its LayerRF row) after ``node``: its own row where it changes the field, else its input's."""
        if node is None:
            return 1, 1.0, None  # the input image: one pixel, jump 1
        if node.index not in self.memo:
            self.memo[node.index] = self._field(node)
        return self.memo[node.index]

    def _field(self, node: TraceNode) -> tuple[int | None, float | None, LayerRF | None]:
        if len(node.output_shape) < 3:
            return None, None, None  # past flattening: the whole image
        layer_rf = self.fields.get(self.field_name(node))
        if layer_rf is not None:
            return (None, None, None) if layer_rf.global_pool else (layer_rf.rf, layer_rf.jump, layer_rf)
        return self.field_of(self._producer(node))


# --- the arithmetic of each kind ---------------------------------------------------------------------------
def _pair(value) -> tuple[int, int]:
    return tuple(value) if isinstance(value, (tuple, list)) else (value, value)


def _size_text(shape: tuple[int, ...]) -> str:
    """The output size a worked line states: "55" for a square map, "17x8" otherwise, "4096" for a vector."""
    if len(shape) < 3:
        return str(shape[-1]) if shape else ""
    height, width = shape[-2:]
    return str(height) if height == width else f"{height}x{width}"


def _hw_text(shape: tuple[int, ...]) -> str:
    return "x".join(str(d) for d in shape[-2:])


def _terms(values: list[int], most: int = 8) -> list[str]:
    shown = [f"{v:,}" for v in values[:most]]
    return shown + [f"… ({len(values)} terms)"] if len(values) > most else shown


def _padding(module: nn.modules.conv._ConvNd, row: LayerRow) -> list[tuple[int, int]]:
    """(before, after) padding per axis: the layer's own plus a pad module inside it (TF-style 'same')."""
    kernel, dilation = _pair(module.kernel_size), _pair(module.dilation)
    if module.padding == "valid":
        own = [(0, 0), (0, 0)]
    elif module.padding == "same":
        totals = [d * (k - 1) for k, d in zip(kernel, dilation)]
        own = [(t // 2, t - t // 2) for t in totals]
    else:
        own = [(p, p) for p in _pair(module.padding)]
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
        worked += " − 1 (the last window would start in the padding)"
    if dilation > 1:
        worked = f"F_eff = {dilation}·({kernel} − 1) + 1 = {arithmetic.effective_kernel(kernel, dilation)}; {worked}"
        formula += ", F_eff = D(F − 1) + 1"
    return formula, worked, size


def _output_size(axes: list[tuple[str, str, int]]) -> Worked:
    (formula, worked_h, height), (_, worked_w, width) = axes
    if worked_h == worked_w:
        return Worked(OUTPUT_SIZE, formula, worked_h, str(height))
    return Worked(OUTPUT_SIZE, formula + " (per axis)", f"H: {worked_h} = {height}; W: {worked_w} = {width}",
                  str(height) if height == width else f"{height}x{width}")


def _conv(module: nn.modules.conv._ConvNd, row: LayerRow) -> tuple[Worked, ...]:
    transposed = isinstance(module, nn.modules.conv._ConvTransposeNd)
    kernel, stride, dilation = _pair(module.kernel_size), _pair(module.stride), _pair(module.dilation)
    output_padding = _pair(getattr(module, "output_padding", 0))
    in_hw, out_hw = row.input_shape[-2:], row.output_shape[-2:]
    axes = [_size_worked(in_hw[a], kernel[a], stride[a], _padding(module, row)[a], dilation[a], False, transposed,
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
        params_formula, params_worked = f"K·{f_symbol}·{per_group} (no bias)", f"{filters}·{f_text}·{channels_text}"
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


def _pool(module: nn.Module, row: LayerRow) -> tuple[Worked, ...]:
    kernel, stride = _pair(module.kernel_size), _pair(module.stride or module.kernel_size)
    padding = _pair(getattr(module, "padding", 0))
    dilation = _pair(getattr(module, "dilation", 1))
    ceil = bool(getattr(module, "ceil_mode", False))
    in_hw = row.input_shape[-2:]
    axes = [_size_worked(in_hw[a], kernel[a], stride[a], (padding[a], padding[a]), dilation[a], ceil, False, 0)
            for a in range(2)]
    return _output_size(axes), _no_parameters(f"a fixed rule: the {_pool_name(module)} of each window")


def _adaptive(row: LayerRow) -> tuple[Worked, ...]:
    what = "one value per map (global pool)" if row.output_shape[-2:] == (1, 1) else "bins chosen by the layer"
    sizes = f"{_hw_text(row.input_shape)} → {_hw_text(row.output_shape)}: {what}"
    return (Worked(OUTPUT_SIZE, "set by the layer (adaptive): its output_size", sizes, _size_text(row.output_shape)),
            _no_parameters("a fixed rule over each bin"))


def _lrn(module: nn.LocalResponseNorm, row: LayerRow) -> tuple[Worked, ...]:
    return (Worked(OUTPUT_SIZE, "unchanged: each value is scaled by its neighbouring channels",
                   f"{shape_text(row.input_shape)} → {shape_text(row.output_shape)}", _size_text(row.output_shape)),
            Worked(NORMALISATION, "b_c = a_c / (k + α/n · Σ a_c′²)^β over n neighbouring channels",
                   f"n = {module.size}, α = {module.alpha:g}, β = {module.beta:g}, k = {module.k:g}",
                   "no parameters"))


def _linear(module: nn.Linear, row: LayerRow) -> tuple[Worked, ...]:
    n_in, n_out = module.in_features, module.out_features
    bias = module.bias is not None
    # A fully connected layer is a convolution with one 1x1 filter per output over N_in channels.
    params = arithmetic.params(1, n_in, n_out, 1, bias)
    positions = math.prod(row.output_shape) // n_out  # 1 for a vector; applied at every position otherwise
    macs = positions * arithmetic.macs(1, 1, n_out, 1, n_in)
    formula, worked = ("N_out·(N_in + 1)", f"{n_out}·({n_in} + 1)") if bias else ("N_out·N_in (no bias)",
                                                                               f"{n_out}·{n_in}")
    at = f"{positions}·" if positions > 1 else ""
    return (Worked(PARAMETERS, formula, worked, f"{params:,}"),
            Worked(MACS, ("positions·" if at else "") + "N_in·N_out", f"{at}{n_in}·{n_out}", f"{macs:,}"))


def _no_parameters(rule: str) -> Worked:
    return Worked(PARAMETERS, "no parameters", rule, "0")


def _field_worked(layer_rf: LayerRF) -> tuple[Worked, ...]:
    rf_result = str(layer_rf.rf) if len(set(layer_rf.rf_hw)) == 1 else "x".join(map(str, layer_rf.rf_hw))
    jumps = layer_rf.jump_hw
    jump_result = f"{jumps[0]:g}" if jumps[0] == jumps[1] else "x".join(f"{j:g}" for j in jumps)
    transposed = layer_rf.jump < layer_rf.jump_in
    jump_formula = "j_k = j_{k−1}/S" if transposed else "j_k = j_{k−1}·S"
    stride = layer_rf.stride if "x" not in layer_rf.stride else f"({layer_rf.stride})"
    if not layer_rf.kernel:  # a join: the union of its branches' fields
        return (Worked(RECEPTIVE_FIELD, "the widest of the joined branches", layer_rf.recursion(), rf_result),
                Worked(JUMP, "the joined branches' jump", "unchanged", jump_result))
    jump_worked = f"{layer_rf.jump_in:g}{'/' if transposed else '·'}{stride}"
    return (Worked(RECEPTIVE_FIELD, "l_k = l_{k−1} + (F_eff − 1)·j_{k−1}", layer_rf.recursion(), rf_result),
            Worked(JUMP, jump_formula, jump_worked, jump_result))


# --- descriptions ------------------------------------------------------------------------------------------
def _block_text(nodes: list[TraceNode], inner: list[WalkStep]) -> str:
    """"3 conv layers; the block input added back (identity shortcut)", "6 conv, 1 pool layers; 4 tensors joined
    by concatenation": its layers by kind, and how its last step joins them."""
    modules = {n.name: n.module for n in nodes if n.module is not None}
    counts: dict[str, int] = {}
    for step in inner:
        if step.kind in JOIN_OPS:
            continue
        module = modules[step.layer]
        kind = ("conv" if isinstance(module, nn.modules.conv._ConvNd) else "pool" if isinstance(module, POOLS)
                else "FC" if isinstance(module, nn.Linear) else step.kind)
        counts[kind] = counts.get(kind, 0) + 1
    text = " + ".join(f"{n} {kind}" for kind, n in counts.items())
    text += " layer" if sum(counts.values()) == 1 else " layers"
    joins = [s for s in inner if s.kind in JOIN_OPS]
    if inner and inner[-1].kind in JOIN_OPS:
        text += f"; {inner[-1].description.split(', then')[0]}"
        joins = joins[:-1]
    if joins:
        text += f" (+ {len(joins)} join{'s' if len(joins) > 1 else ''} inside)"
    return text


def _pool_name(module: nn.Module) -> str:
    return "max" if "Max" in type(module).__name__ else "average"


def _conv_text(module: nn.modules.conv._ConvNd, row: LayerRow) -> str:
    kernel = "x".join(map(str, _pair(module.kernel_size)))
    stride = "x".join(map(str, dict.fromkeys(_pair(module.stride))))
    pads = _padding(module, row)
    if all(low == high for low, high in pads):
        pad = "x".join(str(p) for p in dict.fromkeys(low for low, _ in pads))
    else:
        pad = ", ".join(f"{low}+{high}" for low, high in pads) + " (before+after per axis)"
    transposed = " transposed" if isinstance(module, nn.modules.conv._ConvTransposeNd) else ""
    text = f"{module.out_channels} {kernel}{transposed} filters at stride {stride}, pad {pad}"
    if module.groups > 1:
        text += " (depthwise)" if module.groups == module.in_channels else f", {module.groups} groups"
    if max(_pair(module.dilation)) > 1:
        text += f", dilation {'x'.join(map(str, _pair(module.dilation)))}"
    return text


def _pool_text(module: nn.Module) -> str:
    kernel = "x".join(map(str, dict.fromkeys(_pair(module.kernel_size))))
    kernel = kernel if "x" in kernel else f"{kernel}x{kernel}"
    stride = _pair(module.stride or module.kernel_size)[0]
    text = f"{kernel} {_pool_name(module)} pool at stride {stride}"
    padding = _pair(getattr(module, "padding", 0))
    if max(padding):
        text += f", pad {padding[0]}"
    return text + (", rounding up (ceil mode)" if getattr(module, "ceil_mode", False) else "")


def _short(node: TraceNode) -> str:
    module = node.module
    if isinstance(module, nn.Dropout):
        return f"dropout {module.p:g}"
    if isinstance(module, nn.Flatten):
        return f"flatten to {node.output_shape[0]:,}" if len(node.output_shape) == 1 else "flatten"
    if isinstance(module, ADAPTIVE):
        return f"adaptive {_pool_name(module)} pool (already {_hw_text(node.output_shape)})"
    return FOLDED_NAMES.get(node.kind, node.kind)


def _folded_text(nodes: list[TraceNode]) -> str:
    names = [_short(n) for n in nodes if n.kind != "Identity"]
    return ", ".join(dict.fromkeys(names)) if len(set(names)) < len(names) else ", ".join(names)


def _with_folded(text: str, before: list[TraceNode], after: list[TraceNode]) -> str:
    if _folded_text(before):
        text = f"{_folded_text(before)}, then {text}"
    if _folded_text(after):
        text = f"{text}, then {_folded_text(after)}"
    return text


# --- names: the graph's node keys, the recursion's rows, the notes' labels ----------------------------------
def _graph_keys(summary: Summary) -> dict[int, str]:
    """Node names as ``analysis.graph.layer_graph`` gives them: a repeated call of a name gets " (k)"."""
    calls: dict[str, int] = {}
    keys = {}
    for node in summary.nodes:
        calls[node.name] = calls.get(node.name, 0) + 1
        keys[node.index] = node.name if calls[node.name] == 1 else f"{node.name} ({calls[node.name]})"
    return keys


def _field_names(summary: Summary) -> dict[int, str]:
    """Join names as the receptive-field trace numbers them (a block that joins twice: "x.stack (2)")."""
    calls: dict[str, int] = {}
    names = {}
    for node in summary.nodes:
        if node.module is None:
            calls[node.name] = calls.get(node.name, 0) + 1
            names[node.index] = node.name if calls[node.name] == 1 else f"{node.name} ({calls[node.name]})"
    return names


def _labels(summary: Summary) -> dict[str, str]:
    """Module name -> the notes' label (CONV1, MAX POOL1, NORM1, FC6), numbered by ``walk.layer_walk``."""
    rows = [r for r in summary.layers if r.type in KINDS and not r.auxiliary and not r.shared]
    return {row.name: step.label for row, step in zip(rows, layer_walk(summary), strict=True)}
