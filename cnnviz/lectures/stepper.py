"""The step-through layer walk: one step per layer (or per block call), each with its arithmetic worked out.

Which rows become steps follows the notes' walk (``walk.layer_walk``): convolutions, pooling, LRN and fully
connected layers, plus any other layer that changes the shape. Batch norm, activations, dropout and flatten are
folded into the step whose output they read ("then BN, ReLU"), or, when they read a join or the block input
(pre-activation), into the next step ("BN, ReLU, then ..."); their parameters count in that step. Inside a block
the joins (add, concatenation) are steps of their own. Every number comes from the traced model: the rows and
nodes of the ``Summary``, the ``LayerRF`` rows of the receptive-field recursion and ``conv_arithmetic``; each
layer's worked lines are written by ``step_arithmetic``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from torch import nn

from cnnviz.analysis.receptive_field.recursion import LayerRF
from cnnviz.analysis.summary import LayerRow, Summary
from cnnviz.analysis.tracing import JOIN_OPS, TraceNode
from cnnviz.format import shape_text
from cnnviz.i18n import N_, _
from cnnviz.lectures.step_arithmetic import (CHANNELS, JUMP, MACS, OUTPUT_SIZE, PARAMETERS, RECEPTIVE_FIELD, SHAPES,
                                              STEP_PARAMETERS, Worked, adaptive_worked, conv_worked,
                                              field_worked, hw_text, linear_worked, lrn_worked, pair, pool_name,
                                              pool_worked, size_text, terms)
from cnnviz.lectures.step_text import (ADAPTIVE, POOLS, block_text, conv_text, folded_text, pool_text, short_name,
                                       with_folded)
from cnnviz.lectures.walk import KINDS, layer_walk

JOIN_TITLES = {"add": "ADD", "__add__": "ADD", "__iadd__": "ADD", "add_": "ADD", "cat": "CONCAT",
               "concat": "CONCAT", "stack": "STACK", "mul": "MULTIPLY", "__mul__": "MULTIPLY",
               "sub": "SUBTRACT", "__sub__": "SUBTRACT", "mean": "MEAN"}


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
    steps += [WalkStep("PARAMETERS", row.type, _("parameters owned by a module outside its layers"), row.name, (), (),
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
                # next layer, as torchvision AlexNet's dropout before FC6).
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
            title, worked, kernel, description = node.kind.upper(), (), None, folded_text([node])
        elif row is None:
            title, worked, kernel, description = self.join_parts(node)
        else:
            title, worked, kernel, description = self.row_parts(node, row)
        description = with_folded(description, draft.before, draft.after)
        params = sum(rows[n.index].params for n in members if n.index in rows)
        macs = sum(rows[n.index].macs for n in members if n.index in rows)
        extra = [n for n in folded if rows[n.index].params]
        if extra and row is not None:
            worked += (Worked(STEP_PARAMETERS, _("the layer + its folded layers"),
                              " + ".join([f"{row.params:,}"] + [f"{rows[n.index].params:,} ({short_name(n)})"
                                                                 for n in extra]), f"{params:,}"),)
        rf, jump, layer_rf = self.field_of(node)
        if rf is not None and self.is_step(node) and layer_rf is not None and layer_rf.name == self.field_name(node):
            worked += field_worked(layer_rf)
        return WalkStep(title, node.kind, description, node.name, self.input_shape(node), node.output_shape,
                        params, macs, rf, jump, worked, tuple(self.keys[n.index] for n in members), (), kernel)

    def row_parts(self, node: TraceNode, row: LayerRow) -> tuple[str, tuple[Worked, ...], tuple | None, str]:
        module = node.module
        title = self.labels.get(node.name, node.kind.upper())
        if node.call > 1 and not node.first_call:
            title = _("{title} (call {call})").format(title=title, call=node.call)
        if isinstance(module, nn.modules.conv._ConvNd):
            worked, description = conv_worked(module, row), conv_text(module, row)
            kernel = pair(module.kernel_size)
        elif isinstance(module, ADAPTIVE):
            worked = adaptive_worked(row)
            description = (_("adaptive max pool to {size}") if pool_name(module) == "max"
                           else _("adaptive average pool to {size}")).format(size=hw_text(row.output_shape))
            kernel = tuple(row.input_shape[-2:]) if row.output_shape[-2:] == (1, 1) else None
        elif isinstance(module, POOLS):
            worked, description = pool_worked(module, row), pool_text(module)
            kernel = pair(module.kernel_size)
        elif isinstance(module, nn.LocalResponseNorm):
            description = _("local response normalisation over {count} channels").format(count=module.size)
            worked, kernel = lrn_worked(module, row), None
        elif isinstance(module, nn.Linear):
            neurons = _("{count} neuron") if module.out_features == 1 else _("{count} neurons")
            worked, description, kernel = linear_worked(module, row), neurons.format(count=module.out_features), None
        else:
            worked, kernel = (), None
            description = f"{node.kind}: {shape_text(row.input_shape)} → {shape_text(row.output_shape)}"
        if not node.first_call and any(True for _parameter in module.parameters()):
            description = _("{text} (call {call} of the same layer: shared weights, no new parameters)").format(
                text=description, call=node.call)
            worked = tuple(w for w in worked if w.what != PARAMETERS) + (
                Worked(PARAMETERS, _("shared with the first call"), _("no new weights"), "0"),)
        elif not node.first_call:
            description = _("{text} (call {call} of the same layer)").format(text=description, call=node.call)
        return title, worked, kernel, description

    def join_parts(self, node: TraceNode) -> tuple[str, tuple[Worked, ...], None, str]:
        shapes = [self.shape_of(i) for i in node.inputs]
        title = JOIN_TITLES.get(node.kind, node.kind.upper())
        if title == "CONCAT":
            channels = " + ".join(terms([s[0] for s in shapes]))
            worked = (Worked(CHANNELS, _("C = C₁ + C₂ + … (concatenation along channels)"), channels,
                             f"{node.output_shape[0]:,}"),)
            text = _("concatenates {count} tensors along the channels").format(count=len(shapes))
            return title, worked, None, text
        if title == "ADD" and len(node.inputs) == 2 and node.block and any(
                i < 0 or self.summary.nodes[i].block != node.block for i in node.inputs):
            text = _("adds the block's input back (identity shortcut)")
        else:
            template = {"ADD": N_("adds {count} tensors element by element"),
                        "SUBTRACT": N_("subtracts {count} tensors element by element"),
                        "MULTIPLY": N_("multiplies {count} tensors element by element"),
                        "STACK": N_("stacks {count} tensors"),
                        "MEAN": N_("averages {count} tensors element by element")}.get(title)
            text = (_(template).format(count=len(shapes)) if template
                    else _("{operation} of {count} tensors").format(operation=node.kind, count=len(shapes)))
        sign = {"ADD": " + ", "SUBTRACT": " − ", "MULTIPLY": " ⊙ ", "MEAN": ", "}.get(title, ", ")
        worked = (Worked(SHAPES, _("the shapes must match"),
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
        rf, jump, _field = self.field_of(last)
        title = block if call == 1 else _("{title} (call {call})").format(title=block, call=call)
        input_shape = self.input_shape(nodes[0])
        if len(inner) == 1 and inner[0].kind not in JOIN_OPS and inner[0].output_shape == last.output_shape:
            # A wrapper (conv + BN): the block is its one layer.
            only = inner[0]
            return WalkStep(title, nodes[0].block_kind, only.description, block, only.input_shape,
                            only.output_shape, params, macs, rf, jump, only.worked, (block,), tuple(inner),
                            only.kernel_hw)
        rf_in, jump_in, _field_in = self.field_of(self._producer(nodes[0])) if nodes[0].inputs else (None, None, None)
        count = len(layers)
        shapes = f"{shape_text(input_shape)} → {shape_text(last.output_shape)}"
        worked = [Worked(OUTPUT_SIZE, _("the block's input → its output"), shapes, size_text(last.output_shape))]
        worked += [w for s in inner if s.layer == last.name for w in s.worked if w.what == CHANNELS]
        summed = _("sum of its {count} layers").format(count=count)
        worked += [Worked(PARAMETERS, summed, " + ".join(terms([s.params for s in inner if s.params])) or "0",
                          f"{params:,}"),
                   Worked(MACS, summed, " + ".join(terms([s.macs for s in inner if s.macs])) or "0", f"{macs:,}")]
        if rf is not None:
            widest = _("the widest path through the block: its input's field → its output's")
            worked += [Worked(RECEPTIVE_FIELD, widest,
                              f"{rf_in} → {rf}" if rf_in is not None else str(rf), str(rf)),
                       Worked(JUMP, _("the input's jump times the strides on the block's paths"),
                              f"{jump_in:g} → {jump:g}" if jump_in is not None else f"{jump:g}", f"{jump:g}")]
        ending = None
        if inner and inner[-1].kind in JOIN_OPS:  # how the block's last step joins its paths, without folded rows
            join = next(n for n in reversed(nodes) if n.module is None and n.name == inner[-1].layer)
            ending = self.join_parts(join)[3]
        return WalkStep(title, nodes[0].block_kind, block_text(nodes, inner, ending), block, input_shape,
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
