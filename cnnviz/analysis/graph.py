"""Layer graph in graphviz DOT, drawn from the traced data flow.

Folded, each block (an inception module, a residual block, a dense block) is one node with its
parameter and MAC subtotals; unfolded blocks show their layers inside a cluster. Edges carry the
shape of the tensor that flows along them. Captions are in the session's language; layer and block
names and their classes are not translated.
"""

from __future__ import annotations

import shutil
from collections.abc import Collection

import graphviz

from cnnviz.analysis.summary import LayerRow, Summary
from cnnviz.format import count, shape_text
from cnnviz.i18n import _

INPUT, OUTPUT = "input", "output"


def _label(title: str, kind: str, params: int, macs: int) -> str:
    lines = [title, kind]
    if params or macs:
        lines.append(_("{params} params · {macs} MACs").format(params=count(params), macs=count(macs)))
    return "\n".join(lines)


def _layer_detail(row: LayerRow) -> str:
    parts = [row.type]
    if row.kernel:
        parts.append(f"{row.kernel}x{row.kernel}/{row.stride}" if "x" not in row.kernel else row.kernel)
    return " ".join(parts)


HIGHLIGHT = {"fillcolor": "#ffd54f", "color": "#e65100", "penwidth": "3"}  # the step on screen
ELSEWHERE = "…"  # stands for the layers a windowed graph leaves out


def layer_graph(summary: Summary, unfold: Collection[str] | bool = (), highlight: Collection[str] = (),
                window: int | None = None) -> graphviz.Digraph:
    """``unfold``: block names to draw layer by layer, or True for every block. ``highlight``: node names to mark
    (a step of the layer walk). ``window``: draw only the nodes within that many places of the highlighted ones
    (in execution order), so that a graph on a projector follows the step instead of shrinking to fit."""
    unfolded = (lambda block: True) if unfold is True else (lambda block: block in unfold)

    # A module called twice (ResNet's shared ReLU, Siamese twins) is drawn once per call.
    calls: dict[str, int] = {}
    keys: list[str] = []
    for node in summary.nodes:
        calls[node.name] = calls.get(node.name, 0) + 1
        keys.append(node.name if calls[node.name] == 1 else f"{node.name} ({calls[node.name]})")

    def group(index: int) -> str:
        if index < 0:
            return INPUT
        node = summary.nodes[index]
        return keys[index] if node.block is None or unfolded(node.block) else node.block

    totals: dict[str, list[int]] = {}
    kinds: dict[str, str] = {}
    aux_blocks: set[str] = set()
    for node in summary.nodes:
        name = group(node.index)
        row = summary.row_of_node.get(node.index)
        entry = totals.setdefault(name, [0, 0])
        if row:
            entry[0] += row.params
            entry[1] += row.macs
            if row.auxiliary:
                aux_blocks.add(name)
        kinds[name] = node.block_kind if name == node.block else node.kind

    shapes = " + ".join(shape_text(s) for s in summary.input_shapes)
    # name -> (the unfolded block it is drawn in, label, attributes), in execution order
    specs: dict[str, tuple[str | None, str, dict]] = {INPUT: (None, _("input") + "\n" + shapes,
                                                              {"fillcolor": "#fff6d5"})}
    for node in summary.nodes:
        name = group(node.index)
        if name in specs:
            continue
        style = {"style": "rounded,filled,dashed", "fillcolor": "#f4f4f4"} if name in aux_blocks else {}
        row = summary.row_of_node.get(node.index)
        inside = node.block if node.block and unfolded(node.block) else None
        if name == node.block:
            specs[name] = (None, _label(name, kinds[name], *totals[name]), {"fillcolor": "#dbe7f7"} | style)
        elif row:
            title = name[len(inside) + 1:] if inside else name
            specs[name] = (inside, _label(title, _layer_detail(row), *totals[name]), style)
        else:
            specs[name] = (inside, node.kind, {"shape": "circle"} | style)

    edges: dict[tuple[str, str], str] = {}
    for node in summary.nodes:
        target = group(node.index)
        for source_index in node.inputs:
            source = group(source_index)
            if source != target:
                shape = summary.input_shapes[0] if source_index < 0 else summary.nodes[source_index].output_shape
                edges.setdefault((source, target), shape_text(shape))
    consumed = {source for source, _target in edges}
    last = group(summary.nodes[-1].index)
    if last not in consumed and last != INPUT:
        specs[OUTPUT] = (None, _("output") + "\n" + shape_text(summary.nodes[-1].output_shape),
                         {"fillcolor": "#fff6d5"})
        edges[(last, OUTPUT)] = ""

    shown = set(specs)
    marked = [i for i, name in enumerate(specs) if name in highlight]
    if window is not None and marked:
        order = list(specs)
        shown = set(order[max(0, min(marked) - window): max(marked) + window + 1])

    dot = graphviz.Digraph(summary.model, graph_attr={"rankdir": "TB", "nodesep": "0.25", "ranksep": "0.3"},
                           node_attr={"shape": "box", "style": "rounded,filled", "fontname": "Helvetica",
                                      "fontsize": "10", "fillcolor": "#eef3fb"},
                           edge_attr={"fontname": "Helvetica", "fontsize": "9"})
    clusters: dict[str, graphviz.Digraph] = {}
    for name, (inside, label, attributes) in specs.items():
        if name not in shown:
            continue
        attributes = attributes | (HIGHLIGHT if name in highlight else {})
        target = dot
        if inside is not None:
            target = clusters.get(inside)
            if target is None:
                target = clusters[inside] = graphviz.Digraph(f"cluster_{len(clusters)}")
                kind = next(n.block_kind for n in summary.nodes if n.block == inside)
                target.attr(label=graphviz.nohtml(f"{inside} ({kind})"), style="rounded", color="#8aa4c8", fontname="Helvetica",
                            fontsize="10")
        # nohtml: an ONNX file names its nodes, and "<...>" would be read as an HTML label (with links).
        target.node(graphviz.nohtml(name), graphviz.nohtml(label), **attributes)
    for cluster in clusters.values():
        dot.subgraph(cluster)

    for (source, target), label in edges.items():
        if source not in shown and target not in shown:
            continue
        if source not in shown:
            source = f"{ELSEWHERE} before"
            dot.node(source, ELSEWHERE, shape="plaintext", style="")
        elif target not in shown:
            target = f"{ELSEWHERE} after"
            dot.node(target, ELSEWHERE, shape="plaintext", style="")
        dot.edge(graphviz.nohtml(source), graphviz.nohtml(target), label=f" {label}" if label else "")
    return dot


