"""Each architecture's key idea as computed facts about the live model (label, value), for its page."""

from __future__ import annotations

from cnnviz.analysis.summary import Summary
from cnnviz.i18n import _
from cnnviz.labs.bottleneck import separable_ratio
from cnnviz.lectures.mobilenet_scaling import scaling_facts
from cnnviz.lectures.quiz import LayerQuestion
from cnnviz.lectures.quiz_layers import measure


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
            facts.append((_("{layer}: {groups} groups (one per GPU)").format(layer=row.name, groups=row.groups),
                          _("{params} parameters; as one GPU-wide convolution it would need {ungrouped}").format(
                              params=f"{row.params:,}", ungrouped=f"{measure(ungrouped)[1]:,}")))
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
    share = _("{part} of {total} ({share})").format(part=f"{fc:,}", total=f"{summary.total_params:,}",
                                                    share=f"{fc / summary.total_params:.0%}")
    return [(_("Parameters in the FC layers"), share),
            (_("3x3 convolutions per stage (between pools)"), "-".join(str(s) for s in stages))]


def _concat_branches(summary: Summary, block: str) -> list[tuple[str, str]]:
    join = next((n for n in summary.nodes if n.block == block and n.kind == "cat"), None)
    if join is None:
        return []
    widths = [summary.nodes[i].output_shape[0] for i in join.inputs]
    return [(_("{block}: channels of the concatenated branches").format(block=block),
             _("{sum} = {total} (output {channels} channels)").format(
                 sum=" + ".join(map(str, widths)), total=sum(widths), channels=join.output_shape[0]))]


def _shortcuts(summary: Summary) -> list[tuple[str, str]]:
    def on_shortcut(name: str) -> bool:  # torchvision calls W_s "downsample", the pre-activation model "shortcut"
        return ".downsample." in name or name.endswith(".shortcut")

    projections = [r for r in summary.layers if on_shortcut(r.name) and r.type == "Conv2d"]
    blocks = {r.block for r in summary.layers if r.block and r.block.startswith("layer")}
    params = sum(r.params for r in summary.layers if on_shortcut(r.name))
    counts = _("{blocks}: {identity} identity shortcuts, {projections} 1x1 projections W_s").format(
        blocks=len(blocks), identity=len(blocks) - len(projections), projections=len(projections))
    return [(_("Residual blocks"), counts),
            (_("Parameters in the projections W_s (with their batch norm)"),
             _("{params} ({share} of the model)").format(params=f"{params:,}",
                                                         share=f"{params / summary.total_params:.1%}"))]


def _dense_inputs(summary: Summary) -> list[tuple[str, str]]:
    firsts = [r for r in summary.layers if r.name.startswith("features.denseblock1.") and r.name.endswith(".conv1")]
    channels = [r.input_shape[0] for r in firsts]
    growth = channels[1] - channels[0] if len(channels) > 1 else 0
    return [(_("Channels into each layer of dense block 1"), " → ".join(map(str, channels))),
            (_("Growth rate k (the step between them)"), str(growth))]


def _fire(summary: Summary) -> list[tuple[str, str]]:
    rows = [r for r in summary.layers if r.block == "features.3" and r.type == "Conv2d"]
    return [(_("Fire module features.3: {layer}").format(layer=r.name.split(".")[-1]),
             _("{kernel}, {channels_in} → {channels_out} channels, {params} parameters").format(
                 kernel=f"{r.kernel}x{r.kernel}", channels_in=r.input_shape[0], channels_out=r.output_shape[0],
                 params=f"{r.params:,}"))
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
        facts.append((_("{block}: depthwise + pointwise vs a standard {kernel} convolution").format(
                          block=block, kernel=f"{k}x{k}"),
                      _("{ours} vs {theirs} MACs = {ratio} (1/N + 1/k² = {formula})").format(
                          ours=f"{ours:,}", theirs=f"{theirs:,}", ratio=f"{ours / theirs:.3f}",
                          formula=f"{separable_ratio(n, k):.3f}")))
    return facts


def _inverted(summary: Summary) -> list[tuple[str, str]]:
    rows = [r for r in summary.layers if r.block == "features.2" and r.type == "Conv2d"]
    path = " → ".join(str(r.output_shape[0]) for r in rows)
    v1 = _summary_of("mobilenet_v1")
    versus = _("{ours} vs {theirs}")
    return [(_("features.2 channels: input → expand → depthwise → project"),
             f"{rows[0].input_shape[0]} → {path}"),
            (_("MobileNet v2 vs v1: parameters"),
             versus.format(ours=f"{summary.total_params:,}", theirs=f"{v1.total_params:,}")),
            (_("MobileNet v2 vs v1: MACs per image"),
             versus.format(ours=f"{summary.total_macs:,}", theirs=f"{v1.total_macs:,}"))]


def _skips(summary: Summary) -> list[tuple[str, str]]:
    facts = _transposed(summary)
    for join in (n for n in summary.nodes if n.kind == "cat"):
        shapes = [summary.nodes[i].output_shape for i in join.inputs]
        parts = " + ".join(_("{channels} channels from {size}").format(channels=c, size=f"{h}x{w}")
                           for c, h, w in shapes)
        side = join.output_shape[-1]
        facts.append((_("{layer}: skip connection (maps larger than {size} are centre-cropped)").format(
                          layer=join.name, size=f"{side}x{side}"),
                      f"{parts} → {join.output_shape[0]}x{side}x{side}"))
    return facts


def _shared(summary: Summary) -> list[tuple[str, str]]:
    shared = [r for r in summary.layers if r.shared]
    counted = sum(r.params for r in summary.layers)
    one = summary.macs_of_input(0)
    return [(_("Layer calls that reuse weights already counted"),
             _("{part} of {total}").format(part=len(shared), total=len(summary.layers))),
            (_("Parameters (each shared weight counted once)"), f"{counted:,}"),
            (_("MACs for one image (one twin)"), f"{one:,}"),
            (_("MACs for the pair (both twins and the head)"), f"{summary.total_macs:,}")]


def _transposed(summary: Summary) -> list[tuple[str, str]]:
    facts = []
    for row in summary.layers:
        if row.type == "ConvTranspose2d":
            facts.append((_("{layer}: transposed {kernel}").format(layer=row.name,
                                                                   kernel=f"{row.kernel}x{row.kernel}/{row.stride}"),
                          f"{row.input_shape[-1]}x{row.input_shape[-1]} → {row.output_shape[-1]}x{row.output_shape[-1]}"))
    return facts


FACTS = {"alexnet": _grouped_convs, "vgg16": _fc_share, "googlenet": lambda s: _concat_branches(s, "inception3a"),
         "resnet50": _shortcuts, "preact_resnet": _shortcuts, "wide_resnet50_2": _shortcuts,
         "resnext50_32x4d": _shortcuts, "densenet121": _dense_inputs, "squeezenet1_0": _fire,
         "mobilenet_v1": lambda s: _separable(s) + scaling_facts(s), "mobilenet_v2": _inverted, "siamese": _shared,
         "autoencoder": _transposed, "unet": _skips}


def key_facts(arch: str, summary: Summary) -> list[tuple[str, str]]:
    return FACTS[arch](summary) if arch in FACTS else []
