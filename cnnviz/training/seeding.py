"""Per-run random numbers: a training draws only from its own generators, never from torch's global one.

The app serves many students from one process. Seeding the global generators there (``torch.manual_seed``)
would let two sessions that train at once interleave their draws, so neither run would be the one its
settings name, and it would reseed everybody else's random numbers too.

A model is built on the ``meta`` device (its constructor draws nothing), then given torch's default
initialisation from the run's generator, layer by layer in the order the constructor made them: the same
numbers ``torch.manual_seed(seed)`` followed by the constructor would give, so results made the old way hold.
"""

from __future__ import annotations

import math
from itertools import chain
from typing import Callable

import torch
from torch import nn

from cnnviz.zoo.meta_build import on_meta

# Layers whose reset_parameters() draws nothing (ones, zeros, fresh running statistics).
_FIXED_INIT = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d, nn.GroupNorm, nn.LayerNorm)


def run_generator(seed: int) -> torch.Generator:
    """A CPU generator of its own, seeded: draws from it touch no other run."""
    return torch.Generator().manual_seed(seed)


def reset_parameters(model: nn.Module, generator: torch.Generator) -> nn.Module:
    """Torch's default initialisation of every layer of ``model``, drawn from ``generator``.

    Written out because torch's ``reset_parameters()`` takes no generator: these are its calls (Kaiming-uniform
    with a = sqrt(5) for weights, U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for biases), in registration order.
    A layer with parameters of any other kind is refused rather than left uninitialised.
    """
    for module in model.modules():
        if isinstance(module, (nn.Linear, nn.modules.conv._ConvNd)):
            nn.init.kaiming_uniform_(module.weight, a=math.sqrt(5), generator=generator)
            if module.bias is not None:
                fan_in, _ = nn.init._calculate_fan_in_and_fan_out(module.weight)
                bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0.0
                nn.init.uniform_(module.bias, -bound, bound, generator=generator)
        elif isinstance(module, _FIXED_INIT):
            module.reset_parameters()
        elif next(chain(module.parameters(recurse=False), module.buffers(recurse=False)), None) is not None:
            raise TypeError(f"no seeded initialisation for {type(module).__name__}")
    return model


def seeded_model(build: Callable[[], nn.Module], generator: torch.Generator) -> nn.Module:
    """``build()`` on the CPU with its initial weights drawn from ``generator``; the global generator is untouched."""
    with on_meta():
        model = build()
    return reset_parameters(model.to_empty(device="cpu"), generator)