def blocks(summary: Summary) -> list[str]:
    """Block names in execution order, for an unfold picker."""
    seen: dict[str, None] = {}
    for node in summary.nodes:
        if node.block:
            seen.setdefault(node.block)
    return list(seen)


def svg(dot: graphviz.Digraph) -> bytes | None:
    """Rendered SVG, or None where graphviz's ``dot`` program is not installed."""
    if shutil.which("dot") is None:
        return None
    return dot.pipe(format="svg")


def block_graph(summary: Summary, block: str) -> graphviz.Digraph:
    """One block drawn layer by layer, with where its input comes from and where its output goes."""
    inside = [n for n in summary.nodes if n.block == block]
    members = {n.index for n in inside}
    calls: dict[str, int] = {}
    keys: dict[int, str] = {}
    for node in inside:
        calls[node.name] = calls.get(node.name, 0) + 1
        relative = node.name[len(block) + 1:] if node.name.startswith(block + ".") else node.name
        keys[node.index] = relative if calls[node.name] == 1 else f"{relative} ({calls[node.name]})"
    dot = graphviz.Digraph(block, graph_attr={"rankdir": "TB", "nodesep": "0.25", "ranksep": "0.3"},
                           node_attr={"shape": "box", "style": "rounded,filled", "fontname": "Helvetica",
                                      "fontsize": "10", "fillcolor": "#eef3fb"},
                           edge_attr={"fontname": "Helvetica", "fontsize": "9"})
    dot.node(INPUT, _("block input"), fillcolor="#fff6d5")
    dot.node(OUTPUT, _("block output"), fillcolor="#fff6d5")
    for node in inside:
        row = summary.row_of_node.get(node.index)
        if row:
            dot.node(graphviz.nohtml(keys[node.index]),
                     graphviz.nohtml(_label(keys[node.index], _layer_detail(row), row.params, row.macs)))
        else:
            dot.node(graphviz.nohtml(keys[node.index]), graphviz.nohtml(node.kind), shape="circle")
        for source in node.inputs:
            origin = keys.get(source, INPUT)
            shape = summary.input_shapes[0] if source < 0 else summary.nodes[source].output_shape
            dot.edge(graphviz.nohtml(origin), graphviz.nohtml(keys[node.index]), label=f" {shape_text(shape)}")
    read_outside = {s for n in summary.nodes if n.index not in members for s in n.inputs}
    for node in [n for n in inside if n.index in read_outside] or inside[-1:]:
        dot.edge(graphviz.nohtml(keys[node.index]), OUTPUT, label=f" {shape_text(node.output_shape)}")
    return dot
