"""LeNet-5 trained live on the scikit-learn digits (upsampled to 32x32), tanh as in the paper or ReLU.

Before any training the ten logits are nearly equal, so the cross-entropy starts near ln 10 = 2.303: a
check that the network and the loss are wired correctly, before any learning happens.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Callable

import torch
from torch import Tensor, nn

from cnnviz.training import loop
from cnnviz.training.data import Split, digits, standardised
from cnnviz.training.device import pick_device, single_threaded
from cnnviz.training.seeding import run_generator, seeded_model


@dataclass(frozen=True)
class LeNetConfig:
    activation: str = "tanh"
    epochs: int = 15
    lr: float = 0.02
    momentum: float = 0.9
    batch_size: int = 32
    seed: int = 0


SAMPLES = 8  # test digits whose feature maps are kept
ACTIVATIONS = ("tanh", "relu")
WRITTEN = {"tanh": "tanh", "relu": "ReLU"}  # each activation as the text spells it
BOTH = "both"  # the page's third choice: every activation, one after the other
LEARNING_RATES = (0.005, 0.01, 0.02, 0.05, 0.1)  # the page's choices, around the default
UNTRAINED_LOSS = math.log(10)  # ten equal logits: softmax 1/10 each, cross-entropy -ln(1/10)


@dataclass
class Snapshot:
    """The six C1 filters (6 x 5 x 5) and, for each sample digit, its C1 and C3 maps after the activation."""

    filters: list
    c1_maps: list  # SAMPLES x 6 x 28 x 28
    c3_maps: list  # SAMPLES x 16 x 10 x 10


@dataclass
class LeNetRun:
    activation: str
    device: str = "cpu"  # where it trained: "cpu" or "cuda"
    initial_loss: float = 0.0  # mean cross-entropy on the training set before the first step
    step_loss: list[float] = field(default_factory=list)  # every mini-batch
    train_loss: list[float] = field(default_factory=list)  # per epoch, mean over its mini-batches
    train_accuracy: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)
    test_accuracy: float | None = None
    seconds: float = 0.0
    before: Snapshot | None = None
    after: Snapshot | None = None
    sample_labels: list[int] = field(default_factory=list)  # the first SAMPLES test digits
    sample_images: list = field(default_factory=list)  # SAMPLES x 32 x 32, as fed in

    def c1_strength(self, index: int) -> tuple[float, float]:
        """Mean |activation| of C1 for sample digit ``index``, before and after training."""
        return tuple(float(torch.tensor(snap.c1_maps[index]).abs().mean()) for snap in (self.before, self.after))

    def filter_change(self) -> float:
        """||W_after - W_before|| / ||W_before|| over C1's kernels: how far training moved them."""
        before, after = torch.tensor(self.before.filters), torch.tensor(self.after.filters)
        return float((after - before).norm() / before.norm())


Progress = Callable[[LeNetRun, int, int], None]  # (run so far, epochs done, epochs in all)


DEFAULT_CHOICE = BOTH  # the page's activation choice before a student picks one


def input_side() -> int:
    """The side of LeNet-5's input, as the registry builds it: the digits are upsampled to it."""
    from cnnviz.zoo.registry import resolve

    return resolve("lenet5")[1].input_size


def lenet_data(seed: int = 0) -> Split:
    """Digits at LeNet-5's input size, standardised with the training set's mean and deviation (zero-mean input)."""
    return standardised(digits(input_side(), seed))


def snapshot(model: nn.Module, images: Tensor) -> Snapshot:
    features = model.features  # C1, act, S2, C3, act, S4, C5, act
    with torch.no_grad():
        c1 = features[1](features[0](images))
        c3 = features[4](features[3](features[2](c1)))
    return Snapshot(features[0].weight[:, 0].cpu().tolist(), c1.cpu().tolist(), c3.cpu().tolist())


