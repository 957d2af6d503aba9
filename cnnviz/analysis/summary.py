"""Per-layer table and totals, computed on the ``meta`` device (no weights are allocated).

Totals are the model that runs at inference; auxiliary classifiers (training only) are counted apart.
MACs count multiply-accumulates of convolutions and linear layers only, without bias adds: the
convention of torchvision's ``meta["_ops"]`` (GMACs), so totals are comparable with it.
Activations follow ``ACTIVATIONS_DEFINITION``, the one definition the page, the CLI and the notes' check use.
"""

from __future__ import annotations

import functools
import math
from dataclasses import asdict, dataclass, field

import torch
from torch import nn

from cnnviz.analysis.tracing import TraceNode, trace
from cnnviz.i18n import N_, _
from cnnviz.zoo.spec import Variant

ACTIVATIONS_DEFINITION = N_(  # in English here (the CLI); pages show _(ACTIVATIONS_DEFINITION)
    "Activations: the values a forward pass stores per image, the input once plus each layer's output that is a "
    "new tensor. Layers that hand back their input or a view of it (ReLU(inplace=True), dropout at inference, "
    "Flatten) or copy it unchanged (an adaptive pool to the size the map already has) are not counted again. "
    "Joins (concatenations, additions) are not layers and are not counted.")


OUTSIDE_LAYERS = N_("(parameters outside layers)")  # the row of parameters that no layer owns (a learnable scale)


@dataclass
class LayerRow:
    name: str
    type: str
    kernel: str
    stride: str
    padding: str
    groups: int | None
    output_shape: tuple[int, ...]
    params: int
    macs: int
    activations: int  # new values this call stores (0 when it hands back or copies its input)
    block: str | None
    auxiliary: bool  # training-only branch (auxiliary classifier)
    shared: bool  # a repeated call of already-counted weights
    input_shape: tuple[int, ...] = ()
    bias: bool = False  # the layer adds a learned bias (convolutions followed by batch norm usually have none)
    dilation: str = ""
    ceil_mode: bool = False  # pooling rounds the output size up instead of down
    pre_padding: tuple[int, ...] = ()  # (left, right, top, bottom) padded by the layer's own pad module first


@dataclass
class Summary:
    model: str
    input_shapes: tuple[tuple[int, ...], ...]
    layers: list[LayerRow]
    total_params: int  # the model that runs at inference: auxiliary heads excluded
    aux_params: int  # training-only auxiliary heads
    total_macs: int  # one forward pass through the inference path (auxiliary heads excluded)
    aux_macs: int | None  # None when the auxiliary heads cannot run at this input size (not traced)
    total_activations: int  # see ACTIVATIONS_DEFINITION; inference path only
    nodes: list[TraceNode] = field(default_factory=list, repr=False)  # the trace, for the layer graph
    # trace index -> its row, for every node that called a module (the extra "Parameter" row has no node)
    row_of_node: dict[int, LayerRow] = field(default_factory=dict, repr=False)
    module_classes: tuple[type, ...] = field(default=(), repr=False)  # every module class, model first

    @property
    def input_size(self) -> int:
        return self.input_shapes[0][-1]

    @property
    def all_params(self) -> int:
        """Every parameter of the model, auxiliary heads included (what a training checkpoint holds)."""
        return self.total_params + self.aux_params

    @property
    def aux_traced(self) -> bool:
        """Whether the auxiliary heads ran in the trace (they need a large enough input)."""
        return self.aux_macs is not None

    def macs_of_input(self, position: int) -> int:
        """MACs of the layer calls that read model input ``position`` and no other input: one image through
        one twin of a Siamese network. For a single-input model this is ``total_macs``."""
        return sum(self.row_of_node[n.index].macs for n in self.nodes
                   if n.index in self.row_of_node and n.from_inputs == {position}
                   and not self.row_of_node[n.index].auxiliary)

    def to_dict(self) -> dict:
        return {
            "model": self.model,
            "input_size": self.input_size,
            "input_shapes": [list(s) for s in self.input_shapes],
            "total_params": self.total_params,
            "total_macs": self.total_macs,
            "aux_params": self.aux_params,
            "aux_macs": self.aux_macs,
            "all_params": self.all_params,
            "total_activations": self.total_activations,
            "layers": [{**asdict(row), "output_shape": list(row.output_shape), "input_shape": list(row.input_shape)}
                       for row in self.layers],
        }


