"""The training step the mini-trainings share: cross-entropy, SGD-style update, mean loss per epoch, evaluation."""

from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F
from torch import Tensor, nn


def step(model: nn.Module, optimiser, inputs: Tensor, targets: Tensor,
         clip: float | None = None) -> tuple[float, Tensor]:
    """One update on one mini-batch; returns its loss (before the update) and its logits. ``clip``: the largest
    norm of the whole gradient (all parameters together), as Inception v3's gradient clipping."""
    logits = model(inputs)
    loss = F.cross_entropy(logits, targets)
    optimiser.zero_grad(set_to_none=True)
    loss.backward()
    if clip is not None:
        nn.utils.clip_grad_norm_(model.parameters(), clip)
    optimiser.step()
    return loss.item(), logits


def epoch(model: nn.Module, optimiser, x: Tensor, y: Tensor, order: Tensor, batch_size: int,
          augment: Callable[[Tensor], Tensor] | None = None, clip: float | None = None) -> float:
    """One pass over ``order`` in mini-batches; the mean loss while the weights were changing."""
    total = 0.0
    for start in range(0, len(order), batch_size):
        batch = order[start:start + batch_size]
        inputs = x[batch] if augment is None else augment(x[batch])
        loss, _ = step(model, optimiser, inputs, y[batch], clip)
        total += loss * len(batch)
    return total / len(order)


def epoch_with_accuracy(model: nn.Module, optimiser, x: Tensor, y: Tensor, order: Tensor, batch_size: int,
                        step_losses: list[float]) -> tuple[float, float]:
    """One pass as ``epoch``, appending each step's loss to ``step_losses``: (mean loss, share of the examples
    classified right while the weights were changing)."""
    total, correct = 0.0, 0
    for start in range(0, len(order), batch_size):
        batch = order[start:start + batch_size]
        loss, logits = step(model, optimiser, x[batch], y[batch])
        step_losses.append(loss)
        total += loss * len(batch)
        correct += (logits.argmax(1) == y[batch]).sum().item()
    return total / len(order), correct / len(order)


def evaluate(model: nn.Module, x: Tensor, y: Tensor, batch_size: int | None = None) -> tuple[float, float]:
    """(mean cross-entropy, accuracy) in eval mode; ``batch_size`` bounds the memory of a large model."""
    model.eval()
    with torch.no_grad():
        logits = model(x) if batch_size is None else torch.cat([model(x[i:i + batch_size])
                                                                for i in range(0, len(x), batch_size)])
    return F.cross_entropy(logits, y).item(), (logits.argmax(1) == y).float().mean().item()
