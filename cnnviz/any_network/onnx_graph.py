"""An ONNX graph as the registry's ``Summary``: one row per operator on the data path, with its output shape,
parameters and MACs; the tensor flow between rows as the trace the layer graph and the receptive fields read.

Blocks come from the node names: exporters name nodes after the module path they ran in (PyTorch writes
``/layer1/layer1.0/conv1/Conv``), so a node's block is the outermost scope in its name that is not a plain
container of numbered children (``layer1`` holds ``layer1.0``, ``layer1.1``...).
"""

from __future__ import annotations

import math
from collections import Counter

from onnx import TensorProto, numpy_helper

from cnnviz.analysis.receptive_field.geometry import GeometryTrace
from cnnviz.analysis.receptive_field.recursion import fields_of
from cnnviz.analysis.summary import LayerRow, Summary
from cnnviz.analysis.tracing import TraceNode
from cnnviz.any_network import Network, NetworkError
from cnnviz.any_network import onnx_ops as ops
from cnnviz.any_network.onnx_file import OnnxFile, fixed_shapes, graph_inputs, open_dimensions, parse, with_shapes
from cnnviz.i18n import N_

FLOATS = {TensorProto.FLOAT, TensorProto.FLOAT16, TensorProto.BFLOAT16, TensorProto.DOUBLE}
# The widest feature map analysed: the receptive-field walk visits every unit of a map that upsampling makes
# uneven, so a Resize by a million (a 300-byte file) would take the worker's memory. Inputs are at most 1,024
# pixels; a decoder that upsamples them eight times still fits.
MAX_SIDE = 8192


def _shapes_and_types(model) -> tuple[dict[str, tuple[int, ...]], dict[str, int]]:
    shapes, types = {}, {}
    graph = model.graph
    for value in [*graph.input, *graph.value_info, *graph.output]:
        tensor = value.type.tensor_type
        types[value.name] = tensor.elem_type
        dims = [d.dim_value if d.HasField("dim_value") else None for d in tensor.shape.dim]
        if tensor.HasField("shape") and None not in dims:
            shapes[value.name] = tuple(dims)
    for tensor in graph.initializer:
        shapes[tensor.name], types[tensor.name] = tuple(tensor.dims), tensor.data_type
    for node in graph.node:
        if node.op_type == "Constant" and node.attribute and node.attribute[0].name == "value":
            tensor = node.attribute[0].t
            shapes[node.output[0]], types[node.output[0]] = tuple(tensor.dims), tensor.data_type
    return shapes, types


def _small_constants(model) -> dict[str, list]:
    """Integer constants (pads, axes) by name, for the ops whose geometry they set."""
    found = {}
    tensors = [*model.graph.initializer,
               *(n.attribute[0].t for n in model.graph.node if n.op_type == "Constant" and n.attribute
                 and n.attribute[0].name == "value")]
    names = [*(t.name for t in model.graph.initializer),
             *(n.output[0] for n in model.graph.node if n.op_type == "Constant" and n.attribute
               and n.attribute[0].name == "value")]
    for name, tensor in zip(names, tensors, strict=True):
        if tensor.data_type == TensorProto.INT64 and math.prod(tensor.dims) <= 16:
            found[name] = numpy_helper.to_array(tensor).tolist()
    return found


def _scopes(name: str) -> list[str]:
    return [part for part in name.strip("/").split("/") if part][:-1]  # the last part is the op itself


def _block(scopes: list[str], join: bool) -> str | None:
    """The outermost scope that is not a container of numbered children; a layer's own scope (its module) is
    no block of its own, a join's is (as in ``cnnviz.analysis.tracing.block_of``)."""
    candidates = scopes if join else scopes[:-1]
    for depth, scope in enumerate(candidates):
        child = scopes[depth + 1] if depth + 1 < len(scopes) else ""
        if not (child.startswith(scope + ".") and child[len(scope) + 1:].split(".")[0].isdigit()):
            return "/".join(scopes[:depth + 1])
    return None


def _common_prefix(node_scopes: list[list[str]]) -> int:
    """Scope levels every node shares (TensorFlow's ``StatefulPartitionedCall/model``): not blocks."""
    if not node_scopes:
        return 0
    shortest = min(len(s) for s in node_scopes)
    depth = 0
    while depth < shortest and len({s[depth] for s in node_scopes}) == 1:
        depth += 1
    return depth


def _kind_of_block(op_types: list[str]) -> str:
    """A block's caption in the graph: its costly and joining operators, e.g. "2 Conv · Add"."""
    shown = Counter(t for t in op_types if t in ops.CONVOLUTIONS | ops.PRODUCTS | set(ops.JOINS.values()))
    return " · ".join(f"{n} {t}" if n > 1 else t for t, n in shown.items()) or op_types[0]


def onnx_network(file: OnnxFile, input_size: int | None = None) -> Network:
    """Analyse ``file`` at ``input_size`` (needed only where the file leaves the input's height and width open:
    ``NeedsInputSize`` says so)."""
    model = parse(file)
    dynamic = open_dimensions(model)
    if input_size is not None and not dynamic:
        input_size = None  # the file fixes its input: the size it states is the one used
    shapes_in = fixed_shapes(model, input_size)
    model = with_shapes(model, shapes_in)
    return _analyse(model, file.name, shapes_in, dynamic)


