"""Counting a built torch module: parameters, MACs (PyTorch's own FLOP counter) and non-linearities.

The labs compare these with their formulas; nothing here knows a formula. Modules are built on the
``meta`` device, so counting a 512-channel stack allocates nothing.
"""

from __future__ import annotations

from contextlib import contextmanager

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

NONLINEAR = (nn.ReLU, nn.ReLU6, nn.Tanh, nn.Sigmoid, nn.GELU, nn.SiLU, nn.Hardswish, nn.LeakyReLU, nn.ELU)


def parameters(module: nn.Module, kinds: tuple[type, ...] | None = None) -> int:
    """All parameters, or only those of sub-modules of the given types (e.g. convolutions without batch norm)."""
    if kinds is None:
        return sum(p.numel() for p in module.parameters())
    return sum(p.numel() for m in module.modules() if isinstance(m, kinds) for p in m.parameters(recurse=False))


@contextmanager
def _evaluating(module: nn.Module):
    """The module in eval mode for one pass, each sub-module's own mode restored afterwards.

    In training mode batch norm needs more than one value per channel: a batch of one 1x1 map would fail,
    although the count does not depend on the mode."""
    modes = [(m, m.training) for m in module.modules()]
    module.eval()
    try:
        yield module
    finally:
        for m, training in modes:
            m.training = training


def macs(module: nn.Module, *shapes: tuple[int, ...]) -> int:
    """Multiply-accumulates of one forward pass on inputs of ``shapes`` (batch of one), as PyTorch's
    ``FlopCounterMode`` counts them (convolutions and matrix products; 2 FLOPs per MAC). Counted in eval mode."""
    inputs = [torch.zeros((1, *shape), device="meta") for shape in shapes]
    with _evaluating(module.to("meta")) as counted, FlopCounterMode(display=False) as counter, torch.no_grad():
        counted(*inputs)
    return counter.get_total_flops() // 2


def output_shape(module: nn.Module, shape: tuple[int, ...]) -> tuple[int, ...]:
    """The output shape (without the batch) of one input of ``shape``, in eval mode like ``macs``."""
    with _evaluating(module.to("meta")) as shaped, torch.no_grad():
        return tuple(shaped(torch.zeros((1, *shape), device="meta")).shape[1:])


def nonlinearities(module: nn.Module) -> int:
    """Activation layers applied on the path (each module call counts once)."""
    return sum(isinstance(m, NONLINEAR) for m in module.modules())
