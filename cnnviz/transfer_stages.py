"""A classifier cut into stages for transfer learning: what each stage sees (its receptive field), what it
costs, and which parameters train when the encoder is frozen, partly unfrozen or fine-tuned whole.

A stage is a run of blocks whose output has the same spatial size; the head is the last linear layer, which
transfer learning replaces with a new one for the new classes. Counts come from ``requires_grad`` set on a
live model (built on the ``meta`` device), as a training script would set it.
"""

from __future__ import annotations

from dataclasses import dataclass

from torch import nn

from cnnviz.analysis import Summary, summarize_model
from cnnviz.registry import resolve
from cnnviz.tracing import TraceNode

MODES = {"freeze": "Freeze the encoder, train a new head", "top": "Fine-tune the top stages and the new head",
         "all": "Fine-tune everything"}
POOLS = (nn.MaxPool2d, nn.AvgPool2d)


@dataclass(frozen=True)
class Stage:
    name: str  # e.g. "28x28" or "head"
    units: tuple[str, ...]  # module names: blocks, or layers outside any block
    output: str
    receptive_field: int | None  # pixels; None once a global pooling has seen the whole image
    params: int
    macs: int


def _pair(value) -> int:
    return value[0] if isinstance(value, (tuple, list)) else value


def receptive_fields(nodes: list[TraceNode]) -> dict[int, tuple[int | None, int]]:
    """(receptive field, jump) per node, by the notes' rule l_k = l_{k-1} + (f_k - 1) * (product of earlier
    strides), taking the largest over the paths that join at a node."""
    fields: dict[int, tuple[int | None, int]] = {-1: (1, 1)}
    for node in nodes:
        inputs = [fields[i] for i in node.inputs if i in fields] or [(1, 1)]
        field = None if any(f is None for f, _ in inputs) else max(f for f, _ in inputs)
        jump = max(j for _, j in inputs)
        module = node.module
        if isinstance(module, nn.AdaptiveAvgPool2d | nn.AdaptiveMaxPool2d) and node.output_shape[-1:] == (1,):
            field = None  # global pooling: every output sees the whole image
        elif field is not None and isinstance(module, (nn.modules.conv._ConvNd, *POOLS)):
            kernel, stride = _pair(module.kernel_size), _pair(module.stride or module.kernel_size)
            dilation = _pair(getattr(module, "dilation", 1))
            field, jump = field + dilation * (kernel - 1) * jump, jump * stride
        fields[node.index] = (field, jump)
    return fields


def head_name(summary: Summary) -> str:
    return [row.name for row in summary.layers if row.type == "Linear"][-1]


def stages(summary: Summary) -> list[Stage]:
    """Encoder stages in order, then the head."""
    fields = receptive_fields(summary.nodes)
    head = head_name(summary)
    units: dict[str, list] = {}  # unit -> [output, field, params, macs]
    calls = zip((n for n in summary.nodes if n.module is not None), summary.layers)
    for node, row in calls:
        if row.auxiliary:
            continue
        unit = "head" if row.name == head else node.block or row.name
        entry = units.setdefault(unit, [(), None, 0, 0])
        entry[0] = row.output_shape or entry[0]
        entry[1] = fields[node.index][0]
        entry[2] += row.params
        entry[3] += row.macs
    grouped: list[list] = []
    for unit, (shape, field, params, macs) in units.items():
        if not params and unit != "head":
            continue  # activations and pooling join the stage of the layers around them
        size = "head" if unit == "head" else ("x".join(map(str, shape[1:])) if len(shape) == 3 else "vector")
        if not grouped or grouped[-1][0] != size:
            grouped.append([size, [], shape, field, 0, 0])
        stage = grouped[-1]
        stage[1].append(unit)
        stage[2], stage[3] = shape, field
        stage[4] += params
        stage[5] += macs
    return [Stage(size, tuple(names), "x".join(map(str, shape)), field, params, macs)
            for size, names, shape, field, params, macs in grouped]


