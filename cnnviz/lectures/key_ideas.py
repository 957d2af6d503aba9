"""Each architecture's key idea as computed facts about the live model (label, value), for its page."""

from __future__ import annotations

from cnnviz.analysis.summary import Summary
from cnnviz.labs.bottleneck import separable_ratio
from cnnviz.lectures.mobilenet_scaling import scaling_facts
from cnnviz.lectures.quiz import LayerQuestion, measure


def _summary_of(name: str) -> Summary:
    from cnnviz.analysis.summary import summary_of

    return summary_of(name)


def _grouped_convs(summary: Summary) -> list[tuple[str, str]]:
    """The two-GPU split lives in the paper model whichever variant is on screen."""
    facts = []
    for row in _summary_of("alexnet_paper").layers:
        if row.type == "Conv2d" and row.groups and row.groups > 1 and len(row.input_shape) == 3:
            k = int(row.kernel)
            ungrouped = LayerQuestion(row.input_shape[-1], row.input_shape[0], row.output_shape[0], k,
                                      int(row.stride), int(row.padding))
            facts.append((f"{row.name}: {row.groups} groups (one per GPU)",
                          f"{row.params:,} parameters; as one GPU-wide convolution it would need "
                          f"{measure(ungrouped)[1]:,}"))
    return facts


def _fc_share(summary: Summary) -> list[tuple[str, str]]:
    fc = sum(r.params for r in summary.layers if r.type == "Linear")
    stages, current = [], 0
    for row in summary.layers:
        if row.type == "Conv2d":
            current += 1
        elif row.type == "MaxPool2d" and current:
            stages.append(current)
            current = 0
    return [("Parameters in the FC layers", f"{fc:,} of {summary.total_params:,} ({fc / summary.total_params:.0%})"),
            ("3x3 convolutions per stage (between pools)", "-".join(str(s) for s in stages))]


def _concat_branches(summary: Summary, block: str) -> list[tuple[str, str]]:
    join = next((n for n in summary.nodes if n.block == block and n.kind == "cat"), None)
    if join is None:
        return []
    widths = [summary.nodes[i].output_shape[0] for i in join.inputs]
    return [(f"{block}: channels of the concatenated branches",
             f"{' + '.join(map(str, widths))} = {sum(widths)} (output {join.output_shape[0]} channels)")]


def _shortcuts(summary: Summary) -> list[tuple[str, str]]:
    def on_shortcut(name: str) -> bool:  # torchvision calls W_s "downsample", the pre-activation model "shortcut"
        return ".downsample." in name or name.endswith(".shortcut")

    projections = [r for r in summary.layers if on_shortcut(r.name) and r.type == "Conv2d"]
    blocks = {r.block for r in summary.layers if r.block and r.block.startswith("layer")}
    params = sum(r.params for r in summary.layers if on_shortcut(r.name))
    return [("Residual blocks", f"{len(blocks)}: {len(blocks) - len(projections)} identity shortcuts, "
             f"{len(projections)} 1x1 projections W_s"),
            ("Parameters in the projections W_s (with their batch norm)",
             f"{params:,} ({params / summary.total_params:.1%} of the model)")]


def _dense_inputs(summary: Summary) -> list[tuple[str, str]]:
    firsts = [r for r in summary.layers if r.name.startswith("features.denseblock1.") and r.name.endswith(".conv1")]
    channels = [r.input_shape[0] for r in firsts]
    growth = channels[1] - channels[0] if len(channels) > 1 else 0
    return [("Channels into each layer of dense block 1", " → ".join(map(str, channels))),
            ("Growth rate k (the step between them)", str(growth))]


def _fire(summary: Summary) -> list[tuple[str, str]]:
    rows = [r for r in summary.layers if r.block == "features.3" and r.type == "Conv2d"]
    return [(f"Fire module features.3: {r.name.split('.')[-1]}",
             f"{r.kernel}x{r.kernel}, {r.input_shape[0]} → {r.output_shape[0]} channels, {r.params:,} parameters")
            for r in rows]