@single_threaded
def train_lenet(config: LeNetConfig = LeNetConfig(), on_epoch: Progress | None = None, data: Split | None = None,
                device: str | None = None) -> LeNetRun:
    from cnnviz.zoo.models.lenet import lenet5

    device = device or pick_device()
    data = data or lenet_data(config.seed)
    model = seeded_model(lambda: lenet5(10, config.activation), run_generator(config.seed)).to(device)
    x, y = data.x_train.to(device), data.y_train.to(device)
    x_val, y_val = data.x_val.to(device), data.y_val.to(device)
    samples = data.x_test[:SAMPLES].to(device)
    run = LeNetRun(config.activation, device, sample_labels=data.y_test[:SAMPLES].tolist(),
                   sample_images=data.x_test[:SAMPLES, 0].tolist())
    run.initial_loss = loop.evaluate(model, x, y)[0]
    run.before = snapshot(model, samples)
    optimiser = torch.optim.SGD(model.parameters(), lr=config.lr, momentum=config.momentum)
    data_order = run_generator(config.seed)
    started = time.perf_counter()
    for epoch in range(config.epochs):
        model.train()
        order = torch.randperm(len(y), generator=data_order).to(device)
        loss, accuracy = loop.epoch_with_accuracy(model, optimiser, x, y, order, config.batch_size, run.step_loss)
        run.train_loss.append(loss)
        run.train_accuracy.append(accuracy)
        run.val_accuracy.append(loop.evaluate(model, x_val, y_val)[1])
        run.seconds = time.perf_counter() - started
        if on_epoch:
            on_epoch(run, epoch + 1, config.epochs)
    run.test_accuracy = loop.evaluate(model, data.x_test.to(device), data.y_test.to(device))[1]
    run.after = snapshot(model, samples)
    return run


QUICK = LeNetConfig(epochs=2)  # ``train lenet5 --quick``


def curves_json(run: LeNetRun) -> dict:
    """A run's curves and numbers, without its filters and maps: what the bundled file keeps."""
    rounded = lambda values: [round(v, 6) for v in values]  # noqa: E731
    return {"activation": run.activation, "initial_loss": round(run.initial_loss, 6),
            "step_loss": rounded(run.step_loss), "train_loss": rounded(run.train_loss),
            "train_accuracy": rounded(run.train_accuracy), "val_accuracy": rounded(run.val_accuracy),
            "test_accuracy": round(run.test_accuracy, 6), "seconds": round(run.seconds, 2)}


def bundle(config: LeNetConfig = LeNetConfig(), on_epoch: Progress | None = None, device: str | None = None) -> dict:
    """The training page's default (every activation, one after the other) as the bundled file holds it: the
    reference other pages draw their own runs beside (``python -m cnnviz train lenet5``)."""
    from dataclasses import replace

    data = lenet_data(config.seed)
    runs = [train_lenet(replace(config, activation=name), on_epoch, data, device) for name in ACTIVATIONS]
    settings = {key: getattr(config, key) for key in ("epochs", "lr", "momentum", "batch_size", "seed")}
    return {"config": settings, "device": runs[0].device, "sizes": list(data.sizes),
            "runs": [curves_json(run) for run in runs]}


def activations(choice: str) -> list[str]:
    """The activations to train for the page's choice: one of ``ACTIVATIONS``, or all of them for ``BOTH``."""
    if choice == BOTH:
        return list(ACTIVATIONS)
    if choice not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {ACTIVATIONS + (BOTH,)}, got {choice!r}")
    return [choice]


@dataclass(frozen=True)
class Duel:
    """Two runs that differ only in their activation: which one led after the first epoch and at the end."""

    faster: str  # lower mean training loss after the first epoch
    lower: str  # lower mean training loss after the last epoch


def duel(first: LeNetRun, second: LeNetRun) -> Duel:
    def ahead(epoch: int) -> str:
        return first.activation if first.train_loss[epoch] < second.train_loss[epoch] else second.activation

    return Duel(ahead(0), ahead(-1))
