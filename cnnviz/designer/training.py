"""A design trained on scikit-learn's handwritten digits, as LeNet-5 is on its training page: the same split and
standardisation, the same optimiser (SGD with momentum on mini-batches of 32) and learning rates, at most as many
epochs, and a network and input small enough to train here in about a minute. Every draw comes from the run's own
generators, seeded: the initial weights, the order of the data and dropout's masks (never torch's global one, which
other sessions share), so a seed names one run. The trained weights come back with the curves.

The digits are 1 x 8 x 8 scans of 10 classes: a design must take one channel and end in 10 values; its input side
may be larger, and the scans are then upsampled to it (bilinear, as LeNet-5's 32 x 32).
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field
from typing import Callable, Iterator

import torch
from torch import nn

from cnnviz.designer.analysis import DesignReport
from cnnviz.designer.check import Problem
from cnnviz.designer.design import Design
from cnnviz.i18n import N_
from cnnviz.training import loop
from cnnviz.training.data import Split, digits, standardised
from cnnviz.training.device import pick_device, single_threaded
from cnnviz.training.lenet_live import LEARNING_RATES as LENET_LEARNING_RATES
from cnnviz.training.lenet_live import LeNetConfig
from cnnviz.training.seeding import run_generator, seeded_model

DIGIT_CHANNELS, DIGIT_SIDE, DIGIT_CLASSES = 1, 8, 10
LEARNING_RATES = LENET_LEARNING_RATES  # the choices, as on LeNet-5's page
MOST_EPOCHS = 30  # as LeNet-5's training page
MOST_SIDE = 64  # the scans upsampled at most 8x
MOST_PARAMS = 2_000_000  # the trained weights stay in the session: 8 MB at most
MOST_MACS = 20_000_000  # per image: an epoch in a few seconds on one thread (LeNet-5 has 0.42 M)
MOST_SEED = 999_999
EVALUATION_BATCH = 256  # validation and test in slices: bounded memory at the largest input


@dataclass(frozen=True)
class TrainConfig:
    epochs: int = LeNetConfig.epochs
    lr: float = LeNetConfig.lr
    seed: int = 0  # the run's generators; the split is LeNet-5's (the same test digits)
    momentum: float = LeNetConfig.momentum
    batch_size: int = LeNetConfig.batch_size


@dataclass
class DesignRun:
    """One training of one design (its link text): LeNet-5's run's curves and numbers."""

    net: str
    config: TrainConfig
    device: str = "cpu"
    initial_loss: float = 0.0  # mean cross-entropy on the training set before the first step
    step_loss: list[float] = field(default_factory=list)  # every mini-batch
    train_loss: list[float] = field(default_factory=list)  # per epoch, mean over its mini-batches
    train_accuracy: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)
    test_accuracy: float | None = None
    seconds: float = 0.0


Progress = Callable[[DesignRun, int, int], None]  # (run so far, epochs done, epochs in all)


def misfit(report: DesignReport) -> Problem | None:
    """Why this design cannot train on the digits here, in one sentence with what to change; None when it can."""
    design = report.design
    if report.problem is not None:
        return report.problem
    channels, classes = design.channels != DIGIT_CHANNELS, design.classes != DIGIT_CLASSES
    values = dict(channels=f"{design.channels:,}", classes=f"{design.classes:,}", digit_channels=DIGIT_CHANNELS,
                  digit_classes=DIGIT_CLASSES, side=DIGIT_SIDE)
    if channels and classes:
        return Problem(None, N_("the digits are {side}x{side} grey scans (1 channel) of {digit_classes} classes, but "
                                "this design takes {channels} channels and has {classes} classes"),
                       values, N_("Set the input channels to 1 and the classes to {digit_classes}"), values)
    if channels:
        return Problem(None, N_("the digits are {side}x{side} grey scans (1 channel), but this design takes "
                                "{channels} channels"), values, N_("Set the input channels to 1"), values)
    if classes:
        return Problem(None, N_("the digits have {digit_classes} classes, but this design has {classes}"),
                       values, N_("Set the classes to {digit_classes}"), values)
    if design.side > MOST_SIDE:
        values = dict(side=design.side, most=MOST_SIDE, scan=DIGIT_SIDE)
        return Problem(None, N_("the {scan}x{scan} digits are trained here at most {most}x{most} (upsampled), but "
                                "this design takes {side}x{side}"),
                       values, N_("Set the input size to {most} or less (LeNet-5 takes 32)"), values)
    if report.total_params > MOST_PARAMS:
        values = dict(params=f"{report.total_params:,}", most=f"{MOST_PARAMS:,}")
        return Problem(None, N_("this design has {params} parameters; a design trained here has at most {most}"),
                       values, N_("Use fewer channels or a smaller linear layer"), values)
    if report.total_macs > MOST_MACS:
        values = dict(macs=f"{report.total_macs:,}", most=f"{MOST_MACS:,}")
        return Problem(None, N_("this design needs {macs} MACs per image; a design trained here needs at most "
                                "{most}"), values, N_("Use fewer channels, a smaller input, or shrink the maps "
                                                      "earlier"), values)
    return None


def work(report: DesignReport, epochs: int) -> float:
    """What a training's time grows with, for the queue's estimates: epochs, each about LeNet-5's overhead plus its
    MACs in millions."""
    return epochs * (1.0 + report.total_macs / 1e6)


def design_data(side: int) -> Split:
    """The digits at the design's side, standardised, in LeNet-5's split (the same test digits)."""
    return standardised(digits(side, LeNetConfig.seed))


class _Logits(nn.Module):
    """The design's output as one row of class scores per image: a design may end in a C x 1 x 1 map."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x).flatten(1)