def layer_macs(module: nn.Module, input_shape: tuple[int, ...], output_shape: tuple[int, ...]) -> int:
    """Multiply-accumulates of one call for one image."""
    if isinstance(module, nn.modules.conv._ConvTransposeNd):
        # Each input element is scattered through a (out/groups x k x k) kernel.
        per_input = module.out_channels // module.groups * math.prod(module.kernel_size)
        return math.prod(input_shape) * per_input
    if isinstance(module, nn.modules.conv._ConvNd):
        per_output = module.in_channels // module.groups * math.prod(module.kernel_size)
        return math.prod(output_shape) * per_output
    if isinstance(module, nn.Linear):
        return math.prod(output_shape) * module.in_features
    return 0


def _fmt(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (tuple, list)):
        return "x".join(str(v) for v in value) if len(set(value)) > 1 else str(value[0])
    return str(value)


def is_auxiliary(name: str, auxiliary: tuple[str, ...]) -> bool:
    """Whether module ``name`` is one of the ``auxiliary`` heads or inside one."""
    return any(name == head or name.startswith(head + ".") for head in auxiliary)


ADAPTIVE_POOLS = (nn.AdaptiveAvgPool1d, nn.AdaptiveAvgPool2d, nn.AdaptiveAvgPool3d,
                  nn.AdaptiveMaxPool1d, nn.AdaptiveMaxPool2d, nn.AdaptiveMaxPool3d)


def new_values(node: TraceNode) -> int:
    """Values a layer call stores that did not exist before it (``ACTIVATIONS_DEFINITION``)."""
    input_shape = node.input_shapes[0] if node.input_shapes else ()
    # torchvision's VGG pools 7x7 to 7x7 at 224x224: a copy of its input, not new values
    copies = isinstance(node.module, ADAPTIVE_POOLS) and node.output_shape == input_shape
    return 0 if node.returns_input or copies or not node.output_shape else math.prod(node.output_shape)


def _row(node: TraceNode, auxiliary: tuple[str, ...]) -> LayerRow:
    module = node.module
    params = sum(p.numel() for p in module.parameters()) if node.first_call else 0
    input_shape = node.input_shapes[0] if node.input_shapes else ()
    groups = getattr(module, "groups", None) if isinstance(module, nn.modules.conv._ConvNd) else None
    return LayerRow(
        name=node.name,
        type=node.kind,
        kernel=_fmt(getattr(module, "kernel_size", None)),
        stride=_fmt(getattr(module, "stride", None)),
        padding=_fmt(getattr(module, "padding", None)),
        groups=groups,
        output_shape=node.output_shape,
        params=params,
        macs=layer_macs(module, input_shape, node.output_shape),
        activations=new_values(node),
        block=node.block,
        auxiliary=is_auxiliary(node.name, auxiliary),
        shared=not node.first_call,
        input_shape=input_shape,
        bias=isinstance(getattr(module, "bias", None), torch.Tensor),
        dilation=_fmt(getattr(module, "dilation", None)),
        ceil_mode=bool(getattr(module, "ceil_mode", False)),
        # efficientnet-lite's TF-style "same" padding: a pad module inside the convolution, often asymmetric
        pre_padding=next((tuple(m.padding) for m in module.children() if isinstance(m, nn.ConstantPad2d)), ()),
    )


def _trace_calling_auxiliary_heads(model: nn.Module, inputs: tuple[torch.Tensor, ...]) -> list[TraceNode] | None:
    """torchvision calls auxiliary heads only when the model itself is in training mode: only the model is,
    every layer stays in inference mode (batch norm, dropout). None when the heads cannot run at this size."""
    model.eval()
    model.training = True
    try:
        return trace(model, inputs)
    except RuntimeError:
        return None  # e.g. Inception v3's AuxLogits pools 5x5 and needs a 17x17 map (a 299-ish input)
    finally:
        model.training = False


