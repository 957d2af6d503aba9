"""The notes' learning-rate schedules, written as the formulas they state, and a live run of each.

* AlexNet / VGG / ResNet: start at lr0, divide by 10 when the validation error plateaus (``ReduceLROnPlateau``).
* GoogLeNet: start at 0.01, multiply by 0.96 every 8 epochs (``StepLR``).
* ResNet: warm up at 0.01, then 0.1, then divide by 10 on plateau.

The formulas below are what the page shows; the live runs use torch's own schedulers, and the tests check that
the two agree epoch by epoch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from cnnviz.training import loop
from cnnviz.training.data import digits
from cnnviz.training.device import seed_everything, single_threaded


def step_decay(epochs: int, lr0: float = 0.01, gamma: float = 0.96, every: int = 8) -> list[float]:
    """GoogLeNet: lr_e = lr0 * gamma^floor(e / every), for epochs e = 0, 1, ..."""
    return [lr0 * gamma ** (e // every) for e in range(epochs)]


def warmup(epochs: int, warm_lr: float = 0.01, lr: float = 0.1, warm_epochs: int = 2) -> list[float]:
    """ResNet's warm-up: warm_lr for the first ``warm_epochs`` epochs, then lr."""
    return [warm_lr if e < warm_epochs else lr for e in range(epochs)]


def plateau(metric: list[float], lr0: float, factor: float = 0.1, patience: int = 10,
            threshold: float = 1e-4, start_epoch: int = 0, min_lr: float = 0.0) -> list[float]:
    """The lr in force during each epoch when ``metric[e]`` (lower is better) is seen at the end of epoch e.

    The rule of ``ReduceLROnPlateau`` in 'min' mode with a relative threshold: an epoch counts as an
    improvement only if its metric beats the best so far by more than ``threshold`` times the best; after
    more than ``patience`` epochs in a row without one, lr is multiplied by ``factor`` (never below ``min_lr``)
    and the count restarts.
    Epochs before ``start_epoch`` are not watched (ResNet's warm-up).
    """
    lrs, lr, best, bad = [], lr0, math.inf, 0
    for e, value in enumerate(metric):
        lrs.append(lr)
        if e < start_epoch:
            continue
        if value < best * (1 - threshold):
            best, bad = value, 0
        else:
            bad += 1
        if bad > patience:
            lr, bad = max(lr * factor, min_lr), 0
    return lrs


@dataclass(frozen=True)
class ScheduleRun:
    name: str
    lr: list[float] = field(default_factory=list)  # in force during each epoch
    train_loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_error: list[float] = field(default_factory=list)


SCHEDULES = {
    "plateau": "SGD+momentum, lr 0.1, /10 on plateau (AlexNet, VGG, ResNet)",
    "step": "SGD+momentum, lr 0.01, x0.96 every 8 epochs (GoogLeNet)",
    "warmup": "SGD+momentum, warm-up 0.01, then 0.1, /10 on plateau (ResNet)",
}
OPTIMISERS = {
    "momentum": "SGD+momentum 0.9, lr 0.01",
    "rmsprop": "RMSProp, rho 0.9, lr 0.001 (Inception v3)",
}


def small_net(seed: int) -> nn.Module:
    """A two-layer perceptron on the 8x8 digits: small enough to train 60 epochs in a second."""
    seed_everything(seed)
    return nn.Sequential(nn.Flatten(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))


@single_threaded
def train_with_schedule(name: str, epochs: int = 60, patience: int = 4, warm_epochs: int = 2,
                        batch_size: int = 64, seed: int = 0) -> ScheduleRun:
    """Train ``small_net`` on the digits with one of ``SCHEDULES``; torch's schedulers set the lr."""
    names = {**SCHEDULES, **OPTIMISERS}
    if name not in names:
        raise ValueError(f"schedule must be one of {sorted(names)}, got {name!r}")
    data = digits(8, seed)
    model = small_net(seed)
    sgd = lambda lr: torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)  # noqa: E731
    warm = None
    if name == "rmsprop":
        optimiser = torch.optim.RMSprop(model.parameters(), lr=1e-3, alpha=0.9)
        after = None
    elif name == "momentum":
        optimiser, after = sgd(0.01), None
    elif name == "step":
        optimiser = sgd(0.01)
        after = torch.optim.lr_scheduler.StepLR(optimiser, step_size=8, gamma=0.96)
    else:
        optimiser = sgd(0.1)
        if name == "warmup":  # ConstantLR multiplies 0.1 by 0.1 for the warm-up epochs
            warm = torch.optim.lr_scheduler.ConstantLR(optimiser, factor=0.1, total_iters=warm_epochs)
        # Three levels (0.1, 0.01, 0.001), as ResNet was trained; the default min_lr=0 would go on dividing.
        after = torch.optim.lr_scheduler.ReduceLROnPlateau(optimiser, factor=0.1, patience=patience, min_lr=1e-3)
    run = ScheduleRun(names[name])
    generator = torch.Generator().manual_seed(seed)
    for epoch in range(epochs):
        run.lr.append(optimiser.param_groups[0]["lr"])
        model.train()
        order = torch.randperm(len(data.y_train), generator=generator)
        mean_loss = loop.epoch(model, optimiser, data.x_train, data.y_train, order, batch_size)
        model.eval()
        with torch.no_grad():
            logits = model(data.x_val)
        val_loss = F.cross_entropy(logits, data.y_val).item()
        run.train_loss.append(mean_loss)
        run.val_loss.append(val_loss)
        run.val_error.append((logits.argmax(1) != data.y_val).float().mean().item())
        if warm is not None and epoch < warm_epochs:
            warm.step()
        elif isinstance(after, torch.optim.lr_scheduler.ReduceLROnPlateau):
            after.step(val_loss)
        elif after is not None:
            after.step()
    return run
