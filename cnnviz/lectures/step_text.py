"""The words of the layer walk: what a step's layer is ("96 11x11 filters at stride 4, pad 0"), what is folded
into it ("then BN, ReLU") and what a block holds ("3 conv layers; adds the block's input back"), in the session's
language."""

from __future__ import annotations

from torch import nn

from cnnviz.analysis.summary import LayerRow
from cnnviz.analysis.tracing import JOIN_OPS, TraceNode
from cnnviz.i18n import N_, _
from cnnviz.lectures.step_arithmetic import conv_padding, hw_text, pair, pool_name

POOLS = (nn.modules.pooling._MaxPoolNd, nn.modules.pooling._AvgPoolNd, nn.modules.pooling._AdaptiveAvgPoolNd,
         nn.modules.pooling._AdaptiveMaxPoolNd, nn.modules.pooling._LPPoolNd)
ADAPTIVE = (nn.modules.pooling._AdaptiveAvgPoolNd, nn.modules.pooling._AdaptiveMaxPoolNd)
FOLDED_NAMES = {"BatchNorm1d": "BN", "BatchNorm2d": "BN", "BatchNormAct2d": N_("BN + activation"), "ReLU": "ReLU",
                "ReLU6": "ReLU6", "Sigmoid": "sigmoid", "Tanh": "tanh", "StochasticDepth": N_("stochastic depth")}
KIND_COUNTS = {"conv": N_("{count} conv"), "pool": N_("{count} pool"), "FC": N_("{count} FC")}


def block_text(nodes: list[TraceNode], inner: list, ending: str | None) -> str:
    """"3 conv layers; adds the block's input back (identity shortcut)", "6 conv + 1 pool layers; concatenates 4
    tensors along the channels": its layers by kind (``inner``: the block's walk steps), and how its last step
    joins them (``ending``)."""
    modules = {n.name: n.module for n in nodes if n.module is not None}
    counts: dict[str, int] = {}
    for step in inner:
        if step.kind in JOIN_OPS:
            continue
        module = modules[step.layer]
        kind = ("conv" if isinstance(module, nn.modules.conv._ConvNd) else "pool" if isinstance(module, POOLS)
                else "FC" if isinstance(module, nn.Linear) else step.kind)
        counts[kind] = counts.get(kind, 0) + 1
    kinds = " + ".join(_(KIND_COUNTS[kind]).format(count=n) if kind in KIND_COUNTS
                       else _("{count} {kind}").format(count=n, kind=kind) for kind, n in counts.items())
    text = (_("{kinds} layer") if sum(counts.values()) == 1 else _("{kinds} layers")).format(kinds=kinds)
    joins = [s for s in inner if s.kind in JOIN_OPS]
    if ending is not None:
        text = _("{layers}; {join}").format(layers=text, join=ending)
        joins = joins[:-1]
    if joins:
        text = (_("{text} (+ {count} join inside)") if len(joins) == 1
                else _("{text} (+ {count} joins inside)")).format(text=text, count=len(joins))
    return text


def conv_text(module: nn.modules.conv._ConvNd, row: LayerRow) -> str:
    kernel = "x".join(map(str, pair(module.kernel_size)))
    stride = "x".join(map(str, dict.fromkeys(pair(module.stride))))
    pads = conv_padding(module, row)
    if all(low == high for low, high in pads):
        pad = "x".join(str(p) for p in dict.fromkeys(low for low, _high in pads))
    else:
        pad = _("{pads} (before+after per axis)").format(pads=", ".join(f"{low}+{high}" for low, high in pads))
    template = (_("{count} {kernel} transposed filters at stride {stride}, pad {pad}")
                if isinstance(module, nn.modules.conv._ConvTransposeNd)
                else _("{count} {kernel} filters at stride {stride}, pad {pad}"))
    text = template.format(count=module.out_channels, kernel=kernel, stride=stride, pad=pad)
    if module.groups > 1:
        text = (_("{text} (depthwise)").format(text=text) if module.groups == module.in_channels
                else _("{text}, {count} groups").format(text=text, count=module.groups))
    if max(pair(module.dilation)) > 1:
        text = _("{text}, dilation {dilation}").format(text=text, dilation="x".join(map(str, pair(module.dilation))))
    return text


def pool_text(module: nn.Module) -> str:
    kernel = "x".join(map(str, dict.fromkeys(pair(module.kernel_size))))
    kernel = kernel if "x" in kernel else f"{kernel}x{kernel}"
    stride = pair(module.stride or module.kernel_size)[0]
    template = (_("{kernel} max pool at stride {stride}") if pool_name(module) == "max"
                else _("{kernel} average pool at stride {stride}"))
    text = template.format(kernel=kernel, stride=stride)
    padding = pair(getattr(module, "padding", 0))
    if max(padding):
        text = _("{text}, pad {pad}").format(text=text, pad=padding[0])
    if getattr(module, "ceil_mode", False):
        text = _("{text}, rounding up (ceil mode)").format(text=text)
    return text


def short_name(node: TraceNode) -> str:
    module = node.module
    if isinstance(module, nn.Dropout):
        return _("dropout {rate}").format(rate=f"{module.p:g}")
    if isinstance(module, nn.Flatten):
        if len(node.output_shape) == 1:
            return _("flatten to {size}").format(size=f"{node.output_shape[0]:,}")
        return _("flatten")
    if isinstance(module, ADAPTIVE):
        template = (_("adaptive max pool (already {size})") if pool_name(module) == "max"
                    else _("adaptive average pool (already {size})"))
        return template.format(size=hw_text(node.output_shape))
    return _(FOLDED_NAMES[node.kind]) if node.kind in FOLDED_NAMES else node.kind


def folded_text(nodes: list[TraceNode]) -> str:
    names = [short_name(n) for n in nodes if n.kind != "Identity"]
    # Translators: what separates the names of a list (BN, ReLU); Chinese uses its enumeration comma.
    separator = _(", ")
    return separator.join(dict.fromkeys(names)) if len(set(names)) < len(names) else separator.join(names)


def with_folded(text: str, before: list[TraceNode], after: list[TraceNode]) -> str:
    if first := folded_text(before):
        text = _("{before}, then {text}").format(before=first, text=text)
    if then := folded_text(after):
        text = _("{text}, then {after}").format(text=text, after=then)
    return text


# --- names: the graph's node keys, the recursion's rows, the notes' labels ----------------------------------
