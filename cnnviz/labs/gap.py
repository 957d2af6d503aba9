"""1x1 convolutions and global average pooling, by formula and measured on torch modules and registry models.

A 1x1 convolution is one matrix C_out x C_in applied at every pixel: it mixes channels and nothing else.
Global average pooling (GAP) replaces the flatten before the first fully connected layer by one mean
per channel, so that layer's input shrinks from H*W*C to C.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch
from torch import nn

from cnnviz.analysis import conv_arithmetic as arithmetic
from cnnviz.analysis import counting as measure

if TYPE_CHECKING:
    from cnnviz.analysis.summary import Summary


def one_by_one_params(c_in: int, c_out: int, bias: bool = True) -> int:
    return arithmetic.params(1, c_in, c_out, bias=bias)


def one_by_one_macs(c_in: int, c_out: int, size: int) -> int:
    return arithmetic.macs(size, size, c_out, 1, c_in)  # a 1x1 convolution keeps the size x size map


def one_by_one_is_matmul(c_in: int = 8, c_out: int = 4, size: int = 5, seed: int = 0) -> dict:
    """Run a random 1x1 convolution and the same weights as a per-pixel matrix product; compare."""
    generator = torch.Generator().manual_seed(seed)
    conv = nn.Conv2d(c_in, c_out, 1).double()
    with torch.no_grad():
        conv.weight.copy_(torch.randn(conv.weight.shape, generator=generator, dtype=torch.float64))
        conv.bias.copy_(torch.randn(c_out, generator=generator, dtype=torch.float64))
        x = torch.randn(1, c_in, size, size, generator=generator, dtype=torch.float64)
        by_conv = conv(x)
        matrix = conv.weight[:, :, 0, 0]  # C_out x C_in
        by_matmul = torch.einsum("oc,nchw->nohw", matrix, x) + conv.bias[None, :, None, None]
    return {"max_difference": float((by_conv - by_matmul).abs().max()), "matrix": matrix.detach().numpy(),
            "pixel_in": x[0, :, 0, 0].numpy(), "pixel_out": by_conv[0, :, 0, 0].detach().numpy()}


@dataclass(frozen=True)
class Head:
    name: str
    params: int
    macs: int


def fc_head(channels: int, size: int, hidden: int) -> Head:
    """Flatten the size x size x C map into one fully connected layer of ``hidden`` units: the same as
    ``hidden`` size x size filters, each applied once (a 1 x 1 output)."""
    return Head("flatten + FC", arithmetic.params(size, channels, hidden),
                arithmetic.macs(1, 1, hidden, size, channels))


def gap_head(channels: int, hidden: int) -> Head:
    """GAP (no weights) then the fully connected layer on C means: ``hidden`` 1x1 filters on a 1 x 1 map."""
    return Head("GAP + FC", arithmetic.params(1, channels, hidden), arithmetic.macs(1, 1, hidden, 1, channels))


def torch_heads(channels: int, size: int, hidden: int) -> dict[str, Head]:
    """Both heads built in torch and counted."""
    with torch.device("meta"):
        fc = nn.Sequential(nn.Flatten(), nn.Linear(size * size * channels, hidden))
        gap = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(channels, hidden))
    shape = (channels, size, size)
    return {"fc": Head("flatten + FC", measure.parameters(fc), measure.macs(fc, shape)),
            "gap": Head("GAP + FC", measure.parameters(gap), measure.macs(gap, shape))}


@dataclass(frozen=True)
class RegistryHead:
    """What a registry model puts after its last convolution, counted on the model itself."""

    model: str
    feature_shape: tuple[int, ...]  # C x H x W entering the head
    head_params: int  # everything after the features
    first_layer_params: int  # the layer that reads the features
    fc_equivalent_params: int  # a fully connected layer from the whole map to the same width
    uses_gap: bool


def registry_head(name: str, summary: Summary | None = None) -> RegistryHead:
    """VGG-16 (flatten + FC), GoogLeNet (GAP + one FC), NiN (a 1x1 conv per class + GAP, no FC).

    ``summary``: the model's traced summary at its default input size, when the caller has one (a page
    passes its cached one); otherwise the process-wide shared one is used, so nothing is traced twice."""
    if summary is None:
        from cnnviz.analysis.summary import summary_of

        summary = summary_of(name, None)
    rows = [r for r in summary.layers if not r.auxiliary]
    pool = next(i for i, r in enumerate(rows) if r.type.startswith("Adaptive"))
    head = rows[pool + 1:]
    feature_shape = rows[pool].input_shape
    uses_gap = tuple(rows[pool].output_shape[-2:]) == (1, 1)
    first = next((r for r in head if r.params), None)
    # Without a weighted head (NiN) the classes are the feature maps themselves: one map per class.
    width = first.output_shape[0] if first else feature_shape[0]
    equivalent = feature_shape[0] * feature_shape[1] * feature_shape[2] * width + width
    return RegistryHead(name, tuple(feature_shape), sum(r.params for r in head), first.params if first else 0,
                        equivalent, uses_gap)