@dataclass(frozen=True)
class Freezing:
    trainable: int
    frozen: int
    new_head: int  # parameters of the new head, included in ``trainable``
    new_head_macs: int
    head: str  # where the head sits, in Python: "fc", "classifier[6]"
    head_in: int
    trainable_stages: tuple[str, ...]


def freeze(model_name: str, mode: str, new_classes: int, top_stages: int = 1) -> tuple[list[Stage], Freezing]:
    """Replace the head with one for ``new_classes`` and set ``requires_grad`` as the mode says."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}")
    if new_classes < 1:
        raise ValueError("a new head needs at least one class")
    variant = resolve(model_name)[1]
    model = variant.build_on_meta()
    summary = summarize_model(model, variant.example_inputs(), model_name, variant.auxiliary)
    found = stages(summary)
    head = head_name(summary)
    parent, _, attribute = head.rpartition(".")
    old = model.get_submodule(head)
    new = nn.Linear(old.in_features, new_classes, device="meta")
    setattr(model.get_submodule(parent) if parent else model, attribute, new)

    encoder = [s for s in found if s.name != "head"]
    chosen = {"freeze": [], "top": encoder[len(encoder) - top_stages:] if top_stages else [], "all": encoder}[mode]
    model.requires_grad_(mode == "all")
    for stage in chosen:
        for unit in stage.units:
            model.get_submodule(unit).requires_grad_(True)
    new.requires_grad_(True)
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    frozen = sum(p.numel() for p in model.parameters() if not p.requires_grad)
    head_params = sum(p.numel() for p in new.parameters())
    python_path = "".join(f"[{part}]" if part.isdigit() else f".{part}" for part in head.split(".")).lstrip(".")
    return found, Freezing(trainable, frozen, head_params, old.in_features * new_classes, python_path,
                           old.in_features, tuple(s.name for s in chosen) + ("head",))


def typical_features(stage: Stage, index: int, encoder_stages: int) -> str:
    """What units at this depth respond to, as Zeiler & Fergus's visualisations showed (a description, by position)."""
    if stage.name == "head":
        return "class scores (replaced for the new task)"
    if stage.name == "vector":
        return "whole-image features (AlexNet/VGG's FC7: known to transfer well)"
    position = index / max(encoder_stages - 1, 1)
    for limit, text in ((0.25, "edges, colour blobs (generic)"), (0.5, "corners, simple textures (generic)"),
                        (0.75, "textures, patterns, simple parts")):
        if position < limit:
            return text
    return "object parts, whole objects (specific to the old task)"


def freezing_figure(found: list[Stage], trainable_stages: tuple[str, ...], new_head: int):
    """Parameters per stage, coloured by whether they train (log axis: stems are tiny beside FC layers)."""
    import plotly.graph_objects as go

    names = [s.name for s in found]
    params = [new_head if s.name == "head" else s.params for s in found]
    figure = go.Figure()
    for trains, colour, label in ((True, "#54a24b", "trains"), (False, "#9d9d9d", "frozen")):
        chosen = [i for i, name in enumerate(names) if (name in trainable_stages) == trains]
        figure.add_bar(y=[f"{i + 1}. {names[i]}" for i in chosen], x=[params[i] for i in chosen], orientation="h",
                       name=label, marker_color=colour, hovertemplate="%{y}: %{x:,} parameters<extra></extra>")
    figure.update_layout(height=80 + 36 * len(found), barmode="overlay", margin=dict(t=20, b=40, l=10, r=10),
                         legend=dict(orientation="h", y=1.1),
                         yaxis=dict(title="stage (input at the top)", autorange="reversed",
                                    categoryorder="array", categoryarray=[f"{i + 1}. {n}" for i, n in enumerate(names)]),
                         xaxis=dict(title="parameters (count, log scale)", type="log", dtick=1))
    return figure
