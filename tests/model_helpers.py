"""Counting by hand for the own-model tests: builders by name, meta inputs, and parameter and MAC counts
written out from the layer formulas (never read from the models themselves)."""

from __future__ import annotations

import importlib

import torch
from torch import nn

def builder(module: str, name: str):
    return getattr(importlib.import_module(f"cnnviz.zoo.models.{module}"), name)


def on_meta(module: str, name: str, **kwargs) -> nn.Module:
    with torch.device("meta"):
        return builder(module, name)(**kwargs)


def meta_inputs(shapes, batch: int = 2):
    return [torch.zeros(batch, *shape, device="meta") for shape in shapes]


def n_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def conv_params(cin: int, cout: int, k: int, groups: int = 1, bias: bool = True) -> int:
    return cin // groups * cout * k * k + (cout if bias else 0)


def linear_params(fin: int, fout: int) -> int:
    return fin * fout + fout


def macs(model: nn.Module, *inputs: torch.Tensor) -> int:
    """Multiply-adds of conv and linear layers for the batch given."""
    total = 0

    def hook(m, args, out):
        nonlocal total
        kh, kw = getattr(m, "kernel_size", (1, 1))
        if isinstance(m, nn.ConvTranspose2d):
            total += args[0].numel() * m.out_channels // m.groups * kh * kw
        elif isinstance(m, nn.Conv2d):
            total += out.numel() * m.in_channels // m.groups * kh * kw
        else:
            total += out.numel() * m.in_features

    handles = [m.register_forward_hook(hook) for m in model.modules()
               if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear))]
    model(*inputs)
    for h in handles:
        h.remove()
    return total


def output_shapes(model: nn.Module, types, *inputs) -> list[tuple[int, ...]]:
    shapes = []
    handles = [m.register_forward_hook(lambda m, a, out: shapes.append(tuple(out.shape[1:])))
               for m in model.modules() if isinstance(m, types)]
    model(*inputs)
    for h in handles:
        h.remove()
    return shapes
