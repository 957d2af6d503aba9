"""The training step the mini-trainings share: cross-entropy, SGD-style update, mean loss per epoch."""

from __future__ import annotations

from typing import Callable

import torch.nn.functional as F
from torch import Tensor, nn


def step(model: nn.Module, optimiser, inputs: Tensor, targets: Tensor) -> tuple[float, Tensor]:
    """One update on one mini-batch; returns its loss (before the update) and its logits."""
    logits = model(inputs)
    loss = F.cross_entropy(logits, targets)
    optimiser.zero_grad(set_to_none=True)
    loss.backward()
    optimiser.step()
    return loss.item(), logits


def epoch(model: nn.Module, optimiser, x: Tensor, y: Tensor, order: Tensor, batch_size: int,
          augment: Callable[[Tensor], Tensor] | None = None) -> float:
    """One pass over ``order`` in mini-batches; the mean loss while the weights were changing."""
    total = 0.0
    for start in range(0, len(order), batch_size):
        batch = order[start:start + batch_size]
        inputs = x[batch] if augment is None else augment(x[batch])
        loss, _ = step(model, optimiser, inputs, y[batch])
        total += loss * len(batch)
    return total / len(order)
