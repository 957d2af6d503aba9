"""A classifier cut into stages for transfer learning: what each stage sees (its receptive field), what it
costs, and which parameters train when the encoder is frozen, partly unfrozen or fine-tuned whole.

A stage is a run of blocks whose output has the same spatial size; the head is the last linear layer, which
transfer learning replaces with a new one for the new classes. Counts come from ``requires_grad`` set on a
live model (built on the ``meta`` device), as a training script would set it.
"""

from __future__ import annotations

from dataclasses import dataclass

from torch import nn

from cnnviz.analysis.receptive_field.recursion import LayerRF, receptive_fields
from cnnviz.i18n import N_, _
from cnnviz.analysis.summary import Summary, summary_of
from cnnviz.zoo.registry import resolve

# Mode id (kept in the link) -> its label, marked for translation: the page translates it when showing it.
# The networks the transfer-learning page offers, its default first.
PRETRAINED_NETWORKS = ("resnet50", "efficientnet_lite0", "vgg16", "mobilenet_v2", "densenet121", "alexnet_paper")
MODES = {"freeze": N_("Freeze the encoder, train a new head"), "top": N_("Fine-tune the top stages and the new head"),
         "all": N_("Fine-tune everything")}

# Stage names that are words ("28x28" is not): marked for translation, shown through ``stage_label``.
STAGE_WORDS = {"head": N_("head"), "vector": N_("vector")}


def stage_label(name: str) -> str:
    """A stage's name as a student reads it, in the session's language."""
    return _(STAGE_WORDS[name]) if name in STAGE_WORDS else name


@dataclass(frozen=True)
class Stage:
    name: str  # e.g. "28x28" or "head"
    units: tuple[str, ...]  # module names: blocks, or layers outside any block
    output: str
    receptive_field: int | None  # pixels; None once a global pooling has seen the whole image
    params: int
    macs: int


def head_name(summary: Summary) -> str:
    return [row.name for row in summary.layers if row.type == "Linear"][-1]


def stages(summary: Summary, fields: list[LayerRF] | None = None) -> list[Stage]:
    """Encoder stages in order, then the head. ``fields``: the model's receptive fields (``cnnviz.analysis.receptive_field.recursion``),
    computed here when not given."""
    if fields is None:
        fields = receptive_fields(resolve(summary.model)[1], summary.input_size)
    field_of = {f.name: f.rf_hw[0] for f in fields}
    global_pools = {f.name for f in fields if f.global_pool}
    head = head_name(summary)
    auxiliary = {row.block or row.name for row in summary.layers if row.auxiliary}
    units: dict[str, list] = {}  # unit -> [output, field, params, macs]
    field, whole_image = 1, False
    for node in summary.nodes:  # every call, joins included: a dense block's output is its last concatenation
        row = summary.row_of_node.get(node.index)
        if (row.auxiliary if row else node.block in auxiliary):
            continue
        field = field_of.get(node.name, field)
        # Once a global pooling has run (a module, or a function call just before the first vector), every
        # later unit sees the whole image.
        whole_image |= node.name in global_pools or bool(global_pools) and len(node.output_shape) != 3
        unit = "head" if node.name == head else node.block or node.name
        entry = units.setdefault(unit, [(), None, 0, 0])
        entry[0] = node.output_shape or entry[0]
        entry[1] = None if whole_image else field
        if row:
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


def model_stages(model_name: str) -> list[Stage]:
    """The stages of a registry model (its trace is shared: ``summary_of``)."""
    return stages(summary_of(model_name))


def freeze(model_name: str, mode: str, new_classes: int, top_stages: int = 1,
           found: list[Stage] | None = None) -> tuple[list[Stage], Freezing]:
    """Replace the head with one for ``new_classes`` and set ``requires_grad`` as the mode says.
    ``found``: the model's stages, when the caller has them already."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}")
    if new_classes < 1:
        raise ValueError("a new head needs at least one class")
    model = resolve(model_name)[1].build_on_meta()
    found = found or model_stages(model_name)
    head = head_name(summary_of(model_name))
    parent, _dot, attribute = head.rpartition(".")
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
    """What units at this depth respond to, as Zeiler & Fergus's visualisations showed (a description, by position;
    in English, marked for translation: ``_()`` it where it is shown)."""
    if stage.name == "head":
        return N_("class scores (replaced for the new task)")
    if stage.name == "vector":
        return N_("whole-image features (AlexNet/VGG's FC7: known to transfer well)")
    position = index / max(encoder_stages - 1, 1)
    for limit, text in ((0.25, N_("edges, colour blobs (generic)")), (0.5, N_("corners, simple textures (generic)")),
                        (0.75, N_("textures, patterns, simple parts"))):
        if position < limit:
            return text
    return N_("object parts, whole objects (specific to the old task)")


def freezing_figure(found: list[Stage], trainable_stages: tuple[str, ...], new_head: int):
    """Parameters per stage, coloured by whether they train (log axis: stems are tiny beside FC layers)."""
    import plotly.graph_objects as go

    names = [s.name for s in found]
    labels = [f"{i + 1}. {stage_label(name)}" for i, name in enumerate(names)]
    params = [new_head if s.name == "head" else s.params for s in found]
    figure = go.Figure()
    for trains, colour, label in ((True, "#54a24b", _("trains")), (False, "#9d9d9d", _("frozen"))):
        chosen = [i for i, name in enumerate(names) if (name in trainable_stages) == trains]
        figure.add_bar(y=[labels[i] for i in chosen], x=[params[i] for i in chosen], orientation="h",
                       name=label, marker_color=colour,
                       hovertemplate=_("%{y}: %{x:,} parameters") + "<extra></extra>")
    figure.update_layout(height=80 + 36 * len(found), barmode="overlay", margin=dict(t=20, b=40, l=10, r=10),
                         legend=dict(orientation="h", y=1.1),
                         yaxis=dict(title=_("stage (input at the top)"), autorange="reversed",
                                    categoryorder="array", categoryarray=labels),
                         xaxis=dict(title=_("parameters (count, log scale)"), type="log", dtick=1))
    return figure
