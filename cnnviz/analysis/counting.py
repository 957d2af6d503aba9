"""Counting a built torch module: parameters, MACs (PyTorch's own FLOP counter) and non-linearities.

The labs compare these with their formulas; nothing here knows a formula. Modules are built on the
``meta`` device, so counting a 512-channel stack allocates nothing.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

NONLINEAR = (nn.ReLU, nn.ReLU6, nn.Tanh, nn.Sigmoid, nn.GELU, nn.SiLU, nn.Hardswish, nn.LeakyReLU, nn.ELU)


def parameters(module: nn.Module, kinds: tuple[type, ...] | None = None) -> int:
    """All parameters, or only those of sub-modules of the given types (e.g. convolutions without batch norm)."""
    if kinds is None:
        return sum(p.numel() for p in module.parameters())
    return sum(p.numel() for m in module.modules() if isinstance(m, kinds) for p in m.parameters(recurse=False))


def macs(module: nn.Module, *shapes: tuple[int, ...]) -> int:
    """Multiply-accumulates of one forward pass on inputs of ``shapes`` (batch of one), as PyTorch's
    ``FlopCounterMode`` counts them (convolutions and matrix products; 2 FLOPs per MAC)."""
    inputs = [torch.zeros((1, *shape), device="meta") for shape in shapes]
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        module.to("meta")(*inputs)
    return counter.get_total_flops() // 2


def output_shape(module: nn.Module, shape: tuple[int, ...]) -> tuple[int, ...]:
    with torch.no_grad():
        return tuple(module.to("meta")(torch.zeros((1, *shape), device="meta")).shape[1:])


def nonlinearities(module: nn.Module) -> int:
    """Activation layers applied on the path (each module call counts once)."""
    return sum(isinstance(m, NONLINEAR) for m in module.modules())
