"""Bottleneck arithmetic: 1x1 reductions before big convolutions, by formula and counted on torch modules.

A k x k convolution C_in -> C_out (groups g, stride 1, 'same' padding) on an i x i map has
k^2 (C_in / g) C_out weights (+ C_out biases) and k^2 (C_in / g) C_out i^2 multiply-accumulates.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from cnnviz.analysis import conv_arithmetic as arithmetic
from cnnviz.analysis import counting as measure
from cnnviz.i18n import N_, _


@dataclass(frozen=True)
class Conv:
    label: str  # shown as ``_(label)``: the English names below are marked for translation
    c_in: int
    c_out: int
    kernel: int
    groups: int = 1
    bias: bool = True

    @property
    def weights(self) -> int:
        return arithmetic.params(self.kernel, self.c_in, self.c_out, self.groups, self.bias)

    @property
    def macs_per_pixel(self) -> int:
        """MACs per output position: the coefficient of i^2."""
        return arithmetic.macs(1, 1, self.c_out, self.kernel, self.c_in, self.groups)

    def macs(self, size: int) -> int:
        """MACs on a size x size input, with the padding of ``module`` (k // 2: the map keeps its size)."""
        side = arithmetic.output_size(size, self.kernel, padding=self.kernel // 2)
        return arithmetic.macs(side, side, self.c_out, self.kernel, self.c_in, self.groups)

    def module(self) -> nn.Conv2d:
        return nn.Conv2d(self.c_in, self.c_out, self.kernel, padding=self.kernel // 2, groups=self.groups,
                         bias=self.bias, device="meta")


def weights(convs: list[Conv]) -> int:
    return sum(c.weights for c in convs)


def macs(convs: list[Conv], size: int) -> int:
    """Total MACs on a size x size map."""
    return sum(c.macs(size) for c in convs)


def mac_coefficient(convs: list[Conv]) -> int:
    """Total MACs divided by i^2 (every convolution keeps the i x i map)."""
    return sum(c.macs_per_pixel for c in convs)


class Branches(nn.Module):
    """Parallel branches concatenated along channels: an inception module."""

    def __init__(self, *branches: nn.Module):
        super().__init__()
        self.branches = nn.ModuleList(branches)

    def forward(self, x):
        return torch.cat([branch(x) for branch in self.branches], dim=1)


def chain(convs: list[Conv]) -> nn.Sequential:
    return nn.Sequential(*(c.module() for c in convs))


def counted(module: nn.Module, c_in: int, size: int) -> tuple[int, int]:
    """(parameters, MACs) of the torch module on a c_in x size x size input."""
    return measure.parameters(module), measure.macs(module, (c_in, size, size))


# The notes' question: 5x5 convolution 64 -> 64, directly or after a 1x1 reduction to 32 channels.
def naive_5x5(c_in: int = 64, c_out: int = 64) -> list[Conv]:
    return [Conv("5x5", c_in, c_out, 5)]


def reduced_5x5(c_in: int = 64, reduce: int = 32, c_out: int = 64) -> list[Conv]:
    return [Conv(N_("1x1 reduce"), c_in, reduce, 1), Conv("5x5", reduce, c_out, 5)]


@dataclass(frozen=True)
class Inception:
    """Channel counts of one inception module (defaults: the 28x28x256 example of CS231n lecture 9)."""

    c_in: int = 256
    b1: int = 128
    b3_reduce: int = 64
    b3: int = 192
    b5_reduce: int = 64
    b5: int = 96
    pool_proj: int = 64

    def naive(self) -> list[Conv]:
        return [Conv("1x1", self.c_in, self.b1, 1), Conv("3x3", self.c_in, self.b3, 3),
                Conv("5x5", self.c_in, self.b5, 5)]

    def reduced(self) -> list[Conv]:
        return [Conv("1x1", self.c_in, self.b1, 1), Conv(N_("3x3 reduce"), self.c_in, self.b3_reduce, 1),
                Conv("3x3", self.b3_reduce, self.b3, 3), Conv(N_("5x5 reduce"), self.c_in, self.b5_reduce, 1),
                Conv("5x5", self.b5_reduce, self.b5, 5), Conv(N_("pool proj"), self.c_in, self.pool_proj, 1)]

    def naive_channels(self) -> int:
        return self.b1 + self.b3 + self.b5 + self.c_in  # the pool branch passes every input channel on

    def reduced_channels(self) -> int:
        return self.b1 + self.b3 + self.b5 + self.pool_proj

    def naive_module(self) -> nn.Module:
        c = self.naive()
        return Branches(c[0].module(), c[1].module(), c[2].module(), nn.MaxPool2d(3, 1, 1))

    def reduced_module(self) -> nn.Module:
        c = self.reduced()
        return Branches(c[0].module(), chain(c[1:3]), chain(c[3:5]),
                        nn.Sequential(nn.MaxPool2d(3, 1, 1), c[5].module()))


def block_channels(mid: int = 64) -> int:
    """Channels in and out of a bottleneck block of width ``mid``. torchvision's ``Bottleneck(inplanes, planes)``
    restores to planes x expansion (4) channels and, without a downsample branch, adds its input to that:
    so the block's channels are fixed by its width."""
    from torchvision.models.resnet import Bottleneck

    return mid * Bottleneck.expansion


def resnet_bottleneck(mid: int = 64) -> list[Conv]:
    """ResNet-50's block: 1x1 reduce, 3x3, 1x1 restore (no biases: batch norm follows)."""
    channels = block_channels(mid)
    return [Conv(N_("1x1 reduce"), channels, mid, 1, bias=False), Conv("3x3", mid, mid, 3, bias=False),
            Conv(N_("1x1 restore"), mid, channels, 1, bias=False)]


def basic_block(channels: int = 64) -> list[Conv]:
    """ResNet-18/34's block: two 3x3 convolutions."""
    return [Conv("3x3", channels, channels, 3, bias=False), Conv("3x3", channels, channels, 3, bias=False)]


def torch_resnet_blocks(mid: int = 64) -> dict[str, nn.Module]:
    """torchvision's own blocks, to count their convolutions: the bottleneck on block_channels(mid) channels,
    and basic blocks as wide as it and as narrow as its width."""
    from torchvision.models.resnet import BasicBlock, Bottleneck

    channels = block_channels(mid)
    with torch.device("meta"):
        return {"bottleneck": Bottleneck(channels, mid), "basic_wide": BasicBlock(channels, channels),
                "basic_narrow": BasicBlock(mid, mid)}


def conv_only(module: nn.Module, c_in: int, size: int) -> tuple[int, int]:
    """(convolution weights, MACs) of a block: batch norm parameters left out."""
    return measure.parameters(module, (nn.Conv2d,)), measure.macs(module, (c_in, size, size))


def standard(c_in: int, c_out: int, kernel: int = 3) -> list[Conv]:
    return [Conv(f"{kernel}x{kernel}", c_in, c_out, kernel, bias=False)]


def separable(c_in: int, c_out: int, kernel: int = 3) -> list[Conv]:
    """MobileNet: depthwise k x k (one filter per channel), then pointwise 1x1. The depthwise label is in the
    session's language already (it holds the kernel size)."""
    return [Conv(_("depthwise {k}x{k}").format(k=kernel), c_in, c_in, kernel, groups=c_in, bias=False),
            Conv(N_("pointwise 1x1"), c_in, c_out, 1, bias=False)]


def separable_ratio(c_out: int, kernel: int = 3) -> float:
    """MobileNet's cost ratio, separable / standard = 1/N + 1/k^2."""
    return 1 / c_out + 1 / kernel ** 2


def fire(c_in: int = 96, squeeze: int = 16, e1: int = 64, e3: int = 64) -> list[Conv]:
    """SqueezeNet's fire module (defaults: fire2 of SqueezeNet 1.0)."""
    return [Conv(N_("squeeze 1x1"), c_in, squeeze, 1), Conv(N_("expand 1x1"), squeeze, e1, 1),
            Conv(N_("expand 3x3"), squeeze, e3, 3)]


def torch_fire(c_in: int = 96, squeeze: int = 16, e1: int = 64, e3: int = 64) -> nn.Module:
    from torchvision.models.squeezenet import Fire

    with torch.device("meta"):
        return Fire(c_in, squeeze, e1, e3)

