"""Stacked 3x3 convolutions vs one large kernel (VGG's argument), by formula and measured in torch.

n stacked k x k convolutions (stride 1, 'same' padding) see a window of 1 + n(k - 1) pixels, the same
as one (1 + n(k - 1)) x (1 + n(k - 1)) convolution, with n k^2 C^2 weights instead of (1 + n(k - 1))^2 C^2
and n non-linearities instead of one.
"""

from __future__ import annotations

from dataclasses import dataclass

from torch import nn

from cnnviz.analysis import conv_arithmetic as arithmetic
from cnnviz.analysis import counting as measure
from cnnviz.analysis.receptive_field.measure import measure_module
from cnnviz.i18n import N_
from cnnviz.lectures.course_notes import Quote

# The CS231n summary's (notes 002) count for three stacked 3x3 layers, in its own words.
SUMMARY_QUOTE = Quote("002", "3x(3x3xC(인풋의 채널 수)) = 27C", N_("3x(3x3xC(the number of input channels)) = 27C"))


def rf_steps(layers: int, kernel: int = 3) -> list[int]:
    """The field after each layer: 3, 5, 7, ... for 3x3 (the notes' recursion, every stride 1)."""
    return arithmetic.receptive_fields([kernel] * layers)


def stack_rf(layers: int, kernel: int = 3) -> int:
    """The notes' recursion with every stride 1: l_k = l_{k-1} + (f - 1), from l_0 = 1."""
    return rf_steps(layers, kernel)[-1] if layers else 1


def conv_params(channels: int, kernel: int, bias: bool = True) -> int:
    """One C -> C convolution: k^2 C^2 weights (+ C biases)."""
    return arithmetic.params(kernel, channels, channels, bias=bias)


def per_filter_params(channels: int, kernel: int, layers: int = 1) -> int:
    """The notes' simplification: one output channel per layer, each reading C channels: n k^2 C."""
    return layers * arithmetic.weights_per_filter(kernel, channels)


def conv_macs(channels: int, kernel: int, size: int) -> int:
    """One C -> C convolution with 'same' padding (k // 2, as ``build_stack``) on a size x size map."""
    side = arithmetic.output_size(size, kernel, padding=kernel // 2)
    return arithmetic.macs(side, side, channels, kernel, channels)


@dataclass(frozen=True)
class Costs:
    kernel: int
    layers: int
    rf: int
    params: int  # with biases
    params_no_bias: int
    per_filter: int  # the notes' 27C / 49C count
    macs: int  # one image, H x W map, 'same' padding
    nonlinearities: int


def stack_costs(channels: int, layers: int, size: int, kernel: int = 3) -> Costs:
    """n stacked k x k convolutions C -> C on a size x size map, each followed by a ReLU."""
    return Costs(kernel, layers, stack_rf(layers, kernel), layers * conv_params(channels, kernel),
                 layers * conv_params(channels, kernel, bias=False), per_filter_params(channels, kernel, layers),
                 layers * conv_macs(channels, kernel, size), layers)


def single_costs(channels: int, layers: int, size: int, kernel: int = 3) -> Costs:
    """The one convolution with the same field as ``layers`` stacked k x k ones."""
    big = stack_rf(layers, kernel)
    return Costs(big, 1, big, conv_params(channels, big), conv_params(channels, big, bias=False),
                 per_filter_params(channels, big), conv_macs(channels, big, size), 1)


def build_stack(channels: int, layers: int, kernel: int = 3, bias: bool = True) -> nn.Sequential:
    """The layers themselves, on the meta device: conv-ReLU, ``layers`` times."""
    modules: list[nn.Module] = []
    for _ in range(layers):
        modules += [nn.Conv2d(channels, channels, kernel, padding=kernel // 2, bias=bias, device="meta"),
                    nn.ReLU()]
    return nn.Sequential(*modules)


def measured_costs(channels: int, layers: int, size: int, kernel: int = 3) -> Costs:
    """The same numbers counted on torch modules: parameters, PyTorch's FLOP counter, ReLU modules, and
    the receptive field by back-propagation (``cnnviz.analysis.receptive_field.measure``)."""
    stack, bare = build_stack(channels, layers, kernel), build_stack(channels, layers, kernel, bias=False)
    shape = (channels, size, size)
    measured = measure_module(stack, [shape], None)  # None: its last stage, from the one trace it makes
    single = nn.Conv2d(channels, 1, kernel, device="meta")  # one output channel: the notes' per-filter count
    return Costs(kernel, layers, measured.rf, measure.parameters(stack), measure.parameters(bare),
                 layers * single.weight.numel(), measure.macs(stack, shape), measure.nonlinearities(stack))