class _SeededDropout(nn.Module):
    """nn.Dropout whose masks come from ``generator`` (on the CPU, then moved to the map's device)."""

    def __init__(self, p: float, generator: torch.Generator) -> None:
        super().__init__()
        self.p, self.generator = p, generator

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0:
            return x
        keep = torch.rand(x.shape, generator=self.generator) >= self.p
        return x * keep.to(x.device) / (1 - self.p)


@contextlib.contextmanager
def _seeded_dropout(model: nn.Module, generator: torch.Generator) -> Iterator[None]:
    """Inside, every nn.Dropout of ``model`` draws from ``generator``; afterwards the model holds nn.Dropout again
    (no parameters: its weights are the same)."""
    swapped = []
    for parent in model.modules():
        for name, child in parent.named_children():
            if isinstance(child, nn.Dropout):
                swapped.append((parent, name, child))
                setattr(parent, name, _SeededDropout(child.p, generator))
    try:
        yield
    finally:
        for parent, name, child in swapped:
            setattr(parent, name, child)


def initial_model(design: Design, seed: int) -> nn.Module:
    """The design's module on the CPU with its initial weights drawn from the run's generator."""
    from cnnviz.designer.build import build

    return seeded_model(lambda: build(design), run_generator(seed))


@single_threaded
def train_design(design: Design, net: str, config: TrainConfig = TrainConfig(), on_epoch: Progress | None = None,
                 device: str | None = None) -> tuple[DesignRun, nn.Module]:
    """Train ``design`` (``net``: its link text, kept with the run) on the digits; the run and the trained module
    (on the CPU). The design must fit (``misfit`` is None) and ``config`` be within the bounds."""
    if not 1 <= config.epochs <= MOST_EPOCHS:
        raise ValueError(f"epochs must be 1 to {MOST_EPOCHS}, not {config.epochs}")
    device = device or pick_device()
    data = design_data(design.side)
    model = initial_model(design, config.seed).to(device)
    scores = _Logits(model)
    x, y = data.x_train.to(device), data.y_train.to(device)
    x_val, y_val = data.x_val.to(device), data.y_val.to(device)
    run = DesignRun(net, config, device)
    run.initial_loss = loop.evaluate(scores, x, y, EVALUATION_BATCH)[0]
    optimiser = torch.optim.SGD(model.parameters(), lr=config.lr, momentum=config.momentum)
    data_order = run_generator(config.seed)
    started = time.perf_counter()
    with _seeded_dropout(model, run_generator(config.seed)):
        for epoch in range(config.epochs):
            scores.train()
            order = torch.randperm(len(y), generator=data_order).to(device)
            loss, accuracy = loop.epoch_with_accuracy(scores, optimiser, x, y, order, config.batch_size, run.step_loss)
            run.train_loss.append(loss)
            run.train_accuracy.append(accuracy)
            run.val_accuracy.append(loop.evaluate(scores, x_val, y_val, EVALUATION_BATCH)[1])
            run.seconds = time.perf_counter() - started
            if on_epoch:
                on_epoch(run, epoch + 1, config.epochs)
    run.test_accuracy = loop.evaluate(scores, data.x_test.to(device), data.y_test.to(device), EVALUATION_BATCH)[1]
    return run, model.cpu().eval()


def trained_model(design: Design, state: dict) -> nn.Module:
    """The design's module holding trained weights (a state dict kept in the session)."""
    from cnnviz.designer.build import build

    model = build(design)
    model.load_state_dict(state)
    return model.eval()