def summarize_model(model: nn.Module, inputs: tuple[torch.Tensor, ...], name: str,
                    auxiliary: tuple[str, ...] = ()) -> Summary:
    """Trace ``model`` on ``inputs`` in inference mode and tabulate it. Models with auxiliary heads are traced
    with their heads where the input is large enough for them, without them (inference) where it is not."""
    if not any(True for _ in model.children()):
        model = nn.Sequential(model)  # a single layer: give it a name so it gets its row
    model.eval()
    nodes = (_trace_calling_auxiliary_heads(model, inputs) if auxiliary else None) or trace(model, inputs)
    row_of_node = {node.index: _row(node, auxiliary) for node in nodes if node.module is not None}
    rows = list(row_of_node.values())
    aux_rows = [r for r in rows if r.auxiliary]
    aux_params = sum(p.numel() for a in auxiliary for p in model.get_submodule(a).parameters())
    inference_params = sum(p.numel() for p in {id(p): p for p in model.parameters()}.values()) - aux_params
    counted = sum(r.params for r in rows if not r.auxiliary)
    if counted != inference_params:
        # Parameters owned by a non-leaf module (e.g. a learnable scale) still count in the totals.
        rows.append(LayerRow(OUTSIDE_LAYERS, "Parameter", "", "", "", None, (),
                             inference_params - counted, 0, 0, None, False, False))
    inference_rows = [r for r in rows if not r.auxiliary]
    return Summary(
        model=name,
        input_shapes=tuple(tuple(x.shape[1:]) for x in inputs),
        layers=rows,
        total_params=inference_params,
        aux_params=aux_params,
        total_macs=sum(r.macs for r in inference_rows),
        aux_macs=sum(r.macs for r in aux_rows) if aux_rows or not auxiliary else None,
        total_activations=sum(math.prod(x.shape[1:]) for x in inputs) + sum(r.activations for r in inference_rows),
        nodes=nodes,
        row_of_node=row_of_node,
        module_classes=tuple(dict.fromkeys(type(module) for module in model.modules())),
    )


def summarize(variant: Variant, input_size: int | None = None) -> Summary:
    model = variant.build_on_meta()
    return summarize_model(model, variant.example_inputs(input_size), variant.name, variant.auxiliary)


def summary_of(name: str, input_size: int | None = None) -> Summary:
    """Registry model ``name`` traced once per process and shared by every page, lab and check.

    Read-only: callers must not change the result. Failures (an input too small) are not cached.
    """
    return _cached_summary(name, input_size)  # always positional: one cache key per (name, size)


@functools.lru_cache(maxsize=128)
def _cached_summary(name: str, input_size: int | None) -> Summary:
    from cnnviz.zoo.registry import resolve

    return summarize(resolve(name)[1], input_size)


def block_totals(summary: Summary) -> dict[str, dict[str, int]]:
    """Parameters, MACs and layer count per block (top-level layers count as their own block)."""
    totals: dict[str, dict[str, int]] = {}
    for row in summary.layers:
        key = row.block or row.name
        entry = totals.setdefault(key, {"params": 0, "macs": 0, "layers": 0})
        entry["params"] += row.params
        entry["macs"] += row.macs
        entry["layers"] += 1
    return totals


def table_records(summary: Summary) -> list[dict]:
    """One display row per layer call, in execution order, for the page's sortable table: its column headers and
    notes in the session's language (the numeric columns are headed _("parameters"), _("MACs"), _("activations"))."""
    from cnnviz.format import shape_text

    notes = {"auxiliary": _("auxiliary (training only)"), "shared": _("shared weights")}
    headers = [_("layer"), _("type"), _("kernel"), _("stride"), _("padding"), _("groups"), _("output (CxHxW)"),
               _("parameters"), _("MACs"), _("activations"), _("block"), _("note")]
    records = []
    for row in summary.layers:
        note = notes["auxiliary"] if row.auxiliary else notes["shared"] if row.shared else ""
        name, kind = (_(row.name), "nn.Parameter") if row.name == OUTSIDE_LAYERS else (row.name, row.type)
        values = [name, kind, row.kernel, row.stride, row.padding,
                  "" if row.groups is None else str(row.groups), shape_text(row.output_shape),
                  row.params, row.macs, row.activations, row.block or "", note]
        records.append(dict(zip(headers, values, strict=True)))
    return records


def auxiliary_note(summary: Summary, heads: tuple[str, ...]) -> str | None:
    """The one sentence about training-only heads that the page and the command line print, or None. In the
    session's language on a page; in English on the command line (which never chooses a language)."""
    if not summary.aux_params:
        return None
    names, size, params = ", ".join(heads), summary.input_size, f"{summary.aux_params:,}"
    if summary.aux_traced:
        return _("Auxiliary classifiers {names} (training only): {params} parameters and {macs} MACs, not in the "
                 "totals. With them the model has {all_params} parameters.").format(
            names=names, params=params, macs=f"{summary.aux_macs:,}", all_params=f"{summary.all_params:,}")
    return _("The auxiliary classifiers {names} (training only) cannot run on a {size}x{size} input, so the model is "
             "traced as it runs at inference, without them. Their {params} parameters are not in the totals; their "
             "MACs are not computed at this size.").format(names=names, size=size, params=params)
