"""Where torchvision's (or our) implementation departs from the paper, built both ways and measured."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from torch import nn

from cnnviz.analysis.summary import Summary, is_auxiliary, summarize_model, summary_of
from cnnviz.i18n import N_, _
from cnnviz.zoo.meta_build import on_meta
from cnnviz.zoo.models.lenet import SparseC3
from cnnviz.zoo.registry import resolve


@dataclass(frozen=True)
class Departure:
    """Its texts are English, marked with ``N_``: the page translates them where it shows them."""

    arch: str
    title: str
    implementation: str  # label of what the app's default model does
    paper: str  # label of what the paper did
    build_implementation: Callable[[], Summary]
    build_paper: Callable[[], Summary]
    explanation: str
    # Sentences in the session's language, read from the two models (``conv_differences``); [] when none.
    differences: Callable[[], list[str]] = lambda: []


def _convolutions(name: str) -> list[nn.Conv2d]:
    return [m for m in resolve(name)[1].build_on_meta().modules() if isinstance(m, nn.Conv2d)]


def conv_differences(implementation: str, paper: str) -> list[str]:
    """One sentence per difference in filters or groups between two registry models with the same number of
    convolutions (the n-th against the n-th), read from the models, in the session's language."""
    names = dict(implementation=implementation, paper_model=paper)
    sentences = []
    for index, (ours, theirs) in enumerate(zip(_convolutions(implementation), _convolutions(paper), strict=True), 1):
        if ours.out_channels != theirs.out_channels:
            text = (_("conv{index}: {ours} filters in {implementation}, {paper} in {paper_model} (fewer).")
                    if ours.out_channels < theirs.out_channels else
                    _("conv{index}: {ours} filters in {implementation}, {paper} in {paper_model} (more)."))
            sentences.append(text.format(index=index, ours=ours.out_channels, paper=theirs.out_channels, **names))
        if ours.groups != theirs.groups:
            sentences.append(_("conv{index}: `groups={ours}` in {implementation}, `groups={paper}` in {paper_model}, "
                               "where each filter reads {per_group} of the {channels} input channels.").format(
                index=index, ours=ours.groups, paper=theirs.groups, per_group=theirs.in_channels // theirs.groups,
                channels=theirs.in_channels, **names))
    return sentences


def kept_five_by_fives(name: str) -> list[str]:
    """For a model whose paper factorised every 5x5 into two 3x3s: where its 5x5 convolutions are, in the
    session's language (none: no sentence)."""
    variant = resolve(name)[1]
    found = [n for n, m in variant.build_on_meta().named_modules()
             if isinstance(m, nn.Conv2d) and tuple(m.kernel_size) == (5, 5)]
    auxiliary = variant.auxiliary
    inference = [n for n in found if not is_auxiliary(n, auxiliary)]
    training = [n for n in found if is_auxiliary(n, auxiliary)]
    sentences = []
    if inference:
        sentences.append(_("The paper's modules replace each 5x5 convolution with two 3x3s; {name} keeps a 5x5 "
                           "convolution, beside its branch of two 3x3s, in {count} places on its inference path: "
                           "{layers}.").format(
            name=name, count=len(inference), layers=", ".join(inference)))
    if training:
        sentences.append(_("Its auxiliary classifier (training only) has {count} more 5x5 convolution(s): "
                           "{layers}.").format(
            count=len(training), layers=", ".join(training)))
    return sentences


# Departures read from a model alone, with no second build to compare (sentences in the session's language).
MODEL_NOTES: dict[str, Callable[[], list[str]]] = {"inception_v3": lambda: kept_five_by_fives("inception_v3")}


def _summary_of(name: str) -> Callable[[], Summary]:
    return lambda: summary_of(name)


def _modified(name: str, change: Callable[[nn.Module], None]) -> Callable[[], Summary]:
    def build() -> Summary:
        variant = resolve(name)[1]
        model = variant.build_on_meta()
        change(model)
        return summarize_model(model, variant.example_inputs(), f"{name} (paper)", variant.auxiliary)
    return build


def resnet_v1_strides(model: nn.Module) -> None:
    """ResNet v1: downsample with the first 1x1 convolution of a bottleneck, not the 3x3 (torchvision's v1.5)."""
    for layer in (model.layer2, model.layer3, model.layer4):
        block = layer[0]
        block.conv1.stride, block.conv2.stride = (2, 2), (1, 1)


def googlenet_paper_branches(model: nn.Module) -> None:
    """GoogLeNet as published: a real 5x5 in the '5x5' branch, and no batch norm (convolutions keep a bias)."""
    five_by_five = {id(m.branch3[1]) for m in model.modules() if type(m).__name__ == "Inception"}
    with on_meta():
        for module in model.modules():
            if type(module).__name__ == "BasicConv2d":
                old = module.conv
                kernel, padding = (5, 2) if id(module) in five_by_five else (old.kernel_size, old.padding)
                module.conv = nn.Conv2d(old.in_channels, old.out_channels, kernel, old.stride, padding, bias=True)
                module.bn = nn.Identity()


def _lenet5_with_sparse_c3() -> Summary:
    """LeNet-5 with the paper's sparse C3, traced."""
    variant = resolve("lenet5")[1]
    model = variant.build_on_meta()
    conv = next(m for m in model.modules() if isinstance(m, nn.Conv2d) and m.in_channels == 6)
    parent = next(p for p in model.modules() if any(c is conv for c in p.children()))
    with on_meta():
        for name, child in parent.named_children():
            if child is conv:
                setattr(parent, name, SparseC3())
    return summarize_model(model, variant.example_inputs(), "lenet5 (paper C3)")


DEPARTURES: tuple[Departure, ...] = (
    Departure("alexnet", N_("AlexNet: torchvision's 'one weird trick' model vs the 2012 paper"),
              N_("torchvision alexnet (224, 64-192-384-256-256, no LRN, no groups)"),
              N_("2012 paper (227, 96-256-384-384-256, LRN, two GPU groups)"),
              _summary_of("alexnet"), _summary_of("alexnet_paper"),
              N_("torchvision's single-GPU model has other numbers of filters and no grouping, convolution by "
                 "convolution:"),
              lambda: conv_differences("alexnet", "alexnet_paper")),
    Departure("googlenet", N_("GoogLeNet: torchvision vs the paper"),
              N_("torchvision googlenet (3x3 in the '5x5' branch, batch norm)"),
              N_("paper (5x5 branch, no batch norm)"),
              _summary_of("googlenet"), _modified("googlenet", googlenet_paper_branches),
              N_("torchvision's 3x3 in the '5x5' branch is a known slip kept for its published weights; batch "
                 "norm came with Inception v2.")),
    Departure("resnet50", N_("ResNet-50: torchvision's v1.5 vs the paper's v1"),
              N_("v1.5: stride 2 on the 3x3 convolution"), N_("v1: stride 2 on the first 1x1 convolution"),
              _summary_of("resnet50"), _modified("resnet50", resnet_v1_strides),
              N_("Same weights, but v1.5's 3x3 runs at the higher resolution: more MACs, better accuracy.")),
    Departure("lenet5", N_("LeNet-5: full C3 vs the paper's sparse connection table"),
              N_("every C3 map sees all six S2 maps"), N_("paper's Table I (60 of 96 map pairs connected)"),
              _summary_of("lenet5"), _lenet5_with_sparse_c3,
              N_("LeCun et al. connected C3 sparsely to keep the number of connections in bounds and to break "
                 "the symmetry between maps.")),
)


def departures_for(arch: str) -> list[Departure]:
    return [d for d in DEPARTURES if d.arch == arch]