def _separable(summary: Summary) -> list[tuple[str, str]]:
    facts = []
    for block in ("features.2", "features.13"):
        rows = [r for r in summary.layers if r.block == block and r.type == "Conv2d"]
        if len(rows) < 2:
            continue
        depthwise, pointwise = rows[0], rows[-1]
        standard = LayerQuestion(depthwise.input_shape[-1], depthwise.input_shape[0], pointwise.output_shape[0],
                                 int(depthwise.kernel), int(depthwise.stride), int(depthwise.padding))
        ours, theirs = depthwise.macs + pointwise.macs, measure(standard)[2]
        n, k = pointwise.output_shape[0], int(depthwise.kernel)
        facts.append((f"{block}: depthwise + pointwise vs a standard {k}x{k} convolution",
                      f"{ours:,} vs {theirs:,} MACs = {ours / theirs:.3f} (1/N + 1/k² = {separable_ratio(n, k):.3f})"))
    return facts


def _inverted(summary: Summary) -> list[tuple[str, str]]:
    rows = [r for r in summary.layers if r.block == "features.2" and r.type == "Conv2d"]
    path = " → ".join(str(r.output_shape[0]) for r in rows)
    v1 = _summary_of("mobilenet_v1")
    return [("features.2 channels: input → expand → depthwise → project", f"{rows[0].input_shape[0]} → {path}"),
            ("MobileNet v2 vs v1: parameters", f"{summary.total_params:,} vs {v1.total_params:,}"),
            ("MobileNet v2 vs v1: MACs per image", f"{summary.total_macs:,} vs {v1.total_macs:,}")]


def _skips(summary: Summary) -> list[tuple[str, str]]:
    facts = _transposed(summary)
    for join in (n for n in summary.nodes if n.kind == "cat"):
        shapes = [summary.nodes[i].output_shape for i in join.inputs]
        parts = " + ".join(f"{c} channels from {h}x{w}" for c, h, w in shapes)
        side = join.output_shape[-1]
        facts.append((f"{join.name}: skip connection (maps larger than {side}x{side} are centre-cropped)",
                      f"{parts} → {join.output_shape[0]}x{side}x{side}"))
    return facts


def _shared(summary: Summary) -> list[tuple[str, str]]:
    shared = [r for r in summary.layers if r.shared]
    counted = sum(r.params for r in summary.layers)
    one = summary.macs_of_input(0)
    return [("Layer calls that reuse weights already counted", f"{len(shared)} of {len(summary.layers)}"),
            ("Parameters (each shared weight counted once)", f"{counted:,}"),
            ("MACs for one image (one twin)", f"{one:,}"),
            ("MACs for the pair (both twins and the head)", f"{summary.total_macs:,}")]


def _transposed(summary: Summary) -> list[tuple[str, str]]:
    facts = []
    for row in summary.layers:
        if row.type == "ConvTranspose2d":
            facts.append((f"{row.name}: transposed {row.kernel}x{row.kernel}/{row.stride}",
                          f"{row.input_shape[-1]}x{row.input_shape[-1]} → {row.output_shape[-1]}x{row.output_shape[-1]}"))
    return facts


FACTS = {"alexnet": _grouped_convs, "vgg16": _fc_share, "googlenet": lambda s: _concat_branches(s, "inception3a"),
         "resnet50": _shortcuts, "preact_resnet": _shortcuts, "wide_resnet50_2": _shortcuts,
         "resnext50_32x4d": _shortcuts, "densenet121": _dense_inputs, "squeezenet1_0": _fire,
         "mobilenet_v1": lambda s: _separable(s) + scaling_facts(s), "mobilenet_v2": _inverted, "siamese": _shared,
         "autoencoder": _transposed, "unet": _skips}


def key_facts(arch: str, summary: Summary) -> list[tuple[str, str]]:
    return FACTS[arch](summary) if arch in FACTS else []