def _analyse(model, name: str, input_shapes: list[tuple[int, ...]], dynamic: bool) -> Network:
    shapes, types = _shapes_and_types(model)
    constants = _small_constants(model)
    batch = input_shapes[0][0] or 1
    data = {value.name for value in graph_inputs(model)}
    producer: dict[str, int] = {value: -1 for value in data}
    on_path = []
    for node in model.graph.node:
        if any(x in data for x in node.input):
            data.update(o for o in node.output if o)
            if any(types.get(o) in FLOATS for o in node.output if o):
                on_path.append(node)
    _check_sizes(on_path, shapes)
    node_scopes = [_scopes(n.name) for n in on_path]
    skip = _common_prefix(node_scopes) if len(on_path) > 1 else 0
    nodes, rows, row_of_node = [], [], {}
    counted_weights: set[str] = set()
    uncounted: list[str] = []
    geometry = {}
    for position, node in enumerate(on_path):
        sources = list(dict.fromkeys(producer[x] for x in node.input if x in producer))
        float_sources = [x for x in node.input if x in producer and types.get(x) in FLOATS]
        scopes = node_scopes[position][skip:]
        join = node.op_type in ops.JOINS and len({producer[x] for x in float_sources}) > 1
        title = node.name.strip("/") or f"{node.op_type}_{position}"
        output = shapes.get(node.output[0])
        index = len(nodes)
        trace_node = TraceNode(index, title, ops.JOINS[node.op_type] if join else node.op_type, None,
                               _block(scopes, join), inputs=sources,
                               output_shape=tuple(output[1:]) if output else (),
                               input_shapes=[tuple(shapes[x][1:]) for x in float_sources if x in shapes])
        nodes.append(trace_node)
        for value in node.output:
            producer[value] = index
        if not ops.counted(node):
            uncounted.append(node.op_type if node.domain in ("", "ai.onnx") else f"{node.domain}.{node.op_type}")
        elif node.op_type in ops.CONVOLUTIONS | ops.PRODUCTS and output is None:
            raise NetworkError(N_("the shape of {tensor} (output of {node}) cannot be inferred"),
                               tensor=node.output[0], node=title)
        if join:
            continue
        cell = ops.layout(node, shapes) if node.input[0] in shapes else {}
        weights = _weights(node, data, shapes, types)
        new = [w for w in weights if w not in counted_weights]
        counted_weights.update(weights)
        row = LayerRow(
            name=title, type=node.op_type, kernel=ops._text(cell.get("kernel", [])),
            stride=ops._text(cell.get("stride", [])), padding=cell.get("padding", ""), groups=cell.get("groups"),
            output_shape=trace_node.output_shape, params=sum(math.prod(shapes[w]) for w in new),
            macs=ops.macs(node, shapes, batch) if ops.counted(node) and output else 0,
            activations=0 if node.op_type in ops.VIEWS or not output else math.prod(output[1:]),
            block=trace_node.block, auxiliary=False, shared=bool(weights) and not new,
            input_shape=trace_node.input_shapes[0] if trace_node.input_shapes else (),
            bias=node.op_type in ops.CONVOLUTIONS and len(node.input) > 2 and bool(node.input[2]),
            dilation=ops._text(cell.get("dilation", [])), ceil_mode=cell.get("ceil_mode", False))
        rows.append(row)
        row_of_node[index] = row
        if (axes := ops.geometry(node, shapes, constants)) is not None:
            geometry[index] = axes
    for node in nodes:  # a block's caption: what it does, in place of a module class
        if node.block:
            node.block_kind = _kind_of_block([n.kind for n in nodes if n.block == node.block])
    summary = Summary(
        model=name, input_shapes=tuple(tuple(s[1:]) for s in input_shapes), layers=rows,
        total_params=sum(r.params for r in rows), aux_params=0, total_macs=sum(r.macs for r in rows), aux_macs=0,
        total_activations=sum(math.prod(s[1:]) for s in input_shapes) + sum(r.activations for r in rows),
        nodes=nodes, row_of_node=row_of_node)
    fields = fields_of(GeometryTrace(nodes, geometry, None)) if geometry else []
    return Network(summary, fields or None, "onnx", tuple(dict.fromkeys(uncounted)),
                   default_size=input_shapes[0][-1] if len(input_shapes[0]) == 4 else None, dynamic=dynamic)


def _check_sizes(on_path, shapes) -> None:
    """Refuse a map with no elements (a Resize by 0) or one wider than ``MAX_SIDE`` before anything walks it."""
    for node in on_path:
        for value in node.output:
            shape = shapes.get(value)
            if not shape:
                continue
            shown = "x".join(map(str, shape))
            if 0 in shape[1:]:
                raise NetworkError(N_("{tensor} (output of {node}) would have no elements ({shape})"),
                                   tensor=value, node=node.name or node.op_type, shape=shown)
            if len(shape) >= 3 and max(shape[2:]) > MAX_SIDE:
                raise NetworkError(N_("{tensor} (output of {node}) would be {shape}: wider than the {limit} "
                                      "pixels a side this app analyses"), tensor=value, node=node.name or node.op_type,
                                   shape=shown, limit=f"{MAX_SIDE:,}")


def _weights(node, data: set[str], shapes, types) -> list[str]:
    """The constant inputs of ``node`` that hold learned weights (see ``onnx_ops.WEIGHT_INPUTS``), by name: an
    exporter keeps one copy of identical tensors and names each use through an Identity, so names, not stored
    tensors, tell weights apart."""
    positions = ops.WEIGHT_INPUTS.get(node.op_type)
    loose = positions is None and (node.op_type in ops.ELEMENTWISE_WEIGHTS or not ops.counted(node))
    if loose:  # an uncounted operator's constant tensors are most likely its weights (an Einsum's, an LSTM's)
        positions = range(len(node.input))
    found = []
    for position in positions or ():
        if position >= len(node.input):
            continue
        value = node.input[position]
        if not value or value in data or types.get(value) not in FLOATS or value not in shapes:
            continue
        if loose and math.prod(shapes[value]) <= 1:
            continue
        found.append(value)
    return found
