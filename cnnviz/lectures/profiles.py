"""A model in the terms of the notes' summary tables: depth, layer counts, filter sizes, weights and MACs.

Counting conventions, as in the notes' TABLE II: a convolution whose kernel covers its whole input (LeNet's C5)
is a fully connected layer; "channels" are the input channels one filter sees (in_channels / groups); depth is
the number of convolution and FC layers on the longest path through the traced data flow.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from torch import nn

from cnnviz.analysis.summary import Summary, is_auxiliary
from cnnviz.analysis.tracing import TraceNode
from cnnviz.format import megabytes

CONV, FC = nn.modules.conv._ConvNd, nn.Linear


@dataclass(frozen=True)
class Profile:
    """One model in the notes' terms. Weights include biases; MACs are one image, auxiliary heads excluded."""

    model: str
    input: str  # one input's size, "224x224"
    single_path: str  # "yes" / "no"
    small_kernels: str  # "yes" when every convolution kernel is at most 3x3
    small_after_stem: str  # the same with the first convolution left out
    largest_kernel: str
    depth: int
    conv_depth: int
    conv_layers: int
    fc_layers: int
    filter_sizes: str
    channels: str
    filters: str
    strides: str
    conv_weights: int
    conv_macs: int
    fc_weights: int
    fc_macs: int
    total_weights: int
    total_macs: int
    aux_weights: int
    images: int = 1  # inputs per example (a Siamese network compares two)

    @property
    def mib(self) -> float:
        return megabytes(self.total_weights)

    @property
    def gmacs(self) -> float:
        return self.total_macs / 1e9


def _is_fc(module: nn.Module, input_shape: tuple[int, ...]) -> bool:
    if isinstance(module, FC):
        return True
    unpadded = module.padding in (0, (0, 0), "valid") if isinstance(module, nn.Conv2d) else False
    return unpadded and tuple(module.kernel_size) == tuple(input_shape[1:])


def _values(values: list[int], as_range: bool) -> str:
    """The notes' style: "1,3,5,7" for sizes; "3-512" for a range, "1,20" when there are only two."""
    unique = sorted(set(values))
    if as_range and len(unique) > 2:
        return f"{unique[0]}-{unique[-1]}"
    return ",".join(str(v) for v in unique)


def longest_path(nodes: list[TraceNode], counts) -> int:
    """Most layers for which ``counts(node)`` holds on any path from the input (nodes are in execution order)."""
    best = {-1: 0}
    for node in nodes:
        best[node.index] = int(counts(node)) + max((best.get(i, 0) for i in node.inputs), default=0)
    return max(best.values())


def single_path(nodes: list[TraceNode]) -> bool:
    """No node joins several tensors and no tensor feeds several nodes."""
    consumers = Counter(source for node in nodes for source in node.inputs)
    return all(len(node.inputs) <= 1 for node in nodes) and all(n <= 1 for n in consumers.values())


def profile(summary: Summary, auxiliary: tuple[str, ...] = (), drop_output: bool = False) -> Profile:
    """``drop_output`` leaves the last layer out of the weights (LeNet-5's output RBF units were not trained)."""
    nodes = [n for n in summary.nodes if not is_auxiliary(n.name, auxiliary)]
    layers = [(n, summary.row_of_node[n.index]) for n in nodes if n.index in summary.row_of_node]
    fc = [(n, r) for n, r in layers if isinstance(n.module, (CONV, FC)) and _is_fc(n.module, r.input_shape)]
    fc_names = {n.name for n, _ in fc}
    conv = [(n, r) for n, r in layers if isinstance(n.module, CONV) and n.name not in fc_names]
    dropped = fc[-1][1] if drop_output else None
    if drop_output:
        fc = fc[:-1]
    kernels = [max(n.module.kernel_size) for n, _ in conv]
    largest = max(conv, key=lambda pair: max(pair[0].module.kernel_size))[1].kernel if conv else ""
    shapes = summary.input_shapes
    return Profile(
        model=summary.model,
        input="x".join(map(str, shapes[0][1:])),
        single_path="yes" if single_path(summary.nodes) else "no",
        small_kernels="yes" if all(k <= 3 for k in kernels) else "no",
        small_after_stem="yes" if all(k <= 3 for k in kernels[1:]) else "no",
        largest_kernel=largest,
        depth=longest_path(nodes, lambda n: isinstance(n.module, (CONV, FC))),
        conv_depth=longest_path(nodes, lambda n: isinstance(n.module, CONV) and n.name not in fc_names),
        conv_layers=sum(n.first_call for n, _ in conv),
        fc_layers=sum(n.first_call for n, _ in fc),
        filter_sizes=_values(kernels, as_range=False),
        channels=_values([n.module.in_channels // n.module.groups for n, _ in conv], as_range=True),
        filters=_values([n.module.out_channels for n, _ in conv], as_range=True),
        strides=_values([max(n.module.stride) for n, _ in conv], as_range=False),
        conv_weights=sum(r.params for _, r in conv),
        conv_macs=sum(r.macs for _, r in conv),
        fc_weights=sum(r.params for _, r in fc),
        fc_macs=sum(r.macs for _, r in fc),
        total_weights=summary.total_params - (dropped.params if dropped else 0),
        total_macs=summary.total_macs - (dropped.macs if dropped else 0),
        aux_weights=summary.aux_params,
        images=len(shapes),
    )
