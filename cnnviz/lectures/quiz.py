""""Check yourself" questions on one convolution or pooling layer: output size, parameters and MACs.

Answers come from the formulas the notes teach; ``measure`` builds the layer in torch so tests (and the
page) can show that the formula and PyTorch agree.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace

from cnnviz.analysis import conv_arithmetic as arithmetic


@dataclass(frozen=True)
class LayerQuestion:
    in_size: int  # W (square input)
    in_channels: int  # C
    filters: int  # K (for pooling: equal to C)
    kernel: int  # F
    stride: int  # S
    padding: int  # P
    pooling: bool = False
    groups: int = 1

    @property
    def output_size(self) -> int:
        return arithmetic.output_size(self.in_size, self.kernel, self.stride, self.padding)

    @property
    def divides_evenly(self) -> bool:
        return arithmetic.divides_evenly(self.in_size, self.kernel, self.stride, self.padding)

    @property
    def weights_per_filter(self) -> int:
        return arithmetic.weights_per_filter(self.kernel, self.in_channels, self.groups)

    @property
    def params(self) -> int:
        return 0 if self.pooling else arithmetic.params(self.kernel, self.in_channels, self.filters, self.groups,
                                                        bias=True)

    @property
    def macs(self) -> int:
        size = self.output_size
        return 0 if self.pooling else arithmetic.macs(size, size, self.filters, self.kernel, self.in_channels,
                                                      self.groups)

    def describe(self) -> str:
        what = (f"{self.kernel}x{self.kernel} max pooling" if self.pooling
                else f"{self.filters} filters of {self.kernel}x{self.kernel}")
        return (f"Input {self.in_size}x{self.in_size}x{self.in_channels}; {what} at stride {self.stride}, "
                f"pad {self.padding}{f', {self.groups} groups' if self.groups > 1 else ''}.")

    def worked(self) -> dict[str, str]:
        """LaTeX for each answer, with the numbers substituted."""
        W, F, P, S, C, K = self.in_size, self.kernel, self.padding, self.stride, self.in_channels, self.filters
        size = (rf"\left\lfloor \frac{{W - F + 2P}}{{S}} \right\rfloor + 1 = "
                rf"\left\lfloor \frac{{{W} - {F} + 2\cdot{P}}}{{{S}}} \right\rfloor + 1 = {self.output_size}")
        if self.pooling:
            return {"output": size, "params": r"\text{pooling learns nothing: } 0",
                    "macs": r"\text{no multiply-accumulates (a max is a comparison): } 0"}
        per = f"{F}\\cdot{F}\\cdot{C}" + (f"/{self.groups}" if self.groups > 1 else "")
        return {
            "output": size,
            "params": rf"(F\cdot F\cdot C/g + 1)\cdot K = ({per} + 1)\cdot {K} = {self.params:,}".replace(",", "{,}"),
            "macs": (rf"W_{{out}}^2\cdot K\cdot F\cdot F\cdot C/g = {self.output_size}^2\cdot {K}\cdot {per} = "
                     rf"{self.macs:,}").replace(",", "{,}"),
        }


def measure(question: LayerQuestion) -> tuple[int, int, int]:
    """(output size, parameters, MACs) of the layer built in torch on the meta device."""
    import torch
    from torch import nn

    from cnnviz.analysis.summary import layer_macs

    if question.pooling:
        layer = nn.MaxPool2d(question.kernel, question.stride, question.padding)
    else:
        layer = nn.Conv2d(question.in_channels, question.filters, question.kernel, question.stride,
                          question.padding, groups=question.groups)
    layer = layer.to("meta")
    out = layer(torch.zeros(1, question.in_channels, question.in_size, question.in_size, device="meta"))
    params = sum(p.numel() for p in layer.parameters())
    return out.shape[-1], params, layer_macs(layer, tuple(out.shape[1:]), tuple(out.shape[1:]))


def new_numbers(question: LayerQuestion, seed: int) -> LayerQuestion:
    """Same kind of layer, fresh settings that divide evenly (so the answer is a whole number of pixels)."""
    rng = random.Random(seed)
    for _ in range(1000):
        kernel = rng.choice([1, 3, 5, 7, 11] if not question.pooling else [2, 3])
        stride = rng.choice([1, 2, 4] if kernel > 3 else [1, 2])
        padding = rng.choice([0, kernel // 2])
        in_size = rng.randrange(max(kernel, 8), 232)
        channels = rng.choice([1, 3, 16, 32, 64, 96, 128, 256])
        candidate = replace(question, in_size=in_size, in_channels=channels, kernel=kernel, stride=stride,
                            padding=padding, groups=1,
                            filters=channels if question.pooling else rng.choice([16, 32, 64, 96, 128, 256, 384]))
        if candidate.divides_evenly and candidate.output_size >= 1:
            return candidate
    raise RuntimeError("no evenly dividing layer found")  # unreachable in practice: 1x1 stride 1 always divides


def from_layer(row) -> LayerQuestion | None:
    """A question about a model's own layer (a LayerRow), or None when it is not a square conv/pool."""
    if row.type not in ("Conv2d", "MaxPool2d") or "x" in (row.kernel + row.stride + row.padding):
        return None
    if len(row.input_shape) != 3 or row.input_shape[1] != row.input_shape[2]:
        return None
    channels, size = row.input_shape[0], row.input_shape[-1]
    pooling = row.type == "MaxPool2d"
    return LayerQuestion(size, channels, channels if pooling else row.output_shape[0], int(row.kernel),
                         int(row.stride), int(row.padding), pooling, row.groups or 1)
